/* conv.c — conv2d, conv_transpose2d and conv2d_weight_grad.
 *
 * The three ops are closed under differentiation: each one's backward rule is written with
 * the other two (conv's input gradient is a transposed conv, its weight gradient is
 * weight_grad, and so on round the triangle), so gradients of gradients are exact to any
 * order. Bias is fused into the forward kernels; its gradient is a sum over (N, H, W).
 * The kernels (src/backend/cpu/conv_gemm.c) need no column matrix and no arena scratch. */
#include "backend/cpu/conv_kernels.h"
#include "internal.h"

#define BIAS_AXES (GAN_AXIS(0) | GAN_AXIS(2) | GAN_AXIS(3))

static gan_conv_geom geom(int N, int C, int H, int W, int OC, int HO, int WO, int KH, int KW,
                          int stride, int pad) {
    return (gan_conv_geom){.N = N, .C = C, .H = H, .W = W, .OC = OC, .HO = HO, .WO = WO,
                           .KH = KH, .KW = KW, .stride = stride, .pad = pad};
}

static void check_bias(const gan_tensor *b, int channels) {
    GAN_ASSERT_MSG(!b || (b->ndim == 1 && b->shape[0] == channels),
                   "conv: bias must have shape (out_channels)");
}

/* conv output size along one dimension */
static int conv_out(int in, int k, int stride, int pad) { return (in + 2 * pad - k) / stride + 1; }

static gan_tensor *conv_transpose(gan_ctx *ctx, gan_tensor *x, gan_tensor *w, gan_tensor *b,
                                  int stride, int pad, int op_h, int op_w);

/* ---------------------------------------------------------------- conv2d */

static void conv2d_bw(gan_ctx *ctx, gan_node *n, gan_tensor *g, gan_tensor **din) {
    gan_tensor *x = n->in[0], *w = n->in[1], *b = n->in[2];
    int s = n->iarg[0], p = n->iarg[1], KH = w->shape[2], KW = w->shape[3];
    if (gan_needs_grad(x)) {
        /* rows/cols of x that no window reached still need a (zero) gradient: output padding
         * restores exactly the remainder of the division in conv_out, per dimension */
        int op_h = x->shape[2] + 2 * p - KH - (g->shape[2] - 1) * s;
        int op_w = x->shape[3] + 2 * p - KW - (g->shape[3] - 1) * s;
        din[0] = conv_transpose(ctx, g, w, NULL, s, p, op_h, op_w);
    }
    if (gan_needs_grad(w)) din[1] = gan_conv2d_weight_grad(ctx, x, g, KH, KW, s, p);
    if (gan_needs_grad(b)) din[2] = gan_sum(ctx, g, BIAS_AXES, 0);
}

/* x (N,C,H,W), w (OC,C,KH,KW), b (OC) or NULL -> (N,OC,HO,WO) */
gan_tensor *gan_conv2d(gan_ctx *ctx, gan_tensor *x, gan_tensor *w, gan_tensor *b, int stride,
                       int pad) {
    GAN_ASSERT_MSG(x->ndim == 4 && w->ndim == 4, "conv2d: x and w must be 4-D");
    GAN_ASSERT_MSG(w->shape[1] == x->shape[1], "conv2d: w's in_channels differ from x's C");
    GAN_ASSERT(stride >= 1 && pad >= 0);
    int N = x->shape[0], C = x->shape[1], H = x->shape[2], W = x->shape[3];
    int OC = w->shape[0], KH = w->shape[2], KW = w->shape[3];
    GAN_ASSERT(C > 0 && OC > 0 && KH > 0 && KW > 0);
    GAN_ASSERT_MSG(H + 2 * pad >= KH && W + 2 * pad >= KW, "conv2d: kernel larger than input");
    check_bias(b, OC);
    int HO = conv_out(H, KH, stride, pad), WO = conv_out(W, KW, stride, pad);
    gan_tensor *out = gan_empty(ctx, GAN_SHAPE(N, OC, HO, WO));
    gan_conv_geom g = geom(N, C, H, W, OC, HO, WO, KH, KW, stride, pad);
    gan_cpu_conv2d(&g, x->data, w->data, b ? b->data : NULL, out->data);
    gan_node *nd = gan_record(ctx, out, "conv2d", conv2d_bw, 3, (gan_tensor *[]){x, w, b});
    if (nd) {
        nd->iarg[0] = stride;
        nd->iarg[1] = pad;
    }
    return out;
}

/* ---------------------------------------------------------------- conv_transpose2d */

/* y = conv_transpose(x, w) is the adjoint of g -> conv2d(g, w), so <y, g> = <x, conv2d(g, w)>:
 * dx = conv2d(g, w) and dw = weight_grad with g as the image and x as "dy" (C,OC,KH,KW). */
static void conv_transpose2d_bw(gan_ctx *ctx, gan_node *n, gan_tensor *g, gan_tensor **din) {
    gan_tensor *x = n->in[0], *w = n->in[1], *b = n->in[2];
    int s = n->iarg[0], p = n->iarg[1];
    if (gan_needs_grad(x)) din[0] = gan_conv2d(ctx, g, w, NULL, s, p);
    if (gan_needs_grad(w))
        din[1] = gan_conv2d_weight_grad(ctx, g, x, w->shape[2], w->shape[3], s, p);
    if (gan_needs_grad(b)) din[2] = gan_sum(ctx, g, BIAS_AXES, 0);
}

