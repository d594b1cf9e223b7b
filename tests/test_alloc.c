/* test_alloc.c — a warm training loop does no heap allocation (DESIGN.md, decision 2).
 *
 * A GAN step of two small MLPs (D step on detached fakes with an R1 penalty built through
 * gan_grad(create_graph), G step through a frozen D, Adam on both, gan_ctx_reset) runs twice
 * to warm up, then N more times: gan_alloc_count must not move, the arena's capacity must not
 * grow, and glibc's count of heap bytes in use must stay put (which also catches a plain
 * malloc that bypasses gan_malloc and is never freed). The arena starts tiny so that warm-up
 * has to grow it; a larger batch afterwards must grow it again (the check can fail). The same
 * for the trainer on a small DCGAN, whose buffers the arena recycles. */
#include "harness.h"
#include <malloc.h>
#include <string.h>

#define STEADY_STEPS 20

typedef struct {
    gan_net *g, *d;
    gan_linear_layer g1, g2, g3, d1, d2, d3;
    gan_adam og, od;
    gan_rng rng;
} setup;

static setup setup_new(void) {
    setup s = {.g = gan_net_new("G"), .d = gan_net_new("D")};
    s.g1 = gan_linear_layer_init(s.g, "main.0", 8, 64, 1);
    s.g2 = gan_linear_layer_init(s.g, "main.2", 64, 64, 1);
    s.g3 = gan_linear_layer_init(s.g, "main.4", 64, 2, 1);
    s.d1 = gan_linear_layer_init(s.d, "main.0", 2, 64, 1);
    s.d2 = gan_linear_layer_init(s.d, "main.2", 64, 64, 1);
    s.d3 = gan_linear_layer_init(s.d, "main.4", 64, 1, 1);
    gan_net_finalize(s.g, 1);
    gan_net_finalize(s.d, 2);
    s.og = gan_adam_default(1e-3f);
    s.od = gan_adam_default(1e-3f);
    s.rng = gan_rng_init(3);
    return s;
}

// z (B,8) -> (B,2)
static gan_tensor *gen(gan_ctx *ctx, setup *s, gan_tensor *z) {
    gan_tensor *h = gan_relu(ctx, gan_linear_layer_forward(ctx, &s->g1, z));
    h = gan_relu(ctx, gan_linear_layer_forward(ctx, &s->g2, h));
    return gan_linear_layer_forward(ctx, &s->g3, h);
}

// x (B,2) -> (B,1)
static gan_tensor *disc(gan_ctx *ctx, setup *s, gan_tensor *x) {
    gan_tensor *h = gan_leaky_relu(ctx, gan_linear_layer_forward(ctx, &s->d1, x), 0.2f);
    h = gan_leaky_relu(ctx, gan_linear_layer_forward(ctx, &s->d2, h), 0.2f);
    return gan_linear_layer_forward(ctx, &s->d3, h);
}

static void gan_step(gan_ctx *ctx, setup *s, int batch) {
    gan_tensor *real = gan_rng_randn(ctx, &s->rng, GAN_SHAPE(batch, 2));
    gan_set_requires_grad(real, 1);
    gan_tensor *fake = gen(ctx, s, gan_rng_randn(ctx, &s->rng, GAN_SHAPE(batch, 8)));

    /* D: BCE + R1 = 5 * mean(|dD(real)/dreal|^2), a graph of gradients (second order) */
    gan_tensor *d_real = disc(ctx, s, real), *d_fake = disc(ctx, s, gan_detach(ctx, fake));
    gan_tensor *gx = NULL;
    gan_grad(ctx, 1, &d_real, NULL, 1, &real, &gx, 1);
    gan_tensor *r1 = gan_mul_scalar(ctx, gan_mean_all(ctx, gan_sum(ctx, gan_square(ctx, gx),
                                                                   GAN_AXIS(1), 0)), 5.0f);
    gan_tensor *ld = gan_add(ctx, gan_add(ctx, gan_bce_with_logits_const(ctx, d_real, 1),
                                          gan_bce_with_logits_const(ctx, d_fake, 0)), r1);
    gan_net_zero_grad(s->d);
    gan_backward(ctx, ld);
    gan_adam_step(&s->od, s->d);

    gan_net_requires_grad(s->d, 0);
    gan_tensor *lg = gan_bce_with_logits_const(ctx, disc(ctx, s, fake), 1);
    gan_net_zero_grad(s->g);
    gan_backward(ctx, lg);
    gan_adam_step(&s->og, s->g);
    gan_net_requires_grad(s->d, 1);
    gan_ctx_reset(ctx);
}

/* Heap bytes in use according to glibc (0 under ASan, whose allocator glibc does not see). */
static size_t heap_in_use(void) {
    struct mallinfo2 mi = mallinfo2();
    return mi.uordblks + mi.hblkhd;
}

