/* test_elementwise.c — elementwise, activation, reduction and matmul ops: values against
 * closed forms, gradients (first and second order) against finite differences. */
#include "harness.h"
#include <string.h>
#include <math.h>

typedef enum { F_ADD, F_SUB, F_MUL, F_DIV, F_EXP, F_LOG, F_SQRT, F_RSQRT, F_POW, F_ABS, F_SQUARE,
               F_RELU, F_LRELU, F_TANH, F_SIGMOID, F_SOFTPLUS, F_SUM01, F_MEAN2, F_SUMALL,
               F_MATMUL, F_MATMUL_TA, F_MATMUL_TB, F_MATMUL_TATB, F_LINEAR, F_ADDS, F_MULS,
               F_RSUBS, F_NEG, F_WHERE, F_EXPAND, F_SUMTO, F_RESHAPE } fid;

static gan_tensor *f(gan_ctx *c, gan_tensor **in, void *ud) {
    gan_tensor *a = in[0], *b = in[1];
    switch ((fid)(intptr_t)ud) {
    case F_ADD: return gan_add(c, a, b);
    case F_SUB: return gan_sub(c, a, b);
    case F_MUL: return gan_mul(c, a, b);
    case F_DIV: return gan_div(c, a, b);
    case F_EXP: return gan_exp(c, a);
    case F_LOG: return gan_log(c, gan_abs(c, a));
    case F_SQRT: return gan_sqrt(c, gan_abs(c, a));
    case F_RSQRT: return gan_rsqrt(c, gan_abs(c, a));
    case F_POW: return gan_pow_scalar(c, gan_abs(c, a), 2.5f);
    case F_ABS: return gan_abs(c, a);
    case F_SQUARE: return gan_square(c, a);
    case F_RELU: return gan_mul(c, gan_relu(c, a), a);        /* x*relu(x): non-zero 2nd order */
    case F_LRELU: return gan_mul(c, gan_leaky_relu(c, a, 0.2f), a);
    case F_TANH: return gan_tanh(c, a);
    case F_SIGMOID: return gan_sigmoid(c, a);
    case F_SOFTPLUS: return gan_softplus(c, a);
    case F_SUM01: return gan_square(c, gan_sum(c, a, GAN_AXIS(0) | GAN_AXIS(2), 0));
    case F_MEAN2: return gan_square(c, gan_mean(c, a, GAN_AXIS(1), 1));
    case F_SUMALL: return gan_square(c, gan_sum_all(c, a));
    case F_MATMUL: return gan_matmul(c, a, b, 0, 0);
    case F_MATMUL_TA: return gan_matmul(c, a, b, 1, 0);
    case F_MATMUL_TB: return gan_matmul(c, a, b, 0, 1);
    case F_MATMUL_TATB: return gan_matmul(c, a, b, 1, 1);
    case F_LINEAR: return gan_tanh(c, gan_linear(c, a, b, in[2]));
    case F_ADDS: return gan_square(c, gan_add_scalar(c, a, 0.5f));
    case F_MULS: return gan_square(c, gan_mul_scalar(c, a, -1.5f));
    case F_RSUBS: return gan_square(c, gan_rsub_scalar(c, 2.0f, a));
    case F_NEG: return gan_square(c, gan_neg(c, a));
    case F_WHERE: return gan_square(c, gan_where(c, in[2], a, b));
    case F_EXPAND: return gan_square(c, gan_expand(c, a, GAN_SHAPE(2, 3, 4)));
    case F_SUMTO: return gan_square(c, gan_sum_to(c, a, GAN_SHAPE(3, 1)));
    case F_RESHAPE: return gan_square(c, gan_reshape(c, a, GAN_SHAPE(4, -1)));
    }
    return NULL;
}

static gan_tensor *leaf(gan_ctx *ctx, int nd, const int *shape, uint64_t stream) {
    gan_tensor *t = gan_empty(ctx, nd, shape);
    th_fill_randn(t, stream, 1.0f);
    th_avoid_zero(t, 0.1f);
    gan_set_requires_grad(t, 1);
    return t;
}

