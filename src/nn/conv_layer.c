/* conv_layer.c — torch.nn.Conv2d and torch.nn.ConvTranspose2d (square kernels, groups = 1). */
#include "internal.h"
#include <stdio.h>

static void pname(char *buf, size_t n, const char *prefix, const char *suffix) {
    int k = snprintf(buf, n, "%s%s%s", prefix ? prefix : "", prefix && *prefix ? "." : "", suffix);
    GAN_ASSERT_MSG(k > 0 && (size_t)k < n, "parameter name too long");
}

/* PyTorch draws both weight and bias with bound 1/sqrt(fan_in), fan_in taken from the weight
 * as size(1) * k * k: in*k*k for Conv2d but out*k*k for ConvTranspose2d (its weight is
 * (in,out,k,k)). We match that, quirk included, so initial statistics agree.
 * The weight is (d0, d1, k, k); the bias has the output-channel count. */
static gan_conv_layer conv_init(gan_net *net, const char *prefix, int d0, int d1, int k,
                                int stride, int pad, int output_padding, int bias,
                                int output_channels_first) {
    GAN_ASSERT(d0 > 0 && d1 > 0 && k > 0 && stride > 0 && pad >= 0 && output_padding >= 0);
    char name[256];
    int fan_in = d1 * k * k;
    gan_conv_layer c = {0};
    c.stride = stride;
    c.pad = pad;
    c.output_padding = output_padding;
    pname(name, sizeof name, prefix, "weight");
    c.weight = gan_net_param(net, name, GAN_SHAPE(d0, d1, k, k), GAN_INIT_KAIMING_UNIFORM, fan_in);
    if (bias) {
        int out = output_channels_first ? d0 : d1;
        pname(name, sizeof name, prefix, "bias");
        c.bias = gan_net_param(net, name, GAN_SHAPE(out), GAN_INIT_FAN_IN_UNIFORM, fan_in);
    }
    return c;
}

gan_conv_layer gan_conv2d_layer_init(gan_net *net, const char *prefix, int in, int out, int k,
                                     int stride, int pad, int bias) {
    return conv_init(net, prefix, out, in, k, stride, pad, 0, bias, 1);
}

// x (N,in,H,W), weight (out,in,k,k), bias (out) -> (N,out,HO,WO)
gan_tensor *gan_conv2d_layer_forward(gan_ctx *ctx, const gan_conv_layer *c, gan_tensor *x) {
    GAN_ASSERT_MSG(c->weight->data, "gan_net_finalize the layer's net before forward");
    return gan_conv2d(ctx, x, c->weight, c->bias, c->stride, c->pad);
}

gan_conv_layer gan_conv_transpose2d_layer_init(gan_net *net, const char *prefix, int in,
                                               int out, int k, int stride, int pad,
                                               int output_padding, int bias) {
    GAN_ASSERT_MSG(output_padding < stride, "output_padding must be smaller than stride");
    return conv_init(net, prefix, in, out, k, stride, pad, output_padding, bias, 0);
}

// x (N,in,H,W), weight (in,out,k,k), bias (out) -> (N,out,HO,WO)
gan_tensor *gan_conv_transpose2d_layer_forward(gan_ctx *ctx, const gan_conv_layer *c,
                                               gan_tensor *x) {
    GAN_ASSERT_MSG(c->weight->data, "gan_net_finalize the layer's net before forward");
    return gan_conv_transpose2d(ctx, x, c->weight, c->bias, c->stride, c->pad, c->output_padding);
}
