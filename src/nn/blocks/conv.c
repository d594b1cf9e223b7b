/* conv.c — block "conv": 2-D convolution over [C, H, W] per sample, PyTorch's nn.Conv2d
 * (params <name>.weight (out, C, k, k), <name>.bias); options out, k, stride (1), pad (0),
 * bias (true), sn (false), sn_stream. Output side (H + 2 pad - k) / stride + 1. */
#include "nn/spec_internal.h"

typedef struct conv_block {
    gan_conv_layer c;
    gan_spectral_norm sn;
    int has_sn;
} conv_block;

static gan_status build(gan_block_build *b, void *state) {
    conv_block *s = state;
    int x[GAN_MAX_DIMS], nd = gan_block_input_shape(b, 0, x), out, k, stride, pad, bias;
    gan_status st;
    if (nd != 3) return gan_block_fail(b, "needs an input [C, H, W] per sample, got %d dimensions", nd);
    if ((st = gan_block_int(b, "out", 1, 0, &out)) || (st = gan_block_int(b, "k", 1, 0, &k)) ||
        (st = gan_block_int(b, "stride", 0, 1, &stride)) || (st = gan_block_int(b, "pad", 0, 0, &pad)) ||
        (st = gan_block_bool(b, "bias", 1, &bias)))
        return st;
    if (out < 1 || k < 1 || stride < 1 || pad < 0 || pad >= k)
        return gan_block_fail(b, "needs out >= 1, k >= 1, stride >= 1, 0 <= pad < k (got %d, %d, %d, %d)", out, k, stride, pad);
    int64_t ph = x[1] + 2 * (int64_t)pad, pw = x[2] + 2 * (int64_t)pad;   /* pad < k: no overflow */
    if (ph < k || pw < k)
        return gan_block_fail(b, "kernel %d is larger than the padded input %lldx%lld", k, (long long)ph, (long long)pw);
    int h = (int)((ph - k) / stride + 1), w = (int)((pw - k) / stride + 1);
    if ((st = spec_block_tensor(b, "the weight", 4, (int64_t[]){out, x[0], k, k}))) return st;
    s->c = gan_conv2d_layer_init(gan_block_net(b), gan_block_prefix(b), x[0], out, k, stride, pad, bias);
    if ((st = gan_block_spectral_norm(b, &s->sn, s->c.weight, 0, &s->has_sn))) return st;
    gan_block_set_output(b, 3, (int[]){out, h, w});
    return GAN_OK;
}

static gan_tensor *forward(gan_ctx *ctx, void *state, gan_tensor *const *in, int n) {
    const conv_block *s = state;
    if (!s->has_sn) return gan_conv2d_layer_forward(ctx, &s->c, in[0]);
    return gan_conv2d(ctx, in[0], gan_spectral_norm_forward(ctx, &s->sn), s->c.bias, s->c.stride, s->c.pad);
}

const gan_block_type gan_block_conv = {"conv", sizeof(conv_block), 1, 1, build, forward};
