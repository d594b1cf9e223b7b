/* reduce.c — sum / mean / max over a set of axes.
 *
 * The input's dims are first coalesced: size-1 dims dropped, neighbours that are both kept or
 * both reduced merged. What is left alternates kept/reduced blocks, and one of two kernels
 * runs, both walking the other dims with an odometer (increments, no divisions per element):
 *  - the last block reduced ([K,R], [R,K,R], ...): each output sums contiguous runs;
 *  - the last block kept ([R,K], [K,R,K], ...): a tile of contiguous outputs accumulates
 *    whole rows (vectorisable, no strided reads).
 * Each output element is reduced by one thread in a fixed order (double accumulators for
 * sums), so results are the same bits for any thread count. */
#include "internal.h"
#include <float.h>

/* coalesced view: dims in input order; stride in elements */
typedef struct {
    int n;
    int64_t size[GAN_MAX_DIMS], stride[GAN_MAX_DIMS];
    int red[GAN_MAX_DIMS];
} cdims;

typedef struct {
    int nd_out, out_shape[GAN_MAX_DIMS];   /* keepdim shape */
    int kept_dims[GAN_MAX_DIMS], n_kept_dims;  /* original dims kept, in order */
    int64_t n_out, n_red;
    cdims c;
} plan;

static plan make_plan(const gan_tensor *a, unsigned axes) {
    plan p = {0};
    p.nd_out = a->ndim;
    p.n_out = 1;
    p.n_red = 1;
    for (int i = 0; i < a->ndim; i++) {
        int r = (axes >> i) & 1u;
        p.out_shape[i] = r ? 1 : a->shape[i];
        if (!r) p.kept_dims[p.n_kept_dims++] = i;
        if (r) p.n_red *= a->shape[i];
        else p.n_out *= a->shape[i];
        if (a->shape[i] == 1) continue;
        if (p.c.n && p.c.red[p.c.n - 1] == r) {
            p.c.size[p.c.n - 1] *= a->shape[i];
        } else {
            p.c.size[p.c.n] = a->shape[i];
            p.c.red[p.c.n++] = r;
        }
    }
    int64_t s = 1;
    for (int i = p.c.n - 1; i >= 0; i--) { p.c.stride[i] = s; s *= p.c.size[i]; }
    return p;
}

/* the dims of `c` with red == want, excluding dim `skip` */
static cdims select_dims(const cdims *c, int want, int skip) {
    cdims d = {0};
    for (int i = 0; i < c->n; i++)
        if (c->red[i] == want && i != skip) {
            d.size[d.n] = c->size[i];
            d.stride[d.n] = c->stride[i];
            d.n++;
        }
    return d;
}

static int64_t dims_count(const cdims *d) {
    int64_t n = 1;
    for (int i = 0; i < d->n; i++) n *= d->size[i];
    return n;
}

/* Offset of linear index i over dims d (row-major); also fills the odometer digits. */
static int64_t odo_start(const cdims *d, int64_t i, int64_t idx[GAN_MAX_DIMS]) {
    int64_t off = 0;
    for (int k = d->n - 1; k >= 0; k--) {
        idx[k] = i % d->size[k];
        off += idx[k] * d->stride[k];
        i /= d->size[k];
    }
    return off;
}

/* Advances the odometer by one; returns the new offset. */
static inline int64_t odo_next(const cdims *d, int64_t idx[GAN_MAX_DIMS], int64_t off) {
    for (int k = d->n - 1; k >= 0; k--) {
        off += d->stride[k];
        if (++idx[k] < d->size[k]) return off;
        off -= d->stride[k] * d->size[k];
        idx[k] = 0;
    }
    return off;
}

/* Sum of a contiguous run: eight double lanes (independent chains, so it pipelines and
 * vectorises), combined in a fixed tree. */
static inline double sum_run(const float *p, int64_t n) {
    double acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    int64_t i = 0;
    for (; i + 8 <= n; i += 8)
        for (int j = 0; j < 8; j++) acc[j] += (double)p[i + j];
    double s = ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
    for (; i < n; i++) s += (double)p[i];
    return s;
}

