/* test_optim.c — optimizers over a net's flat buffers: against torch.optim (fixture written by
 * tests/fixtures/make_optim_fixtures.py), against an independent double-precision
 * re-implementation of PyTorch's formulas over many steps, and against closed forms. */
#include "harness.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------- helpers */

/* A net whose flat buffer is p0 (3,4) then p1 (5): the fixture's layout. */
static gan_net *fixture_net(void) {
    gan_net *net = gan_net_new("opt");
    gan_net_param(net, "p0", GAN_SHAPE(3, 4), GAN_INIT_ZERO, 0);
    gan_net_param(net, "p1", GAN_SHAPE(5), GAN_INIT_ZERO, 0);
    gan_net_finalize(net, 1);
    return net;
}

/* big: enough parameters that the optimizer loops run on several threads. */
static gan_net *test_net(int64_t *n, int big) {
    gan_net *net = gan_net_new("t");
    gan_net_param(net, "a", GAN_SHAPE(big ? 200 : 20, 250), GAN_INIT_KAIMING_UNIFORM, 250);
    gan_net_param(net, "b", GAN_SHAPE(37), GAN_INIT_NORMAL_1_002, 0);
    gan_net_finalize(net, 99);
    *n = gan_net_num_params(net);
    return net;
}

/* Gradients of varied magnitude for step `step` (deterministic). */
static void fill_grads(float *g, int64_t n, int step, float scale) {
    gan_philox_normal(g, n, 31337, (uint64_t)step);
    float s = scale * (step % 3 == 0 ? 0.1f : step % 3 == 1 ? 1.0f : 3.0f);
    for (int64_t i = 0; i < n; i++) g[i] *= s;
    g[n / 2] = 0.0f; /* a parameter with no gradient still decays its moments */
}

/* max |a - b| / max |b - base|: error relative to how far the reference moved. */
static double displacement_err(const float *a, const double *b, const float *base, int64_t n) {
    double md = 0, mx = 0;
    for (int64_t i = 0; i < n; i++) {
        md = fmax(md, fabs((double)a[i] - b[i]));
        mx = fmax(mx, fabs(b[i] - base[i]));
    }
    return md / fmax(mx, 1e-30);
}

/* ---------------------------------------------------------------- fixture */

typedef enum { OPT_ADAM, OPT_SGD, OPT_RMSPROP } opt_kind;

typedef struct {
    const char *name;
    opt_kind kind;
    gan_adam adam;
    gan_sgd sgd;
    gan_rmsprop rms;
} opt_cfg;

static void step(opt_cfg *c, gan_net *net) {
    switch (c->kind) {
    case OPT_ADAM: gan_adam_step(&c->adam, net); break;
    case OPT_SGD: gan_sgd_step(&c->sgd, net); break;
    case OPT_RMSPROP: gan_rmsprop_step(&c->rms, net); break;
    }
}

/* Must match CONFIGS in make_optim_fixtures.py. */
static opt_cfg fixture_configs[] = {
    {.name = "adam", .kind = OPT_ADAM, .adam = {1e-3f, 0.9f, 0.999f, 1e-8f, 0.0f, 0, 0}},
    {.name = "adam_l2", .kind = OPT_ADAM, .adam = {1e-2f, 0.5f, 0.999f, 1e-6f, 0.1f, 0, 0}},
    {.name = "adamw", .kind = OPT_ADAM, .adam = {2e-3f, 0.5f, 0.99f, 1e-8f, 0.05f, 1, 0}},
    {.name = "sgd", .kind = OPT_SGD, .sgd = {0.1f, 0.0f, 0.0f, 0}},
    {.name = "sgd_mom", .kind = OPT_SGD, .sgd = {0.1f, 0.9f, 1e-3f, 0}},
    {.name = "sgd_nesterov", .kind = OPT_SGD, .sgd = {0.05f, 0.8f, 0.0f, 1}},
    {.name = "rmsprop", .kind = OPT_RMSPROP, .rms = {1e-2f, 0.99f, 1e-8f, 0.0f}},
    {.name = "rmsprop_mom", .kind = OPT_RMSPROP, .rms = {1e-3f, 0.9f, 1e-6f, 0.5f}},
};

