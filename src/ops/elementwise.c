/* elementwise.c — broadcasting binary ops, scalar ops, unary math, where, expand/sum_to.
 * Every backward rule below is written with these same ops. */
#include "internal.h"
#include <math.h>

/* ---------------------------------------------------------------- broadcasting */

/* Left-pads `t`'s shape to 5 dims. */
static void shape5(const gan_tensor *t, int s[5]) {
    int off = 5 - t->ndim;
    for (int i = 0; i < 5; i++) s[i] = i < off ? 1 : t->shape[i - off];
}

/* Element strides of `t` seen with out's 5-D shape: 0 along broadcast dimensions. */
static void bstrides(const gan_tensor *t, const int os[5], int64_t st[5]) {
    int s[5];
    shape5(t, s);
    int64_t acc = 1;
    for (int i = 4; i >= 0; i--) {
        st[i] = (s[i] == 1 && os[i] != 1) ? 0 : acc;
        acc *= s[i];
    }
}

static int broadcast_shape(const gan_tensor *a, const gan_tensor *b, int *out) {
    int nd = a->ndim > b->ndim ? a->ndim : b->ndim;
    for (int i = 0; i < nd; i++) {
        int ia = i - (nd - a->ndim), ib = i - (nd - b->ndim);
        int da = ia >= 0 ? a->shape[ia] : 1, db = ib >= 0 ? b->shape[ib] : 1;
        if (da != db && da != 1 && db != 1) {
            char sa[64], sb[64];
            gan_shape_str(a, sa, sizeof sa);
            gan_shape_str(b, sb, sizeof sb);
            gan_assert_fail("broadcastable shapes", __FILE__, __LINE__, sa);
        }
        out[i] = da == 1 ? db : da;
    }
    return nd;
}

enum binop { OP_ADD, OP_SUB, OP_MUL, OP_DIV };

static inline float apply(enum binop op, float x, float y) {
    switch (op) {
    case OP_ADD: return x + y;
    case OP_SUB: return x - y;
    case OP_MUL: return x * y;
    default: return x / y;
    }
}

/* out = a (op) b with broadcasting; rows of the last dimension are the inner loop. */
static void binary_kernel(enum binop op, const gan_tensor *a, const gan_tensor *b,
                          gan_tensor *out) {
    const float *pa = a->data, *pb = b->data;
    float *po = out->data;
    int64_t n = out->numel;
    if (a->numel == n && b->numel == n) {
#pragma omp parallel for schedule(static) if (n > GAN_PARALLEL_MIN)
        for (int64_t i = 0; i < n; i++) po[i] = apply(op, pa[i], pb[i]);
        return;
    }
    if (b->numel == 1) {
        float y = pb[0];
#pragma omp parallel for schedule(static) if (n > GAN_PARALLEL_MIN)
        for (int64_t i = 0; i < n; i++) po[i] = apply(op, pa[i], y);
        return;
    }
    int os[5];
    int64_t sa[5], sb[5];
    shape5(out, os);
    bstrides(a, os, sa);
    bstrides(b, os, sb);
    int64_t rows = (int64_t)os[0] * os[1] * os[2] * os[3];
    int inner = os[4];
#pragma omp parallel for schedule(static) if (n > GAN_PARALLEL_MIN)
    for (int64_t r = 0; r < rows; r++) {
        int64_t i3 = r % os[3], i2 = (r / os[3]) % os[2], i1 = (r / os[3] / os[2]) % os[1],
                i0 = r / os[3] / os[2] / os[1];
        const float *ra = pa + i0 * sa[0] + i1 * sa[1] + i2 * sa[2] + i3 * sa[3];
        const float *rb = pb + i0 * sb[0] + i1 * sb[1] + i2 * sb[2] + i3 * sb[3];
        float *ro = po + r * inner;
        if (sa[4] && sb[4])
            for (int j = 0; j < inner; j++) ro[j] = apply(op, ra[j], rb[j]);
        else if (sa[4])
            for (int j = 0; j < inner; j++) ro[j] = apply(op, ra[j], rb[0]);
        else if (sb[4])
            for (int j = 0; j < inner; j++) ro[j] = apply(op, ra[0], rb[j]);
        else
            for (int j = 0; j < inner; j++) ro[j] = apply(op, ra[0], rb[0]);
    }
}

