/* ring8.c — the mode-collapse meter on the classic ring of 8 Gaussians: three GAN recipes
 * trained from the same seed, each measured and drawn; uses only gan.h.
 *
 * Data: gan_ring8_sample, 8 modes on a circle of radius 2, each an isotropic Gaussian with
 * std 0.02; every real batch is a fresh Philox stream of the seed.
 * G: z (B, 2)  -> 128 -> ReLU -> 128 -> ReLU -> 2.
 * D: x (B, 2)  -> 128 -> LeakyReLU(0.2) -> 128 -> LeakyReLU(0.2) -> 1 score.
 * --steps counts G steps; each follows n_critic D steps, each on a new real batch and new
 * noise. Recipes (--loss; "all", the default, trains the three in turn):
 *   bce       the non-saturating GAN loss (BCE with logits), Adam 1e-3 betas (0.5, 0.999),
 *             1 D step per G step, 3,000 G steps
 *   wgan-gp   Wasserstein loss + lambda * gradient penalty (Gulrajani et al. 2017) with
 *             lambda = 1, Adam 1e-3 betas (0, 0.9), 5 D steps per G step, 1,000 G steps
 *   hinge-sn  hinge loss, spectral norm on all three D weights (Miyato et al. 2018), Adam
 *             1e-3 betas (0, 0.9), 1 D step per G step, 2,000 G steps
 * lambda = 1 and not the paper's 10: with 10, D learns a nearly flat critic, G drifts around
 * as one blob and after 1,000-3,000 G steps covers 0-4 modes at any lr in 1e-4..1e-3, betas
 * (0 or 0.5, 0.9), 5-20 D steps, or D 10x faster than G (PyTorch does the same with lr 1e-4);
 * lambda 1 and 3 both cover 8 of 8 on seeds 1-5 after 1,000. (The paper's own toy code
 * uses 0.1.) hinge-sn with betas (0.5, 0.9) covered 3-6 modes after 2,000-3,000 G steps;
 * with (0, 0.9) all 8 after 1,000.
 * Samples come from an exponential moving average of G's weights (decay 0.99): G keeps
 * circling each mode by more than the 0.06 that counts as a hit, and the average over the
 * last ~100 steps sits on the centres.
 *
 * At the end of each recipe it draws --samples points from the averaged G, measures them with
 * gan_ring8_measure (a sample is high quality within 3 std = 0.06 of a mode's centre; a mode
 * is covered when at least 1% of all samples are high-quality samples of it), plots them with
 * gan_ring8_plot into DIR/ring8_<recipe>.png, and ends with a table of the three.
 *
 *   ring8 [--loss bce|wgan-gp|hinge-sn|all] [--steps N] [--seed S] [--threads T] [--batch B]
 *         [--lr X] [--gp X] [--n-critic K] [--samples N] [--every N] [--plots DIR]
 */
#include "gan.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#define ZDIM 2            /* a 2-D latent for 2-D data: converged fastest of 2, 8, 16 */
#define EMA_DECAY 0.99f
#define HIDDEN 128
#define PLOT_PX 360
#define EVAL_N 1000       /* samples behind each progress line */

typedef struct {
    const char *name;
    gan_loss_kind loss;
    float gp;             /* > 0: lambda of the gradient penalty */
    int sn;               /* spectral norm on D's weights */
    int n_critic;         /* D steps per G step */
    int steps;            /* G steps */
    float lr, beta1, beta2;
} recipe;

/* Tuned on seeds 1-5 (the header says what failed). Each G step costs n_critic D steps. */
static const recipe RECIPES[] = {
    {"bce", GAN_LOSS_BCE, 0, 0, 1, 3000, 1e-3f, 0.5f, 0.999f},
    {"wgan-gp", GAN_LOSS_WGAN, 1, 0, 5, 1000, 1e-3f, 0.0f, 0.9f},
    {"hinge-sn", GAN_LOSS_HINGE, 0, 1, 1, 2000, 1e-3f, 0.0f, 0.9f},
};
#define N_RECIPES (int)(sizeof RECIPES / sizeof RECIPES[0])

typedef struct {
    int recipe;           /* index into RECIPES, -1 = all */
    int steps, n_critic;  /* 0: the recipe's own */
    int threads, batch, samples, every;
    uint64_t seed;
    float lr;             /* 0: the recipe's own */
    float gp;             /* < 0: the recipe's own */
    const char *plots;    /* "" = no plots */
} options;

