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