static void add_bw(gan_ctx *ctx, gan_node *n, gan_tensor *g, gan_tensor **din) {
    if (gan_needs_grad(n->in[0])) din[0] = gan_sum_to(ctx, g, n->in[0]->ndim, n->in[0]->shape);
    if (gan_needs_grad(n->in[1])) din[1] = gan_sum_to(ctx, g, n->in[1]->ndim, n->in[1]->shape);
}
static void sub_bw(gan_ctx *ctx, gan_node *n, gan_tensor *g, gan_tensor **din) {
    if (gan_needs_grad(n->in[0])) din[0] = gan_sum_to(ctx, g, n->in[0]->ndim, n->in[0]->shape);
    if (gan_needs_grad(n->in[1]))
        din[1] = gan_sum_to(ctx, gan_neg(ctx, g), n->in[1]->ndim, n->in[1]->shape);
}
static void mul_bw(gan_ctx *ctx, gan_node *n, gan_tensor *g, gan_tensor **din) {
    gan_tensor *a = n->in[0], *b = n->in[1];
    if (gan_needs_grad(a)) din[0] = gan_sum_to(ctx, gan_mul(ctx, g, b), a->ndim, a->shape);
    if (gan_needs_grad(b)) din[1] = gan_sum_to(ctx, gan_mul(ctx, g, a), b->ndim, b->shape);
}
static void div_bw(gan_ctx *ctx, gan_node *n, gan_tensor *g, gan_tensor **din) {
    gan_tensor *a = n->in[0], *b = n->in[1];
    if (gan_needs_grad(a)) din[0] = gan_sum_to(ctx, gan_div(ctx, g, b), a->ndim, a->shape);
    if (gan_needs_grad(b)) {
        /* d(a/b)/db = -a/b^2 */
        gan_tensor *t = gan_div(ctx, gan_mul(ctx, g, a), gan_square(ctx, b));
        din[1] = gan_sum_to(ctx, gan_neg(ctx, t), b->ndim, b->shape);
    }
}

static gan_tensor *binary(gan_ctx *ctx, enum binop op, gan_tensor *a, gan_tensor *b) {
    static const char *names[] = {"add", "sub", "mul", "div"};
    static const gan_backward_fn rules[] = {add_bw, sub_bw, mul_bw, div_bw};
    int shape[GAN_MAX_DIMS];
    int nd = broadcast_shape(a, b, shape);
    gan_tensor *out = gan_empty(ctx, nd, shape);
    binary_kernel(op, a, b, out);
    gan_record(ctx, out, names[op], rules[op], 2, (gan_tensor *[]){a, b});
    return out;
}

gan_tensor *gan_add(gan_ctx *ctx, gan_tensor *a, gan_tensor *b) { return binary(ctx, OP_ADD, a, b); }
gan_tensor *gan_sub(gan_ctx *ctx, gan_tensor *a, gan_tensor *b) { return binary(ctx, OP_SUB, a, b); }
gan_tensor *gan_mul(gan_ctx *ctx, gan_tensor *a, gan_tensor *b) { return binary(ctx, OP_MUL, a, b); }
gan_tensor *gan_div(gan_ctx *ctx, gan_tensor *a, gan_tensor *b) { return binary(ctx, OP_DIV, a, b); }

/* ---------------------------------------------------------------- unary ops
 * One kernel switch; each op has its own rule below. */

