/* test_conv.c — conv2d, conv_transpose2d, conv2d_weight_grad, pooling and padding:
 * forward values against direct loops written here (and reflection padding against values
 * printed by torch.nn.ReflectionPad2d), adjoint identities, first- and second-order gradients
 * against finite differences, and no allocation in a steady-state step. */
#include "backend/cpu/conv_kernels.h"
#include "harness.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------- direct references */

/* x (N,C,H,W), w (OC,C,KH,KW), b (OC) or NULL -> y (N,OC,HO,WO), straight from the definition */
static void ref_conv2d(const float *x, const float *w, const float *b, float *y, int N, int C,
                       int H, int W, int OC, int KH, int KW, int s, int p, int HO, int WO) {
    for (int n = 0; n < N; n++)
        for (int o = 0; o < OC; o++)
            for (int oh = 0; oh < HO; oh++)
                for (int ow = 0; ow < WO; ow++) {
                    double acc = b ? b[o] : 0.0;
                    for (int c = 0; c < C; c++)
                        for (int kh = 0; kh < KH; kh++)
                            for (int kw = 0; kw < KW; kw++) {
                                int ih = oh * s - p + kh, iw = ow * s - p + kw;
                                if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
                                acc += (double)x[((n * C + c) * H + ih) * W + iw] *
                                       w[((o * C + c) * KH + kh) * KW + kw];
                            }
                    y[((n * OC + o) * HO + oh) * WO + ow] = (float)acc;
                }
}

/* x (N,C,H,W), w (C,OC,KH,KW) -> y (N,OC,HO,WO): every input scatters its kernel-sized stamp */
static void ref_conv_transpose2d(const float *x, const float *w, const float *b, float *y,
                                 int N, int C, int H, int W, int OC, int KH, int KW, int s,
                                 int p, int HO, int WO) {
    double *acc = calloc((size_t)N * OC * HO * WO, sizeof(double));
    for (int n = 0; n < N; n++)
        for (int c = 0; c < C; c++)
            for (int ih = 0; ih < H; ih++)
                for (int iw = 0; iw < W; iw++)
                    for (int o = 0; o < OC; o++)
                        for (int kh = 0; kh < KH; kh++)
                            for (int kw = 0; kw < KW; kw++) {
                                int oh = ih * s - p + kh, ow = iw * s - p + kw;
                                if (oh < 0 || oh >= HO || ow < 0 || ow >= WO) continue;
                                acc[((n * OC + o) * HO + oh) * WO + ow] +=
                                    (double)x[((n * C + c) * H + ih) * W + iw] *
                                    w[((c * OC + o) * KH + kh) * KW + kw];
                            }
    for (int n = 0; n < N; n++)
        for (int o = 0; o < OC; o++)
            for (int i = 0; i < HO * WO; i++) {
                int64_t e = (int64_t)(n * OC + o) * HO * WO + i;
                y[e] = (float)(acc[e] + (b ? b[o] : 0.0));
            }
    free(acc);
}

/* x (N,C,H,W), dy (N,OC,HO,WO) -> dw (OC,C,KH,KW) = sum over n, oh, ow of dy * x-window */
static void ref_weight_grad(const float *x, const float *dy, float *dw, int N, int C, int H,
                            int W, int OC, int KH, int KW, int s, int p, int HO, int WO) {
    for (int o = 0; o < OC; o++)
        for (int c = 0; c < C; c++)
            for (int kh = 0; kh < KH; kh++)
                for (int kw = 0; kw < KW; kw++) {
                    double acc = 0;
                    for (int n = 0; n < N; n++)
                        for (int oh = 0; oh < HO; oh++)
                            for (int ow = 0; ow < WO; ow++) {
                                int ih = oh * s - p + kh, iw = ow * s - p + kw;
                                if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
                                acc += (double)dy[((n * OC + o) * HO + oh) * WO + ow] *
                                       x[((n * C + c) * H + ih) * W + iw];
                            }
                    dw[((o * C + c) * KH + kh) * KW + kw] = (float)acc;
                }
}

