/* test_norm.c — batch/instance/layer norm: values against double-precision closed forms
 * (normalised output, running-stat update, eval mode), first- and second-order gradients
 * against finite differences. gan_batch_norm_act against gan_batch_norm + gan_leaky_relu,
 * bit for bit: output, running stats, first-order gradients (the fused kernels) and
 * gradients of gradients (create_graph), on shapes that take the threaded and the (N, C)
 * paths; and against finite differences. gan_leaky_relu_inplace against gan_leaky_relu. */
#include "harness.h"
#include <math.h>
#include <stdio.h>
#include <string.h>

#define EPS 1e-5f

static gan_tensor *randn(gan_ctx *ctx, int nd, const int *shape, uint64_t stream, float scale,
                         int grad) {
    gan_tensor *t = gan_empty(ctx, nd, shape);
    th_fill_randn(t, stream, scale);
    if (grad) gan_set_requires_grad(t, 1);
    return t;
}

/* Per-group mean and biased variance in double. Element i of x belongs to group
 * grp(i) = (i / inner) % groups when `across` (batch norm: channel c, strided over n and s),
 * otherwise to group i / gsize (instance/layer norm: contiguous runs). */
typedef struct { double mean[64], var[64]; int64_t count; } stats;

static int group_of(int64_t i, int across, int64_t inner, int groups, int64_t gsize) {
    return across ? (int)((i / inner) % groups) : (int)(i / gsize);
}

static stats ref_stats(const gan_tensor *x, int across, int64_t inner, int groups) {
    stats s;
    memset(&s, 0, sizeof s);
    int64_t gsize = x->numel / groups;
    s.count = gsize;
    for (int64_t i = 0; i < x->numel; i++)
        s.mean[group_of(i, across, inner, groups, gsize)] += x->data[i];
    for (int g = 0; g < groups; g++) s.mean[g] /= (double)gsize;
    for (int64_t i = 0; i < x->numel; i++) {
        int g = group_of(i, across, inner, groups, gsize);
        double d = x->data[i] - s.mean[g];
        s.var[g] += d * d;
    }
    for (int g = 0; g < groups; g++) s.var[g] /= (double)gsize;
    return s;
}

/* Max |y - ref| with ref = (x - mean)/sqrt(var + eps) * gamma[p] + beta[p], where the affine
 * parameter index p = param(i). */
static double ref_err(const gan_tensor *x, const gan_tensor *y, const stats *s, int across,
                      int64_t inner, int groups, const float *gamma, const float *beta,
                      int64_t pinner, int64_t pmod) {
    double worst = 0;
    int64_t gsize = x->numel / groups;
    for (int64_t i = 0; i < x->numel; i++) {
        int g = group_of(i, across, inner, groups, gsize);
        int64_t p = (i / pinner) % pmod;
        double r = (x->data[i] - s->mean[g]) / sqrt(s->var[g] + EPS);
        if (gamma) r *= gamma[p];
        if (beta) r += beta[p];
        worst = fmax(worst, fabs(r - y->data[i]));
    }
    return worst;
}

/* Per-group mean and biased variance of y itself (should be 0 and var/(var+eps)). */
static void moments_err(const gan_tensor *y, const stats *sx, int across, int64_t inner,
                        int groups, double *mean_err, double *var_err) {
    stats sy = ref_stats(y, across, inner, groups);
    *mean_err = *var_err = 0;
    for (int g = 0; g < groups; g++) {
        *mean_err = fmax(*mean_err, fabs(sy.mean[g]));
        *var_err = fmax(*var_err, fabs(sy.var[g] - sx->var[g] / (sx->var[g] + EPS)));
    }
}

/* ---------------------------------------------------------------- functions under test */

typedef enum { F_BN4, F_BN2, F_BN4_EVAL, F_IN, F_IN_NOAFF, F_LN1, F_LN3, F_BN_ACT } fid;

static float scratch_rm[16], scratch_rv[16];

