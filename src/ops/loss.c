/* loss.c — the mean-reduced losses GANs use, each composed from elementwise/reduce ops so
 * that gradient penalties can differentiate through them (second order comes for free).
 * Every loss returns shape (1). */
#include "internal.h"

static void check_same(const gan_tensor *a, const gan_tensor *b, const char *what) {
    GAN_ASSERT_MSG(gan_same_shape(a, b), what);
}

// logits (...), target (...) same shape -> (1)
// softplus(x) - t*x is log(1+e^x) - t*x = BCE(sigmoid(x), t) without ever forming sigmoid,
// so |x| = 100 stays finite (softplus itself is the stable max(x,0) + log1p(e^-|x|)).
gan_tensor *gan_bce_with_logits(gan_ctx *ctx, gan_tensor *logits, gan_tensor *target) {
    check_same(logits, target, "bce_with_logits: logits and target shapes differ");
    gan_tensor *l = gan_sub(ctx, gan_softplus(ctx, logits), gan_mul(ctx, target, logits));
    return gan_mean_all(ctx, l);
}

// logits (...) -> (1); the label is a constant, so no target tensor is built
gan_tensor *gan_bce_with_logits_const(gan_ctx *ctx, gan_tensor *logits, float target) {
    gan_tensor *l = gan_softplus(ctx, logits);
    if (target != 0.0f) l = gan_sub(ctx, l, gan_mul_scalar(ctx, logits, target));
    return gan_mean_all(ctx, l);
}

// a (...), b (...) same shape -> (1)
gan_tensor *gan_mse_loss(gan_ctx *ctx, gan_tensor *a, gan_tensor *b) {
    check_same(a, b, "mse_loss: shapes differ");
    return gan_mean_all(ctx, gan_square(ctx, gan_sub(ctx, a, b)));
}

// a (...), b (...) same shape -> (1)
gan_tensor *gan_l1_loss(gan_ctx *ctx, gan_tensor *a, gan_tensor *b) {
    check_same(a, b, "l1_loss: shapes differ");
    return gan_mean_all(ctx, gan_abs(ctx, gan_sub(ctx, a, b)));
}

// scores (...) -> (1): mean(relu(1 - sign*x))
gan_tensor *gan_hinge_loss(gan_ctx *ctx, gan_tensor *scores, float sign) {
    gan_tensor *m = gan_rsub_scalar(ctx, 1.0f, gan_mul_scalar(ctx, scores, sign));
    return gan_mean_all(ctx, gan_relu(ctx, m));
}

// logits (N,K), labels N ints in [0,K) -> (1): mean_n -log_softmax(x)[n, label_n]
gan_tensor *gan_cross_entropy(gan_ctx *ctx, gan_tensor *logits, const int *labels) {
    GAN_ASSERT_MSG(logits->ndim == 2, "cross_entropy: logits must be (N,K)");
    int N = logits->shape[0], K = logits->shape[1];
    gan_tensor *logp = gan_log_softmax(ctx, logits);
    /* picking the label entries = a constant one-hot mask, so the pick is an ordinary mul
     * whose rule (and second order) already exists */
    gan_tensor *onehot = gan_zeros(ctx, GAN_SHAPE(N, K));
    for (int n = 0; n < N; n++) {
        GAN_ASSERT_MSG(labels[n] >= 0 && labels[n] < K, "cross_entropy: label out of range");
        onehot->data[(int64_t)n * K + labels[n]] = 1.0f;
    }
    gan_tensor *picked = gan_sum_all(ctx, gan_mul(ctx, onehot, logp));
    return gan_mul_scalar(ctx, picked, -1.0f / (float)N);
}
