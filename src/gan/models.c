/* models.c — the model zoo: MLP GAN, the 28x28 DCGAN and pytorch/examples' DCGAN.
 * Parameter names follow the equivalent PyTorch nn.Sequential ("main.<index>.weight") so a
 * checkpoint loads into the PyTorch twin by name (tools/interop). */
#include "internal.h"
#include <stdio.h>
#include <string.h>

#define MAX_LAYERS 8

struct gan_model {
    gan_model_config cfg;
    gan_net *G, *D;
    int n_g, n_d;                         /* layers in G / D */
    gan_linear_layer g_fc[MAX_LAYERS], d_fc[MAX_LAYERS];
    gan_conv_layer g_conv[MAX_LAYERS], d_conv[MAX_LAYERS];
    gan_bn_layer g_bn[MAX_LAYERS], d_bn[MAX_LAYERS];
    int g_has_bn[MAX_LAYERS], d_has_bn[MAX_LAYERS];
};

static const char *kind_names[] = {"mlp", "dcgan28", "dcgan"};

const char *gan_model_kind_name(gan_model_kind k) { return kind_names[k]; }

gan_status gan_model_kind_parse(const char *s, gan_model_kind *out) {
    for (int i = 0; i < 3; i++)
        if (!strcmp(s, kind_names[i])) {
            *out = (gan_model_kind)i;
            return GAN_OK;
        }
    return gan_fail(GAN_ERR_ARG, "--model: unknown model '%s' (expected mlp, dcgan28 or dcgan)", s);
}

const gan_model_config *gan_model_cfg(const gan_model *m) { return &m->cfg; }
gan_net *gan_model_G(gan_model *m) { return m->G; }
gan_net *gan_model_D(gan_model *m) { return m->D; }

static void name(char *buf, int idx) { snprintf(buf, 32, "main.%d", idx); }


static void build_mlp(gan_model *m) {
    const gan_model_config *c = &m->cfg;
    int img = c->channels * c->size * c->size;
    int gdims[] = {c->nz, 256, 512, 1024, img}, ddims[] = {img, 512, 256, 1};
    char nm[32];
    m->n_g = 4;
    for (int i = 0; i < 4; i++) {
        name(nm, 2 * i);
        m->g_fc[i] = gan_linear_layer_init(m->G, nm, gdims[i], gdims[i + 1], 1);
    }
    m->n_d = 3;
    for (int i = 0; i < 3; i++) {
        name(nm, 2 * i);
        m->d_fc[i] = gan_linear_layer_init(m->D, nm, ddims[i], ddims[i + 1], 1);
    }
}

/* G: main.0 Linear(nz,128*7*7), main.1 Unflatten, main.2 BN(128), main.3 ReLU,
 *    main.4 ConvT(128,64,4,2,1), main.5 BN(64), main.6 ReLU, main.7 ConvT(64,C,4,2,1), main.8 Tanh
 * D: main.0 Conv(C,64,4,2,1), main.1 LReLU, main.2 Conv(64,128,4,2,1), main.3 BN(128),
 *    main.4 LReLU, main.5 Flatten, main.6 Linear(128*7*7, 1) */
static void build_dcgan28(gan_model *m) {
    const gan_model_config *c = &m->cfg;
    m->g_fc[0] = gan_linear_layer_init(m->G, "main.0", c->nz, 128 * 7 * 7, 1);
    m->g_bn[0] = gan_batch_norm_layer_init(m->G, "main.2", 128);
    m->g_conv[0] = gan_conv_transpose2d_layer_init(m->G, "main.4", 128, 64, 4, 2, 1, 0, 1);
    m->g_bn[1] = gan_batch_norm_layer_init(m->G, "main.5", 64);
    m->g_conv[1] = gan_conv_transpose2d_layer_init(m->G, "main.7", 64, c->channels, 4, 2, 1, 0, 1);
    m->d_conv[0] = gan_conv2d_layer_init(m->D, "main.0", c->channels, 64, 4, 2, 1, 1);
    m->d_conv[1] = gan_conv2d_layer_init(m->D, "main.2", 64, 128, 4, 2, 1, 1);
    m->d_bn[1] = gan_batch_norm_layer_init(m->D, "main.3", 128);
    m->d_fc[0] = gan_linear_layer_init(m->D, "main.6", 128 * 7 * 7, 1, 1);
}

/* pytorch/examples' DCGAN generalised to size = 4 * 2^L (32, 64, 128): G is L+1
 * conv-transposes (first 4/1/0 from z as nz x 1 x 1, then 4/2/1), each but the last followed
 * by BN + ReLU; D mirrors it with LeakyReLU and no BN after the first conv; no biases. Indices
 * follow the Sequential: G layer i occupies main.3i (conv), main.3i+1 (BN), main.3i+2 (ReLU);
 * D: main.0 conv, main.1 LReLU, then main.(2+3(i-1)) conv, +1 BN, +2 LReLU, last conv. */
