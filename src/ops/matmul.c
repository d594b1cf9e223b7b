/* matmul.c — 2-D matrix products and linear layers. */
#include "backend/cpu/pack_gemm.h"
#include "internal.h"

/* dA, dB for C = op(A) op(B), written as matmuls (see each case's shapes). */
static void matmul_bw(gan_ctx *ctx, gan_node *n, gan_tensor *g, gan_tensor **din) {
    gan_tensor *a = n->in[0], *b = n->in[1];
    int ta = n->iarg[0], tb = n->iarg[1];
    if (gan_needs_grad(a)) {
        if (!ta) din[0] = gan_matmul(ctx, g, b, 0, !tb);  /* g (M,N) op(B)^T     -> (M,K) */
        else din[0] = gan_matmul(ctx, b, g, tb, 1);        /* op(B) (K,N) g^T    -> (K,M) */
    }
    if (gan_needs_grad(b)) {
        if (!tb) din[1] = gan_matmul(ctx, a, g, !ta, 0);  /* op(A)^T (K,M) g     -> (K,N) */
        else din[1] = gan_matmul(ctx, g, a, 1, ta);        /* g^T (N,M) op(A)    -> (N,K) */
    }
}

gan_tensor *gan_matmul(gan_ctx *ctx, gan_tensor *a, gan_tensor *b, int trans_a, int trans_b) {
    GAN_ASSERT(a->ndim == 2 && b->ndim == 2);
    int M = trans_a ? a->shape[1] : a->shape[0], K = trans_a ? a->shape[0] : a->shape[1];
    int Kb = trans_b ? b->shape[1] : b->shape[0], N = trans_b ? b->shape[0] : b->shape[1];
    GAN_ASSERT_MSG(K == Kb, "matmul: inner dimensions differ");
    gan_tensor *out = gan_empty(ctx, GAN_SHAPE(M, N));
    if (K == 0) memset(out->data, 0, sizeof(float) * (size_t)out->numel);
    else gan_cpu_gemm(trans_a, trans_b, M, N, K, 1.0f, a->data, a->shape[1], b->data,
                      b->shape[1], 0.0f, out->data, N);
    gan_node *nd = gan_record(ctx, out, "matmul", matmul_bw, 2, (gan_tensor *[]){a, b});
    if (nd) {
        nd->iarg[0] = trans_a;
        nd->iarg[1] = trans_b;
    }
    return out;
}

/* d(x @ w^T + b): dx = g @ w, dw = g^T @ x, db = sum of g over the batch, all ops so that
 * gradients of gradients stay exact; in gan_backward a parameter's dw goes straight into its
 * grad slot (gan_grad_sink). */
static void linear_bw(gan_ctx *ctx, gan_node *n, gan_tensor *g, gan_tensor **din) {
    gan_tensor *x = n->in[0], *w = n->in[1], *b = n->in[2];
    if (gan_needs_grad(x)) din[0] = gan_matmul(ctx, g, w, 0, 0);
    float *sink = gan_needs_grad(w) ? gan_grad_sink(ctx, w) : NULL;
    if (sink) {
        /* (out, in) += g^T (out, N) @ x (N, in) */
        gan_cpu_gemm(1, 0, w->shape[0], w->shape[1], g->shape[0], 1.0f, g->data, g->shape[1],
                     x->data, x->shape[1], 1.0f, sink, w->shape[1]);
        din[1] = GAN_GRAD_SUNK;
    } else if (gan_needs_grad(w)) {
        din[1] = gan_matmul(ctx, g, x, 1, 0);
    }
    if (gan_needs_grad(b)) din[2] = gan_sum(ctx, g, GAN_AXIS(0), 0);
}

/* x (N,in), w (out,in), b (out) -> (N,out); the bias is the product's starting value, so a
 * linear layer is one op and one tensor. */
gan_tensor *gan_linear(gan_ctx *ctx, gan_tensor *x, gan_tensor *w, gan_tensor *b) {
    if (!b) return gan_matmul(ctx, x, w, 0, 1);
    GAN_ASSERT(x->ndim == 2 && w->ndim == 2);
    GAN_ASSERT_MSG(x->shape[1] == w->shape[1], "linear: x's features differ from w's in");
    GAN_ASSERT_MSG(b->ndim == 1 && b->shape[0] == w->shape[0], "linear: bias must have shape (out)");
    int N = x->shape[0], in = x->shape[1], out = w->shape[0];
    gan_tensor *y = gan_empty(ctx, GAN_SHAPE(N, out));
    if (N > 0) gan_pg_linear(N, out, in, x->data, in, w->data, in, b->data, y->data, out);
    gan_record(ctx, y, "linear", linear_bw, 3, (gan_tensor *[]){x, w, b});
    return y;
}
