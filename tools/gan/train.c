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
#define RING_N 65536        /* ring8 training points */
#define RING_PLOT 2000      /* ring8 samples plotted and measured */
#define RING_SCALE 2.5f     /* ring8 points / 2.5 fit G's tanh range */

static volatile sig_atomic_t interrupted;   /* gan_run's stop flag */
static void on_sigint(int sig) { (void)sig; interrupted = 1; }

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

/* --preset: the library's table of the papers' settings, written into the flags' values
 * (the fields it changes) before the user's own flags are parsed again and win. */
static int apply_preset(const char *p, run_config *c, int *set) {
    gan_train_opts d = gan_train_opts_default(), o = d;
    gan_model_config mc = {0};
    if (gan_preset_apply(p, &o, &mc)) return -1;
    if (o.loss != d.loss) c->loss = gan_loss_kind_name(o.loss);
    if (o.optim != d.optim) c->optim = gan_optim_kind_name(o.optim);
    if (o.lr_g != d.lr_g) c->lr_g = o.lr_g;
    if (o.lr_d != d.lr_d) c->lr_d = o.lr_d;
    if (o.beta1 != d.beta1) c->beta1 = o.beta1;
    if (o.beta2 != d.beta2) c->beta2 = o.beta2;
    if (o.n_critic != d.n_critic) c->n_critic = o.n_critic;
    if (o.clip != d.clip) c->clip = o.clip;
    if (o.gp != d.gp) c->gp = o.gp;
    if (o.r1 != d.r1) c->r1 = o.r1;
    if (o.ema != d.ema) c->ema = o.ema;
    if (mc.d_norm) c->d_norm = mc.d_norm, set[3] = 1;
    if (mc.sn) c->sn = mc.sn > 0, set[4] = 1;
    return 0;
}

/* ---------------------------------------------------------------- gan_run's hooks */

/* The training data: a gan_source (every --data spec it knows: fashion-mnist, IDX files,
 * folders, classes:, paired:, tags:, captions:, audio: ...; the trainer reads its "image"),
 * or through a gan_batcher ring8's points and 28x28 images padded to 32 for the ResNet. */
typedef struct train_data {
    gan_source *src;
    gan_batcher *batcher;
    gan_u8_images im;
    float *points;
    int n, c, h, w;
} train_data;

static void close_data(train_data *d) {
    gan_source_free(d->src);
    gan_batcher_free(d->batcher);
    gan_u8_images_free(&d->im);
    free(d->points);
    memset(d, 0, sizeof *d);
}

static gan_status open_ring(const run_config *c, train_data *d) {
    d->points = malloc(sizeof(float) * 2 * RING_N);
    gan_ring8_sample(d->points, RING_N, (uint64_t)c->seed, 77);
    for (int i = 0; i < 2 * RING_N; i++) d->points[i] /= RING_SCALE;
    d->n = RING_N, d->c = 2, d->h = d->w = 1;
    d->batcher = gan_batcher_new_f32(d->points, d->n, d->c, d->h, d->w, (uint64_t)c->seed);
    return GAN_OK;
}

/* The ResNet asked for 32 pixels (--size 32, or a run resumed with it) on 28x28 data. */
static gan_status open_padded(const run_config *c, train_data *d) {
    gan_u8_labels lb = {0};
    gan_status s = gan_dataset_load(c->data, 0, &d->im, &lb);
    gan_u8_labels_free(&lb);
    if (s || d->im.h != 28 || d->im.w != 28) return GAN_ERR_MISMATCH;
    gan_u8_images_to_nchw(&d->im);
    pad_to_32(&d->im);
    d->n = d->im.n, d->c = d->im.c, d->h = d->im.h, d->w = d->im.w;
    d->batcher = gan_batcher_new(d->im.data, d->n, d->c, d->h, d->w, (uint64_t)c->seed);
    return GAN_OK;
}

static gan_status open_data(const run_config *c, int is_resnet, train_data *d) {
    if (!strcmp(c->data, "ring8")) return open_ring(c, d);
    gan_source_opts so = {.size = c->size, .seed = (uint64_t)c->seed, .audio_loader = gan_wav_loader};
    gan_status s = gan_source_open(c->data, &so, &d->src);
    if (s && is_resnet && c->size == 32) {
        char why[1024];
        snprintf(why, sizeof why, "%s", gan_last_error());
        if (!open_padded(c, d)) return GAN_OK;
        close_data(d);
        return gan_fail(s, "%s", why);
    }
    if (s) return s;
    const gan_field_info *f = gan_source_find(d->src, "image");
    if (!f || f->ndim != 3)
        return gan_fail(GAN_ERR_ARG, "--data %s: a %s source has no \"image\" field to train on", c->data,
                        gan_source_kind(d->src));
    d->n = (int)gan_source_len(d->src, 0);
    d->c = f->shape[0], d->h = f->shape[1], d->w = f->shape[2];
    return GAN_OK;
}

