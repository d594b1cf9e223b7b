/* splits.h — how `gan classifier train` and `gan eval` cut a labelled dataset, in one place so
 * that a classifier trained by either never saw the images eval's floor is measured on:
 *   test  — the data's test split (fashion-mnist:test; t10k-* beside train-*), or --test, or,
 *           when there is none, the last tenth of the data;
 *   floor — the last min(10000, n/6) of the remaining training images: real images the
 *           classifier never sees, measured against test for the real-vs-real floor;
 *   fit   — the rest, what the classifier trains on (Fashion-MNIST: the first 50,000). */
#ifndef GAN_SPLITS_H
#define GAN_SPLITS_H
#include "gan.h"

#define SPLITS_FLOOR_MAX 10000

typedef struct data_splits {
    gan_u8_images all, test_own;      /* owned storage */
    gan_u8_labels all_labels, test_own_labels;
    gan_u8_images fit, floor, test;   /* views (data not owned) */
    gan_u8_labels fit_labels, floor_labels, test_labels;
    char test_name[4300];             /* what test is, for messages */
} data_splits;

/* data: a labelled spec (fashion-mnist, an IDX file with labels). test: NULL for the data's
 * own test split, a spec, or "none" (no test split: test.n = 0). Messages name the spec. */
gan_status splits_load(const char *data, const char *test, data_splits *s);
void splits_free(data_splits *s);
/* Images and labels of a spec; GAN_ERR_ARG naming it when it has no labels. */
gan_status splits_load_labelled(const char *spec, gan_u8_images *im, gan_u8_labels *lb);
/* The test split that goes with a training spec (fashion-mnist -> fashion-mnist:test,
 * .../train-X -> .../t10k-X when that file exists): 1 and buf set, or 0. */
int splits_test_spec(const char *data, char *buf, size_t n);
#endif