static void build_dcgan(gan_model *m) {
    const gan_model_config *c = &m->cfg;
    int L = 0;
    while ((4 << L) < c->size) L++;
    char nm[32];
    int mult = 1 << (L - 1);
    m->n_g = L + 1;
    int in = c->nz;
    for (int i = 0; i <= L; i++) {
        int out = i == L ? c->channels : c->ngf * (mult >> i);
        name(nm, 3 * i);
        m->g_conv[i] = gan_conv_transpose2d_layer_init(m->G, nm, in, out, 4, i == 0 ? 1 : 2,
                                                       i == 0 ? 0 : 1, 0, 0);
        if (i < L) {
            name(nm, 3 * i + 1);
            m->g_bn[i] = gan_batch_norm_layer_init(m->G, nm, out);
            m->g_has_bn[i] = 1;
        }
        in = out;
    }
    m->n_d = L + 1;
    in = c->channels;
    int idx = 0;
    for (int i = 0; i <= L; i++) {
        int out = i == L ? 1 : c->ndf * (1 << i);
        name(nm, idx);
        m->d_conv[i] = gan_conv2d_layer_init(m->D, nm, in, out, 4, i == L ? 1 : 2, i == L ? 0 : 1, 0);
        idx++;
        if (i > 0 && i < L) {
            name(nm, idx++);
            m->d_bn[i] = gan_batch_norm_layer_init(m->D, nm, out);
            m->d_has_bn[i] = 1;
        }
        idx++; /* LeakyReLU */
        in = out;
    }
}

/* Re-draws conv weights N(0,0.02) and BN weights N(1,0.02), BN biases 0 (after finalize). */
static void dcgan_reinit(gan_net *net, uint64_t seed) {
    int n = gan_net_num_tensors(net);
    for (int i = 0; i < n; i++) {
        if (gan_net_tensor_is_buffer(net, i)) continue;
        gan_tensor *t = gan_net_tensor(net, i);
        size_t len = strlen(t->name);
        int is_weight = len > 7 && !strcmp(t->name + len - 7, ".weight");
        if (!is_weight) continue;
        if (t->ndim == 4) { /* conv / conv-transpose */
            gan_philox_normal(t->data, t->numel, seed, 1000 + (uint64_t)i);
            for (int64_t e = 0; e < t->numel; e++) t->data[e] *= 0.02f;
        } else if (t->ndim == 1) { /* batch norm */
            gan_philox_normal(t->data, t->numel, seed, 1000 + (uint64_t)i);
            for (int64_t e = 0; e < t->numel; e++) t->data[e] = 1.0f + 0.02f * t->data[e];
        }
    }
}

gan_status gan_model_new(const gan_model_config *cfg, uint64_t seed, gan_model **out) {
    *out = NULL;
    if (cfg->nz < 1 || cfg->nz > 4096) return gan_fail(GAN_ERR_ARG, "--nz: %d is out of range 1..4096", cfg->nz);
    if (cfg->channels < 1 || cfg->channels > 16)
        return gan_fail(GAN_ERR_ARG, "image channels: %d is out of range 1..16", cfg->channels);
    switch (cfg->kind) {
    case GAN_MODEL_MLP:
        if (cfg->size < 1 || cfg->size > 256) return gan_fail(GAN_ERR_ARG, "image size %d is out of range for mlp", cfg->size);
        break;
    case GAN_MODEL_DCGAN28:
        if (cfg->size != 28) return gan_fail(GAN_ERR_ARG, "model dcgan28 needs 28x28 images, got %dx%d", cfg->size, cfg->size);
        break;
    case GAN_MODEL_DCGAN:
        if (cfg->size != 32 && cfg->size != 64 && cfg->size != 128)
            return gan_fail(GAN_ERR_ARG, "model dcgan needs --size 32, 64 or 128, got %d", cfg->size);
        if (cfg->ngf < 1 || cfg->ndf < 1 || cfg->ngf > 1024 || cfg->ndf > 1024)
            return gan_fail(GAN_ERR_ARG, "--ngf/--ndf must be in 1..1024 (got %d/%d)", cfg->ngf, cfg->ndf);
        break;
    default:
        return gan_fail(GAN_ERR_ARG, "unknown model kind %d", (int)cfg->kind);
    }
    gan_model *m = gan_calloc(1, sizeof *m);
    m->cfg = *cfg;
    m->G = gan_net_new("G");
    m->D = gan_net_new("D");
    if (cfg->kind == GAN_MODEL_MLP) build_mlp(m);
    else if (cfg->kind == GAN_MODEL_DCGAN28) build_dcgan28(m);
    else build_dcgan(m);
    gan_net_finalize(m->G, seed * 2 + 1);
    gan_net_finalize(m->D, seed * 2 + 2);
    if (cfg->kind != GAN_MODEL_MLP) {
        dcgan_reinit(m->G, seed * 2 + 1);
        dcgan_reinit(m->D, seed * 2 + 2);
    }
    *out = m;
    return GAN_OK;
}

