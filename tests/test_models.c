/* test_models.c — every zoo spec (models/NAME.json) built through gan_model_new and counted
 * against the closed form of its architecture: the MLP, DCGAN-28 and pytorch/examples' DCGAN
 * with each D norm; SNGAN's ResNet at 28, 32 and 64 pixels, with constant widths and with
 * --pyramid: parameter counts against the closed form of the architecture (so a 28x28 model
 * really starts G at 7x7 with 2 up-blocks and has 2 down-blocks + 2 plain blocks in D, and the
 * pyramid's widths double as the grid halves), G and D output shapes, the sizes it refuses;
 * DCGAN-28 with and without Winograd convolutions. */
#include "harness.h"
#include <stdlib.h>
#include <math.h>
#include <string.h>

/* Trainable parameters of the ResNet as specified (no spectral norm), counted by hand:
 * G: l1 Linear(nz, b*b*ch); per up-block BN(ch) x2, conv3x3 ch->ch x2, conv1x1 shortcut;
 *    BN(ch), conv3x3 ch->C. D: first block conv3x3 C->d, conv3x3 d->d, conv1x1 C->d;
 *    down-blocks conv3x3 d->d x2 + conv1x1 d->d; plain blocks conv3x3 d->d x2; Linear(d, 1). */
static int64_t want_g(int nz, int ch, int C, int b, int ups) {
    int64_t block = 2 * (2 * ch) + 2 * (9LL * ch * ch + ch) + (int64_t)ch * ch + ch;
    return (int64_t)nz * b * b * ch + b * b * ch + ups * block + 2 * ch + 9LL * ch * C + C;
}

static int64_t want_d(int d, int C, int n_down) {
    int64_t first = 9LL * C * d + d + 9LL * d * d + d + (int64_t)C * d + d;
    int64_t plain = 2 * (9LL * d * d + d);
    return first + (n_down - 1) * (plain + (int64_t)d * d + d) + 2 * plain + d + 1;
}

/* The pyramid: G's up-block i maps ch*2^(ups-i) to ch*2^(ups-i-1) channels (l1 feeds the
 * first); D's first block makes d channels, each further down-block doubles them, the plain
 * blocks keep them. */
static int64_t want_g_pyramid(int nz, int ch, int C, int b, int ups) {
    int64_t w = (int64_t)ch << ups, n = (int64_t)nz * b * b * w + b * b * w;
    for (int i = 0; i < ups; i++, w /= 2) {
        int64_t in = w, out = w / 2;
        n += 2 * in + 9 * in * out + out + 2 * out + 9 * out * out + out + in * out + out;
    }
    return n + 2 * ch + 9LL * ch * C + C;
}

static int64_t want_d_pyramid(int d, int C, int n_down) {
    int64_t w = d, n = 9LL * C * d + d + 9LL * d * d + d + (int64_t)C * d + d;
    for (int i = 1; i < n_down; i++, w *= 2)
        n += 9 * w * (2 * w) + 2 * w + 9 * (2 * w) * (2 * w) + 2 * w + w * (2 * w) + 2 * w;
    return n + 2 * (2 * (9 * w * w + w)) + w + 1;
}

static void resnet_size(int size, int b, int ups, int n_down, int pyramid) {
    enum { N = 3, NZ = 16, CH = 8, DCH = 6, C = 1 };
    char name[96];
    const char *kind = pyramid ? "pyramid" : "constant";
    gan_model_config mc = {.spec = "resnet", .sn = -1, .nz = NZ, .channels = C, .size = size,
                           .ngf = CH, .ndf = DCH, .pyramid = pyramid};
    gan_model *m;
    GAN_ASSERT(gan_model_new(&mc, 5, &m) == GAN_OK);
    int64_t g = gan_net_num_params(gan_model_G(m)), d = gan_net_num_params(gan_model_D(m));
    int64_t wg = pyramid ? want_g_pyramid(NZ, CH, C, b, ups) : want_g(NZ, CH, C, b, ups);
    int64_t wd = pyramid ? want_d_pyramid(DCH, C, n_down) : want_d(DCH, C, n_down);
    snprintf(name, sizeof name, "resnet %d %s: G and D parameter counts", size, kind);
    th_check(g == wg && d == wd, name, "G %lld (want %lld), D %lld (want %lld)", (long long)g,
             (long long)wg, (long long)d, (long long)wd);
    gan_tensor *l1 = gan_net_find(gan_model_G(m), "l1.weight");
    int w0 = pyramid ? CH << ups : CH;
    snprintf(name, sizeof name, "resnet %d %s: l1 maps nz to %dx%dx%d", size, kind, b, b, w0);
    th_check(l1 && l1->shape[0] == b * b * w0 && l1->shape[1] == NZ, name, "%s", l1 ? "" : "no l1.weight");

    gan_ctx *ctx = gan_ctx_new(0);
    gan_tensor *z = gan_randn(ctx, GAN_SHAPE(N, NZ), 7, 1);
    gan_tensor *x = gan_model_generate(ctx, m, z);
    snprintf(name, sizeof name, "resnet %d %s: G(z) is (N, C, %d, %d) in (-1, 1)", size, kind, size, size);
    int ok = x->ndim == 4 && x->shape[0] == N && x->shape[1] == C && x->shape[2] == size && x->shape[3] == size;
    for (int64_t i = 0; ok && i < x->numel; i++) ok = x->data[i] > -1.0f && x->data[i] < 1.0f;
    th_check(ok, name, "shape (%d, %d, %d, %d)", x->shape[0], x->shape[1], x->shape[2], x->shape[3]);
    gan_tensor *y = gan_model_discriminate(ctx, m, x);
    snprintf(name, sizeof name, "resnet %d %s: D(x) is (N, 1)", size, kind);
    th_check(y->ndim == 2 && y->shape[0] == N && y->shape[1] == 1, name, "ndim %d, shape (%d, %d)",
             y->ndim, y->shape[0], y->ndim > 1 ? y->shape[1] : -1);
    gan_ctx_free(ctx);
    gan_model_free(m);
}