static gan_tensor *f(gan_ctx *c, gan_tensor **in, void *ud) {
    gan_tensor *x = in[0], *g = in[1], *b = in[2];
    switch ((fid)(intptr_t)ud) {
    case F_BN4:
    case F_BN2:
        /* the running stats are scratch here: training output does not read them */
        return gan_batch_norm(c, x, g, b, scratch_rm, scratch_rv, 0.1f, EPS, 1);
    case F_BN4_EVAL: {
        float rm[3] = {0.3f, -0.2f, 0.1f}, rv[3] = {0.5f, 2.0f, 1.5f};
        /* square keeps the (affine) eval map from having a zero second derivative */
        return gan_square(c, gan_batch_norm(c, x, g, b, rm, rv, 0.1f, EPS, 0));
    }
    case F_IN: return gan_instance_norm(c, x, g, b, EPS);
    case F_IN_NOAFF: return gan_instance_norm(c, x, NULL, NULL, EPS);
    case F_LN1: return gan_layer_norm(c, x, 1, g, b, EPS);
    case F_LN3: return gan_layer_norm(c, x, 3, g, b, EPS);
    case F_BN_ACT: return gan_batch_norm_act(c, x, g, b, scratch_rm, scratch_rv, 0.1f, EPS, 1, 0.2f);
    }
    return NULL;
}


/* ---------------------------------------------------------------- fused batch norm + act */

static int same_bits(const gan_tensor *a, const gan_tensor *b) {
    return a->numel == b->numel && !memcmp(a->data, b->data, sizeof(float) * (size_t)a->numel);
}

/* y = act(bn(x)) fused (fused = 1) or as two ops; loss = sum(y * w). Returns the loss and, in
 * d[0..2], its gradients in x, gamma, beta; with second, in h[0..2] the gradients of
 * sum(d[0]^2) + sum(d[1]^2) + sum(d[2]^2) (through create_graph). */
static gan_tensor *bn_act_run(gan_ctx *ctx, int fused, int training, float slope, gan_tensor **in,
                              gan_tensor *w, float *rm, float *rv, gan_tensor **y_out,
                              gan_tensor **d, gan_tensor **h, int second) {
    gan_tensor *y = fused ? gan_batch_norm_act(ctx, in[0], in[1], in[2], rm, rv, 0.1f, EPS, training, slope)
                          : gan_leaky_relu(ctx, gan_batch_norm(ctx, in[0], in[1], in[2], rm, rv, 0.1f,
                                                               EPS, training), slope);
    *y_out = y;
    gan_tensor *loss = gan_sum_all(ctx, gan_mul(ctx, y, w));
    gan_grad(ctx, 1, &loss, NULL, 3, in, d, second);
    if (second) {
        gan_tensor *q = gan_add(ctx, gan_add(ctx, gan_sum_all(ctx, gan_square(ctx, d[0])),
                                             gan_sum_all(ctx, gan_square(ctx, d[1]))),
                                gan_sum_all(ctx, gan_square(ctx, d[2])));
        gan_grad(ctx, 1, &q, NULL, 3, in, h, 0);
    }
    return loss;
}

/* gan_leaky_relu_inplace on a conv's output (as D's first layer) == gan_leaky_relu: the
 * output, first-order gradients and gradients of gradients, bit for bit. */