void gan_model_free(gan_model *m) {
    if (!m) return;
    gan_net_free(m->G);
    gan_net_free(m->D);
    gan_free(m);
}

gan_tensor *gan_model_generate(gan_ctx *ctx, gan_model *m, gan_tensor *z) {
    const gan_model_config *c = &m->cfg;
    int N = z->shape[0];
    GAN_ASSERT(z->ndim == 2 && z->shape[1] == c->nz);
    gan_tensor *h = z;
    switch (c->kind) {
    case GAN_MODEL_MLP:
        for (int i = 0; i < m->n_g; i++) {
            h = gan_linear_layer_forward(ctx, &m->g_fc[i], h);
            h = i < m->n_g - 1 ? gan_leaky_relu(ctx, h, 0.2f) : gan_tanh(ctx, h);
        }
        return gan_reshape(ctx, h, GAN_SHAPE(N, c->channels, c->size, c->size));
    case GAN_MODEL_DCGAN28:
        h = gan_linear_layer_forward(ctx, &m->g_fc[0], h);
        h = gan_reshape(ctx, h, GAN_SHAPE(N, 128, 7, 7));
        h = gan_relu(ctx, gan_batch_norm_layer_forward(ctx, &m->g_bn[0], h));
        h = gan_conv_transpose2d_layer_forward(ctx, &m->g_conv[0], h);
        h = gan_relu(ctx, gan_batch_norm_layer_forward(ctx, &m->g_bn[1], h));
        h = gan_conv_transpose2d_layer_forward(ctx, &m->g_conv[1], h);
        return gan_tanh(ctx, h);
    case GAN_MODEL_DCGAN:
        h = gan_reshape(ctx, h, GAN_SHAPE(N, c->nz, 1, 1));
        for (int i = 0; i < m->n_g; i++) {
            h = gan_conv_transpose2d_layer_forward(ctx, &m->g_conv[i], h);
            h = m->g_has_bn[i] ? gan_relu(ctx, gan_batch_norm_layer_forward(ctx, &m->g_bn[i], h))
                               : gan_tanh(ctx, h);
        }
        return h;
    }
    return NULL;
}

gan_tensor *gan_model_discriminate(gan_ctx *ctx, gan_model *m, gan_tensor *x) {
    const gan_model_config *c = &m->cfg;
    int N = x->shape[0];
    GAN_ASSERT(x->ndim == 4 && x->shape[1] == c->channels && x->shape[2] == c->size && x->shape[3] == c->size);
    gan_tensor *h = x;
    switch (c->kind) {
    case GAN_MODEL_MLP:
        h = gan_reshape(ctx, h, GAN_SHAPE(N, -1));
        for (int i = 0; i < m->n_d; i++) {
            h = gan_linear_layer_forward(ctx, &m->d_fc[i], h);
            if (i < m->n_d - 1) h = gan_leaky_relu(ctx, h, 0.2f);
        }
        return h;
    case GAN_MODEL_DCGAN28:
        h = gan_leaky_relu(ctx, gan_conv2d_layer_forward(ctx, &m->d_conv[0], h), 0.2f);
        h = gan_conv2d_layer_forward(ctx, &m->d_conv[1], h);
        h = gan_leaky_relu(ctx, gan_batch_norm_layer_forward(ctx, &m->d_bn[1], h), 0.2f);
        return gan_linear_layer_forward(ctx, &m->d_fc[0], gan_reshape(ctx, h, GAN_SHAPE(N, -1)));
    case GAN_MODEL_DCGAN:
        for (int i = 0; i < m->n_d; i++) {
            h = gan_conv2d_layer_forward(ctx, &m->d_conv[i], h);
            if (m->d_has_bn[i]) h = gan_batch_norm_layer_forward(ctx, &m->d_bn[i], h);
            if (i < m->n_d - 1) h = gan_leaky_relu(ctx, h, 0.2f);
        }
        return gan_reshape(ctx, h, GAN_SHAPE(N, 1));
    }
    return NULL;
}
