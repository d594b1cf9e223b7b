/* conv_kernels.c — 2-D convolution on the CPU: im2col/col2im around OpenBLAS sgemm.
 *
 * One sample at a time, so each GEMM writes straight into NCHW memory and the column
 * scratch is one sample's worth. im2col/col2im run under OpenMP; the GEMMs run outside any
 * parallel region because OpenBLAS brings its own threads. Every output element is produced
 * by one thread in a fixed order, so results do not depend on the thread count. */
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

/* cols (C*KH*KW, HO*WO) -> x (C,H,W). A scatter-add would race, so each thread owns whole
 * image rows (c, ih) and gathers every (kh, kw, ow) that lands on them, in that order.
 * Rows rather than channels keep all threads busy when C is 1 or 3 (an RGB image). */
void gan_cpu_col2im(const gan_conv_geom *g, const float *cols, const float *init, float *x) {
    const int C = g->C, H = g->H, W = g->W, KH = g->KH, KW = g->KW, s = g->stride,
              p = g->pad, HO = g->HO, WO = g->WO;
    const int64_t howo = (int64_t)HO * WO;
    const int rows = C * H;
#pragma omp parallel for schedule(static) if ((int64_t)C * KH * KW * howo > GAN_PARALLEL_MIN)
    for (int r = 0; r < rows; r++) {
        int c = r / H, ih = r % H;
        float *xr = x + (int64_t)r * W;
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
                const float *cr = cols + ((int64_t)(c * KH + kh) * KW + kw) * howo +
                                  (int64_t)oh * WO;
                float *dst = xr - p + kw;        /* dst[ow*s] */
                if (s == 1)
                    for (int ow = lo; ow < hi; ow++) dst[ow] += cr[ow];
                else
                    for (int ow = lo; ow < hi; ow++) dst[(int64_t)ow * s] += cr[ow];
            }
        }
    }
}

/* y (rows, n) = b[row] broadcast along each row */
static void fill_rows(float *y, const float *b, int rows, int64_t n) {
    for (int r = 0; r < rows; r++)
        for (int64_t i = 0; i < n; i++) y[(int64_t)r * n + i] = b[r];
}

/* x (N,C,H,W), w (OC,C,KH,KW), b (OC) or NULL -> y (N,OC,HO,WO):
 * y_n (OC, HO*WO) = w (OC, C*KH*KW) @ cols_n (C*KH*KW, HO*WO) [+ b] */
void gan_cpu_conv2d(const gan_conv_geom *g, const float *x, const float *w, const float *b,
                    float *y, float *cols) {
    const int K = g->C * g->KH * g->KW;
    const int64_t hw = (int64_t)g->H * g->W, howo = (int64_t)g->HO * g->WO;
    for (int n = 0; n < g->N; n++) {
        const float *xn = x + (int64_t)n * g->C * hw;
        float *yn = y + (int64_t)n * g->OC * howo;
        const float *cn = xn;
        if (!is_pointwise(g)) {
            gan_cpu_im2col(g, xn, cols);
            cn = cols;
        }
        if (b) fill_rows(yn, b, g->OC, howo);
        gan_cpu_gemm(0, 0, g->OC, (int)howo, K, 1.0f, w, K, cn, (int)howo, b ? 1.0f : 0.0f,
                     yn, (int)howo);
    }
}

/* dy (N,OC,HO,WO), w (OC,C,KH,KW), b (C) or NULL -> dx (N,C,H,W):
 * cols_n (C*KH*KW, HO*WO) = w^T @ dy_n, then col2im (b initialises each channel) */
void gan_cpu_conv2d_adjoint(const gan_conv_geom *g, const float *dy, const float *w,
                            const float *b, float *dx, float *cols) {
    const int K = g->C * g->KH * g->KW;
    const int64_t hw = (int64_t)g->H * g->W, howo = (int64_t)g->HO * g->WO;
    for (int n = 0; n < g->N; n++) {
        const float *dyn = dy + (int64_t)n * g->OC * howo;
        float *dxn = dx + (int64_t)n * g->C * hw;
        if (is_pointwise(g)) {
            if (b) fill_rows(dxn, b, g->C, hw);
            gan_cpu_gemm(1, 0, g->C, (int)hw, g->OC, 1.0f, w, K, dyn, (int)howo,
                         b ? 1.0f : 0.0f, dxn, (int)hw);
            continue;
        }
        gan_cpu_gemm(1, 0, K, (int)howo, g->OC, 1.0f, w, K, dyn, (int)howo, 0.0f, cols,
                     (int)howo);
        gan_cpu_col2im(g, cols, b, dxn);
    }
}

/* x (N,C,H,W), dy (N,OC,HO,WO) -> dw (OC,C,KH,KW) = sum_n dy_n (OC,HO*WO) @ cols_n^T,
 * accumulated with beta = 1 in batch order (a fixed summation order). */
void gan_cpu_conv2d_weight_grad(const gan_conv_geom *g, const float *x, const float *dy,
                                float *dw, float *cols) {
    const int K = g->C * g->KH * g->KW;
    const int64_t hw = (int64_t)g->H * g->W, howo = (int64_t)g->HO * g->WO;
    if (g->N == 0) {
        memset(dw, 0, sizeof(float) * (size_t)g->OC * (size_t)K);
        return;
    }
    for (int n = 0; n < g->N; n++) {
        const float *xn = x + (int64_t)n * g->C * hw;
        const float *dyn = dy + (int64_t)n * g->OC * howo;
        const float *cn = xn;
        if (!is_pointwise(g)) {
            gan_cpu_im2col(g, xn, cols);
            cn = cols;
        }
        gan_cpu_gemm(0, 1, g->OC, K, (int)howo, 1.0f, dyn, (int)howo, cn, (int)howo,
                     n ? 1.0f : 0.0f, dw, K);
    }
}
