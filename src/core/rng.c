/* rng.c — Philox-4x32-10 (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3").
 *
 * Element i of a draw keyed by (seed, stream) comes from counter block i/4, so any thread can
 * produce any slice and the result never depends on how work was split. */
#include "internal.h"
#include <math.h>

#define PHILOX_M0 0xD2511F53u
#define PHILOX_M1 0xCD9E8D57u
#define PHILOX_W0 0x9E3779B9u
#define PHILOX_W1 0xBB67AE85u

static void philox(uint32_t ctr[4], uint32_t k0, uint32_t k1) {
    for (int r = 0; r < 10; r++) {
        uint64_t p0 = (uint64_t)PHILOX_M0 * ctr[0];
        uint64_t p1 = (uint64_t)PHILOX_M1 * ctr[2];
        uint32_t n0 = (uint32_t)(p1 >> 32) ^ ctr[1] ^ k0;
        uint32_t n2 = (uint32_t)(p0 >> 32) ^ ctr[3] ^ k1;
        ctr[0] = n0;
        ctr[1] = (uint32_t)p1;
        ctr[2] = n2;
        ctr[3] = (uint32_t)p0;
        k0 += PHILOX_W0;
        k1 += PHILOX_W1;
    }
}

static void block4(uint64_t seed, uint64_t stream, uint64_t blk, uint32_t out[4]) {
    out[0] = (uint32_t)blk;
    out[1] = (uint32_t)(blk >> 32);
    out[2] = (uint32_t)stream;
    out[3] = (uint32_t)(stream >> 32);
    philox(out, (uint32_t)seed, (uint32_t)(seed >> 32));
}

/* 24 random bits -> [0, 1) exactly representable in float */
static inline float u01(uint32_t x) { return (float)(x >> 8) * (1.0f / 16777216.0f); }

void gan_philox_uniform(float *out, int64_t n, uint64_t seed, uint64_t stream) {
    int64_t nblk = (n + 3) / 4;
#pragma omp parallel for schedule(static) if (n > GAN_PARALLEL_MIN)
    for (int64_t b = 0; b < nblk; b++) {
        uint32_t r[4];
        block4(seed, stream, (uint64_t)b, r);
        for (int j = 0; j < 4 && b * 4 + j < n; j++) out[b * 4 + j] = u01(r[j]);
    }
}

void gan_philox_normal(float *out, int64_t n, uint64_t seed, uint64_t stream) {
    int64_t nblk = (n + 3) / 4;
#pragma omp parallel for schedule(static) if (n > GAN_PARALLEL_MIN)
    for (int64_t b = 0; b < nblk; b++) {
        uint32_t r[4];
        block4(seed, stream, (uint64_t)b, r);
        float z[4];
        for (int j = 0; j < 4; j += 2) { /* Box-Muller on each pair; u1 in (0, 1] */
            double u1 = ((double)(r[j] >> 8) + 1.0) / 16777216.0;
            double u2 = (double)(r[j + 1] >> 8) / 16777216.0;
            double rad = sqrt(-2.0 * log(u1));
            z[j] = (float)(rad * cos(2.0 * M_PI * u2));
            z[j + 1] = (float)(rad * sin(2.0 * M_PI * u2));
        }
        for (int j = 0; j < 4 && b * 4 + j < n; j++) out[b * 4 + j] = z[j];
    }
}

gan_tensor *gan_randn(gan_ctx *ctx, int ndim, const int *shape, uint64_t seed, uint64_t stream) {
    gan_tensor *t = gan_empty(ctx, ndim, shape);
    gan_philox_normal(t->data, t->numel, seed, stream);
    return t;
}

gan_tensor *gan_rand(gan_ctx *ctx, int ndim, const int *shape, uint64_t seed, uint64_t stream) {
    gan_tensor *t = gan_empty(ctx, ndim, shape);
    gan_philox_uniform(t->data, t->numel, seed, stream);
    return t;
}

gan_rng gan_rng_init(uint64_t seed) { return (gan_rng){seed, 1}; }

gan_tensor *gan_rng_randn(gan_ctx *ctx, gan_rng *r, int ndim, const int *shape) {
    return gan_randn(ctx, ndim, shape, r->seed, r->stream++);
}
gan_tensor *gan_rng_rand(gan_ctx *ctx, gan_rng *r, int ndim, const int *shape) {
    return gan_rand(ctx, ndim, shape, r->seed, r->stream++);
}
uint64_t gan_rng_next(gan_rng *r) {
    uint32_t o[4];
    block4(r->seed, r->stream++ | (1ull << 63), 0, o); /* high bit: never a tensor stream */
    return ((uint64_t)o[0] << 32) | o[1];
}
