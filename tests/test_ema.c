/* test_ema.c — the weight EMA: the shadow after T updates against the closed form
 * decay^T w_0 + sum_t (1 - decay) decay^(T-t) w_t (in double), buffers copied as they are,
 * swap / copy_to / load / per-tensor access, and the decay = 0 and 1 ends. */
#include "harness.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct { gan_net *net; gan_linear_layer fc; gan_bn_layer bn; } small_net;

static small_net make_net(uint64_t seed) {
    small_net s;
    s.net = gan_net_new("G");
    s.fc = gan_linear_layer_init(s.net, "main.0", 3, 4, 1);
    s.bn = gan_batch_norm_layer_init(s.net, "main.1", 4);
    gan_net_finalize(s.net, seed);
    return s;
}

/* every buffer value, in declaration order */
static int64_t buffers(gan_net *net, float *out) {
    int64_t off = 0;
    for (int i = 0; i < gan_net_num_tensors(net); i++) {
        if (!gan_net_tensor_is_buffer(net, i)) continue;
        gan_tensor *t = gan_net_tensor(net, i);
        if (out) memcpy(out + off, t->data, sizeof(float) * (size_t)t->numel);
        off += t->numel;
    }
    return off;
}

static void set_buffers(gan_net *net, uint64_t stream) {
    for (int i = 0; i < gan_net_num_tensors(net); i++)
        if (gan_net_tensor_is_buffer(net, i)) {
            gan_tensor *t = gan_net_tensor(net, i);
            gan_philox_normal(t->data, t->numel, 9, stream * 16 + (uint64_t)i);
        }
}

/* The warm-up rule, and the trainer using it: with n_critic 2, the shadow after three G steps
 * is the recursion over G's weights after each G step with decays warmup(0.999, 0, 1, 2). */
static void test_warmup(void) {
    int ok = gan_ema_warmup_decay(0.999f, 0) == 0.1f && gan_ema_warmup_decay(0.5f, 100) == 0.5f &&
             fabsf(gan_ema_warmup_decay(0.999f, 890) - 0.99f) < 1e-6f &&
             gan_ema_warmup_decay(0.999f, 1000000) == 0.999f;
    th_check(ok, "ema warm-up: min(decay, (1 + k) / (10 + k))", "k 0: %g, k 890: %g",
             (double)gan_ema_warmup_decay(0.999f, 0), (double)gan_ema_warmup_decay(0.999f, 890));
    gan_model_config mc = {.spec = "mlp", .nz = 8, .channels = 1, .size = 4};
    gan_model *m;
    GAN_ASSERT(gan_model_new(&mc, 3, &m) == GAN_OK);
    gan_train_opts o = gan_train_opts_default();
    o.n_critic = 2;
    o.ema = 0.999f;
    gan_trainer t;
    gan_trainer_init(&t, m, &o);
    gan_net *G = gan_model_G(m);
    int64_t n = gan_net_num_params(G);
    double *want = malloc(sizeof(double) * (size_t)n);
    for (int64_t i = 0; i < n; i++) want[i] = gan_net_weights(G)[i];
    gan_ctx *ctx = gan_ctx_new(0), *data = gan_ctx_new(0);
    gan_tensor *real = gan_rand(data, GAN_SHAPE(8, 1, 4, 4), 1, 0);
    gan_step_stats st;
    int g_steps = 0;
    for (int i = 0; i < 6; i++) {
        gan_trainer_step_images(&t, ctx, real, &st);
        gan_ctx_reset(ctx);
        if (isnan(st.loss_g)) continue;
        double d = gan_ema_warmup_decay(o.ema, g_steps++);
        for (int64_t e = 0; e < n; e++) want[e] = d * want[e] + (1 - d) * gan_net_weights(G)[e];
    }
    const float *shadow = gan_ema_tensor(gan_trainer_ema(&t), G, 0);
    double worst = 0;
    for (int64_t e = 0; e < n; e++) {
        double r = fabs(shadow[e] - want[e]) / (fabs(want[e]) + 1e-3);
        if (r > worst) worst = r;
    }
    th_check(g_steps == 3 && worst < 1e-5, "trainer: ema warms up by G steps", "%d G steps, max rel %.2e",
             g_steps, worst);
    free(want);
    gan_trainer_free(&t);
    gan_model_free(m);
    gan_ctx_free(ctx);
    gan_ctx_free(data);
}

