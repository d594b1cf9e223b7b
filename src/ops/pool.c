/* pool.c — sum/avg pooling and nearest upsampling, zero padding and reflection padding.
 *
 * The ops come in adjoint pairs, each pair's members being one another's backward rule:
 * pool <-> upsample (with the same scale, so avg_pool's gradient costs one pass), pad <->
 * crop, reflection_pad <-> reflection_unpad. Linear ops whose rules are their adjoints give
 * exact gradients of every order. Each output row is written by one thread in a fixed order. */
#include "internal.h"

static void check_nchw(const gan_tensor *x, const char *msg) {
    GAN_ASSERT_MSG(x->ndim == 4, msg);
}

/* ---------------------------------------------------------------- pool / upsample */

static gan_tensor *pool(gan_ctx *ctx, gan_tensor *x, int k, float scale, const char *name);
static gan_tensor *upsample(gan_ctx *ctx, gan_tensor *x, int k, float scale, const char *name);

static void pool_bw(gan_ctx *ctx, gan_node *n, gan_tensor *g, gan_tensor **din) {
    din[0] = upsample(ctx, g, n->iarg[0], n->farg[0], "upsample_nearest2d");
}
static void upsample_bw(gan_ctx *ctx, gan_node *n, gan_tensor *g, gan_tensor **din) {
    din[0] = pool(ctx, g, n->iarg[0], n->farg[0], "sum_pool2d");
}

/* x (N,C,H,W) -> (N,C,H/k,W/k): scale * the sum of each k x k block */
static gan_tensor *pool(gan_ctx *ctx, gan_tensor *x, int k, float scale, const char *name) {
    check_nchw(x, "pool2d: x must be (N,C,H,W)");
    GAN_ASSERT(k >= 1);
    int N = x->shape[0], C = x->shape[1], H = x->shape[2], W = x->shape[3];
    GAN_ASSERT_MSG(H % k == 0 && W % k == 0, "pool2d: H and W must be multiples of k");
    int HO = H / k, WO = W / k;
    gan_tensor *out = gan_empty(ctx, GAN_SHAPE(N, C, HO, WO));
    const float *px = x->data;
    float *po = out->data;
    int64_t rows = (int64_t)N * C * HO;
#pragma omp parallel for schedule(static) if (x->numel > GAN_PARALLEL_MIN)
    for (int64_t r = 0; r < rows; r++) {
        const float *src = px + r * k * W;     /* k input rows of plane r / HO */
        float *dst = po + r * WO;
        for (int ow = 0; ow < WO; ow++) {
            float s = 0.0f;
            for (int i = 0; i < k; i++)
                for (int j = 0; j < k; j++) s += src[(int64_t)i * W + ow * k + j];
            dst[ow] = s * scale;
        }
    }
    gan_node *nd = gan_record(ctx, out, name, pool_bw, 1, &x);
    if (nd) {
        nd->iarg[0] = k;
        nd->farg[0] = scale;
    }
    return out;
}

/* x (N,C,H,W) -> (N,C,H*k,W*k): every value copied to a k x k block, times scale */
static gan_tensor *upsample(gan_ctx *ctx, gan_tensor *x, int k, float scale, const char *name) {
    check_nchw(x, "upsample_nearest2d: x must be (N,C,H,W)");
    GAN_ASSERT(k >= 1);
    int N = x->shape[0], C = x->shape[1], H = x->shape[2], W = x->shape[3];
    int HO = H * k, WO = W * k;
    gan_tensor *out = gan_empty(ctx, GAN_SHAPE(N, C, HO, WO));
    const float *px = x->data;
    float *po = out->data;
    int64_t rows = (int64_t)N * C * HO;
#pragma omp parallel for schedule(static) if (out->numel > GAN_PARALLEL_MIN)
    for (int64_t r = 0; r < rows; r++) {
        const float *src = px + (r / k) * W;   /* plane-major rows: (r / k) is the input row */
        float *dst = po + r * WO;
        for (int iw = 0; iw < W; iw++) {
            float v = src[iw] * scale;
            for (int j = 0; j < k; j++) dst[iw * k + j] = v;
        }
    }
    gan_node *nd = gan_record(ctx, out, name, upsample_bw, 1, &x);
    if (nd) {
        nd->iarg[0] = k;
        nd->farg[0] = scale;
    }
    return out;
}

