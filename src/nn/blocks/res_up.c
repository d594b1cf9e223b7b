/* res_up.c — block "res_up": SNGAN's generator residual block (Miyato et al. 2018),
 *   h = conv3x3(relu(bn2(conv3x3(upsample2(relu(bn1(x))))))) + upsample2(conv1x1(x))
 * params <name>.b1 (BN, C), .c1 (3x3, C -> out), .b2 (BN, out), .c2 (3x3), .c_sc (1x1);
 * [C, H, W] -> [out, 2H, 2W]. SNGAN's shortcut is conv1x1(upsample(x)); upsampling after the
 * 1x1 conv gives the same values (each output reads one input pixel through the same sums) at
 * a quarter of the cost. */
#include "nn/spec_internal.h"
#include <stdio.h>

typedef struct res_up_block {
    gan_bn_layer b1, b2;
    gan_conv_layer c1, c2, sc;
} res_up_block;

static gan_status build(gan_block_build *b, void *state) {
    res_up_block *s = state;
    int x[GAN_MAX_DIMS], nd = gan_block_input_shape(b, 0, x), out;
    gan_status st = gan_block_int(b, "out", 1, 0, &out);
    if (st) return st;
    if (nd != 3) return gan_block_fail(b, "needs an input [C, H, W] per sample");
    if (out < 1) return gan_block_fail(b, "option 'out' must be >= 1");
    if ((st = spec_block_tensor(b, "c1's weight", 4, (int64_t[]){out, x[0], 3, 3})) ||
        (st = spec_block_tensor(b, "c2's weight", 4, (int64_t[]){out, out, 3, 3})))
        return st;
    gan_net *net = gan_block_net(b);
    char nm[160];
    const char *p = gan_block_prefix(b);
    snprintf(nm, sizeof nm, "%s.b1", p);
    s->b1 = gan_batch_norm_layer_init(net, nm, x[0]);
    snprintf(nm, sizeof nm, "%s.c1", p);
    s->c1 = gan_conv2d_layer_init(net, nm, x[0], out, 3, 1, 1, 1);
    snprintf(nm, sizeof nm, "%s.b2", p);
    s->b2 = gan_batch_norm_layer_init(net, nm, out);
    snprintf(nm, sizeof nm, "%s.c2", p);
    s->c2 = gan_conv2d_layer_init(net, nm, out, out, 3, 1, 1, 1);
    snprintf(nm, sizeof nm, "%s.c_sc", p);
    s->sc = gan_conv2d_layer_init(net, nm, x[0], out, 1, 1, 0, 1);
    gan_block_mixes_batch(b);
    gan_block_set_output(b, 3, (int[]){out, 2 * x[1], 2 * x[2]});
    return GAN_OK;
}

/* batch norm + ReLU as one op, counting the batch as the BN layer's forward does */
static gan_tensor *bn_relu(gan_ctx *ctx, const gan_bn_layer *bn, gan_tensor *x) {
    int training = gan_ctx_training(ctx);
    gan_tensor *y = gan_batch_norm_act(ctx, x, bn->weight, bn->bias, bn->running_mean->data,
                                       bn->running_var->data, bn->momentum, bn->eps, training, 0.0f);
    if (training) bn->num_batches_tracked->data[0] += 1.0f;
    return y;
}

static gan_tensor *forward(gan_ctx *ctx, void *state, gan_tensor *const *in, int n) {
    const res_up_block *s = state;
    gan_tensor *x = in[0];
    gan_tensor *h = bn_relu(ctx, &s->b1, x);
    h = gan_conv2d_layer_forward(ctx, &s->c1, gan_upsample_nearest2d(ctx, h, 2));
    h = bn_relu(ctx, &s->b2, h);
    h = gan_conv2d_layer_forward(ctx, &s->c2, h);
    gan_tensor *sc = gan_upsample_nearest2d(ctx, gan_conv2d_layer_forward(ctx, &s->sc, x), 2);
    return gan_add(ctx, h, sc);
}

const gan_block_type gan_block_res_up = {"res_up", sizeof(res_up_block), 1, 1, build, forward};