static gan_tensor *randt(gan_ctx *ctx, int nd, const int *shape, uint64_t stream, float scale) {
    gan_tensor *t = gan_empty(ctx, nd, shape);
    th_fill_randn(t, stream, scale);
    return t;
}

static double dot(const gan_tensor *a, const gan_tensor *b) {
    double s = 0;
    for (int64_t i = 0; i < a->numel; i++) s += (double)a->data[i] * b->data[i];
    return s;
}

static int shape_is(const gan_tensor *t, int a, int b, int c, int d) {
    return t->ndim == 4 && t->shape[0] == a && t->shape[1] == b && t->shape[2] == c &&
           t->shape[3] == d;
}

/* ---------------------------------------------------------------- forward values */

typedef struct { int N, C, H, W, OC, KH, KW, s, p, op, bias; } conv_cfg;

static void check_conv_forward(gan_ctx *ctx, conv_cfg k, uint64_t seed) {
    char name[128];
    snprintf(name, sizeof name, "conv2d fwd N%d C%d %dx%d OC%d k%dx%d s%d p%d%s", k.N, k.C, k.H,
             k.W, k.OC, k.KH, k.KW, k.s, k.p, k.bias ? " +b" : "");
    gan_tensor *x = randt(ctx, GAN_SHAPE(k.N, k.C, k.H, k.W), seed, 1.0f);
    gan_tensor *w = randt(ctx, GAN_SHAPE(k.OC, k.C, k.KH, k.KW), seed + 1, 0.3f);
    gan_tensor *b = k.bias ? randt(ctx, GAN_SHAPE(k.OC), seed + 2, 1.0f) : NULL;
    int HO = (k.H + 2 * k.p - k.KH) / k.s + 1, WO = (k.W + 2 * k.p - k.KW) / k.s + 1;
    gan_tensor *y = gan_conv2d(ctx, x, w, b, k.s, k.p);
    float *ref = malloc(sizeof(float) * (size_t)k.N * k.OC * HO * WO);
    ref_conv2d(x->data, w->data, b ? b->data : NULL, ref, k.N, k.C, k.H, k.W, k.OC, k.KH, k.KW,
               k.s, k.p, HO, WO);
    int ok = shape_is(y, k.N, k.OC, HO, WO);
    double err = ok ? th_rel_err(y->data, ref, y->numel, 1e-3) : INFINITY;
    th_check(ok && err < 1e-5, name, "shape %s rel %.3g", ok ? "ok" : "WRONG", err);

    /* weight grad against its own direct loop, with a random "dy" */
    gan_tensor *dy = randt(ctx, GAN_SHAPE(k.N, k.OC, HO, WO), seed + 3, 1.0f);
    gan_tensor *dw = gan_conv2d_weight_grad(ctx, x, dy, k.KH, k.KW, k.s, k.p);
    float *rdw = malloc(sizeof(float) * (size_t)w->numel);
    ref_weight_grad(x->data, dy->data, rdw, k.N, k.C, k.H, k.W, k.OC, k.KH, k.KW, k.s, k.p, HO,
                    WO);
    ok = shape_is(dw, k.OC, k.C, k.KH, k.KW);
    err = ok ? th_rel_err(dw->data, rdw, dw->numel, 1e-3) : INFINITY;
    snprintf(name, sizeof name, "weight_grad fwd N%d C%d %dx%d OC%d k%dx%d s%d p%d", k.N, k.C,
             k.H, k.W, k.OC, k.KH, k.KW, k.s, k.p);
    th_check(ok && err < 1e-5, name, "shape %s rel %.3g", ok ? "ok" : "WRONG", err);

    /* adjoint identity <conv(x, w), dy> = <x, conv_transpose(dy, w)>, with the output
     * padding that restores x's size (the one conv2d's backward rule uses) */
    int oph = k.H + 2 * k.p - k.KH - (HO - 1) * k.s, opw = k.W + 2 * k.p - k.KW - (WO - 1) * k.s;
    if (oph == opw) {
        gan_tensor *y0 = gan_conv2d(ctx, x, w, NULL, k.s, k.p);
        gan_tensor *xt = gan_conv_transpose2d(ctx, dy, w, NULL, k.s, k.p, oph);
        double l = dot(y0, dy), r = shape_is(xt, k.N, k.C, k.H, k.W) ? dot(x, xt) : INFINITY;
        snprintf(name, sizeof name, "adjoint <conv x,dy>=<x,convT dy> k%dx%d s%d p%d", k.KH,
                 k.KW, k.s, k.p);
        th_check(fabs(l - r) <= 1e-5 * fmax(1.0, fabs(l)), name, "%.8g vs %.8g", l, r);
    }
    free(ref);
    free(rdw);
}

