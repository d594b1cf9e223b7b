/* test_metrics.c — src/eval's metrics against independent values:
 *  - SciPy/NumPy references (tests/fixtures/metrics.bin, make_metric_fixtures.py): FID through
 *    scipy.linalg.sqrtm, KID on the same subsets, brute-force precision/recall/density/coverage;
 *  - closed forms: FID(X, X) = 0, FID(X, X + c) = |c|^2, FID of two sets whose sample means and
 *    covariances are exactly known (Q diag(s^2) Q^T) = |mu1 - mu2|^2 + sum (s1 - s2)^2;
 *    precision/recall 1 on identical sets, 0 on far-apart ones; entropy of a uniform histogram
 *    over K classes = log K;
 *  - a brute-force C precision/recall on sets larger than one distance tile;
 *  - the same bits for every thread count and for float vs double input;
 *  - bad input (too few rows, mismatched d, NaN, bad k/indices, malformed stats files). */
#include "harness.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define FIX "tests/fixtures/metrics.bin"

static double rel(double got, double want) { return fabs(got - want) / fmax(fabs(want), 1e-300); }

/* a reference stored as [hi, lo] floats */
static double ref(th_fixture *f, gan_ctx *ctx, const char *name) {
    gan_tensor *t = th_fixture_get(f, ctx, name);
    return (double)t->data[0] + (double)t->data[1];
}

static gan_feats feats_of(gan_tensor *t) {
    return gan_feats_f32(t->data, t->shape[0], t->shape[1]);
}

static double *to_f64(const float *x, int64_t n) {
    double *y = malloc(sizeof(double) * (size_t)n);
    for (int64_t i = 0; i < n; i++) y[i] = x[i];
    return y;
}

static double trace_cov(gan_feats x) {
    gan_fid_stats s;
    gan_fid_stats_compute(x, &s);
    double tr = 0;
    for (int j = 0; j < s.d; j++) tr += s.sigma[(int64_t)j * s.d + j];
    gan_fid_stats_free(&s);
    return tr;
}

/* ---------------------------------------------------------------- SciPy / NumPy fixtures */

