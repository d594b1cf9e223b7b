/* kid.c — Kernel Inception Distance: the unbiased MMD^2 estimate with the cubic polynomial
 * kernel over random subsets, as torch-fidelity's kid_features_to_metric (conventions in
 * gan.h). Each subset's three (m, m) kernel matrices come from BLAS (dsyrk for the two
 * symmetric ones); their sums are taken row by row, then over rows in order, so the result is
 * the same for every thread count. */
#include "feats.h"
#include <cblas.h>
#include <string.h>

gan_kid_opts gan_kid_opts_default(void) { return (gan_kid_opts){100, 1000, 0}; }

gan_status gan_kid_sample_subsets(int n, int m, int n_subsets, gan_rng *r, int *idx) {
    if (!r || !idx) return gan_fail(GAN_ERR_ARG, "gan_kid_sample_subsets: NULL argument");
    if (n < 1 || m < 1 || m > n || n_subsets < 1)
        return gan_fail(GAN_ERR_ARG,
                        "gan_kid_sample_subsets: need 1 <= m <= n and n_subsets >= 1 "
                        "(n %d, m %d, n_subsets %d)", n, m, n_subsets);
    int *perm = gan_malloc(sizeof(int) * (size_t)n);
    for (int s = 0; s < n_subsets; s++) {
        // partial Fisher-Yates from the identity: the first m slots are a uniform m-subset
        for (int i = 0; i < n; i++) perm[i] = i;
        for (int i = 0; i < m; i++) {
            int j = i + (int)(gan_rng_next(r) % (uint64_t)(n - i));  /* bias < 2^-32 */
            int t = perm[i];
            perm[i] = perm[j];
            perm[j] = t;
        }
        memcpy(idx + (int64_t)s * m, perm, sizeof(int) * (size_t)m);
    }
    gan_free(perm);
    return GAN_OK;
}

/* k = (g / d + 1)^3 over a gram matrix g (m, m): sum over the strict upper triangle (the
 * symmetric case, dsyrk's output) or over everything. */
static double kernel_sum(const double *g, int m, int d, int upper_only) {
    double *rows = gan_malloc(sizeof(double) * (size_t)m);
    const double inv_d = 1.0 / d;
#pragma omp parallel for schedule(static) if ((int64_t)m * m > 65536)
    for (int i = 0; i < m; i++) {
        const double *gi = g + (int64_t)i * m;
        double s = 0;
        for (int j = upper_only ? i + 1 : 0; j < m; j++) {
            double k = gi[j] * inv_d + 1.0;
            s += k * k * k;
        }
        rows[i] = s;
    }
    double total = 0;
    for (int i = 0; i < m; i++) total += rows[i];
    gan_free(rows);
    return total;
}