static void check_convT_forward(gan_ctx *ctx, conv_cfg k, uint64_t seed) {
    char name[128];
    snprintf(name, sizeof name, "conv_transpose2d fwd N%d C%d %dx%d OC%d k%dx%d s%d p%d op%d%s",
             k.N, k.C, k.H, k.W, k.OC, k.KH, k.KW, k.s, k.p, k.op, k.bias ? " +b" : "");
    gan_tensor *x = randt(ctx, GAN_SHAPE(k.N, k.C, k.H, k.W), seed, 1.0f);
    gan_tensor *w = randt(ctx, GAN_SHAPE(k.C, k.OC, k.KH, k.KW), seed + 1, 0.3f);
    gan_tensor *b = k.bias ? randt(ctx, GAN_SHAPE(k.OC), seed + 2, 1.0f) : NULL;
    int HO = (k.H - 1) * k.s - 2 * k.p + k.KH + k.op, WO = (k.W - 1) * k.s - 2 * k.p + k.KW + k.op;
    gan_tensor *y = gan_conv_transpose2d(ctx, x, w, b, k.s, k.p, k.op);
    float *ref = malloc(sizeof(float) * (size_t)k.N * k.OC * HO * WO);
    ref_conv_transpose2d(x->data, w->data, b ? b->data : NULL, ref, k.N, k.C, k.H, k.W, k.OC,
                         k.KH, k.KW, k.s, k.p, HO, WO);
    int ok = shape_is(y, k.N, k.OC, HO, WO);
    double err = ok ? th_rel_err(y->data, ref, y->numel, 1e-3) : INFINITY;
    th_check(ok && err < 1e-5, name, "shape %s rel %.3g", ok ? "ok" : "WRONG", err);
    free(ref);
}

/* ---------------------------------------------------------------- pooling / padding values */