static void test_fixtures(void) {
    th_fixture *f = th_fixture_load(FIX);
    if (!f) return;
    gan_ctx *ctx = gan_ctx_new(0);
    const char *names = "abcef";
    gan_tensor *set[5];
    for (int i = 0; i < 5; i++) {
        char nm[2] = {names[i], 0};
        set[i] = th_fixture_get(f, ctx, nm);
    }
#define SET(ch) set[strchr(names, (ch)) - names]

    const char *pairs[] = {"ab", "ba", "ac", "ca", "ef"};
    for (int p = 0; p < 5; p++) {
        char nm[32], label[64];
        snprintf(nm, sizeof nm, "fid.%s", pairs[p]);
        gan_tensor *x = SET(pairs[p][0]), *y = SET(pairs[p][1]);
        double fid = NAN;
        gan_status st = gan_fid(feats_of(x), feats_of(y), &fid);
        double want = ref(f, ctx, nm);
        snprintf(label, sizeof label, "fid vs scipy %s", pairs[p]);
        th_check(st == GAN_OK && rel(fid, want) < 1e-4, label, "%.10f vs %.10f rel %.2e", fid,
                 want, rel(fid, want));
        /* double input: the same values, so the same bits */
        double *xd = to_f64(x->data, x->numel), *yd = to_f64(y->data, y->numel);
        double fid64 = NAN;
        gan_fid(gan_feats_f64(xd, x->shape[0], x->shape[1]),
                gan_feats_f64(yd, y->shape[0], y->shape[1]), &fid64);
        snprintf(label, sizeof label, "fid f64 == f32 %s", pairs[p]);
        th_check(fid64 == fid, label, "%.17g vs %.17g", fid64, fid);
        free(xd);
        free(yd);
    }

    /* cached statistics give the same number */
    {
        gan_fid_stats sa, sb;
        double fid = NAN, direct = NAN;
        gan_fid_stats_compute(feats_of(SET('a')), &sa);
        gan_fid_stats_compute(feats_of(SET('b')), &sb);
        gan_fid_from_stats(&sa, &sb, &fid);
        gan_fid(feats_of(SET('a')), feats_of(SET('b')), &direct);
        th_check(fid == direct && sa.n == 500 && sa.d == 16, "fid from stats == fid",
                 "%.17g vs %.17g", fid, direct);
        gan_fid_stats_free(&sa);
        gan_fid_stats_free(&sb);
    }

    const char *kpairs[] = {"ab", "ac"};
    for (int p = 0; p < 2; p++) {
        char nm[48], label[64];
        gan_tensor *x = SET(kpairs[p][0]), *y = SET(kpairs[p][1]);
        snprintf(nm, sizeof nm, "kid.%s.idx_x", kpairs[p]);
        gan_tensor *ix = th_fixture_get(f, ctx, nm);
        snprintf(nm, sizeof nm, "kid.%s.idx_y", kpairs[p]);
        gan_tensor *iy = th_fixture_get(f, ctx, nm);
        int S = ix->shape[0], m = ix->shape[1];
        int *idx_x = malloc(sizeof(int) * (size_t)S * m);
        int *idx_y = malloc(sizeof(int) * (size_t)S * m);
        for (int i = 0; i < S * m; i++) {
            idx_x[i] = (int)ix->data[i];
            idx_y[i] = (int)iy->data[i];
        }
        gan_kid_result r = {0};
        gan_status st = gan_kid_subsets(feats_of(x), feats_of(y), S, m, idx_x, idx_y, &r);
        snprintf(nm, sizeof nm, "kid.%s.mean", kpairs[p]);
        double want_mean = ref(f, ctx, nm);
        snprintf(nm, sizeof nm, "kid.%s.std", kpairs[p]);
        double want_std = ref(f, ctx, nm);
        snprintf(label, sizeof label, "kid vs numpy %s mean", kpairs[p]);
        th_check(st == GAN_OK && rel(r.mean, want_mean) < 1e-4, label, "%.10f vs %.10f rel %.2e",
                 r.mean, want_mean, rel(r.mean, want_mean));
        snprintf(label, sizeof label, "kid vs numpy %s std", kpairs[p]);
        th_check(st == GAN_OK && rel(r.std, want_std) < 1e-4, label, "%.10f vs %.10f rel %.2e",
                 r.std, want_std, rel(r.std, want_std));
        free(idx_x);
        free(idx_y);
    }

    /* gan_kid's own subsets: with subset_size >= n every subset is a permutation of all rows,
     * so each estimate is the whole-set MMD^2 */
    {
        gan_tensor *a = SET('a'), *b = SET('b');
        gan_kid_opts o = {3, 1000, 7};
        gan_kid_result r = {0};
        gan_status st = gan_kid(feats_of(a), gan_feats_f32(b->data, 500, 16), &o, &r);
        double want = ref(f, ctx, "kid.full_ab500");
        th_check(st == GAN_OK && r.subset_size == 500 && r.n_subsets == 3 &&
                     rel(r.mean, want) < 1e-10 && r.std < 1e-12 * fabs(want),
                 "kid sampled subsets = whole set", "m %d, %.12f vs %.12f rel %.2e, std %.2e",
                 r.subset_size, r.mean, want, rel(r.mean, want), r.std);
    }

    for (int k = 3; k <= 5; k += 2) {
        char nm[32], label[64];
        snprintf(nm, sizeof nm, "prdc.ab.k%d", k);
        gan_tensor *want = th_fixture_get(f, ctx, nm);
        gan_prdc_result r = {0};
        gan_status st = gan_prdc(feats_of(SET('a')), feats_of(SET('b')), k, &r);
        double got[4] = {r.precision, r.recall, r.density, r.coverage};
        const char *what[4] = {"precision", "recall", "density", "coverage"};
        for (int i = 0; i < 4; i++) {
            snprintf(label, sizeof label, "%s vs numpy k=%d", what[i], k);
            /* fractions of counts: equal up to float32 storage of the reference */
            th_check(st == GAN_OK && fabs(got[i] - want->data[i]) < 1e-7, label, "%.6f vs %.6f",
                     got[i], (double)want->data[i]);
        }
    }

    /* closed form on a rank-deficient set: FID(c, c) = 0 */
    {
        double fid = NAN, tr = trace_cov(feats_of(SET('c')));
        gan_fid(feats_of(SET('c')), feats_of(SET('c')), &fid);
        th_check(fabs(fid) < 1e-6 * tr, "fid(X, X) = 0, rank 6 of 16", "%.3e (trace %.3f)", fid,
                 tr);
        gan_fid(feats_of(SET('e')), feats_of(SET('e')), &fid);
        tr = trace_cov(feats_of(SET('e')));
        th_check(fabs(fid) < 1e-6 * tr, "fid(X, X) = 0, n 40 < d 64", "%.3e (trace %.3f)", fid,
                 tr);
    }
#undef SET
    gan_ctx_free(ctx);
    th_fixture_free(f);
}