/* The MLP, DCGAN-28 and pytorch/examples' DCGAN against their closed forms (trainable
 * parameters; batch-norm statistics and spectral-norm vectors are buffers). */
static int64_t lin(int64_t in, int64_t out) { return in * out + out; }
static int64_t k4(int64_t in, int64_t out, int bias) { return in * out * 16 + (bias ? out : 0); }
static int64_t norm(const char *kind, int64_t c, int64_t hw) {
    return !strcmp(kind, "batch") ? 2 * c : !strcmp(kind, "layer") ? 2 * c * hw * hw : 0;
}

static void count_check(const char *what, gan_model_config mc, int64_t wg, int64_t wd) {
    gan_model *m = NULL;
    gan_status s = gan_model_new(&mc, 3, &m);
    int64_t g = s ? -1 : gan_net_num_params(gan_model_G(m)), d = s ? -1 : gan_net_num_params(gan_model_D(m));
    th_check(!s && g == wg && d == wd, what, "G %lld (want %lld), D %lld (want %lld) %s", (long long)g,
             (long long)wg, (long long)d, (long long)wd, s ? gan_last_error() : "");
    gan_model_free(m);
}

static void zoo_counts(void) {
    char name[96];
    const int nz = 12, C = 3;
    for (int size = 4; size <= 28; size += 24) {
        int64_t img = (int64_t)C * size * size;
        snprintf(name, sizeof name, "mlp %dx%d: G and D parameter counts", size, size);
        count_check(name, (gan_model_config){.spec = "mlp", .nz = nz, .channels = C, .size = size},
                    lin(nz, 256) + lin(256, 512) + lin(512, 1024) + lin(1024, img),
                    lin(img, 512) + lin(512, 256) + lin(256, 1));
    }
    const char *norms[] = {"batch", "layer", "none"};
    for (int n = 0; n < 3; n++) {
        snprintf(name, sizeof name, "dcgan28 d_norm %s: G and D parameter counts", norms[n]);
        count_check(name, (gan_model_config){.spec = "dcgan28", .nz = nz, .channels = 1, .size = 28, .d_norm = norms[n]},
                    lin(nz, 128 * 49) + 2 * 128 + k4(128, 64, 1) + 2 * 64 + k4(64, 1, 1),
                    k4(1, 64, 1) + k4(64, 128, 1) + norm(norms[n], 128, 7) + lin(128 * 49, 1));
        for (int size = 32; size <= 128; size *= 2) {
            const int ngf = 5, ndf = 3;
            int L = size == 32 ? 3 : size == 64 ? 4 : 5;
            int64_t g = k4(nz, ngf << (L - 1), 0) + 2 * (ngf << (L - 1)), d = k4(C, ndf, 0);
            for (int i = 1; i < L; i++) {
                g += k4(ngf << (L - i), ngf << (L - 1 - i), 0) + 2 * (ngf << (L - 1 - i));
                d += k4(ndf << (i - 1), ndf << i, 0) + norm(norms[n], ndf << i, size >> (i + 1));
            }
            g += k4(ngf, C, 0);
            d += k4(ndf << (L - 1), 1, 0);
            snprintf(name, sizeof name, "dcgan %d d_norm %s: G and D parameter counts", size, norms[n]);
            count_check(name, (gan_model_config){.spec = "dcgan", .nz = nz, .channels = C, .size = size,
                                                 .ngf = ngf, .ndf = ndf, .d_norm = norms[n]}, g, d);
        }
    }
}