int main(void) {
    small_net a = make_net(1), b = make_net(2);
    gan_net *net = a.net;
    int64_t n = gan_net_num_params(net), nb = buffers(net, NULL);
    float *w = gan_net_weights(net);
    const int T = 7;
    const float decay = 0.9f;
    double *want = malloc(sizeof(double) * (size_t)n);
    for (int64_t i = 0; i < n; i++) want[i] = w[i];

    gan_ema *ema = gan_ema_new(net);
    for (int t = 1; t <= T; t++) {
        gan_philox_normal(w, n, 8, (uint64_t)t);   /* stands for the weights after step t */
        set_buffers(net, (uint64_t)t);
        gan_ema_update(ema, net, decay);
        for (int64_t i = 0; i < n; i++) want[i] = decay * want[i] + (1.0 - decay) * w[i];
    }
    /* the closed form, independently of the recursion above */
    double worst = 0, worst_rec = 0, smax = 0;
    float *w0 = malloc(sizeof(float) * (size_t)n), *wt = malloc(sizeof(float) * (size_t)n);
    {
        small_net c = make_net(1);   /* same seed: the initial weights again */
        memcpy(w0, gan_net_weights(c.net), sizeof(float) * (size_t)n);
        gan_net_free(c.net);
    }
    float *shadow_w = gan_ema_tensor(ema, net, 0);   /* tensor 0 starts the weight layout */
    for (int64_t i = 0; i < n; i++) {
        double s = pow(decay, T) * w0[i];
        for (int t = 1; t <= T; t++) {
            gan_philox_normal(wt, n, 8, (uint64_t)t);
            s += (1.0 - decay) * pow(decay, T - t) * wt[i];
        }
        worst = fmax(worst, fabs(shadow_w[i] - s));
        smax = fmax(smax, fabs(s));
        worst_rec = fmax(worst_rec, fabs(s - want[i]));
    }
    worst /= smax;   /* relative to the largest value: float32 rounding of 7 steps */
    th_check(worst <= 1e-6 && worst_rec <= 1e-9, "ema shadow vs closed form after 7 steps",
             "max rel %.3g (decay %.2f, %lld weights)", worst, decay, (long long)n);
    th_check(gan_ema_num_updates(ema) == T, "ema counts updates", "%lld",
             (long long)gan_ema_num_updates(ema));

    /* buffers: copied, not averaged (the last step's values) */
    float *bufs = malloc(sizeof(float) * (size_t)nb);
    buffers(net, bufs);
    int bi = -1;
    for (int i = 0; i < gan_net_num_tensors(net) && bi < 0; i++)
        if (gan_net_tensor_is_buffer(net, i)) bi = i;
    th_check(!memcmp(gan_ema_tensor(ema, net, bi), bufs, sizeof(float) * (size_t)nb),
             "ema buffers copied as they are", "%lld floats", (long long)nb);
    /* per-tensor access follows the net's layout */
    gan_tensor *bias = gan_net_find(net, "main.0.bias");
    int bias_i = 1;
    th_check(gan_net_tensor(net, bias_i) == bias &&
                 gan_ema_tensor(ema, net, bias_i) == shadow_w + (bias->data - w),
             "ema tensor offsets", "%s", "");

    /* copy_to a second net of the same layout */
    gan_ema_copy_to(ema, b.net);
    float *b_bufs = malloc(sizeof(float) * (size_t)nb);
    buffers(b.net, b_bufs);
    th_check(!memcmp(gan_net_weights(b.net), shadow_w, sizeof(float) * (size_t)n) &&
                 !memcmp(b_bufs, bufs, sizeof(float) * (size_t)nb),
             "ema copy_to", "%s", "");

    /* swap there and back */
    float *live = malloc(sizeof(float) * (size_t)n), *sh = malloc(sizeof(float) * (size_t)n);
    memcpy(live, w, sizeof(float) * (size_t)n);
    memcpy(sh, shadow_w, sizeof(float) * (size_t)n);
    gan_ema_swap(ema, net);
    int ok = !memcmp(w, sh, sizeof(float) * (size_t)n) && !memcmp(shadow_w, live, sizeof(float) * (size_t)n);
    gan_ema_swap(ema, net);
    ok &= !memcmp(w, live, sizeof(float) * (size_t)n) && !memcmp(shadow_w, sh, sizeof(float) * (size_t)n);
    th_check(ok, "ema swap twice is the identity", "%s", "");

    /* the ends: decay 1 keeps the shadow, decay 0 copies the weights */
    gan_ema_update(ema, net, 1.0f);
    ok = !memcmp(shadow_w, sh, sizeof(float) * (size_t)n);
    gan_ema_update(ema, net, 0.0f);
    ok &= !memcmp(shadow_w, w, sizeof(float) * (size_t)n);
    th_check(ok, "ema decay 1 keeps, decay 0 copies", "%s", "");

    /* load from another net */
    gan_ema_load(ema, b.net);
    th_check(!memcmp(shadow_w, gan_net_weights(b.net), sizeof(float) * (size_t)n), "ema load",
             "%s", "");

    free(want);
    free(w0);
    free(wt);
    free(bufs);
    free(b_bufs);
    free(live);
    free(sh);
    gan_ema_free(ema);
    gan_ema_free(NULL);
    gan_net_free(a.net);
    gan_net_free(b.net);
    test_warmup();
    return th_done("test_ema");
}
