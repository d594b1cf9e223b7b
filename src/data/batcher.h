/* batcher.h — shuffled mini-batches (moves into gan.h with the data section). */
#ifndef GAN_BATCHER_H
#define GAN_BATCHER_H
#include "gan.h"

typedef struct gan_batcher gan_batcher;
/* images: n samples of c*h*w bytes, borrowed (must outlive the batcher). */
gan_batcher *gan_batcher_new(const uint8_t *images, int n, int c, int h, int w, uint64_t seed);
void gan_batcher_free(gan_batcher *b);
/* The dataset index of sample j of the batch for `step`. */
int gan_batcher_index(gan_batcher *b, int64_t step, int batch, int j);
/* The batch for `step` as (batch, c, h, w) floats in [-1, 1] (x / 255 * 2 - 1). */
gan_tensor *gan_batcher_get(gan_batcher *b, gan_ctx *ctx, int64_t step, int batch);
#endif