typedef struct {
    gan_net *net;
    gan_linear_layer l[3];
    gan_spectral_norm sn[3];
    int use_sn;
} mlp;

typedef struct {
    int covered;
    float high_quality;
    double seconds, cpu_seconds;
} result;

static double now_s(void) {
    struct timespec ts;
    timespec_get(&ts, TIME_UTC);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void usage(FILE *f) {
    fprintf(f,
            "usage: ring8 [--loss bce|wgan-gp|hinge-sn|all] [--steps N] [--seed S] [--threads T]\n"
            "             [--batch B] [--lr X] [--gp X] [--n-critic K] [--samples N] [--every N]\n"
            "             [--plots DIR]\n"
            "Trains small MLP GANs on 8 Gaussians on a ring (radius 2, std 0.02) and reports\n"
            "how many of the 8 modes each generator covers and the share of its samples within\n"
            "3 std of a mode.\n"
            "  --loss R      bce, wgan-gp, hinge-sn, or all: the three in turn (default all)\n"
            "  --steps N     G steps (default: bce 3000, wgan-gp 1000, hinge-sn 2000)\n"
            "  --seed S      seed for weights, noise and data (default 1)\n"
            "  --threads T   OpenMP/BLAS threads, 0 = all cores (default 1)\n"
            "  --batch B     batch size (default 128)\n"
            "  --lr X        Adam learning rate of both nets (default 1e-3)\n"
            "  --gp X        wgan-gp's gradient-penalty weight (default 1)\n"
            "  --n-critic K  D steps per G step (default: bce 1, wgan-gp 5, hinge-sn 1)\n"
            "  --samples N   samples drawn for the final report and plot (default 2000)\n"
            "  --every N     progress line every N G steps, 0 = none (default 500)\n"
            "  --plots DIR   write DIR/ring8_<recipe>.png scatter plots, '' = none (default .)\n");
}

/* Parses an integer flag value in [min, max]; returns 0 on junk. */
static int parse_count(const char *flag, const char *s, long long min, long long max,
                       long long *out) {
    char *end = NULL;
    long long v = s ? strtoll(s, &end, 10) : -1;
    if (!s || *s == '\0' || *end != '\0' || v < min || v > max) {
        fprintf(stderr, "ring8: %s needs an integer in [%lld, %lld], got '%s'\n", flag, min,
                max, s ? s : "");
        return 0;
    }
    *out = v;
    return 1;
}

/* Returns 0 to run, 1 after --help, 2 on a usage error. One thread by default: the same
 * seed then gives the same bits on any machine (results depend on the thread count), and
 * with 128x128 weights a second thread measured no faster on 2 cores. */
static int parse_args(int argc, char **argv, options *o) {
    *o = (options){.recipe = -1, .threads = 1, .batch = 128, .samples = 2000, .every = 500,
                   .seed = 1, .gp = -1, .plots = "."};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return 1;
        }
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        long long x;
        if (!strcmp(a, "--loss")) {
            o->recipe = -2;
            for (int r = 0; v && r < N_RECIPES; r++)
                if (!strcmp(v, RECIPES[r].name)) o->recipe = r;
            if (v && !strcmp(v, "all")) o->recipe = -1;
            if (o->recipe == -2) {
                fprintf(stderr, "ring8: --loss needs bce, wgan-gp, hinge-sn or all, got '%s'\n",
                        v ? v : "");
                return 2;
            }
        } else if (!strcmp(a, "--steps")) {
            if (!parse_count(a, v, 1, 100000000, &x)) return 2;
            o->steps = (int)x;
        } else if (!strcmp(a, "--seed")) {
            if (!parse_count(a, v, 0, INT64_MAX, &x)) return 2;
            o->seed = (uint64_t)x;
        } else if (!strcmp(a, "--threads")) {
            if (!parse_count(a, v, 0, 1024, &x)) return 2;
            o->threads = (int)x;
        } else if (!strcmp(a, "--batch")) {
            if (!parse_count(a, v, 1, 1 << 20, &x)) return 2;
            o->batch = (int)x;
        } else if (!strcmp(a, "--lr")) {
            char *end = NULL;
            o->lr = v ? strtof(v, &end) : 0;
            if (!v || *end != '\0' || !(o->lr > 0 && o->lr < 1)) {
                fprintf(stderr, "ring8: --lr needs a number in (0, 1), got '%s'\n", v ? v : "");
                return 2;
            }
        } else if (!strcmp(a, "--gp")) {
            char *end = NULL;
            o->gp = v ? strtof(v, &end) : -1;
            if (!v || *end != '\0' || !(o->gp >= 0 && o->gp <= 1e6f)) {
                fprintf(stderr, "ring8: --gp needs a number in [0, 1e6], got '%s'\n", v ? v : "");
                return 2;
            }
        } else if (!strcmp(a, "--n-critic")) {
            if (!parse_count(a, v, 1, 1000, &x)) return 2;
            o->n_critic = (int)x;
        } else if (!strcmp(a, "--samples")) {
            if (!parse_count(a, v, 1, 1 << 24, &x)) return 2;
            o->samples = (int)x;
        } else if (!strcmp(a, "--every")) {
            if (!parse_count(a, v, 0, 100000000, &x)) return 2;
            o->every = (int)x;
        } else if (!strcmp(a, "--plots")) {
            if (!v) {
                fprintf(stderr, "ring8: --plots needs a directory\n");
                return 2;
            }
            struct stat st;
            if (v[0] && (stat(v, &st) != 0 || !S_ISDIR(st.st_mode))) {
                fprintf(stderr, "ring8: --plots: '%s' is not a directory\n", v);
                return 2;
            }
            o->plots = v;
        } else {
            fprintf(stderr, "ring8: unknown argument '%s'\n", a);
            usage(stderr);
            return 2;
        }
        i++;
    }
    return 0;
}

