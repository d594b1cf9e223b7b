/* dropout.c — block "dropout": inverted dropout with probability p (0.5) in training, the
 * identity in eval. Its masks come from (a key of the block's place in the net, the number of
 * forward calls so far): the same run gives the same masks, but a resumed run starts the count
 * again (dropout is not in the zoo, whose results must resume bit-identically). */
#include "internal.h"

typedef struct dropout_block {
    float p;
    uint64_t key, calls;
} dropout_block;

static gan_status build(gan_block_build *b, void *state) {
    dropout_block *s = state;
    int x[GAN_MAX_DIMS], nd = gan_block_input_shape(b, 0, x);
    gan_status st = gan_block_float(b, "p", 0, 0.5f, &s->p);
    if (st) return st;
    if (!(s->p >= 0 && s->p < 1)) return gan_block_fail(b, "p must be in [0, 1)");
    s->key = 0xD60F0000ull + gan_block_id(b);
    gan_block_set_output(b, nd, x);
    return GAN_OK;
}

static gan_tensor *forward(gan_ctx *ctx, void *state, gan_tensor *const *in, int n) {
    dropout_block *s = state;
    if (!gan_ctx_training(ctx)) return in[0];
    return gan_dropout(ctx, in[0], s->p, s->key, s->calls++);
}

const gan_block_type gan_block_dropout = {"dropout", sizeof(dropout_block), 1, 1, build, forward};
