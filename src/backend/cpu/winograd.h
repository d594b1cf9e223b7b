/* winograd.h — DCGAN's convolution (4x4 kernel, stride 2, pad 1) by Winograd's minimal filtering
 * F(4x4, 2x2): 25 multiplies for 64, so the three GEMMs of a training step do 2.56x fewer
 * multiply-adds than the direct products of conv_gemm.c (up to the edge tiles' waste).
 *
 * The conv splits by input phase (ih mod 2, iw mod 2) into a 2x2 stride-1 correlation over 4C
 * phase planes; its adjoint splits by output phase into four 2x2 correlations of dy. Each runs as
 * 25 GEMMs, one per point of the 5x5 transform grid, over tiles of 4x4 outputs.
 *
 * Same entry points and geometry as conv_kernels.h; the callers hold gan_pg_lock. Results are
 * the same for any thread count (each sum in a fixed order); they differ from the direct products
 * by float rounding of the transforms (about 1e-6 of the output's scale). */
#ifndef GAN_WINOGRAD_H
#define GAN_WINOGRAD_H

#include "backend/cpu/conv_kernels.h"

/* 1 when the geometry is one these kernels take (and they were measured to win on it) */
int gan_wino_fits(const gan_conv_geom *g);

void gan_wino_conv2d(const gan_conv_geom *g, const float *x, const float *w, const float *b,
                     float *y);
void gan_wino_adjoint(const gan_conv_geom *g, const float *dy, const float *w, const float *b,
                      float *dx);
void gan_wino_weight_grad(const gan_conv_geom *g, const float *x, const float *dy, float *dw);

/* Floats per scratch buffer (transformed inputs, weights, products); larger work goes in
 * chunks of samples and blocks of channels. Returns the old value. Tests shrink it to reach
 * the chunked paths with small tensors. */
int64_t gan_wino_set_cap(int64_t floats);

#endif
