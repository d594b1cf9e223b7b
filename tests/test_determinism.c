/* test_determinism.c — same seed + same thread count -> the same bits (DESIGN.md, decision 5).
 *
 * Philox: a reference Philox-4x32-10 written here from the paper's round function is checked
 * against Random123's published known-answer vectors, then the library's uniforms must equal
 * it bit for bit at arbitrary (seed, stream, index); draws must not depend on the thread count
 * or on how many elements were asked for; and 1e6 draws must match the uniform and normal
 * distributions within closed-form bounds (5 standard errors).
 * Training: a few GAN steps of two small MLPs, run twice in-process with 2 threads, must give
 * bit-identical weights and Adam moments; a different seed must not. */
#include "harness.h"
#include <math.h>
#include <string.h>

/* ------------------------------------------------------------------ reference Philox */

/* Salmon et al. 2011, Philox-4x32 with 10 rounds: multipliers and Weyl key increments. */
static void ref_philox(const uint32_t ctr_in[4], const uint32_t key_in[2], uint32_t out[4]) {
    uint32_t c[4] = {ctr_in[0], ctr_in[1], ctr_in[2], ctr_in[3]};
    uint32_t k0 = key_in[0], k1 = key_in[1];
    for (int r = 0; r < 10; r++) {
        uint64_t a = (uint64_t)0xD2511F53u * c[0], b = (uint64_t)0xCD9E8D57u * c[2];
        uint32_t n[4] = {(uint32_t)(b >> 32) ^ c[1] ^ k0, (uint32_t)b,
                         (uint32_t)(a >> 32) ^ c[3] ^ k1, (uint32_t)a};
        memcpy(c, n, sizeof c);
        k0 += 0x9E3779B9u;
        k1 += 0xBB67AE85u;
    }
    memcpy(out, c, sizeof c);
}

/* Library element i of a (seed, stream) draw: counter = (i/4 as 64 bits, stream as 64 bits),
 * key = seed, word i%4, top 24 bits scaled to [0, 1). */
static float ref_uniform(uint64_t seed, uint64_t stream, uint64_t i) {
    uint64_t blk = i / 4;
    uint32_t ctr[4] = {(uint32_t)blk, (uint32_t)(blk >> 32), (uint32_t)stream,
                       (uint32_t)(stream >> 32)};
    uint32_t key[2] = {(uint32_t)seed, (uint32_t)(seed >> 32)}, o[4];
    ref_philox(ctr, key, o);
    return (float)(o[i % 4] >> 8) / 16777216.0f;
}

static void test_known_answers(void) {
    /* Random123 kat_vectors for philox4x32_10 */
    static const uint32_t ctr[3][4] = {{0, 0, 0, 0},
                                       {0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu},
                                       {0x243f6a88u, 0x85a308d3u, 0x13198a2eu, 0x03707344u}};
    static const uint32_t key[3][2] = {{0, 0}, {0xffffffffu, 0xffffffffu},
                                       {0xa4093822u, 0x299f31d0u}};
    static const uint32_t want[3][4] = {{0x6627e8d5u, 0xe169c58du, 0xbc57ac4cu, 0x9b00dbd8u},
                                        {0x408f276du, 0x41c83b0eu, 0xa20bc7c6u, 0x6d5451fdu},
                                        {0xd16cfe09u, 0x94fdccebu, 0x5001e420u, 0x24126ea1u}};
    for (int v = 0; v < 3; v++) {
        uint32_t o[4];
        ref_philox(ctr[v], key[v], o);
        th_check(!memcmp(o, want[v], sizeof o), "philox reference: Random123 known answer",
                 "vector %d: %08x %08x %08x %08x", v, o[0], o[1], o[2], o[3]);
    }
    /* the all-zero vector through the public API: seed 0, stream 0, elements 0..3 */
    float u[4];
    gan_philox_uniform(u, 4, 0, 0);
    int ok = 1;
    for (int j = 0; j < 4; j++) ok &= u[j] == (float)(want[0][j] >> 8) / 16777216.0f;
    th_check(ok, "gan_philox_uniform: known answer (seed 0, stream 0)", "%.8f %.8f %.8f %.8f",
             u[0], u[1], u[2], u[3]);
}

