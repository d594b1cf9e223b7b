/* shape.c — reshape (a free view), permute, concat, slice and its adjoint slice_pad. */
#include "internal.h"

static void reshape_bw(gan_ctx *ctx, gan_node *n, gan_tensor *g, gan_tensor **din) {
    din[0] = gan_reshape(ctx, g, n->in[0]->ndim, n->in[0]->shape);
}

gan_tensor *gan_reshape(gan_ctx *ctx, gan_tensor *a, int ndim, const int *shape) {
    int s[GAN_MAX_DIMS], infer = -1;
    int64_t known = 1;
    GAN_ASSERT(ndim >= 1 && ndim <= GAN_MAX_DIMS);
    for (int i = 0; i < ndim; i++) {
        s[i] = shape[i];
        if (s[i] == -1) {
            GAN_ASSERT_MSG(infer < 0, "reshape: only one -1");
            infer = i;
        } else known *= s[i];
    }
    if (infer >= 0) {
        GAN_ASSERT(known > 0 && a->numel % known == 0);
        s[infer] = (int)(a->numel / known);
        known *= s[infer];
    }
    GAN_ASSERT_MSG(known == a->numel, "reshape: element count differs");
    gan_tensor *out = gan_tensor_header(ctx, ndim, s, a->data);
    gan_record(ctx, out, "reshape", reshape_bw, 1, &a);
    return out;
}

/* ---------------------------------------------------------------- permute */

static void permute_bw(gan_ctx *ctx, gan_node *n, gan_tensor *g, gan_tensor **din) {
    din[0] = gan_permute(ctx, g, n->iarg); /* iarg holds the inverse permutation */
}

/* A 2-D transpose in tiles so both sides stay in cache:
 * src (rows, cols) with row stride ss -> dst (cols, rows) with row stride ds. */
#define TILE 32
static void transpose_tile(const float *src, int64_t ss, float *dst, int64_t ds, int r0, int r1,
                           int c0, int c1) {
    for (int c = c0; c < c1; c++)
        for (int r = r0; r < r1; r++) dst[(int64_t)c * ds + r] = src[(int64_t)r * ss + c];
}

/* Copies a (nd dims, input strides istride) into out (oshape, contiguous), out dim i being
 * a's dim perm[i]. Output dims that are also adjacent in the input are merged and size-1
 * dims dropped, so e.g. (N,C,H,W)->(N,H,W,C) becomes N transposes of (C, HW). */
static void permute_kernel(const float *src, float *dst, int64_t n, int nd, const int *oshape,
                           const int *perm, const int64_t *istride) {
    int sz[GAN_MAX_DIMS], m = 0;
    int64_t st[GAN_MAX_DIMS];
    if (n == 0) return;
    for (int i = 0; i < nd; i++) {
        if (oshape[i] == 1) continue;
        if (m && st[m - 1] == (int64_t)oshape[i] * istride[perm[i]]) {
            sz[m - 1] *= oshape[i];
            st[m - 1] = istride[perm[i]];
        } else {
            sz[m] = oshape[i];
            st[m++] = istride[perm[i]];
        }
    }
    if (m <= 1) {
        memcpy(dst, src, (size_t)n * sizeof(float));
        return;
    }
    if (st[m - 1] == 1) {
        /* rows of the output are contiguous runs of the input */
        int64_t run = sz[m - 1], rows = n / run;
#pragma omp parallel for schedule(static) if (n > GAN_PARALLEL_MIN)
        for (int64_t r = 0; r < rows; r++) {
            int64_t off = 0, q = r;
            for (int k = m - 2; k >= 0; k--) { off += (q % sz[k]) * st[k]; q /= sz[k]; }
            memcpy(dst + r * run, src + off, (size_t)run * sizeof(float));
        }
        return;
    }
    /* The input's unit-stride dim k (it exists: a's last non-1 dim) and the output's last dim
     * form one 2-D transpose per index of the remaining ("outer") dims. */
    int k = -1;
    for (int i = 0; i < m; i++)
        if (st[i] == 1) k = i;
    GAN_ASSERT(k >= 0 && k < m - 1);
    int64_t ostr[GAN_MAX_DIMS], o = 1;
    for (int i = m - 1; i >= 0; i--) { ostr[i] = o; o *= sz[i]; }
    int R = sz[k], C = sz[m - 1];
    int64_t outer = n / ((int64_t)R * C);
    int tr = (R + TILE - 1) / TILE, tc = (C + TILE - 1) / TILE;
    int64_t per = (int64_t)tr * tc, jobs = outer * per;
#pragma omp parallel for schedule(static) if (n > GAN_PARALLEL_MIN)
    for (int64_t j = 0; j < jobs; j++) {
        int64_t q = j / per, ioff = 0, ooff = 0;
        int t = (int)(j % per), ti = t / tc, tj = t % tc;
        for (int i = m - 2; i >= 0; i--) {
            if (i == k) continue;
            int64_t c = q % sz[i];
            q /= sz[i];
            ioff += c * st[i];
            ooff += c * ostr[i];
        }
        /* input seen as (C, R) with row stride st[m-1]; output as (R, C), row stride ostr[k] */
        int c1 = (tj + 1) * TILE < C ? (tj + 1) * TILE : C;
        int r1 = (ti + 1) * TILE < R ? (ti + 1) * TILE : R;
        transpose_tile(src + ioff, st[m - 1], dst + ooff, ostr[k], tj * TILE, c1, ti * TILE, r1);
    }
}

