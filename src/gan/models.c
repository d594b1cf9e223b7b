/* models.c — the model zoo: MLP GAN, the 28x28 DCGAN, pytorch/examples' DCGAN, SNGAN's ResNet.
 * Parameter names follow the equivalent PyTorch modules ("main.<index>.weight" of an
 * nn.Sequential for the MLP and DCGANs) so a checkpoint loads into the PyTorch twin by name
 * (tools/interop_torch.py). D's conv and linear weights can be spectrally normalised (--sn);
 * its hidden norm layers can be batch norm, layer norm or none (WGAN-GP needs no batch norm). */
#include "internal.h"
#include <stdio.h>
#include <string.h>

#define MAX_LAYERS 8
#define MAX_BLOCKS 5

/* A D layer: conv or linear, optionally spectrally normalised. */
typedef struct dlayer {
    gan_conv_layer conv;
    gan_linear_layer fc;
    gan_spectral_norm sn;
    int has_sn;
} dlayer;

/* A layer-norm layer over (C, H, W), PyTorch's nn.LayerNorm([C, H, W]). */
typedef struct ln_layer { gan_tensor *weight, *bias; } ln_layer;

/* SNGAN ResNet blocks. G: BN-ReLU-up-conv3-BN-ReLU-conv3 + up-conv1 shortcut.
 * D: (ReLU)-conv3-ReLU-conv3-(avgpool) + conv1-(avgpool) shortcut; the first ("optimized")
 * block has no leading ReLU and pools before its shortcut conv. */
typedef struct gblock { gan_bn_layer b1, b2; gan_conv_layer c1, c2, sc; } gblock;
typedef struct dblock { dlayer c1, c2, sc; int down, first, has_sc; } dblock;

struct gan_model {
    gan_model_config cfg;
    gan_net *G, *D;
    int n_g, n_d;                         /* layers in G / D */
    gan_linear_layer g_fc[MAX_LAYERS];
    gan_conv_layer g_conv[MAX_LAYERS];
    gan_bn_layer g_bn[MAX_LAYERS], d_bn[MAX_LAYERS];
    ln_layer d_ln[MAX_LAYERS];
    dlayer d[MAX_LAYERS];                 /* D's conv / linear layers in order */
    int g_has_bn[MAX_LAYERS], d_has_norm[MAX_LAYERS];
    gblock gb[MAX_BLOCKS];
    dblock db[MAX_BLOCKS];
    int n_gb, n_db;
};

static const char *kind_names[] = {"mlp", "dcgan28", "dcgan", "resnet"};
static const char *norm_names[] = {"batch", "layer", "none"};

const char *gan_model_kind_name(gan_model_kind k) { return kind_names[k]; }
const char *gan_d_norm_name(gan_d_norm n) { return norm_names[n]; }

gan_status gan_model_kind_parse(const char *s, gan_model_kind *out) {
    for (int i = 0; i < 4; i++)
        if (!strcmp(s, kind_names[i])) {
            *out = (gan_model_kind)i;
            return GAN_OK;
        }
    return gan_fail(GAN_ERR_ARG, "--model: unknown model '%s' (expected mlp, dcgan28, dcgan or resnet)", s);
}

gan_status gan_d_norm_parse(const char *s, gan_d_norm *out) {
    for (int i = 0; i < 3; i++)
        if (!strcmp(s, norm_names[i])) {
            *out = (gan_d_norm)i;
            return GAN_OK;
        }
    return gan_fail(GAN_ERR_ARG, "--d-norm: unknown norm '%s' (expected batch, layer or none)", s);
}

const gan_model_config *gan_model_cfg(const gan_model *m) { return &m->cfg; }
gan_net *gan_model_G(gan_model *m) { return m->G; }
gan_net *gan_model_D(gan_model *m) { return m->D; }

static void name(char *buf, int idx) { snprintf(buf, 32, "main.%d", idx); }

/* ---------------------------------------------------------------- memory helpers */

/* A BN layer followed by ReLU (slope 0) or LeakyReLU as one op with one output tensor
 * (gan_batch_norm_act: same values and gradients as gan_batch_norm_layer_forward + the
 * activation), counting the batch as the layer's forward does. */