static void check_pool_pad_values(gan_ctx *ctx) {
    /* sum / avg pool and upsample against direct loops */
    int N = 2, C = 3, H = 6, W = 4, k = 2;
    gan_tensor *x = randt(ctx, GAN_SHAPE(N, C, H, W), 900, 1.0f);
    gan_tensor *sp = gan_sum_pool2d(ctx, x, k), *ap = gan_avg_pool2d(ctx, x, k);
    gan_tensor *up = gan_upsample_nearest2d(ctx, x, 3);
    double e_sum = 0, e_avg = 0, e_up = 0;
    for (int pl = 0; pl < N * C; pl++) {
        for (int i = 0; i < H / k; i++)
            for (int j = 0; j < W / k; j++) {
                double s = 0;
                for (int a = 0; a < k; a++)
                    for (int b = 0; b < k; b++) s += x->data[(pl * H + i * k + a) * W + j * k + b];
                e_sum = fmax(e_sum, fabs(sp->data[(pl * (H / k) + i) * (W / k) + j] - s));
                e_avg = fmax(e_avg, fabs(ap->data[(pl * (H / k) + i) * (W / k) + j] - s / (k * k)));
            }
        for (int i = 0; i < H * 3; i++)
            for (int j = 0; j < W * 3; j++)
                e_up = fmax(e_up, fabs(up->data[(pl * H * 3 + i) * W * 3 + j] -
                                       x->data[(pl * H + i / 3) * W + j / 3]));
    }
    th_check(shape_is(sp, N, C, 3, 2) && e_sum < 1e-5, "sum_pool2d k2 value", "max_abs %.3g", e_sum);
    th_check(shape_is(ap, N, C, 3, 2) && e_avg < 1e-6, "avg_pool2d k2 value", "max_abs %.3g", e_avg);
    th_check(shape_is(up, N, C, 18, 12) && e_up == 0, "upsample_nearest2d k3 value",
             "max_abs %.3g", e_up);

    /* zero padding */
    gan_tensor *pd = gan_pad2d(ctx, x, 1, 2, 3, 0);
    double e_pad = shape_is(pd, N, C, H + 3, W + 3) ? 0 : INFINITY;
    for (int pl = 0; pl < N * C && e_pad == 0; pl++)
        for (int i = 0; i < H + 3; i++)
            for (int j = 0; j < W + 3; j++) {
                int ii = i - 1, jj = j - 3;
                float want = ii >= 0 && ii < H && jj >= 0 && jj < W ? x->data[(pl * H + ii) * W + jj] : 0;
                e_pad = fmax(e_pad, fabs(pd->data[(pl * (H + 3) + i) * (W + 3) + j] - want));
            }
    th_check(e_pad == 0, "pad2d (1,2,3,0) value", "max_abs %.3g", e_pad);

    /* reflection padding: values printed by torch.nn.ReflectionPad2d */
    float a12[12], a6[6], g56[56];
    for (int i = 0; i < 12; i++) a12[i] = (float)i;
    for (int i = 0; i < 6; i++) a6[i] = (float)i;
    for (int i = 0; i < 56; i++) g56[i] = (float)i;
    static const float want34p2[56] = {
        10, 9, 8, 9, 10, 11, 10, 9, 6, 5, 4, 5, 6, 7, 6, 5, 2, 1, 0, 1, 2, 3, 2, 1,
        6, 5, 4, 5, 6, 7, 6, 5, 10, 9, 8, 9, 10, 11, 10, 9, 6, 5, 4, 5, 6, 7, 6, 5,
        2, 1, 0, 1, 2, 3, 2, 1};
    static const float want23p1[20] = {4, 3, 4, 5, 4, 1, 0, 1, 2, 1, 4, 3, 4, 5, 4, 1, 0, 1, 2, 1};
    /* x.grad of ReflectionPad2d(2) on (1,1,3,4) with upstream gradient arange(56) */
    static const float want_unpad[12] = {68, 214, 212, 74, 78, 249, 246, 87, 36, 118, 116, 42};
    gan_tensor *r1 = gan_reflection_pad2d(ctx, gan_from_data(ctx, GAN_SHAPE(1, 1, 3, 4), a12), 2);
    gan_tensor *r2 = gan_reflection_pad2d(ctx, gan_from_data(ctx, GAN_SHAPE(1, 1, 2, 3), a6), 1);
    gan_tensor *u1 = gan_reflection_unpad2d(ctx, gan_from_data(ctx, GAN_SHAPE(1, 1, 7, 8), g56), 2);
    th_check(shape_is(r1, 1, 1, 7, 8) && !memcmp(r1->data, want34p2, sizeof want34p2),
             "reflection_pad2d (3,4) p2 = torch", "%s", "");
    th_check(shape_is(r2, 1, 1, 4, 5) && !memcmp(r2->data, want23p1, sizeof want23p1),
             "reflection_pad2d (2,3) p1 = torch", "%s", "");
    th_check(shape_is(u1, 1, 1, 3, 4) && !memcmp(u1->data, want_unpad, sizeof want_unpad),
             "reflection_unpad2d (7,8) p2 = torch grad", "%s", "");

    /* adjoint identities on random data, including pad = n - 1 (every mirror case at once) */
    const int cases[][3] = {{5, 6, 2}, {3, 4, 2}, {2, 5, 1}, {4, 4, 3}, {6, 3, 0}};
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        int h = cases[c][0], w = cases[c][1], p = cases[c][2];
        gan_tensor *a = randt(ctx, GAN_SHAPE(2, 2, h, w), 910 + c, 1.0f);
        gan_tensor *b = randt(ctx, GAN_SHAPE(2, 2, h + 2 * p, w + 2 * p), 920 + c, 1.0f);
        double l = dot(gan_reflection_pad2d(ctx, a, p), b), r = dot(a, gan_reflection_unpad2d(ctx, b, p));
        char name[96];
        snprintf(name, sizeof name, "adjoint reflection pad/unpad %dx%d p%d", h, w, p);
        th_check(fabs(l - r) <= 1e-5 * fmax(1.0, fabs(l)), name, "%.8g vs %.8g", l, r);
    }
}

