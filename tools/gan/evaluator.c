/* evaluator.c — see evaluator.h. The classifier trains on the training split minus its last
 * HOLDOUT images, which stay unseen for the real-vs-real floor. */
#define _POSIX_C_SOURCE 200809L
#include "evaluator.h"
#include "progress.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define HOLDOUT 10000

struct evaluator {
    gan_classifier *cls;
    gan_u8_images train, test;
    gan_u8_labels train_labels, test_labels;
    int n_fit;                 /* training images the classifier saw */
    float *test_feats;         /* (test.n, F) */
    int F, K;
    gan_fid_stats test_stats;
    int quiet;
};

static void cache_dir(char *buf, size_t n) {
    const char *x = getenv("GAN_CACHE");
    if (x && *x) snprintf(buf, n, "%s", x);
    else if ((x = getenv("XDG_CACHE_HOME")) && *x) snprintf(buf, n, "%s/gan.c", x);
    else if ((x = getenv("HOME")) && *x) snprintf(buf, n, "%s/.cache/gan.c", x);
    else snprintf(buf, n, ".cache/gan.c");
}

static int mkdirs(const char *path) {
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s", path);
    for (char *p = tmp + 1; *p; p++)
        if (*p == '/') {
            *p = 0;
            if (mkdir(tmp, 0777) && errno != EEXIST) return -1;
            *p = '/';
        }
    return mkdir(tmp, 0777) && errno != EEXIST ? -1 : 0;
}

typedef struct { progress pr; int quiet; } train_ud;
static void on_step(void *ud, const gan_classifier_progress *p) {
    train_ud *t = ud;
    if (t->quiet) return;
    char extra[96];
    snprintf(extra, sizeof extra, "loss %.3f acc %.2f", p->loss, p->batch_accuracy);
    progress_update(&t->pr, p->step, extra, p->step == p->total);
}

/* The test split of a spec: fashion-mnist -> fashion-mnist:test; other data has none, so the
 * last HOLDOUT training images serve as "test" and the classifier sees the rest. */
gan_status evaluator_open(const char *data, const char *classifier_path, int quiet,
                          evaluator **out) {
    *out = NULL;
    evaluator *e = calloc(1, sizeof *e);
    e->quiet = quiet;
    gan_status s = gan_dataset_load(data, 0, &e->train, &e->train_labels);
    if (s) goto fail;
    if (!e->train_labels.data) {
        s = gan_fail(GAN_ERR_ARG, "--data %s: has no labels, so no feature classifier can be trained for it", data);
        goto fail;
    }
    char test_spec[4200];
    snprintf(test_spec, sizeof test_spec, "%s:test", data);
    if (!strcmp(data, "fashion-mnist") && (s = gan_dataset_load(test_spec, 0, &e->test, &e->test_labels)))
        goto fail;
    if (!e->test.data) { /* no test split: split the training data */
        if (e->train.n < 12) {
            s = gan_fail(GAN_ERR_ARG, "--data %s: too few images (%d) to hold out a test split", data, e->train.n);
            goto fail;
        }
        int hold = e->train.n / 6;
        int64_t per = (int64_t)e->train.h * e->train.w * e->train.c;
        e->test = e->train;
        e->test.n = hold;
        e->test.data = malloc((size_t)(per * hold));
        memcpy(e->test.data, e->train.data + per * (e->train.n - hold), (size_t)(per * hold));
        e->test_labels = e->train_labels;
        e->test_labels.n = hold;
        e->test_labels.data = malloc((size_t)hold);
        memcpy(e->test_labels.data, e->train_labels.data + (e->train.n - hold), (size_t)hold);
        e->train.n -= hold;
        e->train_labels.n -= hold;
    }
    e->n_fit = e->train.n > 2 * HOLDOUT ? e->train.n - HOLDOUT : e->train.n;

    char path[4200], dir[4096];
    const char *base = strrchr(data, '/') ? strrchr(data, '/') + 1 : data;
    cache_dir(dir, sizeof dir);
    if (classifier_path) snprintf(path, sizeof path, "%s", classifier_path);
    else snprintf(path, sizeof path, "%s/classifier-%s.safetensors", dir, base);
    struct stat st;
    if (stat(path, &st) == 0) {
        if ((s = gan_classifier_load(path, &e->cls))) goto fail;
    } else if (classifier_path) {
        s = gan_fail(GAN_ERR_IO, "--classifier %s: no such file", classifier_path);
        goto fail;
    } else {
        if (!quiet) fprintf(stderr, "gan eval: no feature classifier for %s in %s yet: training one (once; it is cached)\n", data, dir);
        gan_u8_images fit = e->train;
        gan_u8_labels fit_labels = e->train_labels;
        fit.n = fit_labels.n = e->n_fit;
        gan_classifier_opts o = gan_classifier_opts_default();
        train_ud ud = {.quiet = quiet};
        progress_start(&ud.pr, "classifier", 0, (int64_t)o.epochs * ((fit.n + o.batch - 1) / o.batch));
        if ((s = gan_classifier_train(&o, &fit, &fit_labels, on_step, &ud, &e->cls))) goto fail;
        if (!quiet) progress_end(&ud.pr);
        double acc = -1;
        if ((s = gan_classifier_accuracy(e->cls, &e->test, &e->test_labels, &acc))) goto fail;
        gan_classifier_set_provenance(e->cls, data, acc);
        if (mkdirs(dir)) {
            s = gan_fail(GAN_ERR_IO, "%s: cannot create the cache folder: %s", dir, strerror(errno));
            goto fail;
        }
        if ((s = gan_classifier_save(e->cls, path))) goto fail;
        if (!quiet) fprintf(stderr, "gan eval: classifier test accuracy %.2f%%, saved to %s\n", 100 * acc, path);
    }
    const gan_classifier_info *ci = gan_classifier_get_info(e->cls);
    e->F = ci->features;
    e->K = ci->classes;
    if (ci->height != e->test.h || ci->width != e->test.w || ci->channels != e->test.c) {
        s = gan_fail(GAN_ERR_MISMATCH, "%s: a classifier for %dx%dx%d images, but --data %s has %dx%dx%d",
                     path, ci->channels, ci->height, ci->width, data, e->test.c, e->test.h, e->test.w);
        goto fail;
    }
    e->test_feats = malloc(sizeof(float) * (size_t)e->test.n * (size_t)e->F);
    if ((s = gan_classifier_features_u8(e->cls, &e->test, e->test_feats, NULL))) goto fail;
    if ((s = gan_fid_stats_compute(gan_feats_f32(e->test_feats, e->test.n, e->F), &e->test_stats))) goto fail;
    *out = e;
    return GAN_OK;
fail:
    evaluator_free(e);
    return s;
}

