/* conv_kernels.h — private CPU kernels for 2-D convolution.
 *
 * Every kernel is described by the geometry of one *forward* convolution
 *     image (N,C,H,W)  --conv with w (OC,C,KH,KW)-->  out (N,OC,HO,WO),
 * so the three entry points are that conv, its adjoint in the image (= conv_transpose2d,
 * mapping out-shaped data back to image-shaped data) and its adjoint in the weight.
 * The three run as whole-batch GEMMs that gather patches while packing (conv_gemm.c); their
 * only scratch is pack_gemm.c's grow-only buffers. im2col/col2im (conv_kernels.c) build the
 * explicit column matrix: tests use them as an independent reference.
 * Plain float arrays: no tensors, no graph. */
#ifndef GAN_CONV_KERNELS_H
#define GAN_CONV_KERNELS_H

#include <stdint.h>

typedef struct gan_conv_geom {
    int N, C, H, W;          /* image */
    int OC, HO, WO;          /* conv output */
    int KH, KW, stride, pad;
} gan_conv_geom;

/* Scratch floats the kernels need for one sample's column matrix (0 when the conv is a
 * plain 1x1, stride 1, pad 0 product that reads the image in place). */
int64_t gan_conv_cols_floats(const gan_conv_geom *g);

/* x (C,H,W) -> cols (C*KH*KW, HO*WO); zeros where the window hangs over the padding. */
void gan_cpu_im2col(const gan_conv_geom *g, const float *x, float *cols);
/* cols (C*KH*KW, HO*WO) -> x (C,H,W): x = init + sum of every column entry that lands on
 * it (init[c] per channel, or 0 when init is NULL). Overwrites x. */
void gan_cpu_col2im(const gan_conv_geom *g, const float *cols, const float *init, float *x);
/* One row (c, ih) of gan_cpu_col2im's output. */
void gan_cpu_col2im_row(const gan_conv_geom *g, const float *cols, const float *init, float *x,
                        int c, int ih);

/* x (N,C,H,W), w (OC,C,KH,KW), b (OC) or NULL -> y (N,OC,HO,WO) */
void gan_cpu_conv2d(const gan_conv_geom *g, const float *x, const float *w, const float *b,
                    float *y);
/* The adjoint in the image, i.e. conv_transpose2d with PyTorch's weight layout:
 * dy (N,OC,HO,WO), w (OC,C,KH,KW), b (C) or NULL -> dx (N,C,H,W) */
void gan_cpu_conv2d_adjoint(const gan_conv_geom *g, const float *dy, const float *w,
                            const float *b, float *dx);
/* The adjoint in the weight: x (N,C,H,W), dy (N,OC,HO,WO) -> dw (OC,C,KH,KW),
 * dw = sum over (n, oh, ow) of dy_n @ im2col(x_n)^T, in a fixed order. */
void gan_cpu_conv2d_weight_grad(const gan_conv_geom *g, const float *x, const float *dy,
                                float *dw);

#endif
