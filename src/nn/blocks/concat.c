/* concat.c — block "concat": joins its inputs (2 or more) along a per-sample axis (axis: 0,
 * channels); the other sizes must agree. E.g. a label embedding joined to z. */
#include "internal.h"

typedef struct concat_block { int axis; } concat_block;

static gan_status build(gan_block_build *b, void *state) {
    concat_block *s = state;
    int x[GAN_MAX_DIMS], y[GAN_MAX_DIMS], nd = gan_block_input_shape(b, 0, x);
    gan_status st = gan_block_int(b, "axis", 0, 0, &s->axis);
    if (st) return st;
    if (s->axis < 0 || s->axis >= nd) return gan_block_fail(b, "axis %d: the inputs have %d dimensions per sample", s->axis, nd);
    for (int i = 1; i < gan_block_num_inputs(b); i++) {
        int ndi = gan_block_input_shape(b, i, y);
        int ok = ndi == nd;
        for (int d = 0; ok && d < nd; d++) ok = d == s->axis || y[d] == x[d];
        if (!ok) return gan_block_fail(b, "input %d's shape does not match input 0's except along axis %d", i, s->axis);
        x[s->axis] += y[s->axis];
    }
    gan_block_set_output(b, nd, x);
    return GAN_OK;
}

static gan_tensor *forward(gan_ctx *ctx, void *state, gan_tensor *const *in, int n) {
    const concat_block *s = state;
    return gan_concat(ctx, n, (gan_tensor **)in, s->axis + 1);
}

const gan_block_type gan_block_concat = {"concat", sizeof(concat_block), 2, GAN_BLOCK_MAX_INPUTS, build, forward};
