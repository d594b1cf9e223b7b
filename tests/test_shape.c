/* test_shape.c — permute, concat, slice, slice_pad: values against naive index arithmetic
 * done here, gradients (first and second order) against finite differences. */
#include "harness.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------- naive references */

static void strides_of(int nd, const int *shape, int64_t *st) {
    int64_t s = 1;
    for (int i = nd - 1; i >= 0; i--) { st[i] = s; s *= shape[i]; }
}

/* out[i0..] = a[j] where j_perm[d] = i_d */
static double permute_err(gan_ctx *ctx, gan_tensor *a, const int *perm) {
    gan_tensor *y = gan_permute(ctx, a, perm);
    int nd = a->ndim, os[GAN_MAX_DIMS];
    int64_t ist[GAN_MAX_DIMS];
    for (int d = 0; d < nd; d++) os[d] = a->shape[perm[d]];
    strides_of(nd, a->shape, ist);
    if (y->ndim != nd || memcmp(y->shape, os, sizeof(int) * (size_t)nd)) return INFINITY;
    double err = 0;
    for (int64_t o = 0; o < y->numel; o++) {
        int64_t q = o, j = 0;
        for (int d = nd - 1; d >= 0; d--) { j += (q % os[d]) * ist[perm[d]]; q /= os[d]; }
        err = fmax(err, fabs((double)y->data[o] - a->data[j]));
    }
    return err;
}

static gan_tensor *filled(gan_ctx *ctx, int nd, const int *shape, uint64_t stream) {
    gan_tensor *t = gan_empty(ctx, nd, shape);
    th_fill_randn(t, stream, 1.0f);
    return t;
}

static void check_permute(gan_ctx *ctx, int nd, const int *shape, const int *perm, const char *name) {
    gan_tensor *a = filled(ctx, nd, shape, 7);
    double e = permute_err(ctx, a, perm);
    th_check(e == 0, name, "max_abs %.3g", e);
}

/* element (o, k, i) of a tensor viewed as (outer, size along axis, inner) */
static void split3(const gan_tensor *t, int axis, int64_t *outer, int64_t *inner) {
    *outer = 1;
    *inner = 1;
    for (int d = 0; d < axis; d++) *outer *= t->shape[d];
    for (int d = axis + 1; d < t->ndim; d++) *inner *= t->shape[d];
}

static void check_slice_values(gan_ctx *ctx) {
    int shape[] = {3, 5, 4, 2};
    gan_tensor *a = filled(ctx, 4, shape, 11);
    for (int axis = 0; axis < 4; axis++) {
        int S = shape[axis], start = S > 2 ? 1 : 0, len = S > 2 ? S - 2 : 1;
        gan_tensor *s = gan_slice(ctx, a, axis, start, len);
        int64_t outer, inner;
        split3(a, axis, &outer, &inner);
        double err = 0;
        int shape_ok = s->shape[axis] == len && s->numel == outer * len * inner;
        for (int64_t o = 0; o < outer && shape_ok; o++)
            for (int k = 0; k < len; k++)
                for (int64_t i = 0; i < inner; i++)
                    err = fmax(err, fabs(s->data[(o * len + k) * inner + i] -
                                         a->data[(o * S + start + k) * inner + i]));
        /* slice_pad puts it back: equal to a inside, zero outside */
        gan_tensor *p = gan_slice_pad(ctx, s, axis, start, S);
        double perr = 0;
        for (int64_t o = 0; o < outer && shape_ok; o++)
            for (int k = 0; k < S; k++)
                for (int64_t i = 0; i < inner; i++) {
                    int64_t e = (o * S + k) * inner + i;
                    float want = k >= start && k < start + len ? a->data[e] : 0.0f;
                    perr = fmax(perr, fabs(p->data[e] - want));
                }
        char name[64];
        snprintf(name, sizeof name, "slice/slice_pad value axis %d", axis);
        th_check(shape_ok && err == 0 && perr == 0, name, "slice %.3g pad %.3g", err, perr);
    }
    /* negative axis counts from the end */
    gan_tensor *s1 = gan_slice(ctx, a, -1, 1, 1), *s2 = gan_slice(ctx, a, 3, 1, 1);
    th_check(th_max_abs_diff(s1->data, s2->data, s1->numel) == 0 && s1->ndim == 4,
             "slice negative axis", "%s", "");
}