static gan_tensor *bn_act(gan_ctx *ctx, const gan_bn_layer *bn, gan_tensor *x, float slope) {
    int training = gan_ctx_training(ctx);
    gan_tensor *y = gan_batch_norm_act(ctx, x, bn->weight, bn->bias, bn->running_mean->data,
                                       bn->running_var->data, bn->momentum, bn->eps, training,
                                       slope);
    if (training) bn->num_batches_tracked->data[0] += 1.0f;
    return y;
}

/* `prev` was just consumed by the op that made `next`. When that op recorded no node (no
 * graph: sampling, the D step's G(z)), nothing can read prev any more, so its buffer goes back
 * to the arena for the next layer; the caller passes only tensors it created (never z or a
 * view of it). Returns next. */
static gan_tensor *drop(gan_ctx *ctx, gan_tensor *prev, gan_tensor *next) {
    if (!next->node) gan_tensor_release(ctx, prev);
    return next;
}

/* ---------------------------------------------------------------- D layers */

static void d_conv_init(gan_model *m, dlayer *l, const char *nm, int in, int out, int k, int stride,
                        int pad, int bias) {
    l->conv = gan_conv2d_layer_init(m->D, nm, in, out, k, stride, pad, bias);
    if ((l->has_sn = m->cfg.sn)) l->sn = gan_spectral_norm_init(m->D, l->conv.weight);
}

static void d_fc_init(gan_model *m, dlayer *l, const char *nm, int in, int out) {
    l->fc = gan_linear_layer_init(m->D, nm, in, out, 1);
    if ((l->has_sn = m->cfg.sn)) l->sn = gan_spectral_norm_init(m->D, l->fc.weight);
}

static gan_tensor *d_conv(gan_ctx *ctx, const dlayer *l, gan_tensor *x) {
    if (!l->has_sn) return gan_conv2d_layer_forward(ctx, &l->conv, x);
    return gan_conv2d(ctx, x, gan_spectral_norm_forward(ctx, &l->sn), l->conv.bias,
                      l->conv.stride, l->conv.pad);
}

static gan_tensor *d_fc(gan_ctx *ctx, const dlayer *l, gan_tensor *x) {
    if (!l->has_sn) return gan_linear_layer_forward(ctx, &l->fc, x);
    return gan_linear(ctx, x, gan_spectral_norm_forward(ctx, &l->sn), l->fc.bias);
}

/* D's hidden norm at layer i (channels c, spatial hw) */
static void d_norm_init(gan_model *m, int i, const char *nm, int c, int hw) {
    char buf[48];
    m->d_has_norm[i] = m->cfg.d_norm != GAN_D_NORM_NONE;
    if (m->cfg.d_norm == GAN_D_NORM_BATCH) {
        m->d_bn[i] = gan_batch_norm_layer_init(m->D, nm, c);
    } else if (m->cfg.d_norm == GAN_D_NORM_LAYER) {
        snprintf(buf, sizeof buf, "%s.weight", nm);
        m->d_ln[i].weight = gan_net_param(m->D, buf, GAN_SHAPE(c, hw, hw), GAN_INIT_ONE, 0);
        snprintf(buf, sizeof buf, "%s.bias", nm);
        m->d_ln[i].bias = gan_net_param(m->D, buf, GAN_SHAPE(c, hw, hw), GAN_INIT_ZERO, 0);
    }
}

/* D's hidden norm at layer i, then LeakyReLU 0.2; x is the output of D's conv i. Fused with
 * batch norm; without a norm, written over x (the conv's rule never reads its output). */
static gan_tensor *d_norm_lrelu(gan_ctx *ctx, gan_model *m, int i, gan_tensor *x) {
    if (!m->d_has_norm[i]) return gan_leaky_relu_inplace(ctx, x, 0.2f);
    if (m->cfg.d_norm == GAN_D_NORM_BATCH) return bn_act(ctx, &m->d_bn[i], x, 0.2f);
    x = gan_layer_norm(ctx, x, 3, m->d_ln[i].weight, m->d_ln[i].bias, 1e-5f);
    return gan_leaky_relu(ctx, x, 0.2f);
}