enum unop { U_ADDS, U_MULS, U_RSUBS, U_EXP, U_LOG, U_SQRT, U_RSQRT, U_POW, U_ABS, U_SQUARE,
            U_TANH, U_SIGMOID, U_SOFTPLUS, U_SIGN, U_GT };

static inline float unary_apply(enum unop op, float x, float s) {
    switch (op) {
    case U_ADDS: return x + s;
    case U_MULS: return x * s;
    case U_RSUBS: return s - x;
    case U_EXP: return expf(x);
    case U_LOG: return logf(x);
    case U_SQRT: return sqrtf(x);
    case U_RSQRT: return 1.0f / sqrtf(x);
    case U_POW: return powf(x, s);
    case U_ABS: return fabsf(x);
    case U_SQUARE: return x * x;
    case U_TANH: return tanhf(x);
    case U_SIGMOID: return x >= 0 ? 1.0f / (1.0f + expf(-x)) : expf(x) / (1.0f + expf(x));
    case U_SOFTPLUS: return fmaxf(x, 0.0f) + log1pf(expf(-fabsf(x)));
    case U_SIGN: return (float)((x > 0) - (x < 0));
    default: return x > s ? 1.0f : 0.0f;
    }
}

static gan_tensor *unary(gan_ctx *ctx, enum unop op, gan_tensor *a, float s) {
    gan_tensor *out = gan_empty_like(ctx, a);
    const float *pa = a->data;
    float *po = out->data;
    int64_t n = a->numel;
#pragma omp parallel for schedule(static) if (n > GAN_PARALLEL_MIN)
    for (int64_t i = 0; i < n; i++) po[i] = unary_apply(op, pa[i], s);
    return out;
}

#define RULE(name) static void name(gan_ctx *ctx, gan_node *n, gan_tensor *g, gan_tensor **din)
#define X (n->in[0])
#define Y (n->out)

RULE(adds_bw) { (void)ctx; (void)n; din[0] = g; }
RULE(muls_bw) { din[0] = gan_mul_scalar(ctx, g, n->farg[0]); }
RULE(rsubs_bw) { (void)n; din[0] = gan_neg(ctx, g); }
RULE(exp_bw) { din[0] = gan_mul(ctx, g, Y); }
RULE(log_bw) { din[0] = gan_div(ctx, g, X); }
RULE(sqrt_bw) { din[0] = gan_div(ctx, gan_mul_scalar(ctx, g, 0.5f), Y); }
/* d(x^-1/2) = -1/2 x^-3/2 = -1/2 y^3 */
RULE(rsqrt_bw) { din[0] = gan_mul(ctx, g, gan_mul_scalar(ctx, gan_pow_scalar(ctx, Y, 3.0f), -0.5f)); }
RULE(pow_bw) {
    float p = n->farg[0];
    din[0] = gan_mul(ctx, g, gan_mul_scalar(ctx, gan_pow_scalar(ctx, X, p - 1.0f), p));
}
RULE(abs_bw) { din[0] = gan_mul(ctx, g, gan_sign(ctx, X)); }
RULE(square_bw) { din[0] = gan_mul(ctx, g, gan_mul_scalar(ctx, X, 2.0f)); }
/* 1 - tanh^2, written on the output so the rule stays differentiable */
RULE(tanh_bw) { din[0] = gan_mul(ctx, g, gan_rsub_scalar(ctx, 1.0f, gan_square(ctx, Y))); }
RULE(sigmoid_bw) { din[0] = gan_mul(ctx, g, gan_mul(ctx, Y, gan_rsub_scalar(ctx, 1.0f, Y))); }
RULE(softplus_bw) { din[0] = gan_mul(ctx, g, gan_sigmoid(ctx, X)); }

static gan_tensor *unary_rec(gan_ctx *ctx, enum unop op, gan_tensor *a, float s, const char *name,
                             gan_backward_fn bw) {
    gan_tensor *out = unary(ctx, op, a, s);
    gan_node *nd = gan_record(ctx, out, name, bw, 1, &a);
    if (nd) nd->farg[0] = s;
    return out;
}

