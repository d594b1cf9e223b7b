/* internal.h — what the library's layers share and users don't see. */
#ifndef GAN_INTERNAL_H
#define GAN_INTERNAL_H

#include "gan.h"
#include <string.h>

#define GAN_NODE_MAX_IN 4

/* A backward rule: given the node and d(out), set din[i] for every input that requires a
 * gradient (leave NULL otherwise). Rules are written with ops (so they record themselves when
 * grad mode is on, i.e. under create_graph); a rule may call a fused kernel instead only when
 * !gan_ctx_grad_enabled(ctx). */
typedef void (*gan_backward_fn)(gan_ctx *ctx, gan_node *n, gan_tensor *dout, gan_tensor **din);

struct gan_node {
    const char *op;                    /* for debugging and error messages */
    gan_backward_fn backward;
    gan_tensor *out;
    gan_tensor *in[GAN_NODE_MAX_IN];
    int n_in;
    int iarg[8];                       /* op parameters (stride, pad, axes, ...) */
    float farg[4];
    const void *ptr;                   /* op-owned constant data (e.g. embedding indices) */
    gan_tensor *saved;                 /* an extra constant tensor (masks, ...) */
};

/* Records a node for `out` when grad mode is on and any input requires a gradient.
 * Returns the node (to fill iarg/farg/saved) or NULL when nothing was recorded. */
gan_node *gan_record(gan_ctx *ctx, gan_tensor *out, const char *op, gan_backward_fn bw,
                     int n_in, gan_tensor **in);
uint32_t gan_ctx_next_visit(gan_ctx *ctx);
/* For first-order rules: true when the rule may overwrite its incoming gradient g, i.e. gan_backward
 * is running (set by the tape around its rule loop) and g's buffer is not shared with another
 * tensor's gradient: the tape would recycle it right after the rule anyway. A rule that writes
 * an input gradient into g's buffer returns a tensor on g->data; the tape then keeps the buffer
 * as that input's gradient. Elementwise rules gain a full-size buffer this way. */
int gan_grad_consumable(const gan_ctx *ctx, const gan_tensor *g);
void gan_ctx_set_recycling(gan_ctx *ctx, int on);
/* Also inside gan_backward's rule loop: the grad slot of a leaf t (a gan_net parameter) that
 * has no gradient term in this pass yet, or NULL. A rule may add its term for t straight into
 * it (C += by its own GEMM) and return GAN_GRAD_SUNK as t's gradient: no full-size tensor, and
 * nothing for gan_backward's last step to add (the MLP's weights are most of its memory
 * traffic). Terms from other rules then follow as usual. */
float *gan_grad_sink(gan_ctx *ctx, gan_tensor *t);
extern gan_tensor gan_grad_sunk;
#define GAN_GRAD_SUNK (&gan_grad_sunk)
/* Between begin and end the arena lists its large (>= 64 KiB) allocations, up to
 * GAN_SCRATCH_MAX: end returns them (valid until the next begin). gan_backward brackets each
 * rule with these and releases what the rule allocated but did not return. */
#define GAN_SCRATCH_MAX 32
void gan_ctx_scratch_begin(gan_ctx *ctx);
int gan_ctx_scratch_end(gan_ctx *ctx, void ***ptrs, size_t **bytes);

/* For backward rules: true when the pass running the rule wants t's gradient. That is every
 * tensor that requires grad, except during a gan_grad call for tensors no requested input flows
 * into (e.g. D's weights while WGAN-GP asks only for d D(x)/dx): the tape marks those grad_skip
 * so rules don't build their gradients. Recording (gan_record) looks at requires_grad only, so
 * a create_graph rule still records its dependence on such tensors. */
static inline int gan_needs_grad(const gan_tensor *t) {
    return t && t->requires_grad && !t->grad_skip;
}

/* gan_ctx_release (gan.h) of a tensor's data: for tensors that own their buffer (gan_empty & co.). */
static inline void gan_tensor_release(gan_ctx *ctx, gan_tensor *t) {
    if (t) gan_ctx_release(ctx, t->data, sizeof(float) * (size_t)t->numel);
}

/* A fresh arena tensor of the same shape as `t` / of a given shape. */
gan_tensor *gan_tensor_header(gan_ctx *ctx, int ndim, const int *shape, float *data);

/* gan_calloc for buffers used whole on every step: on 2 MiB pages when big (memory.c); gan_free */
void *gan_calloc_huge(size_t n, size_t sz);

/* ---------------------------------------------------------------- CPU backend (src/backend/cpu)
 * Plain kernels over float arrays; no tensors, no graph. */

/* C (M,N) = alpha * op(A) @ op(B) + beta * C, row-major; lda/ldb/ldc are row strides. */
void gan_cpu_gemm(int trans_a, int trans_b, int M, int N, int K, float alpha, const float *A,
                  int lda, const float *B, int ldb, float beta, float *C, int ldc);

/* Elementwise loops go parallel (OpenMP, static chunks) above this many elements. */
#define GAN_PARALLEL_MIN 32768   /* below this many elements, one thread is faster */

/* LeakyReLU's factor, 1.0f where x > 0 else slope (one_bits / slope_bits: those floats' bits),
 * chosen with integer ops on x's bits (x > 0 iff its bits are a positive int32): a float
 * compare in a select may trap, which keeps GCC -O2 from if-converting, and so from
 * vectorising, the loops that use it. For y = x * factor(x), factor(y) == factor(x) (a negative
 * x gives a negative or -0 product), so the fused ops read the mask back from their output. */
static inline float gan_leaky_factor(float x, uint32_t one_bits, uint32_t slope_bits) {
    int32_t b;
    memcpy(&b, &x, sizeof b);
    uint32_t m = (uint32_t) - (int32_t)(b > 0);
    uint32_t r = (one_bits & m) | (slope_bits & ~m);
    float f;
    memcpy(&f, &r, sizeof f);
    return f;
}

#endif