/* ---------------------------------------------------------------- gradient checks */

typedef enum { G_CONV, G_CONVT, G_WGRAD, G_SUMPOOL, G_AVGPOOL, G_UPSAMPLE, G_PAD, G_REFPAD,
               G_REFUNPAD, G_CHAIN } gop;

typedef struct { gop op; int s, p, op_pad, k, kh, kw, bias; int pads[4]; } gcase;

/* conv-family results go through tanh so every input has a non-zero second derivative;
 * the linear pool/pad ops are squared for the same reason */
static gan_tensor *gfn(gan_ctx *c, gan_tensor **in, void *ud) {
    const gcase *g = ud;
    switch (g->op) {
    case G_CONV: return gan_tanh(c, gan_conv2d(c, in[0], in[1], g->bias ? in[2] : NULL, g->s, g->p));
    case G_CONVT:
        return gan_tanh(c, gan_conv_transpose2d(c, in[0], in[1], g->bias ? in[2] : NULL, g->s,
                                                g->p, g->op_pad));
    case G_WGRAD: return gan_tanh(c, gan_conv2d_weight_grad(c, in[0], in[1], g->kh, g->kw, g->s, g->p));
    case G_SUMPOOL: return gan_square(c, gan_sum_pool2d(c, in[0], g->k));
    case G_AVGPOOL: return gan_square(c, gan_avg_pool2d(c, in[0], g->k));
    case G_UPSAMPLE: return gan_square(c, gan_upsample_nearest2d(c, in[0], g->k));
    case G_PAD: return gan_square(c, gan_pad2d(c, in[0], g->pads[0], g->pads[1], g->pads[2], g->pads[3]));
    case G_REFPAD: return gan_square(c, gan_reflection_pad2d(c, in[0], g->p));
    case G_REFUNPAD: return gan_square(c, gan_reflection_unpad2d(c, in[0], g->p));
    case G_CHAIN: {
        /* a small D: reflection pad -> conv s2 -> tanh -> conv_transpose -> avg pool */
        gan_tensor *h = gan_tanh(c, gan_conv2d(c, gan_reflection_pad2d(c, in[0], 1), in[1], NULL, 2, 0));
        return gan_avg_pool2d(c, gan_tanh(c, gan_conv_transpose2d(c, h, in[2], NULL, 2, 1, 0)), 2);
    }
    }
    return NULL;
}

static gan_tensor *leaf(gan_ctx *ctx, int nd, const int *shape, uint64_t stream, float scale) {
    gan_tensor *t = randt(ctx, nd, shape, stream, scale);
    gan_set_requires_grad(t, 1);
    return t;
}

static double worst1, worst2;

static void gcheck(const char *name, gcase g, int n, gan_tensor *a, gan_tensor *b,
                   gan_tensor *c) {
    gan_tensor *in[3] = {a, b, c};
    worst1 = fmax(worst1, th_gradcheck(name, gfn, n, in, &g, 1e-3, 3e-3));
    worst2 = fmax(worst2, th_gradcheck2(name, gfn, n, in, &g, 1e-3, 5e-3));
}

