/* harness.h — the test harness: checks that count, finite-difference gradient checks
 * (first and second order) and PyTorch fixture files. Each test program prints one line per
 * check and ends with "<prog>: N passed, N failed"; tests/run.sh sums them. */
#ifndef GAN_TEST_HARNESS_H
#define GAN_TEST_HARNESS_H
#include "gan.h"
#include <stdio.h>

extern int th_passed, th_failed;

/* Records a check: prints "PASS|FAIL name  detail". Returns ok. */
int th_check(int ok, const char *name, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Prints the summary line and returns the process exit code. */
int th_done(const char *prog);

/* Max |a-b| / max(max|b|, floor): a relative error robust to tiny references. */
double th_rel_err(const float *a, const float *b, int64_t n, double floor);
double th_max_abs_diff(const float *a, const float *b, int64_t n);

/* A function under test: builds outputs from inputs in `ctx`. */
typedef gan_tensor *(*th_fn)(gan_ctx *ctx, gan_tensor **in, void *ud);

/* First-order check: compares d(sum(f(in) * w))/d(in[i]) from gan_grad against central
 * finite differences (step eps) for every in[i] with requires_grad. Prints and records one
 * check per op; returns the max relative error. */
double th_gradcheck(const char *name, th_fn f, int n_in, gan_tensor **in, void *ud,
                    double eps, double tol);
/* Second-order check: h(in) = sum_i sum((dL/d in_i)^2) with L = sum(f * w); compares
 * dh/d(in) (through gan_grad with create_graph) against finite differences of h. */
double th_gradcheck2(const char *name, th_fn f, int n_in, gan_tensor **in, void *ud,
                     double eps, double tol);

/* Fills with N(0, scale^2) from a fixed seed (stream picks a different tensor). */
void th_fill_randn(gan_tensor *t, uint64_t stream, float scale);
/* Moves every |x| < margin away from zero (keeps finite differences off kinks). */
void th_avoid_zero(gan_tensor *t, float margin);

/* A fixture file written by tests/fixtures/make_fixtures.py: named float32 tensors.
 * Format: "GANFIX1\n" then records: u32 name_len, name, u32 ndim, u32 shape[ndim],
 * float32 data[numel] (little-endian). */
typedef struct th_fixture th_fixture;
th_fixture *th_fixture_load(const char *path);   /* NULL (and a FAIL line) when missing */
/* Copies the named tensor into a new arena tensor; asserts it exists. */
gan_tensor *th_fixture_get(th_fixture *f, gan_ctx *ctx, const char *name);
int th_fixture_has(th_fixture *f, const char *name);
void th_fixture_free(th_fixture *f);
/* Compares `got` to the fixture's `name`; prints max abs and relative error; records. */
int th_fixture_compare(th_fixture *f, const char *name, const float *got, int64_t n, double tol);

/* CLI tests: the gan binary is <dir of argv0>/../gan (1 when it is there). */
int th_gan_find(const char *argv0, char *bin, size_t n);
int th_exists(const char *path);
/* Runs `bin args` with stderr in tmp/err.txt and stdout in tmp/out.txt; returns the exit status (128 + signal when
 * killed) and puts stderr's last line into err (NULL: not wanted). */
int th_run_gan(const char *bin, const char *tmp, char *err, size_t n, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
/* 64 28x28 smooth blobs as an IDX image file, and their labels (n % 10) unless labels is NULL. */
void th_write_blob_idx(const char *images, const char *labels);

#endif
