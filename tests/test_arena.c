/* test_arena.c — the arena's recycling of released buffers and the tape's use of it.
 *  - the allocator: a released buffer is reused by a later allocation, freed neighbours merge
 *    into one larger chunk, a free chunk at the top region's frontier grows downwards, and
 *    gan_ctx_used stays the high-water mark throughout (addresses and byte counts checked
 *    against what the rules above imply);
 *  - gan_backward, which recycles consumed gradient buffers, against gan_grad on the same
 *    graph, which does not: the same bits for every parameter, on graphs built to share
 *    gradient buffers (views, add(h, h), add of two same-shaped tensors, add_scalar, which
 *    return the incoming gradient itself) and on a conv -> batch norm + act stack whose rules
 *    overwrite their incoming gradient when gan_backward lets them; and the
 *    recycling pass must end with less arena in use. */
#include "harness.h"
#include <stdio.h>
#include <string.h>

#define MB (1u << 20)

static void test_allocator(void) {
    gan_ctx *ctx = gan_ctx_new(64 * MB);
    char *small = gan_ctx_alloc(ctx, 100);
    /* large buffers come from the top down: b sits just below a, c just below b */
    char *a = gan_ctx_alloc(ctx, MB), *b = gan_ctx_alloc(ctx, MB), *c = gan_ctx_alloc(ctx, 2 * MB);
    th_check(a - b == MB && b - c == 2 * MB && small < c, "arena: large buffers are adjacent",
             "a-b %td, b-c %td bytes", a - b, b - c);
    size_t hw = gan_ctx_used(ctx);

    /* a and b merge into 2 MB, which a 2 MB request takes whole at b's address */
    gan_ctx_release(ctx, a, MB);
    gan_ctx_release(ctx, b, MB);
    char *d = gan_ctx_alloc(ctx, 2 * MB);
    th_check(d == b && gan_ctx_used(ctx) == hw, "arena: freed neighbours merge",
             "2 MB at b: %d, used grew by %zu bytes", d == b, gan_ctx_used(ctx) - hw);

    /* a smaller request takes the front of a larger chunk; the rest stays free */
    gan_ctx_release(ctx, d, 2 * MB);
    char *e = gan_ctx_alloc(ctx, MB), *f = gan_ctx_alloc(ctx, MB);
    th_check(e == b && f == b + MB && gan_ctx_used(ctx) == hw, "arena: a chunk is split",
             "e at b %d, f after e %d", e == b, f == b + MB);

    /* c (2 MB) is at the frontier: freed, it grows to 3 MB by bumping 1 MB only */
    gan_ctx_release(ctx, c, 2 * MB);
    char *g = gan_ctx_alloc(ctx, 3 * MB);
    th_check(g + 3 * MB == c + 2 * MB && gan_ctx_used(ctx) == hw + MB,
             "arena: the frontier chunk grows downwards", "used grew by %zu bytes",
             gan_ctx_used(ctx) - hw);

    /* buffers under 64 KiB are not recycled; reset forgets the free list */
    char *s1 = gan_ctx_alloc(ctx, 4000);
    gan_ctx_release(ctx, s1, 4000);
    char *s2 = gan_ctx_alloc(ctx, 4000);
    th_check(s2 != s1, "arena: small buffers are not recycled", "%p vs %p", (void *)s2, (void *)s1);
    gan_ctx_release(ctx, e, MB);
    gan_ctx_reset(ctx);
    (void)gan_ctx_alloc(ctx, MB);
    th_check(gan_ctx_used(ctx) == MB, "arena: reset empties the free list", "used %zu",
             gan_ctx_used(ctx));
    gan_ctx_free(ctx);
}

typedef struct {
    gan_net *net;
    gan_tensor *a, *b, *w1, *w2;
    gan_bn_layer bn;
} model;

// x (32, 1024) -> scalar; every op below returns (part of) its incoming gradient in its rule
static gan_tensor *aliasing_graph(gan_ctx *ctx, model *m, gan_tensor *x) {
    gan_tensor *h1 = gan_mul(ctx, x, m->a);                              // (32,1024)
    gan_tensor *h2 = gan_add(ctx, h1, h1);                               // both terms = g
    gan_tensor *h3 = gan_add_scalar(ctx, h2, 1.0f);                      // g itself
    gan_tensor *r = gan_reshape(ctx, gan_reshape(ctx, h3, GAN_SHAPE(32 * 1024)), GAN_SHAPE(32, 1024));
    gan_tensor *v = gan_add(ctx, gan_tanh(ctx, r), h1);                  // g for two tensors
    gan_tensor *q = gan_leaky_relu(ctx, gan_mul(ctx, v, m->b), 0.2f);    // b broadcasts
    return gan_sum_all(ctx, gan_square(ctx, q));
}