static void check_grads(gan_ctx *ctx) {
    /* conv2d: odd/even remainders differ in H and W (output paddings 0 and 1 in the rule) */
    gcheck("conv2d 5x4 k3 s2 p1 +b", (gcase){.op = G_CONV, .s = 2, .p = 1, .bias = 1}, 3,
           leaf(ctx, GAN_SHAPE(2, 2, 5, 4), 1, 0.7f), leaf(ctx, GAN_SHAPE(3, 2, 3, 3), 2, 0.4f),
           leaf(ctx, GAN_SHAPE(3), 3, 0.3f));
    gcheck("conv2d 4x5 k2x3 s1 p0", (gcase){.op = G_CONV, .s = 1, .p = 0}, 2,
           leaf(ctx, GAN_SHAPE(2, 3, 4, 5), 4, 0.7f), leaf(ctx, GAN_SHAPE(2, 3, 2, 3), 5, 0.4f), NULL);
    gcheck("conv2d 6x6 k4 s2 p1 +b", (gcase){.op = G_CONV, .s = 2, .p = 1, .bias = 1}, 3,
           leaf(ctx, GAN_SHAPE(2, 2, 6, 6), 6, 0.7f), leaf(ctx, GAN_SHAPE(2, 2, 4, 4), 7, 0.3f),
           leaf(ctx, GAN_SHAPE(2), 8, 0.3f));
    gcheck("conv2d 1x1 +b", (gcase){.op = G_CONV, .s = 1, .p = 0, .bias = 1}, 3,
           leaf(ctx, GAN_SHAPE(2, 3, 3, 2), 9, 0.7f), leaf(ctx, GAN_SHAPE(2, 3, 1, 1), 10, 0.5f),
           leaf(ctx, GAN_SHAPE(2), 11, 0.3f));
    /* conv_transpose2d */
    gcheck("conv_transpose2d 3x4 k3 s2 p1 op1 +b",
           (gcase){.op = G_CONVT, .s = 2, .p = 1, .op_pad = 1, .bias = 1}, 3,
           leaf(ctx, GAN_SHAPE(2, 2, 3, 4), 12, 0.7f), leaf(ctx, GAN_SHAPE(2, 3, 3, 3), 13, 0.4f),
           leaf(ctx, GAN_SHAPE(3), 14, 0.3f));
    gcheck("conv_transpose2d 3x3 k4 s2 p1", (gcase){.op = G_CONVT, .s = 2, .p = 1}, 2,
           leaf(ctx, GAN_SHAPE(2, 3, 3, 3), 15, 0.7f), leaf(ctx, GAN_SHAPE(3, 2, 4, 4), 16, 0.3f), NULL);
    gcheck("conv_transpose2d 2x3 k3x2 s1 p0 +b", (gcase){.op = G_CONVT, .s = 1, .p = 0, .bias = 1}, 3,
           leaf(ctx, GAN_SHAPE(2, 2, 2, 3), 17, 0.7f), leaf(ctx, GAN_SHAPE(2, 3, 3, 2), 18, 0.4f),
           leaf(ctx, GAN_SHAPE(3), 19, 0.3f));
    /* conv2d_weight_grad: x (2,2,5,4), dy (2,3,3,2) for k3 s2 p1 */
    gcheck("conv2d_weight_grad 5x4 k3 s2 p1", (gcase){.op = G_WGRAD, .s = 2, .p = 1, .kh = 3, .kw = 3}, 2,
           leaf(ctx, GAN_SHAPE(2, 2, 5, 4), 20, 0.5f), leaf(ctx, GAN_SHAPE(2, 3, 3, 2), 21, 0.5f), NULL);
    gcheck("conv2d_weight_grad 4x5 k2x3 s1 p1", (gcase){.op = G_WGRAD, .s = 1, .p = 1, .kh = 2, .kw = 3}, 2,
           leaf(ctx, GAN_SHAPE(1, 2, 4, 5), 22, 0.5f), leaf(ctx, GAN_SHAPE(1, 2, 5, 5), 23, 0.5f), NULL);
    /* pooling and padding */
    gcheck("sum_pool2d k2", (gcase){.op = G_SUMPOOL, .k = 2}, 1,
           leaf(ctx, GAN_SHAPE(2, 2, 4, 6), 30, 1.0f), NULL, NULL);
    gcheck("avg_pool2d k3", (gcase){.op = G_AVGPOOL, .k = 3}, 1,
           leaf(ctx, GAN_SHAPE(1, 2, 6, 3), 31, 1.0f), NULL, NULL);
    gcheck("upsample_nearest2d k2", (gcase){.op = G_UPSAMPLE, .k = 2}, 1,
           leaf(ctx, GAN_SHAPE(2, 2, 2, 3), 32, 1.0f), NULL, NULL);
    gcheck("pad2d (1,2,0,3)", (gcase){.op = G_PAD, .pads = {1, 2, 0, 3}}, 1,
           leaf(ctx, GAN_SHAPE(2, 2, 3, 4), 33, 1.0f), NULL, NULL);
    gcheck("reflection_pad2d p2", (gcase){.op = G_REFPAD, .p = 2}, 1,
           leaf(ctx, GAN_SHAPE(1, 2, 3, 4), 34, 1.0f), NULL, NULL);
    gcheck("reflection_unpad2d p2", (gcase){.op = G_REFUNPAD, .p = 2}, 1,
           leaf(ctx, GAN_SHAPE(1, 2, 7, 8), 35, 1.0f), NULL, NULL);
    gcheck("reflection_unpad2d p1", (gcase){.op = G_REFUNPAD, .p = 1}, 1,
           leaf(ctx, GAN_SHAPE(2, 1, 5, 4), 36, 1.0f), NULL, NULL);
    gcheck("chain refpad-conv-convT-avgpool", (gcase){.op = G_CHAIN}, 3,
           leaf(ctx, GAN_SHAPE(2, 2, 6, 6), 40, 0.7f), leaf(ctx, GAN_SHAPE(3, 2, 4, 4), 41, 0.3f),
           leaf(ctx, GAN_SHAPE(3, 2, 4, 4), 42, 0.3f));
    printf("worst relative error: first order %.3g, second order %.3g\n", worst1, worst2);
}

