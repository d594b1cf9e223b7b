/* fid.c — Fréchet Inception Distance: Gaussian statistics of feature sets and the Fréchet
 * distance between two of them (formula and conventions in gan.h).
 *
 * tr sqrt(S1 S2) without a non-symmetric matrix square root: with S1 = V L V^T and
 * B = V sqrt(L), the matrix C = B^T S2 B is symmetric PSD and similar to sqrt(S1) S2 sqrt(S1),
 * whose eigenvalues are those of S1 S2. So tr sqrt(S1 S2) = sum sqrt(eig(C)), two symmetric
 * eigen-solves. Rounding leaves eigenvalues of singular matrices slightly negative; they are
 * clamped to 0 (scipy.linalg.sqrtm instead returns a complex result whose real part
 * pytorch-fid keeps: the same number). */
#include "feats.h"
#include <cblas.h>
#include <lapacke.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FID_BLOCK 1024   /* rows converted to double at a time */

static void stats_zero(gan_fid_stats *s) { memset(s, 0, sizeof *s); }

void gan_fid_stats_free(gan_fid_stats *s) {
    if (!s) return;
    gan_free(s->mu);
    gan_free(s->sigma);
    stats_zero(s);
}

// x (n, d) -> mu (d), sigma (d, d) unbiased; two passes (mean, then centred rows) so that
// large means do not cancel the covariance's digits.
gan_status gan_fid_stats_compute(gan_feats x, gan_fid_stats *out) {
    if (!out) return gan_fail(GAN_ERR_ARG, "gan_fid_stats_compute: out is NULL");
    stats_zero(out);
    gan_status st = gan_feats_check(x, "gan_fid_stats_compute", "x", 2);
    if (st != GAN_OK) return st;
    const int d = x.d, n = x.n;
    const int bs = n < FID_BLOCK ? n : FID_BLOCK;
    double *mu = gan_calloc((size_t)d, sizeof(double));
    double *sigma = gan_calloc((size_t)d * d, sizeof(double));
    double *blk = gan_malloc(sizeof(double) * (size_t)bs * d);

    for (int r0 = 0; r0 < n; r0 += bs) {
        int nr = n - r0 < bs ? n - r0 : bs;
        gan_feats_rows(x, r0, nr, blk);
        for (int i = 0; i < nr; i++) {
            const double *row = blk + (int64_t)i * d;
            for (int j = 0; j < d; j++) mu[j] += row[j];
        }
    }
    for (int j = 0; j < d; j++) mu[j] /= n;

    for (int r0 = 0; r0 < n; r0 += bs) {
        int nr = n - r0 < bs ? n - r0 : bs;
        gan_feats_rows(x, r0, nr, blk);
#pragma omp parallel for schedule(static) if ((int64_t)nr * d > 65536)
        for (int i = 0; i < nr; i++) {
            double *row = blk + (int64_t)i * d;
            for (int j = 0; j < d; j++) row[j] -= mu[j];
        }
        // sigma (upper) += blk^T blk
        cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, d, nr, 1.0, blk, d, 1.0, sigma, d);
    }
    gan_free(blk);
    const double inv = 1.0 / (n - 1);
    for (int i = 0; i < d; i++)
        for (int j = i; j < d; j++) {
            double v = sigma[(int64_t)i * d + j] * inv;
            sigma[(int64_t)i * d + j] = v;
            sigma[(int64_t)j * d + i] = v;
        }
    out->d = d;
    out->n = n;
    out->mu = mu;
    out->sigma = sigma;
    return GAN_OK;
}

static gan_status stats_check(const gan_fid_stats *s, const char *what) {
    if (!s || !s->mu || !s->sigma || s->d < 1)
        return gan_fail(GAN_ERR_ARG, "gan_fid_from_stats: %s statistics are empty", what);
    return GAN_OK;
}

