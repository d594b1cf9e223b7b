/* train.c — `gan train`: the alternating GAN trainer with a run folder, progress, sample
 * grids, atomic checkpoints and exact resume. */
#include "gan.h"
#include "cli.h"
#include "progress.h"
#include "run_config.h"
#include "evaluator.h"
#include <cJSON.h>
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CMD "train"
#define N_FIXED 64          /* samples in each grid (8 x 8) */
#define FIXED_STREAM 0xF17EDull
#define EVAL_STREAM 0xE7A1ull
#define RING_N 65536        /* ring8 training points */
#define RING_PLOT 2000      /* ring8 samples plotted and measured */
#define RING_SCALE 2.5f     /* ring8 points / 2.5 fit G's tanh range */

static volatile sig_atomic_t interrupted;
static void on_sigint(int sig) { (void)sig; interrupted = 1; }

static int make_dir(const char *path) {
    if (mkdir(path, 0777) == 0 || errno == EEXIST) return 0;
    return -1;
}

/* 28x28 -> 32x32 with a 2-pixel black border (byte 0 = -1 after scaling), in place. */
static void pad_to_32(gan_u8_images *im) {
    int64_t per = (int64_t)im->c * 32 * 32;
    uint8_t *out = gan_calloc((size_t)im->n, (size_t)per);
    for (int n = 0; n < im->n; n++)
        for (int c = 0; c < im->c; c++)
            for (int y = 0; y < 28; y++)
                memcpy(out + n * per + ((int64_t)c * 32 + y + 2) * 32 + 2,
                       im->data + (((int64_t)n * im->c + c) * 28 + y) * 28, 28);
    free(im->data);
    im->data = out;
    im->h = im->w = 32;
}

static int file_exists(const char *p) {
    struct stat st;
    return stat(p, &st) == 0;
}

/* Keeps the metrics lines of steps <= last_step (a resumed run replays the rest); *seconds =
 * the training time the kept lines reached, so a resumed run's clock goes on from there. */
static gan_status trim_metrics(const char *path, int64_t last_step, double *seconds) {
    *seconds = 0;
    FILE *f = fopen(path, "rb");
    if (!f) return GAN_OK;
    size_t cap = 1 << 16, len = 0;
    char *out = malloc(cap), line[4096];
    while (fgets(line, sizeof line, f)) {
        cJSON *j = cJSON_Parse(line);
        const cJSON *s = j ? cJSON_GetObjectItemCaseSensitive(j, "step") : NULL;
        int keep = cJSON_IsNumber(s) && (int64_t)s->valuedouble <= last_step;
        const cJSON *sec = j ? cJSON_GetObjectItemCaseSensitive(j, "seconds") : NULL;
        if (keep && cJSON_IsNumber(sec) && sec->valuedouble > *seconds) *seconds = sec->valuedouble;
        cJSON_Delete(j);
        if (!keep) continue;
        size_t l = strlen(line);
        if (len + l + 1 > cap) out = realloc(out, cap = (len + l + 1) * 2);
        memcpy(out + len, line, l);
        len += l;
    }
    fclose(f);
    gan_status st = gan_write_file_atomic(path, out, len);
    free(out);
    return st;
}

static gan_status write_grid(gan_ctx *ctx, gan_trainer *t, gan_tensor *zfix, const char *run,
                             int64_t step) {
    gan_tensor *x = gan_trainer_sample(t, ctx, zfix);
    char path[4200];
    snprintf(path, sizeof path, "%s/samples/step_%06lld.png", run, (long long)step);
    gan_status s = gan_png_write_grid(path, x->data, x->shape[0], x->shape[1], x->shape[2],
                                      x->shape[3], 8, 2);
    snprintf(path, sizeof path, "%s/samples/latest.png", run);
    if (!s) s = gan_png_write_grid(path, x->data, x->shape[0], x->shape[1], x->shape[2],
                                   x->shape[3], 8, 2);
    return s;
}

