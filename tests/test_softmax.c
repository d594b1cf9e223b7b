/* test_softmax.c — softmax, log-softmax and Gumbel-softmax: values against closed forms
 * computed here in double, the fused kernels against the same function composed from ops,
 * gradients (first and second order) against finite differences, and the straight-through
 * estimator's gradient against the soft sample's. */
#include "harness.h"
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { F_SOFTMAX, F_LOG_SOFTMAX, F_COMPOSED_LSM, F_GUMBEL, F_GUMBEL_HARD, F_SOFTMAX_1D };

/* log_softmax written with ops only, the max detached (gan_max records nothing) */
static gan_tensor *composed_log_softmax(gan_ctx *c, gan_tensor *x) {
    unsigned last = GAN_AXIS(x->ndim - 1);
    gan_tensor *m = gan_max(c, x, last, 1);
    gan_tensor *s = gan_sum(c, gan_exp(c, gan_sub(c, x, m)), last, 1);
    return gan_sub(c, x, gan_add(c, m, gan_log(c, s)));
}

static gan_tensor *f(gan_ctx *c, gan_tensor **in, void *ud) {
    switch ((int)(intptr_t)ud) {
    case F_SOFTMAX: return gan_softmax(c, in[0]);
    case F_LOG_SOFTMAX: return gan_log_softmax(c, in[0]);
    case F_COMPOSED_LSM: return composed_log_softmax(c, in[0]);
    case F_GUMBEL: return gan_gumbel_softmax(c, in[0], 0.7f, 0, 99, 3);
    case F_GUMBEL_HARD: return gan_gumbel_softmax(c, in[0], 0.7f, 1, 99, 3);
    case F_SOFTMAX_1D: return gan_softmax(c, in[0]);
    }
    return NULL;
}

/* the Gumbel noise of (seed, stream), computed independently in double */
static double *gumbel_ref(int64_t n, uint64_t seed, uint64_t stream) {
    float *u = malloc(sizeof(float) * (size_t)n);
    double *g = malloc(sizeof(double) * (size_t)n);
    gan_philox_uniform(u, n, seed, stream);
    for (int64_t i = 0; i < n; i++) {
        double v = fmin(fmax(u[i], 1e-12), 1.0 - 1e-7);
        g[i] = -log(-log(v));
    }
    free(u);
    return g;
}

static gan_tensor *leaf(gan_ctx *ctx, int nd, const int *shape, uint64_t stream, float scale) {
    gan_tensor *t = gan_empty(ctx, nd, shape);
    th_fill_randn(t, stream, scale);
    gan_set_requires_grad(t, 1);
    return t;
}

/* max relative error of rows of y against softmax (log_out: log-softmax) of x/tau + noise */
static double softmax_ref_err(const gan_tensor *x, const gan_tensor *y, const double *noise,
                              double tau, int log_out, double *row_sum_err) {
    int64_t D = x->shape[x->ndim - 1], rows = x->numel / D;
    double err = 0;
    *row_sum_err = 0;
    for (int64_t r = 0; r < rows; r++) {
        double z[512], m = -DBL_MAX, s = 0, ys = 0;
        if (D > 512) return INFINITY;
        for (int64_t j = 0; j < D; j++) {
            z[j] = (x->data[r * D + j] + (noise ? noise[r * D + j] : 0)) / tau;
            m = fmax(m, z[j]);
        }
        for (int64_t j = 0; j < D; j++) s += exp(z[j] - m);
        for (int64_t j = 0; j < D; j++) {
            double want = log_out ? z[j] - m - log(s) : exp(z[j] - m) / s;
            double got = y->data[r * D + j];
            err = fmax(err, fabs(got - want) / fmax(fabs(want), 1.0));
            ys += log_out ? exp(got) : got;
        }
        *row_sum_err = fmax(*row_sum_err, fabs(ys - 1.0));
    }
    return err;
}