gan_tensor *gan_add_scalar(gan_ctx *c, gan_tensor *a, float s) { return unary_rec(c, U_ADDS, a, s, "add_scalar", adds_bw); }
gan_tensor *gan_mul_scalar(gan_ctx *c, gan_tensor *a, float s) { return unary_rec(c, U_MULS, a, s, "mul_scalar", muls_bw); }
gan_tensor *gan_neg(gan_ctx *c, gan_tensor *a) { return unary_rec(c, U_MULS, a, -1.0f, "neg", muls_bw); }
gan_tensor *gan_rsub_scalar(gan_ctx *c, float s, gan_tensor *a) { return unary_rec(c, U_RSUBS, a, s, "rsub_scalar", rsubs_bw); }
gan_tensor *gan_exp(gan_ctx *c, gan_tensor *a) { return unary_rec(c, U_EXP, a, 0, "exp", exp_bw); }
gan_tensor *gan_log(gan_ctx *c, gan_tensor *a) { return unary_rec(c, U_LOG, a, 0, "log", log_bw); }
gan_tensor *gan_sqrt(gan_ctx *c, gan_tensor *a) { return unary_rec(c, U_SQRT, a, 0, "sqrt", sqrt_bw); }
gan_tensor *gan_rsqrt(gan_ctx *c, gan_tensor *a) { return unary_rec(c, U_RSQRT, a, 0, "rsqrt", rsqrt_bw); }
gan_tensor *gan_pow_scalar(gan_ctx *c, gan_tensor *a, float p) { return unary_rec(c, U_POW, a, p, "pow_scalar", pow_bw); }
gan_tensor *gan_abs(gan_ctx *c, gan_tensor *a) { return unary_rec(c, U_ABS, a, 0, "abs", abs_bw); }
gan_tensor *gan_square(gan_ctx *c, gan_tensor *a) { return unary_rec(c, U_SQUARE, a, 0, "square", square_bw); }
gan_tensor *gan_tanh(gan_ctx *c, gan_tensor *a) { return unary_rec(c, U_TANH, a, 0, "tanh", tanh_bw); }
gan_tensor *gan_sigmoid(gan_ctx *c, gan_tensor *a) { return unary_rec(c, U_SIGMOID, a, 0, "sigmoid", sigmoid_bw); }
gan_tensor *gan_softplus(gan_ctx *c, gan_tensor *a) { return unary_rec(c, U_SOFTPLUS, a, 0, "softplus", softplus_bw); }
/* piecewise-constant: zero gradient everywhere it exists, so nothing is recorded */
gan_tensor *gan_sign(gan_ctx *c, gan_tensor *a) { return unary(c, U_SIGN, a, 0); }
gan_tensor *gan_gt_scalar(gan_ctx *c, gan_tensor *a, float s) { return unary(c, U_GT, a, s); }

/* ---------------------------------------------------------------- activations
 * relu and leaky_relu multiply by a constant mask (1 where x > 0, else slope): the gradient is
 * g * mask, and the second derivative is exactly zero, as in PyTorch. (max(x, 0) would need
 * a tie rule at 0; tinygrad writes relu with `where` for the same reason.) */

static gan_tensor *leaky_mask(gan_ctx *ctx, gan_tensor *a, float slope) {
    gan_tensor *m = gan_empty_like(ctx, a);
    const float *pa = a->data;
    float *pm = m->data;
    int64_t n = a->numel;
#pragma omp parallel for schedule(static) if (n > GAN_PARALLEL_MIN)
    for (int64_t i = 0; i < n; i++) pm[i] = pa[i] > 0 ? 1.0f : slope;
    return m;
}