/* x (N,C,H,W), w (C,OC,KH,KW), b (OC) -> (N,OC,HO,WO); separate output paddings per
 * dimension because conv2d's rule must restore non-square inputs exactly. */
static gan_tensor *conv_transpose(gan_ctx *ctx, gan_tensor *x, gan_tensor *w, gan_tensor *b,
                                  int stride, int pad, int op_h, int op_w) {
    GAN_ASSERT_MSG(x->ndim == 4 && w->ndim == 4, "conv_transpose2d: x and w must be 4-D");
    GAN_ASSERT_MSG(w->shape[0] == x->shape[1], "conv_transpose2d: w's dim 0 differs from x's C");
    GAN_ASSERT(stride >= 1 && pad >= 0);
    /* as PyTorch: anything larger would leave whole rows no window of the adjoint conv sees */
    GAN_ASSERT_MSG(op_h >= 0 && op_h < stride && op_w >= 0 && op_w < stride,
                   "conv_transpose2d: output_padding must be in [0, stride)");
    int N = x->shape[0], C = x->shape[1], H = x->shape[2], W = x->shape[3];
    int OC = w->shape[1], KH = w->shape[2], KW = w->shape[3];
    GAN_ASSERT(C > 0 && OC > 0 && KH > 0 && KW > 0 && H > 0 && W > 0);
    int HO = (H - 1) * stride - 2 * pad + KH + op_h, WO = (W - 1) * stride - 2 * pad + KW + op_w;
    GAN_ASSERT_MSG(HO > 0 && WO > 0, "conv_transpose2d: padding leaves an empty output");
    check_bias(b, OC);
    gan_tensor *out = gan_empty(ctx, GAN_SHAPE(N, OC, HO, WO));
    /* the conv this op is the adjoint of maps out (N,OC,HO,WO) -> x (N,C,H,W) */
    gan_conv_geom g = geom(N, OC, HO, WO, C, H, W, KH, KW, stride, pad);
    gan_cpu_conv2d_adjoint(&g, x->data, w->data, b ? b->data : NULL, out->data);
    gan_node *nd = gan_record(ctx, out, "conv_transpose2d", conv_transpose2d_bw, 3,
                              (gan_tensor *[]){x, w, b});
    if (nd) {
        nd->iarg[0] = stride;
        nd->iarg[1] = pad;
        nd->iarg[2] = op_h;
        nd->iarg[3] = op_w;
    }
    return out;
}

gan_tensor *gan_conv_transpose2d(gan_ctx *ctx, gan_tensor *x, gan_tensor *w, gan_tensor *b,
                                 int stride, int pad, int output_padding) {
    return conv_transpose(ctx, x, w, b, stride, pad, output_padding, output_padding);
}

/* ---------------------------------------------------------------- conv2d_weight_grad */

/* dw = weight_grad(x, dy) satisfies <dw, g> = <dy, conv2d(x, g)> = <conv_transpose(dy, g), x> */
static void weight_grad_bw(gan_ctx *ctx, gan_node *n, gan_tensor *g, gan_tensor **din) {
    gan_tensor *x = n->in[0], *dy = n->in[1];
    int s = n->iarg[0], p = n->iarg[1], KH = g->shape[2], KW = g->shape[3];
    if (gan_needs_grad(x)) {
        int op_h = x->shape[2] + 2 * p - KH - (dy->shape[2] - 1) * s;
        int op_w = x->shape[3] + 2 * p - KW - (dy->shape[3] - 1) * s;
        din[0] = conv_transpose(ctx, dy, g, NULL, s, p, op_h, op_w);
    }
    if (gan_needs_grad(dy)) din[1] = gan_conv2d(ctx, x, g, NULL, s, p);
}

/* x (N,C,H,W), dy (N,OC,HO,WO) -> dw (OC,C,KH,KW) */
gan_tensor *gan_conv2d_weight_grad(gan_ctx *ctx, gan_tensor *x, gan_tensor *dy, int kh, int kw,
                                   int stride, int pad) {
    GAN_ASSERT_MSG(x->ndim == 4 && dy->ndim == 4, "conv2d_weight_grad: x and dy must be 4-D");
    GAN_ASSERT_MSG(x->shape[0] == dy->shape[0], "conv2d_weight_grad: batch sizes differ");
    GAN_ASSERT(stride >= 1 && pad >= 0 && kh > 0 && kw > 0);
    int N = x->shape[0], C = x->shape[1], H = x->shape[2], W = x->shape[3];
    int OC = dy->shape[1], HO = dy->shape[2], WO = dy->shape[3];
    GAN_ASSERT(C > 0 && OC > 0);
    GAN_ASSERT_MSG(H + 2 * pad >= kh && W + 2 * pad >= kw &&
                       HO == conv_out(H, kh, stride, pad) && WO == conv_out(W, kw, stride, pad),
                   "conv2d_weight_grad: dy's H, W do not match conv2d(x) with this kernel");
    gan_tensor *out = gan_empty(ctx, GAN_SHAPE(OC, C, kh, kw));
    gan_conv_geom g = geom(N, C, H, W, OC, HO, WO, kh, kw, stride, pad);
    gan_cpu_conv2d_weight_grad(&g, x->data, dy->data, out->data);
    gan_node *nd = gan_record(ctx, out, "conv2d_weight_grad", weight_grad_bw, 2,
                              (gan_tensor *[]){x, dy});
    if (nd) {
        nd->iarg[0] = stride;
        nd->iarg[1] = pad;
    }
    return out;
}
