/* prdc.c — improved precision and recall (Kynkäänniemi et al. 2019), density and coverage
 * (Naeem et al. 2020) from k-nearest-neighbour balls (definitions in gan.h).
 *
 * Squared distances |a|^2 + |b|^2 - 2 a.b come from dgemm on (TILE, TILE) tiles of rows
 * converted to double, so nothing of size n^2 is ever held. Everything is compared squared
 * (d <= r iff d^2 <= r^2). Per-sample state (the k smallest distances, flags, counts, minima) is
 * updated by exactly one thread per sample and tile, and the k smallest of a set do not depend
 * on the order they were seen in, so results are the same for every thread count. */
#include "feats.h"
#include <cblas.h>
#include <string.h>

#define TILE 1024   /* rows per side of a distance tile */
#define COLS 64     /* columns per thread in column-wise passes */

/* A (ra, d), B (rb, d) rows of double, their squared norms na, nb -> dist2 (ra, rb) holding
 * |a|^2 + |b|^2 - 2 a.b: the norms are written first and dgemm adds onto them (beta = 1), which
 * saves a pass over the tile. Rounding can leave a near-zero distance below 0: readers clamp
 * with pos(). */
static void tile_dist2(const double *A, const double *na, int ra, const double *B,
                       const double *nb, int rb, int d, double *dist2) {
#pragma omp parallel for schedule(static) if ((int64_t)ra * rb > 65536)
    for (int i = 0; i < ra; i++) {
        double *row = dist2 + (int64_t)i * rb;
        for (int j = 0; j < rb; j++) row[j] = na[i] + nb[j];
    }
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, ra, rb, d, -2.0, A, d, B, d, 1.0,
                dist2, rb);
}

static inline double pos(double v) { return v > 0 ? v : 0; }

/* Keeps top (k), ascending, the k smallest values seen. */
static inline void topk_insert(double *top, int k, double v) {
    if (!(v < top[k - 1])) return;
    int i = k - 1;
    while (i > 0 && top[i - 1] > v) {
        top[i] = top[i - 1];
        i--;
    }
    top[i] = v;
}

static void sq_norms(gan_feats f, double *buf, double *norms) {
    for (int r0 = 0; r0 < f.n; r0 += TILE) {
        int nr = f.n - r0 < TILE ? f.n - r0 : TILE;
        gan_feats_rows(f, r0, nr, buf);
#pragma omp parallel for schedule(static) if ((int64_t)nr * f.d > 65536)
        for (int i = 0; i < nr; i++) {
            const double *p = buf + (int64_t)i * f.d;
            double s = 0;
            for (int j = 0; j < f.d; j++) s += p[j] * p[j];
            norms[r0 + i] = s;
        }
    }
}

// x (n, d) -> r2 (n): squared distance to the k-th nearest other row. Only tiles (I, J) with
// J >= I are computed; an off-diagonal tile serves rows of I and (by columns) rows of J.
static void knn_radii2(gan_feats x, const double *norms, int k, double *bufa, double *bufb,
                       double *dist2, double *r2) {
    const int n = x.n, d = x.d;
    double *top = gan_malloc(sizeof(double) * (size_t)n * k);
    for (int64_t i = 0; i < (int64_t)n * k; i++) top[i] = INFINITY;
    for (int i0 = 0; i0 < n; i0 += TILE) {
        int ni = n - i0 < TILE ? n - i0 : TILE;
        gan_feats_rows(x, i0, ni, bufa);
        for (int j0 = i0; j0 < n; j0 += TILE) {
            int nj = n - j0 < TILE ? n - j0 : TILE;
            const double *b = bufa;
            if (j0 != i0) {
                gan_feats_rows(x, j0, nj, bufb);
                b = bufb;
            }
            tile_dist2(bufa, norms + i0, ni, b, norms + j0, nj, d, dist2);
#pragma omp parallel for schedule(static) if ((int64_t)ni * nj > 65536)
            for (int i = 0; i < ni; i++) {
                double *t = top + (int64_t)(i0 + i) * k;
                const double *row = dist2 + (int64_t)i * nj;
                for (int j = 0; j < nj; j++)
                    if (j0 + j != i0 + i) topk_insert(t, k, pos(row[j]));
            }
            if (j0 == i0) continue;
            // by columns, COLS at a time so that each row of the tile is read contiguously
#pragma omp parallel for schedule(static) if ((int64_t)ni * nj > 65536)
            for (int c0 = 0; c0 < nj; c0 += COLS) {
                int nc = nj - c0 < COLS ? nj - c0 : COLS;
                for (int i = 0; i < ni; i++) {
                    const double *row = dist2 + (int64_t)i * nj + c0;
                    for (int j = 0; j < nc; j++)
                        topk_insert(top + (int64_t)(j0 + c0 + j) * k, k, pos(row[j]));
                }
            }
        }
    }
    for (int i = 0; i < n; i++) r2[i] = top[(int64_t)i * k + k - 1];
    gan_free(top);
}