static void test_fixture(void) {
    th_fixture *fx = th_fixture_load("tests/fixtures/optim.bin");
    if (!fx) return;
    gan_ctx *ctx = gan_ctx_new(1 << 20);
    gan_tensor *init = th_fixture_get(fx, ctx, "init");
    gan_tensor *grads = th_fixture_get(fx, ctx, "grads");
    int steps = grads->shape[0];
    int64_t n = grads->shape[1];
    for (size_t k = 0; k < sizeof fixture_configs / sizeof *fixture_configs; k++) {
        opt_cfg c = fixture_configs[k];
        gan_net *net = fixture_net();
        GAN_ASSERT(gan_net_num_params(net) == n && init->numel == n);
        memcpy(gan_net_weights(net), init->data, sizeof(float) * (size_t)n);
        float *after = malloc(sizeof(float) * (size_t)(steps * n));
        for (int s = 0; s < steps; s++) {
            memcpy(gan_net_grads(net), grads->data + s * n, sizeof(float) * (size_t)n);
            step(&c, net);
            memcpy(after + s * n, gan_net_weights(net), sizeof(float) * (size_t)n);
        }
        char name[64];
        snprintf(name, sizeof name, "%s.w", c.name);
        th_fixture_compare(fx, name, after, steps * n, 1e-6);
        snprintf(name, sizeof name, "%s.m", c.name);
        if (th_fixture_has(fx, name)) th_fixture_compare(fx, name, gan_net_adam_m(net), n, 1e-6);
        snprintf(name, sizeof name, "%s.v", c.name);
        if (th_fixture_has(fx, name)) th_fixture_compare(fx, name, gan_net_adam_v(net), n, 1e-6);
        free(after);
        gan_net_free(net);
    }
    gan_ctx_free(ctx);
    th_fixture_free(fx);
}

/* ---------------------------------------------------------------- double-precision references
 * Straight transcriptions of torch/optim/{adam,adamw,sgd,rmsprop}.py (1.13, single tensor),
 * with the hyperparameters as the decimal numbers a user writes. */

typedef struct { double lr, b1, b2, eps, wd; int adamw; } adam_hp;

static void adam_ref(double *w, double *m, double *v, const float *g, int64_t n, int t,
                     adam_hp h) {
    double bc1 = 1 - pow(h.b1, t), bc2 = 1 - pow(h.b2, t);
    for (int64_t i = 0; i < n; i++) {
        double gi = g[i];
        if (h.adamw) w[i] *= 1 - h.lr * h.wd;
        else gi += h.wd * w[i];
        m[i] = m[i] * h.b1 + (1 - h.b1) * gi;
        v[i] = v[i] * h.b2 + (1 - h.b2) * gi * gi;
        double denom = sqrt(v[i]) / sqrt(bc2) + h.eps;
        w[i] -= h.lr / bc1 * m[i] / denom;
    }
}

typedef struct { double lr, mom, wd; int nesterov; } sgd_hp;

static void sgd_ref(double *w, double *buf, const float *g, int64_t n, int t, sgd_hp h) {
    for (int64_t i = 0; i < n; i++) {
        double d = g[i] + h.wd * w[i];
        if (h.mom != 0) {
            buf[i] = t == 1 ? d : buf[i] * h.mom + d; /* PyTorch: first buf = clone(d_p) */
            d = h.nesterov ? d + h.mom * buf[i] : buf[i];
        }
        w[i] -= h.lr * d;
    }
}

typedef struct { double lr, alpha, eps, mom; } rms_hp;

static void rms_ref(double *w, double *sq, double *buf, const float *g, int64_t n, rms_hp h) {
    for (int64_t i = 0; i < n; i++) {
        double gi = g[i];
        sq[i] = sq[i] * h.alpha + (1 - h.alpha) * gi * gi;
        double avg = sqrt(sq[i]) + h.eps;
        if (h.mom > 0) {
            buf[i] = buf[i] * h.mom + gi / avg;
            w[i] -= h.lr * buf[i];
        } else {
            w[i] -= h.lr * gi / avg;
        }
    }
}

/* Runs `steps` steps of the float optimizer and of its double reference; checks weights (as
 * displacement from the start) and the state buffers. */