static void check(gan_ctx *ctx, const char *name, fid id, gan_tensor *a, gan_tensor *b,
                  gan_tensor *c, int second) {
    gan_tensor *in[3] = {a, b, c};
    int n = c ? 3 : b ? 2 : 1;
    th_gradcheck(name, f, n, in, (void *)(intptr_t)id, 1e-3, 2e-2);
    if (second) th_gradcheck2(name, f, n, in, (void *)(intptr_t)id, 1e-3, 3e-2);
}

/* tanh against double-precision tanh over [-12, 12] (both sides of the kernel's 0.625 switch,
 * the clamp at 9), tiny values, signed zeros, infinities and NaN; and the same bits on 1 and 2
 * threads (the vector path's tail goes through a temporary). */
static void check_tanh_values(gan_ctx *ctx) {
    const int n = 200003;
    gan_tensor *x = gan_empty(ctx, GAN_SHAPE(n));
    for (int i = 0; i < n; i++) x->data[i] = -12.0f + 24.0f * (float)i / (float)(n - 1);
    float special[] = {0.0f, -0.0f, 1e-30f, -1e-20f, 0.625f, -0.625f, 9.0f, 88.0f, INFINITY, -INFINITY, NAN};
    for (int i = 0; i < 11; i++) x->data[i * 7] = special[i];
    int old = gan_ctx_set_grad(ctx, 0);
    gan_set_threads(1);
    gan_tensor *y1 = gan_tanh(ctx, x);
    gan_set_threads(2);
    gan_tensor *y2 = gan_tanh(ctx, x);
    gan_set_threads(0);
    gan_ctx_set_grad(ctx, old);
    double worst = 0;
    int same = 1, special_ok = 1;
    for (int i = 0; i < n; i++) {
        float v = x->data[i], t = y1->data[i];
        same &= memcmp(&t, &y2->data[i], sizeof t) == 0;
        if (isnan(v)) {
            special_ok &= isnan(t);
            continue;
        }
        double r = tanh((double)v);
        double ulp = fmax(nextafterf(fabsf((float)r), INFINITY) - fabsf((float)r), 1e-45);
        worst = fmax(worst, fabs(t - r) / ulp);
        if (v == 0.0f) special_ok &= t == 0.0f && signbit(t) == signbit(v);
    }
    th_check(worst <= 3.0 && special_ok, "tanh values vs double tanh", "max %.2f ulp", worst);
    th_check(same, "tanh: 1 == 2 threads", "%s", same ? "bit-identical" : "differ");
}

