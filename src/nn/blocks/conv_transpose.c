/* conv_transpose.c — block "conv_transpose": PyTorch's nn.ConvTranspose2d over [C, H, W]
 * (params <name>.weight (C, out, k, k), <name>.bias); options out, k, stride (1), pad (0),
 * out_pad (0), bias (true). Output side (H - 1) stride - 2 pad + k + out_pad. */
#include "nn/spec_internal.h"

static gan_status build(gan_block_build *b, void *state) {
    gan_conv_layer *c = state;
    int x[GAN_MAX_DIMS], nd = gan_block_input_shape(b, 0, x), out, k, stride, pad, op, bias;
    gan_status st;
    if (nd != 3) return gan_block_fail(b, "needs an input [C, H, W] per sample, got %d dimensions (reshape a vector to [n, 1, 1])", nd);
    if ((st = gan_block_int(b, "out", 1, 0, &out)) || (st = gan_block_int(b, "k", 1, 0, &k)) ||
        (st = gan_block_int(b, "stride", 0, 1, &stride)) || (st = gan_block_int(b, "pad", 0, 0, &pad)) ||
        (st = gan_block_int(b, "out_pad", 0, 0, &op)) || (st = gan_block_bool(b, "bias", 1, &bias)))
        return st;
    if (out < 1 || k < 1 || stride < 1 || pad < 0 || op < 0 || op >= stride)
        return gan_block_fail(b, "needs out >= 1, k >= 1, stride >= 1, pad >= 0, 0 <= out_pad < stride");
    /* sizes <= 2^24 and options <= 2^31: no int64 overflow */
    int64_t h = (x[1] - 1) * (int64_t)stride - 2 * (int64_t)pad + k + op;
    int64_t w = (x[2] - 1) * (int64_t)stride - 2 * (int64_t)pad + k + op;
    if (h < 1 || w < 1 || h > SPEC_MAX_SIZE || w > SPEC_MAX_SIZE)
        return gan_block_fail(b, "the output would be %lldx%lld", (long long)h, (long long)w);
    if ((st = spec_block_tensor(b, "the weight", 4, (int64_t[]){x[0], out, k, k}))) return st;
    *c = gan_conv_transpose2d_layer_init(gan_block_net(b), gan_block_prefix(b), x[0], out, k, stride, pad, op, bias);
    gan_block_set_output(b, 3, (int[]){out, (int)h, (int)w});
    return GAN_OK;
}

static gan_tensor *forward(gan_ctx *ctx, void *state, gan_tensor *const *in, int n) {
    return gan_conv_transpose2d_layer_forward(ctx, state, in[0]);
}

const gan_block_type gan_block_conv_transpose = {"conv_transpose", sizeof(gan_conv_layer), 1, 1, build, forward};