static void refused_sizes(void) {
    int sizes[] = {14, 16, 48, 56, 128};
    for (int i = 0; i < 5; i++) {
        gan_model_config mc = {.spec = "resnet", .sn = -1, .nz = 8, .channels = 1, .size = sizes[i],
                               .ngf = 4, .ndf = 4};
        gan_model *m = NULL;
        gan_status s = gan_model_new(&mc, 1, &m);
        char name[64];
        snprintf(name, sizeof name, "resnet refuses size %d", sizes[i]);
        th_check(s == GAN_ERR_ARG && !m && strstr(gan_last_error(), "28x28, 32x32 or 64x64"), name,
                 "status %d: %s", (int)s, gan_last_error());
        gan_model_free(m);
    }
}

/* DCGAN-28 at batch 64 and its default widths runs its 64 <-> 128 convs by Winograd
 * (src/backend/cpu/winograd.c): one G + D forward and backward with it and with the direct
 * products must agree to float rounding, in outputs and in every parameter's gradient. The
 * gradients pass ReLU and LeakyReLU kinks: where a pre-activation lies within rounding of 0
 * the two paths may take different sides, and that one element moves its sample's gradients
 * by ~1e-3 (about half of the batches here). So over 8 batches: the outputs always agree to
 * rounding, the gradients always to 5e-2, and to rounding (1e-4) in at least 2 batches; a
 * wrong tile or transform breaks every batch. */
static void dcgan_winograd(void) {
    gan_model_config mc = {.spec = "dcgan28", .nz = 100, .channels = 1, .size = 28,
                           .ngf = 64, .ndf = 64};
    gan_model *m = NULL;
    GAN_ASSERT(gan_model_new(&mc, 3, &m) == GAN_OK);
    gan_net *nets[2] = {gan_model_G(m), gan_model_D(m)};
    int64_t np[2] = {gan_net_num_params(nets[0]), gan_net_num_params(nets[1])};
    double worst_out = 0, worst_grad = 0;
    int exact = 0;
    const int batches = 8;
    for (int seed = 1; seed <= batches; seed++) {
        float *grads[2][2], *outs[2];
        int64_t nout = 0;
        for (int on = 0; on < 2; on++) {
            gan_set_winograd(on);
            gan_ctx *ctx = gan_ctx_new(0);
            gan_ctx_set_training(ctx, 1);
            for (int k = 0; k < 2; k++) gan_net_zero_grad(nets[k]);
            gan_tensor *z = gan_randn(ctx, GAN_SHAPE(64, 100), (uint64_t)seed, 1);
            gan_tensor *d = gan_model_discriminate(ctx, m, gan_model_generate(ctx, m, z));
            gan_backward(ctx, gan_sum_all(ctx, d));
            nout = d->numel;
            outs[on] = malloc(sizeof(float) * (size_t)nout);
            memcpy(outs[on], d->data, sizeof(float) * (size_t)nout);
            for (int k = 0; k < 2; k++) {
                grads[on][k] = malloc(sizeof(float) * (size_t)np[k]);
                memcpy(grads[on][k], gan_net_grads(nets[k]), sizeof(float) * (size_t)np[k]);
            }
            gan_ctx_free(ctx);
        }
        gan_set_winograd(1);
        worst_out = fmax(worst_out, th_rel_err(outs[1], outs[0], nout, 1e-3));
        double e = 0;
        for (int k = 0; k < 2; k++) {
            e = fmax(e, th_rel_err(grads[1][k], grads[0][k], np[k], 1e-3));
            free(grads[0][k]);
            free(grads[1][k]);
        }
        worst_grad = fmax(worst_grad, e);
        exact += e < 1e-4;
        free(outs[0]);
        free(outs[1]);
    }
    th_check(worst_out < 1e-4, "dcgan28 batch 64: D(G(z)) Winograd vs direct", "worst rel %.2e over %d batches",
             worst_out, batches);
    th_check(worst_grad < 5e-2 && exact >= 2, "dcgan28 batch 64: G and D grads Winograd vs direct",
             "worst rel %.2e; within 1e-4 in %d of %d batches", worst_grad, exact, batches);
    gan_model_free(m);
}

int main(void) {
    for (int pyramid = 0; pyramid < 2; pyramid++) {
        resnet_size(28, 7, 2, 2, pyramid);
        resnet_size(32, 4, 3, 2, pyramid);
        resnet_size(64, 4, 4, 3, pyramid);
    }
    refused_sizes();
    zoo_counts();
    gan_model_config dc = {.spec = "dcgan28", .nz = 8, .channels = 1, .size = 28,
                           .ngf = 4, .ndf = 4, .pyramid = 1};
    gan_model *m = NULL;
    gan_status s = gan_model_new(&dc, 1, &m);
    th_check(s == GAN_ERR_ARG && !m && strstr(gan_last_error(), "pyramid"),
             "--pyramid refused for dcgan28", "status %d: %s", (int)s, gan_last_error());
    dcgan_winograd();
    return th_done("test_models");
}
