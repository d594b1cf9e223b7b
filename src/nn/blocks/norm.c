/* norm.c — block "norm": a normalisation and the activation after it, as one block so that
 * batch norm + ReLU/LeakyReLU runs as one fused op (gan_batch_norm_act).
 *   kind: batch (BatchNorm over the batch and every axis but channels: <name>.weight, .bias,
 *         .running_mean, .running_var, .num_batches_tracked), layer (LayerNorm over the whole
 *         per-sample shape, weight and bias of that shape), instance (per sample and channel
 *         over H, W; affine: false, as PyTorch), none (only the activation);
 *   act: none | relu | leaky_relu (slope 0.2);
 *   inplace: with kind none, the activation writes over its input (which nothing else may
 *         read: a conv's output), one full-size tensor fewer.
 * Batch norm makes the net mix the samples of a batch (gan_module_mixes_batch). */
#include "internal.h"
#include <stdio.h>

enum { K_BATCH, K_LAYER, K_INSTANCE, K_NONE };
enum { A_NONE, A_RELU, A_LEAKY };

typedef struct norm_block {
    int kind, act, inplace, ndim;
    float slope;
    gan_bn_layer bn;
    gan_tensor *weight, *bias;
} norm_block;

static gan_status build(gan_block_build *b, void *state) {
    static const char *const kinds[] = {"batch", "layer", "instance", "none", NULL};
    static const char *const acts[] = {"none", "relu", "leaky_relu", NULL};
    norm_block *s = state;
    int x[GAN_MAX_DIMS], nd = gan_block_input_shape(b, 0, x), affine;
    gan_status st;
    if ((st = gan_block_choice(b, "kind", kinds, -1, &s->kind)) || (st = gan_block_choice(b, "act", acts, A_NONE, &s->act)) ||
        (st = gan_block_float(b, "slope", 0, 0.2f, &s->slope)) || (st = gan_block_bool(b, "inplace", 0, &s->inplace)) ||
        (st = gan_block_bool(b, "affine", s->kind != K_INSTANCE, &affine)))
        return st;
    /* batch and layer norm always carry their scale and shift (PyTorch's default) */
    if (!affine && (s->kind == K_BATCH || s->kind == K_LAYER))
        return gan_block_fail(b, "option 'affine': false is supported for instance norm only");
    if (s->act == A_RELU) s->slope = 0.0f;
    s->ndim = nd;
    gan_net *net = gan_block_net(b);
    const char *p = gan_block_prefix(b);
    char name[160];
    if (s->kind == K_BATCH) {
        if (nd < 1) return gan_block_fail(b, "batch norm needs channels: an input [C, ...] per sample");
        s->bn = gan_batch_norm_layer_init(net, p, x[0]);
        gan_block_mixes_batch(b);
    } else if (s->kind == K_LAYER) {
        if (nd < 1) return gan_block_fail(b, "layer norm needs a non-scalar input");
        snprintf(name, sizeof name, "%s.weight", p);
        s->weight = gan_net_param(net, name, nd, x, GAN_INIT_ONE, 0);
        snprintf(name, sizeof name, "%s.bias", p);
        s->bias = gan_net_param(net, name, nd, x, GAN_INIT_ZERO, 0);
    } else if (s->kind == K_INSTANCE) {
        if (nd < 2) return gan_block_fail(b, "instance norm needs an input [C, H, W] per sample");
        if (affine) {
            snprintf(name, sizeof name, "%s.weight", p);
            s->weight = gan_net_param(net, name, 1, x, GAN_INIT_ONE, 0);
            snprintf(name, sizeof name, "%s.bias", p);
            s->bias = gan_net_param(net, name, 1, x, GAN_INIT_ZERO, 0);
        }
    }
    if (s->inplace && s->kind != K_NONE) s->inplace = 0; /* the norm's output is fresh anyway */
    gan_block_set_output(b, nd, x);
    return GAN_OK;
}

static gan_tensor *act(gan_ctx *ctx, const norm_block *s, gan_tensor *x) {
    if (s->act == A_NONE) return x;
    if (s->inplace) return gan_leaky_relu_inplace(ctx, x, s->slope);
    return s->act == A_RELU ? gan_relu(ctx, x) : gan_leaky_relu(ctx, x, s->slope);
}

static gan_tensor *forward(gan_ctx *ctx, void *state, gan_tensor *const *in, int n) {
    const norm_block *s = state;
    gan_tensor *x = in[0];
    switch (s->kind) {
    case K_BATCH: {
        const gan_bn_layer *bn = &s->bn;
        if (s->act == A_NONE) return gan_batch_norm_layer_forward(ctx, bn, x);
        int training = gan_ctx_training(ctx);
        gan_tensor *y = gan_batch_norm_act(ctx, x, bn->weight, bn->bias, bn->running_mean->data,
                                           bn->running_var->data, bn->momentum, bn->eps, training, s->slope);
        if (training) bn->num_batches_tracked->data[0] += 1.0f;
        return y;
    }
    case K_LAYER: return act(ctx, s, gan_layer_norm(ctx, x, s->ndim, s->weight, s->bias, 1e-5f));
    case K_INSTANCE: return act(ctx, s, gan_instance_norm(ctx, x, s->weight, s->bias, 1e-5f));
    }
    return act(ctx, s, x);
}

const gan_block_type gan_block_norm = {"norm", sizeof(norm_block), 1, 1, build, forward};