typedef struct train_ui {
    progress pr;
    int started;
    double time_limit;
    train_data *data;
    evaluator *ev;
} train_ui;

static gan_status next_batch(void *ud, gan_ctx *ctx, int64_t step, int batch, gan_batch *out) {
    train_data *d = ((train_ui *)ud)->data;
    if (d->src) return gan_source_batch(d->src, ctx, step, batch, out);
    gan_batch_put(out, "image", gan_batcher_get(d->batcher, ctx, step, batch));
    return GAN_OK;
}

static void on_progress(void *ud, const gan_run_progress *p) {
    train_ui *ui = ud;
    if (!p->stats) {
        progress_start(&ui->pr, "train", p->step, p->steps);
        ui->pr.time_limit = ui->time_limit;
        ui->started = 1;
        return;
    }
    char extra[160];
    snprintf(extra, sizeof extra, "loss_d %.3f loss_g %.3f D(x) %.2f D(G(z)) %.2f", p->stats->loss_d,
             p->loss_g, p->stats->d_real, p->stats->d_fake);
    progress_update(&ui->pr, p->step, extra, p->step == p->steps);
}

static void on_message(void *ud, const char *line) {
    (void)ud;
    fprintf(stderr, "%sgan train: %s\n", isatty(2) ? "\r\033[K" : "", line);
}

static gan_status on_eval(void *ud, const float *x, int n, int c, int h, int w, double *fid,
                          double *kid, double *kid_std) {
    train_ui *ui = ud;
    eval_result r;
    gan_status s = evaluator_run(ui->ev, x, n, c, h, w, EVAL_FID | EVAL_KID, &r);
    *fid = r.fid;
    *kid = r.kid;
    *kid_std = r.kid_std;
    return s;
}

/* ring8: the points scaled back and plotted into samples/step_N.png and samples/NAME.png. */
static gan_status plot_ring(const char *dir, int64_t step, const float *x, int n, const char *name,
                            gan_ring8_meter *meter) {
    float *p = malloc(sizeof(float) * 2 * (size_t)n);
    for (int64_t i = 0; i < 2 * (int64_t)n; i++) p[i] = x[i] * RING_SCALE;
    char path[4200];
    snprintf(path, sizeof path, "%s/samples/step_%06lld.png", dir, (long long)step);
    gan_status s = gan_ring8_plot(path, p, n, 400);
    snprintf(path, sizeof path, "%s/samples/%s.png", dir, name);
    if (!s) s = gan_ring8_plot(path, p, n, 400);
    if (meter) *meter = gan_ring8_measure(p, n);
    free(p);
    return s;
}

static gan_status ring_samples(void *ud, const char *dir, int64_t step, const float *x, int n,
                               int c, int h, int w) {
    return plot_ring(dir, step, x, n, "latest", NULL);
}

/* ring8's mode-collapse meter on the fixed noise, at the end. */
static gan_status ring_report(gan_model *m, gan_trainer *t, const char *run) {
    float *z = gan_model_noise(m, RING_PLOT, t->opts.seed, GAN_RUN_FIXED_STREAM);
    float *x = malloc(sizeof(float) * 2 * RING_PLOT);
    gan_ring8_meter rm;
    gan_status s = gan_model_sample(m, gan_trainer_ema(t), NULL, z, RING_PLOT, 0, x, NULL, NULL);
    if (!s) s = plot_ring(run, t->game.step, x, RING_PLOT, "ring8", &rm);
    gan_free(z);
    free(x);
    if (s) return s;
    fprintf(stderr, "gan train: ring8 at step %lld: %d of 8 modes covered, %.1f%% high-quality samples (within 3 std), per mode:",
            (long long)t->game.step, rm.covered, 100.0 * rm.high_quality);
    for (int k = 0; k < GAN_RING8_MODES; k++) fprintf(stderr, " %d", rm.per_mode[k]);
    fprintf(stderr, " of %d; plot: %s/samples/ring8.png\n", rm.n, run);
    char path[4200];
    snprintf(path, sizeof path, "%s/metrics.jsonl", run);
    FILE *mf = fopen(path, "a");
    if (!mf) return gan_fail(GAN_ERR_IO, "%s: cannot open for appending: %s", path, strerror(errno));
    fprintf(mf, "{\"step\": %lld, \"ring8_modes_covered\": %d, \"ring8_high_quality\": %.4f}\n",
            (long long)t->game.step, rm.covered, rm.high_quality);
    fclose(mf);
    return GAN_OK;
}

static int ends_with(const char *s, const char *tail) {
    size_t n = strlen(s), k = strlen(tail);
    return n >= k && !strcmp(s + n - k, tail);
}

