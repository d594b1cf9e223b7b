/* bench.c — `gan bench --model mlp|dcgan28|dcgan64 --batch 64 --iters N [--json]`: times full
 * GAN iterations on random data. bench/torch_bench.py is its PyTorch twin (same models, same
 * iteration, same FLOP convention) and bench/run_bench.sh (make bench) runs both side by side.
 *
 * One iteration is one gan_trainer_step_images (the step `gan train` takes; BCE, Adam 2e-4
 * betas (0.5, 0.999)) on a fixed random batch in [-1, 1], then gan_ctx_reset:
 *   z ~ N(0, 1), fake = G(z) once, with a graph;
 *   D step: BCE(D(real), 1) + BCE(D(fake.detach()), 0), backward, Adam on D;
 *   G step: D(fake) through the updated D, frozen (no weight gradients), BCE against 1,
 *           backward through D into G, Adam on G.
 * GFLOP/s counts 2 FLOP per multiply-add of conv, conv-transpose and linear layers and an
 * iteration as 9 F_D + 3 F_G forward FLOPs (F_X: one forward pass of X on the batch; a pass
 * with its backward counts 3). */
#include "gan.h"
#include "cli.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#define CMD "bench"

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double clock_ms(clockid_t id) {
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec * 1e-6;
}
static double now_ms(void) { return clock_ms(CLOCK_MONOTONIC); }
/* CPU time of all the process's threads: on a shared machine wall time also counts the time
 * other processes held the cores; CPU time counts our work (and our threads' waiting) only */
static double cpu_ms(void) { return clock_ms(CLOCK_PROCESS_CPUTIME_ID); }

