/* test_fused.c — the fused kernels against independent references.
 *  - reductions (sum/mean/max over every axis mask of several shapes, size-1 dims included)
 *    against a naive double-precision loop, bit-identical for 1 and 3 threads;
 *  - broadcasting binary ops against a naive per-element index computation (exact bits);
 *  - leaky_relu: forward and fused first-order backward equal x*mask and g*mask bit for bit,
 *    and its second derivative is exactly zero;
 *  - batch/instance norm: the fused first-order backward (grad mode off) against the composed
 *    rule (create_graph, written with ops) and against the closed form in double, for 4-D and
 *    2-D inputs, with and without affine parameters; the forward against a double reference
 *    when |mean| >> std; and bit-identical results for 1 and 3 threads. */
#include "harness.h"
#include <math.h>
#include <string.h>

static gan_tensor *randn(gan_ctx *ctx, int nd, const int *shape, uint64_t stream, float scale) {
    gan_tensor *t = gan_empty(ctx, nd, shape);
    th_fill_randn(t, stream, scale);
    return t;
}

/* ---------------------------------------------------------------- reductions */

/* out index (keepdim layout) of input element i */
static int64_t out_index(const gan_tensor *x, unsigned axes, int64_t i) {
    int64_t idx[GAN_MAX_DIMS], o = 0;
    for (int d = x->ndim - 1; d >= 0; d--) {
        idx[d] = i % x->shape[d];
        i /= x->shape[d];
    }
    for (int d = 0; d < x->ndim; d++) {
        int64_t sz = (axes >> d) & 1u ? 1 : x->shape[d];
        o = o * sz + ((axes >> d) & 1u ? 0 : idx[d]);
    }
    return o;
}

static void check_reduce(gan_ctx *ctx, gan_tensor *x, unsigned axes, const char *label) {
    int64_t n_out = 1, n_red = 1;
    for (int d = 0; d < x->ndim; d++) {
        if ((axes >> d) & 1u) n_red *= x->shape[d];
        else n_out *= x->shape[d];
    }
    double *ref = gan_ctx_alloc(ctx, sizeof(double) * (size_t)n_out);
    float *rmax = gan_ctx_alloc(ctx, sizeof(float) * (size_t)n_out);
    for (int64_t o = 0; o < n_out; o++) { ref[o] = 0; rmax[o] = -INFINITY; }
    for (int64_t i = 0; i < x->numel; i++) {
        int64_t o = out_index(x, axes, i);
        ref[o] += x->data[i];
        rmax[o] = fmaxf(rmax[o], x->data[i]);
    }
    float *rs = gan_ctx_alloc(ctx, sizeof(float) * (size_t)n_out);
    float *rm = gan_ctx_alloc(ctx, sizeof(float) * (size_t)n_out);
    for (int64_t o = 0; o < n_out; o++) {
        rs[o] = (float)ref[o];
        rm[o] = (float)(ref[o] / (double)n_red);
    }
    gan_set_threads(1);
    gan_tensor *s1 = gan_sum(ctx, x, axes, 1), *m1 = gan_mean(ctx, x, axes, 0);
    gan_tensor *x1 = gan_max(ctx, x, axes, 1);
    gan_set_threads(3);
    gan_tensor *s3 = gan_sum(ctx, x, axes, 1), *m3 = gan_mean(ctx, x, axes, 0);
    gan_tensor *x3 = gan_max(ctx, x, axes, 1);
    double es = th_rel_err(s1->data, rs, n_out, 1e-3), em = th_rel_err(m1->data, rm, n_out, 1e-3);
    int max_ok = !memcmp(x1->data, rmax, sizeof(float) * (size_t)n_out);
    int bits = !memcmp(s1->data, s3->data, sizeof(float) * (size_t)n_out) &&
               !memcmp(m1->data, m3->data, sizeof(float) * (size_t)n_out) &&
               !memcmp(x1->data, x3->data, sizeof(float) * (size_t)n_out);
    char name[128];
    snprintf(name, sizeof name, "reduce %s axes 0x%x", label, axes);
    th_check(es < 1e-6 && em < 1e-6 && max_ok && bits && s1->numel == n_out &&
                 m1->numel == n_out,
             name, "sum rel %.2g mean rel %.2g max %s threads 1 vs 3 %s", es, em,
             max_ok ? "exact" : "DIFF", bits ? "same bits" : "DIFFER");
}