/* ---------------------------------------------------------------- MLP */

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
        d_fc_init(m, &m->d[i], nm, ddims[i], ddims[i + 1]);
    }
}

/* ---------------------------------------------------------------- DCGAN-28
 * G: main.0 Linear(nz,128*7*7), main.1 Unflatten, main.2 BN(128), main.3 ReLU,
 *    main.4 ConvT(128,64,4,2,1), main.5 BN(64), main.6 ReLU, main.7 ConvT(64,C,4,2,1), main.8 Tanh
 * D: main.0 Conv(C,64,4,2,1), main.1 LReLU, main.2 Conv(64,128,4,2,1), main.3 norm(128),
 *    main.4 LReLU, main.5 Flatten, main.6 Linear(128*7*7, 1) */
static void build_dcgan28(gan_model *m) {
    const gan_model_config *c = &m->cfg;
    m->g_fc[0] = gan_linear_layer_init(m->G, "main.0", c->nz, 128 * 7 * 7, 1);
    m->g_bn[0] = gan_batch_norm_layer_init(m->G, "main.2", 128);
    m->g_conv[0] = gan_conv_transpose2d_layer_init(m->G, "main.4", 128, 64, 4, 2, 1, 0, 1);
    m->g_bn[1] = gan_batch_norm_layer_init(m->G, "main.5", 64);
    m->g_conv[1] = gan_conv_transpose2d_layer_init(m->G, "main.7", 64, c->channels, 4, 2, 1, 0, 1);
    d_conv_init(m, &m->d[0], "main.0", c->channels, 64, 4, 2, 1, 1);
    d_conv_init(m, &m->d[1], "main.2", 64, 128, 4, 2, 1, 1);
    d_norm_init(m, 1, "main.3", 128, 7);
    d_fc_init(m, &m->d[2], "main.6", 128 * 7 * 7, 1);
}

/* ---------------------------------------------------------------- pytorch/examples' DCGAN
 * Generalised to size = 4 * 2^L (32, 64, 128): G is L+1 conv-transposes (first 4/1/0 from z
 * as nz x 1 x 1, then 4/2/1), each but the last followed by BN + ReLU; D mirrors it with
 * LeakyReLU and no norm after the first conv; no biases. Indices follow the Sequential:
 * G layer i occupies main.3i (conv), main.3i+1 (BN), main.3i+2 (ReLU); D: main.0 conv,
 * main.1 LReLU, then main.(2+3(i-1)) conv, +1 norm, +2 LReLU, and the last conv. */
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
        name(nm, idx++);
        d_conv_init(m, &m->d[i], nm, in, out, 4, i == L ? 1 : 2, i == L ? 0 : 1, 0);
        if (i > 0 && i < L) {
            name(nm, idx++);
            d_norm_init(m, i, nm, out, c->size >> (i + 1));
        }
        idx++; /* LeakyReLU */
        in = out;
    }
}

/* ---------------------------------------------------------------- SNGAN ResNet
 * 32x32: G l1 Linear(nz, 4*4*ch) -> 3 up-blocks -> BN, ReLU, conv3x3 -> tanh;
 *        D 1 optimized down-block, 1 down-block, 2 plain blocks -> ReLU -> sum(H,W) -> Linear.
 * 64x64: one more up-block in G and one more down-block in D. ch = ngf (G), ndf (D).
 * 28x28 (Fashion-MNIST without padding): G starts at 7x7 and has 2 up-blocks (7->14->28);
 *        D has 2 down-blocks (28->14->7, exact 2x2 pools of even sizes) and 2 plain blocks.
 * In general size = base * 2^ups with base 4 or 7; D halves the grid while it is above 8, so
 * 32 and 64 end at SNGAN's 8x8 and 28 at 7x7. */
static int resnet_base(int size) { return size % 7 == 0 ? 7 : 4; }

