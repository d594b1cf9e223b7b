/* norm.c — batch, instance and layer normalisation.
 *
 * Batch and instance norm are one fused op each: per-group statistics in one pass (double
 * accumulators), normalise + affine in a second. The node's backward rule is written with
 * ops, recomputing x̂ from x, so create_graph gives exact second-order gradients (WGAN-GP,
 * R1); a first-order backward (grad mode off) runs a fused kernel instead, from the mean and
 * 1/std saved with the node. Layer norm is composed from mean/sub/mul/rsqrt ops. Variance is
 * the biased one and eps sits inside the sqrt, as PyTorch.
 *
 * gan_batch_norm_act is batch norm followed by ReLU / LeakyReLU as one op with one output, so
 * conv -> BN -> act keeps two tensors per layer instead of three; gan_leaky_relu_inplace is the
 * no-norm case, conv -> act keeping one. Both give the bits of the ops they replace, output
 * and gradients: the activation's mask (1 where its input z > 0, else the slope) is read back
 * from the output y, which is > 0 exactly where z is. */
#include "internal.h"
#include <math.h>

/* ---------------------------------------------------------------- grouped kernels
 * x viewed as (A, G, S): element (a, g, s) at (a*G + g)*S + s. Statistics are per group g
 * over (a, s); the affine parameters are per channel g % C.
 *   batch norm (N,C,H,W):    (N, C, H*W)     instance norm (N,C,H,W): (1, N*C, H*W) */
typedef struct { int64_t A, G, S; int C; } gview;

enum { K_BATCH, K_INSTANCE };

static gview make_view(const gan_tensor *x, int kind) {
    int64_t N = x->shape[0], C = x->shape[1], S = x->numel / (N * C);
    gview v = {N, C, S, (int)C};
    if (kind == K_INSTANCE) { v.A = 1; v.G = N * C; }
    return v;
}

#define GBLOCK 8   /* groups per work item: their runs of one `a` sit together in memory */

/* Groups per work item: fewer when there are few groups, so threads get work. A group's
 * order of summation does not depend on it. */
static int64_t group_block(int64_t G) {
    int64_t b = G / 16;
    return b < 1 ? 1 : b > GBLOCK ? GBLOCK : b;
}

/* Σ (p - k) and Σ (p - k)^2 over a run, added to s1/s2. The shift k (the group's first value)
 * keeps the one-pass variance free of cancellation when |mean| >> std. */