/* ---------------------------------------------------------------- FID closed forms */

static double *randn64(int64_t n, uint64_t stream) {
    float *t = malloc(sizeof(float) * (size_t)n);
    gan_philox_normal(t, n, 99, stream);
    double *x = to_f64(t, n);
    free(t);
    return x;
}

static void test_fid_closed_forms(void) {
    const int n = 3000, d = 32;
    double *x = randn64((int64_t)n * d, 1);
    /* correlated, non-centred features */
    for (int i = 0; i < n; i++)
        for (int j = d - 1; j > 0; j--) {
            double *row = x + (int64_t)i * d;
            row[j] += 0.5 * row[j - 1] + 0.1 * j;
        }
    gan_feats fx = gan_feats_f64(x, n, d);
    double tr = trace_cov(fx), fid = NAN;
    gan_fid(fx, fx, &fid);
    th_check(fabs(fid) < 1e-6 * tr, "fid(X, X) = 0", "%.3e (trace %.3f, rel %.1e)", fid, tr,
             fabs(fid) / tr);

    double *xs = malloc(sizeof(double) * (size_t)n * d), c2 = 0;
    for (int j = 0; j < d; j++) c2 += (0.05 * j - 0.7) * (0.05 * j - 0.7);
    for (int i = 0; i < n; i++)
        for (int j = 0; j < d; j++)
            xs[(int64_t)i * d + j] = x[(int64_t)i * d + j] + (0.05 * j - 0.7);
    gan_fid(fx, gan_feats_f64(xs, n, d), &fid);
    th_check(rel(fid, c2) < 1e-8, "fid(X, X + c) = |c|^2", "%.12f vs %.12f rel %.2e", fid, c2,
             rel(fid, c2));
    free(xs);
    free(x);

    /* Sets with exactly known sample statistics: rows +-a e_i (each r times), so the sample
     * mean is 0 and the sample covariance is I when a^2 = (N - 1) / (2 r); scaled by s per
     * column, rotated by a Householder reflection Q and shifted by mu:
     * mean mu, covariance Q diag(s^2) Q^T. Two such sets share Q, so their covariances commute
     * and tr sqrt(S1 S2) = sum s1 s2. */
    const int D = 12;
    double q[12], qn = 0;
    for (int j = 0; j < D; j++) {
        q[j] = sin(1.0 + 2.3 * j);
        qn += q[j] * q[j];
    }
    for (int variant = 0; variant < 2; variant++) {
        double s[2][12], mu[2][12];
        int reps[2] = {1, 3};
        double *set[2];
        for (int k = 0; k < 2; k++) {
            for (int j = 0; j < D; j++) {
                s[k][j] = 0.3 + 0.2 * ((j * (k + 2)) % 7);
                mu[k][j] = 0.1 * k * j - 0.2;
            }
            if (variant == 1) {   /* singular covariances: S1 misses a direction, S2 two */
                s[0][3] = 0;
                s[1][5] = s[1][8] = 0;
            }
            int N = 2 * D * reps[k];
            double a = sqrt((N - 1) / (2.0 * reps[k]));
            set[k] = calloc((size_t)N * D, sizeof(double));
            for (int r = 0; r < N; r++) {
                int i = (r / 2) % D;
                double z[12] = {0};
                z[i] = (r % 2 ? -a : a) * s[k][i];
                /* row = mu + Q z, Q = I - 2 q q^T / |q|^2 */
                double qz = 0;
                for (int j = 0; j < D; j++) qz += q[j] * z[j];
                for (int j = 0; j < D; j++)
                    set[k][(int64_t)r * D + j] = mu[k][j] + z[j] - 2 * q[j] * qz / qn;
            }
        }
        double want = 0;
        for (int j = 0; j < D; j++)
            want += (mu[0][j] - mu[1][j]) * (mu[0][j] - mu[1][j]) +
                    (s[0][j] - s[1][j]) * (s[0][j] - s[1][j]);
        gan_fid(gan_feats_f64(set[0], 2 * D * reps[0], D),
                gan_feats_f64(set[1], 2 * D * reps[1], D), &fid);
        /* singular: eigenvalues ~1e-16 of the product become ~1e-8 under the square root */
        double tol = variant ? 1e-7 : 1e-10;
        th_check(rel(fid, want) < tol, variant ? "fid closed form, singular covariances"
                                               : "fid closed form, Q diag(s^2) Q^T",
                 "%.12f vs %.12f rel %.2e", fid, want, rel(fid, want));
        free(set[0]);
        free(set[1]);
    }
}