static void test_leaky_inplace(gan_ctx *ctx, float slope) {
    gan_tensor *x = randn(ctx, GAN_SHAPE(8, 3, 20, 20), 60, 1.0f, 1);
    gan_tensor *w = randn(ctx, GAN_SHAPE(16, 3, 3, 3), 61, 0.3f, 1);
    gan_tensor *wl = randn(ctx, GAN_SHAPE(8, 16, 20, 20), 62, 1.0f, 0);
    gan_tensor *in[2] = {x, w}, *y[2], *d[2][2], *h[2][2];
    for (int k = 0; k < 2; k++) {
        gan_tensor *c = gan_conv2d(ctx, x, w, NULL, 1, 1);
        y[k] = k ? gan_leaky_relu_inplace(ctx, c, slope) : gan_leaky_relu(ctx, c, slope);
        gan_tensor *loss = gan_sum_all(ctx, gan_mul(ctx, gan_square(ctx, y[k]), wl));
        gan_grad(ctx, 1, &loss, NULL, 2, in, d[k], 1);
        gan_tensor *q = gan_add(ctx, gan_sum_all(ctx, gan_square(ctx, d[k][0])),
                                gan_sum_all(ctx, gan_square(ctx, d[k][1])));
        gan_grad(ctx, 1, &q, NULL, 2, in, h[k], 0);
    }
    int ok = same_bits(y[0], y[1]) && same_bits(d[0][0], d[1][0]) && same_bits(d[0][1], d[1][1]) &&
             same_bits(h[0][0], h[1][0]) && same_bits(h[0][1], h[1][1]);
    th_check(ok, "leaky_relu_inplace == leaky_relu: output, gradients, gradients of gradients",
             "slope %g, after a conv", slope);
}

static void test_bn_act(gan_ctx *ctx, int nd, const int *shape, float slope, int training,
                        const char *label) {
    int C = shape[1];
    gan_tensor *x = randn(ctx, nd, shape, 50, 1.5f, 1);
    /* a few exact zeros after normalising are unlikely; make some inputs repeat instead, and
     * shift channels so means differ */
    for (int64_t i = 0; i < x->numel; i += 7) x->data[i] = 0.25f;
    gan_tensor *in[3] = {x, randn(ctx, GAN_SHAPE(C), 51, 1.0f, 1), randn(ctx, GAN_SHAPE(C), 52, 1.0f, 1)};
    gan_tensor *w = randn(ctx, nd, shape, 53, 1.0f, 0);
    float rm[2][64], rv[2][64];
    for (int k = 0; k < 2; k++)
        for (int c = 0; c < C; c++) {
            rm[k][c] = 0.1f * (float)c;
            rv[k][c] = 1.0f + 0.05f * (float)c;
        }
    gan_tensor *y[2], *d[2][3], *h[2][3];
    int second = training; /* eval-mode gradients of gradients are covered by test F_BN4_EVAL */
    for (int k = 0; k < 2; k++) bn_act_run(ctx, k, training, slope, in, w, rm[k], rv[k], &y[k], d[k], h[k], second);
    int ok_y = same_bits(y[0], y[1]) && !memcmp(rm[0], rm[1], sizeof(float) * (size_t)C) &&
               !memcmp(rv[0], rv[1], sizeof(float) * (size_t)C);
    int ok_d = 1, ok_h = 1;
    for (int j = 0; j < 3; j++) {
        ok_d &= same_bits(d[0][j], d[1][j]);
        if (second) ok_h &= same_bits(h[0][j], h[1][j]);
    }
    char name[160];
    snprintf(name, sizeof name, "bn_act %s == bn + leaky_relu: output, running stats", label);
    th_check(ok_y, name, "slope %g", slope);
    snprintf(name, sizeof name, "bn_act %s == bn + leaky_relu: d/dx, d/dgamma, d/dbeta", label);
    th_check(ok_d, name, "slope %g (first order)", slope);
    if (second) {
        snprintf(name, sizeof name, "bn_act %s == bn + leaky_relu: gradients of gradients", label);
        th_check(ok_h, name, "slope %g (create_graph)", slope);
    }
}

static void grads(const char *name, fid id, gan_tensor *x, gan_tensor *g, gan_tensor *b,
                  int second) {
    gan_tensor *in[3] = {x, g, b};
    int n = g ? 3 : 1;
    th_gradcheck(name, f, n, in, (void *)(intptr_t)id, 1e-3, 2e-2);
    if (second) th_gradcheck2(name, f, n, in, (void *)(intptr_t)id, 1e-3, 3e-2);
}

