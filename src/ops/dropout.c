/* dropout.c — inverted dropout. The mask is a constant tensor (0 or 1/(1-p)) drawn from
 * (seed, stream) with the counter-based RNG, so it is the same for any thread count and the
 * output is an ordinary gan_mul: its rule (g * mask) comes for free, second order included. */
#include "internal.h"

// x (any shape) -> x * mask, mask[i] = u[i] >= p ? 1/(1-p) : 0
gan_tensor *gan_dropout(gan_ctx *ctx, gan_tensor *x, float p, uint64_t seed, uint64_t stream) {
    GAN_ASSERT_MSG(p >= 0.0f && p <= 1.0f, "dropout: p must be in [0, 1]");
    if (!gan_ctx_training(ctx) || p == 0.0f) return x;
    gan_tensor *mask = gan_empty_like(ctx, x);
    float *m = mask->data;
    int64_t n = mask->numel;
    /* p == 1 drops everything (PyTorch returns zeros rather than 0 * inf) */
    float keep = p < 1.0f ? 1.0f / (1.0f - p) : 0.0f;
    gan_philox_uniform(m, n, seed, stream);
#pragma omp parallel for schedule(static) if (n > GAN_PARALLEL_MIN)
    for (int64_t i = 0; i < n; i++) m[i] = m[i] >= p ? keep : 0.0f;
    return gan_mul(ctx, x, mask);
}