/* ---------------------------------------------------------------- statistics files */

static void test_fid_stats_file(void) {
    const int n = 200, d = 10;
    double *x = randn64((int64_t)n * d, 2), *y = randn64((int64_t)n * d, 3);
    for (int64_t i = 0; i < (int64_t)n * d; i++) y[i] = 1.5 * y[i] + 0.3;
    gan_fid_stats sx, sy, lx;
    gan_fid_stats_compute(gan_feats_f64(x, n, d), &sx);
    gan_fid_stats_compute(gan_feats_f64(y, n, d), &sy);
    char path[64];
    snprintf(path, sizeof path, "/tmp/gan_test_metrics_%d.fid", (int)getpid());
    gan_status st = gan_fid_stats_save(&sx, path);
    gan_status st2 = gan_fid_stats_load(path, &lx);
    int same = st == GAN_OK && st2 == GAN_OK && lx.d == d && lx.n == n &&
               !memcmp(lx.mu, sx.mu, sizeof(double) * d) &&
               !memcmp(lx.sigma, sx.sigma, sizeof(double) * d * d);
    double f1 = NAN, f2 = NAN;
    gan_fid_from_stats(&sx, &sy, &f1);
    if (same) gan_fid_from_stats(&lx, &sy, &f2);
    th_check(same && f1 == f2, "fid stats save/load round trip", "fid %.12f vs %.12f", f1, f2);

    /* malformed files: each one a GAN_ERR_FORMAT, the struct left zeroed */
    FILE *fp = fopen(path, "rb");
    fseek(fp, 0, SEEK_END);
    long size = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    unsigned char *bytes = malloc((size_t)size);
    size_t got = fread(bytes, 1, (size_t)size, fp);
    fclose(fp);
    struct { const char *what; long len; int off; unsigned char val; } cases[] = {
        {"truncated", size - 8, -1, 0},
        {"trailing byte", size + 1, -1, 0},
        {"bad magic", size, 0, 'X'},
        {"d lies", size, 8, 11},
        {"n = 0", size, 12, 0},
        {"NaN in sigma", size, -2, 0},
        {"header only", 20, -1, 0},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        unsigned char *b = calloc((size_t)size + 1, 1);
        memcpy(b, bytes, got);
        if (cases[c].off >= 0) b[cases[c].off] = cases[c].val;
        if (cases[c].off == -2) {   /* last double = NaN */
            double nan_v = NAN;
            memcpy(b + size - 8, &nan_v, 8);
        }
        if (cases[c].off == 12) memset(b + 12, 0, 8);
        fp = fopen(path, "wb");
        fwrite(b, 1, (size_t)cases[c].len, fp);
        fclose(fp);
        gan_fid_stats bad;
        memset(&bad, 0x5a, sizeof bad);
        st = gan_fid_stats_load(path, &bad);
        char label[64];
        snprintf(label, sizeof label, "fid stats load: %s", cases[c].what);
        th_check(st == GAN_ERR_FORMAT && !bad.mu && !bad.sigma && bad.d == 0, label, "%s: %s",
                 gan_status_to_string(st), gan_last_error());
        free(b);
    }
    remove(path);
    gan_fid_stats bad;
    st = gan_fid_stats_load(path, &bad);
    th_check(st == GAN_ERR_IO, "fid stats load: missing file", "%s", gan_last_error());
    free(bytes);
    gan_fid_stats_free(&sx);
    gan_fid_stats_free(&sy);
    gan_fid_stats_free(&lx);
    gan_fid_stats_free(&lx);   /* twice: safe on a zeroed struct */
    free(x);
    free(y);
}

/* ---------------------------------------------------------------- KID sampler */

