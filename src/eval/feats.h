/* feats.h — what the metrics in src/eval share: checking a gan_feats and copying its rows
 * into double buffers (metrics work in double whatever the caller's type). Private. */
#ifndef GAN_EVAL_FEATS_H
#define GAN_EVAL_FEATS_H

#include "gan.h"
#include <math.h>

/* Row i as double: out (d) */
static inline void gan_feats_row(gan_feats f, int64_t i, double *out) {
    if (f.is_f64) {
        const double *p = (const double *)f.data + i * f.d;
        for (int j = 0; j < f.d; j++) out[j] = p[j];
    } else {
        const float *p = (const float *)f.data + i * f.d;
        for (int j = 0; j < f.d; j++) out[j] = p[j];
    }
}

/* Rows [r0, r0 + nr) as double: out (nr, d) */
static inline void gan_feats_rows(gan_feats f, int r0, int nr, double *out) {
#pragma omp parallel for schedule(static) if ((int64_t)nr * f.d > 65536)
    for (int i = 0; i < nr; i++) gan_feats_row(f, (int64_t)r0 + i, out + (int64_t)i * f.d);
}

/* Rows idx[0..m) as double: out (m, d) */
static inline void gan_feats_gather(gan_feats f, const int *idx, int m, double *out) {
#pragma omp parallel for schedule(static) if ((int64_t)m * f.d > 65536)
    for (int i = 0; i < m; i++) gan_feats_row(f, idx[i], out + (int64_t)i * f.d);
}

/* GAN_OK when f has data, n >= min_n rows, d >= 1 and only finite values; otherwise a
 * GAN_ERR_ARG whose message starts with `fn` and names the set (`what`) and the first bad
 * row. */
static inline gan_status gan_feats_check(gan_feats f, const char *fn, const char *what,
                                         int min_n) {
    if (!f.data) return gan_fail(GAN_ERR_ARG, "%s: %s features are NULL", fn, what);
    if (f.d < 1) return gan_fail(GAN_ERR_ARG, "%s: %s features have d = %d", fn, what, f.d);
    if (f.n < min_n)
        return gan_fail(GAN_ERR_ARG, "%s: %s features have %d rows, need at least %d", fn, what,
                        f.n, min_n);
    int64_t bad = INT64_MAX;
#pragma omp parallel for schedule(static) reduction(min : bad) if ((int64_t)f.n * f.d > 65536)
    for (int64_t i = 0; i < f.n; i++) {
        int ok = 1;
        if (f.is_f64) {
            const double *p = (const double *)f.data + i * f.d;
            for (int j = 0; j < f.d; j++) ok &= isfinite(p[j]) != 0;
        } else {
            const float *p = (const float *)f.data + i * f.d;
            for (int j = 0; j < f.d; j++) ok &= isfinite(p[j]) != 0;
        }
        if (!ok && i < bad) bad = i;
    }
    if (bad != INT64_MAX)
        return gan_fail(GAN_ERR_ARG, "%s: %s features: row %lld holds NaN or infinity", fn,
                        what, (long long)bad);
    return GAN_OK;
}

static inline gan_status gan_feats_check_same_d(gan_feats a, gan_feats b, const char *fn) {
    if (a.d != b.d)
        return gan_fail(GAN_ERR_ARG, "%s: feature dimensions differ (%d vs %d)", fn, a.d, b.d);
    return GAN_OK;
}

#endif