/* FID/KID of n samples (fixed noise, stream EVAL_STREAM, EMA weights when kept), logged. */
static gan_status evaluate(evaluator *ev, gan_ctx *ctx, gan_trainer *t, const run_config *c,
                           FILE *mf, double *fid) {
    int n = c->eval_n, per = c->channels * c->size * c->size;
    float *x = malloc(sizeof(float) * (size_t)n * (size_t)per);
    float *zall = malloc(sizeof(float) * (size_t)n * (size_t)c->nz);
    gan_philox_normal(zall, (int64_t)n * c->nz, (uint64_t)c->seed, EVAL_STREAM);
    for (int i = 0; i < n; i += 256) {
        int b = n - i < 256 ? n - i : 256;
        gan_tensor *z = gan_from_data(ctx, GAN_SHAPE(b, c->nz), zall + (int64_t)i * c->nz);
        gan_tensor *g = gan_trainer_sample(t, ctx, z);
        memcpy(x + (int64_t)i * per, g->data, sizeof(float) * (size_t)b * (size_t)per);
        gan_ctx_reset(ctx);
    }
    free(zall);
    eval_result r;
    gan_status s = evaluator_run(ev, x, n, c->channels, c->size, c->size, EVAL_FID | EVAL_KID, &r);
    free(x);
    if (s) return s;
    *fid = r.fid;
    fprintf(mf, "{\"step\": %lld, \"fid\": %.9g, \"kid\": %.6g, \"kid_std\": %.6g, \"eval_n\": %d}\n",
            (long long)t->game.step, r.fid, r.kid, r.kid_std, n);
    fflush(mf);
    fprintf(stderr, "%sgan train: step %lld: FID %.3f  KID %.5f\n", isatty(2) ? "\r\033[K" : "",
            (long long)t->game.step, r.fid, r.kid);
    return GAN_OK;
}

/* checkpoints/best.safetensors: the lowest-FID state so far (FID in its metadata). */
static gan_status save_best(const char *run, gan_model *m, gan_trainer *t, const char *json,
                            double fid) {
    char path[4200], v[64];
    snprintf(path, sizeof path, "%s/checkpoints/best.safetensors", run);
    snprintf(v, sizeof v, "%.9g", fid);
    const char *k = "gan.fid", *vp = v;
    return gan_checkpoint_save_ex(path, m, t, json, 1, &k, &vp);
}

/* ring8: 2,000 samples from fixed noise, scaled back, plotted and measured. */
static gan_status write_ring(gan_ctx *ctx, gan_trainer *t, gan_tensor *zfix, const char *run,
                             int64_t step, gan_ring8_meter *meter) {
    gan_tensor *x = gan_trainer_sample(t, ctx, zfix);
    for (int64_t i = 0; i < x->numel; i++) x->data[i] *= RING_SCALE;
    char path[4200];
    snprintf(path, sizeof path, "%s/samples/step_%06lld.png", run, (long long)step);
    gan_status s = gan_ring8_plot(path, x->data, x->shape[0], 400);
    snprintf(path, sizeof path, "%s/samples/%s.png", run, meter ? "ring8" : "latest");
    if (!s) s = gan_ring8_plot(path, x->data, x->shape[0], 400);
    if (meter) *meter = gan_ring8_measure(x->data, x->shape[0]);
    return s;
}

/* --preset: the settings of the papers, applied before the user's own flags win. */
static int apply_preset(const char *p, run_config *c) {
    if (!strcmp(p, "dcgan")) return 0;
    if (!strcmp(p, "wgan")) { /* Arjovsky et al. 2017 */
        c->loss = "wgan"; c->optim = "rmsprop"; c->lr_g = c->lr_d = 5e-5f; c->n_critic = 5;
        c->clip = 0.01f;
        return 0;
    }
    if (!strcmp(p, "wgan-gp")) { /* Gulrajani et al. 2017 */
        c->loss = "wgan"; c->gp = 10; c->lr_g = c->lr_d = 1e-4f; c->beta1 = 0; c->beta2 = 0.9f;
        c->n_critic = 5; c->d_norm = "layer";
        return 0;
    }
    if (!strcmp(p, "hinge-sn")) { /* Miyato et al. 2018 (SNGAN), n_dis = 5, Adam 2e-4, 0/0.9 */
        c->loss = "hinge"; c->sn = 1; c->lr_g = c->lr_d = 2e-4f; c->beta1 = 0; c->beta2 = 0.9f;
        c->n_critic = 5; c->d_norm = "none";
        return 0;
    }
    if (!strcmp(p, "lsgan")) { /* Mao et al. 2017 */
        c->loss = "lsgan";
        return 0;
    }
    return -1;
}