static void test_reduce(gan_ctx *ctx) {
    struct { int nd, shape[5]; const char *label; } cases[] = {
        {4, {64, 16, 7, 7}, "(64,16,7,7)"},     /* parallel paths */
        {4, {3, 1, 4, 5}, "(3,1,4,5)"},
        {4, {5, 6, 1, 9}, "(5,6,1,9)"},
        {5, {2, 3, 4, 5, 6}, "(2,3,4,5,6)"},
        {2, {300, 520}, "(300,520)"},            /* [R,K] with K over one tile */
        {3, {1, 1, 1}, "(1,1,1)"},
        {1, {100003}, "(100003)"},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        gan_tensor *x = randn(ctx, cases[k].nd, cases[k].shape, 100 + k, 1.0f);
        for (int64_t i = 0; i < x->numel; i++) x->data[i] += 0.25f;   /* sums away from 0 */
        for (unsigned axes = 1; axes < (1u << cases[k].nd); axes++)
            check_reduce(ctx, x, axes, cases[k].label);
    }
    gan_set_threads(0);
}

/* ---------------------------------------------------------------- broadcasting */

/* element of t (right-aligned against out's shape) for out's flat index i */
static float bcast_at(const gan_tensor *t, const gan_tensor *out, int64_t i) {
    int64_t idx[GAN_MAX_DIMS], off = 0;
    for (int d = out->ndim - 1; d >= 0; d--) {
        idx[d] = i % out->shape[d];
        i /= out->shape[d];
    }
    int lead = out->ndim - t->ndim;
    for (int d = 0; d < t->ndim; d++)
        off = off * t->shape[d] + (t->shape[d] == 1 ? 0 : idx[d + lead]);
    return t->data[off];
}

static void test_broadcast(gan_ctx *ctx) {
    struct { int na, sa[4], nb, sb[4]; } cases[] = {
        {4, {64, 32, 7, 7}, 4, {1, 32, 1, 1}},   /* per-channel: bias, BN affine */
        {4, {1, 32, 1, 1}, 4, {64, 32, 7, 7}},
        {4, {6, 5, 4, 3}, 3, {5, 1, 1}},
        {4, {6, 5, 4, 3}, 4, {6, 5, 1, 1}},
        {4, {6, 5, 4, 3}, 2, {4, 3}},
        {4, {6, 1, 4, 1}, 4, {1, 5, 1, 3}},      /* both broadcast */
        {4, {6, 5, 4, 3}, 1, {1}},
        {1, {1}, 4, {6, 5, 4, 3}},
        {2, {64, 6272}, 1, {6272}},              /* linear bias, long rows */
        {2, {64, 1}, 2, {1, 300}},
        {3, {2, 3, 4}, 3, {2, 3, 4}},
    };
    const char *names[] = {"add", "sub", "mul", "div"};
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        gan_tensor *a = randn(ctx, cases[k].na, cases[k].sa, 200 + k, 1.0f);
        gan_tensor *b = randn(ctx, cases[k].nb, cases[k].sb, 300 + k, 1.0f);
        th_avoid_zero(b, 0.1f);
        for (int op = 0; op < 4; op++) {
            gan_tensor *y = op == 0 ? gan_add(ctx, a, b) : op == 1 ? gan_sub(ctx, a, b)
                          : op == 2 ? gan_mul(ctx, a, b) : gan_div(ctx, a, b);
            int64_t bad = 0;
            for (int64_t i = 0; i < y->numel; i++) {
                float u = bcast_at(a, y, i), v = bcast_at(b, y, i);
                float want = op == 0 ? u + v : op == 1 ? u - v : op == 2 ? u * v : u / v;
                bad += memcmp(&want, &y->data[i], sizeof want) != 0;
            }
            char sa[64], sb[64], name[160];
            gan_shape_str(a, sa, sizeof sa);
            gan_shape_str(b, sb, sizeof sb);
            snprintf(name, sizeof name, "broadcast %s %s %s", names[op], sa, sb);
            th_check(bad == 0, name, "%lld of %lld elements differ from the naive loop",
                     (long long)bad, (long long)y->numel);
        }
    }
    /* expand is a broadcast copy */
    gan_tensor *c = randn(ctx, GAN_SHAPE(1, 7, 1, 1), 400, 1.0f);
    gan_tensor *e = gan_expand(ctx, c, GAN_SHAPE(9, 7, 5, 5));
    int64_t bad = 0;
    for (int64_t i = 0; i < e->numel; i++) bad += e->data[i] != bcast_at(c, e, i);
    th_check(bad == 0, "expand (1,7,1,1) -> (9,7,5,5)", "%lld differ", (long long)bad);
}