static void against_double(const char *label, opt_cfg c, adam_hp ah, sgd_hp sh, rms_hp rh,
                           int steps, float gscale) {
    int64_t n;
    gan_net *net = test_net(&n, 0);
    float *w0 = malloc(sizeof(float) * (size_t)n);
    double *w = malloc(sizeof(double) * (size_t)n), *m = calloc((size_t)n, sizeof(double)),
           *v = calloc((size_t)n, sizeof(double));
    memcpy(w0, gan_net_weights(net), sizeof(float) * (size_t)n);
    for (int64_t i = 0; i < n; i++) w[i] = w0[i];
    for (int s = 1; s <= steps; s++) {
        float *g = gan_net_grads(net);
        fill_grads(g, n, s, gscale);
        step(&c, net);
        switch (c.kind) {
        case OPT_ADAM: adam_ref(w, m, v, g, n, s, ah); break;
        case OPT_SGD: sgd_ref(w, m, g, n, s, sh); break;
        case OPT_RMSPROP: rms_ref(w, v, m, g, n, rh); break;
        }
    }
    double ew = displacement_err(gan_net_weights(net), w, w0, n);
    /* state buffers: relative to their own max */
    double em = 0, ev = 0, mm = 0, mv = 0;
    for (int64_t i = 0; i < n; i++) {
        em = fmax(em, fabs(gan_net_adam_m(net)[i] - m[i]));
        ev = fmax(ev, fabs(gan_net_adam_v(net)[i] - v[i]));
        mm = fmax(mm, fabs(m[i]));
        mv = fmax(mv, fabs(v[i]));
    }
    em /= fmax(mm, 1e-30);
    ev /= fmax(mv, 1e-30);
    char name[96];
    snprintf(name, sizeof name, "%s vs double (%d steps)", label, steps);
    th_check(ew < 2e-5 && em < 1e-5 && ev < 1e-5, name, "displacement rel %.3g, m rel %.3g, v rel %.3g",
             ew, em, ev);
    free(w0);
    free(w);
    free(m);
    free(v);
    gan_net_free(net);
}

static void test_against_double(void) {
    adam_hp ah0 = {.lr = 0};
    sgd_hp sh0 = {.lr = 0};
    rms_hp rh0 = {.lr = 0};
    opt_cfg c = {.name = "adam", .kind = OPT_ADAM, .adam = gan_adam_default(1e-2f)};
    against_double("adam", c, (adam_hp){1e-2, 0.9, 0.999, 1e-8, 0, 0}, sh0, rh0, 20, 1.0f);
    /* eps comparable to the gradients, so its placement (outside the sqrt) matters */
    c.adam = (gan_adam){3e-3f, 0.8f, 0.95f, 0.05f, 0.2f, 0, 0};
    against_double("adam l2 big-eps", c, (adam_hp){3e-3, 0.8, 0.95, 0.05, 0.2, 0}, sh0, rh0, 20, 0.1f);
    c.adam = (gan_adam){1e-2f, 0.5f, 0.99f, 1e-8f, 0.1f, 1, 0};
    against_double("adamw", c, (adam_hp){1e-2, 0.5, 0.99, 1e-8, 0.1, 1}, sh0, rh0, 20, 1.0f);
    c = (opt_cfg){.name = "sgd", .kind = OPT_SGD, .sgd = {0.05f, 0.9f, 1e-2f, 0}};
    against_double("sgd momentum", c, ah0, (sgd_hp){0.05, 0.9, 1e-2, 0}, rh0, 20, 1.0f);
    c.sgd = (gan_sgd){0.05f, 0.7f, 0.0f, 1};
    against_double("sgd nesterov", c, ah0, (sgd_hp){0.05, 0.7, 0, 1}, rh0, 20, 1.0f);
    c = (opt_cfg){.name = "rms", .kind = OPT_RMSPROP, .rms = gan_rmsprop_default(1e-3f)};
    against_double("rmsprop", c, ah0, sh0, (rms_hp){1e-3, 0.99, 1e-8, 0}, 20, 1.0f);
    c.rms = (gan_rmsprop){1e-3f, 0.9f, 0.05f, 0.9f};
    against_double("rmsprop momentum big-eps", c, ah0, sh0, (rms_hp){1e-3, 0.9, 0.05, 0.9}, 20, 0.1f);
}

/* ---------------------------------------------------------------- closed forms */

