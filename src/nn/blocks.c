/* blocks.c — the registry of built-in blocks: one line per block type (src/nn/blocks/). */
#include "spec_internal.h"

#define BLOCKS(X)                                                                              \
    X(linear) X(conv) X(conv_transpose) X(norm) X(relu) X(leaky_relu) X(tanh) X(sigmoid)      \
    X(reshape) X(flatten) X(concat) X(upsample) X(avg_pool) X(global_sum_pool) X(res_up)       \
    X(res_down) X(embedding) X(dropout)

#define DECLARE(n) extern const gan_block_type gan_block_##n;
BLOCKS(DECLARE)
#define ENTRY(n) &gan_block_##n,
const gan_block_type *const gan_builtin_blocks[] = {BLOCKS(ENTRY) NULL};