int main(void) {
    gan_ctx *ctx = gan_ctx_new(0);
    check_tanh_values(ctx);
    /* forward values against closed forms */
    {
        gan_tensor *a = gan_from_data(ctx, GAN_SHAPE(2, 3), (float[]){1, 2, 3, 4, 5, 6});
        gan_tensor *b = gan_from_data(ctx, GAN_SHAPE(3), (float[]){10, 20, 30});
        gan_tensor *s = gan_add(ctx, a, b);
        float want[] = {11, 22, 33, 14, 25, 36};
        th_check(th_max_abs_diff(s->data, want, 6) == 0, "add broadcast value", "%s", "");
        gan_tensor *m = gan_matmul(ctx, a, gan_reshape(ctx, b, GAN_SHAPE(3, 1)), 0, 0);
        th_check(m->data[0] == 140 && m->data[1] == 320, "matmul value", "%g %g", m->data[0], m->data[1]);
        gan_tensor *r = gan_sum(ctx, a, GAN_AXIS(0), 0);
        th_check(r->data[0] == 5 && r->data[2] == 9 && r->ndim == 1, "sum axis0 value", "%s", "");
        gan_tensor *sp = gan_softplus(ctx, gan_from_data(ctx, GAN_SHAPE(3), (float[]){-100, 0, 100}));
        th_check(sp->data[0] < 1e-30 && fabsf(sp->data[1] - logf(2)) < 1e-7 && sp->data[2] == 100,
                 "softplus stable at +-100", "%g %g %g", sp->data[0], sp->data[1], sp->data[2]);
    }
    int sh23[] = {2, 3}, sh3[] = {3}, sh234[] = {2, 3, 4}, sh34[] = {3, 4}, sh24[] = {2, 4},
        sh31[] = {3, 1}, sh134[] = {1, 3, 4}, sh4[] = {4}, sh43[] = {4, 3};
    check(ctx, "add(2,3)+(3)", F_ADD, leaf(ctx, 2, sh23, 1), leaf(ctx, 1, sh3, 2), NULL, 1);
    check(ctx, "sub(2,3,4)-(3,1)", F_SUB, leaf(ctx, 3, sh234, 3), leaf(ctx, 2, sh31, 4), NULL, 1);
    check(ctx, "mul(2,3,4)*(1,3,4)", F_MUL, leaf(ctx, 3, sh234, 5), leaf(ctx, 3, sh134, 6), NULL, 1);
    gan_tensor *den = leaf(ctx, 1, sh4, 8);
    for (int i = 0; i < 4; i++) den->data[i] = 1.0f + fabsf(den->data[i]);
    check(ctx, "div(2,3,4)/(4)", F_DIV, leaf(ctx, 3, sh234, 7), den, NULL, 1);
    const struct { const char *n; fid id; } un[] = {
        {"exp", F_EXP}, {"log", F_LOG}, {"sqrt", F_SQRT}, {"rsqrt", F_RSQRT}, {"pow", F_POW},
        {"abs", F_ABS}, {"square", F_SQUARE}, {"relu", F_RELU}, {"leaky_relu", F_LRELU},
        {"tanh", F_TANH}, {"sigmoid", F_SIGMOID}, {"softplus", F_SOFTPLUS},
        {"sum(axes 0,2)", F_SUM01}, {"mean(axis 1)", F_MEAN2}, {"sum_all", F_SUMALL},
        {"add_scalar", F_ADDS}, {"mul_scalar", F_MULS}, {"rsub_scalar", F_RSUBS}, {"neg", F_NEG},
        {"reshape", F_RESHAPE}};
    for (size_t i = 0; i < sizeof un / sizeof un[0]; i++)
        check(ctx, un[i].n, un[i].id, leaf(ctx, 3, sh234, 10 + i), NULL, NULL, 1);
    check(ctx, "expand(3,4)->(2,3,4)", F_EXPAND, leaf(ctx, 2, sh34, 40), NULL, NULL, 1);
    check(ctx, "sum_to(2,3,4)->(3,1)", F_SUMTO, leaf(ctx, 3, sh234, 41), NULL, NULL, 1);
    gan_tensor *mask = gan_gt_scalar(ctx, leaf(ctx, 3, sh234, 42), 0.0f);
    check(ctx, "where", F_WHERE, leaf(ctx, 3, sh234, 43), leaf(ctx, 2, sh34, 44), mask, 1);
    check(ctx, "matmul", F_MATMUL, leaf(ctx, 2, sh23, 50), leaf(ctx, 2, sh34, 51), NULL, 1);
    check(ctx, "matmul A^T", F_MATMUL_TA, leaf(ctx, 2, sh31, 52), leaf(ctx, 2, sh34, 53), NULL, 1);
    check(ctx, "matmul B^T", F_MATMUL_TB, leaf(ctx, 2, sh23, 54), leaf(ctx, 2, sh43, 55), NULL, 1);
    check(ctx, "matmul A^T B^T", F_MATMUL_TATB, leaf(ctx, 2, sh34, 56), leaf(ctx, 2, sh23, 57), NULL, 1);
    check(ctx, "linear", F_LINEAR, leaf(ctx, 2, sh24, 58), leaf(ctx, 2, sh34, 59), leaf(ctx, 1, sh3, 60), 1);
    gan_ctx_free(ctx);
    return th_done("test_elementwise");
}