static void test_closed_forms(void) {
    gan_net *net = fixture_net();
    int64_t n = gan_net_num_params(net);
    float *w = gan_net_weights(net), *g = gan_net_grads(net);
    /* Adam's first step: m = (1-b1) g, v = (1-b2) g^2, so the update is -lr g / (|g| + eps) */
    for (int64_t i = 0; i < n; i++) {
        w[i] = 0.25f * (float)i - 1.0f;
        g[i] = (i % 2 ? 1.0f : -1.0f) * powf(10.0f, (float)(i % 5) - 3.0f);
    }
    float w0[17];
    memcpy(w0, w, sizeof w0);
    gan_adam a = gan_adam_default(0.01f);
    gan_adam_step(&a, net);
    double worst = 0;
    for (int64_t i = 0; i < n; i++) {
        double want = w0[i] - 0.01 * g[i] / (fabs(g[i]) + 1e-8);
        worst = fmax(worst, fabs(w[i] - want) / fmax(1.0, fabs(want)));
    }
    /* one float rounding of w (half an ulp, 6e-8 relative) plus the update's */
    th_check(worst < 2.5e-7 && a.t == 1, "adam first step = -lr g/(|g|+eps)", "max rel %.3g", worst);
    /* plain SGD: w - lr g */
    memcpy(w, w0, sizeof w0);
    gan_sgd_step(&(gan_sgd){0.5f, 0, 0, 0}, net);
    worst = 0;
    for (int64_t i = 0; i < n; i++) {
        double want = w0[i] - 0.5 * (double)g[i];
        worst = fmax(worst, fabs(w[i] - want) / fmax(1.0, fabs(want)));
    }
    th_check(worst < 1.2e-7, "sgd step = w - lr g", "max rel %.3g", worst);
    /* clipping */
    for (int64_t i = 0; i < n; i++) w[i] = (float)i * 0.02f - 0.15f;
    memcpy(w0, w, sizeof w0);
    gan_net_clip(net, 0.1f);
    int ok = 1;
    for (int64_t i = 0; i < n; i++) {
        float want = w0[i] < -0.1f ? -0.1f : w0[i] > 0.1f ? 0.1f : w0[i];
        ok &= w[i] == want;
    }
    th_check(ok, "clip to [-c, c], inside untouched", "%s", "");
    gan_net_free(net);
}

/* ---------------------------------------------------------------- threads, allocation */

static void test_threads_and_allocs(void) {
    int64_t n;
    int old = gan_get_threads();
    float *res[2];
    for (int r = 0; r < 2; r++) {
        gan_set_threads(r == 0 ? 1 : 4);
        gan_net *net = test_net(&n, 1);
        gan_adam a = gan_adam_default(1e-3f);
        gan_sgd s = {0.01f, 0.9f, 1e-4f, 1};
        gan_rmsprop rm = gan_rmsprop_default(1e-3f);
        uint64_t before = gan_alloc_count();
        for (int k = 1; k <= 5; k++) {
            fill_grads(gan_net_grads(net), n, k, 1.0f);
            gan_adam_step(&a, net);
            gan_sgd_step(&s, net);
            gan_rmsprop_step(&rm, net);
            gan_net_clip(net, 0.05f);
            gan_net_zero_grad(net);
        }
        if (r == 0)
            th_check(gan_alloc_count() == before, "optimizer steps allocate nothing", "%llu allocs",
                     (unsigned long long)(gan_alloc_count() - before));
        res[r] = malloc(sizeof(float) * (size_t)n * 3);
        memcpy(res[r], gan_net_weights(net), sizeof(float) * (size_t)n);
        memcpy(res[r] + n, gan_net_adam_m(net), sizeof(float) * (size_t)n);
        memcpy(res[r] + 2 * n, gan_net_adam_v(net), sizeof(float) * (size_t)n);
        gan_net_free(net);
    }
    gan_set_threads(old);
    th_check(!memcmp(res[0], res[1], sizeof(float) * (size_t)n * 3),
             "1 thread and 4 threads give the same bits", "%lld floats", (long long)(3 * n));
    free(res[0]);
    free(res[1]);
}

int main(void) {
    test_fixture();
    test_against_double();
    test_closed_forms();
    test_threads_and_allocs();
    return th_done("test_optim");
}
