/* reduce.c — sum / mean / max over a set of axes.
 * Each output element is summed by one thread in a fixed order (double accumulator), so
 * results are the same bits for any thread count. */
#include "internal.h"
#include <float.h>

typedef struct {
    int nd_out, out_shape[GAN_MAX_DIMS];   /* keepdim shape */
    int64_t n_out, n_red;
    int kept[GAN_MAX_DIMS], n_kept;         /* dims kept, in order */
    int red[GAN_MAX_DIMS], n_red_dims;      /* dims reduced, in order */
    int64_t stride[GAN_MAX_DIMS];
} plan;

static plan make_plan(const gan_tensor *a, unsigned axes) {
    plan p = {0};
    p.nd_out = a->ndim;
    p.n_out = 1;
    p.n_red = 1;
    int64_t s = 1;
    for (int i = a->ndim - 1; i >= 0; i--) { p.stride[i] = s; s *= a->shape[i]; }
    for (int i = 0; i < a->ndim; i++) {
        if (axes & (1u << i)) {
            p.out_shape[i] = 1;
            p.red[p.n_red_dims++] = i;
            p.n_red *= a->shape[i];
        } else {
            p.out_shape[i] = a->shape[i];
            p.kept[p.n_kept++] = i;
            p.n_out *= a->shape[i];
        }
    }
    return p;
}

/* base offset in `a` of output element o */
static int64_t out_base(const plan *p, const gan_tensor *a, int64_t o) {
    int64_t off = 0;
    for (int k = p->n_kept - 1; k >= 0; k--) {
        int d = p->kept[k];
        off += (o % a->shape[d]) * p->stride[d];
        o /= a->shape[d];
    }
    return off;
}

/* offset of reduced element r relative to the base */
static inline int64_t red_off(const plan *p, const gan_tensor *a, int64_t r) {
    int64_t off = 0;
    for (int k = p->n_red_dims - 1; k >= 0; k--) {
        int d = p->red[k];
        off += (r % a->shape[d]) * p->stride[d];
        r /= a->shape[d];
    }
    return off;
}

/* Reduced dims that form one contiguous trailing block can be read as a flat run. */
static int64_t contiguous_run(const plan *p, const gan_tensor *a) {
    if (!p->n_red_dims) return 1;
    int last = p->red[p->n_red_dims - 1];
    if (last != a->ndim - 1) return 0;
    for (int k = 0; k < p->n_red_dims; k++)
        if (p->red[k] != a->ndim - p->n_red_dims + k) return 0;
    return p->n_red;
}

static void reduce_kernel(const gan_tensor *a, const plan *p, float *out, int is_max) {
    int64_t run = contiguous_run(p, a);
#pragma omp parallel for schedule(static) if (a->numel > GAN_PARALLEL_MIN && p->n_out > 1)
    for (int64_t o = 0; o < p->n_out; o++) {
        const float *base = a->data + out_base(p, a, o);
        if (is_max) {
            float m = -FLT_MAX;
            for (int64_t r = 0; r < p->n_red; r++) {
                float v = run ? base[r] : base[red_off(p, a, r)];
                m = v > m ? v : m;
            }
            out[o] = m;
        } else {
            double s = 0;
            if (run)
                for (int64_t r = 0; r < p->n_red; r++) s += base[r];
            else
                for (int64_t r = 0; r < p->n_red; r++) s += base[red_off(p, a, r)];
            out[o] = (float)s;
        }
    }
}

static gan_tensor *finish_shape(gan_ctx *ctx, gan_tensor *r, const plan *p, int keepdim) {
    if (keepdim) return r;
    int shape[GAN_MAX_DIMS], nd = 0;
    for (int k = 0; k < p->n_kept; k++) shape[nd++] = p->out_shape[p->kept[k]];
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