gan_tensor *gan_sum_pool2d(gan_ctx *ctx, gan_tensor *x, int k) {
    return pool(ctx, x, k, 1.0f, "sum_pool2d");
}
gan_tensor *gan_avg_pool2d(gan_ctx *ctx, gan_tensor *x, int k) {
    return pool(ctx, x, k, 1.0f / (float)(k * k), "avg_pool2d");
}
gan_tensor *gan_upsample_nearest2d(gan_ctx *ctx, gan_tensor *x, int k) {
    return upsample(ctx, x, k, 1.0f, "upsample_nearest2d");
}

/* ---------------------------------------------------------------- zero padding / crop */

static gan_tensor *crop2d(gan_ctx *ctx, gan_tensor *x, int top, int bottom, int left, int right);

static void pad2d_bw(gan_ctx *ctx, gan_node *n, gan_tensor *g, gan_tensor **din) {
    din[0] = crop2d(ctx, g, n->iarg[0], n->iarg[1], n->iarg[2], n->iarg[3]);
}
static void crop2d_bw(gan_ctx *ctx, gan_node *n, gan_tensor *g, gan_tensor **din) {
    din[0] = gan_pad2d(ctx, g, n->iarg[0], n->iarg[1], n->iarg[2], n->iarg[3]);
}

static void record4(gan_ctx *ctx, gan_tensor *out, const char *name, gan_backward_fn bw,
                    gan_tensor *x, int a, int b, int c, int d) {
    gan_node *nd = gan_record(ctx, out, name, bw, 1, &x);
    if (nd) {
        nd->iarg[0] = a;
        nd->iarg[1] = b;
        nd->iarg[2] = c;
        nd->iarg[3] = d;
    }
}

/* x (N,C,H,W) -> (N,C,H+top+bottom,W+left+right), zeros around */
gan_tensor *gan_pad2d(gan_ctx *ctx, gan_tensor *x, int top, int bottom, int left, int right) {
    check_nchw(x, "pad2d: x must be (N,C,H,W)");
    GAN_ASSERT_MSG(top >= 0 && bottom >= 0 && left >= 0 && right >= 0, "pad2d: negative pad");
    int N = x->shape[0], C = x->shape[1], H = x->shape[2], W = x->shape[3];
    int HO = H + top + bottom, WO = W + left + right;
    gan_tensor *out = gan_empty(ctx, GAN_SHAPE(N, C, HO, WO));
    const float *px = x->data;
    float *po = out->data;
    int64_t rows = (int64_t)N * C * HO;
#pragma omp parallel for schedule(static) if (out->numel > GAN_PARALLEL_MIN)
    for (int64_t r = 0; r < rows; r++) {
        int64_t plane = r / HO;
        int ih = (int)(r % HO) - top;
        float *dst = po + r * WO;
        if (ih < 0 || ih >= H) {
            memset(dst, 0, sizeof(float) * (size_t)WO);
            continue;
        }
        memset(dst, 0, sizeof(float) * (size_t)left);
        memcpy(dst + left, px + (plane * H + ih) * W, sizeof(float) * (size_t)W);
        memset(dst + left + W, 0, sizeof(float) * (size_t)right);
    }
    record4(ctx, out, "pad2d", pad2d_bw, x, top, bottom, left, right);
    return out;
}

/* x (N,C,H,W) -> (N,C,H-top-bottom,W-left-right): the interior that pad2d surrounded */
static gan_tensor *crop2d(gan_ctx *ctx, gan_tensor *x, int top, int bottom, int left, int right) {
    int N = x->shape[0], C = x->shape[1], H = x->shape[2], W = x->shape[3];
    int HO = H - top - bottom, WO = W - left - right;
    GAN_ASSERT(HO >= 0 && WO >= 0);
    gan_tensor *out = gan_empty(ctx, GAN_SHAPE(N, C, HO, WO));
    const float *px = x->data;
    float *po = out->data;
    int64_t rows = (int64_t)N * C * HO;
#pragma omp parallel for schedule(static) if (out->numel > GAN_PARALLEL_MIN)
    for (int64_t r = 0; r < rows; r++) {
        int64_t plane = r / HO;
        int ih = (int)(r % HO) + top;
        memcpy(po + r * WO, px + (plane * H + ih) * W + left, sizeof(float) * (size_t)WO);
    }
    record4(ctx, out, "crop2d", crop2d_bw, x, top, bottom, left, right);
    return out;
}

/* ---------------------------------------------------------------- reflection padding
 * As torch.nn.ReflectionPad2d: index i in [-pad, n + pad) reads i mirrored about the edge
 * samples without repeating them (-1 -> 1, n -> n - 2), so pad must be < n. */

static inline int reflect(int i, int n) { return i < 0 ? -i : i >= n ? 2 * (n - 1) - i : i; }

static gan_tensor *reflection_pad(gan_ctx *ctx, gan_tensor *x, int pad);
static gan_tensor *reflection_unpad(gan_ctx *ctx, gan_tensor *x, int pad);