/* ---------------------------------------------------------------- leaky relu */

static void test_leaky(gan_ctx *ctx) {
    gan_tensor *x = randn(ctx, GAN_SHAPE(64, 32, 5, 5), 500, 1.0f);
    x->data[0] = 0.0f;
    x->data[1] = -0.0f;
    gan_tensor *dy = randn(ctx, GAN_SHAPE(64, 32, 5, 5), 501, 1.0f);
    gan_set_requires_grad(x, 1);
    const float slopes[2] = {0.2f, 0.0f};
    for (int k = 0; k < 2; k++) {
        float s = slopes[k];
        gan_tensor *y = gan_leaky_relu(ctx, x, s);
        gan_tensor *gf, *gr;
        gan_grad(ctx, 1, &y, &dy, 1, &x, &gf, 0);   /* fused */
        gan_grad(ctx, 1, &y, &dy, 1, &x, &gr, 1);   /* rule, recorded */
        int64_t bad_y = 0, bad_f = 0, bad_r = 0;
        for (int64_t i = 0; i < x->numel; i++) {
            float m = x->data[i] > 0 ? 1.0f : s;
            float wy = x->data[i] * m, wg = dy->data[i] * m;
            bad_y += memcmp(&wy, &y->data[i], 4) != 0;
            bad_f += memcmp(&wg, &gf->data[i], 4) != 0;
            bad_r += memcmp(&wg, &gr->data[i], 4) != 0;
        }
        char name[96];
        snprintf(name, sizeof name, "leaky_relu slope %.1f: forward, fused and rule backward", s);
        th_check(!bad_y && !bad_f && !bad_r, name, "differing elements: y %lld fused %lld rule %lld",
                 (long long)bad_y, (long long)bad_f, (long long)bad_r);
        /* d/dx of sum(dx * w) is exactly zero */
        gan_tensor *w = randn(ctx, GAN_SHAPE(64, 32, 5, 5), 502, 1.0f);
        gan_tensor *l = gan_sum_all(ctx, gan_mul(ctx, gr, w)), *h;
        gan_grad(ctx, 1, &l, NULL, 1, &x, &h, 0);
        double mx = 0;
        for (int64_t i = 0; i < h->numel; i++) mx = fmax(mx, fabs(h->data[i]));
        snprintf(name, sizeof name, "leaky_relu slope %.1f: second derivative", s);
        th_check(mx == 0, name, "max |d2| %.3g", mx);
    }
}

/* ---------------------------------------------------------------- tanh backward */