static void check_concat_values(gan_ctx *ctx) {
    for (int axis = 0; axis < 3; axis++) {
        int base[] = {2, 3, 4};
        gan_tensor *ts[6];
        int lens[6] = {1, 2, 3, 1, 2, 1}, total = 0;
        for (int i = 0; i < 6; i++) {
            int s[3] = {base[0], base[1], base[2]};
            s[axis] = lens[i];
            ts[i] = filled(ctx, 3, s, 20 + (uint64_t)i);
            total += lens[i];
        }
        gan_tensor *c = gan_concat(ctx, 6, ts, axis);
        int64_t outer, inner;
        split3(c, axis, &outer, &inner);
        double err = c->shape[axis] == total ? 0 : INFINITY;
        for (int64_t o = 0; o < outer && err == 0; o++) {
            int k = 0;
            for (int t = 0; t < 6; t++)
                for (int kk = 0; kk < lens[t]; kk++, k++)
                    for (int64_t i = 0; i < inner; i++)
                        err = fmax(err, fabs(c->data[(o * total + k) * inner + i] -
                                             ts[t]->data[(o * lens[t] + kk) * inner + i]));
        }
        char name[64];
        snprintf(name, sizeof name, "concat value 6 inputs axis %d", axis);
        th_check(err == 0, name, "max_abs %.3g", err);
        /* with gradients on, more than 4 inputs take the grouped path: same values */
        for (int i = 0; i < 6; i++) gan_set_requires_grad(ts[i], 1);
        gan_tensor *cg = gan_concat(ctx, 6, ts, axis);
        snprintf(name, sizeof name, "concat grouped path equal axis %d", axis);
        th_check(gan_same_shape(c, cg) && th_max_abs_diff(c->data, cg->data, c->numel) == 0, name,
                 "%s", "");
    }
}

/* ---------------------------------------------------------------- gradients */

typedef struct {
    int kind;       /* 0 permute, 1 concat, 2 slice, 3 slice_pad, 4 slice∘permute */
    int perm[GAN_MAX_DIMS];
    int axis, start, len;
} gcase;

static gan_tensor *f(gan_ctx *c, gan_tensor **in, void *ud) {
    const gcase *k = ud;
    gan_tensor *y = NULL;
    switch (k->kind) {
    case 0: y = gan_permute(c, in[0], k->perm); break;
    case 1: y = gan_concat(c, k->len, in, k->axis); break;
    case 2: y = gan_slice(c, in[0], k->axis, k->start, k->len); break;
    case 3: y = gan_slice_pad(c, in[0], k->axis, k->start, k->len); break;
    case 4: y = gan_slice(c, gan_permute(c, in[0], k->perm), k->axis, k->start, k->len); break;
    }
    /* a non-linearity after the linear op, so the second derivative is not identically 0;
     * multiplying by a position-dependent constant makes a wrong permutation visible */
    gan_tensor *w = gan_empty_like(c, y);
    for (int64_t i = 0; i < w->numel; i++) w->data[i] = 0.5f + 0.01f * (float)(i % 17);
    return gan_mul(c, gan_tanh(c, y), w);
}

static gan_tensor *leaf(gan_ctx *ctx, int nd, const int *shape, uint64_t stream) {
    gan_tensor *t = gan_empty(ctx, nd, shape);
    th_fill_randn(t, stream, 1.0f);
    gan_set_requires_grad(t, 1);
    return t;
}

static double worst1, worst2;

static void grads(const char *name, int n, gan_tensor **in, gcase *k) {
    worst1 = fmax(worst1, th_gradcheck(name, f, n, in, k, 1e-3, 2e-2));
    worst2 = fmax(worst2, th_gradcheck2(name, f, n, in, k, 1e-3, 3e-2));
}

