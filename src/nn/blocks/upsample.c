/* upsample.c — block "upsample": nearest-neighbour upsampling of [C, H, W] by factor (2). */
#include "internal.h"

typedef struct upsample_block { int factor; } upsample_block;

static gan_status build(gan_block_build *b, void *state) {
    upsample_block *s = state;
    int x[GAN_MAX_DIMS], nd = gan_block_input_shape(b, 0, x);
    gan_status st = gan_block_int(b, "factor", 0, 2, &s->factor);
    if (st) return st;
    if (nd != 3) return gan_block_fail(b, "needs an input [C, H, W] per sample");
    if (s->factor < 1 || s->factor > 64) return gan_block_fail(b, "factor %d is out of range 1..64", s->factor);
    gan_block_set_output(b, 3, (int[]){x[0], x[1] * s->factor, x[2] * s->factor});
    return GAN_OK;
}

static gan_tensor *forward(gan_ctx *ctx, void *state, gan_tensor *const *in, int n) {
    return gan_upsample_nearest2d(ctx, in[0], ((upsample_block *)state)->factor);
}

const gan_block_type gan_block_upsample = {"upsample", sizeof(upsample_block), 1, 1, build, forward};