static void build_gblock(gan_model *m, gblock *b, int idx, int in, int out) {
    char nm[48];
    snprintf(nm, sizeof nm, "block%d.b1", idx);
    b->b1 = gan_batch_norm_layer_init(m->G, nm, in);
    snprintf(nm, sizeof nm, "block%d.c1", idx);
    b->c1 = gan_conv2d_layer_init(m->G, nm, in, out, 3, 1, 1, 1);
    snprintf(nm, sizeof nm, "block%d.b2", idx);
    b->b2 = gan_batch_norm_layer_init(m->G, nm, out);
    snprintf(nm, sizeof nm, "block%d.c2", idx);
    b->c2 = gan_conv2d_layer_init(m->G, nm, out, out, 3, 1, 1, 1);
    snprintf(nm, sizeof nm, "block%d.c_sc", idx);
    b->sc = gan_conv2d_layer_init(m->G, nm, in, out, 1, 1, 0, 1);
}

static void build_dblock(gan_model *m, dblock *b, int idx, int in, int out, int down, int first) {
    char nm[48];
    b->down = down;
    b->first = first;
    snprintf(nm, sizeof nm, "block%d.c1", idx);
    d_conv_init(m, &b->c1, nm, in, out, 3, 1, 1, 1);
    snprintf(nm, sizeof nm, "block%d.c2", idx);
    d_conv_init(m, &b->c2, nm, out, out, 3, 1, 1, 1);
    b->has_sc = down || in != out;
    if (b->has_sc) {
        snprintf(nm, sizeof nm, "block%d.c_sc", idx);
        d_conv_init(m, &b->sc, nm, in, out, 1, 1, 0, 1);
    }
}

static void build_resnet(gan_model *m) {
    const gan_model_config *c = &m->cfg;
    int base = resnet_base(c->size), p = c->pyramid != 0;
    m->n_gb = 0;
    while ((base << m->n_gb) < c->size) m->n_gb++;
    /* G's width at the grid of up-block i's input: ngf, or ngf * 2^(blocks left) */
    int gw = c->ngf << (p * m->n_gb);
    m->g_fc[0] = gan_linear_layer_init(m->G, "l1", c->nz, base * base * gw, 1);
    for (int i = 0; i < m->n_gb; i++, gw >>= p) build_gblock(m, &m->gb[i], i + 2, gw, gw >> p);
    m->g_bn[0] = gan_batch_norm_layer_init(m->G, "b_out", c->ngf);
    m->g_conv[0] = gan_conv2d_layer_init(m->G, "c_out", c->ngf, c->channels, 3, 1, 1, 1);
    int n_down = 0;
    while ((c->size >> n_down) > 8) n_down++;
    m->n_db = n_down + 2;
    /* D's width after block i: ndf, doubled by each down-block after the first */
    int in = c->channels, dw = c->ndf;
    for (int i = 0; i < m->n_db; i++) {
        if (p && i > 0 && i < n_down) dw *= 2;
        build_dblock(m, &m->db[i], i + 1, in, dw, i < n_down, i == 0);
        in = dw;
    }
    d_fc_init(m, &m->d[0], "l_out", dw, 1);
}

static gan_tensor *gblock_forward(gan_ctx *ctx, const gblock *b, gan_tensor *x) {
    gan_tensor *h = bn_act(ctx, &b->b1, x, 0.0f);
    h = gan_conv2d_layer_forward(ctx, &b->c1, gan_upsample_nearest2d(ctx, h, 2));
    h = bn_act(ctx, &b->b2, h, 0.0f);
    h = gan_conv2d_layer_forward(ctx, &b->c2, h);
    /* SNGAN's shortcut is conv1x1(upsample(x)); upsampling after the 1x1 conv gives the same
     * values (each output reads one input pixel through the same sums) at a quarter the cost */
    gan_tensor *sc = gan_upsample_nearest2d(ctx, gan_conv2d_layer_forward(ctx, &b->sc, x), 2);
    return gan_add(ctx, h, sc);
}

static gan_tensor *dblock_forward(gan_ctx *ctx, const dblock *b, gan_tensor *x) {
    gan_tensor *h = b->first ? x : gan_relu(ctx, x);
    h = d_conv(ctx, &b->c2, gan_relu(ctx, d_conv(ctx, &b->c1, h)));
    if (b->down) h = gan_avg_pool2d(ctx, h, 2);
    gan_tensor *sc = x;
    if (b->has_sc) {
        if (b->first) sc = d_conv(ctx, &b->sc, b->down ? gan_avg_pool2d(ctx, x, 2) : x);
        else {
            sc = d_conv(ctx, &b->sc, x);
            if (b->down) sc = gan_avg_pool2d(ctx, sc, 2);
        }
    }
    return gan_add(ctx, h, sc);
}