static void test_matches_reference(void) {
    /* high bits of seed and stream, odd lengths, indices across block boundaries */
    static const uint64_t seeds[] = {1, 0x123456789abcdef0ull, 0xffffffffffffffffull};
    static const uint64_t streams[] = {0, 7, 0x8000000000000001ull};
    float buf[1027];
    int bad = 0, total = 0;
    for (int s = 0; s < 3; s++)
        for (int t = 0; t < 3; t++) {
            gan_philox_uniform(buf, 1027, seeds[s], streams[t]);
            for (int i = 0; i < 1027; i++, total++)
                bad += buf[i] != ref_uniform(seeds[s], streams[t], (uint64_t)i);
        }
    th_check(bad == 0, "gan_philox_uniform == reference Philox", "%d of %d differ", bad, total);
}

/* ------------------------------------------------------------------ threads and statistics */

#define NDRAW 1000000

static void test_threads_and_prefix(float *a, float *b) {
    gan_set_threads(1);
    gan_philox_uniform(a, NDRAW, 42, 3);
    gan_set_threads(2);
    gan_philox_uniform(b, NDRAW, 42, 3);
    th_check(!memcmp(a, b, sizeof(float) * NDRAW), "uniform: 1 thread == 2 threads", "%d draws",
             NDRAW);

    gan_set_threads(1);
    gan_philox_normal(a, NDRAW, 42, 3);
    gan_set_threads(2);
    gan_philox_normal(b, NDRAW, 42, 3);
    th_check(!memcmp(a, b, sizeof(float) * NDRAW), "normal: 1 thread == 2 threads", "%d draws",
             NDRAW);

    /* element i depends on i alone, not on n: a short draw is a prefix of a long one */
    float s[1001];
    gan_philox_normal(s, 1001, 42, 3);
    th_check(!memcmp(s, b, sizeof s), "normal: a 1001-draw is a prefix of a 1e6-draw", "%s",
             "seed 42, stream 3");
    gan_philox_uniform(s, 1001, 42, 3);
    gan_philox_uniform(b, NDRAW, 42, 3);
    th_check(!memcmp(s, b, sizeof s), "uniform: a 1001-draw is a prefix of a 1e6-draw", "%s",
             "seed 42, stream 3");
}

static void test_uniform_stats(float *u, float *w) {
    gan_philox_uniform(u, NDRAW, 2024, 11);
    double sum = 0, sq = 0;
    float lo = 1, hi = 0;
    int64_t bins[100] = {0};
    for (int i = 0; i < NDRAW; i++) {
        sum += u[i];
        sq += (u[i] - 0.5) * (u[i] - 0.5);
        lo = fminf(lo, u[i]);
        hi = fmaxf(hi, u[i]);
        bins[(int)(u[i] * 100)]++;
    }
    double n = NDRAW, mean = sum / n, var = sq / n;
    /* standard errors: mean sqrt(1/12/n); var sqrt((1/80 - 1/144)/n) */
    double se_mean = sqrt(1.0 / 12 / n), se_var = sqrt((1.0 / 80 - 1.0 / 144) / n);
    th_check(lo >= 0.0f && hi < 1.0f, "uniform: in [0, 1)", "min %.3g max %.9f", lo, hi);
    th_check(fabs(mean - 0.5) < 5 * se_mean, "uniform: mean 1/2", "%.6f (bound 0.5 +- %.2g)",
             mean, 5 * se_mean);
    th_check(fabs(var - 1.0 / 12) < 5 * se_var, "uniform: variance 1/12",
             "%.6f (bound 0.083333 +- %.2g)", var, 5 * se_var);
    /* chi-square with 99 degrees of freedom: mean 99, sd sqrt(198) */
    double chi = 0, e = n / 100;
    for (int k = 0; k < 100; k++) chi += (bins[k] - e) * (bins[k] - e) / e;
    th_check(chi < 99 + 5 * sqrt(198.0), "uniform: 100-bin chi-square", "%.1f (bound %.1f)", chi,
             99 + 5 * sqrt(198.0));

    /* another stream must be a different, uncorrelated sequence */
    gan_philox_uniform(w, NDRAW, 2024, 12);
    double cov = 0;
    int same = 0;
    for (int i = 0; i < NDRAW; i++) {
        cov += (u[i] - 0.5) * (w[i] - 0.5);
        same += u[i] == w[i];
    }
    double corr = cov / n * 12; /* both variances are 1/12; se of corr is 1/sqrt(n) */
    th_check(fabs(corr) < 5 / sqrt(n) && same < 1000, "uniform: streams 11 and 12 uncorrelated",
             "corr %.2g, %d equal draws", corr, same);
}