/* Spectral norm buffers are declared before finalize and drawn after it. */
static mlp mlp_new(const char *name, int in, int out, int use_sn, uint64_t seed) {
    mlp m = {.net = gan_net_new(name), .use_sn = use_sn};
    m.l[0] = gan_linear_layer_init(m.net, "main.0", in, HIDDEN, 1);
    m.l[1] = gan_linear_layer_init(m.net, "main.2", HIDDEN, HIDDEN, 1);
    m.l[2] = gan_linear_layer_init(m.net, "main.4", HIDDEN, out, 1);
    for (int i = 0; use_sn && i < 3; i++) m.sn[i] = gan_spectral_norm_init(m.net, m.l[i].weight);
    gan_net_finalize(m.net, seed);
    for (int i = 0; use_sn && i < 3; i++) gan_spectral_norm_reset(&m.sn[i], seed, 100 + 2 * i);
    return m;
}

static gan_tensor *layer(gan_ctx *ctx, const mlp *m, int i, gan_tensor *x) {
    if (!m->use_sn) return gan_linear_layer_forward(ctx, &m->l[i], x);
    return gan_linear(ctx, x, gan_spectral_norm_forward(ctx, &m->sn[i]), m->l[i].bias);
}

// z (B, ZDIM) -> (B, 2)
static gan_tensor *generator(gan_ctx *ctx, const mlp *g, gan_tensor *z) {
    gan_tensor *h = gan_relu(ctx, layer(ctx, g, 0, z));
    h = gan_relu(ctx, layer(ctx, g, 1, h));
    return layer(ctx, g, 2, h);
}

// x (B, 2) -> scores (B, 1)
static gan_tensor *discriminator(gan_ctx *ctx, const mlp *d, gan_tensor *x) {
    /* LeakyReLU keeps D's gradient alive for fakes far from every mode */
    gan_tensor *h = gan_leaky_relu(ctx, layer(ctx, d, 0, x), 0.2f);
    h = gan_leaky_relu(ctx, layer(ctx, d, 1, h), 0.2f);
    return layer(ctx, d, 2, h);
}

static gan_tensor *d_forward(gan_ctx *ctx, void *ud, gan_tensor *x) {
    return discriminator(ctx, ud, x);
}

/* n samples of the averaged G from fixed noise (seed, stream), no tape; G is put back. */
static gan_tensor *sample_ema(gan_ctx *ctx, mlp *g, gan_ema *avg, int n, uint64_t seed,
                              uint64_t stream) {
    int old_grad = gan_ctx_set_grad(ctx, 0);
    gan_ema_swap(avg, g->net);
    gan_tensor *x = generator(ctx, g, gan_randn(ctx, GAN_SHAPE(n, ZDIM), seed, stream));
    gan_ema_swap(avg, g->net);
    gan_ctx_set_grad(ctx, old_grad);
    return x;
}

