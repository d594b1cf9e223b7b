/* run.c — a training run owned by the library: the run folder, resume, the cadence of logs,
 * sample grids, checkpoints and evaluations, time limits and stopping. The caller (the CLI, or
 * any C program) turns its settings into a model, a trainer and gan_run_opts and calls gan_run. */
#include "internal.h"
#include <cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#define PATH_LEN 4200

typedef struct run {
    gan_model *m;
    gan_trainer *t;
    const gan_run_opts *o;
    int log_every, sample_every, ckpt_every, n_samples;
    float *zfix, *fixed;          /* the grids' noise and a buffer for their samples */
    FILE *metrics;
    gan_ctx *ctx;                 /* the steps' arena, also for sampling between steps */
    double seconds_before, t0, best_fid;
} run;

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void note(const run *r, const char *fmt, ...) {
    if (!r->o->message) return;
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    r->o->message(r->o->message_ud, line);
}

static void path_of(char *buf, const run *r, const char *fmt, ...) {
    char tail[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(tail, sizeof tail, fmt, ap);
    va_end(ap);
    snprintf(buf, PATH_LEN, "%s/%s", r->o->dir, tail);
}

static int exists(const char *p) {
    struct stat st;
    return stat(p, &st) == 0;
}

static gan_status make_dir(const char *p) {
    if (mkdir(p, 0777) == 0 || errno == EEXIST) return GAN_OK;
    return gan_fail(GAN_ERR_IO, "%s: cannot create the run folder: %s", p, strerror(errno));
}

/* ---------------------------------------------------------------- the folder */

/* config.json (pretty) and model.json (the spec as built, params resolved). */
static gan_status write_settings(const run *r) {
    char path[PATH_LEN];
    gan_status s = GAN_OK;
    if (r->o->config) {
        cJSON *j = cJSON_Parse(r->o->config);
        if (!j) return gan_fail(GAN_ERR_ARG, "config: not valid JSON");
        char *txt = cJSON_Print(j);
        cJSON_Delete(j);
        path_of(path, r, "config.json");
        s = gan_write_file_atomic(path, txt, strlen(txt));
        free(txt);
    }
    char *spec = gan_spec_to_json(gan_model_spec(r->m));
    path_of(path, r, "model.json");
    if (!s) s = gan_write_file_atomic(path, spec, strlen(spec));
    gan_free(spec);
    return s;
}

static gan_status create_folder(const run *r) {
    char path[PATH_LEN];
    path_of(path, r, "config.json");
    if (!r->o->resume && exists(path))
        return gan_fail(GAN_ERR_ARG, "%s already holds a run: resume it or pick another folder", r->o->dir);
    gan_status s = make_dir(r->o->dir);
    path_of(path, r, "samples");
    if (!s) s = make_dir(path);
    path_of(path, r, "checkpoints");
    if (!s) s = make_dir(path);
    if (!s) s = write_settings(r);
    return s;
}

/* Keeps the metrics lines of steps <= last_step (a resumed run replays the rest); the
 * training time the kept lines reached goes on in seconds_before. */
static gan_status trim_metrics(const char *path, int64_t last_step, double *seconds) {
    *seconds = 0;
    FILE *f = fopen(path, "rb");
    if (!f) return GAN_OK;
    size_t cap = 1 << 16, len = 0;
    char *out = malloc(cap), line[4096];
    while (fgets(line, sizeof line, f)) {
        cJSON *j = cJSON_Parse(line);
        const cJSON *st = j ? cJSON_GetObjectItemCaseSensitive(j, "step") : NULL;
        int keep = cJSON_IsNumber(st) && (int64_t)st->valuedouble <= last_step;
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
    gan_status s = gan_write_file_atomic(path, out, len);
    free(out);
    return s;
}

/* Resuming: the latest checkpoint's state, the metrics up to it, the best FID so far. */
static gan_status load_state(run *r) {
    char path[PATH_LEN], v[64];
    path_of(path, r, "checkpoints/latest.safetensors");
    gan_status s = GAN_OK;
    if (!exists(path)) /* stopped before its first checkpoint: nothing was learned yet */
        note(r, "%s has no checkpoint yet; starting it from step 0", r->o->dir);
    else if ((s = gan_checkpoint_load_state(path, r->m, r->t)))
        return s;
    path_of(path, r, "metrics.jsonl");
    if ((s = trim_metrics(path, r->t->game.step, &r->seconds_before))) return s;
    path_of(path, r, "checkpoints/best.safetensors");
    if (exists(path) && !gan_checkpoint_meta(path, "gan.fid", v, sizeof v) && v[0]) r->best_fid = atof(v);
    note(r, "resuming %s at step %lld of %lld", r->o->dir, (long long)r->t->game.step, (long long)r->o->steps);
    return GAN_OK;
}

/* ---------------------------------------------------------------- the cadence */

static gan_status save_latest(const run *r, int keep_step_file) {
    char path[PATH_LEN];
    gan_status s = GAN_OK;
    if (keep_step_file) {
        path_of(path, r, "checkpoints/step_%06lld.safetensors", (long long)r->t->game.step);
        s = gan_checkpoint_save(path, r->m, r->t, r->o->config);
    }
    path_of(path, r, "checkpoints/latest.safetensors");
    if (!s) s = gan_checkpoint_save(path, r->m, r->t, r->o->config);
    return s;
}

static gan_status write_grid(const run *r) {
    const gan_model_info *in = gan_model_get_info(r->m);
    int n = r->n_samples, c = in->channels, hw = in->size;
    gan_status s = gan_model_sample(r->m, gan_trainer_ema(r->t), r->ctx, r->zfix, n, 0, r->fixed, NULL, NULL);
    if (s) return s;
    if (r->o->samples) return r->o->samples(r->o->samples_ud, r->o->dir, r->t->game.step, r->fixed, n, c, hw, hw);
    char path[PATH_LEN];
    int cols = (int)ceil(sqrt((double)n));
    path_of(path, r, "samples/step_%06lld.png", (long long)r->t->game.step);
    s = gan_png_write_grid(path, r->fixed, n, c, hw, hw, cols, 2);
    path_of(path, r, "samples/latest.png");
    if (!s) s = gan_png_write_grid(path, r->fixed, n, c, hw, hw, cols, 2);
    return s;
}

static void log_step(const run *r, const gan_step_stats *st, float last_g) {
    FILE *f = r->metrics;
    fprintf(f, "{\"step\": %lld, \"seconds\": %.3f, \"loss_d\": %.6g, \"loss_g\": %.6g, \"d_real\": %.6g, \"d_fake\": %.6g",
            (long long)r->t->game.step, r->seconds_before + now() - r->t0, st->loss_d,
            isnan(last_g) ? 0.0 : last_g, st->d_real, st->d_fake);
    if (!isnan(st->penalty)) fprintf(f, ", \"penalty\": %.6g", st->penalty);
    fprintf(f, "}\n");
    fflush(f);
}

/* FID/KID of eval_n samples of the evaluation noise, logged; a new best is kept. */
static gan_status evaluate(run *r) {
    const gan_run_opts *o = r->o;
    const gan_model_info *in = gan_model_get_info(r->m);
    int n = o->eval_n;
    int64_t per = (int64_t)in->channels * in->size * in->size;
    float *z = gan_model_noise(r->m, n, r->t->opts.seed, GAN_RUN_EVAL_STREAM);
    float *x = gan_malloc(sizeof(float) * (size_t)(per * n));
    double fid, kid, kid_std;
    gan_status s = gan_model_sample(r->m, gan_trainer_ema(r->t), r->ctx, z, n, 0, x, NULL, NULL);
    if (!s) s = o->eval(o->eval_ud, x, n, in->channels, in->size, in->size, &fid, &kid, &kid_std);
    gan_free(z);
    gan_free(x);
    if (s) return s;
    fprintf(r->metrics, "{\"step\": %lld, \"fid\": %.9g, \"kid\": %.6g, \"kid_std\": %.6g, \"eval_n\": %d}\n",
            (long long)r->t->game.step, fid, kid, kid_std, n);
    fflush(r->metrics);
    note(r, "step %lld: FID %.3f  KID %.5f", (long long)r->t->game.step, fid, kid);
    if (fid >= r->best_fid) return GAN_OK;
    r->best_fid = fid;
    char path[PATH_LEN], v[64];
    path_of(path, r, "checkpoints/best.safetensors");
    snprintf(v, sizeof v, "%.9g", fid);
    const char *k = "gan.fid", *vp = v;
    return gan_checkpoint_save_ex(path, r->m, r->t, o->config, 1, &k, &vp);
}

/* What is due after the step just done. */
static gan_status after_step(run *r, int last) {
    const gan_run_opts *o = r->o;
    int64_t step = r->t->game.step;
    gan_status s = GAN_OK;
    if (step % r->sample_every == 0 || last) s = write_grid(r);
    if (!s && o->eval_every && (step % o->eval_every == 0 || step == o->steps)) s = evaluate(r);
    if (!s && step % r->ckpt_every == 0 && step != o->steps) s = save_latest(r, 0);
    return s;
}

/* ---------------------------------------------------------------- the loop */

static gan_status train(run *r, gan_run_result *res) {
    const gan_run_opts *o = r->o;
    gan_trainer *t = r->t;
    gan_ctx *ctx = r->ctx = gan_ctx_new(0);
    gan_step_stats st = {0};
    float last_g = NAN;
    gan_status s = GAN_OK;
    int timed_out = 0, stopped = 0;
    if (o->progress) { /* where this call starts: rates and ETAs count from here */
        gan_run_progress p = {t->game.step, o->steps, r->seconds_before, NULL, NAN};
        o->progress(o->progress_ud, &p);
    }
    while (t->game.step < o->steps && !stopped && !timed_out) {
        gan_batch b = {0};
        if ((s = o->batch(o->batch_ud, ctx, t->game.step, t->opts.batch, &b))) break;
        gan_trainer_step(t, ctx, &b, &st);
        gan_ctx_reset(ctx);
        timed_out = o->time_limit > 0 && now() - r->t0 >= o->time_limit && t->game.step < o->steps;
        stopped = o->stop && *o->stop;
        if (!isnan(st.loss_g)) last_g = st.loss_g;
        if (!isfinite(st.loss_d)) {
            s = gan_fail(GAN_ERR_ARG, "step %lld: D loss is %g: training diverged (try a lower lr)",
                         (long long)t->game.step, (double)st.loss_d);
            break;
        }
        int64_t step = t->game.step;
        if (step % r->log_every == 0 || step == o->steps || timed_out || stopped) log_step(r, &st, last_g);
        if ((s = after_step(r, step == o->steps || timed_out))) break;
        if (o->progress) {
            gan_run_progress p = {step, o->steps, r->seconds_before + now() - r->t0, &st, last_g};
            o->progress(o->progress_ud, &p);
        }
    }
    /* judge where a time budget ended */
    if (!s && timed_out && o->eval_every && t->game.step % o->eval_every) s = evaluate(r);
    gan_ctx_free(ctx);
    res->end = timed_out ? GAN_RUN_TIME_LIMIT : stopped ? GAN_RUN_STOPPED : GAN_RUN_DONE;
    return s;
}

gan_status gan_run(gan_model *m, gan_trainer *t, const gan_run_opts *o, gan_run_result *res) {
    memset(res, 0, sizeof *res);
    if (!o->dir || !o->batch) return gan_fail(GAN_ERR_ARG, "gan_run: dir and batch are required");
    if (o->steps < 1) return gan_fail(GAN_ERR_ARG, "steps: must be at least 1 (got %lld)", (long long)o->steps);
    if (o->eval_every < 0 || (o->eval_every && (!o->eval || o->eval_n < 1)))
        return gan_fail(GAN_ERR_ARG, "eval_every: needs an evaluator and eval_n >= 1");
    run r = {.m = m, .t = t, .o = o, .best_fid = 1e300};
    r.log_every = o->log_every > 0 ? o->log_every : 50;
    r.sample_every = o->sample_every > 0 ? o->sample_every : 250;
    r.ckpt_every = o->ckpt_every > 0 ? o->ckpt_every : 500;
    r.n_samples = o->n_samples > 0 ? o->n_samples : 64;
    gan_status s = create_folder(&r);
    char path[PATH_LEN];
    path_of(path, &r, "metrics.jsonl");
    if (!s && o->resume) s = load_state(&r);
    else if (!s) remove(path);
    if (s) return s;
    if (!(r.metrics = fopen(path, "a")))
        return gan_fail(GAN_ERR_IO, "%s: cannot open for appending: %s", path, strerror(errno));
    const gan_model_info *in = gan_model_get_info(m);
    r.zfix = gan_model_noise(m, r.n_samples, t->opts.seed, GAN_RUN_FIXED_STREAM);
    r.fixed = gan_malloc(sizeof(float) * (size_t)r.n_samples * (size_t)(in->channels * in->size * in->size));
    r.t0 = now();
    s = train(&r, res);
    fclose(r.metrics);
    gan_free(r.zfix);
    gan_free(r.fixed);
    /* a failed run still keeps what was learned; a finished one keeps a file per end point */
    gan_status saved = save_latest(&r, !s && res->end != GAN_RUN_STOPPED);
    if (!s) s = saved;
    res->step = t->game.step;
    res->seconds = now() - r.t0;
    res->best_fid = r.best_fid < 1e300 ? r.best_fid : 0;
    return s;
}

gan_status gan_run_model(const char *dir, int resume, const gan_model_config *mc, uint64_t seed,
                         gan_model **out) {
    char path[PATH_LEN];
    snprintf(path, sizeof path, "%s/model.json", dir);
    if (resume && exists(path)) {
        gan_spec *spec;
        gan_status s = gan_spec_load(path, &spec);
        return s ? s : gan_model_from_spec(spec, seed, out);
    }
    return gan_model_new(mc, seed, out);
}
