/* softmax.c — softmax, log-softmax (over the last dimension) and Gumbel-softmax.
 *
 * The forward passes are fused row kernels (one pass for the max, one for the sum, one to
 * write), but the backward rules are written with ops on the node's own output, so they
 * record themselves under create_graph and second derivatives are exact:
 *   y = softmax(x):      dx = y * (g - sum(g * y))
 *   y = log_softmax(x):  dx = g - exp(y) * sum(g)
 * (sums over the last dim, kept). This equals composing x - (max + log(sum(exp(x - max))))
 * from ops with the max detached, at a fraction of the memory traffic; tests check both. */
#include "internal.h"
#include <float.h>
#include <math.h>

enum { SOFTMAX, LOG_SOFTMAX };

/* x (rows, D) -> y (rows, D); each row by one thread, sum in double */
static void softmax_rows(const float *x, float *y, int64_t rows, int64_t D, int log_out) {
#pragma omp parallel for schedule(static) if (rows * D > GAN_PARALLEL_MIN && rows > 1)
    for (int64_t r = 0; r < rows; r++) {
        const float *xr = x + r * D;
        float *yr = y + r * D;
        float m = -FLT_MAX;
        for (int64_t j = 0; j < D; j++) m = xr[j] > m ? xr[j] : m;
        double s = 0;
        if (log_out) {
            for (int64_t j = 0; j < D; j++) s += expf(xr[j] - m);
            /* (x - m) is exact near the max; x - (m + log s) would round at m's magnitude */
            float ls = (float)log(s);
            for (int64_t j = 0; j < D; j++) yr[j] = (xr[j] - m) - ls;
        } else {
            for (int64_t j = 0; j < D; j++) {
                float e = expf(xr[j] - m);
                yr[j] = e;
                s += e;
            }
            float inv = (float)(1.0 / s);
            for (int64_t j = 0; j < D; j++) yr[j] *= inv;
        }
    }
}

static unsigned last_axis(const gan_tensor *t) { return GAN_AXIS(t->ndim - 1); }

static void softmax_bw(gan_ctx *ctx, gan_node *n, gan_tensor *g, gan_tensor **din) {
    gan_tensor *y = n->out;
    gan_tensor *dot = gan_sum(ctx, gan_mul(ctx, g, y), last_axis(y), 1);
    din[0] = gan_mul(ctx, y, gan_sub(ctx, g, dot));
}

static void log_softmax_bw(gan_ctx *ctx, gan_node *n, gan_tensor *g, gan_tensor **din) {
    gan_tensor *y = n->out;
    gan_tensor *gs = gan_sum(ctx, g, last_axis(y), 1);
    din[0] = gan_sub(ctx, g, gan_mul(ctx, gan_exp(ctx, y), gs));
}

static gan_tensor *softmax_op(gan_ctx *ctx, gan_tensor *a, int log_out) {
    int64_t D = a->shape[a->ndim - 1];
    GAN_ASSERT_MSG(D > 0, "softmax over an empty dimension");
    gan_tensor *out = gan_empty_like(ctx, a);
    softmax_rows(a->data, out->data, a->numel / D, D, log_out);
    gan_record(ctx, out, log_out ? "log_softmax" : "softmax",
               log_out ? log_softmax_bw : softmax_bw, 1, &a);
    return out;
}

// a (..., D) -> (..., D), rows sum to 1
gan_tensor *gan_softmax(gan_ctx *ctx, gan_tensor *a) { return softmax_op(ctx, a, SOFTMAX); }
// a (..., D) -> (..., D), rows' exp sum to 1
gan_tensor *gan_log_softmax(gan_ctx *ctx, gan_tensor *a) {
    return softmax_op(ctx, a, LOG_SOFTMAX);
}

/* ---------------------------------------------------------------- Gumbel-softmax */

/* Forward value `hard`, gradient passed to `soft` unchanged: the straight-through estimator
 * y_hard - detach(y) + y, but with an exactly one-hot forward (the composed form can leave
 * 1 - y + y = 1 +- 1ulp). */
static void straight_through_bw(gan_ctx *ctx, gan_node *n, gan_tensor *g, gan_tensor **din) {
    (void)ctx;
    (void)n;
    din[0] = g;
}

static gan_tensor *straight_through(gan_ctx *ctx, gan_tensor *hard, gan_tensor *soft) {
    gan_tensor *out = gan_tensor_header(ctx, hard->ndim, hard->shape, hard->data);
    gan_record(ctx, out, "straight_through", straight_through_bw, 1, &soft);
    return out;
}

/* Gumbel(0,1) noise -log(-log(u)); u kept inside [2^-40, 1 - 2^-24] (the generator's grid
 * reaches 0 and its largest value is 1 - 2^-24), so the noise stays finite (about -3.3 .. 16.6). */
static gan_tensor *gumbel_noise(gan_ctx *ctx, const gan_tensor *like, uint64_t seed,
                                uint64_t stream) {
    gan_tensor *g = gan_empty_like(ctx, like);
    float *p = g->data;
    int64_t n = g->numel;
    gan_philox_uniform(p, n, seed, stream);
#pragma omp parallel for schedule(static) if (n > GAN_PARALLEL_MIN)
    for (int64_t i = 0; i < n; i++) {
        double u = p[i];
        u = u < 0x1p-40 ? 0x1p-40 : u > 1.0 - 0x1p-24 ? 1.0 - 0x1p-24 : u;
        p[i] = (float)-log(-log(u));
    }
    return g;
}

// logits (..., K) -> (..., K): softmax((logits + gumbel) / tau); hard: one-hot forward
gan_tensor *gan_gumbel_softmax(gan_ctx *ctx, gan_tensor *logits, float tau, int hard,
                               uint64_t seed, uint64_t stream) {
    GAN_ASSERT_MSG(tau > 0, "gumbel_softmax: tau must be positive");
    gan_tensor *noise = gumbel_noise(ctx, logits, seed, stream);
    gan_tensor *z = gan_add(ctx, logits, noise);
    gan_tensor *y = gan_softmax(ctx, tau == 1.0f ? z : gan_mul_scalar(ctx, z, 1.0f / tau));
    if (!hard) return y;
    /* one-hot of the argmax of logits + noise (first index on ties), a constant; taken on z,
     * not y, so rows whose soft values round to equal still pick the true maximum */
    int64_t K = y->shape[y->ndim - 1], rows = y->numel / K;
    gan_tensor *one_hot = gan_zeros_like(ctx, y);
#pragma omp parallel for schedule(static) if (y->numel > GAN_PARALLEL_MIN && rows > 1)
    for (int64_t r = 0; r < rows; r++) {
        const float *zr = z->data + r * K;
        int64_t best = 0;
        for (int64_t j = 1; j < K; j++)
            if (zr[j] > zr[best]) best = j;
        one_hot->data[r * K + best] = 1.0f;
    }
    return straight_through(ctx, one_hot, y);
}
