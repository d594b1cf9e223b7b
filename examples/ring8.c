/* ring8.c — the mode-collapse meter on the classic ring of 8 Gaussians: three GAN recipes
 * trained from the same seed, each measured and drawn; uses only gan.h.
 *
 * Data: gan_ring8_sample, 8 modes on a circle of radius 2, each an isotropic Gaussian with
 * std 0.02; every real batch is a fresh Philox stream of the seed, a point as a (2, 1, 1) image.
 * The nets are a model spec, examples/ring8.json (--model), read like any user's file:
 * G: z (B, 2)  -> 128 -> ReLU -> 128 -> ReLU -> 2.
 * D: x (B, 2)  -> 128 -> LeakyReLU(0.2) -> 128 -> LeakyReLU(0.2) -> 1 score.
 * The step is gan_trainer's: --steps counts G steps; each follows n_critic D steps, each on a
 * new real batch and new noise, and the G step reuses the last D step's fake (as
 * pytorch/examples' DCGAN). Recipes (--loss; "all", the default, trains the three in turn):
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
 * with (0, 0.9) all 8 after 1,000. (Tuned on the example's own loop, which drew new noise for
 * the G step and a plain EMA; on the trainer, seeds 1-5: bce 8 of 8 every time (own loop 7, 8,
 * 8, 6, 8), wgan-gp and hinge-sn 8 of 8, high-quality shares within a few points of before.)
 * Samples come from an exponential moving average of G's weights (decay 0.99, the trainer's
 * warm-up first): G keeps circling each mode by more than the 0.06 that counts as a hit, and
 * the average over the last ~100 steps sits on the centres.
 *
 * At the end of each recipe it draws --samples points from the averaged G, measures them with
 * gan_ring8_measure (a sample is high quality within 3 std = 0.06 of a mode's centre; a mode
 * is covered when at least 1% of all samples are high-quality samples of it), plots them with
 * gan_ring8_plot into DIR/ring8_<recipe>.png, and ends with a table of the three.
 *
 *   ring8 [--loss bce|wgan-gp|hinge-sn|all] [--steps N] [--seed S] [--threads T] [--batch B]
 *         [--lr X] [--gp X] [--n-critic K] [--samples N] [--every N] [--plots DIR]
 *         [--model FILE]
 */
#include "gan.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define EMA_DECAY 0.99f
#define PLOT_PX 360
#define EVAL_N 1000       /* samples behind each progress line */
/* the data's Philox key is seed ^ DATA_KEY: the trainer draws z (streams 2k+1) and the penalty's
 * weights (2k+2) from the seed itself, and a ring8 draw takes two streams too */
#define DATA_KEY 0x9e3779b97f4a7c15ull

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
    const char *model;    /* the nets' spec */
} options;

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
            "             [--plots DIR] [--model FILE]\n"
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
            "  --plots DIR   write DIR/ring8_<recipe>.png scatter plots, '' = none (default .)\n"
            "  --model FILE  the nets' spec, G: z -> (2, 1, 1) and D: (2, 1, 1) -> 1 (default:\n"
            "                examples/ring8.json of the tree it was built in, EXE/../../examples)\n");
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
        } else if (!strcmp(a, "--model")) {
            if (!v || !v[0]) {
                fprintf(stderr, "ring8: --model needs a spec file (.json)\n");
                return 2;
            }
            o->model = v;
        } else {
            fprintf(stderr, "ring8: unknown argument '%s'\n", a);
            usage(stderr);
            return 2;
        }
        i++;
    }
    return 0;
}

/* The default spec: examples/ring8.json two folders above the executable (build/examples/ring8),
 * so that it is found from any working directory. */
static const char *default_model(const char *argv0) {
    static char path[4096];
    char exe[sizeof path - 32];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) exe[n] = '\0';
    else snprintf(exe, sizeof exe, "%s", argv0);
    char *slash = strrchr(exe, '/');
    if (slash) *slash = '\0';
    else snprintf(exe, sizeof exe, ".");
    snprintf(path, sizeof path, "%s/../../examples/ring8.json", exe);
    return path;
}