static void test_tanh(gan_ctx *ctx) {
    gan_tensor *x = randn(ctx, GAN_SHAPE(64, 784), 510, 2.0f);
    gan_tensor *dy = randn(ctx, GAN_SHAPE(64, 784), 511, 1.0f);
    gan_set_requires_grad(x, 1);
    gan_tensor *y = gan_tanh(ctx, x), *gf, *gr;
    gan_grad(ctx, 1, &y, &dy, 1, &x, &gf, 0);   /* fused */
    gan_grad(ctx, 1, &y, &dy, 1, &x, &gr, 1);   /* rule, recorded */
    int64_t bad = 0;
    for (int64_t i = 0; i < x->numel; i++) bad += memcmp(&gf->data[i], &gr->data[i], 4) != 0;
    th_check(!bad, "tanh: fused and rule backward", "differing elements %lld", (long long)bad);
}

/* ---------------------------------------------------------------- batch / instance norm */

#define EPS 1e-5f

/* dx, dgamma, dbeta of the norm in double: x viewed (A, G, S), groups g, parameter g % C. */
static void norm_grad_ref(const gan_tensor *x, const gan_tensor *dy, const float *gamma,
                          int64_t A, int64_t G, int64_t S, int C, double *dx, double *dgam,
                          double *dbet) {
    double cnt = (double)(A * S);
    for (int c = 0; c < C; c++) dgam[c] = dbet[c] = 0;
    for (int64_t g = 0; g < G; g++) {
        double m = 0, v = 0, sg = 0, sgx = 0;
        for (int64_t a = 0; a < A; a++)
            for (int64_t s = 0; s < S; s++) m += x->data[(a * G + g) * S + s];
        m /= cnt;
        for (int64_t a = 0; a < A; a++)
            for (int64_t s = 0; s < S; s++) {
                double d = x->data[(a * G + g) * S + s] - m;
                v += d * d;
            }
        double is = 1.0 / sqrt(v / cnt + EPS), gm = gamma ? gamma[g % C] : 1.0;
        for (int64_t a = 0; a < A; a++)
            for (int64_t s = 0; s < S; s++) {
                int64_t i = (a * G + g) * S + s;
                sg += dy->data[i];
                sgx += dy->data[i] * (x->data[i] - m) * is;
            }
        dgam[g % C] += sgx;
        dbet[g % C] += sg;
        for (int64_t a = 0; a < A; a++)
            for (int64_t s = 0; s < S; s++) {
                int64_t i = (a * G + g) * S + s;
                double xh = (x->data[i] - m) * is;
                dx[i] = gm * is * (dy->data[i] - sg / cnt - xh * sgx / cnt);
            }
    }
}

static double rel_err_d(const float *a, const double *b, int64_t n) {
    double mb = 0, md = 0;
    for (int64_t i = 0; i < n; i++) {
        mb = fmax(mb, fabs(b[i]));
        md = fmax(md, fabs(a[i] - b[i]));
    }
    return md / fmax(mb, 1e-6);
}

typedef enum { N_BATCH, N_INSTANCE } norm_kind;

static gan_tensor *run_norm(gan_ctx *ctx, norm_kind k, gan_tensor *x, gan_tensor *g,
                            gan_tensor *b) {
    static float rm[64], rv[64];
    return k == N_BATCH ? gan_batch_norm(ctx, x, g, b, rm, rv, 0.1f, EPS, 1)
                        : gan_instance_norm(ctx, x, g, b, EPS);
}