/* The same property for the trainer on a small DCGAN-32, whose tensors are large enough for
 * the arena to recycle them (fused batch norm + act, LeakyReLU in place, gradients released
 * and reused in gan_backward, a no-graph G forward handing back its intermediates). */
static void test_dcgan_trainer(void) {
    gan_model_config mc = {.spec = "dcgan", .nz = 16, .channels = 3, .size = 32,
                           .ngf = 16, .ndf = 16, .d_norm = "batch"};
    gan_model *m;
    GAN_ASSERT(gan_model_new(&mc, 1, &m) == GAN_OK);
    gan_train_opts o = gan_train_opts_default();
    o.n_critic = 2;   /* steps with and without a G update */
    gan_trainer t;
    gan_trainer_init(&t, m, &o);
    gan_ctx *ctx = gan_ctx_new(16 << 10), *data = gan_ctx_new(0);
    gan_tensor *real = gan_rand(data, GAN_SHAPE(16, 3, 32, 32), 1, 0);
    gan_step_stats st;
    for (int i = 0; i < 2; i++) {
        gan_trainer_step_images(&t, ctx, real, &st);
        gan_ctx_reset(ctx);
    }
    uint64_t a0 = gan_alloc_count();
    size_t cap0 = gan_ctx_capacity(ctx), peak = 0;
    for (int i = 0; i < 6; i++) {
        gan_trainer_step_images(&t, ctx, real, &st);
        if (gan_ctx_used(ctx) > peak) peak = gan_ctx_used(ctx);
        gan_ctx_reset(ctx);
    }
    th_check(gan_alloc_count() == a0 && gan_ctx_capacity(ctx) == cap0,
             "steady state: DCGAN-32 trainer steps, no gan_malloc, arena constant",
             "%llu allocations, %zu -> %zu bytes (used %.1f MB)",
             (unsigned long long)(gan_alloc_count() - a0), cap0, gan_ctx_capacity(ctx),
             peak / 1048576.0);
    gan_trainer_free(&t);
    gan_model_free(m);
    gan_ctx_free(ctx);
    gan_ctx_free(data);
}

int main(void) {
    gan_set_threads(2);

    /* the counter itself: one gan_malloc, one gan_calloc -> +2 */
    uint64_t c0 = gan_alloc_count();
    void *p = gan_malloc(10), *q = gan_calloc(3, 4);
    th_check(gan_alloc_count() - c0 == 2, "gan_alloc_count counts gan_malloc and gan_calloc",
             "+%llu", (unsigned long long)(gan_alloc_count() - c0));
    gan_free(p);
    gan_free(q);

    const size_t first_block = 16 << 10;
    gan_ctx *ctx = gan_ctx_new(first_block);
    setup s = setup_new();
    for (int i = 0; i < 2; i++) gan_step(ctx, &s, 256);
    size_t cap0 = gan_ctx_capacity(ctx);
    th_check(cap0 > first_block, "warm-up grew the arena past its first block",
             "%zu -> %zu bytes", first_block, cap0);
    th_check(gan_ctx_used(ctx) == 0, "gan_ctx_reset empties the arena", "%zu bytes in use",
             gan_ctx_used(ctx));

    uint64_t a0 = gan_alloc_count();
    size_t h0 = heap_in_use();
    size_t cap_max = cap0;
    for (int i = 0; i < STEADY_STEPS; i++) {
        gan_step(ctx, &s, 256);
        if (gan_ctx_capacity(ctx) > cap_max) cap_max = gan_ctx_capacity(ctx);
    }
    uint64_t a1 = gan_alloc_count();
    size_t h1 = heap_in_use();
    th_check(a1 == a0, "steady state: no gan_malloc in training steps",
             "%llu allocations in %d steps", (unsigned long long)(a1 - a0), STEADY_STEPS);
    th_check(cap_max == cap0, "steady state: arena capacity constant", "%zu -> %zu bytes", cap0,
             cap_max);
    th_check(h1 == h0, "steady state: heap bytes in use constant (mallinfo2)",
             "%zu -> %zu bytes%s", h0, h1, h0 ? "" : " (not visible under ASan)");

    /* a step that needs more than the arena holds must allocate: the checks above can fail */
    gan_step(ctx, &s, 4096);
    th_check(gan_alloc_count() > a1 && gan_ctx_capacity(ctx) > cap0,
             "control: a 16x larger batch does grow the arena", "%llu allocations, %zu bytes",
             (unsigned long long)(gan_alloc_count() - a1), gan_ctx_capacity(ctx));

    gan_net_free(s.g);
    gan_net_free(s.d);
    gan_ctx_free(ctx);
    test_dcgan_trainer();
    return th_done("test_alloc");
}