static void test_kid_sampler(void) {
    const int n = 500, m = 100, S = 100;
    int *idx = malloc(sizeof(int) * S * m), *idx2 = malloc(sizeof(int) * S * m);
    int *seen = calloc(n, sizeof(int)), *count = calloc(n, sizeof(int));
    gan_rng r = gan_rng_init(5), r2 = gan_rng_init(5);
    gan_kid_sample_subsets(n, m, S, &r, idx);
    gan_kid_sample_subsets(n, m, S, &r2, idx2);
    int ok = 1;
    for (int s = 0; s < S; s++) {
        for (int i = 0; i < m; i++) {
            int v = idx[s * m + i];
            if (v < 0 || v >= n || seen[v] == s + 1) ok = 0;   /* out of range or repeated */
            else seen[v] = s + 1;
            if (v >= 0 && v < n) count[v]++;
        }
    }
    int lo = S * m, hi = 0;
    for (int i = 0; i < n; i++) {
        lo = count[i] < lo ? count[i] : lo;
        hi = count[i] > hi ? count[i] : hi;
    }
    /* each index is in a subset with probability 1/5: 20 of 100 on average, sd 4 */
    th_check(ok && lo >= 4 && hi <= 40, "kid subsets: distinct, in range, spread",
             "counts per index in [%d, %d]", lo, hi);
    th_check(!memcmp(idx, idx2, sizeof(int) * S * m), "kid subsets: same seed, same subsets",
             "%s", "");
    r2 = gan_rng_init(6);
    gan_kid_sample_subsets(n, m, S, &r2, idx2);
    th_check(memcmp(idx, idx2, sizeof(int) * S * m) != 0, "kid subsets: another seed differs",
             "%s", "");
    free(idx);
    free(idx2);
    free(seen);
    free(count);
}

/* ---------------------------------------------------------------- P/R brute force, tiles */

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double dist2(const float *a, const float *b, int d) {
    double s = 0;
    for (int j = 0; j < d; j++) s += ((double)a[j] - b[j]) * ((double)a[j] - b[j]);
    return s;
}

static void radii_brute(const float *x, int n, int d, int k, double *r2) {
    double *row = malloc(sizeof(double) * n);
    for (int i = 0; i < n; i++) {
        int c = 0;
        for (int j = 0; j < n; j++)
            if (j != i) row[c++] = dist2(x + (int64_t)i * d, x + (int64_t)j * d, d);
        qsort(row, (size_t)c, sizeof(double), cmp_double);
        r2[i] = row[k - 1];
    }
    free(row);
}

static void prdc_brute(const float *re, int nr, const float *fa, int nf, int d, int k,
                       double out[4]) {
    double *rr = malloc(sizeof(double) * nr), *rf = malloc(sizeof(double) * nf);
    radii_brute(re, nr, d, k, rr);
    radii_brute(fa, nf, d, k, rf);
    int64_t prec = 0, rec = 0, dens = 0, cov = 0;
    for (int j = 0; j < nf; j++) {
        int hit = 0;
        for (int i = 0; i < nr; i++) {
            double v = dist2(re + (int64_t)i * d, fa + (int64_t)j * d, d);
            hit |= v <= rr[i];
            dens += v < rr[i];
        }
        prec += hit;
    }
    for (int i = 0; i < nr; i++) {
        int hit = 0;
        double mn = INFINITY;
        for (int j = 0; j < nf; j++) {
            double v = dist2(re + (int64_t)i * d, fa + (int64_t)j * d, d);
            hit |= v <= rf[j];
            mn = fmin(mn, v);
        }
        rec += hit;
        cov += mn < rr[i];
    }
    out[0] = (double)prec / nf;
    out[1] = (double)rec / nr;
    out[2] = (double)dens / ((double)k * nf);
    out[3] = (double)cov / nr;
    free(rr);
    free(rf);
}