/* The flags that set a model's params of the same name. */
static const char *const model_flags[] = {"--nz", "--ngf", "--ndf", "--d-norm", "--sn", "--pyramid"};
enum { N_MODEL_FLAGS = 6 };

/* --model: a zoo name ("dcgan" meaning the 28x28 DCGAN on 28x28 data) or a .json file. The
 * params get the flags that were given (set[i] for model_flags[i]: on the command line or by
 * the preset); the others keep the spec's defaults (the zoo's are gan train's defaults). The
 * data decides channels and size. */
static gan_model_config model_config(const run_config *c, const int *set) {
    int dcgan28 = !strcmp(c->model, "dcgan28") || (!strcmp(c->model, "dcgan") && c->size == 28);
    return (gan_model_config){.spec = dcgan28 ? "dcgan28" : c->model, .channels = c->channels,
                              .size = c->size, .nz = set[0] ? c->nz : 0, .ngf = set[1] ? c->ngf : 0,
                              .ndf = set[2] ? c->ndf : 0, .d_norm = set[3] ? c->d_norm : NULL,
                              .sn = set[4] ? (c->sn ? 1 : -1) : 0,
                              .pyramid = set[5] ? (c->pyramid ? 1 : -1) : 0};
}

/* A flag given for a param the model does not have is a mistake worth saying (the library
 * ignores widths a spec lacks); then the config records the values the model really has. */
static int check_model_flags(const int *given, gan_model *m, run_config *c) {
    static const char *const params[N_MODEL_FLAGS] = {"nz", "ngf", "ndf", "d_norm", "sn", "pyramid"};
    const gan_spec *spec = gan_model_spec(m);
    for (int i = 0; i < N_MODEL_FLAGS; i++)
        /* "--d-norm none" states what a net without the param has (the README's ResNet) */
        if (given[i] && !gan_spec_has_param(spec, params[i]) && !(i == 3 && !strcmp(c->d_norm, "none")))
            return cli_error(CMD, CLI_USAGE, "%s: model %s has no param '%s'", model_flags[i],
                             gan_spec_name(spec), params[i]);
    int64_t v;
    int *ints[3] = {&c->nz, &c->ngf, &c->ndf};
    for (int i = 0; i < 3; i++)
        if (gan_spec_has_param(spec, params[i]) && !gan_spec_eval_int(spec, params[i], &v)) *ints[i] = (int)v;
    c->sn = gan_model_get_info(m)->sn;
    return 0;
}