/* ---------------------------------------------------------------- steady state */

/* A conv step with a WGAN-GP-style double backward: after the arena has grown once, the
 * same step must not touch the heap (column scratch comes from the arena). */
static void check_no_alloc(void) {
    gan_ctx *ctx = gan_ctx_new(1u << 16);   /* small on purpose: the first step must grow it */
    float *xw = malloc(sizeof(float) * 2 * 3 * 16 * 16);
    gan_philox_normal(xw, 2 * 3 * 16 * 16, 5, 5);
    float ww[8 * 3 * 4 * 4], bw[8];
    gan_philox_normal(ww, 8 * 3 * 4 * 4, 5, 6);
    gan_philox_normal(bw, 8, 5, 7);
    uint64_t before = 0;
    for (int step = 0; step < 3; step++) {
        if (step == 2) before = gan_alloc_count();
        gan_tensor *x = gan_from_data(ctx, GAN_SHAPE(2, 3, 16, 16), xw);
        gan_tensor *w = gan_from_data(ctx, GAN_SHAPE(8, 3, 4, 4), ww);
        gan_tensor *b = gan_from_data(ctx, GAN_SHAPE(8), bw);
        gan_set_requires_grad(x, 1);
        gan_set_requires_grad(w, 1);
        gan_tensor *y = gan_sum_all(ctx, gan_avg_pool2d(ctx, gan_tanh(ctx, gan_conv2d(ctx, gan_reflection_pad2d(ctx, x, 1), w, b, 2, 1)), 3));
        gan_tensor *gx;
        gan_grad(ctx, 1, &y, NULL, 1, &x, &gx, 1);
        gan_tensor *gp = gan_sum_all(ctx, gan_square(ctx, gx));
        gan_tensor *gw;
        gan_grad(ctx, 1, &gp, NULL, 1, &w, &gw, 0);
        gan_ctx_reset(ctx);
    }
    uint64_t after = gan_alloc_count();
    th_check(after == before, "steady-state conv double backward: no malloc", "%llu allocations",
             (unsigned long long)(after - before));
    free(xw);
    gan_ctx_free(ctx);
}

/* im2col/col2im give each output element to one thread with a fixed summation order, so
 * their bits must not depend on the thread count (GEMM is left out: that is OpenBLAS's). */