/* Trains one recipe from scratch; returns 0, or 1 on a non-finite loss or a failed plot. */
static int train(const options *o, const recipe *rc, result *res) {
    int steps = o->steps ? o->steps : rc->steps;
    int n_critic = o->n_critic ? o->n_critic : rc->n_critic;
    float lr = o->lr > 0 ? o->lr : rc->lr;
    float gp_weight = rc->loss == GAN_LOSS_WGAN && o->gp >= 0 ? o->gp : rc->gp;
    gan_ctx *ctx = gan_ctx_new(0);
    mlp g = mlp_new("G", ZDIM, 2, 0, o->seed * 2 + 0);
    mlp d = mlp_new("D", 2, 1, rc->sn, o->seed * 2 + 1);
    gan_adam opt_g = gan_adam_default(lr), opt_d = gan_adam_default(lr);
    opt_g.beta1 = opt_d.beta1 = rc->beta1;
    opt_g.beta2 = opt_d.beta2 = rc->beta2;
    gan_rng rng = gan_rng_init(o->seed);
    gan_ema *g_avg = gan_ema_new(g.net);
    uint64_t data_stream = 0, gp_stream = 0;
    const uint64_t gp_seed = o->seed ^ 0x6a09e667ull;
    int rv = 0;

    printf("== %s: %d G steps x %d D steps, batch %d, Adam lr %g betas (%g, %g)", rc->name,
           steps, n_critic, o->batch, lr, rc->beta1, rc->beta2);
    if (gp_weight > 0) printf(", gradient penalty x %g", gp_weight);
    if (rc->sn) printf(", spectral norm on D");
    printf("\n");
    double t0 = now_s();
    clock_t c0 = clock();
    double sum_ld = 0, sum_lg = 0;
    int since = 0;
    for (int step = 1; step <= steps && !rv; step++) {
        for (int c = 0; c < n_critic; c++) {
            gan_tensor *real = gan_empty(ctx, GAN_SHAPE(o->batch, 2));
            gan_ring8_sample(real->data, o->batch, o->seed, data_stream);
            data_stream += 2; /* a draw uses two streams: mode choice and offsets */
            gan_tensor *z = gan_rng_randn(ctx, &rng, GAN_SHAPE(o->batch, ZDIM));
            int old_grad = gan_ctx_set_grad(ctx, 0); /* D's step needs no graph through G */
            gan_tensor *fake = generator(ctx, &g, z);
            gan_ctx_set_grad(ctx, old_grad);

            gan_tensor *loss_d = gan_d_loss(ctx, rc->loss, discriminator(ctx, &d, real),
                                            discriminator(ctx, &d, fake));
            float ld = loss_d->data[0];
            if (gp_weight > 0) {
                gan_tensor *gp = gan_gradient_penalty(ctx, d_forward, &d, real, fake, gp_seed,
                                                      gp_stream++);
                loss_d = gan_add(ctx, loss_d, gan_mul_scalar(ctx, gp, gp_weight));
            }
            gan_net_zero_grad(d.net);
            gan_backward(ctx, loss_d);
            gan_adam_step(&opt_d, d.net);
            gan_ctx_reset(ctx);
            sum_ld += ld / n_critic;
        }

        /* G step through the updated D, frozen so its grads stay untouched */
        gan_net_requires_grad(d.net, 0);
        gan_tensor *z = gan_rng_randn(ctx, &rng, GAN_SHAPE(o->batch, ZDIM));
        gan_tensor *fake = generator(ctx, &g, z);
        gan_tensor *loss_g = gan_g_loss(ctx, rc->loss, discriminator(ctx, &d, fake));
        gan_net_zero_grad(g.net);
        gan_backward(ctx, loss_g);
        gan_adam_step(&opt_g, g.net);
        gan_net_requires_grad(d.net, 1);
        gan_ema_update(g_avg, g.net, EMA_DECAY);
        sum_lg += loss_g->data[0];
        since++;
        gan_ctx_reset(ctx);

        if ((o->every && step % o->every == 0) || step == steps) {
            if (!isfinite(sum_ld) || !isfinite(sum_lg)) {
                fprintf(stderr, "ring8: %s: loss is not finite at step %d\n", rc->name, step);
                rv = 1;
                break;
            }
            /* the same noise at each report, so the counts follow G and not the draw */
            gan_tensor *x = sample_ema(ctx, &g, g_avg, EVAL_N, o->seed, 0x5eed);
            gan_ring8_meter m = gan_ring8_measure(x->data, EVAL_N);
            gan_ctx_reset(ctx);
            double el = now_s() - t0;
            printf("step %6d/%d  loss_d %8.4f  loss_g %8.4f  modes %d/8  high-quality %5.1f%%  "
                   "%.0f steps/s\n",
                   step, steps, sum_ld / since, sum_lg / since, m.covered,
                   100.0 * m.high_quality, step / el);
            fflush(stdout);
            sum_ld = sum_lg = 0;
            since = 0;
        }
    }
    res->seconds = now_s() - t0;
    res->cpu_seconds = (double)(clock() - c0) / CLOCKS_PER_SEC;

    if (!rv) {
        gan_ctx_set_training(ctx, 0);
        gan_tensor *x = sample_ema(ctx, &g, g_avg, o->samples, o->seed, 0xf1a1);
        gan_ring8_meter m = gan_ring8_measure(x->data, o->samples);
        res->covered = m.covered;
        res->high_quality = m.high_quality;
        printf("%d samples; within 3 std (%.2f) of each mode (covered = at least 1%% of all "
               "samples):\n", m.n, 3 * GAN_RING8_STD);
        for (int k = 0; k < GAN_RING8_MODES; k++) {
            float a = 2.0f * 3.14159265f * (float)k / GAN_RING8_MODES;
            float cx = GAN_RING8_RADIUS * cosf(a), cy = GAN_RING8_RADIUS * sinf(a);
            printf("  mode %d (%+.3f, %+.3f): %5d  %5.1f%%  %s\n", k,
                   fabsf(cx) < 1e-6f ? 0.0f : cx, fabsf(cy) < 1e-6f ? 0.0f : cy,
                   m.per_mode[k], 100.0 * m.per_mode[k] / m.n,
                   m.per_mode[k] >= 0.01 * m.n ? "covered" : "MISSED");
        }
        printf("modes covered: %d/8\nhigh-quality samples: %.1f%%\n"
               "training time: %.1f s, %.1f s of CPU (%.0f G steps/s)\n",
               m.covered, 100.0 * m.high_quality, res->seconds, res->cpu_seconds,
               steps / res->seconds);
        if (o->plots[0]) {
            char path[4096];
            snprintf(path, sizeof path, "%s/ring8_%s.png", o->plots, rc->name);
            gan_status s = gan_ring8_plot(path, x->data, o->samples, PLOT_PX);
            if (s) {
                fprintf(stderr, "ring8: --plots: cannot write %s: %s\n", path,
                        gan_status_to_string(s));
                rv = 1;
            } else {
                printf("plot: %s\n", path);
            }
        }
    }
    printf("\n");
    fflush(stdout);

    gan_net_free(g.net);
    gan_ema_free(g_avg);
    gan_net_free(d.net);
    gan_ctx_free(ctx);
    return rv;
}

int main(int argc, char **argv) {
    options o;
    int pr = parse_args(argc, argv, &o);
    if (pr) return pr == 1 ? 0 : 2;
    gan_set_threads(o.threads);
    printf("ring8: seed %llu, threads %d, batch %d\n", (unsigned long long)o.seed,
           gan_get_threads(), o.batch);

    result res[N_RECIPES] = {{0}};
    int first = o.recipe < 0 ? 0 : o.recipe, last = o.recipe < 0 ? N_RECIPES - 1 : o.recipe;
    int rv = 0;
    for (int r = first; r <= last && !rv; r++) {
        rv = train(&o, &RECIPES[r], &res[r]);
        if (rv) last = r - 1; /* the table shows the recipes that finished */
    }

    printf("%-9s  %-13s  %-12s  %-7s  %s\n", "recipe", "modes covered", "high-quality",
           "seconds", "CPU seconds");
    for (int r = first; r <= last; r++)
        printf("%-9s  %9d/8    %10.1f%%  %7.1f  %11.1f\n", RECIPES[r].name, res[r].covered,
               100.0 * res[r].high_quality, res[r].seconds, res[r].cpu_seconds);
    return rv;
}