/* ---------------------------------------------------------------- init */

/* DCGAN init (Radford et al.): conv weights N(0, 0.02), BN weight N(1, 0.02), BN bias 0.
 * Applied after finalize, over the net's tensors by shape: 4-D weights are convs, 1-D
 * weights are batch norms (layer-norm weights are 3-D and stay at one). */
static void dcgan_reinit(gan_net *net, uint64_t seed) {
    int n = gan_net_num_tensors(net);
    for (int i = 0; i < n; i++) {
        if (gan_net_tensor_is_buffer(net, i)) continue;
        gan_tensor *t = gan_net_tensor(net, i);
        size_t len = strlen(t->name);
        int is_weight = len > 7 && !strcmp(t->name + len - 7, ".weight");
        if (!is_weight) continue;
        if (t->ndim == 4) {
            gan_philox_normal(t->data, t->numel, seed, 1000 + (uint64_t)i);
            for (int64_t e = 0; e < t->numel; e++) t->data[e] *= 0.02f;
        } else if (t->ndim == 1) {
            gan_philox_normal(t->data, t->numel, seed, 1000 + (uint64_t)i);
            for (int64_t e = 0; e < t->numel; e++) t->data[e] = 1.0f + 0.02f * t->data[e];
        }
    }
}

static void reset_sn(dlayer *l, uint64_t seed, uint64_t stream) {
    if (l->has_sn) gan_spectral_norm_reset(&l->sn, seed, stream);
}