static void check_thread_independence(void) {
    const gan_conv_geom g = {.N = 1, .C = 3, .H = 64, .W = 48, .OC = 1, .HO = 32, .WO = 24,
                             .KH = 4, .KW = 4, .stride = 2, .pad = 1};
    int64_t nx = (int64_t)g.C * g.H * g.W, nc = gan_conv_cols_floats(&g);
    float *x = malloc(sizeof(float) * (size_t)nx), *cols = malloc(sizeof(float) * (size_t)nc);
    float *c1 = malloc(sizeof(float) * (size_t)nc), *x1 = malloc(sizeof(float) * (size_t)nx);
    float *x4 = malloc(sizeof(float) * (size_t)nx), bias[3] = {0.5f, -1.0f, 2.0f};
    gan_philox_normal(x, nx, 9, 1);
    gan_philox_normal(cols, nc, 9, 2);
    int old = gan_get_threads();
    gan_set_threads(1);
    gan_cpu_im2col(&g, x, c1);
    gan_cpu_col2im(&g, cols, bias, x1);
    gan_set_threads(4);
    float *c4 = malloc(sizeof(float) * (size_t)nc);
    gan_cpu_im2col(&g, x, c4);
    gan_cpu_col2im(&g, cols, bias, x4);
    gan_set_threads(old);
    th_check(!memcmp(c1, c4, sizeof(float) * (size_t)nc), "im2col: same bits on 1 and 4 threads", "%s", "");
    th_check(!memcmp(x1, x4, sizeof(float) * (size_t)nx), "col2im: same bits on 1 and 4 threads", "%s", "");
    free(x);
    free(cols);
    free(c1);
    free(c4);
    free(x1);
    free(x4);
}

int main(void) {
    gan_ctx *ctx = gan_ctx_new(0);
    const conv_cfg convs[] = {
        {2, 3, 5, 5, 4, 3, 3, 1, 1, 0, 1},
        {2, 3, 6, 7, 4, 4, 4, 2, 1, 0, 0},
        {2, 2, 7, 5, 3, 3, 2, 2, 0, 0, 1},
        {1, 4, 4, 4, 2, 1, 1, 1, 0, 0, 1},
        {2, 3, 8, 8, 5, 4, 4, 2, 1, 0, 0},
        {2, 3, 9, 9, 2, 3, 3, 3, 2, 0, 1},
        {2, 16, 32, 32, 8, 3, 3, 1, 1, 0, 1},  /* big enough for the OpenMP paths */
        {2, 8, 32, 24, 16, 4, 4, 2, 1, 0, 0},
    };
    for (size_t i = 0; i < sizeof convs / sizeof convs[0]; i++)
        check_conv_forward(ctx, convs[i], 100 + 10 * i);
    const conv_cfg convts[] = {
        {2, 3, 4, 4, 2, 4, 4, 2, 1, 0, 1},
        {2, 3, 3, 5, 4, 3, 3, 2, 1, 1, 0},
        {2, 2, 5, 4, 3, 3, 2, 1, 0, 0, 1},
        {2, 3, 4, 4, 5, 1, 1, 1, 0, 0, 1},
        {1, 2, 3, 3, 3, 4, 4, 3, 0, 2, 1},
        {2, 3, 4, 6, 2, 3, 3, 2, 0, 1, 0},
        {2, 16, 16, 16, 8, 4, 4, 2, 1, 0, 1},  /* big enough for the OpenMP paths */
        {2, 4, 32, 32, 3, 3, 3, 1, 1, 0, 0},   /* RGB output: col2im parallel over rows */
    };
    for (size_t i = 0; i < sizeof convts / sizeof convts[0]; i++)
        check_convT_forward(ctx, convts[i], 300 + 10 * i);
    check_pool_pad_values(ctx);
    gan_ctx_reset(ctx);
    check_grads(ctx);
    check_no_alloc();
    check_thread_independence();
    gan_ctx_free(ctx);
    return th_done("test_conv");
}
