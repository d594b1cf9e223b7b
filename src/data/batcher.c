/* batcher.c — deterministic shuffled mini-batches over an in-memory uint8 image set.
 *
 * Sample j of batch k is global draw g = k*B + j: epoch g / N, position g % N of that epoch's
 * permutation (Fisher-Yates keyed by (seed, epoch)). The batch for step k is a pure function
 * of (seed, k), so resuming at step k needs no state beyond the step counter. */
#include "internal.h"

struct gan_batcher {
    const uint8_t *images;     /* n x (c*h*w), borrowed; or */
    const float *samples;      /* n x (c*h*w) floats, borrowed */
    int n, c, h, w;
    uint64_t seed;
    int64_t perm_epoch;        /* epoch the cached permutation belongs to (-1: none) */
    int *perm;
};

gan_batcher *gan_batcher_new(const uint8_t *images, int n, int c, int h, int w, uint64_t seed) {
    GAN_ASSERT(n > 0);
    gan_batcher *b = gan_calloc(1, sizeof *b);
    b->images = images;
    b->n = n;
    b->c = c;
    b->h = h;
    b->w = w;
    b->seed = seed;
    b->perm_epoch = -1;
    b->perm = gan_malloc(sizeof(int) * (size_t)n);
    return b;
}

gan_batcher *gan_batcher_new_f32(const float *samples, int n, int c, int h, int w, uint64_t seed) {
    gan_batcher *b = gan_batcher_new(NULL, n, c, h, w, seed);
    b->samples = samples;
    return b;
}

void gan_batcher_free(gan_batcher *b) {
    if (!b) return;
    gan_free(b->perm);
    gan_free(b);
}

static void make_perm(gan_batcher *b, int64_t epoch) {
    if (b->perm_epoch == epoch) return;
    for (int i = 0; i < b->n; i++) b->perm[i] = i;
    gan_rng r = {b->seed ^ 0x5eedba7c4ull, (uint64_t)epoch + 1};
    for (int i = b->n - 1; i > 0; i--) {
        int j = (int)(gan_rng_next(&r) % (uint64_t)(i + 1));
        int t = b->perm[i];
        b->perm[i] = b->perm[j];
        b->perm[j] = t;
    }
    b->perm_epoch = epoch;
}

int gan_batcher_index(gan_batcher *b, int64_t step, int batch, int j) {
    int64_t g = step * batch + j;
    make_perm(b, g / b->n);
    return b->perm[g % b->n];
}

/* -> (B, C, H, W) in [-1, 1] */
gan_tensor *gan_batcher_get(gan_batcher *b, gan_ctx *ctx, int64_t step, int batch) {
    int64_t per = (int64_t)b->c * b->h * b->w;
    gan_tensor *x = gan_empty(ctx, GAN_SHAPE(batch, b->c, b->h, b->w));
    for (int j = 0; j < batch; j++) {
        int64_t i = gan_batcher_index(b, step, batch, j);
        if (b->samples) memcpy(x->data + per * j, b->samples + per * i, sizeof(float) * (size_t)per);
        else gan_image_from_u8(b->images + per * i, per, x->data + per * j);
    }
    return x;
}