// x (nx, d), y (ny, d), idx_x / idx_y (n_subsets, m) -> mean and std of MMD^2 over subsets
gan_status gan_kid_subsets(gan_feats x, gan_feats y, int n_subsets, int m, const int *idx_x,
                           const int *idx_y, gan_kid_result *out) {
    const char *fn = "gan_kid_subsets";
    gan_status st;
    if ((st = gan_feats_check(x, fn, "x", 1)) != GAN_OK ||
        (st = gan_feats_check(y, fn, "y", 1)) != GAN_OK ||
        (st = gan_feats_check_same_d(x, y, fn)) != GAN_OK)
        return st;
    if (!idx_x || !idx_y || !out) return gan_fail(GAN_ERR_ARG, "%s: NULL argument", fn);
    if (n_subsets < 1 || m < 2)
        return gan_fail(GAN_ERR_ARG, "%s: need n_subsets >= 1 and m >= 2 (got %d, %d)", fn,
                        n_subsets, m);
    for (int64_t i = 0; i < (int64_t)n_subsets * m; i++) {
        if (idx_x[i] < 0 || idx_x[i] >= x.n)
            return gan_fail(GAN_ERR_ARG, "%s: idx_x[%lld] = %d is outside [0, %d)", fn,
                            (long long)i, idx_x[i], x.n);
        if (idx_y[i] < 0 || idx_y[i] >= y.n)
            return gan_fail(GAN_ERR_ARG, "%s: idx_y[%lld] = %d is outside [0, %d)", fn,
                            (long long)i, idx_y[i], y.n);
    }
    const int d = x.d;
    double *xs = gan_malloc(sizeof(double) * (size_t)m * d);
    double *ys = gan_malloc(sizeof(double) * (size_t)m * d);
    double *g = gan_malloc(sizeof(double) * (size_t)m * m);
    double *mmd = gan_malloc(sizeof(double) * (size_t)n_subsets);
    for (int s = 0; s < n_subsets; s++) {
        gan_feats_gather(x, idx_x + (int64_t)s * m, m, xs);
        gan_feats_gather(y, idx_y + (int64_t)s * m, m, ys);
        // Kxx, Kyy: off-diagonal sums = 2 x strict upper triangle; Kxy: everything, diagonal too
        cblas_dsyrk(CblasRowMajor, CblasUpper, CblasNoTrans, m, d, 1.0, xs, d, 0.0, g, m);
        double sxx = 2 * kernel_sum(g, m, d, 1);
        cblas_dsyrk(CblasRowMajor, CblasUpper, CblasNoTrans, m, d, 1.0, ys, d, 0.0, g, m);
        double syy = 2 * kernel_sum(g, m, d, 1);
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, m, d, 1.0, xs, d, ys, d, 0.0, g,
                    m);
        double sxy = kernel_sum(g, m, d, 0);
        mmd[s] = (sxx + syy) / ((double)m * (m - 1)) - 2 * sxy / ((double)m * m);
    }
    double mean = 0, var = 0;
    for (int s = 0; s < n_subsets; s++) mean += mmd[s];
    mean /= n_subsets;
    for (int s = 0; s < n_subsets; s++) var += (mmd[s] - mean) * (mmd[s] - mean);
    var /= n_subsets;
    gan_free(xs);
    gan_free(ys);
    gan_free(g);
    gan_free(mmd);
    out->mean = mean;
    out->std = sqrt(var);
    out->n_subsets = n_subsets;
    out->subset_size = m;
    return GAN_OK;
}

gan_status gan_kid(gan_feats x, gan_feats y, const gan_kid_opts *opts, gan_kid_result *out) {
    const char *fn = "gan_kid";
    gan_status st;
    if ((st = gan_feats_check(x, fn, "x", 2)) != GAN_OK ||
        (st = gan_feats_check(y, fn, "y", 2)) != GAN_OK ||
        (st = gan_feats_check_same_d(x, y, fn)) != GAN_OK)
        return st;
    if (!out) return gan_fail(GAN_ERR_ARG, "%s: out is NULL", fn);
    gan_kid_opts o = opts ? *opts : gan_kid_opts_default();
    if (o.n_subsets < 1 || o.subset_size < 2)
        return gan_fail(GAN_ERR_ARG, "%s: need n_subsets >= 1 and subset_size >= 2 (got %d, %d)",
                        fn, o.n_subsets, o.subset_size);
    int m = o.subset_size;
    if (m > x.n) m = x.n;
    if (m > y.n) m = y.n;
    int *idx_x = gan_malloc(sizeof(int) * (size_t)o.n_subsets * m);
    int *idx_y = gan_malloc(sizeof(int) * (size_t)o.n_subsets * m);
    gan_rng r = gan_rng_init(o.seed);
    gan_kid_sample_subsets(x.n, m, o.n_subsets, &r, idx_x);
    gan_kid_sample_subsets(y.n, m, o.n_subsets, &r, idx_y);
    st = gan_kid_subsets(x, y, o.n_subsets, m, idx_x, idx_y, out);
    gan_free(idx_x);
    gan_free(idx_y);
    return st;
}
