/* class_stats.c — for labelled data: the entropy of the histogram of classes a classifier
 * predicts for generated samples (mode coverage: log K when balanced, 0 when collapsed onto one
 * class) and its mean confidence (the largest class probability). Definitions in gan.h. */
#include "feats.h"
#include <string.h>

#define PROB_SUM_TOL 1e-3

static inline double at(gan_feats f, int64_t i, int c) {
    int64_t o = i * f.d + c;
    return f.is_f64 ? ((const double *)f.data)[o] : ((const float *)f.data)[o];
}

// scores (n, K) -> counts (K), entropy, confidence
gan_status gan_class_stats_compute(gan_feats scores, gan_class_scores kind, int64_t *counts,
                                   gan_class_stats *out) {
    const char *fn = "gan_class_stats_compute";
    gan_status st = gan_feats_check(scores, fn, "score", 1);
    if (st != GAN_OK) return st;
    if (!out) return gan_fail(GAN_ERR_ARG, "%s: out is NULL", fn);
    if (kind != GAN_CLASS_PROBS && kind != GAN_CLASS_LOGITS)
        return gan_fail(GAN_ERR_ARG, "%s: unknown score kind %d", fn, (int)kind);
    const int n = scores.n, K = scores.d;
    if (K < 2) return gan_fail(GAN_ERR_ARG, "%s: %d classes, need at least 2", fn, K);

    int *pred = gan_malloc(sizeof(int) * (size_t)n);
    double *conf = gan_malloc(sizeof(double) * (size_t)n);
    int64_t bad = INT64_MAX;   /* first row of probabilities that are not a distribution */
    double bad_sum = 0;
#pragma omp parallel for schedule(static) reduction(min : bad) if ((int64_t)n * K > 65536)
    for (int i = 0; i < n; i++) {
        int arg = 0;
        double top = at(scores, i, 0);
        for (int c = 1; c < K; c++) {
            double v = at(scores, i, c);
            if (v > top) {
                top = v;
                arg = c;
            }
        }
        pred[i] = arg;
        if (kind == GAN_CLASS_LOGITS) {
            double s = 0;   /* softmax's largest probability is 1 / sum exp(l - max) */
            for (int c = 0; c < K; c++) s += exp(at(scores, i, c) - top);
            conf[i] = 1.0 / s;
        } else {
            double s = 0;
            int neg = 0;
            for (int c = 0; c < K; c++) {
                double v = at(scores, i, c);
                s += v;
                neg |= v < 0;
            }
            conf[i] = top;
            if ((neg || fabs(s - 1.0) > PROB_SUM_TOL) && i < bad) bad = i;
        }
    }
    if (bad != INT64_MAX) {
        for (int c = 0; c < K; c++) bad_sum += at(scores, bad, c);
        gan_free(pred);
        gan_free(conf);
        return gan_fail(GAN_ERR_ARG,
                        "%s: row %lld is not a probability distribution (sum %g, or a negative "
                        "entry); pass GAN_CLASS_LOGITS for unnormalised scores", fn,
                        (long long)bad, bad_sum);
    }

    int64_t *hist = gan_calloc((size_t)K, sizeof(int64_t));
    double conf_sum = 0;
    for (int i = 0; i < n; i++) {
        hist[pred[i]]++;
        conf_sum += conf[i];
    }
    double entropy = 0;
    for (int c = 0; c < K; c++) {
        if (!hist[c]) continue;
        double q = (double)hist[c] / n;
        entropy -= q * log(q);
    }
    if (counts) memcpy(counts, hist, sizeof(int64_t) * (size_t)K);
    out->entropy = entropy;
    out->confidence = conf_sum / n;
    gan_free(hist);
    gan_free(pred);
    gan_free(conf);
    return GAN_OK;
}