/* sorts v */
static double median(double *v, int n) {
    qsort(v, (size_t)n, sizeof(double), cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/* Forward FLOPs of G and D on a batch of B (2 per multiply-add of conv, conv-transpose, linear). */
static void forward_flops(const gan_model_config *c, int B, double *fg, double *fd) {
    int mlp = !strcmp(c->spec, "mlp"), dcgan28 = !strcmp(c->spec, "dcgan28");
    double g = 0, d = 0;
    const double b2 = 2.0 * B;
    if (mlp) {
        int img = c->channels * c->size * c->size;
        int gd[] = {c->nz, 256, 512, 1024, img}, dd[] = {img, 512, 256, 1};
        for (int i = 0; i < 4; i++) g += b2 * gd[i] * gd[i + 1];
        for (int i = 0; i < 3; i++) d += b2 * dd[i] * dd[i + 1];
    } else if (dcgan28) {
        g = b2 * ((double)c->nz * 128 * 49 + 128.0 * 64 * 16 * 49 + 64.0 * c->channels * 16 * 196);
        d = b2 * (c->channels * 64.0 * 16 * 196 + 64.0 * 128 * 16 * 49 + 128.0 * 49);
    } else { /* pytorch/examples' DCGAN: k = 4 throughout, spatial 1 -> 4 -> 8 ... -> size */
        int L = 0;
        while ((4 << L) < c->size) L++;
        int in = c->nz, hw = 1, mult = 1 << (L - 1);
        for (int i = 0; i <= L; i++) { /* conv-transpose: each input pixel meets out*16 weights */
            int out = i == L ? c->channels : c->ngf * (mult >> i);
            g += b2 * in * out * 16.0 * hw * hw;
            hw = i == 0 ? 4 : hw * 2;
            in = out;
        }
        in = c->channels;
        hw = c->size;
        for (int i = 0; i <= L; i++) { /* conv: each output pixel costs in*16 multiply-adds */
            int out = i == L ? 1 : c->ndf * (1 << i);
            hw = i == L ? 1 : hw / 2;
            d += b2 * in * out * 16.0 * hw * hw;
            in = out;
        }
    }
    *fg = g;
    *fd = d;
}

static size_t iter_peak; /* arena bytes one iteration used, the most of any */

/* One training step; everything it built is dead once its updates are in the nets. */
static void iteration(gan_trainer *t, gan_ctx *ctx, gan_tensor *real) {
    gan_trainer_step_images(t, ctx, real, NULL);
    size_t used = gan_ctx_used(ctx);
    if (used > iter_peak) iter_peak = used;
    gan_ctx_reset(ctx);
}

int cmd_bench(int argc, char **argv) {
    const char *model = "dcgan28", *winograd = "on";
    int batch = 64, iters = 20, warmup = 3, threads = 0, json = 0;
    int64_t seed = 1;
    cli_flag flags[] = {
        {"--model", FLAG_STR, &model, "mlp | dcgan28 | dcgan64 [dcgan28]", 0},
        {"--batch", FLAG_INT, &batch, "batch size [64]", 0},
        {"--iters", FLAG_INT, &iters, "timed iterations [20]", 0},
        {"--warmup", FLAG_INT, &warmup, "untimed iterations first [3]", 0},
        {"--threads", FLAG_INT, &threads, "threads (0 = all cores) [0]", 0},
        {"--seed", FLAG_I64, &seed, "seed of the weights, data and noise [1]", 0},
        {"--winograd", FLAG_STR, &winograd,
         "on | off | ab: DCGAN convs by Winograd, direct, or both in turn (every other iteration, "
         "the fairest comparison on a busy machine) [on]", 0},
        {"--json", FLAG_BOOL, &json, "print one JSON line instead of text", 0},
    };
    const char *pos[1];
    int npos;
    int rc = cli_parse(CMD, "--model mlp|dcgan28|dcgan64 [--batch 64 --iters N --json]", argc, argv,
                       flags, (int)(sizeof flags / sizeof flags[0]), pos, 0, &npos);
    if (rc) return rc < 0 ? CLI_OK : rc;
    if (batch < 1 || batch > 65536) return cli_error(CMD, CLI_USAGE, "--batch must be in 1..65536 (got %d)", batch);
    if (iters < 1) return cli_error(CMD, CLI_USAGE, "--iters must be at least 1 (got %d)", iters);
    if (warmup < 0) return cli_error(CMD, CLI_USAGE, "--warmup must be >= 0");
    if (threads < 0) return cli_error(CMD, CLI_USAGE, "--threads must be >= 0");
    const int ab = !strcmp(winograd, "ab");
    if (!ab && strcmp(winograd, "on") && strcmp(winograd, "off"))
        return cli_error(CMD, CLI_USAGE, "--winograd: expected on, off or ab (got '%s')", winograd);
    if (ab && iters < 2) return cli_error(CMD, CLI_USAGE, "--winograd ab needs --iters of at least 2");
    gan_set_winograd(strcmp(winograd, "off") != 0);

    gan_model_config mc = {.spec = model, .nz = 100, .channels = 1, .size = 28, .ngf = 64,
                           .ndf = 64, .d_norm = "batch", .sn = -1};
    if (!strcmp(model, "mlp") || !strcmp(model, "dcgan28")) {
    } else if (!strcmp(model, "dcgan64")) {
        mc.spec = "dcgan";
        mc.channels = 3;
        mc.size = 64;
    } else return cli_error(CMD, CLI_USAGE, "--model: unknown model '%s' (expected mlp, dcgan28 or dcgan64)", model);
    gan_set_threads(threads);

    gan_model *m;
    if (gan_model_new(&mc, (uint64_t)seed, &m)) return cli_error(CMD, CLI_RUNTIME, "%s", gan_last_error());
    gan_train_opts to = gan_train_opts_default(); /* BCE, Adam 2e-4 betas (0.5, 0.999) */
    to.batch = batch;
    to.seed = (uint64_t)seed;
    gan_trainer t;
    gan_trainer_init(&t, m, &to);
    /* the batch lives in its own arena: the step arena is reset every iteration */
    gan_ctx *data = gan_ctx_new((size_t)batch * mc.channels * mc.size * mc.size * sizeof(float) + 4096);
    gan_ctx_set_grad(data, 0);
    gan_tensor *real = gan_rand(data, GAN_SHAPE(batch, mc.channels, mc.size, mc.size), (uint64_t)seed, 0);
    for (int64_t i = 0; i < real->numel; i++) real->data[i] = 2.0f * real->data[i] - 1.0f;

    gan_ctx *ctx = gan_ctx_new(0);
    for (int i = 0; i < warmup + (ab && warmup > 0); i++) {
        if (ab) gan_set_winograd(i % 2 == 0);
        iteration(&t, ctx, real);
    }
    double *ms = malloc(sizeof(double) * 2 * (size_t)iters);
    if (!ms) return cli_error(CMD, CLI_RUNTIME, "out of memory");
    double *cpu = ms + iters;
    /* --winograd ab: the even iterations (on) fill the first n_on slots, the odd ones (off) the rest */
    const int n_on = ab ? (iters + 1) / 2 : iters, n_off = iters - n_on;
    for (int i = 0; i < iters; i++) {
        if (ab) gan_set_winograd(i % 2 == 0);
        const int k = ab && i % 2 ? n_on + i / 2 : ab ? i / 2 : i;
        double t0 = now_ms(), c0 = cpu_ms();
        iteration(&t, ctx, real);
        ms[k] = now_ms() - t0;
        cpu[k] = cpu_ms() - c0;
    }
    double off_med = n_off ? median(ms + n_on, n_off) : 0, off_min = n_off ? ms[n_on] : 0;  /* sorted */
    iters = n_on;
    double med = median(ms, iters), best = ms[0], cpu_med = median(cpu, iters), cpu_min = cpu[0];
    double fg, fd;
    forward_flops(&mc, batch, &fg, &fd);
    double flops = 9 * fd + 3 * fg, gflops = flops / (med * 1e-3) / 1e9;
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    double rss_mb = (double)ru.ru_maxrss / 1024.0;
    double arena_mb = (double)gan_ctx_capacity(ctx) / (1024.0 * 1024.0);
    double used_mb = (double)iter_peak / (1024.0 * 1024.0);
    /* how OpenMP threads waited between regions (main.c picks it; a user's setting wins) */
    char wait[64];
    const char *policy = getenv("OMP_WAIT_POLICY"), *spin = getenv("GOMP_SPINCOUNT");
    char ab_json[160] = "";
    if (ab)
        snprintf(ab_json, sizeof ab_json, ", \"off_median_ms\": %.4f, \"off_min_ms\": %.4f, \"off_iters\": %d",
                 off_med, off_min, n_off);
    if (policy) snprintf(wait, sizeof wait, "%s", policy);
    else snprintf(wait, sizeof wait, "spin %s", spin ? spin : "default");
    if (json)
        printf("{\"impl\": \"gan.c\", \"model\": \"%s\", \"batch\": %d, \"iters\": %d, \"median_ms\": %.4f, "
               "\"min_ms\": %.4f, \"cpu_ms\": %.4f, \"cpu_min_ms\": %.4f, \"gflops\": %.3f, \"gflop_per_iter\": %.9f, \"peak_rss_mb\": %.1f, "
               "\"arena_mb\": %.1f, \"arena_used_mb\": %.1f, \"threads\": %d, \"omp_wait\": \"%s\", "
               "\"winograd\": \"%s\"%s}\n",
               model, batch, iters, med, best, cpu_med, cpu_min, gflops, flops / 1e9, rss_mb, arena_mb, used_mb,
               gan_get_threads(), wait, winograd, ab_json);
    else
        printf("gan.c %s batch %d: median %.2f ms, min %.2f ms, CPU %.2f ms, %.1f GFLOP/s (%.3f GFLOP/iter), "
               "peak RSS %.0f MB (arena %.0f MB; used per iteration %.0f MB)  [threads %d, wait %s]\n",
               model, batch, med, best, cpu_med, gflops, flops / 1e9, rss_mb, arena_mb, used_mb,
               gan_get_threads(), wait);
    if (ab && !json)
        printf("  paired, every other iteration: Winograd on median %.2f ms (min %.2f), off median %.2f ms "
               "(min %.2f): on/off %.3f\n", med, best, off_med, off_min, med / off_med);
    free(ms);
    gan_ctx_free(ctx);
    gan_ctx_free(data);
    gan_trainer_free(&t);
    gan_model_free(m);
    return CLI_OK;
}