static void test_prdc(void) {
    /* more rows than one 1024-row tile on both sides, sizes not multiples of it */
    const int nr = 2100, nf = 1500, d = 8;
    float *re = malloc(sizeof(float) * nr * d), *fa = malloc(sizeof(float) * nf * d);
    gan_philox_normal(re, (int64_t)nr * d, 11, 1);
    gan_philox_normal(fa, (int64_t)nf * d, 11, 2);
    for (int64_t i = 0; i < (int64_t)nf * d; i++) fa[i] = 1.2f * fa[i] + ((i % d) < 2 ? 0.5f : 0);
    gan_prdc_result r;
    gan_status st = gan_prdc(gan_feats_f32(re, nr, d), gan_feats_f32(fa, nf, d), 3, &r);
    double want[4];
    prdc_brute(re, nr, fa, nf, d, 3, want);
    double got[4] = {r.precision, r.recall, r.density, r.coverage};
    const char *what[4] = {"precision", "recall", "density", "coverage"};
    for (int i = 0; i < 4; i++) {
        char label[64];
        snprintf(label, sizeof label, "%s vs brute force, 3 tiles", what[i]);
        th_check(st == GAN_OK && fabs(got[i] - want[i]) < 1e-12, label, "%.6f vs %.6f", got[i],
                 want[i]);
    }

    /* ties, by hand (1-D, k = 1; integer distances are exact): real {0, 1} both have radius 1,
     * fake {2, 10} radius 8. Fake 2 lies exactly on real 1's ball: inside for precision (<=),
     * outside for density and coverage (<). */
    {
        double tr[2] = {0, 1}, tf[2] = {2, 10};
        gan_prdc_result t;
        st = gan_prdc(gan_feats_f64(tr, 2, 1), gan_feats_f64(tf, 2, 1), 1, &t);
        th_check(st == GAN_OK && t.precision == 0.5 && t.recall == 1 && t.density == 0 &&
                     t.coverage == 0,
                 "prdc ties by hand (<= vs <)", "P %g R %g D %g C %g", t.precision, t.recall,
                 t.density, t.coverage);
    }

    /* identical sets: everything inside; far apart: nothing */
    gan_prdc_result same, far;
    gan_prdc(gan_feats_f32(re, nr, d), gan_feats_f32(re, nr, d), 3, &same);
    th_check(same.precision == 1 && same.recall == 1 && same.coverage == 1,
             "prdc identical sets", "P %.4f R %.4f D %.4f C %.4f", same.precision, same.recall,
             same.density, same.coverage);
    float *shifted = malloc(sizeof(float) * nr * d);
    double prev_p = 2, prev_r = 2;
    int falls = 1;
    const float shifts[] = {0.5f, 1.5f, 3.0f, 100.0f};
    for (int s = 0; s < 4; s++) {
        /* a fresh draw of the same distribution, shifted: not the same points */
        gan_philox_normal(shifted, (int64_t)nr * d, 11, 3);
        for (int64_t i = 0; i < (int64_t)nr * d; i++) shifted[i] += shifts[s];
        gan_prdc(gan_feats_f32(re, nr, d), gan_feats_f32(shifted, nr, d), 3, &far);
        /* strictly lower while anything is left; 0 stays 0 */
        falls &= prev_p > 0 ? far.precision < prev_p : far.precision == 0;
        falls &= prev_r > 0 ? far.recall < prev_r : far.recall == 0;
        prev_p = far.precision;
        prev_r = far.recall;
        printf("      shift %.1f per dim: P %.4f R %.4f D %.4f C %.4f\n", shifts[s], far.precision,
               far.recall, far.density, far.coverage);
    }
    th_check(falls && far.precision == 0 && far.recall == 0 && far.density == 0 &&
                 far.coverage == 0,
             "prdc falls with distance, 0 when disjoint", "last P %.4f R %.4f", far.precision,
             far.recall);
    free(shifted);
    free(re);
    free(fa);
}

/* ---------------------------------------------------------------- thread counts */

static void test_threads(void) {
    const int n = 1500, d = 24;
    float *x = malloc(sizeof(float) * n * d), *y = malloc(sizeof(float) * n * d);
    gan_philox_normal(x, (int64_t)n * d, 3, 1);
    gan_philox_normal(y, (int64_t)n * d, 3, 2);
    for (int64_t i = 0; i < (int64_t)n * d; i++) y[i] = 0.9f * y[i] + 0.1f;
    gan_feats fx = gan_feats_f32(x, n, d), fy = gan_feats_f32(y, n, d);
    gan_kid_opts ko = {10, 700, 42};
    double fid[2];
    gan_kid_result kid[2];
    gan_prdc_result pr[2];
    int old = gan_get_threads();
    for (int t = 0; t < 2; t++) {
        gan_set_threads(t == 0 ? 1 : 3);
        gan_fid(fx, fy, &fid[t]);
        gan_kid(fx, fy, &ko, &kid[t]);
        gan_prdc(fx, fy, 4, &pr[t]);
    }
    gan_set_threads(old);
    th_check(fid[0] == fid[1], "fid: same bits on 1 and 3 threads", "%.17g vs %.17g", fid[0],
             fid[1]);
    th_check(kid[0].mean == kid[1].mean && kid[0].std == kid[1].std,
             "kid: same bits on 1 and 3 threads", "%.17g vs %.17g", kid[0].mean, kid[1].mean);
    th_check(!memcmp(&pr[0], &pr[1], sizeof pr[0]), "prdc: same on 1 and 3 threads",
             "P %.6f R %.6f", pr[0].precision, pr[0].recall);
    free(x);
    free(y);
}