static inline float max_run(const float *p, int64_t n, float m) {
    for (int64_t i = 0; i < n; i++) m = p[i] > m ? p[i] : m;
    return m;
}

#define OUT_BLOCK 32   /* outputs per work item when the last block is reduced */
#define TILE 256       /* outputs per work item when the last block is kept */

// a (.., K.., R) coalesced, last block reduced with run L -> out (n_out)
static void reduce_runs(const float *a, const plan *p, float *out, int is_max) {
    const cdims *c = &p->c;
    int64_t L = c->size[c->n - 1];
    cdims kd = select_dims(c, 0, -1), rd = select_dims(c, 1, c->n - 1);
    int64_t n_out = p->n_out, n_outer = dims_count(&rd);
    /* smaller blocks when there are few outputs, so threads get work; each output's order of
     * summation does not depend on the block */
    int64_t ob = n_out / 16 < OUT_BLOCK ? (n_out / 16 > 1 ? n_out / 16 : 1) : OUT_BLOCK;
    int64_t n_items = (n_out + ob - 1) / ob;
#pragma omp parallel for schedule(static) if (p->n_out * p->n_red > GAN_PARALLEL_MIN && n_items > 1)
    for (int64_t it = 0; it < n_items; it++) {
        int64_t o0 = it * ob, nb = n_out - o0 < ob ? n_out - o0 : ob;
        int64_t base[OUT_BLOCK], kidx[GAN_MAX_DIMS], ridx[GAN_MAX_DIMS];
        double acc[OUT_BLOCK];
        float mx[OUT_BLOCK];
        base[0] = odo_start(&kd, o0, kidx);
        for (int64_t b = 1; b < nb; b++) base[b] = odo_next(&kd, kidx, base[b - 1]);
        for (int64_t b = 0; b < nb; b++) { acc[b] = 0; mx[b] = -FLT_MAX; }
        int64_t roff = odo_start(&rd, 0, ridx);
        /* blocks of outputs walk the outer reduced dims together: neighbouring runs are
         * neighbours in memory, and each output still sums in the odometer's order */
        for (int64_t r = 0; r < n_outer; r++) {
            if (is_max)
                for (int64_t b = 0; b < nb; b++) mx[b] = max_run(a + base[b] + roff, L, mx[b]);
            else
                for (int64_t b = 0; b < nb; b++) acc[b] += sum_run(a + base[b] + roff, L);
            roff = odo_next(&rd, ridx, roff);
        }
        for (int64_t b = 0; b < nb; b++) out[o0 + b] = is_max ? mx[b] : (float)acc[b];
    }
}

// a (.., R.., K) coalesced, last block kept with length L -> out (n_out), L outputs per row
static void reduce_rows(const float *a, const plan *p, float *out, int is_max) {
    const cdims *c = &p->c;
    int64_t L = c->size[c->n - 1];
    cdims kd = select_dims(c, 0, c->n - 1), rd = select_dims(c, 1, -1);
    int64_t n_rows = dims_count(&rd), n_tiles = (L + TILE - 1) / TILE;
    int64_t n_items = dims_count(&kd) * n_tiles;
#pragma omp parallel for schedule(static) if (p->n_out * p->n_red > GAN_PARALLEL_MIN && n_items > 1)
    for (int64_t it = 0; it < n_items; it++) {
        int64_t kp = it / n_tiles, t0 = (it % n_tiles) * TILE;
        int64_t nt = L - t0 < TILE ? L - t0 : TILE;
        int64_t kidx[GAN_MAX_DIMS], ridx[GAN_MAX_DIMS];
        const float *src = a + odo_start(&kd, kp, kidx) + t0;
        float *dst = out + kp * L + t0;
        int64_t roff = odo_start(&rd, 0, ridx);
        if (is_max) {
            float mx[TILE];
            for (int64_t j = 0; j < nt; j++) mx[j] = -FLT_MAX;
            for (int64_t r = 0; r < n_rows; r++) {
                const float *row = src + roff;
#pragma omp simd
                for (int64_t j = 0; j < nt; j++) mx[j] = row[j] > mx[j] ? row[j] : mx[j];
                roff = odo_next(&rd, ridx, roff);
            }
            for (int64_t j = 0; j < nt; j++) dst[j] = mx[j];
        } else {
            double acc[TILE];
            for (int64_t j = 0; j < nt; j++) acc[j] = 0;
            for (int64_t r = 0; r < n_rows; r++) {
                const float *row = src + roff;
#pragma omp simd
                for (int64_t j = 0; j < nt; j++) acc[j] += (double)row[j];
                roff = odo_next(&rd, ridx, roff);
            }
            for (int64_t j = 0; j < nt; j++) dst[j] = (float)acc[j];
        }
    }
}