// x (8, 3, 32, 32) -> scalar: conv -> BN+ReLU -> conv -> LeakyReLU (in place), as DCGAN layers;
// under gan_backward both activations' rules write their result over their incoming gradient
static gan_tensor *conv_graph(gan_ctx *ctx, model *m, gan_tensor *x) {
    gan_tensor *h = gan_conv2d(ctx, x, m->w1, NULL, 1, 1);               // (8,16,32,32)
    h = gan_batch_norm_act(ctx, h, m->bn.weight, m->bn.bias, m->bn.running_mean->data,
                           m->bn.running_var->data, 0.1f, 1e-5f, 1, 0.0f);
    h = gan_leaky_relu_inplace(ctx, gan_conv2d(ctx, h, m->w2, NULL, 2, 1), 0.2f);  // (8,16,16,16)
    return gan_mean_all(ctx, gan_square(ctx, h));
}

static void compare(const char *label, gan_tensor *(*fn)(gan_ctx *, model *, gan_tensor *),
                    model *m, gan_tensor *x0) {
    int np = 0;
    gan_tensor *params[8];
    for (int i = 0; i < gan_net_num_tensors(m->net); i++)
        if (!gan_net_tensor_is_buffer(m->net, i)) params[np++] = gan_net_tensor(m->net, i);
    int64_t n = gan_net_num_params(m->net);
    /* two arenas: the reference gradients must outlive the second pass */
    gan_ctx *ref = gan_ctx_new(0), *ctx = gan_ctx_new(0);

    /* gan_grad hands its gradients to the caller, so it recycles nothing */
    gan_tensor *x = gan_copy(ref, x0);
    size_t u0 = gan_ctx_used(ref);
    gan_tensor *loss = fn(ref, m, x), *g[8];
    size_t u1 = gan_ctx_used(ref);
    gan_grad(ref, 1, &loss, NULL, np, params, g, 0);
    size_t plain = gan_ctx_used(ref) - u1, fwd = u1 - u0;

    x = gan_copy(ctx, x0);
    gan_net_zero_grad(m->net);
    loss = fn(ctx, m, x);
    u1 = gan_ctx_used(ctx);
    gan_backward(ctx, loss);
    size_t recycled = gan_ctx_used(ctx) - u1;
    int same = 1;
    for (int i = 0; i < np; i++)
        same &= !memcmp(params[i]->grad, g[i]->data, sizeof(float) * (size_t)params[i]->numel);
    char name[128];
    snprintf(name, sizeof name, "%s: gan_backward (recycling) == gan_grad, bit for bit", label);
    th_check(same, name, "%lld parameters", (long long)n);
    snprintf(name, sizeof name, "%s: recycling uses less arena", label);
    th_check(recycled < plain, name, "backward %.2f MB vs %.2f MB (forward %.2f MB)",
             recycled / 1048576.0, plain / 1048576.0, fwd / 1048576.0);
    gan_ctx_free(ctx);
    gan_ctx_free(ref);
}

static void test_tape(void) {
    model m = {.net = gan_net_new("m")};
    m.a = gan_net_param(m.net, "a", GAN_SHAPE(32, 1024), GAN_INIT_NORMAL_1_002, 0);
    m.b = gan_net_param(m.net, "b", GAN_SHAPE(1024), GAN_INIT_NORMAL_1_002, 0);
    m.w1 = gan_net_param(m.net, "w1", GAN_SHAPE(16, 3, 3, 3), GAN_INIT_KAIMING_UNIFORM, 27);
    m.w2 = gan_net_param(m.net, "w2", GAN_SHAPE(16, 16, 4, 4), GAN_INIT_KAIMING_UNIFORM, 256);
    m.bn = gan_batch_norm_layer_init(m.net, "bn", 16);
    gan_net_finalize(m.net, 5);
    gan_ctx *data = gan_ctx_new(0);
    gan_tensor *x = gan_randn(data, GAN_SHAPE(32, 1024), 3, 1);
    compare("aliasing graph", aliasing_graph, &m, x);
    x = gan_randn(data, GAN_SHAPE(8, 3, 32, 32), 3, 2);
    compare("conv + bn_act graph", conv_graph, &m, x);
    gan_ctx_free(data);
    gan_net_free(m.net);
}

int main(void) {
    test_allocator();
    test_tape();
    return th_done("test_arena");
}
