/* evaluator.h — sample quality for `gan eval` and `gan train --eval-every`: a dataset's
 * feature classifier (found in the cache or trained and cached, saying so), the real
 * features of its test split, and FID / KID / precision-recall / class statistics. */
#ifndef GAN_EVALUATOR_H
#define GAN_EVALUATOR_H
#include "gan.h"

typedef struct evaluator evaluator;

typedef struct eval_result {
    int n;                         /* samples judged */
    double fid, kid, kid_std, precision, recall, density, coverage;
    int have_classes;
    double entropy, confidence;    /* of predicted classes (labelled data) */
    int64_t class_counts[64];
    int classes;
} eval_result;

/* data: the --data spec (fashion-mnist, an IDX file with labels, ...). classifier_path: NULL
 * to use (or create) <cache>/classifier-<name>.safetensors. quiet: no messages. */
gan_status evaluator_open(const char *data, const char *classifier_path, int quiet,
                          evaluator **out);
void evaluator_free(evaluator *e);
/* quiet: no "judging..." line per evaluation (gan train prints its own). */
void evaluator_set_quiet(evaluator *e, int quiet);
/* images (n, c, h, w) floats in [-1, 1]; images 4 pixels larger than the data (a model trained
 * on the data padded by 2, as the ResNet with --size 32 on Fashion-MNIST) are judged on their centre.
 * metrics: bit 1 fid, 2 kid, 4 pr. */
gan_status evaluator_run(evaluator *e, const float *images, int n, int c, int h, int w,
                         unsigned metrics, eval_result *r);
/* The real-vs-real floor: held-out training images (never seen by the classifier) against the
 * test split. */
gan_status evaluator_floor(evaluator *e, int n, unsigned metrics, eval_result *r);
int evaluator_size(const evaluator *e, int *c);   /* image side and channels it expects */
#define EVAL_FID 1u
#define EVAL_KID 2u
#define EVAL_PR 4u
#endif
