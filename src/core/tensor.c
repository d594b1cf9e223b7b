/* tensor.c — creating arena tensors. */
#include "internal.h"
#include <stdio.h>

gan_tensor *gan_tensor_header(gan_ctx *ctx, int ndim, const int *shape, float *data) {
    GAN_ASSERT(ndim >= 1 && ndim <= GAN_MAX_DIMS);
    gan_tensor *t = gan_ctx_alloc(ctx, sizeof *t);
    memset(t, 0, sizeof *t);
    t->ndim = ndim;
    t->numel = 1;
    for (int i = 0; i < ndim; i++) {
        GAN_ASSERT(shape[i] >= 0);
        t->shape[i] = shape[i];
        t->numel *= shape[i];
    }
    t->data = data ? data : gan_ctx_alloc(ctx, (size_t)t->numel * sizeof(float));
    return t;
}

gan_tensor *gan_empty(gan_ctx *ctx, int ndim, const int *shape) {
    return gan_tensor_header(ctx, ndim, shape, NULL);
}

gan_tensor *gan_zeros(gan_ctx *ctx, int ndim, const int *shape) {
    gan_tensor *t = gan_empty(ctx, ndim, shape);
    memset(t->data, 0, (size_t)t->numel * sizeof(float));
    return t;
}

gan_tensor *gan_full(gan_ctx *ctx, int ndim, const int *shape, float v) {
    gan_tensor *t = gan_empty(ctx, ndim, shape);
    for (int64_t i = 0; i < t->numel; i++) t->data[i] = v;
    return t;
}

gan_tensor *gan_from_data(gan_ctx *ctx, int ndim, const int *shape, const float *src) {
    gan_tensor *t = gan_empty(ctx, ndim, shape);
    memcpy(t->data, src, (size_t)t->numel * sizeof(float));
    return t;
}

gan_tensor *gan_empty_like(gan_ctx *ctx, const gan_tensor *t) {
    return gan_empty(ctx, t->ndim, t->shape);
}
gan_tensor *gan_zeros_like(gan_ctx *ctx, const gan_tensor *t) {
    return gan_zeros(ctx, t->ndim, t->shape);
}
gan_tensor *gan_copy(gan_ctx *ctx, const gan_tensor *t) {
    return gan_from_data(ctx, t->ndim, t->shape, t->data);
}

gan_tensor *gan_detach(gan_ctx *ctx, gan_tensor *t) {
    return gan_tensor_header(ctx, t->ndim, t->shape, t->data);
}

void gan_set_requires_grad(gan_tensor *t, int on) {
    GAN_ASSERT_MSG(!t->node, "only leaves can be marked; detach first");
    t->requires_grad = on;
}

int gan_same_shape(const gan_tensor *a, const gan_tensor *b) {
    if (a->ndim != b->ndim) return 0;
    for (int i = 0; i < a->ndim; i++)
        if (a->shape[i] != b->shape[i]) return 0;
    return 1;
}

void gan_shape_str(const gan_tensor *t, char *buf, size_t n) {
    size_t k = 0;
    k += (size_t)snprintf(buf + k, n - k, "(");
    for (int i = 0; i < t->ndim && k < n; i++)
        k += (size_t)snprintf(buf + k, n - k, i ? ", %d" : "%d", t->shape[i]);
    if (k < n) snprintf(buf + k, n - k, ")");
}
