/* conv_kernels.c — the explicit column matrix of a convolution: im2col and its adjoint col2im.
 *
 * The convolutions themselves never build it (conv_gemm.c gathers patches while packing);
 * these stay as the textbook formulation tests compare against. Every output element is
 * produced by one thread in a fixed order, so results do not depend on the thread count. */
#include "backend/cpu/conv_kernels.h"
#include "internal.h"

static int is_pointwise(const gan_conv_geom *g) {
    return g->KH == 1 && g->KW == 1 && g->stride == 1 && g->pad == 0;
}

int64_t gan_conv_cols_floats(const gan_conv_geom *g) {
    if (is_pointwise(g)) return 0;
    return (int64_t)g->C * g->KH * g->KW * g->HO * g->WO;
}

/* The output columns ow in [lo, hi) whose input column ow*s - p + k lies inside [0, W). */
static void valid_range(int s, int p, int k, int W, int WO, int *lo, int *hi) {
    int a = p - k;                       /* iw = ow*s - a */
    int l = a > 0 ? (a + s - 1) / s : 0;
    int b = W - 1 + a;                   /* need ow*s <= b */
    int h = b < 0 ? 0 : b / s + 1;
    if (h > WO) h = WO;
    if (l > h) l = h;
    *lo = l;
    *hi = h;
}

/* x (C,H,W) -> cols (C*KH*KW, HO*WO); one thread per row of cols */
void gan_cpu_im2col(const gan_conv_geom *g, const float *x, float *cols) {
    const int C = g->C, H = g->H, W = g->W, KH = g->KH, KW = g->KW, s = g->stride,
              p = g->pad, HO = g->HO, WO = g->WO;
    const int rows = C * KH * KW;
    const int64_t howo = (int64_t)HO * WO;
#pragma omp parallel for schedule(static) if ((int64_t)rows * howo > GAN_PARALLEL_MIN)
    for (int r = 0; r < rows; r++) {
        int kw = r % KW, kh = (r / KW) % KH, c = r / (KW * KH);
        int lo, hi;
        valid_range(s, p, kw, W, WO, &lo, &hi);
        float *cr = cols + r * howo;
        for (int oh = 0; oh < HO; oh++) {
            float *dst = cr + (int64_t)oh * WO;
            int ih = oh * s - p + kh;
            if (ih < 0 || ih >= H) {
                memset(dst, 0, sizeof(float) * (size_t)WO);
                continue;
            }
            const float *src = x + ((int64_t)c * H + ih) * W - p + kw;   /* src[ow*s] */
            for (int ow = 0; ow < lo; ow++) dst[ow] = 0.0f;
            if (s == 1) memcpy(dst + lo, src + lo, sizeof(float) * (size_t)(hi - lo));
            else
                for (int ow = lo; ow < hi; ow++) dst[ow] = src[(int64_t)ow * s];
            for (int ow = hi; ow < WO; ow++) dst[ow] = 0.0f;
        }
    }
}

/* Row ih of channel c of x (C,H,W) from cols (C*KH*KW, HO*WO): init[c] (or 0) plus every
 * (kh, kw, ow) that lands on it, in that order. */
void gan_cpu_col2im_row(const gan_conv_geom *g, const float *cols, const float *init, float *x,
                        int c, int ih) {
    const int H = g->H, W = g->W, KH = g->KH, KW = g->KW, s = g->stride, p = g->pad,
              HO = g->HO, WO = g->WO;
    const int64_t howo = (int64_t)HO * WO;
    float *xr = x + ((int64_t)c * H + ih) * W;
    float v0 = init ? init[c] : 0.0f;
    for (int iw = 0; iw < W; iw++) xr[iw] = v0;
    for (int kh = 0; kh < KH; kh++) {
        int t = ih + p - kh;                 /* = oh * s */
        if (t < 0 || t % s) continue;
        int oh = t / s;
        if (oh >= HO) continue;
        for (int kw = 0; kw < KW; kw++) {
            int lo, hi;
            valid_range(s, p, kw, W, WO, &lo, &hi);
            const float *cr = cols + ((int64_t)(c * KH + kh) * KW + kw) * howo + (int64_t)oh * WO;
            float *dst = xr - p + kw;        /* dst[ow*s] */
            if (s == 1)
                for (int ow = lo; ow < hi; ow++) dst[ow] += cr[ow];
            else
                for (int ow = lo; ow < hi; ow++) dst[(int64_t)ow * s] += cr[ow];
        }
    }
}

/* cols (C*KH*KW, HO*WO) -> x (C,H,W). A scatter-add would race, so each thread owns whole
 * image rows (c, ih) and gathers every (kh, kw, ow) that lands on them, in that order.
 * Rows rather than channels keep all threads busy when C is 1 or 3 (an RGB image). */
void gan_cpu_col2im(const gan_conv_geom *g, const float *cols, const float *init, float *x) {
    const int rows = g->C * g->H;
#pragma omp parallel for schedule(static) if ((int64_t)g->C * g->KH * g->KW * g->HO * g->WO > GAN_PARALLEL_MIN)
    for (int r = 0; r < rows; r++) gan_cpu_col2im_row(g, cols, init, x, r / g->H, r % g->H);
}