static void reflection_pad_bw(gan_ctx *ctx, gan_node *n, gan_tensor *g, gan_tensor **din) {
    din[0] = reflection_unpad(ctx, g, n->iarg[0]);
}
static void reflection_unpad_bw(gan_ctx *ctx, gan_node *n, gan_tensor *g, gan_tensor **din) {
    din[0] = reflection_pad(ctx, g, n->iarg[0]);
}

/* x (N,C,H,W) -> (N,C,H+2p,W+2p) */
static gan_tensor *reflection_pad(gan_ctx *ctx, gan_tensor *x, int p) {
    check_nchw(x, "reflection_pad2d: x must be (N,C,H,W)");
    int N = x->shape[0], C = x->shape[1], H = x->shape[2], W = x->shape[3];
    GAN_ASSERT_MSG(p >= 0 && p < H && p < W, "reflection_pad2d: pad must be in [0, min(H, W))");
    int HO = H + 2 * p, WO = W + 2 * p;
    gan_tensor *out = gan_empty(ctx, GAN_SHAPE(N, C, HO, WO));
    const float *px = x->data;
    float *po = out->data;
    int64_t rows = (int64_t)N * C * HO;
#pragma omp parallel for schedule(static) if (out->numel > GAN_PARALLEL_MIN)
    for (int64_t r = 0; r < rows; r++) {
        int64_t plane = r / HO;
        const float *src = px + (plane * H + reflect((int)(r % HO) - p, H)) * W;
        float *dst = po + r * WO;
        for (int j = 0; j < p; j++) dst[j] = src[p - j];
        memcpy(dst + p, src, sizeof(float) * (size_t)W);
        for (int j = 0; j < p; j++) dst[p + W + j] = src[W - 2 - j];
    }
    record4(ctx, out, "reflection_pad2d", reflection_pad_bw, x, p, 0, 0, 0);
    return out;
}

/* The padded indices (ascending, at most 3) whose reflection is interior index i. */
static int reflect_sources(int i, int n, int p, int src[3]) {
    int k = 0;
    if (i >= 1 && i <= p) src[k++] = p - i;                   /* from -i */
    src[k++] = i + p;
    if (i >= n - 1 - p && i <= n - 2) src[k++] = 2 * (n - 1) - i + p; /* from 2(n-1) - i */
    return k;
}

/* x (N,C,H+2p,W+2p) -> (N,C,H,W): each interior value plus every border value that
 * mirrors it (the adjoint of reflection_pad) */
static gan_tensor *reflection_unpad(gan_ctx *ctx, gan_tensor *x, int p) {
    check_nchw(x, "reflection_unpad2d: x must be (N,C,H,W)");
    int N = x->shape[0], C = x->shape[1], HP = x->shape[2], WP = x->shape[3];
    int H = HP - 2 * p, W = WP - 2 * p;
    GAN_ASSERT_MSG(p >= 0 && p < H && p < W,
                   "reflection_unpad2d: pad must be in [0, min(H, W)) of the unpadded size");
    gan_tensor *out = gan_empty(ctx, GAN_SHAPE(N, C, H, W));
    const float *px = x->data;
    float *po = out->data;
    int64_t rows = (int64_t)N * C * H;
#pragma omp parallel for schedule(static) if (x->numel > GAN_PARALLEL_MIN)
    for (int64_t r = 0; r < rows; r++) {
        int64_t plane = r / H;
        int srows[3], ns = reflect_sources((int)(r % H), H, p, srows);
        float *dst = po + r * W;
        for (int k = 0; k < ns; k++) {
            const float *src = px + (plane * HP + srows[k]) * WP;
            /* per element: centre, then left mirror, then right mirror; rows in order */
            for (int j = 0; j < W; j++) dst[j] = (k ? dst[j] : 0.0f) + src[j + p];
            for (int j = 1; j <= p; j++) dst[j] += src[p - j];
            for (int j = W - 1 - p > 0 ? W - 1 - p : 0; j <= W - 2; j++)
                dst[j] += src[2 * (W - 1) - j + p];
        }
    }
    record4(ctx, out, "reflection_unpad2d", reflection_unpad_bw, x, p, 0, 0, 0);
    return out;
}

gan_tensor *gan_reflection_pad2d(gan_ctx *ctx, gan_tensor *x, int pad) {
    return reflection_pad(ctx, x, pad);
}
gan_tensor *gan_reflection_unpad2d(gan_ctx *ctx, gan_tensor *x, int pad) {
    return reflection_unpad(ctx, x, pad);
}