// a, b: (d) means and (d, d) covariances -> FID
gan_status gan_fid_from_stats(const gan_fid_stats *a, const gan_fid_stats *b, double *fid) {
    gan_status st;
    if ((st = stats_check(a, "first")) != GAN_OK || (st = stats_check(b, "second")) != GAN_OK)
        return st;
    if (!fid) return gan_fail(GAN_ERR_ARG, "gan_fid_from_stats: fid is NULL");
    if (a->d != b->d)
        return gan_fail(GAN_ERR_ARG, "gan_fid_from_stats: dimensions differ (%d vs %d)", a->d,
                        b->d);
    const int d = a->d;
    const size_t dd = (size_t)d * d;
    double *v = gan_malloc(sizeof(double) * dd);   /* eigenvectors of S1, then B */
    double *t = gan_malloc(sizeof(double) * dd);   /* S2 B */
    double *c = gan_malloc(sizeof(double) * dd);   /* B^T S2 B */
    double *w = gan_malloc(sizeof(double) * (size_t)d);

    memcpy(v, a->sigma, sizeof(double) * dd);
    /* OpenBLAS's threaded symv (inside dsytrd) sums per-thread partial results, so the
     * eigenvalues would change in the last bits with the thread count: solve on one thread. */
    int blas_threads = openblas_get_num_threads();
    openblas_set_num_threads(1);
    lapack_int info = LAPACKE_dsyevd(LAPACK_ROW_MAJOR, 'V', 'U', d, v, d, w);
    if (info == 0) {
        // B = V diag(sqrt(max(w, 0))): column j of V is the j-th eigenvector
#pragma omp parallel for schedule(static) if (dd > 65536)
        for (int i = 0; i < d; i++)
            for (int j = 0; j < d; j++) v[(int64_t)i * d + j] *= sqrt(w[j] > 0 ? w[j] : 0.0);
        openblas_set_num_threads(blas_threads);   /* gemm-type calls are thread-count-exact */
        cblas_dsymm(CblasRowMajor, CblasLeft, CblasUpper, d, d, 1.0, b->sigma, d, v, d, 0.0, t,
                    d);
        cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, d, d, d, 1.0, v, d, t, d, 0.0, c, d);
        openblas_set_num_threads(1);
        info = LAPACKE_dsyevd(LAPACK_ROW_MAJOR, 'N', 'U', d, c, d, w);
    }
    openblas_set_num_threads(blas_threads);
    double tr_sqrt = 0, tr1 = 0, tr2 = 0, diff2 = 0;
    if (info == 0) {
        for (int j = 0; j < d; j++) tr_sqrt += sqrt(w[j] > 0 ? w[j] : 0.0);
        for (int j = 0; j < d; j++) {
            double dm = a->mu[j] - b->mu[j];
            diff2 += dm * dm;
            tr1 += a->sigma[(int64_t)j * d + j];
            tr2 += b->sigma[(int64_t)j * d + j];
        }
    }
    gan_free(v);
    gan_free(t);
    gan_free(c);
    gan_free(w);
    if (info != 0)
        return gan_fail(GAN_ERR_ARG, "gan_fid_from_stats: LAPACKE_dsyevd failed (info %d)",
                        (int)info);
    *fid = diff2 + tr1 + tr2 - 2 * tr_sqrt;
    return GAN_OK;
}

gan_status gan_fid(gan_feats x, gan_feats y, double *fid) {
    gan_status st;
    if ((st = gan_feats_check(x, "gan_fid", "x", 2)) != GAN_OK ||
        (st = gan_feats_check(y, "gan_fid", "y", 2)) != GAN_OK ||
        (st = gan_feats_check_same_d(x, y, "gan_fid")) != GAN_OK)
        return st;
    if (!fid) return gan_fail(GAN_ERR_ARG, "gan_fid: fid is NULL");
    gan_fid_stats sx, sy;
    if ((st = gan_fid_stats_compute(x, &sx)) != GAN_OK) return st;
    if ((st = gan_fid_stats_compute(y, &sy)) != GAN_OK) {
        gan_fid_stats_free(&sx);
        return st;
    }
    st = gan_fid_from_stats(&sx, &sy, fid);
    gan_fid_stats_free(&sx);
    gan_fid_stats_free(&sy);
    return st;
}

/* ---------------------------------------------------------------- the cache file */

#define FID_MAGIC "GANFID1\n"
#define FID_HEADER 20            /* magic, u32 d, i64 n */
#define FID_MAX_D (1 << 20)      /* keeps 8 * (d + d*d) far from overflow */

static void put_le(uint8_t *p, uint64_t v, int nbytes) {
    for (int i = 0; i < nbytes; i++) p[i] = (uint8_t)(v >> (8 * i));
}
static uint64_t get_le(const uint8_t *p, int nbytes) {
    uint64_t v = 0;
    for (int i = 0; i < nbytes; i++) v |= (uint64_t)p[i] << (8 * i);
    return v;
}

/* n doubles as little-endian bytes, through a fixed buffer */
static gan_status write_doubles(gan_atomic_file *f, const double *x, size_t n) {
    uint8_t buf[8 * 512];
    for (size_t i = 0; i < n; i += 512) {
        size_t m = n - i < 512 ? n - i : 512;
        for (size_t j = 0; j < m; j++) {
            uint64_t u;
            memcpy(&u, &x[i + j], 8);
            put_le(buf + 8 * j, u, 8);
        }
        gan_status st = gan_atomic_write(f, buf, 8 * m);
        if (st != GAN_OK) return st;
    }
    return GAN_OK;
}

