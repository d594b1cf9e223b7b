/* linear_layer.c — torch.nn.Linear: parameters and forward. */
#include "internal.h"
#include <stdio.h>

/* Parameter names are prefix + suffix, as PyTorch's state_dict spells them. */
static void pname(char *buf, size_t n, const char *prefix, const char *suffix) {
    int k = snprintf(buf, n, "%s%s%s", prefix ? prefix : "", prefix && *prefix ? "." : "", suffix);
    GAN_ASSERT_MSG(k > 0 && (size_t)k < n, "parameter name too long");
}

gan_linear_layer gan_linear_layer_init(gan_net *net, const char *prefix, int in, int out,
                                       int bias) {
    GAN_ASSERT(in > 0 && out > 0);
    char name[256];
    gan_linear_layer l = {0};
    pname(name, sizeof name, prefix, "weight");
    l.weight = gan_net_param(net, name, GAN_SHAPE(out, in), GAN_INIT_KAIMING_UNIFORM, in);
    if (bias) {
        pname(name, sizeof name, prefix, "bias");
        l.bias = gan_net_param(net, name, GAN_SHAPE(out), GAN_INIT_FAN_IN_UNIFORM, in);
    }
    return l;
}

// x (N,in), weight (out,in), bias (out) -> (N,out)
gan_tensor *gan_linear_layer_forward(gan_ctx *ctx, const gan_linear_layer *l, gan_tensor *x) {
    GAN_ASSERT_MSG(l->weight->data, "gan_net_finalize the layer's net before forward");
    return gan_linear(ctx, x, l->weight, l->bias);
}