/* ---------------------------------------------------------------- class statistics */

static void test_class_stats(void) {
    gan_class_stats cs;
    int64_t counts[4];
    /* one-hot over K = 4 classes, each twice: uniform histogram */
    float onehot[8 * 4] = {0};
    for (int i = 0; i < 8; i++) onehot[i * 4 + (i * 3) % 4] = 1;
    gan_status st = gan_class_stats_compute(gan_feats_f32(onehot, 8, 4), GAN_CLASS_PROBS, counts,
                                            &cs);
    th_check(st == GAN_OK && fabs(cs.entropy - log(4.0)) < 1e-15 && cs.confidence == 1 &&
                 counts[0] == 2 && counts[3] == 2,
             "class entropy uniform = log K", "%.17g vs %.17g", cs.entropy, log(4.0));
    /* all one class: entropy 0 */
    float one[3 * 3] = {0.1f, 0.8f, 0.1f, 0.3f, 0.4f, 0.3f, 0, 1, 0};
    st = gan_class_stats_compute(gan_feats_f32(one, 3, 3), GAN_CLASS_PROBS, NULL, &cs);
    th_check(st == GAN_OK && cs.entropy == 0 && fabs(cs.confidence - (0.8 + 0.4 + 1) / 3) < 1e-7,
             "class entropy collapsed = 0", "H %.3g conf %.6f", cs.entropy, cs.confidence);
    /* by hand: predictions 0, 1, 2, 0 (the tie in the last row goes to the first) */
    double hand[4 * 3] = {0.7, 0.2, 0.1, 0.1, 0.6, 0.3, 0.2, 0.2, 0.6, 0.45, 0.45, 0.1};
    st = gan_class_stats_compute(gan_feats_f64(hand, 4, 3), GAN_CLASS_PROBS, counts, &cs);
    double want_h = -(0.5 * log(0.5) + 2 * 0.25 * log(0.25)), want_c = (0.7 + 0.6 + 0.6 + 0.45) / 4;
    th_check(st == GAN_OK && fabs(cs.entropy - want_h) < 1e-15 &&
                 fabs(cs.confidence - want_c) < 1e-15 && counts[0] == 2 && counts[1] == 1,
             "class stats by hand", "H %.15f vs %.15f, conf %.15f vs %.15f", cs.entropy, want_h,
             cs.confidence, want_c);
    /* logits: softmax([0, log 3]) = (1/4, 3/4); large logits must not overflow */
    double logits[3 * 2] = {0, log(3.0), 1000, 1000 + log(3.0), log(9.0), 0};
    st = gan_class_stats_compute(gan_feats_f64(logits, 3, 2), GAN_CLASS_LOGITS, counts, &cs);
    want_c = (0.75 + 0.75 + 0.9) / 3;
    want_h = -(2.0 / 3 * log(2.0 / 3) + 1.0 / 3 * log(1.0 / 3));
    th_check(st == GAN_OK && fabs(cs.confidence - want_c) < 1e-12 &&
                 fabs(cs.entropy - want_h) < 1e-15 && counts[1] == 2,
             "class stats from logits", "conf %.15f vs %.15f", cs.confidence, want_c);

    float not_prob[2 * 2] = {0.5f, 0.5f, 0.3f, 0.4f};
    st = gan_class_stats_compute(gan_feats_f32(not_prob, 2, 2), GAN_CLASS_PROBS, NULL, &cs);
    th_check(st == GAN_ERR_ARG && strstr(gan_last_error(), "row 1"), "class stats: row sum != 1",
             "%s", gan_last_error());
    float neg[2] = {1.5f, -0.5f};
    st = gan_class_stats_compute(gan_feats_f32(neg, 1, 2), GAN_CLASS_PROBS, NULL, &cs);
    th_check(st == GAN_ERR_ARG, "class stats: negative probability", "%s", gan_last_error());
    float k1[2] = {1, 1};
    st = gan_class_stats_compute(gan_feats_f32(k1, 2, 1), GAN_CLASS_LOGITS, NULL, &cs);
    th_check(st == GAN_ERR_ARG, "class stats: K = 1", "%s", gan_last_error());
    float nan_l[2] = {0, NAN};
    st = gan_class_stats_compute(gan_feats_f32(nan_l, 1, 2), GAN_CLASS_LOGITS, NULL, &cs);
    th_check(st == GAN_ERR_ARG, "class stats: NaN", "%s", gan_last_error());
}