int main(void) {
    gan_ctx *ctx = gan_ctx_new(0);
    double w1 = 0, w2 = 0;

    /* values: ordinary rows, a row with huge logits (overflow without the max shift), a row
     * with one dominant entry, a row of equal entries */
    {
        float xs[] = {0.1f, -1.2f, 2.0f, 0.5f, 0.0f,
                      1000.f, 1001.f, 999.f, 1000.5f, 998.f,
                      -50.f, 30.f, -20.f, 0.f, 10.f,
                      3.f, 3.f, 3.f, 3.f, 3.f};
        gan_tensor *x = gan_from_data(ctx, GAN_SHAPE(2, 2, 5), xs);
        double sum_err, e;
        e = softmax_ref_err(x, gan_softmax(ctx, x), NULL, 1, 0, &sum_err);
        th_check(e < 1e-6 && sum_err < 1e-6, "softmax value vs double", "rel %.3g row-sum %.3g", e, sum_err);
        e = softmax_ref_err(x, gan_log_softmax(ctx, x), NULL, 1, 1, &sum_err);
        th_check(e < 1e-6 && sum_err < 1e-6, "log_softmax value vs double", "rel %.3g row-sum %.3g", e, sum_err);
        gan_tensor *c = composed_log_softmax(ctx, x), *l = gan_log_softmax(ctx, x);
        double d = th_max_abs_diff(c->data, l->data, c->numel);
        /* the composed form rounds x - (m + log s) at the magnitude of m (1000 here) */
        th_check(d < 1e-4, "log_softmax fused ~ composed", "max_abs %.3g", d);
        gan_tensor *x1 = gan_from_data(ctx, GAN_SHAPE(5), xs);
        e = softmax_ref_err(x1, gan_softmax(ctx, x1), NULL, 1, 0, &sum_err);
        th_check(e < 1e-6 && sum_err < 1e-6, "softmax 1-D value", "rel %.3g", e);
    }
    /* big: threaded, and the same bits for any thread count */
    {
        gan_tensor *x = gan_randn(ctx, GAN_SHAPE(512, 300), 5, 5);
        double sum_err, e = softmax_ref_err(x, gan_softmax(ctx, x), NULL, 1, 0, &sum_err);
        th_check(e < 1e-6 && sum_err < 1e-5, "softmax (512,300) value", "rel %.3g row-sum %.3g", e, sum_err);
        int old = gan_get_threads();
        gan_set_threads(1);
        gan_tensor *y1 = gan_log_softmax(ctx, x);
        gan_set_threads(4);
        gan_tensor *y4 = gan_log_softmax(ctx, x);
        gan_set_threads(old);
        th_check(!memcmp(y1->data, y4->data, sizeof(float) * (size_t)x->numel),
                 "log_softmax 1 vs 4 threads identical", "%s", "");
    }

    /* gradients against finite differences */
    gan_tensor *in[1];
    const struct { const char *name; int id; } gc[] = {
        {"softmax (2,3,5)", F_SOFTMAX}, {"log_softmax (2,3,5)", F_LOG_SOFTMAX},
        {"composed log_softmax", F_COMPOSED_LSM}, {"gumbel_softmax soft tau 0.7", F_GUMBEL}};
    for (size_t i = 0; i < sizeof gc / sizeof gc[0]; i++) {
        in[0] = leaf(ctx, GAN_SHAPE(2, 3, 5), 30 + i, 1.0f);
        w1 = fmax(w1, th_gradcheck(gc[i].name, f, 1, in, (void *)(intptr_t)gc[i].id, 1e-3, 2e-2));
        w2 = fmax(w2, th_gradcheck2(gc[i].name, f, 1, in, (void *)(intptr_t)gc[i].id, 1e-3, 3e-2));
    }
    in[0] = leaf(ctx, GAN_SHAPE(6), 40, 1.0f);
    w1 = fmax(w1, th_gradcheck("softmax 1-D", f, 1, in, (void *)(intptr_t)F_SOFTMAX_1D, 1e-3, 2e-2));
    w2 = fmax(w2, th_gradcheck2("softmax 1-D", f, 1, in, (void *)(intptr_t)F_SOFTMAX_1D, 1e-3, 3e-2));

    /* fused and composed log_softmax: same first and second derivatives (through gan_grad) */
    {
        gan_tensor *x = leaf(ctx, GAN_SHAPE(4, 7), 41, 2.0f);
        gan_tensor *wt = gan_randn(ctx, GAN_SHAPE(4, 7), 6, 6);
        gan_tensor *g[2], *h[2];
        for (int k = 0; k < 2; k++) {
            gan_tensor *y = k ? composed_log_softmax(ctx, x) : gan_log_softmax(ctx, x);
            gan_grad(ctx, 1, &y, &wt, 1, &x, &g[k], 1);
            gan_tensor *n2 = gan_sum_all(ctx, gan_square(ctx, g[k]));
            gan_grad(ctx, 1, &n2, NULL, 1, &x, &h[k], 0);
        }
        double d1 = th_rel_err(g[0]->data, g[1]->data, x->numel, 1e-3);
        double d2 = th_rel_err(h[0]->data, h[1]->data, x->numel, 1e-3);
        th_check(d1 < 1e-5 && d2 < 1e-4, "log_softmax fused == composed grads", "grad %.3g grad2 %.3g", d1, d2);
    }

    /* Gumbel-softmax values: soft against the closed form with the same noise; hard is
     * exactly one-hot at argmax(logits + noise) */
    {
        int R = 64, K = 5;
        uint64_t seed = 2024, stream = 17;
        gan_tensor *x = gan_randn(ctx, GAN_SHAPE(R, K), 7, 7);
        double *noise = gumbel_ref((int64_t)R * K, seed, stream);
        gan_tensor *ys = gan_gumbel_softmax(ctx, x, 0.5f, 0, seed, stream);
        double sum_err, e = softmax_ref_err(x, ys, noise, 0.5, 0, &sum_err);
        th_check(e < 1e-5 && sum_err < 1e-5, "gumbel soft value vs double", "rel %.3g row-sum %.3g", e, sum_err);
        gan_tensor *yh = gan_gumbel_softmax(ctx, x, 0.5f, 1, seed, stream);
        int one_hot = 1, arg_ok = 1;
        for (int r = 0; r < R; r++) {
            int ones = 0, best = 0, at = -1;
            for (int j = 0; j < K; j++) {
                float v = yh->data[r * K + j];
                if (v == 1.0f) { ones++; at = j; }
                else if (v != 0.0f) one_hot = 0;
                if (x->data[r * K + j] + noise[r * K + j] > x->data[r * K + best] + noise[r * K + best]) best = j;
            }
            one_hot &= ones == 1;
            arg_ok &= at == best;
        }
        th_check(one_hot, "gumbel hard is exactly one-hot", "%s", "");
        th_check(arg_ok, "gumbel hard argmax == argmax(logits+noise)", "%s", "");
        gan_tensor *y2 = gan_gumbel_softmax(ctx, x, 0.5f, 0, seed, stream);
        gan_tensor *y3 = gan_gumbel_softmax(ctx, x, 0.5f, 0, seed, stream + 1);
        th_check(!memcmp(ys->data, y2->data, sizeof(float) * (size_t)x->numel) &&
                     memcmp(ys->data, y3->data, sizeof(float) * (size_t)x->numel),
                 "gumbel same seed same sample, other stream differs", "%s", "");
        free(noise);
    }
    /* The Gumbel-max trick: argmax frequencies converge to softmax(logits). */
    {
        int R = 200000, K = 4;
        float lg[] = {0.5f, -1.0f, 2.0f, 0.0f};
        gan_tensor *x = gan_empty(ctx, GAN_SHAPE(R, K));
        for (int r = 0; r < R; r++) memcpy(x->data + r * K, lg, sizeof lg);
        gan_tensor *yh = gan_gumbel_softmax(ctx, x, 1.0f, 1, 31, 1);
        double cnt[4] = {0}, p[4], s = 0, worst = 0;
        for (int64_t i = 0; i < yh->numel; i++) cnt[i % K] += yh->data[i];
        for (int j = 0; j < K; j++) s += exp(lg[j]);
        for (int j = 0; j < K; j++) {
            p[j] = exp(lg[j]) / s;
            worst = fmax(worst, fabs(cnt[j] / R - p[j]));
        }
        /* std of each frequency is at most 0.5/sqrt(R) = 0.0011 */
        th_check(worst < 0.006, "gumbel-max frequencies ~ softmax(logits)", "max dev %.4f", worst);
    }
    /* straight-through: the hard sample's gradients (first and second order) are the soft
     * sample's */
    {
        gan_tensor *x = leaf(ctx, GAN_SHAPE(3, 6), 50, 1.0f);
        gan_tensor *wt = gan_randn(ctx, GAN_SHAPE(3, 6), 8, 8);
        gan_tensor *g[2], *h[2];
        for (int k = 0; k < 2; k++) {
            gan_tensor *y = gan_gumbel_softmax(ctx, x, 0.7f, k, 99, 3);
            gan_grad(ctx, 1, &y, &wt, 1, &x, &g[k], 1);
            gan_tensor *n2 = gan_sum_all(ctx, gan_square(ctx, g[k]));
            gan_grad(ctx, 1, &n2, NULL, 1, &x, &h[k], 0);
        }
        double d1 = th_max_abs_diff(g[0]->data, g[1]->data, x->numel);
        double d2 = th_max_abs_diff(h[0]->data, h[1]->data, x->numel);
        double mag = th_max_abs_diff(g[0]->data, (float[18]){0}, x->numel);
        th_check(d1 == 0 && d2 == 0 && mag > 1e-3, "gumbel hard grad == soft grad",
                 "grad %.3g grad2 %.3g (|grad| %.3g)", d1, d2, mag);
        /* and the soft gradient is right (finite differences on the soft sample above) */
        in[0] = x;
        w1 = fmax(w1, th_gradcheck("gumbel_softmax soft (3,6)", f, 1, in, (void *)(intptr_t)F_GUMBEL, 1e-3, 2e-2));
    }
    printf("worst relative error: first order %.3g, second order %.3g\n", w1, w2);
    gan_ctx_free(ctx);
    return th_done("test_softmax");
}