static void test_normal_stats(float *z) {
    gan_philox_normal(z, NDRAW, 77, 5);
    double sum = 0, sq = 0, q4 = 0;
    int64_t in1 = 0, finite = 0;
    float amax = 0;
    for (int i = 0; i < NDRAW; i++) {
        double x = z[i];
        finite += isfinite(z[i]) != 0;
        sum += x;
        sq += x * x;
        q4 += x * x * x * x;
        in1 += fabs(x) < 1;
        amax = fmaxf(amax, fabsf(z[i]));
    }
    double n = NDRAW, mean = sum / n, m2 = sq / n, m4 = q4 / n, p1 = (double)in1 / n;
    double p1_true = erf(1 / sqrt(2.0));
    th_check(finite == NDRAW, "normal: all finite", "max |z| %.3f", amax);
    th_check(fabs(mean) < 5 / sqrt(n), "normal: mean 0", "%.6f (bound +- %.2g)", mean, 5 / sqrt(n));
    /* E[z^2] = 1 with sd sqrt(2/n); E[z^4] = 3 with sd sqrt((105 - 9)/n) */
    th_check(fabs(m2 - 1) < 5 * sqrt(2 / n), "normal: variance 1", "%.6f (bound 1 +- %.2g)", m2,
             5 * sqrt(2 / n));
    th_check(fabs(m4 - 3) < 5 * sqrt(96 / n), "normal: fourth moment 3", "%.5f (bound 3 +- %.2g)",
             m4, 5 * sqrt(96 / n));
    th_check(fabs(p1 - p1_true) < 5 * sqrt(p1_true * (1 - p1_true) / n),
             "normal: P(|z| < 1) = erf(1/sqrt 2)", "%.6f vs %.6f", p1, p1_true);
}

static void test_rng_streams(void) {
    gan_ctx *ctx = gan_ctx_new(1 << 20);
    gan_rng r = gan_rng_init(99);
    gan_tensor *a = gan_rng_randn(ctx, &r, GAN_SHAPE(3, 5));
    gan_tensor *b = gan_rng_rand(ctx, &r, GAN_SHAPE(7));
    gan_tensor *ea = gan_randn(ctx, GAN_SHAPE(3, 5), 99, 1);
    gan_tensor *eb = gan_rand(ctx, GAN_SHAPE(7), 99, 2);
    th_check(!memcmp(a->data, ea->data, 15 * sizeof(float)) &&
                 !memcmp(b->data, eb->data, 7 * sizeof(float)) && r.stream == 3,
             "gan_rng: draws are streams 1, 2, ... of its seed", "next stream %llu",
             (unsigned long long)r.stream);
    gan_rng r1 = gan_rng_init(5), r2 = gan_rng_init(5);
    uint64_t x1 = gan_rng_next(&r1), x2 = gan_rng_next(&r2), y1 = gan_rng_next(&r1);
    th_check(x1 == x2 && x1 != y1, "gan_rng_next: reproducible, advances", "%016llx %016llx",
             (unsigned long long)x1, (unsigned long long)y1);
    gan_ctx_free(ctx);
}

/* ------------------------------------------------------------------ training */

typedef struct {
    gan_net *g, *d;
    gan_linear_layer g1, g2, d1, d2;
} gan_pair;

static gan_pair pair_new(uint64_t seed) {
    gan_pair p = {.g = gan_net_new("G"), .d = gan_net_new("D")};
    p.g1 = gan_linear_layer_init(p.g, "0", 16, 128, 1);
    p.g2 = gan_linear_layer_init(p.g, "2", 128, 2, 1);
    p.d1 = gan_linear_layer_init(p.d, "0", 2, 128, 1);
    p.d2 = gan_linear_layer_init(p.d, "2", 128, 1, 1);
    gan_net_finalize(p.g, seed);
    gan_net_finalize(p.d, seed + 1);
    return p;
}

