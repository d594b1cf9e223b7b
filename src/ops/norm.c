/* norm.c — batch, instance and layer normalisation.
 * Each is composed from mean/sub/mul/rsqrt, so first- and second-order gradients come from
 * those ops' rules (no norm-specific backward to keep in sync, second order through norms
 * works for WGAN-GP / R1). Variance is the biased one and eps sits inside the sqrt, as PyTorch. */
#include "internal.h"
#include <math.h>

/* x normalised over `axes` (keepdim statistics); the batch mean/biased variance are returned
 * through mean_out/var_out for the running-stat update.
 * x (...), axes bitmask -> (...) same shape */
static gan_tensor *normalize(gan_ctx *ctx, gan_tensor *x, unsigned axes, float eps,
                             gan_tensor **mean_out, gan_tensor **var_out) {
    gan_tensor *mean = gan_mean(ctx, x, axes, 1);
    gan_tensor *xc = gan_sub(ctx, x, mean);
    gan_tensor *var = gan_mean(ctx, gan_square(ctx, xc), axes, 1);
    gan_tensor *inv = gan_rsqrt(ctx, gan_add_scalar(ctx, var, eps));
    if (mean_out) *mean_out = mean;
    if (var_out) *var_out = var;
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

// x (N,C,...) [normally (N,C,H,W) or (N,C)], gamma/beta (C) or NULL,
// running_mean/var C floats (may be NULL in training) -> (N,C,...)
gan_tensor *gan_batch_norm(gan_ctx *ctx, gan_tensor *x, gan_tensor *gamma, gan_tensor *beta,
                           float *running_mean, float *running_var, float momentum, float eps,
                           int training) {
    GAN_ASSERT_MSG(x->ndim >= 2, "batch_norm: x must be (N,C,...)");
    int C = x->shape[1];
    int64_t n = x->numel / C;   /* values per channel */
    gan_tensor *g = gamma ? channel_view(ctx, gamma, x) : NULL;
    gan_tensor *b = beta ? channel_view(ctx, beta, x) : NULL;
    if (training) {
        GAN_ASSERT_MSG(n > 1, "batch_norm: more than one value per channel needed in training");
        gan_tensor *mean, *var;
        gan_tensor *y = normalize(ctx, x, all_but_channel(x), eps, &mean, &var);
        /* the running estimate is state, not part of the graph: plain loops on the values */
        if (running_mean && running_var) {
            double unbias = (double)n / (double)(n - 1);
            for (int c = 0; c < C; c++) {
                running_mean[c] = (1.0f - momentum) * running_mean[c] + momentum * mean->data[c];
                running_var[c] = (1.0f - momentum) * running_var[c] +
                                 momentum * (float)(var->data[c] * unbias);
            }
        }
        return affine(ctx, y, g, b);
    }
    GAN_ASSERT_MSG(running_mean && running_var, "batch_norm: eval needs running stats");
    /* eval is an affine map with constant per-channel shift and scale */
    gan_tensor *shift = gan_empty(ctx, GAN_SHAPE(C));
    gan_tensor *scale = gan_empty(ctx, GAN_SHAPE(C));
    for (int c = 0; c < C; c++) {
        shift->data[c] = running_mean[c];
        scale->data[c] = 1.0f / sqrtf(running_var[c] + eps);
    }
    gan_tensor *y = gan_mul(ctx, gan_sub(ctx, x, channel_view(ctx, shift, x)),
                            channel_view(ctx, scale, x));
    return affine(ctx, y, g, b);
}

// x (N,C,H,W) [or (N,C,L)...], gamma/beta (C) or NULL -> same shape; stats per (n, c)
gan_tensor *gan_instance_norm(gan_ctx *ctx, gan_tensor *x, gan_tensor *gamma,
                              gan_tensor *beta, float eps) {
    GAN_ASSERT_MSG(x->ndim >= 3, "instance_norm: x must be (N,C,H,W)");
    unsigned axes = ((1u << x->ndim) - 1) & ~(GAN_AXIS(0) | GAN_AXIS(1));
    gan_tensor *y = normalize(ctx, x, axes, eps, NULL, NULL);
    return affine(ctx, y, gamma ? channel_view(ctx, gamma, x) : NULL,
                  beta ? channel_view(ctx, beta, x) : NULL);
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
    gan_tensor *y = normalize(ctx, x, axes, eps, NULL, NULL);
    return affine(ctx, y, gamma, beta);
}
