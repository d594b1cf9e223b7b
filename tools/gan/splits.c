/* splits.c — see splits.h. */
#include "splits.h"
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

int splits_test_spec(const char *data, char *buf, size_t n) {
    buf[0] = 0;
    if (!strcmp(data, "fashion-mnist") || !strcmp(data, "fashion-mnist:train")) {
        snprintf(buf, n, "fashion-mnist:test");
        return 1;
    }
    const char *base = strrchr(data, '/');
    base = base ? base + 1 : data;
    if (strncmp(base, "train-", 6) != 0) return 0;
    struct stat st;
    int k = snprintf(buf, n, "%.*st10k-%s", (int)(base - data), data, base + 6);
    if (k < 0 || (size_t)k >= n || stat(buf, &st) != 0) {
        buf[0] = 0;
        return 0;
    }
    return 1;
}

gan_status splits_load_labelled(const char *spec, gan_u8_images *im, gan_u8_labels *lb) {
    gan_status s = gan_dataset_load(spec, 0, im, lb);
    if (s) return s;
    if (!lb->data) {
        gan_u8_images_free(im);
        return gan_fail(GAN_ERR_ARG, "--data %s: no labels (a classifier needs labelled data: an IDX "
                        "file with its labels file beside it)", spec);
    }
    return GAN_OK;
}

/* images [first, first + n) of (im, lb) as views */
static void view(const gan_u8_images *im, const gan_u8_labels *lb, int first, int n,
                 gan_u8_images *vim, gan_u8_labels *vlb) {
    *vim = *im;
    vim->data = im->data + (size_t)first * im->h * im->w * im->c;
    vim->n = n;
    *vlb = *lb;
    vlb->data = lb->data + first;
    vlb->n = n;
}

gan_status splits_load(const char *data, const char *test, data_splits *s) {
    memset(s, 0, sizeof *s);
    gan_status st = splits_load_labelled(data, &s->all, &s->all_labels);
    if (st) return st;
    int n = s->all.n;
    char spec[4200];
    if (test && !strcmp(test, "none")) {
        snprintf(s->test_name, sizeof s->test_name, "nothing (--test none)");
    } else if (test || splits_test_spec(data, spec, sizeof spec)) {
        const char *name = test ? test : spec;
        if ((st = splits_load_labelled(name, &s->test_own, &s->test_own_labels))) goto fail;
        if (s->test_own.c != s->all.c || s->test_own.h != s->all.h || s->test_own.w != s->all.w) {
            st = gan_fail(GAN_ERR_MISMATCH, "test set %s holds %dx%dx%d images, the training data %s %dx%dx%d",
                          name, s->test_own.h, s->test_own.w, s->test_own.c, data, s->all.h, s->all.w, s->all.c);
            goto fail;
        }
        s->test = s->test_own;
        s->test_labels = s->test_own_labels;
        snprintf(s->test_name, sizeof s->test_name, "%s", name);
    } else {
        int nt = n / 10;
        if (nt < 2) {
            st = gan_fail(GAN_ERR_ARG, "--data %s: too few images (%d) to hold out a test split", data, n);
            goto fail;
        }
        n -= nt;
        view(&s->all, &s->all_labels, n, nt, &s->test, &s->test_labels);
        snprintf(s->test_name, sizeof s->test_name, "the last %d images of %s (held out)", nt, data);
    }
    int nf = n / 6 < SPLITS_FLOOR_MAX ? n / 6 : SPLITS_FLOOR_MAX;
    if (n - nf < 2) {
        st = gan_fail(GAN_ERR_ARG, "--data %s: too few images (%d) to train a classifier", data, s->all.n);
        goto fail;
    }
    view(&s->all, &s->all_labels, n - nf, nf, &s->floor, &s->floor_labels);
    view(&s->all, &s->all_labels, 0, n - nf, &s->fit, &s->fit_labels);
    return GAN_OK;
fail:
    splits_free(s);
    return st;
}

void splits_free(data_splits *s) {
    gan_u8_images_free(&s->all);
    gan_u8_labels_free(&s->all_labels);
    gan_u8_images_free(&s->test_own);
    gan_u8_labels_free(&s->test_own_labels);
    memset(s, 0, sizeof *s);
}
