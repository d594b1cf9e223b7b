/* embedding.c — block "embedding": integer ids (floats holding exact integers, as batches
 * carry labels and token ids) -> rows of a table, PyTorch's nn.Embedding (<name>.weight
 * (num, dim), N(0, 1)). Options num (ids are 0..num-1), dim. [] -> [dim], [T] -> [T, dim]. */
#include "nn/spec_internal.h"
#include <stdio.h>

typedef struct embedding_block {
    gan_tensor *weight;
    int num, dim;
} embedding_block;

static gan_status build(gan_block_build *b, void *state) {
    embedding_block *s = state;
    int x[GAN_MAX_DIMS], nd = gan_block_input_shape(b, 0, x);
    gan_status st;
    if ((st = gan_block_int(b, "num", 1, 0, &s->num)) || (st = gan_block_int(b, "dim", 1, 0, &s->dim))) return st;
    if (nd > 1) return gan_block_fail(b, "needs one id [] or a sequence [T] per sample, got %d dimensions", nd);
    if (s->num < 1 || s->dim < 1) return gan_block_fail(b, "num and dim must be >= 1");
    if ((st = spec_block_tensor(b, "the table", 2, (int64_t[]){s->num, s->dim}))) return st;
    char nm[160];
    snprintf(nm, sizeof nm, "%s.weight", gan_block_prefix(b));
    s->weight = gan_net_param(gan_block_net(b), nm, GAN_SHAPE(s->num, s->dim), GAN_INIT_NORMAL, 0);
    if (nd == 0) gan_block_set_output(b, 1, &s->dim);
    else gan_block_set_output(b, 2, (int[]){x[0], s->dim});
    return GAN_OK;
}

static gan_tensor *forward(gan_ctx *ctx, void *state, gan_tensor *const *in, int n_in) {
    const embedding_block *s = state;
    const gan_tensor *ids = in[0];
    int n = (int)ids->numel;
    int *idx = gan_ctx_alloc(ctx, sizeof(int) * (size_t)n);
    for (int i = 0; i < n; i++) {
        float v = ids->data[i];
        GAN_ASSERT_MSG(v >= 0 && v < (float)s->num && v == (float)(int)v,
                       "embedding: an id is not an integer in [0, num)");
        idx[i] = (int)v;
    }
    gan_tensor *e = gan_embedding(ctx, idx, n, s->weight);
    int shape[GAN_MAX_DIMS];
    memcpy(shape, ids->shape, sizeof(int) * (size_t)ids->ndim);
    shape[ids->ndim] = s->dim;
    return gan_reshape(ctx, e, ids->ndim + 1, shape);
}

const gan_block_type gan_block_embedding = {"embedding", sizeof(embedding_block), 1, 1, build, forward};