int main(void) {
    gan_ctx *ctx = gan_ctx_new(0);

    /* ---- batch norm, training, (N,C,H,W) = (4,3,2,3) */
    {
        gan_tensor *x = randn(ctx, GAN_SHAPE(4, 3, 2, 3), 1, 2.0f, 0);
        for (int64_t i = 0; i < x->numel; i++) x->data[i] += (float)((i / 6) % 3) - 1.0f;
        float gamma[3] = {1.5f, -0.5f, 2.0f}, beta[3] = {0.1f, 0.2f, -0.3f};
        gan_tensor *g = gan_from_data(ctx, GAN_SHAPE(3), gamma);
        gan_tensor *b = gan_from_data(ctx, GAN_SHAPE(3), beta);
        stats s = ref_stats(x, 1, 6, 3);

        float rm[3] = {0.5f, -1.0f, 0.0f}, rv[3] = {2.0f, 0.5f, 1.0f};
        float rm0[3], rv0[3];
        memcpy(rm0, rm, sizeof rm);
        memcpy(rv0, rv, sizeof rv);
        gan_tensor *y = gan_batch_norm(ctx, x, NULL, NULL, rm, rv, 0.1f, EPS, 1);
        double me, ve;
        moments_err(y, &s, 1, 6, 3, &me, &ve);
        th_check(me < 1e-6 && ve < 1e-5, "bn4 train: per-channel mean 0, var 1",
                 "mean err %.2g var err %.2g", me, ve);
        double e = ref_err(x, y, &s, 1, 6, 3, NULL, NULL, 6, 3);
        th_check(e < 1e-5, "bn4 train value (no affine)", "max_abs %.3g", e);
        double re = 0;
        for (int c = 0; c < 3; c++) {
            double want_m = 0.9 * rm0[c] + 0.1 * s.mean[c];
            double want_v = 0.9 * rv0[c] + 0.1 * s.var[c] * s.count / (s.count - 1.0);
            re = fmax(re, fmax(fabs(rm[c] - want_m), fabs(rv[c] - want_v)));
        }
        th_check(re < 1e-6, "bn4 running stats (unbiased var)", "max_abs %.3g", re);

        y = gan_batch_norm(ctx, x, g, b, NULL, NULL, 0.1f, EPS, 1);
        e = ref_err(x, y, &s, 1, 6, 3, gamma, beta, 6, 3);
        th_check(e < 1e-5, "bn4 train value (affine, no stats)", "max_abs %.3g", e);

        /* eval: running stats, not the batch's; and the stats must stay put */
        float rm1[3], rv1[3];
        memcpy(rm1, rm, sizeof rm);
        memcpy(rv1, rv, sizeof rv);
        y = gan_batch_norm(ctx, x, g, b, rm, rv, 0.1f, EPS, 0);
        stats rs;
        for (int c = 0; c < 3; c++) { rs.mean[c] = rm[c]; rs.var[c] = rv[c]; }
        e = ref_err(x, y, &rs, 1, 6, 3, gamma, beta, 6, 3);
        th_check(e < 1e-5 && !memcmp(rm, rm1, sizeof rm) && !memcmp(rv, rv1, sizeof rv),
                 "bn4 eval uses running stats", "max_abs %.3g", e);
    }
    /* ---- batch norm, (N,C) = (8,3) */
    {
        gan_tensor *x = randn(ctx, GAN_SHAPE(8, 3), 2, 3.0f, 0);
        float gamma[3] = {0.7f, 1.2f, -1.0f}, beta[3] = {0.0f, 1.0f, 2.0f};
        gan_tensor *g = gan_from_data(ctx, GAN_SHAPE(3), gamma);
        gan_tensor *b = gan_from_data(ctx, GAN_SHAPE(3), beta);
        stats s = ref_stats(x, 1, 1, 3);
        float rm[3] = {0, 0, 0}, rv[3] = {1, 1, 1};
        gan_tensor *y = gan_batch_norm(ctx, x, g, b, rm, rv, 0.3f, EPS, 1);
        double e = ref_err(x, y, &s, 1, 1, 3, gamma, beta, 1, 3);
        th_check(e < 1e-5, "bn2 train value", "max_abs %.3g", e);
        double re = 0;
        for (int c = 0; c < 3; c++) {
            re = fmax(re, fabs(rm[c] - 0.3 * s.mean[c]));
            re = fmax(re, fabs(rv[c] - (0.7 + 0.3 * s.var[c] * 8.0 / 7.0)));
        }
        th_check(re < 1e-6, "bn2 running stats (unbiased var)", "max_abs %.3g", re);
        y = gan_batch_norm(ctx, x, NULL, NULL, rm, rv, 0.3f, EPS, 0);
        stats rs;
        for (int c = 0; c < 3; c++) { rs.mean[c] = rm[c]; rs.var[c] = rv[c]; }
        e = ref_err(x, y, &rs, 1, 1, 3, NULL, NULL, 1, 3);
        th_check(e < 1e-5, "bn2 eval uses running stats", "max_abs %.3g", e);
    }
    /* ---- instance norm (2,3,3,4) */
    {
        gan_tensor *x = randn(ctx, GAN_SHAPE(2, 3, 3, 4), 3, 1.5f, 0);
        for (int64_t i = 0; i < x->numel; i++) x->data[i] += (float)(i / 12) * 0.5f;
        float gamma[3] = {1.5f, -0.5f, 2.0f}, beta[3] = {0.1f, 0.2f, -0.3f};
        gan_tensor *g = gan_from_data(ctx, GAN_SHAPE(3), gamma);
        gan_tensor *b = gan_from_data(ctx, GAN_SHAPE(3), beta);
        stats s = ref_stats(x, 0, 0, 6);
        gan_tensor *y = gan_instance_norm(ctx, x, NULL, NULL, EPS);
        double me, ve;
        moments_err(y, &s, 0, 0, 6, &me, &ve);
        th_check(me < 1e-6 && ve < 1e-5, "instance norm: per-(n,c) mean 0, var 1",
                 "mean err %.2g var err %.2g", me, ve);
        y = gan_instance_norm(ctx, x, g, b, EPS);
        double e = ref_err(x, y, &s, 0, 0, 6, gamma, beta, 12, 3);
        th_check(e < 1e-5, "instance norm value (affine)", "max_abs %.3g", e);
    }
    /* ---- layer norm: (5,6) over the last dim, (2,3,2,2) over the last three */
    {
        gan_tensor *x = randn(ctx, GAN_SHAPE(5, 6), 4, 2.0f, 0);
        gan_tensor *g = randn(ctx, GAN_SHAPE(6), 5, 1.0f, 0);
        gan_tensor *b = randn(ctx, GAN_SHAPE(6), 6, 1.0f, 0);
        stats s = ref_stats(x, 0, 0, 5);
        gan_tensor *y = gan_layer_norm(ctx, x, 1, NULL, NULL, EPS);
        double me, ve;
        moments_err(y, &s, 0, 0, 5, &me, &ve);
        th_check(me < 1e-6 && ve < 1e-5, "layer norm(1): per-row mean 0, var 1",
                 "mean err %.2g var err %.2g", me, ve);
        y = gan_layer_norm(ctx, x, 1, g, b, EPS);
        double e = ref_err(x, y, &s, 0, 0, 5, g->data, b->data, 1, 6);
        th_check(e < 1e-5, "layer norm(1) value (affine)", "max_abs %.3g", e);

        x = randn(ctx, GAN_SHAPE(2, 3, 2, 2), 7, 2.0f, 0);
        x->data[0] += 3.0f;
        g = randn(ctx, GAN_SHAPE(3, 2, 2), 8, 1.0f, 0);
        b = randn(ctx, GAN_SHAPE(3, 2, 2), 9, 1.0f, 0);
        s = ref_stats(x, 0, 0, 2);
        y = gan_layer_norm(ctx, x, 3, g, b, EPS);
        e = ref_err(x, y, &s, 0, 0, 2, g->data, b->data, 1, 12);
        th_check(e < 1e-5, "layer norm(3) value (affine)", "max_abs %.3g", e);
    }

    /* ---- gradients (x, gamma, beta all differentiated) */
    grads("batch_norm train (4,3,2,3)", F_BN4, randn(ctx, GAN_SHAPE(4, 3, 2, 3), 20, 1.0f, 1),
          randn(ctx, GAN_SHAPE(3), 21, 1.0f, 1), randn(ctx, GAN_SHAPE(3), 22, 1.0f, 1), 1);
    grads("batch_norm train (6,3)", F_BN2, randn(ctx, GAN_SHAPE(6, 3), 23, 1.0f, 1),
          randn(ctx, GAN_SHAPE(3), 24, 1.0f, 1), randn(ctx, GAN_SHAPE(3), 25, 1.0f, 1), 1);
    grads("batch_norm eval (2,3,2,2)", F_BN4_EVAL, randn(ctx, GAN_SHAPE(2, 3, 2, 2), 26, 1.0f, 1),
          randn(ctx, GAN_SHAPE(3), 27, 1.0f, 1), randn(ctx, GAN_SHAPE(3), 28, 1.0f, 1), 1);
    grads("instance_norm (2,3,2,3)", F_IN, randn(ctx, GAN_SHAPE(2, 3, 2, 3), 30, 1.0f, 1),
          randn(ctx, GAN_SHAPE(3), 31, 1.0f, 1), randn(ctx, GAN_SHAPE(3), 32, 1.0f, 1), 1);
    grads("instance_norm no affine", F_IN_NOAFF, randn(ctx, GAN_SHAPE(2, 2, 2, 3), 33, 1.0f, 1),
          NULL, NULL, 1);
    grads("layer_norm(1) (4,5)", F_LN1, randn(ctx, GAN_SHAPE(4, 5), 40, 1.0f, 1),
          randn(ctx, GAN_SHAPE(5), 41, 1.0f, 1), randn(ctx, GAN_SHAPE(5), 42, 1.0f, 1), 1);
    grads("layer_norm(3) (2,3,2,2)", F_LN3, randn(ctx, GAN_SHAPE(2, 3, 2, 2), 43, 1.0f, 1),
          randn(ctx, GAN_SHAPE(3, 2, 2), 44, 1.0f, 1), randn(ctx, GAN_SHAPE(3, 2, 2), 45, 1.0f, 1), 1);

    grads("batch_norm_act train (4,3,2,3)", F_BN_ACT, randn(ctx, GAN_SHAPE(4, 3, 2, 3), 46, 1.0f, 1),
          randn(ctx, GAN_SHAPE(3), 47, 1.0f, 1), randn(ctx, GAN_SHAPE(3), 48, 1.0f, 1), 0);

    /* ---- fused batch norm + activation: the same bits as the two ops */
    for (int k = 0; k < 2; k++) {
        float slope = k ? 0.2f : 0.0f;
        test_bn_act(ctx, GAN_SHAPE(4, 3, 2, 3), slope, 1, "(4,3,2,3)");
        test_bn_act(ctx, GAN_SHAPE(8, 16, 24, 24), slope, 1, "(8,16,24,24) threaded");
        test_bn_act(ctx, GAN_SHAPE(64, 40), slope, 1, "(64,40)");
        test_bn_act(ctx, GAN_SHAPE(4, 3, 5, 5), slope, 0, "eval (4,3,5,5)");
        test_leaky_inplace(ctx, slope);
    }

    gan_ctx_free(ctx);
    return th_done("test_norm");
}