int cmd_train(int argc, char **argv) {
    run_config c;
    run_config_defaults(&c);
    const char *resume = NULL, *preset = NULL;
    float lr = 0;
    float time_limit = 0;
    cli_flag flags[] = {
        {"--model", FLAG_STR, &c.model, "mlp | dcgan (28x28 data: the 28x28 DCGAN; 32/64/128: pytorch/examples' DCGAN) | resnet (SNGAN's; 28, 32 or 64 pixels) | FILE.json, a spec of your own (docs/MODELS.md) [dcgan]", 0},
        {"--data", FLAG_STR, &c.data, "fashion-mnist, an IDX image file, a folder of PNG/JPEG images (transparency composited onto white), ring8 (2-D points), or a source: classes:DIR, paired:DIR, ab:DIR, unpaired:DIR, captions:F, tags:F, audio:F (its \"image\" is trained on)", 0},
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
    int model_set[N_MODEL_FLAGS] = {0}, model_given[N_MODEL_FLAGS] = {0};
    if (preset) {
        if (apply_preset(preset, &c, model_set))
            return cli_error(CMD, CLI_USAGE, "--preset: unknown preset '%s' (expected dcgan, wgan, wgan-gp, hinge-sn or lsgan)", preset);
        rc = cli_parse(CMD, usage, argc, argv, flags, nf, pos, 0, &npos); /* explicit flags win */
        if (rc) return rc < 0 ? CLI_OK : rc;
    }

    for (int i = 0; i < nf; i++)
        for (int k = 0; k < N_MODEL_FLAGS; k++)
            if (flags[i].seen && !strcmp(flags[i].name, model_flags[k])) model_set[k] = model_given[k] = 1;
    char run[4096], path[4200];
    if (resume) {
        /* a run from before model.json: its config holds every value, as gan train used them */
        for (int k = 0; k < N_MODEL_FLAGS; k++) model_set[k] = 1;
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
    int is_resnet = !strcmp(c.model, "resnet"), ring = !strcmp(c.data, "ring8");
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
    train_data data = {0};
    if (ring && strcmp(c.model, "mlp") && !ends_with(c.model, ".json"))
        return cli_error(CMD, CLI_USAGE, "--data ring8 holds 2-D points: use --model mlp");
    if (open_data(&c, is_resnet, &data)) {
        close_data(&data);
        return cli_error(CMD, CLI_RUNTIME, "%s", gan_last_error());
    }
    if (data.h != data.w) {
        close_data(&data);
        return cli_error(CMD, CLI_RUNTIME, "--data %s: images are %dx%d; only square images are supported (use a folder with --size)", c.data, data.h, data.w);
    }
    c.size = data.h;
    c.channels = data.c;
    gan_model *m;
    gan_model_config mc = model_config(&c, model_set);
    gan_status ms = gan_run_model(run, resume != NULL, &mc, (uint64_t)c.seed, &m);
    if (ms) {
        /* a setting the model refuses is a usage error; a spec that cannot be read or built is not */
        close_data(&data);
        return cli_error(CMD, ms == GAN_ERR_ARG ? CLI_USAGE : CLI_RUNTIME, "%s", gan_last_error());
    }
    if (check_model_flags(model_given, m, &c)) {
        close_data(&data);
        gan_model_free(m);
        return CLI_USAGE;
    }
    if (gan_train_opts_check(&o, m)) {
        close_data(&data);
        gan_model_free(m);
        return cli_error(CMD, CLI_USAGE, "%s", gan_last_error());
    }

    /* the run */
    int ret = CLI_RUNTIME;
    char *json = run_config_to_json(&c, 0);
    train_ui ui = {.time_limit = time_limit};
    gan_trainer t;
    gan_trainer_init(&t, m, &o);
    snprintf(path, sizeof path, "%s/config.json", run);
    if (!resume && file_exists(path)) {
        cli_error(CMD, CLI_USAGE, "--out %s already holds a run; continue it with --resume %s or pick another --out", run, run);
        ret = CLI_USAGE;
        goto done;
    }
    if (c.eval_every) {
        if (evaluator_open(c.data, NULL, 0, &ui.ev)) {
            cli_error(CMD, CLI_RUNTIME, "--eval-every: %s", gan_last_error());
            goto done;
        }
        evaluator_set_quiet(ui.ev, 1);
    }
    if (!resume)
        fprintf(stderr, "gan train: %s (%s, %lld G + %lld D parameters) on %s: %d images %dx%dx%d, %lld steps of batch %d\n",
                run, gan_model_get_info(m)->name, (long long)gan_net_num_params(gan_model_G(m)),
                (long long)gan_net_num_params(gan_model_D(m)), c.data, data.n, c.channels, c.size, c.size,
                (long long)c.steps, c.batch);
    ui.data = &data;
    gan_run_opts ro = {.dir = run, .resume = resume != NULL, .steps = c.steps,
                       .log_every = c.log_every, .sample_every = c.sample_every,
                       .ckpt_every = c.ckpt_every, .eval_every = c.eval_every, .eval_n = c.eval_n,
                       .time_limit = time_limit, .config = json,
                       .batch = next_batch, .batch_ud = &ui,
                       .eval = on_eval, .eval_ud = &ui,
                       .samples = ring ? ring_samples : NULL, .n_samples = ring ? RING_PLOT : 0,
                       .progress = on_progress, .progress_ud = &ui,
                       .message = on_message, .stop = &interrupted};
    signal(SIGINT, on_sigint);
    signal(SIGTERM, on_sigint);
    gan_run_result rr;
    gan_status s = gan_run(m, &t, &ro, &rr);
    if (ui.started) progress_end(&ui.pr);
    if (!s && ring) s = ring_report(m, &t, run);
    if (s) {
        cli_error(CMD, CLI_RUNTIME, "%s", gan_last_error());
        goto done;
    }
    if (rr.end == GAN_RUN_TIME_LIMIT) {
        fprintf(stderr, "gan train: --time-limit %g s reached at step %lld of %lld; checkpoint %s/checkpoints/step_%06lld.safetensors. "
                "Continue with: gan train --resume %s\n", (double)time_limit, (long long)rr.step, (long long)c.steps, run,
                (long long)rr.step, run);
    } else if (rr.end == GAN_RUN_STOPPED) {
        fprintf(stderr, "gan train: interrupted at step %lld; checkpoint saved. Continue with: gan train --resume %s\n",
                (long long)rr.step, run);
        ret = 130;
        goto done;
    } else {
        fprintf(stderr, "gan train: done, %lld steps in %.1f s\n  samples:    %s/samples/latest.png\n"
                "  checkpoint: %s/checkpoints/step_%06lld.safetensors\n"
                "  sample more: gan sample %s/checkpoints/latest.safetensors --n 64 --out more.png\n",
                (long long)rr.step, rr.seconds, run, run, (long long)rr.step, run);
    }
    ret = CLI_OK;
done:
    evaluator_free(ui.ev);
    gan_trainer_free(&t);
    free(json);
    gan_model_free(m);
    close_data(&data);
    return ret;
}