gan_tensor *gan_leaky_relu(gan_ctx *ctx, gan_tensor *a, float slope) {
    return gan_mul(ctx, a, leaky_mask(ctx, a, slope));
}
gan_tensor *gan_relu(gan_ctx *ctx, gan_tensor *a) { return gan_leaky_relu(ctx, a, 0.0f); }

/* ---------------------------------------------------------------- where */

static void where_bw(gan_ctx *ctx, gan_node *n, gan_tensor *g, gan_tensor **din) {
    gan_tensor *mask = n->saved;
    gan_tensor *zero = gan_zeros(ctx, GAN_SHAPE(1));
    if (gan_needs_grad(n->in[0]))
        din[0] = gan_sum_to(ctx, gan_where(ctx, mask, g, zero), n->in[0]->ndim, n->in[0]->shape);
    if (gan_needs_grad(n->in[1]))
        din[1] = gan_sum_to(ctx, gan_where(ctx, mask, zero, g), n->in[1]->ndim, n->in[1]->shape);
}

gan_tensor *gan_where(gan_ctx *ctx, gan_tensor *mask, gan_tensor *a, gan_tensor *b) {
    if (a->numel != 1 && !gan_same_shape(a, mask)) a = gan_expand(ctx, a, mask->ndim, mask->shape);
    if (b->numel != 1 && !gan_same_shape(b, mask)) b = gan_expand(ctx, b, mask->ndim, mask->shape);
    gan_tensor *out = gan_empty_like(ctx, mask);
    int64_t n = out->numel, sa = a->numel == 1 ? 0 : 1, sb = b->numel == 1 ? 0 : 1;
#pragma omp parallel for schedule(static) if (n > GAN_PARALLEL_MIN)
    for (int64_t i = 0; i < n; i++)
        out->data[i] = mask->data[i] != 0.0f ? a->data[i * sa] : b->data[i * sb];
    gan_node *nd = gan_record(ctx, out, "where", where_bw, 2, (gan_tensor *[]){a, b});
    if (nd) nd->saved = mask;
    return out;
}

/* ---------------------------------------------------------------- expand / sum_to */

static void expand_bw(gan_ctx *ctx, gan_node *n, gan_tensor *g, gan_tensor **din) {
    din[0] = gan_sum_to(ctx, g, X->ndim, X->shape);
}

gan_tensor *gan_expand(gan_ctx *ctx, gan_tensor *a, int ndim, const int *shape) {
    gan_tensor *out = gan_zeros(ctx, ndim, shape);
    binary_kernel(OP_ADD, out, a, out);  /* 0 + a, broadcast */
    gan_record(ctx, out, "expand", expand_bw, 1, &a);
    return out;
}

static void sum_to_bw(gan_ctx *ctx, gan_node *n, gan_tensor *g, gan_tensor **din) {
    din[0] = gan_expand(ctx, g, X->ndim, X->shape);
}

gan_tensor *gan_sum_to(gan_ctx *ctx, gan_tensor *a, int ndim, const int *shape) {
    if (a->ndim == ndim && !memcmp(a->shape, shape, sizeof(int) * (size_t)ndim)) return a;
    GAN_ASSERT(ndim <= a->ndim);
    /* reduce the broadcast axes (as a's dims), keepdim, then view as `shape` */
    unsigned axes = 0;
    int off = a->ndim - ndim;
    for (int i = 0; i < a->ndim; i++) {
        int s = i < off ? 1 : shape[i - off];
        if (i < off || (s == 1 && a->shape[i] != 1)) axes |= 1u << i;
        else GAN_ASSERT(s == a->shape[i]);
    }
    int old = gan_ctx_set_grad(ctx, 0);
    gan_tensor *r = gan_sum(ctx, a, axes, 1);
    gan_ctx_set_grad(ctx, old);
    gan_tensor *out = gan_tensor_header(ctx, ndim, shape, r->data);
    gan_record(ctx, out, "sum_to", sum_to_bw, 1, &a);
    return out;
}
