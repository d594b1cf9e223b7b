/* evaluator.c — see evaluator.h. The data is cut as tools/gan/splits.h says: the classifier
 * trains on the fit split, the floor images stay unseen for the real-vs-real floor. */
#define _POSIX_C_SOURCE 200809L
#include "evaluator.h"
#include "cli.h"
#include "progress.h"
#include "splits.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

struct evaluator {
    gan_classifier *cls;
    data_splits sp;
    float *test_feats;         /* (sp.test.n, F) */
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

gan_status evaluator_open(const char *data, const char *classifier_path, int quiet,
                          evaluator **out) {
    *out = NULL;
    evaluator *e = calloc(1, sizeof *e);
    e->quiet = quiet;
    gan_status s = splits_load(data, NULL, &e->sp);
    if (s) goto fail;
    char path[4200], dir[4096];
    const char *base = strrchr(data, '/') ? strrchr(data, '/') + 1 : data;
    cache_dir(dir, sizeof dir);
    if (classifier_path) snprintf(path, sizeof path, "%s", classifier_path);
    else snprintf(path, sizeof path, "%s/classifier-%s.safetensors", dir, base);
    struct stat st;
    int have = stat(path, &st) == 0, stale = 0;
    if (have) {
        s = gan_classifier_load(path, &e->cls);
        if (s == GAN_ERR_FORMAT && !classifier_path) { /* an older format in the cache: replace it */
            if (!quiet) fprintf(stderr, "gan eval: %s: replacing it\n", gan_last_error());
            have = 0;
            stale = 1;
        } else if (s) {
            goto fail;
        }
    } else if (classifier_path) {
        s = gan_fail(GAN_ERR_IO, "--classifier %s: no such file", classifier_path);
        goto fail;
    }
    if (!have) {
        if (!quiet) fprintf(stderr, "gan eval: %s feature classifier for %s in %s yet: training one (once; it is cached)\n",
                            stale ? "no current" : "no", data, dir);
        if (mkdirs(dir)) {
            s = gan_fail(GAN_ERR_IO, "%s: cannot create the cache folder: %s", dir, strerror(errno));
            goto fail;
        }
        gan_classifier_opts o = gan_classifier_opts_default();
        if (classifier_train_file(data, NULL, path, &o, quiet, quiet ? NULL : stderr)) {
            s = gan_fail(GAN_ERR_IO, "training the feature classifier for %s failed (see above)", data);
            goto fail;
        }
        if ((s = gan_classifier_load(path, &e->cls))) goto fail;
    }
    const gan_classifier_info *ci = gan_classifier_get_info(e->cls);
    e->F = ci->features;
    e->K = ci->classes;
    const gan_u8_images *t = &e->sp.test;
    if (ci->height != t->h || ci->width != t->w || ci->channels != t->c) {
        s = gan_fail(GAN_ERR_MISMATCH, "%s: a classifier for %dx%dx%d images, but --data %s has %dx%dx%d",
                     path, ci->channels, ci->height, ci->width, data, t->c, t->h, t->w);
        goto fail;
    }
    e->test_feats = malloc(sizeof(float) * (size_t)t->n * (size_t)e->F);
    if ((s = gan_classifier_features_u8(e->cls, t, e->test_feats, NULL))) goto fail;
    if ((s = gan_fid_stats_compute(gan_feats_f32(e->test_feats, t->n, e->F), &e->test_stats))) goto fail;
    *out = e;
    return GAN_OK;
fail:
    evaluator_free(e);
    return s;
}

void evaluator_set_quiet(evaluator *e, int quiet) { e->quiet = quiet; }

void evaluator_free(evaluator *e) {
    if (!e) return;
    gan_classifier_free(e->cls);
    splits_free(&e->sp);
    gan_fid_stats_free(&e->test_stats);
    free(e->test_feats);
    free(e);
}

int evaluator_size(const evaluator *e, int *c) {
    *c = e->sp.test.c;
    return e->sp.test.h;
}

static gan_status judge(evaluator *e, const float *feats, const float *probs, int n,
                        unsigned metrics, eval_result *r) {
    memset(r, 0, sizeof *r);
    r->n = n;
    gan_feats f = gan_feats_f32(feats, n, e->F), real = gan_feats_f32(e->test_feats, e->sp.test.n, e->F);
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

/* Samples 4 pixels larger than the data come from a model trained on the data padded by 2
 * (Fashion-MNIST for the ResNet with --size 32): judge their centre, the part that holds the data. */
static float *crop_border2(const float *x, int n, int c, int h, int w) {
    int ho = h - 4, wo = w - 4;
    float *out = malloc(sizeof(float) * (size_t)n * c * ho * wo);
    for (int64_t i = 0; i < (int64_t)n * c; i++)
        for (int y = 0; y < ho; y++)
            memcpy(out + (i * ho + y) * wo, x + (i * h + y + 2) * w + 2, sizeof(float) * (size_t)wo);
    return out;
}

gan_status evaluator_run(evaluator *e, const float *images, int n, int c, int h, int w,
                         unsigned metrics, eval_result *r) {
    float *cropped = NULL;
    if (h == e->sp.test.h + 4 && w == e->sp.test.w + 4 && c == e->sp.test.c) {
        images = cropped = crop_border2(images, n, c, h, w);
        h -= 4;
        w -= 4;
    }
    float *feats = malloc(sizeof(float) * (size_t)n * (size_t)e->F);
    float *probs = malloc(sizeof(float) * (size_t)n * (size_t)e->K);
    double t0 = now_seconds();
    if (!e->quiet) fprintf(stderr, "gan eval: judging %d samples (features, then the metrics)...", n);
    gan_status s = gan_classifier_features(e->cls, images, n, c, h, w, feats, probs);
    free(cropped);
    if (!s) s = judge(e, feats, probs, n, metrics, r);
    if (!e->quiet) fprintf(stderr, " %.1f s\n", now_seconds() - t0);
    free(feats);
    free(probs);
    return s;
}

gan_status evaluator_floor(evaluator *e, int n, unsigned metrics, eval_result *r) {
    if (e->sp.floor.n < 2) return gan_fail(GAN_ERR_ARG, "no held-out training images for the floor");
    gan_u8_images held = e->sp.floor;
    if (n < held.n) held.n = n;
    n = held.n;
    float *feats = malloc(sizeof(float) * (size_t)n * (size_t)e->F);
    float *probs = malloc(sizeof(float) * (size_t)n * (size_t)e->K);
    gan_status s = gan_classifier_features_u8(e->cls, &held, feats, probs);
    if (!s) s = judge(e, feats, probs, n, metrics, r);
    free(feats);
    free(probs);
    return s;
}