static gan_tensor *disc(gan_ctx *ctx, gan_pair *p, gan_tensor *x) {
    gan_tensor *h = gan_leaky_relu(ctx, gan_linear_layer_forward(ctx, &p->d1, x), 0.2f);
    return gan_linear_layer_forward(ctx, &p->d2, h);
}

/* A fresh G and D from `seed`, trained `steps` GAN steps with batch 512 (so that the OpenMP
 * paths above GAN_PARALLEL_MIN run and BLAS gets work to split). */
static gan_pair train(uint64_t seed, int steps) {
    gan_ctx *ctx = gan_ctx_new(0);
    gan_pair p = pair_new(seed);
    gan_adam og = gan_adam_default(1e-3f), od = gan_adam_default(1e-3f);
    gan_rng rng = gan_rng_init(seed);
    for (int s = 0; s < steps; s++) {
        gan_tensor *real = gan_mul_scalar(ctx, gan_rng_randn(ctx, &rng, GAN_SHAPE(512, 2)), 0.5f);
        gan_tensor *z = gan_rng_randn(ctx, &rng, GAN_SHAPE(512, 16));
        gan_tensor *fake = gan_linear_layer_forward(
            ctx, &p.g2, gan_relu(ctx, gan_linear_layer_forward(ctx, &p.g1, z)));
        gan_tensor *d_fake = disc(ctx, &p, gan_detach(ctx, fake));
        gan_tensor *ld = gan_add(ctx, gan_bce_with_logits_const(ctx, disc(ctx, &p, real), 1),
                                 gan_bce_with_logits_const(ctx, d_fake, 0));
        gan_net_zero_grad(p.d);
        gan_backward(ctx, ld);
        gan_adam_step(&od, p.d);
        gan_net_requires_grad(p.d, 0);
        gan_tensor *lg = gan_bce_with_logits_const(ctx, disc(ctx, &p, fake), 1);
        gan_net_zero_grad(p.g);
        gan_backward(ctx, lg);
        gan_adam_step(&og, p.g);
        gan_net_requires_grad(p.d, 1);
        gan_ctx_reset(ctx);
    }
    gan_ctx_free(ctx);
    return p;
}

static int same_state(gan_net *a, gan_net *b) {
    int64_t n = gan_net_num_params(a);
    size_t bytes = sizeof(float) * (size_t)n;
    return n == gan_net_num_params(b) && !memcmp(gan_net_weights(a), gan_net_weights(b), bytes) &&
           !memcmp(gan_net_adam_m(a), gan_net_adam_m(b), bytes) &&
           !memcmp(gan_net_adam_v(a), gan_net_adam_v(b), bytes);
}

static void test_training(void) {
    gan_set_threads(2);
    gan_pair a = train(7, 5), b = train(7, 5), c = train(8, 5);
    gan_pair init = pair_new(7);
    double moved = th_max_abs_diff(gan_net_weights(a.g), gan_net_weights(init.g),
                                   gan_net_num_params(a.g));
    th_check(moved > 1e-4, "training: weights moved", "max |w - w0| %.3g", moved);
    th_check(same_state(a.g, b.g) && same_state(a.d, b.d),
             "training: same seed, 2 threads -> identical G and D (weights, Adam m, v)",
             "%lld + %lld params", (long long)gan_net_num_params(a.g),
             (long long)gan_net_num_params(a.d));
    th_check(!same_state(a.g, c.g), "training: another seed -> different weights", "%s",
             "seeds 7, 8");
    gan_pair *all[4] = {&a, &b, &c, &init};
    for (int i = 0; i < 4; i++) {
        gan_net_free(all[i]->g);
        gan_net_free(all[i]->d);
    }
}

int main(void) {
    float *a = gan_malloc(sizeof(float) * NDRAW), *b = gan_malloc(sizeof(float) * NDRAW);
    test_known_answers();
    test_matches_reference();
    test_threads_and_prefix(a, b);
    test_uniform_stats(a, b);
    test_normal_stats(a);
    test_rng_streams();
    test_training();
    gan_free(a);
    gan_free(b);
    return th_done("test_determinism");
}
