/* linear.c — block "linear": y = x W^T + b over a flat per-sample vector, PyTorch's
 * nn.Linear (params <name>.weight (out, in), <name>.bias (out)); options out, bias (true),
 * sn (spectral norm on W, false), sn_stream. */
#include "nn/spec_internal.h"

typedef struct linear_block {
    gan_linear_layer l;
    gan_spectral_norm sn;
    int has_sn;
} linear_block;

static gan_status build(gan_block_build *b, void *state) {
    linear_block *s = state;
    int shape[GAN_MAX_DIMS], nd = gan_block_input_shape(b, 0, shape), out, bias;
    gan_status st;
    if (nd != 1) return gan_block_fail(b, "needs a flat input [features] per sample, got %d dimensions (add a flatten block)", nd);
    if ((st = gan_block_int(b, "out", 1, 0, &out)) || (st = gan_block_bool(b, "bias", 1, &bias))) return st;
    if (out < 1) return gan_block_fail(b, "option 'out' must be >= 1, got %d", out);
    if ((st = spec_block_tensor(b, "the weight", 2, (int64_t[]){out, shape[0]}))) return st;
    s->l = gan_linear_layer_init(gan_block_net(b), gan_block_prefix(b), shape[0], out, bias);
    if ((st = gan_block_spectral_norm(b, &s->sn, s->l.weight, 0, &s->has_sn))) return st;
    gan_block_set_output(b, 1, &out);
    return GAN_OK;
}

static gan_tensor *forward(gan_ctx *ctx, void *state, gan_tensor *const *in, int n) {
    const linear_block *s = state;
    if (!s->has_sn) return gan_linear_layer_forward(ctx, &s->l, in[0]);
    return gan_linear(ctx, in[0], gan_spectral_norm_forward(ctx, &s->sn), s->l.bias);
}

const gan_block_type gan_block_linear = {"linear", sizeof(linear_block), 1, 1, build, forward};
