/* embedding.c — row gather (embedding) and its adjoint, the scatter-add of rows. Each is the
 * other's backward rule, so gradients of any order are exact. The indices are copied into the
 * arena when a node is recorded, so the caller's array need not outlive the step. */
#include "internal.h"

static const int *keep_indices(gan_ctx *ctx, const int *idx, int n) {
    int *copy = gan_ctx_alloc(ctx, (size_t)(n ? n : 1) * sizeof(int));
    memcpy(copy, idx, (size_t)n * sizeof(int));
    return copy;
}

static void check_indices(const int *idx, int n, int V) {
    for (int i = 0; i < n; i++) GAN_ASSERT_MSG(idx[i] >= 0 && idx[i] < V, "embedding index out of range");
}

static void embedding_bw(gan_ctx *ctx, gan_node *nd, gan_tensor *g, gan_tensor **din) {
    din[0] = gan_embedding_scatter(ctx, nd->ptr, nd->iarg[0], g, nd->in[0]->shape[0]);
}

// idx (n) in [0, V), w (V, D) -> (n, D): out[i] = w[idx[i]]
gan_tensor *gan_embedding(gan_ctx *ctx, const int *idx, int n, gan_tensor *w) {
    GAN_ASSERT_MSG(w->ndim == 2, "embedding: w must be (V, D)");
    GAN_ASSERT(n >= 0);
    int V = w->shape[0], D = w->shape[1];
    check_indices(idx, n, V);
    gan_tensor *out = gan_empty(ctx, GAN_SHAPE(n, D));
    const float *pw = w->data;
    float *po = out->data;
#pragma omp parallel for schedule(static) if ((int64_t)n * D > GAN_PARALLEL_MIN)
    for (int i = 0; i < n; i++)
        memcpy(po + (int64_t)i * D, pw + (int64_t)idx[i] * D, (size_t)D * sizeof(float));
    gan_node *nd = gan_record(ctx, out, "embedding", embedding_bw, 1, &w);
    if (nd) {
        nd->ptr = keep_indices(ctx, idx, n);
        nd->iarg[0] = n;
    }
    return out;
}

static void scatter_bw(gan_ctx *ctx, gan_node *nd, gan_tensor *g, gan_tensor **din) {
    din[0] = gan_embedding(ctx, nd->ptr, nd->iarg[0], g);
}

// idx (n) in [0, V), g (n, D) -> (V, D): out[v] = sum of g[i] over i with idx[i] == v
gan_tensor *gan_embedding_scatter(gan_ctx *ctx, const int *idx, int n, gan_tensor *g, int V) {
    GAN_ASSERT_MSG(g->ndim == 2 && g->shape[0] == n, "embedding_scatter: g must be (n, D)");
    GAN_ASSERT(V >= 0);
    check_indices(idx, n, V);
    int D = g->shape[1];
    gan_tensor *out = gan_zeros(ctx, GAN_SHAPE(V, D));
    /* Bucket the positions by row (a stable counting sort in the arena), so each output row
     * is summed by one thread in increasing i: the same bits for any thread count. */
    int *start = gan_ctx_alloc(ctx, (size_t)(V + 1) * sizeof(int));
    int *order = gan_ctx_alloc(ctx, (size_t)(n ? n : 1) * sizeof(int));
    memset(start, 0, (size_t)(V + 1) * sizeof(int));
    for (int i = 0; i < n; i++) start[idx[i] + 1]++;
    for (int v = 0; v < V; v++) start[v + 1] += start[v];
    {
        int *fill = gan_ctx_alloc(ctx, (size_t)(V ? V : 1) * sizeof(int));
        memcpy(fill, start, (size_t)V * sizeof(int));
        for (int i = 0; i < n; i++) order[fill[idx[i]]++] = i;
    }
    const float *pg = g->data;
    float *po = out->data;
#pragma omp parallel for schedule(static) if ((int64_t)n * D > GAN_PARALLEL_MIN && V > 1)
    for (int v = 0; v < V; v++) {
        float *row = po + (int64_t)v * D;
        for (int k = start[v]; k < start[v + 1]; k++) {
            const float *src = pg + (int64_t)order[k] * D;
            for (int d = 0; d < D; d++) row[d] += src[d];
        }
    }
    gan_node *nd = gan_record(ctx, out, "embedding_scatter", scatter_bw, 1, &g);
    if (nd) {
        nd->ptr = keep_indices(ctx, idx, n);
        nd->iarg[0] = n;
    }
    return out;
}