int main(void) {
    gan_ctx *ctx = gan_ctx_new(0);

    /* permute values, including the memcpy-run path, the tiled transpose path, merged dims,
     * size-1 dims, 5-D, and sizes big enough to run threaded and span several tiles */
    check_permute(ctx, GAN_SHAPE(2, 3, 4), (int[]){2, 0, 1}, "permute (2,3,4) [2,0,1]");
    check_permute(ctx, GAN_SHAPE(2, 3, 4), (int[]){0, 1, 2}, "permute identity");
    check_permute(ctx, GAN_SHAPE(2, 3, 4, 5), (int[]){0, 2, 3, 1}, "permute NCHW->NHWC");
    check_permute(ctx, GAN_SHAPE(2, 3, 4, 5), (int[]){0, 3, 1, 2}, "permute NHWC->NCHW");
    check_permute(ctx, GAN_SHAPE(2, 3, 4, 5), (int[]){1, 0, 2, 3}, "permute runs [1,0,2,3]");
    check_permute(ctx, GAN_SHAPE(1, 3, 1, 4), (int[]){3, 2, 1, 0}, "permute size-1 dims");
    check_permute(ctx, GAN_SHAPE(2, 3, 2, 4, 3), (int[]){4, 2, 0, 3, 1}, "permute 5-D");
    check_permute(ctx, GAN_SHAPE(2, 3, 2, 4, 3), (int[]){1, 0, 3, 4, 2}, "permute 5-D runs");
    check_permute(ctx, GAN_SHAPE(333, 517), (int[]){1, 0}, "permute big 2-D transpose");
    check_permute(ctx, GAN_SHAPE(4, 37, 33, 65), (int[]){0, 2, 3, 1}, "permute big NCHW->NHWC");
    check_permute(ctx, GAN_SHAPE(3, 40, 50, 70), (int[]){3, 1, 0, 2}, "permute big mixed");
    check_permute(ctx, GAN_SHAPE(3, 40, 50, 70), (int[]){1, 0, 2, 3}, "permute big runs");
    {
        /* same bits for any thread count */
        gan_tensor *a = filled(ctx, GAN_SHAPE(4, 37, 33, 65), 3);
        int old = gan_get_threads();
        gan_set_threads(1);
        gan_tensor *y1 = gan_permute(ctx, a, (int[]){2, 0, 3, 1});
        gan_set_threads(4);
        gan_tensor *y4 = gan_permute(ctx, a, (int[]){2, 0, 3, 1});
        gan_set_threads(old);
        th_check(!memcmp(y1->data, y4->data, sizeof(float) * (size_t)y1->numel),
                 "permute 1 vs 4 threads identical", "%s", "");
    }
    check_slice_values(ctx);
    check_concat_values(ctx);
    {
        /* big slices and concat run threaded; compare against the small-path semantics */
        gan_tensor *a = filled(ctx, GAN_SHAPE(64, 32, 40), 5);
        gan_tensor *s0 = gan_slice(ctx, a, 1, 3, 20), *s1 = gan_slice(ctx, a, 1, 23, 9);
        gan_tensor *r = gan_concat(ctx, 3, (gan_tensor *[]){gan_slice(ctx, a, 1, 0, 3), s0, s1}, 1);
        th_check(gan_same_shape(r, a) && !memcmp(r->data, a->data, sizeof(float) * (size_t)a->numel),
                 "big slice+concat round trip", "%s", "");
    }

    /* gradients */
    gan_tensor *in[8];
    {
        /* a cube: a wrong inverse permutation would still have the right shape */
        gcase k = {.kind = 0, .perm = {1, 2, 0}};
        in[0] = leaf(ctx, GAN_SHAPE(2, 2, 2), 99);
        grads("permute (2,2,2) [1,2,0]", 1, in, &k);
    }
    {
        gcase k = {.kind = 0, .perm = {2, 0, 1}};
        in[0] = leaf(ctx, GAN_SHAPE(2, 3, 4), 100);
        grads("permute (2,3,4) [2,0,1]", 1, in, &k);
    }
    {
        gcase k = {.kind = 0, .perm = {0, 2, 3, 1}};
        in[0] = leaf(ctx, GAN_SHAPE(2, 3, 2, 3), 101);
        grads("permute NCHW->NHWC", 1, in, &k);
    }
    {
        gcase k = {.kind = 0, .perm = {3, 1, 4, 0, 2}};
        in[0] = leaf(ctx, GAN_SHAPE(2, 1, 3, 2, 2), 102);
        grads("permute 5-D", 1, in, &k);
    }
    {
        gcase k = {.kind = 1, .axis = 1, .len = 2};
        in[0] = leaf(ctx, GAN_SHAPE(2, 3, 2), 103);
        in[1] = leaf(ctx, GAN_SHAPE(2, 1, 2), 104);
        grads("concat 2 inputs axis 1", 2, in, &k);
    }
    {
        gcase k = {.kind = 1, .axis = 0, .len = 3};
        in[0] = leaf(ctx, GAN_SHAPE(1, 4), 105);
        in[1] = gan_from_data(ctx, GAN_SHAPE(2, 4), (float[]){1, 2, 3, 4, 5, 6, 7, 8}); /* constant */
        in[2] = leaf(ctx, GAN_SHAPE(3, 4), 106);
        grads("concat 3 inputs axis 0 (one constant)", 3, in, &k);
    }
    {
        gcase k = {.kind = 1, .axis = 2, .len = 6};
        for (int i = 0; i < 6; i++) in[i] = leaf(ctx, GAN_SHAPE(2, 2, 1 + i % 3), 110 + (uint64_t)i);
        grads("concat 6 inputs axis 2 (grouped)", 6, in, &k);
    }
    {
        gcase k = {.kind = 2, .axis = 1, .start = 1, .len = 2};
        in[0] = leaf(ctx, GAN_SHAPE(2, 4, 3), 120);
        grads("slice axis 1", 1, in, &k);
    }
    {
        gcase k = {.kind = 2, .axis = 3, .start = 0, .len = 2};
        in[0] = leaf(ctx, GAN_SHAPE(2, 1, 2, 3), 121);
        grads("slice last axis", 1, in, &k);
    }
    {
        gcase k = {.kind = 3, .axis = 0, .start = 1, .len = 4};
        in[0] = leaf(ctx, GAN_SHAPE(2, 3), 122);
        grads("slice_pad axis 0", 1, in, &k);
    }
    {
        gcase k = {.kind = 3, .axis = 2, .start = 2, .len = 5};
        in[0] = leaf(ctx, GAN_SHAPE(2, 2, 2), 123);
        grads("slice_pad last axis", 1, in, &k);
    }
    {
        gcase k = {.kind = 4, .perm = {1, 2, 0}, .axis = 1, .start = 1, .len = 2};
        in[0] = leaf(ctx, GAN_SHAPE(3, 2, 4), 124);
        grads("slice of permute", 1, in, &k);
    }
    printf("worst relative error: first order %.3g, second order %.3g\n", worst1, worst2);
    gan_ctx_free(ctx);
    return th_done("test_shape");
}
