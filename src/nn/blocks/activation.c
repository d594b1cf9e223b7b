/* activation.c — blocks "relu", "leaky_relu" (slope 0.2; inplace: write over the input, which
 * nothing else may read, e.g. a conv's output), "tanh", "sigmoid". */
#include "internal.h"

typedef struct act_block {
    float slope;
    int inplace;
} act_block;

static gan_status same_shape(gan_block_build *b) {
    int x[GAN_MAX_DIMS], nd = gan_block_input_shape(b, 0, x);
    gan_block_set_output(b, nd, x);
    return GAN_OK;
}

static gan_status build_plain(gan_block_build *b, void *state) { return same_shape(b); }

static gan_status build_leaky(gan_block_build *b, void *state) {
    act_block *s = state;
    gan_status st = gan_block_float(b, "slope", 0, 0.2f, &s->slope);
    if (!st) st = gan_block_bool(b, "inplace", 0, &s->inplace);
    return st ? st : same_shape(b);
}

static gan_tensor *relu(gan_ctx *ctx, void *s, gan_tensor *const *in, int n) { return gan_relu(ctx, in[0]); }
static gan_tensor *tanh_(gan_ctx *ctx, void *s, gan_tensor *const *in, int n) { return gan_tanh(ctx, in[0]); }
static gan_tensor *sigmoid(gan_ctx *ctx, void *s, gan_tensor *const *in, int n) { return gan_sigmoid(ctx, in[0]); }

static gan_tensor *leaky(gan_ctx *ctx, void *state, gan_tensor *const *in, int n) {
    const act_block *s = state;
    return s->inplace ? gan_leaky_relu_inplace(ctx, in[0], s->slope) : gan_leaky_relu(ctx, in[0], s->slope);
}

const gan_block_type gan_block_relu = {"relu", 0, 1, 1, build_plain, relu};
const gan_block_type gan_block_leaky_relu = {"leaky_relu", sizeof(act_block), 1, 1, build_leaky, leaky};
const gan_block_type gan_block_tanh = {"tanh", 0, 1, 1, build_plain, tanh_};
const gan_block_type gan_block_sigmoid = {"sigmoid", 0, 1, 1, build_plain, sigmoid};