/* ---------------------------------------------------------------- bad input */

static void test_bad_input(void) {
    float x[20 * 4], y[20 * 3];
    gan_philox_normal(x, 80, 1, 1);
    gan_philox_normal(y, 60, 1, 2);
    gan_feats fx = gan_feats_f32(x, 20, 4);
    double fid = 123;
    gan_fid_stats s;
    gan_kid_result kr;
    gan_prdc_result pr;
    struct { const char *what; gan_status st; char msg[160]; } c[16];
    int nc = 0;
#define CASE(w, call)                                                                      \
    (c[nc].what = (w), c[nc].st = (call),                                                  \
     snprintf(c[nc].msg, sizeof c[nc].msg, "%s", gan_last_error()), nc++)
    CASE("fid n = 1", gan_fid(gan_feats_f32(x, 1, 4), fx, &fid));
    CASE("fid d mismatch", gan_fid(fx, gan_feats_f32(y, 20, 3), &fid));
    CASE("fid NULL data", gan_fid(gan_feats_f32(NULL, 20, 4), fx, &fid));
    CASE("fid d = 0", gan_fid(gan_feats_f32(x, 20, 0), gan_feats_f32(x, 20, 0), &fid));
    memset(&s, 0x5a, sizeof s);
    CASE("stats n = 1", gan_fid_stats_compute(gan_feats_f32(x, 1, 4), &s));
    int zeroed = !s.mu && !s.sigma && s.d == 0;
    CASE("kid subset_size 1", gan_kid(fx, fx, &(gan_kid_opts){5, 1, 0}, &kr));
    CASE("kid n_subsets 0", gan_kid(fx, fx, &(gan_kid_opts){0, 10, 0}, &kr));
    int idx[4] = {0, 1, 2, 20};
    CASE("kid index out of range", gan_kid_subsets(fx, fx, 1, 4, idx, idx, &kr));
    CASE("kid d mismatch", gan_kid(fx, gan_feats_f32(y, 20, 3), NULL, &kr));
    CASE("prdc k = 0", gan_prdc(fx, fx, 0, &pr));
    CASE("prdc k = n", gan_prdc(fx, fx, 20, &pr));
    CASE("sample m > n", gan_kid_sample_subsets(5, 6, 1, &(gan_rng){1, 1}, idx));
    x[13] = NAN;
    CASE("fid NaN feature", gan_fid(fx, fx, &fid));
    CASE("prdc NaN feature", gan_prdc(fx, fx, 3, &pr));
    x[13] = INFINITY;
    CASE("kid infinite feature", gan_kid(fx, fx, NULL, &kr));
#undef CASE
    for (int i = 0; i < nc; i++) {
        char label[64];
        snprintf(label, sizeof label, "bad input: %s", c[i].what);
        th_check(c[i].st == GAN_ERR_ARG, label, "%s", c[i].msg);
    }
    th_check(fid == 123, "bad input leaves outputs untouched", "%g", fid);
    th_check(zeroed, "failed stats compute leaves the struct zeroed", "%s", "");
    /* n = 2 is enough for FID: the covariance of two points */
    float two[2 * 2] = {0, 0, 2, 0};
    gan_fid_stats_compute(gan_feats_f32(two, 2, 2), &s);
    th_check(s.mu[0] == 1 && s.sigma[0] == 2 && s.sigma[1] == 0 && s.sigma[3] == 0,
             "fid stats of two points", "mu %g var %g", s.mu[0], s.sigma[0]);
    gan_fid_stats_free(&s);
}

int main(void) {
    test_fixtures();
    test_fid_closed_forms();
    test_fid_stats_file();
    test_kid_sampler();
    test_prdc();
    test_threads();
    test_class_stats();
    test_bad_input();
    return th_done("test_metrics");
}