// real (nr, d), fake (nf, d) -> precision, recall, density, coverage
gan_status gan_prdc(gan_feats real, gan_feats fake, int k, gan_prdc_result *out) {
    const char *fn = "gan_prdc";
    if (k < 1) return gan_fail(GAN_ERR_ARG, "%s: k = %d, need k >= 1", fn, k);
    gan_status st;
    if ((st = gan_feats_check(real, fn, "real", k + 1)) != GAN_OK ||
        (st = gan_feats_check(fake, fn, "fake", k + 1)) != GAN_OK ||
        (st = gan_feats_check_same_d(real, fake, fn)) != GAN_OK)
        return st;
    if (!out) return gan_fail(GAN_ERR_ARG, "%s: out is NULL", fn);
    const int nr = real.n, nf = fake.n, d = real.d;
    double *bufa = gan_malloc(sizeof(double) * (size_t)TILE * d);
    double *bufb = gan_malloc(sizeof(double) * (size_t)TILE * d);
    double *dist2 = gan_malloc(sizeof(double) * (size_t)TILE * TILE);
    double *norm_r = gan_malloc(sizeof(double) * (size_t)nr);
    double *norm_f = gan_malloc(sizeof(double) * (size_t)nf);
    double *rad_r = gan_malloc(sizeof(double) * (size_t)nr);
    double *rad_f = gan_malloc(sizeof(double) * (size_t)nf);
    double *min_rf = gan_malloc(sizeof(double) * (size_t)nr);   /* nearest fake, per real */
    unsigned char *recalled = gan_calloc((size_t)nr, 1);       /* real inside a fake ball */
    unsigned char *precise = gan_calloc((size_t)nf, 1);        /* fake inside a real ball */
    int64_t *dens = gan_calloc((size_t)nf, sizeof(int64_t));   /* real balls holding a fake */

    sq_norms(real, bufa, norm_r);
    sq_norms(fake, bufa, norm_f);
    knn_radii2(real, norm_r, k, bufa, bufb, dist2, rad_r);
    knn_radii2(fake, norm_f, k, bufa, bufb, dist2, rad_f);
    for (int i = 0; i < nr; i++) min_rf[i] = INFINITY;

    for (int i0 = 0; i0 < nr; i0 += TILE) {
        int ni = nr - i0 < TILE ? nr - i0 : TILE;
        gan_feats_rows(real, i0, ni, bufa);
        for (int j0 = 0; j0 < nf; j0 += TILE) {
            int nj = nf - j0 < TILE ? nf - j0 : TILE;
            gan_feats_rows(fake, j0, nj, bufb);
            tile_dist2(bufa, norm_r + i0, ni, bufb, norm_f + j0, nj, d, dist2);
            // per real row: recall and the nearest fake (coverage)
#pragma omp parallel for schedule(static) if ((int64_t)ni * nj > 65536)
            for (int i = 0; i < ni; i++) {
                const double *row = dist2 + (int64_t)i * nj;
                const double *rf = rad_f + j0;
                double mn = min_rf[i0 + i];
                int hit = recalled[i0 + i];
                for (int j = 0; j < nj; j++) {
                    double v = pos(row[j]);
                    hit |= v <= rf[j];
                    mn = v < mn ? v : mn;
                }
                recalled[i0 + i] = (unsigned char)hit;
                min_rf[i0 + i] = mn;
            }
            // per fake column: precision and density
#pragma omp parallel for schedule(static) if ((int64_t)ni * nj > 65536)
            for (int c0 = 0; c0 < nj; c0 += COLS) {
                int nc = nj - c0 < COLS ? nj - c0 : COLS;
                int hit[COLS] = {0}, cnt[COLS] = {0};   /* locals: no aliasing, vectorises */
                for (int i = 0; i < ni; i++) {
                    const double *row = dist2 + (int64_t)i * nj + c0;
                    const double r = rad_r[i0 + i];
                    for (int j = 0; j < nc; j++) {
                        double v = pos(row[j]);
                        hit[j] |= v <= r;
                        cnt[j] += v < r;
                    }
                }
                for (int j = 0; j < nc; j++) {
                    precise[j0 + c0 + j] |= (unsigned char)hit[j];
                    dens[j0 + c0 + j] += cnt[j];
                }
            }
        }
    }
    int64_t n_prec = 0, n_rec = 0, n_cov = 0, n_dens = 0;
    for (int j = 0; j < nf; j++) {
        n_prec += precise[j];
        n_dens += dens[j];
    }
    for (int i = 0; i < nr; i++) {
        n_rec += recalled[i];
        n_cov += min_rf[i] < rad_r[i];
    }
    out->precision = (double)n_prec / nf;
    out->recall = (double)n_rec / nr;
    out->density = (double)n_dens / ((double)k * nf);
    out->coverage = (double)n_cov / nr;

    gan_free(bufa);
    gan_free(bufb);
    gan_free(dist2);
    gan_free(norm_r);
    gan_free(norm_f);
    gan_free(rad_r);
    gan_free(rad_f);
    gan_free(min_rf);
    gan_free(recalled);
    gan_free(precise);
    gan_free(dens);
    return GAN_OK;
}