static inline void shifted_sums(const float *p, int64_t n, double k, double *s1, double *s2) {
    double a[8] = {0, 0, 0, 0, 0, 0, 0, 0}, q[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    int64_t i = 0;
    for (; i + 8 <= n; i += 8)
        for (int j = 0; j < 8; j++) {
            double d = (double)p[i + j] - k;
            a[j] += d;
            q[j] += d * d;
        }
    double t1 = ((a[0] + a[4]) + (a[1] + a[5])) + ((a[2] + a[6]) + (a[3] + a[7]));
    double t2 = ((q[0] + q[4]) + (q[1] + q[5])) + ((q[2] + q[6]) + (q[3] + q[7]));
    for (; i < n; i++) {
        double d = (double)p[i] - k;
        t1 += d;
        t2 += d * d;
    }
    *s1 += t1;
    *s2 += t2;
}

/* An activation after the norm: off, or the bits of 1.0f and of the slope. */
typedef struct { int on; uint32_t one, slope; } act_bits;

static act_bits make_act(int on, float slope) {
    act_bits a = {on, 0, 0};
    float one = 1.0f;
    memcpy(&a.one, &one, sizeof a.one);
    memcpy(&a.slope, &slope, sizeof a.slope);
    return a;
}

/* Σ dy and Σ dy * (x - m) over a run, added to s1/s2. With act.on, dy is the gradient of the
 * activation's output y and the sums take dy * factor(y), the norm's output gradient, formed
 * on the fly with the same float product the activation's rule would store. */
static inline void grad_sums(const float *x, const float *dy, const float *y, act_bits act,
                             int64_t n, double m, double *s1, double *s2) {
    double a[8] = {0, 0, 0, 0, 0, 0, 0, 0}, q[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    int64_t i = 0;
#define DZ(k) (act.on ? dy[k] * gan_leaky_factor(y[k], act.one, act.slope) : dy[k])
    for (; i + 8 <= n; i += 8)
        for (int j = 0; j < 8; j++) {
            double g = (double)DZ(i + j);
            a[j] += g;
            q[j] += g * ((double)x[i + j] - m);
        }
    double t1 = ((a[0] + a[4]) + (a[1] + a[5])) + ((a[2] + a[6]) + (a[3] + a[7]));
    double t2 = ((q[0] + q[4]) + (q[1] + q[5])) + ((q[2] + q[6]) + (q[3] + q[7]));
    for (; i < n; i++) {
        double g = (double)DZ(i);
        t1 += g;
        t2 += g * ((double)x[i] - m);
    }
#undef DZ
    *s1 += t1;
    *s2 += t2;
}

// x (A,G,S) -> mean (G), invstd (G) = 1/sqrt(var + eps), var (G, biased)
static void group_stats(const float *x, gview v, float eps, float *mean, float *invstd,
                        double *var) {
    int64_t gb = group_block(v.G), nb = (v.G + gb - 1) / gb;
    double cnt = (double)(v.A * v.S);
#pragma omp parallel for schedule(static) if (v.A * v.G * v.S > GAN_PARALLEL_MIN && nb > 1)
    for (int64_t b = 0; b < nb; b++) {
        int64_t g0 = b * gb, ng = v.G - g0 < gb ? v.G - g0 : gb;
        double s1[GBLOCK] = {0}, s2[GBLOCK] = {0}, k[GBLOCK];
        for (int64_t j = 0; j < ng; j++) k[j] = x[(g0 + j) * v.S];
        /* every group of the block sums its runs in the order a = 0, 1, ... */
        for (int64_t a = 0; a < v.A; a++)
            for (int64_t j = 0; j < ng; j++)
                shifted_sums(x + (a * v.G + g0 + j) * v.S, v.S, k[j], &s1[j], &s2[j]);
        for (int64_t j = 0; j < ng; j++) {
            double m1 = s1[j] / cnt, vr = s2[j] / cnt - m1 * m1;
            if (vr < 0) vr = 0;
            mean[g0 + j] = (float)(k[j] + m1);
            invstd[g0 + j] = (float)(1.0 / sqrt(vr + (double)eps));
            if (var) var[g0 + j] = vr;
        }
    }
}

// x, dy (A,G,S), mean (G) -> sg (G) = Σ dy, sgx (G) = Σ dy * (x - mean), per group
// (with act.on, dy * factor(y) in place of dy: see grad_sums)
static void group_grad_sums(const float *x, const float *dy, const float *y, act_bits act,
                            gview v, const float *mean, double *sg, double *sgx) {
    int64_t gb = group_block(v.G), nb = (v.G + gb - 1) / gb;
#pragma omp parallel for schedule(static) if (v.A * v.G * v.S > GAN_PARALLEL_MIN && nb > 1)
    for (int64_t b = 0; b < nb; b++) {
        int64_t g0 = b * gb, ng = v.G - g0 < gb ? v.G - g0 : gb;
        double s1[GBLOCK] = {0}, s2[GBLOCK] = {0};
        for (int64_t a = 0; a < v.A; a++)
            for (int64_t j = 0; j < ng; j++) {
                int64_t off = (a * v.G + g0 + j) * v.S;
                /* two calls, each with a constant act.on, so the inlined loops don't branch */
                if (act.on)
                    grad_sums(x + off, dy + off, y + off, (act_bits){1, act.one, act.slope}, v.S,
                              mean[g0 + j], &s1[j], &s2[j]);
                else
                    grad_sums(x + off, dy + off, NULL, (act_bits){0, 0, 0}, v.S, mean[g0 + j],
                              &s1[j], &s2[j]);
            }
        for (int64_t j = 0; j < ng; j++) {
            sg[g0 + j] = s1[j];
            sgx[g0 + j] = s2[j];
        }
    }
}

// z (n) -> z * factor(z), in place: the activation applied to a normalised row
static inline void act_row(float *z, int64_t n, act_bits a) {
#pragma omp simd
    for (int64_t i = 0; i < n; i++) z[i] = z[i] * gan_leaky_factor(z[i], a.one, a.slope);
}

// x (A,G,S), dy (A,G,S) or NULL -> out (A,G,S) = (x - m[g]) * p[g] + q[g] (+ r[g] * dy);
// forward (dy NULL) with act.on: then out * factor(out); backward with act.on: dy * factor(y)
// in place of dy, y (A,G,S) the activation's output
static void group_affine(const float *x, const float *dy, const float *y, float *out, gview v,
                         const float *m, const float *p, const float *q, const float *r,
                         act_bits act) {
    int64_t n = v.A * v.G * v.S;
    if (v.S == 1) {   /* (N, C): rows of channels */
#pragma omp parallel for schedule(static) if (n > GAN_PARALLEL_MIN)
        for (int64_t a = 0; a < v.A; a++) {
            const float *xa = x + a * v.G;
            float *oa = out + a * v.G;
            if (dy && act.on) {
                const float *da = dy + a * v.G, *ya = y + a * v.G;
#pragma omp simd
                for (int64_t g = 0; g < v.G; g++)
                    oa[g] = (xa[g] - m[g]) * p[g] + q[g] +
                            r[g] * (da[g] * gan_leaky_factor(ya[g], act.one, act.slope));
            } else if (dy) {
                const float *da = dy + a * v.G;
#pragma omp simd
                for (int64_t g = 0; g < v.G; g++) oa[g] = (xa[g] - m[g]) * p[g] + q[g] + r[g] * da[g];
            } else {
#pragma omp simd
                for (int64_t g = 0; g < v.G; g++) oa[g] = (xa[g] - m[g]) * p[g] + q[g];
                if (act.on) act_row(oa, v.G, act);
            }
        }
        return;
    }
    int64_t rows = v.A * v.G;
#pragma omp parallel for schedule(static) if (n > GAN_PARALLEL_MIN)
    for (int64_t row = 0; row < rows; row++) {
        int64_t g = row % v.G;
        const float *xr = x + row * v.S;
        float *orow = out + row * v.S;
        float mg = m[g], pg = p[g], qg = q[g];
        if (dy && act.on) {
            const float *dr = dy + row * v.S, *yr = y + row * v.S;
            float rg = r[g];
#pragma omp simd
            for (int64_t s = 0; s < v.S; s++)
                orow[s] = (xr[s] - mg) * pg + qg + rg * (dr[s] * gan_leaky_factor(yr[s], act.one, act.slope));
        } else if (dy) {
            const float *dr = dy + row * v.S;
            float rg = r[g];
#pragma omp simd
            for (int64_t s = 0; s < v.S; s++) orow[s] = (xr[s] - mg) * pg + qg + rg * dr[s];
        } else {
#pragma omp simd
            for (int64_t s = 0; s < v.S; s++) orow[s] = (xr[s] - mg) * pg + qg;
            if (act.on) act_row(orow, v.S, act);
        }
    }
}

static float *arena_floats(gan_ctx *ctx, int64_t n) {
    return gan_ctx_alloc(ctx, sizeof(float) * (size_t)n);
}

/* ---------------------------------------------------------------- composed helpers */

/* x normalised over `axes` (keepdim statistics), written with ops.
 * x (...), axes bitmask -> (...) same shape; *inv_out = 1/sqrt(var + eps) (keepdim) */
static gan_tensor *normalize(gan_ctx *ctx, gan_tensor *x, unsigned axes, float eps,
                             gan_tensor **inv_out) {
    gan_tensor *mean = gan_mean(ctx, x, axes, 1);
    gan_tensor *xc = gan_sub(ctx, x, mean);
    gan_tensor *var = gan_mean(ctx, gan_square(ctx, xc), axes, 1);
    gan_tensor *inv = gan_rsqrt(ctx, gan_add_scalar(ctx, var, eps));
    if (inv_out) *inv_out = inv;
    return gan_mul(ctx, xc, inv);
}

/* A per-channel (C) tensor viewed as (1,C,1,...) so it broadcasts against x (N,C,...). */
static gan_tensor *channel_view(gan_ctx *ctx, gan_tensor *p, const gan_tensor *x) {
    int shape[GAN_MAX_DIMS];
    GAN_ASSERT_MSG(p->numel == x->shape[1], "norm: gamma/beta must have C elements");
    for (int i = 0; i < x->ndim; i++) shape[i] = i == 1 ? x->shape[1] : 1;
    return gan_reshape(ctx, p, x->ndim, shape);
}

static gan_tensor *affine(gan_ctx *ctx, gan_tensor *y, gan_tensor *gamma, gan_tensor *beta) {
    if (gamma) y = gan_mul(ctx, y, gamma);
    if (beta) y = gan_add(ctx, y, beta);
    return y;
}

/* Reduction mask over every dim of x except dim 1 (channels). */
static unsigned all_but_channel(const gan_tensor *x) {
    return ((1u << x->ndim) - 1) & ~GAN_AXIS(1);
}

/* Σ of t over every dim but the channel, shaped like the parameter p (C elements). */
static gan_tensor *channel_sum(gan_ctx *ctx, gan_tensor *t, const gan_tensor *p) {
    return gan_reshape(ctx, gan_sum(ctx, t, all_but_channel(t), 0), p->ndim, p->shape);
}

/* ---------------------------------------------------------------- fused batch/instance norm */

/* Node layout: in = {x, gamma, beta} (gamma/beta may be NULL), iarg[0] = statistic axes,
 * iarg[1] = kind, farg[0] = eps, saved = (2, G): per-group mean, then 1/std. */
static void group_norm_grad1(gan_ctx *ctx, gan_node *n, gan_tensor *dy, const float *y,
                             act_bits act, gan_tensor **din);

static void group_norm_bw(gan_ctx *ctx, gan_node *n, gan_tensor *dy, gan_tensor **din) {
    gan_tensor *x = n->in[0], *gamma = n->in[1], *beta = n->in[2];
    int need_x = gan_needs_grad(x), need_g = gan_needs_grad(gamma), need_b = gan_needs_grad(beta);
    if (gan_ctx_grad_enabled(ctx)) {
        /* create_graph: the rule with ops, x̂ recomputed from x so it is differentiable in x
         *   dx̂ = dy γ,  dx = (dx̂ - mean(dx̂) - x̂ mean(dx̂ x̂)) / std,
         *   dγ = Σ dy x̂,  dβ = Σ dy   (means over the statistic axes, Σ over all but C) */
        unsigned axes = (unsigned)n->iarg[0];
        if (need_b) din[2] = channel_sum(ctx, dy, beta);
        if (!need_x && !need_g) return;
        gan_tensor *inv;
        gan_tensor *xhat = normalize(ctx, x, axes, n->farg[0], &inv);
        if (need_g) din[1] = channel_sum(ctx, gan_mul(ctx, dy, xhat), gamma);
        if (need_x) {
            gan_tensor *dxh = gamma ? gan_mul(ctx, dy, channel_view(ctx, gamma, x)) : dy;
            gan_tensor *t = gan_sub(ctx, dxh, gan_mean(ctx, dxh, axes, 1));
            t = gan_sub(ctx, t, gan_mul(ctx, xhat, gan_mean(ctx, gan_mul(ctx, dxh, xhat), axes, 1)));
            din[0] = gan_mul(ctx, t, inv);
        }
        return;
    }
    group_norm_grad1(ctx, n, dy, NULL, make_act(0, 0.0f), din);
}

/* First order: the same formulas from the saved statistics, in two passes over x and dy.
 * With act.on, dy is the gradient of the activation's output y (gan_batch_norm_act) and the
 * passes form the norm's output gradient dy * factor(y) on the fly: no tensor for it. */
static void group_norm_grad1(gan_ctx *ctx, gan_node *n, gan_tensor *dy, const float *y,
                             act_bits act, gan_tensor **din) {
    gan_tensor *x = n->in[0], *gamma = n->in[1], *beta = n->in[2];
    int need_x = gan_needs_grad(x), need_g = gan_needs_grad(gamma), need_b = gan_needs_grad(beta);
    gview v = make_view(x, n->iarg[1]);
    const float *mean = n->saved->data, *invstd = n->saved->data + v.G;
    double *sg = gan_ctx_alloc(ctx, sizeof(double) * 2 * (size_t)v.G), *sgx = sg + v.G;
    group_grad_sums(x->data, dy->data, y, act, v, mean, sg, sgx);
    if (need_g || need_b) {
        gan_tensor *dg = need_g ? gan_empty(ctx, gamma->ndim, gamma->shape) : NULL;
        gan_tensor *db = need_b ? gan_empty(ctx, beta->ndim, beta->shape) : NULL;
        /* groups of one channel are summed in group order (instance norm: over n) */
        double *cg = gan_ctx_alloc(ctx, sizeof(double) * 2 * (size_t)v.C), *cb = cg + v.C;
        for (int c = 0; c < v.C; c++) cg[c] = cb[c] = 0;
        for (int64_t g = 0; g < v.G; g++) {
            cg[g % v.C] += sgx[g] * invstd[g];
            cb[g % v.C] += sg[g];
        }
        for (int c = 0; c < v.C; c++) {
            if (dg) dg->data[c] = (float)cg[c];
            if (db) db->data[c] = (float)cb[c];
        }
        din[1] = dg;
        din[2] = db;
    }
    if (need_x) {
        /* dx = k dy - k/std² (Σ dy(x-m))/cnt (x - m) - k (Σ dy)/cnt, k = γ/std */
        float *p = arena_floats(ctx, 3 * v.G), *q = p + v.G, *r = q + v.G;
        double cnt = (double)(v.A * v.S);
        for (int64_t g = 0; g < v.G; g++) {
            double is = invstd[g], k = is * (gamma ? gamma->data[g % v.C] : 1.0f);
            r[g] = (float)k;
            p[g] = (float)(-k * is * is * sgx[g] / cnt);
            q[g] = (float)(-k * sg[g] / cnt);
        }
        /* elementwise in dy: written over it when the tape would drop dy next anyway */
        gan_tensor *dx = gan_grad_consumable(ctx, dy) ? gan_tensor_header(ctx, x->ndim, x->shape, dy->data)
                                                      : gan_empty_like(ctx, x);
        group_affine(x->data, dy->data, y, dx->data, v, mean, p, q, r, act);
        din[0] = dx;
    }
}

/* The same node layout plus farg[1] = slope; out = act(z), z = the normalised x. The
 * activation's rule first (dz = dy * factor(y), the bits gan_leaky_relu's rule gives from z),
 * then batch norm's on dz. With create_graph both are recorded as the two ops would be; the
 * first-order kernels form dz on the fly. */
static void group_norm_act_bw(gan_ctx *ctx, gan_node *n, gan_tensor *dy, gan_tensor **din) {
    const float *y = n->out->data;
    float slope = n->farg[1];
    gan_tensor *dz;
    if (gan_ctx_grad_enabled(ctx)) {
        /* the constant mask leaky_relu's rule multiplies by (nothing recorded for it) */
        gan_tensor *mask = gan_empty_like(ctx, n->out);
        int64_t len = mask->numel;
#pragma omp parallel for schedule(static) if (len > GAN_PARALLEL_MIN)
        for (int64_t i = 0; i < len; i++) mask->data[i] = y[i] > 0 ? 1.0f : slope;
        dz = gan_mul(ctx, dy, mask);
        group_norm_bw(ctx, n, dz, din);
        return;
    }
    group_norm_grad1(ctx, n, dy, y, make_act(1, slope), din);
}

/* Normalises x per group of `kind` with batch statistics, then the per-channel affine map.
 * mean_out (G floats) and var_out (G doubles, biased) may be NULL. x (N,C,...) -> same shape */
static gan_tensor *group_norm(gan_ctx *ctx, gan_tensor *x, gan_tensor *gamma, gan_tensor *beta,
                              int kind, unsigned axes, float eps, const char *name,
                              const float **mean_out, double *var_out, int act, float slope) {
    gview v = make_view(x, kind);
    if (gamma) GAN_ASSERT_MSG(gamma->numel == v.C, "norm: gamma/beta must have C elements");
    if (beta) GAN_ASSERT_MSG(beta->numel == v.C, "norm: gamma/beta must have C elements");
    gan_tensor *stats = gan_empty(ctx, GAN_SHAPE(2, (int)v.G));
    float *mean = stats->data, *invstd = stats->data + v.G;
    group_stats(x->data, v, eps, mean, invstd, var_out);
    if (mean_out) *mean_out = mean;
    float *p = arena_floats(ctx, 2 * v.G), *q = p + v.G;
    for (int64_t g = 0; g < v.G; g++) {
        int c = (int)(g % v.C);
        p[g] = gamma ? invstd[g] * gamma->data[c] : invstd[g];
        q[g] = beta ? beta->data[c] : 0.0f;
    }
    gan_tensor *y = gan_empty_like(ctx, x);
    group_affine(x->data, NULL, NULL, y->data, v, mean, p, q, NULL, make_act(act, slope));
    gan_node *nd = gan_record(ctx, y, name, act ? group_norm_act_bw : group_norm_bw, 3,
                              (gan_tensor *[]){x, gamma, beta});
    if (nd) {
        nd->iarg[0] = (int)axes;
        nd->iarg[1] = kind;
        nd->farg[0] = eps;
        nd->farg[1] = slope;
        nd->saved = stats;
    }
    return y;
}

/* Eval batch norm: y = (x - rm) * (γ / sqrt(rv + eps)) + β with constant rm, rv.
 * saved = (2, C): rm, then 1/sqrt(rv + eps). */
static void bn_eval_bw(gan_ctx *ctx, gan_node *n, gan_tensor *dy, gan_tensor **din) {
    gan_tensor *x = n->in[0], *gamma = n->in[1], *beta = n->in[2];
    int C = x->shape[1];
    gan_tensor *rm = gan_tensor_header(ctx, 1, &C, n->saved->data);
    gan_tensor *inv = channel_view(ctx, gan_tensor_header(ctx, 1, &C, n->saved->data + C), x);
    if (gan_needs_grad(x)) {
        gan_tensor *s = gamma ? gan_mul(ctx, channel_view(ctx, gamma, x), inv) : inv;
        din[0] = gan_mul(ctx, dy, s);
    }
    if (gan_needs_grad(gamma)) {
        gan_tensor *xn = gan_mul(ctx, gan_sub(ctx, x, channel_view(ctx, rm, x)), inv);
        din[1] = channel_sum(ctx, gan_mul(ctx, dy, xn), gamma);
    }
    if (gan_needs_grad(beta)) din[2] = channel_sum(ctx, dy, beta);
}

// x (N,C,...), gamma/beta (C) or NULL, running stats C floats -> (N,C,...); act: then the
// leaky ReLU of `slope` (gan_batch_norm_act) in the same op
static gan_tensor *batch_norm(gan_ctx *ctx, gan_tensor *x, gan_tensor *gamma, gan_tensor *beta,
                              float *running_mean, float *running_var, float momentum, float eps,
                              int training, int act, float slope) {
    GAN_ASSERT_MSG(x->ndim >= 2, "batch_norm: x must be (N,C,...)");
    int C = x->shape[1];
    int64_t n = x->numel / C;   /* values per channel */
    if (gamma) GAN_ASSERT_MSG(gamma->numel == C, "norm: gamma/beta must have C elements");
    if (beta) GAN_ASSERT_MSG(beta->numel == C, "norm: gamma/beta must have C elements");
    if (training) {
        GAN_ASSERT_MSG(n > 1, "batch_norm: more than one value per channel needed in training");
        double *var = gan_ctx_alloc(ctx, sizeof(double) * (size_t)C);
        const float *mean;
        gan_tensor *y = group_norm(ctx, x, gamma, beta, K_BATCH, all_but_channel(x), eps,
                                   act ? "batch_norm_act" : "batch_norm", &mean, var, act, slope);
        /* the running estimate is state, not part of the graph: plain loops on the values */
        if (running_mean && running_var) {
            double unbias = (double)n / (double)(n - 1);
            for (int c = 0; c < C; c++) {
                running_mean[c] = (1.0f - momentum) * running_mean[c] + momentum * mean[c];
                running_var[c] = (1.0f - momentum) * running_var[c] +
                                 momentum * (float)(var[c] * unbias);
            }
        }
        return y;
    }
    GAN_ASSERT_MSG(running_mean && running_var, "batch_norm: eval needs running stats");
    gview v = make_view(x, K_BATCH);
    gan_tensor *saved = gan_empty(ctx, GAN_SHAPE(2, C));
    float *rm = saved->data, *inv = saved->data + C;
    float *p = arena_floats(ctx, 2 * (int64_t)C), *q = p + C;
    for (int c = 0; c < C; c++) {
        rm[c] = running_mean[c];
        inv[c] = 1.0f / sqrtf(running_var[c] + eps);
        p[c] = gamma ? inv[c] * gamma->data[c] : inv[c];
        q[c] = beta ? beta->data[c] : 0.0f;
    }
    gan_tensor *y = gan_empty_like(ctx, x);
    group_affine(x->data, NULL, NULL, y->data, v, rm, p, q, NULL, make_act(0, 0));
    gan_node *nd = gan_record(ctx, y, "batch_norm_eval", bn_eval_bw, 3,
                              (gan_tensor *[]){x, gamma, beta});
    if (nd) nd->saved = saved;
    if (!act) return y;
    /* eval mode (sampling) rarely records: then the activation goes in place; otherwise the
     * two ops stay separate so the graph has the usual nodes */
    if (nd) return gan_leaky_relu(ctx, y, slope);
    act_row(y->data, y->numel, make_act(1, slope));
    return y;
}

// x (N,C,...) [normally (N,C,H,W) or (N,C)], gamma/beta (C) or NULL,
// running_mean/var C floats (may be NULL in training) -> (N,C,...)
gan_tensor *gan_batch_norm(gan_ctx *ctx, gan_tensor *x, gan_tensor *gamma, gan_tensor *beta,
                           float *running_mean, float *running_var, float momentum, float eps,
                           int training) {
    return batch_norm(ctx, x, gamma, beta, running_mean, running_var, momentum, eps, training,
                      0, 0.0f);
}

// x (N,C,...), as gan_batch_norm -> leaky_relu(batch_norm(x), slope) (N,C,...), one tensor
gan_tensor *gan_batch_norm_act(gan_ctx *ctx, gan_tensor *x, gan_tensor *gamma, gan_tensor *beta,
                               float *running_mean, float *running_var, float momentum,
                               float eps, int training, float slope) {
    return batch_norm(ctx, x, gamma, beta, running_mean, running_var, momentum, eps, training,
                      1, slope);
}

/* ---------------------------------------------------------------- activation in place
 * The no-norm case of norm + act (DCGAN D's first layer: conv -> LeakyReLU). Node: in = {x},
 * farg[0] = slope; the rule reads the factor from the output, as gan_batch_norm_act's. */
static void leaky_inplace_bw(gan_ctx *ctx, gan_node *n, gan_tensor *g, gan_tensor **din) {
    const float *y = n->out->data;
    float slope = n->farg[0];
    int64_t len = g->numel;
    if (gan_ctx_grad_enabled(ctx)) {
        gan_tensor *mask = gan_empty_like(ctx, n->out);
#pragma omp parallel for schedule(static) if (len > GAN_PARALLEL_MIN)
        for (int64_t i = 0; i < len; i++) mask->data[i] = y[i] > 0 ? 1.0f : slope;
        din[0] = gan_mul(ctx, g, mask);
        return;
    }
    gan_tensor *dx = gan_grad_consumable(ctx, g) ? g : gan_empty_like(ctx, g);
    act_bits a = make_act(1, slope);
    const float *pg = g->data;
    float *pd = dx->data;
#pragma omp parallel for simd schedule(static) if (len > GAN_PARALLEL_MIN)
    for (int64_t i = 0; i < len; i++) pd[i] = pg[i] * gan_leaky_factor(y[i], a.one, a.slope);
    din[0] = dx;
}

// x (...) -> leaky_relu(x, slope) (...), the same bits, written over x's data
gan_tensor *gan_leaky_relu_inplace(gan_ctx *ctx, gan_tensor *x, float slope) {
    gan_tensor *y = gan_tensor_header(ctx, x->ndim, x->shape, x->data);
    act_bits a = make_act(1, slope);
    int64_t len = x->numel;
    float *p = x->data;
#pragma omp parallel for simd schedule(static) if (len > GAN_PARALLEL_MIN)
    for (int64_t i = 0; i < len; i++) p[i] = p[i] * gan_leaky_factor(p[i], a.one, a.slope);
    gan_node *nd = gan_record(ctx, y, "leaky_relu_inplace", leaky_inplace_bw, 1, &x);
    if (nd) nd->farg[0] = slope;
    return y;
}

// x (N,C,H,W) [or (N,C,L)...], gamma/beta (C) or NULL -> same shape; stats per (n, c)
gan_tensor *gan_instance_norm(gan_ctx *ctx, gan_tensor *x, gan_tensor *gamma,
                              gan_tensor *beta, float eps) {
    GAN_ASSERT_MSG(x->ndim >= 3, "instance_norm: x must be (N,C,H,W)");
    unsigned axes = ((1u << x->ndim) - 1) & ~(GAN_AXIS(0) | GAN_AXIS(1));
    return group_norm(ctx, x, gamma, beta, K_INSTANCE, axes, eps, "instance_norm", NULL, NULL, 0, 0);
}

// x (..., D1..Dk), k = norm_dims, gamma/beta (D1..Dk) or NULL -> same shape as x
gan_tensor *gan_layer_norm(gan_ctx *ctx, gan_tensor *x, int norm_dims, gan_tensor *gamma,
                           gan_tensor *beta, float eps) {
    GAN_ASSERT_MSG(norm_dims >= 1 && norm_dims <= x->ndim, "layer_norm: bad norm_dims");
    int lead = x->ndim - norm_dims;
    unsigned axes = ((1u << x->ndim) - 1) & ~((1u << lead) - 1);
    /* gamma/beta broadcast from the right, which is exactly the trailing dims */
    for (int k = 0; k < 2; k++) {
        gan_tensor *p = k ? beta : gamma;
        if (!p) continue;
        GAN_ASSERT_MSG(p->ndim == norm_dims &&
                           !memcmp(p->shape, x->shape + lead, sizeof(int) * (size_t)norm_dims),
                       "layer_norm: gamma/beta must have the normalised dims' shape");
    }
    gan_tensor *y = normalize(ctx, x, axes, eps, NULL);
    return affine(ctx, y, gamma, beta);
}