static gan_status save_ckpt(const char *run, gan_model *m, gan_trainer *t, const char *json,
                            int keep_step_file) {
    char path[4200];
    gan_status s = GAN_OK;
    if (keep_step_file) {
        snprintf(path, sizeof path, "%s/checkpoints/step_%06lld.safetensors", run, (long long)t->game.step);
        s = gan_checkpoint_save(path, m, t, json);
    }
    snprintf(path, sizeof path, "%s/checkpoints/latest.safetensors", run);
    if (!s) s = gan_checkpoint_save(path, m, t, json);
    return s;
}

static int ends_with(const char *s, const char *tail) {
    size_t n = strlen(s), k = strlen(tail);
    return n >= k && !strcmp(s + n - k, tail);
}

/* The run's model: when resuming a run that saved its model.json (the spec with every param
 * resolved), that file, so a run never depends on a spec file that may have changed since;
 * otherwise --model (a zoo name, "dcgan" meaning the 28x28 DCGAN on 28x28 data, or a .json
 * file) with the flags written into the params it declares. */
static gan_status open_model(const run_config *c, const char *run, int resume, gan_model **m) {
    char path[4200];
    snprintf(path, sizeof path, "%s/model.json", run);
    if (resume && file_exists(path)) {
        gan_spec *spec;
        gan_status s = gan_spec_load(path, &spec);
        return s ? s : gan_model_from_spec(spec, (uint64_t)c->seed, m);
    }
    int dcgan28 = !strcmp(c->model, "dcgan28") || (!strcmp(c->model, "dcgan") && c->size == 28);
    gan_model_config mc = {.spec = dcgan28 ? "dcgan28" : c->model, .nz = c->nz,
                           .channels = c->channels, .size = c->size, .ngf = c->ngf,
                           .ndf = c->ndf, .d_norm = c->d_norm, .sn = c->sn ? 1 : -1,
                           .pyramid = c->pyramid ? 1 : -1};
    return gan_model_new(&mc, (uint64_t)c->seed, m);
}

/* run/model.json: the spec as built, params resolved (gan train --model RUN/model.json
 * trains the same architecture again). */
static gan_status save_model_spec(const char *run, gan_model *m) {
    char path[4200];
    snprintf(path, sizeof path, "%s/model.json", run);
    char *json = gan_spec_to_json(gan_model_spec(m));
    gan_status s = gan_write_file_atomic(path, json, strlen(json));
    gan_free(json);
    return s;
}