/* affine: 0 none, 1 gamma and beta, 2 gamma and beta without requires_grad */
static void check_norm_grads(gan_ctx *ctx, norm_kind k, int nd, const int *shape, int affine,
                             const char *label) {
    gan_tensor *x = randn(ctx, nd, shape, 600, 1.5f);
    int C = shape[1];
    for (int64_t i = 0; i < x->numel; i++) x->data[i] += 0.5f * (float)((i / (x->numel / shape[0] / C)) % C);
    gan_tensor *dy = randn(ctx, nd, shape, 601, 1.0f);
    gan_tensor *g = NULL, *b = NULL;
    if (affine) {
        g = randn(ctx, GAN_SHAPE(C), 602, 1.0f);
        b = randn(ctx, GAN_SHAPE(C), 603, 1.0f);
        if (affine == 1) {
            gan_set_requires_grad(g, 1);
            gan_set_requires_grad(b, 1);
        }
    }
    gan_set_requires_grad(x, 1);
    gan_tensor *in[3] = {x, g, b}, *gf[3], *gr[3];
    int n_in = affine == 1 ? 3 : 1;
    gan_tensor *y = run_norm(ctx, k, x, g, b);
    gan_grad(ctx, 1, &y, &dy, n_in, in, gf, 0);   /* grad mode off in the rule: fused */
    gan_grad(ctx, 1, &y, &dy, n_in, in, gr, 1);   /* create_graph: the rule with ops */

    int64_t S = x->numel / ((int64_t)shape[0] * C);
    int64_t A = k == N_BATCH ? shape[0] : 1, G = k == N_BATCH ? C : (int64_t)shape[0] * C;
    double *dx = gan_ctx_alloc(ctx, sizeof(double) * (size_t)x->numel);
    double dgam[64], dbet[64];
    norm_grad_ref(x, dy, g ? g->data : NULL, A, G, S, C, dx, dgam, dbet);

    double e_fr = th_rel_err(gf[0]->data, gr[0]->data, x->numel, 1e-6);
    double e_fd = rel_err_d(gf[0]->data, dx, x->numel), e_rd = rel_err_d(gr[0]->data, dx, x->numel);
    char name[160];
    snprintf(name, sizeof name, "%s dx: fused vs rule vs double", label);
    th_check(e_fr < 2e-6 && e_fd < 2e-6 && e_rd < 2e-6, name,
             "fused-rule rel %.2g fused-ref %.2g rule-ref %.2g", e_fr, e_fd, e_rd);
    if (affine == 1) {
        for (int p = 1; p < 3; p++) {
            double *ref = p == 1 ? dgam : dbet;
            double e1 = th_rel_err(gf[p]->data, gr[p]->data, C, 1e-6);
            double e2 = rel_err_d(gf[p]->data, ref, C), e3 = rel_err_d(gr[p]->data, ref, C);
            snprintf(name, sizeof name, "%s %s: fused vs rule vs double", label,
                     p == 1 ? "dgamma" : "dbeta");
            th_check(e1 < 2e-6 && e2 < 2e-6 && e3 < 2e-6 && gf[p]->ndim == 1 &&
                         gf[p]->shape[0] == C,
                     name, "fused-rule rel %.2g fused-ref %.2g rule-ref %.2g", e1, e2, e3);
        }
    }
}

/* forward with |mean| >> std: the one-pass statistics must not cancel */
static void test_norm_offset(gan_ctx *ctx) {
    gan_tensor *x = randn(ctx, GAN_SHAPE(32, 4, 6, 6), 700, 1.0f);
    int64_t S = 36;
    for (int64_t i = 0; i < x->numel; i++) x->data[i] += 1000.0f * (float)((i / S) % 4 + 1);
    gan_tensor *y = gan_batch_norm(ctx, x, NULL, NULL, NULL, NULL, 0.1f, EPS, 1);
    double worst = 0;
    for (int c = 0; c < 4; c++) {
        double m = 0, v = 0;
        int64_t cnt = 32 * S;
        for (int n = 0; n < 32; n++)
            for (int64_t s = 0; s < S; s++) m += x->data[(n * 4 + c) * S + s];
        m /= (double)cnt;
        for (int n = 0; n < 32; n++)
            for (int64_t s = 0; s < S; s++) {
                double d = x->data[(n * 4 + c) * S + s] - m;
                v += d * d;
            }
        double is = 1.0 / sqrt(v / (double)cnt + EPS);
        for (int n = 0; n < 32; n++)
            for (int64_t s = 0; s < S; s++) {
                int64_t i = (n * 4 + c) * S + s;
                worst = fmax(worst, fabs(y->data[i] - (x->data[i] - m) * is));
            }
    }
    /* float inputs near 4000 carry 2.4e-4 of rounding; the output inherits that, no more */
    th_check(worst < 1e-3, "batch_norm forward, |mean| = 1000..4000 x std", "max_abs %.3g", worst);
}