void evaluator_free(evaluator *e) {
    if (!e) return;
    gan_classifier_free(e->cls);
    gan_u8_images_free(&e->train);
    gan_u8_images_free(&e->test);
    gan_u8_labels_free(&e->train_labels);
    gan_u8_labels_free(&e->test_labels);
    gan_fid_stats_free(&e->test_stats);
    free(e->test_feats);
    free(e);
}

int evaluator_size(const evaluator *e, int *c) {
    *c = e->test.c;
    return e->test.h;
}

static gan_status judge(evaluator *e, const float *feats, const float *probs, int n,
                        unsigned metrics, eval_result *r) {
    memset(r, 0, sizeof *r);
    r->n = n;
    gan_feats f = gan_feats_f32(feats, n, e->F), real = gan_feats_f32(e->test_feats, e->test.n, e->F);
    gan_status s = GAN_OK;
    if (metrics & EVAL_FID) {
        gan_fid_stats st;
        if ((s = gan_fid_stats_compute(f, &st))) return s;
        s = gan_fid_from_stats(&e->test_stats, &st, &r->fid);
        gan_fid_stats_free(&st);
        if (s) return s;
    }
    if (metrics & EVAL_KID) {
        gan_kid_result k;
        if ((s = gan_kid(real, f, NULL, &k))) return s;
        r->kid = k.mean;
        r->kid_std = k.std;
    }
    if (metrics & EVAL_PR) {
        gan_prdc_result p;
        if ((s = gan_prdc(real, f, 3, &p))) return s;
        r->precision = p.precision;
        r->recall = p.recall;
        r->density = p.density;
        r->coverage = p.coverage;
    }
    if (probs && e->K <= 64) {
        gan_class_stats cs;
        if ((s = gan_class_stats_compute(gan_feats_f32(probs, n, e->K), GAN_CLASS_PROBS, r->class_counts, &cs))) return s;
        r->have_classes = 1;
        r->classes = e->K;
        r->entropy = cs.entropy;
        r->confidence = cs.confidence;
    }
    return GAN_OK;
}

gan_status evaluator_run(evaluator *e, const float *images, int n, int c, int h, int w,
                         unsigned metrics, eval_result *r) {
    float *feats = malloc(sizeof(float) * (size_t)n * (size_t)e->F);
    float *probs = malloc(sizeof(float) * (size_t)n * (size_t)e->K);
    gan_status s = gan_classifier_features(e->cls, images, n, c, h, w, feats, probs);
    if (!s) s = judge(e, feats, probs, n, metrics, r);
    free(feats);
    free(probs);
    return s;
}

gan_status evaluator_floor(evaluator *e, int n, unsigned metrics, eval_result *r) {
    int avail = e->train.n - e->n_fit;
    if (avail < 2) return gan_fail(GAN_ERR_ARG, "no held-out training images for the floor");
    if (n > avail) n = avail;
    gan_u8_images held = e->train;
    int64_t per = (int64_t)held.h * held.w * held.c;
    held.data = e->train.data + per * e->n_fit;
    held.n = n;
    float *feats = malloc(sizeof(float) * (size_t)n * (size_t)e->F);
    float *probs = malloc(sizeof(float) * (size_t)n * (size_t)e->K);
    gan_status s = gan_classifier_features_u8(e->cls, &held, feats, probs);
    if (!s) s = judge(e, feats, probs, n, metrics, r);
    free(feats);
    free(probs);
    return s;
}
