/* eval.c — `gan eval SAMPLES|CKPT --data D`: FID, KID, precision/recall and class statistics
 * of samples against the dataset's test split, in features of a classifier trained on it. */
#include "cli.h"
#include "evaluator.h"
#include "progress.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define CMD "eval"

static int ends_with(const char *s, const char *suf) {
    size_t a = strlen(s), b = strlen(suf);
    return a >= b && !strcmp(s + a - b, suf);
}

static gan_status parse_metrics(const char *s, unsigned *out) {
    *out = 0;
    char buf[256];
    snprintf(buf, sizeof buf, "%s", s);
    for (char *tok = strtok(buf, ","); tok; tok = strtok(NULL, ",")) {
        if (!strcmp(tok, "fid")) *out |= EVAL_FID;
        else if (!strcmp(tok, "kid")) *out |= EVAL_KID;
        else if (!strcmp(tok, "pr")) *out |= EVAL_PR;
        else return gan_fail(GAN_ERR_ARG, "--metrics: unknown metric '%s' (expected fid, kid, pr)", tok);
    }
    return *out ? GAN_OK : gan_fail(GAN_ERR_ARG, "--metrics: empty");
}

/* Samples as (n, c, h, w) floats in [-1, 1] from a .npy, a PNG folder or a checkpoint. */
static void eval_progress(void *ud, int done, int n) { progress_update(ud, done, NULL, done == n); }

static gan_status load_samples(const char *src, int n_ckpt, uint64_t seed, int no_ema, int size,
                               int quiet, float **out, int *n, int *c, int *h, int *w) {
    struct stat st;
    if (stat(src, &st) != 0) return gan_fail(GAN_ERR_IO, "%s: no such file or folder", src);
    if (S_ISDIR(st.st_mode)) {
        gan_u8_images im;
        gan_status s = gan_image_folder_load(src, size, &im);
        if (s) return s;
        gan_u8_images_to_nchw(&im);
        int64_t total = (int64_t)im.n * im.c * im.h * im.w;
        *out = malloc(sizeof(float) * (size_t)total);
        gan_image_from_u8(im.data, total, *out);
        *n = im.n; *c = im.c; *h = im.h; *w = im.w;
        gan_u8_images_free(&im);
        return GAN_OK;
    }
    if (ends_with(src, ".npy")) {
        gan_npy_array a;
        gan_status s = gan_npy_read(src, &a);
        if (s) return s;
        if (a.dtype == GAN_DTYPE_U8 && (a.ndim == 3 || (a.ndim == 4 && a.shape[3] <= 4))) {
            gan_u8_images im = {.data = a.data, .n = a.shape[0], .h = a.shape[1], .w = a.shape[2],
                                .c = a.ndim == 4 ? a.shape[3] : 1};
            gan_u8_images_to_nchw(&im);
            *out = malloc(sizeof(float) * (size_t)a.numel);
            gan_image_from_u8(im.data, a.numel, *out);
            *n = im.n; *c = im.c; *h = im.h; *w = im.w;
        } else if (a.dtype == GAN_DTYPE_F32 && a.ndim == 4) {
            *out = malloc(sizeof(float) * (size_t)a.numel);
            memcpy(*out, a.data, sizeof(float) * (size_t)a.numel);
            *n = a.shape[0]; *c = a.shape[1]; *h = a.shape[2]; *w = a.shape[3];
        } else {
            gan_npy_free(&a);
            return gan_fail(GAN_ERR_FORMAT, "%s: expected uint8 (N,H,W) / (N,H,W,C) or float32 (N,C,H,W) images", src);
        }
        gan_npy_free(&a);
        return GAN_OK;
    }
    /* a checkpoint: sample n_ckpt images, as `gan sample` does */
    gan_model *m;
    gan_status s = gan_checkpoint_load_model(src, !no_ema, &m);
    if (s) return s;
    const gan_model_info *mc = gan_model_get_info(m);
    int64_t per = (int64_t)mc->channels * mc->size * mc->size;
    *out = malloc(sizeof(float) * (size_t)(per * n_ckpt));
    float *z = gan_model_noise(m, n_ckpt, seed, 0);
    progress pr;
    if (!quiet) progress_start(&pr, "sample", 0, n_ckpt);
    gan_model_sample(m, NULL, NULL, z, n_ckpt, 256, *out, quiet ? NULL : eval_progress, &pr);
    if (!quiet) progress_end(&pr);
    *n = n_ckpt; *c = mc->channels; *h = *w = mc->size;
    gan_free(z);
    gan_model_free(m);
    return GAN_OK;
}