gan_status gan_fid_stats_save(const gan_fid_stats *s, const char *path) {
    if (!s || !s->mu || !s->sigma || s->d < 1 || s->d > FID_MAX_D || s->n < 2 || !path)
        return gan_fail(GAN_ERR_ARG, "gan_fid_stats_save: empty statistics or path");
    uint8_t hdr[FID_HEADER];
    memcpy(hdr, FID_MAGIC, 8);
    put_le(hdr + 8, (uint64_t)s->d, 4);
    put_le(hdr + 12, (uint64_t)s->n, 8);
    gan_atomic_file *f;
    gan_status st = gan_atomic_open(path, &f);
    if (st != GAN_OK) return st;
    gan_atomic_write(f, hdr, sizeof hdr);
    write_doubles(f, s->mu, (size_t)s->d);
    write_doubles(f, s->sigma, (size_t)s->d * s->d);
    return gan_atomic_commit(f);   /* errors are sticky: commit reports the first */
}

/* n little-endian doubles into x; `first` is the index of x[0] among the file's values */
static gan_status read_doubles(FILE *fp, const char *path, double *x, uint64_t n,
                               uint64_t first) {
    uint8_t buf[8 * 512];
    for (uint64_t i = 0; i < n; i += 512) {
        size_t m = n - i < 512 ? (size_t)(n - i) : 512;
        if (fread(buf, 8, m, fp) != m) return gan_fail(GAN_ERR_IO, "%s: read failed", path);
        for (size_t j = 0; j < m; j++) {
            uint64_t u = get_le(buf + 8 * j, 8);
            memcpy(&x[i + j], &u, 8);
            if (!isfinite(x[i + j]))
                return gan_fail(GAN_ERR_FORMAT, "%s: value %llu is not finite", path,
                                (unsigned long long)(first + i + j));
        }
    }
    return GAN_OK;
}

gan_status gan_fid_stats_load(const char *path, gan_fid_stats *out) {
    if (!out) return gan_fail(GAN_ERR_ARG, "gan_fid_stats_load: out is NULL");
    stats_zero(out);
    if (!path) return gan_fail(GAN_ERR_ARG, "gan_fid_stats_load: path is NULL");
    FILE *fp = fopen(path, "rb");
    if (!fp) return gan_fail(GAN_ERR_IO, "%s: cannot open", path);
    uint8_t hdr[FID_HEADER];
    gan_status st;
    long size = -1;
    if (fseek(fp, 0, SEEK_END) != 0 || (size = ftell(fp)) < 0 || fseek(fp, 0, SEEK_SET) != 0) {
        fclose(fp);
        return gan_fail(GAN_ERR_IO, "%s: cannot read", path);
    }
    if (size < FID_HEADER || fread(hdr, 1, sizeof hdr, fp) != sizeof hdr) {
        fclose(fp);
        return gan_fail(GAN_ERR_FORMAT, "%s: too short for FID statistics (%ld bytes)", path,
                        size);
    }
    if (memcmp(hdr, FID_MAGIC, 8) != 0) {
        fclose(fp);
        return gan_fail(GAN_ERR_FORMAT, "%s: not a FID statistics file (bad magic)", path);
    }
    uint64_t d = get_le(hdr + 8, 4);
    int64_t n = (int64_t)get_le(hdr + 12, 8);
    if (d < 1 || d > FID_MAX_D || n < 2) {
        fclose(fp);
        return gan_fail(GAN_ERR_FORMAT, "%s: bad FID statistics header (d %llu, n %lld)", path,
                        (unsigned long long)d, (long long)n);
    }
    uint64_t count = d + d * d;
    if ((uint64_t)size != FID_HEADER + 8 * count) {
        fclose(fp);
        return gan_fail(GAN_ERR_FORMAT, "%s: %ld bytes, expected %llu for d = %llu", path, size,
                        (unsigned long long)(FID_HEADER + 8 * count), (unsigned long long)d);
    }
    /* the size check above bounds these allocations by the file's real size */
    double *mu = gan_malloc(sizeof(double) * d);
    double *sigma = gan_malloc(sizeof(double) * d * d);
    st = read_doubles(fp, path, mu, d, 0);
    if (st == GAN_OK) st = read_doubles(fp, path, sigma, d * d, d);
    fclose(fp);
    if (st != GAN_OK) {
        gan_free(mu);
        gan_free(sigma);
        return st;
    }
    out->d = (int)d;
    out->n = n;
    out->mu = mu;
    out->sigma = sigma;
    return GAN_OK;
}
