/* batch_norm_layer.c — torch.nn.BatchNorm2d / BatchNorm1d: affine parameters, running
 * statistics and the batch counter, with PyTorch's names and defaults. */
#include "internal.h"
#include <stdio.h>

static void pname(char *buf, size_t n, const char *prefix, const char *suffix) {
    int k = snprintf(buf, n, "%s%s%s", prefix ? prefix : "", prefix && *prefix ? "." : "", suffix);
    GAN_ASSERT_MSG(k > 0 && (size_t)k < n, "parameter name too long");
}

gan_bn_layer gan_batch_norm_layer_init(gan_net *net, const char *prefix, int channels) {
    GAN_ASSERT(channels > 0);
    char name[256];
    gan_bn_layer bn = {0};
    bn.momentum = 0.1f;
    bn.eps = 1e-5f;
    pname(name, sizeof name, prefix, "weight");
    bn.weight = gan_net_param(net, name, GAN_SHAPE(channels), GAN_INIT_ONE, 0);
    pname(name, sizeof name, prefix, "bias");
    bn.bias = gan_net_param(net, name, GAN_SHAPE(channels), GAN_INIT_ZERO, 0);
    pname(name, sizeof name, prefix, "running_mean");
    bn.running_mean = gan_net_buffer(net, name, GAN_SHAPE(channels), 0.0f);
    pname(name, sizeof name, prefix, "running_var");
    bn.running_var = gan_net_buffer(net, name, GAN_SHAPE(channels), 1.0f);
    /* an int64 scalar in PyTorch; a float counts exactly up to 2^24 batches */
    pname(name, sizeof name, prefix, "num_batches_tracked");
    bn.num_batches_tracked = gan_net_buffer(net, name, GAN_SHAPE(1), 0.0f);
    return bn;
}

// x (N,C,H,W) or (N,C), weight/bias/running stats (C) -> same shape as x
gan_tensor *gan_batch_norm_layer_forward(gan_ctx *ctx, const gan_bn_layer *bn, gan_tensor *x) {
    GAN_ASSERT_MSG(bn->weight->data, "gan_net_finalize the layer's net before forward");
    GAN_ASSERT_MSG(x->ndim >= 2 && x->shape[1] == bn->weight->shape[0],
                   "batch norm: x's channel count differs from the layer's");
    int training = gan_ctx_training(ctx);
    gan_tensor *y = gan_batch_norm(ctx, x, bn->weight, bn->bias, bn->running_mean->data,
                                   bn->running_var->data, bn->momentum, bn->eps, training);
    if (training) bn->num_batches_tracked->data[0] += 1.0f;
    return y;
}