gan_status gan_model_new(const gan_model_config *cfg, uint64_t seed, gan_model **out) {
    *out = NULL;
    if (cfg->nz < 1 || cfg->nz > 4096) return gan_fail(GAN_ERR_ARG, "--nz: %d is out of range 1..4096", cfg->nz);
    if (cfg->channels < 1 || cfg->channels > 16)
        return gan_fail(GAN_ERR_ARG, "image channels: %d is out of range 1..16", cfg->channels);
    if ((unsigned)cfg->d_norm > GAN_D_NORM_NONE) return gan_fail(GAN_ERR_ARG, "unknown D norm %d", (int)cfg->d_norm);
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
        break;
    case GAN_MODEL_RESNET:
        if (cfg->size != 28 && cfg->size != 32 && cfg->size != 64)
            return gan_fail(GAN_ERR_ARG, "model resnet needs 28x28, 32x32 or 64x64 images (--size 28|32|64), got %d", cfg->size);
        break;
    default:
        return gan_fail(GAN_ERR_ARG, "unknown model kind %d", (int)cfg->kind);
    }
    if (cfg->kind != GAN_MODEL_MLP && (cfg->ngf < 1 || cfg->ndf < 1 || cfg->ngf > 1024 || cfg->ndf > 1024))
        return gan_fail(GAN_ERR_ARG, "--ngf/--ndf must be in 1..1024 (got %d/%d)", cfg->ngf, cfg->ndf);
    if (cfg->pyramid && cfg->kind != GAN_MODEL_RESNET)
        return gan_fail(GAN_ERR_ARG, "--pyramid: only the ResNet has width multipliers, not model %s",
                        kind_names[cfg->kind]);
    gan_model *m = gan_calloc(1, sizeof *m);
    m->cfg = *cfg;
    m->G = gan_net_new("G");
    m->D = gan_net_new("D");
    if (cfg->kind == GAN_MODEL_MLP) build_mlp(m);
    else if (cfg->kind == GAN_MODEL_DCGAN28) build_dcgan28(m);
    else if (cfg->kind == GAN_MODEL_DCGAN) build_dcgan(m);
    else build_resnet(m);
    gan_net_finalize(m->G, seed * 2 + 1);
    gan_net_finalize(m->D, seed * 2 + 2);
    if (cfg->kind == GAN_MODEL_DCGAN28 || cfg->kind == GAN_MODEL_DCGAN) {
        dcgan_reinit(m->G, seed * 2 + 1);
        dcgan_reinit(m->D, seed * 2 + 2);
    }
    if (cfg->sn) {
        uint64_t stream = 5000;
        for (int i = 0; i < MAX_LAYERS; i++, stream += 2) reset_sn(&m->d[i], seed * 2 + 2, stream);
        for (int i = 0; i < m->n_db; i++, stream += 6) {
            reset_sn(&m->db[i].c1, seed * 2 + 2, stream);
            reset_sn(&m->db[i].c2, seed * 2 + 2, stream + 2);
            reset_sn(&m->db[i].sc, seed * 2 + 2, stream + 4);
        }
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

/* ---------------------------------------------------------------- forward */

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
        /* the linear output is viewed by the reshape: h0 owns the buffer */
        h = gan_linear_layer_forward(ctx, &m->g_fc[0], h);
        gan_tensor *h0 = h;
        h = gan_reshape(ctx, h, GAN_SHAPE(N, 128, 7, 7));
        h = drop(ctx, h0, bn_act(ctx, &m->g_bn[0], h, 0.0f));
        h = drop(ctx, h, gan_conv_transpose2d_layer_forward(ctx, &m->g_conv[0], h));
        h = drop(ctx, h, bn_act(ctx, &m->g_bn[1], h, 0.0f));
        h = drop(ctx, h, gan_conv_transpose2d_layer_forward(ctx, &m->g_conv[1], h));
        return drop(ctx, h, gan_tanh(ctx, h));
    case GAN_MODEL_DCGAN:
        /* the first layer reads a view of z, which is the caller's */
        h = gan_conv_transpose2d_layer_forward(ctx, &m->g_conv[0],
                                               gan_reshape(ctx, h, GAN_SHAPE(N, c->nz, 1, 1)));
        for (int i = 0; i < m->n_g; i++) {
            if (i > 0) h = drop(ctx, h, gan_conv_transpose2d_layer_forward(ctx, &m->g_conv[i], h));
            h = drop(ctx, h, m->g_has_bn[i] ? bn_act(ctx, &m->g_bn[i], h, 0.0f) : gan_tanh(ctx, h));
        }
        return h;
    case GAN_MODEL_RESNET:
        h = gan_linear_layer_forward(ctx, &m->g_fc[0], h);
        h = gan_reshape(ctx, h, GAN_SHAPE(N, c->ngf << (c->pyramid ? m->n_gb : 0), resnet_base(c->size), resnet_base(c->size)));
        for (int i = 0; i < m->n_gb; i++) h = gblock_forward(ctx, &m->gb[i], h);
        h = bn_act(ctx, &m->g_bn[0], h, 0.0f);
        return gan_tanh(ctx, gan_conv2d_layer_forward(ctx, &m->g_conv[0], h));
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
            h = d_fc(ctx, &m->d[i], h);
            if (i < m->n_d - 1) h = gan_leaky_relu(ctx, h, 0.2f);
        }
        return h;
    case GAN_MODEL_DCGAN28:
        h = d_norm_lrelu(ctx, m, 0, d_conv(ctx, &m->d[0], h));   /* d_has_norm[0] is 0 */
        h = d_norm_lrelu(ctx, m, 1, d_conv(ctx, &m->d[1], h));
        return d_fc(ctx, &m->d[2], gan_reshape(ctx, h, GAN_SHAPE(N, -1)));
    case GAN_MODEL_DCGAN:
        for (int i = 0; i < m->n_d; i++) {
            h = d_conv(ctx, &m->d[i], h);
            if (i < m->n_d - 1) h = d_norm_lrelu(ctx, m, i, h);
        }
        return gan_reshape(ctx, h, GAN_SHAPE(N, 1));
    case GAN_MODEL_RESNET:
        for (int i = 0; i < m->n_db; i++) h = dblock_forward(ctx, &m->db[i], h);
        h = gan_sum(ctx, gan_relu(ctx, h), GAN_AXIS(2) | GAN_AXIS(3), 0); /* global sum pool */
        return d_fc(ctx, &m->d[0], h);
    }
    return NULL;
}

gan_tensor *gan_model_d_forward(gan_ctx *ctx, void *model, gan_tensor *x) {
    return gan_model_discriminate(ctx, (gan_model *)model, x);
}
