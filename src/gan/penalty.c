/* penalty.c — gradient penalties on D: WGAN-GP and R1.
 *
 * Both differentiate D's scores with respect to its input with create_graph, so the input
 * gradient is itself a graph of ops over D's parameters; gan_backward of a loss that contains
 * the penalty then gives the exact gradient (double backward), never finite differences. */
#include "internal.h"

/* Axes of every dim but the first: the per-sample reduction. */
static unsigned sample_axes(const gan_tensor *t) { return ((1u << t->ndim) - 1u) & ~1u; }

// x (N, ...) a leaf that requires grad -> grad_x sum(D(x)) (N, ...), recorded (create_graph)
static gan_tensor *input_grad(gan_ctx *ctx, gan_d_forward_fn d, void *ud, gan_tensor *x) {
    gan_tensor *scores = d(ctx, ud, x);
    gan_tensor *g;
    gan_grad(ctx, 1, &scores, NULL, 1, &x, &g, 1);
    return g;
}

// x (N, ...) -> a leaf copy of the data (N, ...), cut from any history, that requires grad
static gan_tensor *fresh_leaf(gan_ctx *ctx, gan_tensor *x) {
    gan_tensor *leaf = gan_detach(ctx, x);
    gan_set_requires_grad(leaf, 1);
    return leaf;
}

// real (N, ...), fake (N, ...), eps (N values) -> (1)
gan_tensor *gan_gradient_penalty_eps(gan_ctx *ctx, gan_d_forward_fn d, void *ud,
                                     gan_tensor *real, gan_tensor *fake, gan_tensor *eps) {
    GAN_ASSERT_MSG(gan_same_shape(real, fake), "gradient penalty: real and fake shapes differ");
    int n = real->shape[0];
    GAN_ASSERT_MSG(eps->numel == n, "gradient penalty: one eps per sample");
    int old = gan_ctx_set_grad(ctx, 0);
    /* eps as (N, 1, ..., 1) so it broadcasts over each sample */
    int es[GAN_MAX_DIMS];
    for (int i = 0; i < real->ndim; i++) es[i] = i ? 1 : n;
    gan_tensor *e = gan_reshape(ctx, gan_detach(ctx, eps), real->ndim, es);
    /* the same expression (and float rounding) as the usual PyTorch code:
     * alpha * real + (1 - alpha) * fake; grad mode is off, so nothing is recorded */
    gan_tensor *xh = gan_add(ctx, gan_mul(ctx, e, gan_detach(ctx, real)),
                             gan_mul(ctx, gan_rsub_scalar(ctx, 1.0f, e), gan_detach(ctx, fake)));
    gan_ctx_set_grad(ctx, 1);
    xh = fresh_leaf(ctx, xh);
    gan_tensor *g = input_grad(ctx, d, ud, xh);
    gan_tensor *s = gan_sum(ctx, gan_square(ctx, g), sample_axes(g), 0);          // (N)
    /* ||g|| = sqrt(s) exactly. Where s == 0, sqrt's rule would give 0 * inf = NaN; there the
     * norm is taken from a constant 0 instead, so its gradient is 0 (PyTorch's subgradient for
     * the norm at 0). The sqrt branch sees s replaced by 1 there so it stays finite. */
    gan_tensor *pos = gan_gt_scalar(ctx, s, 0.0f);
    gan_tensor *one = gan_full(ctx, GAN_SHAPE(1), 1.0f), *zero = gan_zeros(ctx, GAN_SHAPE(1));
    gan_tensor *norm = gan_where(ctx, pos, gan_sqrt(ctx, gan_where(ctx, pos, s, one)), zero);
    gan_tensor *p = gan_mean_all(ctx, gan_square(ctx, gan_add_scalar(ctx, norm, -1.0f)));
    gan_ctx_set_grad(ctx, old);
    return p;
}

gan_tensor *gan_gradient_penalty(gan_ctx *ctx, gan_d_forward_fn d, void *ud, gan_tensor *real,
                                 gan_tensor *fake, uint64_t seed, uint64_t stream) {
    gan_tensor *eps = gan_rand(ctx, GAN_SHAPE(real->shape[0]), seed, stream);
    return gan_gradient_penalty_eps(ctx, d, ud, real, fake, eps);
}

// real (N, ...) -> (1)
gan_tensor *gan_r1_penalty(gan_ctx *ctx, gan_d_forward_fn d, void *ud, gan_tensor *real) {
    int old = gan_ctx_set_grad(ctx, 1);
    gan_tensor *x = fresh_leaf(ctx, real);
    gan_tensor *g = input_grad(ctx, d, ud, x);
    gan_tensor *s = gan_sum(ctx, gan_square(ctx, g), sample_axes(g), 0);          // (N)
    gan_tensor *p = gan_mean_all(ctx, s);
    gan_ctx_set_grad(ctx, old);
    return p;
}