/* n samples of the averaged G from fixed noise (seed, stream), as (n, 2) points in ctx. */
static gan_tensor *sample(gan_ctx *ctx, gan_trainer *t, int n, uint64_t seed, uint64_t stream) {
    float *z = gan_model_noise(t->model, n, seed, stream);
    gan_tensor *x = gan_empty(ctx, GAN_SHAPE(n, 2));
    gan_model_sample(t->model, gan_trainer_ema(t), NULL, z, n, 0, x->data, NULL, NULL);
    gan_free(z);
    return x;
}

/* Trains one recipe from scratch; returns 0, or 1 on a spec that cannot be built, a
 * non-finite loss or a failed plot. */
static int train(const options *o, const recipe *rc, result *res) {
    int steps = o->steps ? o->steps : rc->steps;
    int n_critic = o->n_critic ? o->n_critic : rc->n_critic;
    float lr = o->lr > 0 ? o->lr : rc->lr;
    float gp_weight = rc->loss == GAN_LOSS_WGAN && o->gp >= 0 ? o->gp : rc->gp;
    /* sn is set only where the recipe needs it: a spec without the param serves the others */
    gan_model *model;
    if (gan_model_new(&(gan_model_config){.spec = o->model, .sn = rc->sn}, o->seed, &model)) {
        fprintf(stderr, "ring8: --model: %s\n", gan_last_error());
        return 1;
    }
    const gan_model_info *info = gan_model_get_info(model);
    if (info->channels != 2 || info->size != 1) {
        fprintf(stderr, "ring8: --model: %s makes (%d, %d, %d) images, not 2-D points (2, 1, 1)\n",
                o->model, info->channels, info->size, info->size);
        gan_model_free(model);
        return 1;
    }
    /* no gan_train_opts_check: --gp 0 runs wgan-gp's critic unconstrained, on purpose */
    gan_train_opts to = gan_train_opts_default();
    to.batch = o->batch;
    to.n_critic = n_critic;
    to.lr_g = to.lr_d = lr;
    to.beta1 = rc->beta1;
    to.beta2 = rc->beta2;
    to.seed = o->seed;
    to.loss = rc->loss;
    to.gp = gp_weight;
    to.ema = EMA_DECAY;
    gan_trainer t;
    gan_trainer_init(&t, model, &to);
    gan_ctx *ctx = gan_ctx_new(0);
    uint64_t data_stream = 0;
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
        /* n_critic trainer steps: D on each, G (and its EMA) on the last */
        for (int c = 0; c < n_critic; c++) {
            gan_tensor *real = gan_empty(ctx, GAN_SHAPE(o->batch, 2, 1, 1));
            gan_ring8_sample(real->data, o->batch, o->seed ^ DATA_KEY, data_stream);
            data_stream += 2; /* a draw uses two streams: mode choice and offsets */
            gan_step_stats st;
            gan_trainer_step_images(&t, ctx, real, &st);
            gan_ctx_reset(ctx);
            sum_ld += st.loss_d / n_critic;
            if (c == n_critic - 1) sum_lg += st.loss_g;
        }
        since++;

        if ((o->every && step % o->every == 0) || step == steps) {
            if (!isfinite(sum_ld) || !isfinite(sum_lg)) {
                fprintf(stderr, "ring8: %s: loss is not finite at step %d\n", rc->name, step);
                rv = 1;
                break;
            }
            /* the same noise at each report, so the counts follow G and not the draw */
            gan_tensor *x = sample(ctx, &t, EVAL_N, o->seed, 0x5eed);
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
        gan_tensor *x = sample(ctx, &t, o->samples, o->seed, 0xf1a1);
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

    gan_trainer_free(&t);
    gan_model_free(model);
    gan_ctx_free(ctx);
    return rv;
}

int main(int argc, char **argv) {
    options o;
    int pr = parse_args(argc, argv, &o);
    if (pr) return pr == 1 ? 0 : 2;
    if (!o.model) o.model = default_model(argv[0]);
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