// a (shape) -> out (shape[perm[0]], ..., shape[perm[nd-1]])
gan_tensor *gan_permute(gan_ctx *ctx, gan_tensor *a, const int *perm) {
    int nd = a->ndim, oshape[GAN_MAX_DIMS] = {0}, seen = 0;
    int64_t istride[GAN_MAX_DIMS], s = 1;
    for (int i = nd - 1; i >= 0; i--) { istride[i] = s; s *= a->shape[i]; }
    for (int i = 0; i < nd; i++) {
        GAN_ASSERT_MSG(perm[i] >= 0 && perm[i] < nd && !(seen & (1 << perm[i])),
                       "permute: not a permutation");
        seen |= 1 << perm[i];
        oshape[i] = a->shape[perm[i]];
    }
    gan_tensor *out = gan_empty(ctx, nd, oshape);
    permute_kernel(a->data, out->data, a->numel, nd, oshape, perm, istride);
    gan_node *node = gan_record(ctx, out, "permute", permute_bw, 1, &a);
    if (node)
        for (int i = 0; i < nd; i++) node->iarg[perm[i]] = i;
    return out;
}

/* ---------------------------------------------------------------- slice, slice_pad, concat
 * All three view a tensor as (outer, size along axis, inner) and copy contiguous runs of
 * len*inner floats. */

static int norm_axis(const gan_tensor *a, int axis) {
    if (axis < 0) axis += a->ndim;
    GAN_ASSERT_MSG(axis >= 0 && axis < a->ndim, "axis out of range");
    return axis;
}

static int64_t outer_of(const gan_tensor *a, int axis) {
    int64_t o = 1;
    for (int i = 0; i < axis; i++) o *= a->shape[i];
    return o;
}

static int64_t inner_of(const gan_tensor *a, int axis) {
    int64_t o = 1;
    for (int i = axis + 1; i < a->ndim; i++) o *= a->shape[i];
    return o;
}

/* dst rows of dst_len*inner, src rows of src_len*inner: copies len*inner floats per outer
 * index from src row offset src_at to dst row offset dst_at. */
static void copy_runs(float *dst, int64_t dst_len, int64_t dst_at, const float *src,
                      int64_t src_len, int64_t src_at, int64_t len, int64_t outer,
                      int64_t inner) {
    int64_t run = len * inner;
    if (run == 0) return;
#pragma omp parallel for schedule(static) if (outer * run > GAN_PARALLEL_MIN && outer > 1)
    for (int64_t o = 0; o < outer; o++)
        memcpy(dst + (o * dst_len + dst_at) * inner, src + (o * src_len + src_at) * inner,
               (size_t)run * sizeof(float));
}

static void slice_bw(gan_ctx *ctx, gan_node *n, gan_tensor *g, gan_tensor **din) {
    int axis = n->iarg[0];
    din[0] = gan_slice_pad(ctx, g, axis, n->iarg[1], n->in[0]->shape[axis]);
}

// a (..., S, ...) -> (..., len, ...): a[..., start:start+len, ...]
gan_tensor *gan_slice(gan_ctx *ctx, gan_tensor *a, int axis, int start, int len) {
    axis = norm_axis(a, axis);
    GAN_ASSERT_MSG(start >= 0 && len >= 0 && start + len <= a->shape[axis], "slice out of range");
    int shape[GAN_MAX_DIMS];
    memcpy(shape, a->shape, sizeof shape);
    shape[axis] = len;
    gan_tensor *out = gan_empty(ctx, a->ndim, shape);
    copy_runs(out->data, len, 0, a->data, a->shape[axis], start, len, outer_of(a, axis),
              inner_of(a, axis));
    gan_node *node = gan_record(ctx, out, "slice", slice_bw, 1, &a);
    if (node) {
        node->iarg[0] = axis;
        node->iarg[1] = start;
    }
    return out;
}