static void print_result(const char *label, const eval_result *r, unsigned metrics, int json) {
    if (json) {
        printf("{\"what\": \"%s\", \"n\": %d", label, r->n);
        if (metrics & EVAL_FID) printf(", \"fid\": %.6g", r->fid);
        if (metrics & EVAL_KID) printf(", \"kid\": %.6g, \"kid_std\": %.6g", r->kid, r->kid_std);
        if (metrics & EVAL_PR) printf(", \"precision\": %.4f, \"recall\": %.4f, \"density\": %.4f, \"coverage\": %.4f",
                                      r->precision, r->recall, r->density, r->coverage);
        if (r->have_classes) {
            printf(", \"class_entropy\": %.4f, \"confidence\": %.4f, \"class_counts\": [", r->entropy, r->confidence);
            for (int k = 0; k < r->classes; k++) printf(k ? ", %lld" : "%lld", (long long)r->class_counts[k]);
            printf("]");
        }
        printf("}\n");
        return;
    }
    printf("%-10s n %-6d", label, r->n);
    if (metrics & EVAL_FID) printf("  FID %8.3f", r->fid);
    if (metrics & EVAL_KID) printf("  KID %.5f ± %.5f", r->kid, r->kid_std);
    if (metrics & EVAL_PR) printf("  precision %.3f  recall %.3f", r->precision, r->recall);
    if (r->have_classes) {
        int present = 0;
        for (int k = 0; k < r->classes; k++) present += r->class_counts[k] > 0;
        printf("  class entropy %.3f (max %.3f)  confidence %.3f  classes %d/%d", r->entropy,
               __builtin_log((double)r->classes), r->confidence, present, r->classes);
    }
    printf("\n");
}

int cmd_eval(int argc, char **argv) {
    const char *data = NULL, *metrics_s = "fid,kid,pr", *classifier = NULL;
    int n = 10000, json = 0, floor = 0, no_ema = 0, threads = 0;
    int64_t seed = 2;
    cli_flag flags[] = {
        {"--data", FLAG_STR, &data, "the dataset the samples imitate (fashion-mnist, an IDX file with labels)", 0},
        {"--metrics", FLAG_STR, &metrics_s, "comma-separated: fid, kid, pr [fid,kid,pr]", 0},
        {"--n", FLAG_INT, &n, "samples drawn when SAMPLES is a checkpoint [10000]", 0},
        {"--seed", FLAG_I64, &seed, "noise seed when sampling a checkpoint [2]", 0},
        {"--no-ema", FLAG_BOOL, &no_ema, "sample G's own weights even when the checkpoint has EMA weights", 0},
        {"--classifier", FLAG_STR, &classifier, "feature classifier to use [cached per dataset, trained if missing]", 0},
        {"--floor", FLAG_BOOL, &floor, "also print the real-vs-real floor (held-out training images vs the test split)", 0},
        {"--json", FLAG_BOOL, &json, "one JSON line per result instead of a table", 0},
        {"--threads", FLAG_INT, &threads, "threads (0 = all cores) [0]", 0},
    };
    const char *pos[1];
    int npos;
    int rc = cli_parse(CMD, "SAMPLES.npy|FOLDER|CKPT --data D [flags]", argc, argv, flags,
                       (int)(sizeof flags / sizeof flags[0]), pos, 1, &npos);
    if (rc) return rc < 0 ? CLI_OK : rc;
    if (!data) return cli_error(CMD, CLI_USAGE, "--data is required (e.g. --data fashion-mnist)");
    if (npos != 1 && !floor) return cli_error(CMD, CLI_USAGE, "give the samples: a .npy, a folder of PNGs or a checkpoint");
    if (n < 2 || n > 1000000) return cli_error(CMD, CLI_USAGE, "--n must be in 2..1000000");
    unsigned metrics;
    if (parse_metrics(metrics_s, &metrics)) return cli_error(CMD, CLI_USAGE, "%s", gan_last_error());
    gan_set_threads(threads);
    evaluator *e;
    if (evaluator_open(data, classifier, json, &e)) return cli_error(CMD, CLI_RUNTIME, "%s", gan_last_error());
    int ret = CLI_OK, ec, es = evaluator_size(e, &ec);
    eval_result r;
    if (npos == 1) {
        float *x = NULL;
        int sn = 0, sc = 0, sh = 0, sw = 0;
        if (load_samples(pos[0], n, (uint64_t)seed, no_ema, es, json, &x, &sn, &sc, &sh, &sw)) {
            ret = cli_error(CMD, CLI_RUNTIME, "%s", gan_last_error());
        } else if (sc != ec || !((sh == es && sw == es) || (sh == es + 4 && sw == es + 4))) {
            ret = cli_error(CMD, CLI_RUNTIME, "%s: samples are %dx%dx%d but --data %s has %dx%dx%d images", pos[0], sc, sh, sw, data, ec, es, es);
        } else if (evaluator_run(e, x, sn, sc, sh, sw, metrics, &r)) {
            ret = cli_error(CMD, CLI_RUNTIME, "%s", gan_last_error());
        } else {
            print_result("samples", &r, metrics, json);
        }
        free(x);
    }
    if (ret == CLI_OK && floor) {
        if (evaluator_floor(e, 10000, metrics, &r)) ret = cli_error(CMD, CLI_RUNTIME, "%s", gan_last_error());
        else print_result("floor", &r, metrics, json);
    }
    evaluator_free(e);
    return ret;
}