/* the same bits for 1 and 3 threads: forward, running stats, fused backward */
static void test_norm_threads(gan_ctx *ctx) {
    gan_tensor *x = randn(ctx, GAN_SHAPE(64, 24, 7, 7), 800, 2.0f);
    gan_tensor *dy = randn(ctx, GAN_SHAPE(64, 24, 7, 7), 801, 1.0f);
    gan_tensor *g = randn(ctx, GAN_SHAPE(24), 802, 1.0f), *b = randn(ctx, GAN_SHAPE(24), 803, 1.0f);
    gan_set_requires_grad(x, 1);
    gan_set_requires_grad(g, 1);
    gan_set_requires_grad(b, 1);
    float rm[2][24], rv[2][24];
    gan_tensor *y[2], *gr[2][3];
    for (int t = 0; t < 2; t++) {
        gan_set_threads(t ? 3 : 1);
        for (int c = 0; c < 24; c++) { rm[t][c] = 0; rv[t][c] = 1; }
        y[t] = gan_batch_norm(ctx, x, g, b, rm[t], rv[t], 0.1f, EPS, 1);
        gan_tensor *in[3] = {x, g, b};
        gan_grad(ctx, 1, &y[t], &dy, 3, in, gr[t], 0);
    }
    gan_set_threads(0);
    int same = !memcmp(y[0]->data, y[1]->data, sizeof(float) * (size_t)x->numel) &&
               !memcmp(rm[0], rm[1], sizeof rm[0]) && !memcmp(rv[0], rv[1], sizeof rv[0]);
    for (int p = 0; p < 3; p++)
        same &= !memcmp(gr[0][p]->data, gr[1][p]->data, sizeof(float) * (size_t)gr[0][p]->numel);
    th_check(same, "batch_norm (64,24,7,7): threads 1 vs 3", "%s", same ? "same bits" : "DIFFER");
}

int main(void) {
    gan_ctx *ctx = gan_ctx_new(0);
    test_reduce(ctx);
    gan_ctx_reset(ctx);
    test_broadcast(ctx);
    gan_ctx_reset(ctx);
    test_leaky(ctx);
    test_tanh(ctx);
    gan_ctx_reset(ctx);

    check_norm_grads(ctx, N_BATCH, GAN_SHAPE(8, 5, 3, 4), 1, "batch_norm (8,5,3,4)");
    check_norm_grads(ctx, N_BATCH, GAN_SHAPE(8, 5, 3, 4), 0, "batch_norm (8,5,3,4) no affine");
    check_norm_grads(ctx, N_BATCH, GAN_SHAPE(8, 5, 3, 4), 2, "batch_norm (8,5,3,4) frozen affine");
    check_norm_grads(ctx, N_BATCH, GAN_SHAPE(16, 7), 1, "batch_norm (16,7)");
    check_norm_grads(ctx, N_BATCH, GAN_SHAPE(64, 32, 7, 7), 1, "batch_norm (64,32,7,7)");
    check_norm_grads(ctx, N_INSTANCE, GAN_SHAPE(4, 5, 3, 4), 1, "instance_norm (4,5,3,4)");
    check_norm_grads(ctx, N_INSTANCE, GAN_SHAPE(4, 5, 3, 4), 0, "instance_norm no affine");
    gan_ctx_reset(ctx);
    test_norm_offset(ctx);
    test_norm_threads(ctx);

    gan_ctx_free(ctx);
    return th_done("test_fused");
}