static void slice_pad_bw(gan_ctx *ctx, gan_node *n, gan_tensor *g, gan_tensor **din) {
    int axis = n->iarg[0];
    din[0] = gan_slice(ctx, g, axis, n->iarg[1], n->in[0]->shape[axis]);
}

// a (..., L, ...) -> (..., size, ...), a at [start, start+L), zeros elsewhere
gan_tensor *gan_slice_pad(gan_ctx *ctx, gan_tensor *a, int axis, int start, int size) {
    axis = norm_axis(a, axis);
    int len = a->shape[axis];
    GAN_ASSERT_MSG(start >= 0 && start + len <= size, "slice_pad out of range");
    int shape[GAN_MAX_DIMS];
    memcpy(shape, a->shape, sizeof shape);
    shape[axis] = size;
    gan_tensor *out = gan_empty(ctx, a->ndim, shape);
    int64_t outer = outer_of(a, axis), inner = inner_of(a, axis);
    float *po = out->data;
    const float *pa = a->data;
    /* each row: zeros, the copied run, zeros; one pass over the output */
#pragma omp parallel for schedule(static) if (out->numel > GAN_PARALLEL_MIN && outer > 1)
    for (int64_t o = 0; o < outer; o++) {
        float *row = po + o * size * inner;
        memset(row, 0, (size_t)(start * inner) * sizeof(float));
        memcpy(row + start * inner, pa + o * len * inner, (size_t)(len * inner) * sizeof(float));
        memset(row + (start + len) * inner, 0,
               (size_t)((size - start - len) * inner) * sizeof(float));
    }
    gan_node *node = gan_record(ctx, out, "slice_pad", slice_pad_bw, 1, &a);
    if (node) {
        node->iarg[0] = axis;
        node->iarg[1] = start;
    }
    return out;
}

static void concat_bw(gan_ctx *ctx, gan_node *n, gan_tensor *g, gan_tensor **din) {
    int axis = n->iarg[0], off = 0;
    for (int i = 0; i < n->n_in; i++) {
        int len = n->in[i]->shape[axis];
        if (gan_needs_grad(n->in[i])) din[i] = gan_slice(ctx, g, axis, off, len);
        off += len;
    }
}

// ts[i] (..., L_i, ...) -> (..., sum L_i, ...); all other dims equal
gan_tensor *gan_concat(gan_ctx *ctx, int n, gan_tensor **ts, int axis) {
    GAN_ASSERT(n >= 1);
    axis = norm_axis(ts[0], axis);
    int shape[GAN_MAX_DIMS], any_grad = 0;
    memcpy(shape, ts[0]->shape, sizeof shape);
    shape[axis] = 0;
    for (int i = 0; i < n; i++) {
        GAN_ASSERT_MSG(ts[i]->ndim == ts[0]->ndim, "concat: ranks differ");
        for (int d = 0; d < ts[0]->ndim; d++)
            GAN_ASSERT_MSG(d == axis || ts[i]->shape[d] == ts[0]->shape[d],
                           "concat: shapes differ off the axis");
        shape[axis] += ts[i]->shape[axis];
        any_grad |= gan_needs_grad(ts[i]);
    }
    /* A node holds at most GAN_NODE_MAX_IN inputs: concat groups, then the groups. The
     * extra copies only happen when a graph is being recorded. */
    if (n > GAN_NODE_MAX_IN && any_grad && gan_ctx_grad_enabled(ctx)) {
        gan_tensor *groups[GAN_NODE_MAX_IN];
        int ng = 0, per = (n + GAN_NODE_MAX_IN - 1) / GAN_NODE_MAX_IN;
        for (int i = 0; i < n; i += per)
            groups[ng++] = gan_concat(ctx, n - i < per ? n - i : per, ts + i, axis);
        return gan_concat(ctx, ng, groups, axis);
    }
    gan_tensor *out = gan_empty(ctx, ts[0]->ndim, shape);
    int64_t outer = outer_of(out, axis), inner = inner_of(out, axis);
    int off = 0;
    for (int i = 0; i < n; i++) {
        int len = ts[i]->shape[axis];
        copy_runs(out->data, shape[axis], off, ts[i]->data, len, 0, len, outer, inner);
        off += len;
    }
    if (n > GAN_NODE_MAX_IN) return out; /* nothing to record (see above) */
    gan_node *node = gan_record(ctx, out, "concat", concat_bw, n, ts);
    if (node) node->iarg[0] = axis;
    return out;
}
