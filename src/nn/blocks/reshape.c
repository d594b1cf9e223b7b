/* reshape.c — blocks "reshape" (shape: the per-sample shape, one size may be -1) and
 * "flatten" (to [numel]). Both view their input. */
#include "internal.h"

typedef struct reshape_block {
    int ndim, shape[GAN_MAX_DIMS];
} reshape_block;

static int64_t numel(const int *s, int nd) {
    int64_t n = 1;
    for (int i = 0; i < nd; i++) n *= s[i];
    return n;
}

static gan_status build_reshape(gan_block_build *b, void *state) {
    reshape_block *s = state;
    int x[GAN_MAX_DIMS], nd = gan_block_input_shape(b, 0, x), free_dim = -1;
    int64_t have = numel(x, nd), known = 1;
    int n = 0;
    gan_status st = gan_block_ints(b, "shape", GAN_MAX_DIMS - 1, s->shape, &n);
    if (st) return st;
    s->ndim = n;
    for (int i = 0; i < n; i++) {
        if (s->shape[i] == -1 && free_dim < 0) free_dim = i;
        else if (s->shape[i] < 1) return gan_block_fail(b, "shape: size %d (sizes are >= 1, one may be -1)", s->shape[i]);
        else if ((known *= s->shape[i]) > have)   /* known <= 2^28, a size <= 2^31 */
            return gan_block_fail(b, "shape holds more values per sample than the input's %lld", (long long)have);
    }
    if (free_dim >= 0) {
        if (have % known) return gan_block_fail(b, "shape: %lld values do not divide into it", (long long)have);
        s->shape[free_dim] = (int)(have / known);
    } else if (known != have) {
        return gan_block_fail(b, "shape holds %lld values per sample, the input has %lld", (long long)known, (long long)have);
    }
    gan_block_set_output(b, s->ndim, s->shape);
    return GAN_OK;
}

static gan_status build_flatten(gan_block_build *b, void *state) {
    reshape_block *s = state;
    int x[GAN_MAX_DIMS], nd = gan_block_input_shape(b, 0, x);
    s->ndim = 1;
    s->shape[0] = (int)numel(x, nd);
    gan_block_set_output(b, 1, s->shape);
    return GAN_OK;
}

static gan_tensor *forward(gan_ctx *ctx, void *state, gan_tensor *const *in, int n) {
    const reshape_block *s = state;
    int shape[GAN_MAX_DIMS];
    shape[0] = in[0]->shape[0];
    memcpy(shape + 1, s->shape, sizeof(int) * (size_t)s->ndim);
    return gan_reshape(ctx, in[0], s->ndim + 1, shape);
}

const gan_block_type gan_block_reshape = {"reshape", sizeof(reshape_block), 1, 1, build_reshape, forward};
const gan_block_type gan_block_flatten = {"flatten", sizeof(reshape_block), 1, 1, build_flatten, forward};