static void reduce_kernel(const gan_tensor *a, const plan *p, float *out, int is_max) {
    if (p->n_red == 1) {   /* nothing reduced: sum or max of one value is the value */
        memcpy(out, a->data, sizeof(float) * (size_t)p->n_out);
        return;
    }
    if (p->c.red[p->c.n - 1]) reduce_runs(a->data, p, out, is_max);
    else reduce_rows(a->data, p, out, is_max);
}

static gan_tensor *finish_shape(gan_ctx *ctx, gan_tensor *r, const plan *p, int keepdim) {
    if (keepdim) return r;
    int shape[GAN_MAX_DIMS], nd = 0;
    for (int k = 0; k < p->n_kept_dims; k++) shape[nd++] = p->out_shape[p->kept_dims[k]];
    if (nd == 0) shape[nd++] = 1;
    return gan_tensor_header(ctx, nd, shape, r->data);
}

static void sum_bw(gan_ctx *ctx, gan_node *n, gan_tensor *g, gan_tensor **din) {
    gan_tensor *a = n->in[0];
    plan p = make_plan(a, (unsigned)n->iarg[0]);
    gan_tensor *gk = gan_reshape(ctx, g, p.nd_out, p.out_shape);
    gan_tensor *e = gan_expand(ctx, gk, a->ndim, a->shape);
    din[0] = n->farg[0] == 1.0f ? e : gan_mul_scalar(ctx, e, n->farg[0]);
}

static gan_tensor *reduce(gan_ctx *ctx, gan_tensor *a, unsigned axes, int keepdim, int mean) {
    axes &= (1u << a->ndim) - 1;
    plan p = make_plan(a, axes);
    gan_tensor *r = gan_empty(ctx, p.nd_out, p.out_shape);
    reduce_kernel(a, &p, r->data, 0);
    float scale = mean ? 1.0f / (float)p.n_red : 1.0f;
    if (mean)
        for (int64_t i = 0; i < r->numel; i++) r->data[i] *= scale;
    gan_tensor *out = finish_shape(ctx, r, &p, keepdim);
    gan_node *nd = gan_record(ctx, out, mean ? "mean" : "sum", sum_bw, 1, &a);
    if (nd) {
        nd->iarg[0] = (int)axes;
        nd->farg[0] = scale;
    }
    return out;
}

gan_tensor *gan_sum(gan_ctx *ctx, gan_tensor *a, unsigned axes, int keepdim) {
    return reduce(ctx, a, axes, keepdim, 0);
}
gan_tensor *gan_mean(gan_ctx *ctx, gan_tensor *a, unsigned axes, int keepdim) {
    return reduce(ctx, a, axes, keepdim, 1);
}
gan_tensor *gan_sum_all(gan_ctx *ctx, gan_tensor *a) {
    return gan_reshape(ctx, gan_sum(ctx, a, (1u << a->ndim) - 1, 0), GAN_SHAPE(1));
}
gan_tensor *gan_mean_all(gan_ctx *ctx, gan_tensor *a) {
    return gan_reshape(ctx, gan_mean(ctx, a, (1u << a->ndim) - 1, 0), GAN_SHAPE(1));
}

gan_tensor *gan_max(gan_ctx *ctx, gan_tensor *a, unsigned axes, int keepdim) {
    axes &= (1u << a->ndim) - 1;
    plan p = make_plan(a, axes);
    gan_tensor *r = gan_empty(ctx, p.nd_out, p.out_shape);
    reduce_kernel(a, &p, r->data, 1);
    return finish_shape(ctx, r, &p, keepdim);
}
