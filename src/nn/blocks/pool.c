/* pool.c — blocks "avg_pool" (k x k windows with stride k over [C, H, W], H and W multiples of k; k: 2) and
 * "global_sum_pool" ([C, H, W] -> [C], the sum over H and W, as SNGAN's D head). */
#include "internal.h"

typedef struct pool_block { int k; } pool_block;

static gan_status build_avg(gan_block_build *b, void *state) {
    pool_block *s = state;
    int x[GAN_MAX_DIMS], nd = gan_block_input_shape(b, 0, x);
    gan_status st = gan_block_int(b, "k", 0, 2, &s->k);
    if (st) return st;
    if (nd != 3) return gan_block_fail(b, "needs an input [C, H, W] per sample");
    if (s->k < 1 || x[1] < s->k || x[2] < s->k) return gan_block_fail(b, "window %d does not fit %dx%d", s->k, x[1], x[2]);
    if (x[1] % s->k || x[2] % s->k)   /* the op pools whole windows only */
        return gan_block_fail(b, "window %d does not divide %dx%d", s->k, x[1], x[2]);
    gan_block_set_output(b, 3, (int[]){x[0], x[1] / s->k, x[2] / s->k});
    return GAN_OK;
}

static gan_status build_sum(gan_block_build *b, void *state) {
    int x[GAN_MAX_DIMS], nd = gan_block_input_shape(b, 0, x);
    if (nd != 3) return gan_block_fail(b, "needs an input [C, H, W] per sample");
    gan_block_set_output(b, 1, x);
    return GAN_OK;
}

static gan_tensor *avg(gan_ctx *ctx, void *state, gan_tensor *const *in, int n) {
    return gan_avg_pool2d(ctx, in[0], ((pool_block *)state)->k);
}

static gan_tensor *sum(gan_ctx *ctx, void *state, gan_tensor *const *in, int n) {
    return gan_sum(ctx, in[0], GAN_AXIS(2) | GAN_AXIS(3), 0);
}

const gan_block_type gan_block_avg_pool = {"avg_pool", sizeof(pool_block), 1, 1, build_avg, avg};
const gan_block_type gan_block_global_sum_pool = {"global_sum_pool", 0, 1, 1, build_sum, sum};