int cmd_train(int argc, char **argv) {
    run_config c;
    run_config_defaults(&c);
    const char *resume = NULL, *preset = NULL;
    float lr = 0;
    float time_limit = 0;
    cli_flag flags[] = {
        {"--model", FLAG_STR, &c.model, "mlp | dcgan (28x28 data: the 28x28 DCGAN; 32/64/128: pytorch/examples' DCGAN) | resnet (SNGAN's; 28, 32 or 64 pixels) [dcgan]", 0},
        {"--data", FLAG_STR, &c.data, "fashion-mnist, an IDX image file, or a folder of PNG/JPEG images", 0},
        {"--out", FLAG_STR, &c.out, "run folder to create (config.json, metrics.jsonl, samples/, checkpoints/)", 0},
        {"--resume", FLAG_STR, &resume, "continue the run in this folder from its latest checkpoint", 0},
        {"--steps", FLAG_I64, &c.steps, "total D steps [3000]", 0},
        {"--batch", FLAG_INT, &c.batch, "batch size [64]", 0},
        {"--lr", FLAG_FLOAT, &lr, "learning rate of both G and D [2e-4]", 0},
        {"--lr-g", FLAG_FLOAT, &c.lr_g, "G learning rate [2e-4]", 0},
        {"--lr-d", FLAG_FLOAT, &c.lr_d, "D learning rate [2e-4]", 0},
        {"--beta1", FLAG_FLOAT, &c.beta1, "Adam beta1 [0.5]", 0},
        {"--beta2", FLAG_FLOAT, &c.beta2, "Adam beta2 [0.999]", 0},
        {"--n-critic", FLAG_INT, &c.n_critic, "D steps per G step [1]", 0},
        {"--nz", FLAG_INT, &c.nz, "noise dimension [100]", 0},
        {"--ngf", FLAG_INT, &c.ngf, "G width of pytorch/examples' DCGAN; the ResNet's G block width [64]", 0},
        {"--ndf", FLAG_INT, &c.ndf, "D width of pytorch/examples' DCGAN; the ResNet's D block width [64]", 0},
        {"--size", FLAG_INT, &c.size, "image size (folders: resize + centre-crop; resnet on 28x28 data: 32 pads to 32) [the data's; folders 64]", 0},
        {"--seed", FLAG_I64, &c.seed, "seed of weights, noise and data order [1]", 0},
        {"--threads", FLAG_INT, &c.threads, "threads (0 = all cores) [0]", 0},
        {"--time-limit", FLAG_FLOAT, &time_limit, "stop after this many seconds of training (checkpoint saved; --resume goes on) [0: none]", 0},
        {"--sample-every", FLAG_INT, &c.sample_every, "write a sample grid every K steps [250]", 0},
        {"--ckpt-every", FLAG_INT, &c.ckpt_every, "write a checkpoint every K steps [500]", 0},
        {"--log-every", FLAG_INT, &c.log_every, "append to metrics.jsonl every K steps [50]", 0},
        {"--preset", FLAG_STR, &preset, "dcgan | wgan | wgan-gp | hinge-sn | lsgan: the paper's settings (flags given too win)", 0},
        {"--loss", FLAG_STR, &c.loss, "bce | lsgan | wgan | hinge [bce]", 0},
        {"--optim", FLAG_STR, &c.optim, "adam | rmsprop [adam]", 0},
        {"--gp", FLAG_FLOAT, &c.gp, "WGAN-GP gradient penalty weight lambda (10) [0: off]", 0},
        {"--r1", FLAG_FLOAT, &c.r1, "R1 penalty weight gamma on real data [0: off]", 0},
        {"--r1-every", FLAG_INT, &c.r1_every, "lazy R1: apply every K D steps [1]", 0},
        {"--clip", FLAG_FLOAT, &c.clip, "WGAN weight clipping of D to [-C, C] [0: off]", 0},
        {"--sn", FLAG_BOOL, &c.sn, "spectral normalisation of D's conv and linear weights", 0},
        {"--pyramid", FLAG_BOOL, &c.pyramid, "ResNet: widths double as the grid halves, --ngf/--ndf at full resolution (BigGAN's multipliers)", 0},
        {"--d-norm", FLAG_STR, &c.d_norm, "D's hidden norm: batch | layer | none [batch]", 0},
        {"--ema", FLAG_FLOAT, &c.ema, "EMA of G's weights with this decay, e.g. 0.999 (gan sample uses it) [0: off]", 0},
        {"--eval-every", FLAG_INT, &c.eval_every, "FID/KID every K steps into metrics.jsonl; keeps checkpoints/best.safetensors [0: off]", 0},
        {"--eval-n", FLAG_INT, &c.eval_n, "samples per evaluation [5000]", 0},
    };
    int nf = (int)(sizeof flags / sizeof flags[0]);
    const char *pos[1];
    int npos;
    const char *usage = "--data D --out RUN [flags]   |   gan train --resume RUN [--steps N]";
    int rc = cli_parse(CMD, usage, argc, argv, flags, nf, pos, 0, &npos);
    if (rc) return rc < 0 ? CLI_OK : rc;
    if (preset) {
        if (apply_preset(preset, &c))
            return cli_error(CMD, CLI_USAGE, "--preset: unknown preset '%s' (expected dcgan, wgan, wgan-gp, hinge-sn or lsgan)", preset);
        rc = cli_parse(CMD, usage, argc, argv, flags, nf, pos, 0, &npos); /* explicit flags win */
        if (rc) return rc < 0 ? CLI_OK : rc;
    }

    char run[4096], path[4200];
    double seconds_before = 0; /* training time of the steps before this invocation */
    if (resume) {
        for (int i = 0; i < nf; i++)
            if (flags[i].seen && strcmp(flags[i].name, "--resume") && strcmp(flags[i].name, "--steps") &&
                strcmp(flags[i].name, "--threads") && strcmp(flags[i].name, "--time-limit"))
                return cli_error(CMD, CLI_USAGE, "%s cannot be changed when resuming (only --steps, --threads and --time-limit)", flags[i].name);
        int64_t steps = c.steps;
        int threads = c.threads, steps_seen = 0, threads_seen = 0;
        for (int i = 0; i < nf; i++) {
            if (!strcmp(flags[i].name, "--steps")) steps_seen = flags[i].seen;
            if (!strcmp(flags[i].name, "--threads")) threads_seen = flags[i].seen;
        }
        snprintf(run, sizeof run, "%s", resume);
        snprintf(path, sizeof path, "%s/config.json", run);
        if (run_config_load(path, &c)) return cli_error(CMD, CLI_RUNTIME, "--resume: %s", gan_last_error());
        if (steps_seen) c.steps = steps;
        if (threads_seen) c.threads = threads;
    } else {
        if (!c.data) return cli_error(CMD, CLI_USAGE, "--data is required (e.g. --data fashion-mnist)");
        if (!c.out) return cli_error(CMD, CLI_USAGE, "--out is required (the run folder to create)");
        if (lr != 0) c.lr_g = c.lr_d = lr;
        snprintf(run, sizeof run, "%s", c.out);
    }
    if (c.steps < 1) return cli_error(CMD, CLI_USAGE, "--steps must be at least 1 (got %lld)", (long long)c.steps);
    if (c.batch < 1 || c.batch > 65536) return cli_error(CMD, CLI_USAGE, "--batch must be in 1..65536 (got %d)", c.batch);
    if (c.n_critic < 1) return cli_error(CMD, CLI_USAGE, "--n-critic must be at least 1 (got %d)", c.n_critic);
    if (!(c.lr_g > 0) || !(c.lr_d > 0)) return cli_error(CMD, CLI_USAGE, "learning rates must be positive");
    if (!(c.beta1 >= 0 && c.beta1 < 1) || !(c.beta2 >= 0 && c.beta2 < 1)) return cli_error(CMD, CLI_USAGE, "--beta1/--beta2 must be in [0, 1)");
    if (c.threads < 0) return cli_error(CMD, CLI_USAGE, "--threads must be >= 0");
    if (!(time_limit >= 0)) return cli_error(CMD, CLI_USAGE, "--time-limit must be >= 0 seconds");
    if (c.eval_every < 0 || (c.eval_every && (c.eval_n < 10 || c.eval_n > 100000)))
        return cli_error(CMD, CLI_USAGE, "--eval-every must be >= 0 and --eval-n in 10..100000");
    if (c.sample_every < 1 || c.ckpt_every < 1 || c.log_every < 1) return cli_error(CMD, CLI_USAGE, "--sample-every/--ckpt-every/--log-every must be at least 1");
    int is_resnet = !strcmp(c.model, "resnet");
    if (strcmp(c.d_norm, "batch") && strcmp(c.d_norm, "layer") && strcmp(c.d_norm, "none"))
        return cli_error(CMD, CLI_USAGE, "--d-norm: unknown norm '%s' (expected batch, layer or none)", c.d_norm);
    gan_train_opts o = gan_train_opts_default();
    o.batch = c.batch;
    o.n_critic = c.n_critic;
    o.lr_g = c.lr_g;
    o.lr_d = c.lr_d;
    o.beta1 = c.beta1;
    o.beta2 = c.beta2;
    o.seed = (uint64_t)c.seed;
    o.gp = c.gp;
    o.r1 = c.r1;
    o.r1_every = c.r1_every;
    o.clip = c.clip;
    o.ema = c.ema;
    if (gan_loss_kind_parse(c.loss, &o.loss))
        return cli_error(CMD, CLI_USAGE, "%s", gan_last_error());
    if (!strcmp(c.optim, "rmsprop")) o.optim = GAN_OPTIM_RMSPROP;
    else if (strcmp(c.optim, "adam")) return cli_error(CMD, CLI_USAGE, "--optim: unknown optimizer '%s' (expected adam or rmsprop)", c.optim);
    gan_set_threads(c.threads);

    /* data */
    gan_u8_images im = {0};
    gan_u8_labels lb = {0};
    float *points = NULL; /* ring8: 2-D points, scaled into G's tanh range */
    int ring = !strcmp(c.data, "ring8");
    if (ring) {
        if (strcmp(c.model, "mlp") && !ends_with(c.model, ".json"))
            return cli_error(CMD, CLI_USAGE, "--data ring8 holds 2-D points: use --model mlp");
        points = malloc(sizeof(float) * 2 * RING_N);
        gan_ring8_sample(points, RING_N, (uint64_t)c.seed, 77);
        for (int i = 0; i < 2 * RING_N; i++) points[i] /= RING_SCALE;
        im.n = RING_N;
        im.h = im.w = 1;
        im.c = 2;
    } else if (gan_dataset_load(c.data, c.size, &im, &lb) &&
               /* the ResNet padding 28x28 data to 32 (--size 32, or a run resumed with it) */
               !(is_resnet && c.size == 32 && !gan_dataset_load(c.data, 0, &im, &lb) && im.h == 28)) {
        gan_u8_images_free(&im);
        gan_u8_labels_free(&lb);
        return cli_error(CMD, CLI_RUNTIME, "%s", gan_last_error());
    } else {
        gan_u8_labels_free(&lb);
    }
    if (im.h != im.w) {
        gan_u8_images_free(&im);
        return cli_error(CMD, CLI_RUNTIME, "--data %s: images are %dx%d; only square images are supported (use a folder with --size)", c.data, im.h, im.w);
    }
    if (!ring) gan_u8_images_to_nchw(&im);
    /* 28x28 data trains the native 28x28 ResNet unless --size 32 asked for the 32-pixel one
     * (and runs made before the native model existed recorded size 32, so they resume padded) */
    if (is_resnet && im.h == 28 && c.size == 32) pad_to_32(&im);
    c.size = im.h;
    c.channels = im.c;
    gan_model *m;
    gan_status ms = open_model(&c, run, resume != NULL, &m);
    if (ms) {
        /* a setting the model refuses is a usage error; a spec that cannot be read or built is not */
        gan_u8_images_free(&im);
        return cli_error(CMD, ms == GAN_ERR_ARG ? CLI_USAGE : CLI_RUNTIME, "%s", gan_last_error());
    }
    if (gan_train_opts_check(&o, m)) {
        gan_u8_images_free(&im);
        gan_model_free(m);
        return cli_error(CMD, CLI_USAGE, "%s", gan_last_error());
    }

    /* run folder */
    int ret = CLI_RUNTIME;
    char *json = run_config_to_json(&c, 0), *json_pretty = run_config_to_json(&c, 1);
    gan_ctx *ctx = NULL;
    gan_batcher *batcher = NULL;
    evaluator *ev = NULL;
    double best_fid = 1e300;
    gan_trainer t;
    gan_trainer_init(&t, m, &o);
    snprintf(path, sizeof path, "%s/config.json", run);
    if (!resume && file_exists(path)) {
        cli_error(CMD, CLI_USAGE, "--out %s already holds a run; continue it with --resume %s or pick another --out", run, run);
        ret = CLI_USAGE;
        goto done;
    }
    char sub[4200];
    snprintf(sub, sizeof sub, "%s/samples", run);
    char sub2[4200];
    snprintf(sub2, sizeof sub2, "%s/checkpoints", run);
    if (make_dir(run) || make_dir(sub) || make_dir(sub2)) {
        cli_error(CMD, CLI_RUNTIME, "--out %s: cannot create the run folder: %s", run, strerror(errno));
        goto done;
    }
    if (gan_write_file_atomic(path, json_pretty, strlen(json_pretty)) || save_model_spec(run, m)) {
        cli_error(CMD, CLI_RUNTIME, "%s", gan_last_error());
        goto done;
    }
    char metrics[4200];
    snprintf(metrics, sizeof metrics, "%s/metrics.jsonl", run);
    if (resume) {
        snprintf(path, sizeof path, "%s/checkpoints/latest.safetensors", run);
        if (!file_exists(path)) {
            /* stopped before its first checkpoint: nothing was learned yet, start over */
            fprintf(stderr, "gan train: %s has no checkpoint yet; starting it from step 0\n", run);
        } else if (gan_checkpoint_load_state(path, m, &t)) {
            cli_error(CMD, CLI_RUNTIME, "--resume: %s", gan_last_error());
            goto done;
        }
        if (trim_metrics(metrics, t.game.step, &seconds_before)) {
            cli_error(CMD, CLI_RUNTIME, "%s", gan_last_error());
            goto done;
        }
        fprintf(stderr, "gan train: resuming %s at step %lld of %lld\n", run, (long long)t.game.step, (long long)c.steps);
    } else {
        remove(metrics);
        fprintf(stderr, "gan train: %s (%s, %lld G + %lld D parameters) on %s: %d images %dx%dx%d, %lld steps of batch %d\n",
                run, gan_model_get_info(m)->name, (long long)gan_net_num_params(gan_model_G(m)),
                (long long)gan_net_num_params(gan_model_D(m)), c.data, im.n, c.channels, c.size, c.size,
                (long long)c.steps, c.batch);
    }
    FILE *mf = fopen(metrics, "a");
    if (!mf) {
        cli_error(CMD, CLI_RUNTIME, "%s: cannot open for appending: %s", metrics, strerror(errno));
        goto done;
    }

    if (c.eval_every) {
        if (evaluator_open(c.data, NULL, 0, &ev)) {
            cli_error(CMD, CLI_RUNTIME, "--eval-every: %s", gan_last_error());
            fclose(mf);
            goto done;
        }
        evaluator_set_quiet(ev, 1);
        char best[4200], v[64];
        snprintf(best, sizeof best, "%s/checkpoints/best.safetensors", run);
        if (file_exists(best) && !gan_checkpoint_meta(best, "gan.fid", v, sizeof v) && v[0]) best_fid = atof(v);
    }
    ctx = gan_ctx_new(0);
    batcher = ring ? gan_batcher_new_f32(points, im.n, im.c, im.h, im.w, (uint64_t)c.seed)
                   : gan_batcher_new(im.data, im.n, im.c, im.h, im.w, (uint64_t)c.seed);
    /* the fixed noise of the sample grids lives outside the per-step arena */
    gan_ctx *fixed_ctx = gan_ctx_new(1 << 20);
    gan_tensor *zfix = gan_randn(fixed_ctx, GAN_SHAPE(ring ? RING_PLOT : N_FIXED, c.nz), (uint64_t)c.seed, FIXED_STREAM);

    signal(SIGINT, on_sigint);
    signal(SIGTERM, on_sigint);
    progress pr;
    progress_start(&pr, "train", t.game.step, c.steps);
    pr.time_limit = time_limit;
    double t0 = now_seconds();
    int timed_out = 0;
    gan_step_stats st = {0};
    float last_g = NAN;
    gan_status s = GAN_OK;
    while (t.game.step < c.steps && !interrupted && !timed_out) {
        gan_tensor *real = gan_batcher_get(batcher, ctx, t.game.step, c.batch);
        gan_trainer_step_images(&t, ctx, real, &st);
        gan_ctx_reset(ctx);
        timed_out = time_limit > 0 && now_seconds() - t0 >= time_limit && t.game.step < c.steps;
        if (!isnan(st.loss_g)) last_g = st.loss_g;
        if (!isfinite(st.loss_d)) {
            cli_error(CMD, CLI_RUNTIME, "step %lld: D loss is %g — training diverged (try a lower --lr)", (long long)t.game.step, st.loss_d);
            s = GAN_ERR_ARG;
            break;
        }
        if (t.game.step % c.log_every == 0 || t.game.step == c.steps || timed_out || interrupted) {
            fprintf(mf, "{\"step\": %lld, \"seconds\": %.3f, \"loss_d\": %.6g, \"loss_g\": %.6g, \"d_real\": %.6g, \"d_fake\": %.6g",
                    (long long)t.game.step, seconds_before + now_seconds() - t0, st.loss_d,
                    isnan(last_g) ? 0.0 : last_g, st.d_real, st.d_fake);
            if (!isnan(st.penalty)) fprintf(mf, ", \"penalty\": %.6g", st.penalty);
            fprintf(mf, "}\n");
            fflush(mf);
        }
        if (t.game.step % c.sample_every == 0 || t.game.step == c.steps || timed_out)
            if ((s = ring ? write_ring(ctx, &t, zfix, run, t.game.step, NULL) : write_grid(ctx, &t, zfix, run, t.game.step))) break;
        gan_ctx_reset(ctx);
        if (ev && (t.game.step % c.eval_every == 0 || t.game.step == c.steps)) {
            double fid;
            if ((s = evaluate(ev, ctx, &t, &c, mf, &fid))) break;
            if (fid < best_fid) {
                best_fid = fid;
                if ((s = save_best(run, m, &t, json, fid))) break;
            }
        }
        if (t.game.step % c.ckpt_every == 0 && t.game.step != c.steps)
            if ((s = save_ckpt(run, m, &t, json, 0))) break;
        char extra[160];
        snprintf(extra, sizeof extra, "loss_d %.3f loss_g %.3f D(x) %.2f D(G(z)) %.2f", st.loss_d, last_g, st.d_real, st.d_fake);
        progress_update(&pr, t.game.step, extra, t.game.step == c.steps);
    }
    if (timed_out && !s && ev && t.game.step % c.eval_every) { /* judge where the budget ended */
        double fid;
        if (!(s = evaluate(ev, ctx, &t, &c, mf, &fid)) && fid < best_fid) {
            best_fid = fid;
            s = save_best(run, m, &t, json, fid);
        }
        gan_ctx_reset(ctx);
    }
    progress_end(&pr);
    if (ring && !s) { /* the mode-collapse meter on the fixed noise */
        gan_ring8_meter rm;
        s = write_ring(ctx, &t, zfix, run, t.game.step, &rm);
        fprintf(stderr, "gan train: ring8 at step %lld: %d of 8 modes covered, %.1f%% high-quality samples (within 3 std), per mode:",
                (long long)t.game.step, rm.covered, 100.0 * rm.high_quality);
        for (int k = 0; k < GAN_RING8_MODES; k++) fprintf(stderr, " %d", rm.per_mode[k]);
        fprintf(stderr, " of %d; plot: %s/samples/ring8.png\n", rm.n, run);
        fprintf(mf, "{\"step\": %lld, \"ring8_modes_covered\": %d, \"ring8_high_quality\": %.4f}\n",
                (long long)t.game.step, rm.covered, rm.high_quality);
        gan_ctx_reset(ctx);
    }
    fclose(mf);
    gan_ctx_free(fixed_ctx);
    if (s) {
        if (s != GAN_ERR_ARG) cli_error(CMD, CLI_RUNTIME, "%s", gan_last_error());
        save_ckpt(run, m, &t, json, 0); /* keep what was learned */
        goto done;
    }
    if ((s = save_ckpt(run, m, &t, json, t.game.step == c.steps || timed_out))) {
        cli_error(CMD, CLI_RUNTIME, "%s", gan_last_error());
        goto done;
    }
    if (timed_out) {
        fprintf(stderr, "gan train: --time-limit %g s reached at step %lld of %lld; checkpoint %s/checkpoints/step_%06lld.safetensors. "
                "Continue with: gan train --resume %s\n", (double)time_limit, (long long)t.game.step, (long long)c.steps, run,
                (long long)t.game.step, run);
        ret = CLI_OK;
        goto done;
    }
    if (interrupted) {
        fprintf(stderr, "gan train: interrupted at step %lld; checkpoint saved. Continue with: gan train --resume %s\n",
                (long long)t.game.step, run);
        ret = 130;
        goto done;
    }
    fprintf(stderr, "gan train: done, %lld steps in %.1f s\n  samples:    %s/samples/latest.png\n"
            "  checkpoint: %s/checkpoints/step_%06lld.safetensors\n"
            "  sample more: gan sample %s/checkpoints/latest.safetensors --n 64 --out more.png\n",
            (long long)t.game.step, now_seconds() - t0, run, run, (long long)t.game.step, run);
    ret = CLI_OK;
done:
    gan_batcher_free(batcher);
    evaluator_free(ev);
    gan_trainer_free(&t);
    gan_ctx_free(ctx);
    free(json);
    free(json_pretty);
    gan_model_free(m);
    gan_u8_images_free(&im);
    free(points);
    return ret;
}
