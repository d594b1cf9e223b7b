/* test_pack_gemm.c — the CPU backend's own GEMM (src/backend/cpu/pack_gemm.c) and the conv
 * kernels built on it (conv_gemm.c), against plain double-precision loops and the explicit
 * im2col/col2im formulation; and bit-identical results on 1, 2 and 3 threads (each C element is
 * summed by one item in a fixed order, whatever the thread count or schedule). */
#include "harness.h"
#include "backend/cpu/conv_kernels.h"
#include "backend/cpu/pack_gemm.h"
#include "backend/cpu/winograd.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

static float *randv(int64_t n, uint64_t stream) {
    float *p = malloc(sizeof(float) * (size_t)(n ? n : 1));
    gan_philox_normal(p, n, 77, stream);
    return p;
}

/* C = op(A) op(B) (+ C0) in double */
static void ref_matmul(int ta, int tb, int M, int N, int K, const float *A, int lda,
                       const float *B, int ldb, const float *C0, float *C, int ldc) {
    for (int m = 0; m < M; m++)
        for (int n = 0; n < N; n++) {
            double s = C0 ? C0[(int64_t)m * ldc + n] : 0.0;
            for (int k = 0; k < K; k++)
                s += (double)(ta ? A[(int64_t)k * lda + m] : A[(int64_t)m * lda + k]) *
                     (double)(tb ? B[(int64_t)n * ldb + k] : B[(int64_t)k * ldb + n]);
            C[(int64_t)m * ldc + n] = (float)s;
        }
}

/* ldc = N + cpad (C's row padding, never written, is checked when cpad > 0) */
static void check_matmul_pad(int ta, int tb, int M, int N, int K, int acc, int cpad) {
    int lda = (ta ? M : K) + 3, ldb = (tb ? K : N) + 1, ldc = N + cpad;
    float *A = randv((int64_t)lda * (ta ? K : M), 1), *B = randv((int64_t)ldb * (tb ? N : K), 2);
    float *C0 = randv((int64_t)ldc * M, 3);
    float *R = malloc(sizeof(float) * (size_t)ldc * M);
    float *C[3];
    ref_matmul(ta, tb, M, N, K, A, lda, B, ldb, acc ? C0 : NULL, R, ldc);
    for (int t = 0; t < 3; t++) {
        gan_set_threads(t + 1);
        C[t] = malloc(sizeof(float) * (size_t)ldc * M);
        memcpy(C[t], C0, sizeof(float) * (size_t)ldc * M);
        gan_pg_matmul(ta, tb, M, N, K, A, lda, B, ldb, C[t], ldc, acc);
    }
    double err = 0, scale = 1e-6;
    int pad_ok = 1, same = 1;
    for (int m = 0; m < M; m++) {
        for (int n = 0; n < ldc; n++) {
            int64_t i = (int64_t)m * ldc + n;
            if (n >= N) {              /* the row padding of C is never written */
                pad_ok &= C[0][i] == C0[i];
                continue;
            }
            err = fmax(err, fabs((double)C[0][i] - R[i]));
            scale = fmax(scale, fabs((double)R[i]));
            same &= C[0][i] == C[1][i] && C[0][i] == C[2][i];
        }
    }
    char name[128];
    snprintf(name, sizeof name, "matmul %s%s %dx%dx%d%s", ta ? "T" : "N", tb ? "T" : "N", M, N,
             K, acc ? " +=" : "");
    th_check(err / scale < 2e-6 * sqrt((double)K + 1) && pad_ok, name, "rel err %.2e", err / scale);
    snprintf(name + strlen(name), sizeof name - strlen(name), ": 1 == 2 == 3 threads");
    th_check(same, name, "%s", same ? "bit-identical" : "differ");
    for (int t = 0; t < 3; t++) free(C[t]);
    free(A);
    free(B);
    free(C0);
    free(R);
}
static void check_matmul(int ta, int tb, int M, int N, int K, int acc) {
    check_matmul_pad(ta, tb, M, N, K, acc, 2);
}

/* y = x w^T + b (gan_pg_linear) against double loops; 1 == 2 == 3 threads */
static void check_linear(int M, int N, int K) {
    int ldx = K + 1, ldw = K + 2, ldy = N + 3;
    float *x = randv((int64_t)ldx * M, 4), *w = randv((int64_t)ldw * N, 5), *b = randv(N, 6);
    float *Y[3];
    double err = 0, scale = 1e-6;
    int same = 1;
    for (int t = 0; t < 3; t++) {
        gan_set_threads(t + 1);
        Y[t] = malloc(sizeof(float) * (size_t)ldy * M);
        gan_pg_linear(M, N, K, x, ldx, w, ldw, b, Y[t], ldy);
    }
    for (int m = 0; m < M; m++)
        for (int n = 0; n < N; n++) {
            double r = b[n];
            for (int k = 0; k < K; k++) r += (double)x[(int64_t)m * ldx + k] * w[(int64_t)n * ldw + k];
            float y = Y[0][(int64_t)m * ldy + n];
            err = fmax(err, fabs(y - r));
            scale = fmax(scale, fabs(r));
            same &= y == Y[1][(int64_t)m * ldy + n] && y == Y[2][(int64_t)m * ldy + n];
        }
    char name[96];
    snprintf(name, sizeof name, "linear %dx%dx%d + bias", M, N, K);
    th_check(err / scale < 2e-6 * sqrt((double)K + 1), name, "rel err %.2e", err / scale);
    snprintf(name + strlen(name), sizeof name - strlen(name), ": 1 == 2 == 3 threads");
    th_check(same, name, "%s", same ? "bit-identical" : "differ");
    for (int t = 0; t < 3; t++) free(Y[t]);
    free(x);
    free(w);
    free(b);
}

/* ------------------------------------------------------------------ conv kernels */

typedef struct { int N, C, H, W, OC, KH, KW, s, p, op; } cg;

static gan_conv_geom geom_of(cg c) {
    int HO = (c.H + 2 * c.p - c.KH) / c.s + 1, WO = (c.W + 2 * c.p - c.KW) / c.s + 1;
    return (gan_conv_geom){.N = c.N, .C = c.C, .H = c.H, .W = c.W, .OC = c.OC, .HO = HO,
                           .WO = WO, .KH = c.KH, .KW = c.KW, .stride = c.s, .pad = c.p};
}

/* reference conv, adjoint and weight gradient through the explicit column matrix */
static void ref_conv(const gan_conv_geom *g, const float *x, const float *w, const float *b,
                     const float *bx, const float *dy, float *y, float *dx, float *dw) {
    int K = g->C * g->KH * g->KW, P = g->HO * g->WO;
    int64_t hw = (int64_t)g->H * g->W;
    float *cols = malloc(sizeof(float) * (size_t)K * P);
    gan_conv_geom g1 = *g;
    g1.N = 1;
    memset(dw, 0, sizeof(float) * (size_t)g->OC * K);
    for (int n = 0; n < g->N; n++) {
        gan_cpu_im2col(&g1, x + n * g->C * hw, cols);
        for (int o = 0; o < g->OC; o++)
            for (int q = 0; q < P; q++) {
                double s = b ? b[o] : 0.0;
                for (int k = 0; k < K; k++) s += (double)w[o * K + k] * cols[(int64_t)k * P + q];
                y[((int64_t)n * g->OC + o) * P + q] = (float)s;
            }
        for (int o = 0; o < g->OC; o++)
            for (int k = 0; k < K; k++) {
                double s = 0;
                for (int q = 0; q < P; q++)
                    s += (double)dy[((int64_t)n * g->OC + o) * P + q] * cols[(int64_t)k * P + q];
                dw[o * K + k] += (float)s;
            }
        for (int k = 0; k < K; k++)
            for (int q = 0; q < P; q++) {
                double s = 0;
                for (int o = 0; o < g->OC; o++)
                    s += (double)w[o * K + k] * dy[((int64_t)n * g->OC + o) * P + q];
                cols[(int64_t)k * P + q] = (float)s;
            }
        gan_cpu_col2im(&g1, cols, bx, dx + n * g->C * hw);
    }
    free(cols);
}

static void check_conv(cg c) {
    gan_conv_geom g = geom_of(c);
    g.H += c.op;                 /* output padding: rows no window reaches (adjoint only) */
    g.W += c.op;
    int64_t nx = (int64_t)g.N * g.C * g.H * g.W, ny = (int64_t)g.N * g.OC * g.HO * g.WO;
    int64_t nw = (int64_t)g.OC * g.C * g.KH * g.KW;
    float *x = randv(nx, 10), *w = randv(nw, 11), *dy = randv(ny, 12), *bo = randv(g.OC, 13),
          *bc = randv(g.C, 14);
    float *ry = malloc(sizeof(float) * (size_t)ny), *rdx = malloc(sizeof(float) * (size_t)nx),
          *rdw = malloc(sizeof(float) * (size_t)nw);
    ref_conv(&g, x, w, bo, bc, dy, ry, rdx, rdw);
    float *y[3], *dx[3], *dw[3];
    for (int t = 0; t < 3; t++) {
        gan_set_threads(t + 1);
        y[t] = malloc(sizeof(float) * (size_t)ny);
        dx[t] = malloc(sizeof(float) * (size_t)nx);
        dw[t] = malloc(sizeof(float) * (size_t)nw);
        gan_cpu_conv2d(&g, x, w, bo, y[t]);
        gan_cpu_conv2d_adjoint(&g, dy, w, bc, dx[t]);
        gan_cpu_conv2d_weight_grad(&g, x, dy, dw[t]);
    }
    char name[160];
    snprintf(name, sizeof name, "conv N%d C%d %dx%d -> OC%d %dx%d k%dx%d s%d p%d", g.N, g.C, g.H,
             g.W, g.OC, g.HO, g.WO, g.KH, g.KW, g.stride, g.pad);
    const char *what[3] = {"forward", "adjoint", "weight grad"};
    float *got[3] = {y[0], dx[0], dw[0]}, *ref[3] = {ry, rdx, rdw};
    int64_t len[3] = {ny, nx, nw};
    for (int i = 0; i < 3; i++) {
        double e = th_rel_err(got[i], ref[i], len[i], 1e-3);
        th_check(e < 1e-5, name, "%s: rel err %.2e", what[i], e);
    }
    int same = !memcmp(y[0], y[1], sizeof(float) * (size_t)ny) && !memcmp(y[0], y[2], sizeof(float) * (size_t)ny) &&
               !memcmp(dx[0], dx[1], sizeof(float) * (size_t)nx) && !memcmp(dx[0], dx[2], sizeof(float) * (size_t)nx) &&
               !memcmp(dw[0], dw[1], sizeof(float) * (size_t)nw) && !memcmp(dw[0], dw[2], sizeof(float) * (size_t)nw);
    th_check(same, name, "1 == 2 == 3 threads: %s", same ? "bit-identical" : "differ");
    for (int t = 0; t < 3; t++) {
        free(y[t]);
        free(dx[t]);
        free(dw[t]);
    }
    free(x);
    free(w);
    free(dy);
    free(bo);
    free(bc);
    free(ry);
    free(rdx);
    free(rdw);
}

/* DCGAN's 4x4 / stride 2 / pad 1 convs go through Winograd F(4x4, 2x2) (winograd.c) where it
 * fits; these geometries must take that path (else the checks below test the direct one). */
static void check_winograd(void) {
    const cg convs[] = {
        {32, 16, 14, 14, 24, 4, 4, 2, 1, 0},  /* 7x7 output: mixed F(4, 2) / F(3, 2) tiles (the
                                                 adjoint: edge tiles); OC 24: a half sliver */
        {30, 16, 22, 22, 16, 4, 4, 2, 1, 0},  /* 11x11: 3x3 mixed tiles a sample, 30 samples
                                                 (not in fours) */
        {16, 24, 32, 16, 16, 4, 4, 2, 1, 0},  /* H != W, 4x2 tiles a sample; C 24: half sliver */
        {32, 32, 16, 16, 32, 4, 4, 2, 1, 0},  /* whole tiles */
        {16, 16, 24, 24, 16, 4, 4, 2, 1, 0},  /* 3x3 tiles a sample: not in fours */
        {32, 16, 14, 10, 16, 4, 4, 2, 1, 0},  /* 7x5: the adjoint's phases share one transform */
        {32, 16, 14, 16, 16, 4, 4, 2, 1, 0},  /* 7x8: they don't (8 is a multiple of 4) */
    };
    for (size_t i = 0; i < sizeof convs / sizeof convs[0]; i++) {
        gan_conv_geom g = geom_of(convs[i]);
        th_check(gan_wino_fits(&g), "winograd takes the geometry", "N%d C%d %dx%d OC%d", g.N, g.C,
                 g.H, g.W, g.OC);
        check_conv(convs[i]);
    }
    /* small scratch: samples in chunks, output channels in blocks (U, the adjoint's and the
     * weight gradient's too), transforms redone per block */
    int64_t old = gan_wino_set_cap(8000);
    check_conv(convs[0]);
    gan_wino_set_cap(old);
    /* switched off: the direct products */
    gan_set_winograd(0);
    gan_conv_geom g = geom_of(convs[0]);
    th_check(!gan_wino_fits(&g), "gan_set_winograd(0): direct products", "%d", gan_get_winograd());
    gan_set_winograd(1);
}

/* A training step's GEMMs reuse the backend's scratch: no allocation once warm. */
static void check_no_alloc(void) {
    gan_set_threads(2);
    cg c = {4, 8, 16, 16, 16, 4, 4, 2, 1, 0};
    gan_conv_geom g = geom_of(c);
    int64_t nx = (int64_t)g.N * g.C * g.H * g.W, ny = (int64_t)g.N * g.OC * g.HO * g.WO;
    float *x = randv(nx, 1), *w = randv((int64_t)g.OC * g.C * 16, 2), *y = randv(ny, 3);
    float *dw = malloc(sizeof(float) * (size_t)g.OC * g.C * 16);
    uint64_t before = 0;
    for (int i = 0; i < 3; i++) {
        if (i == 2) before = gan_alloc_count();
        gan_cpu_conv2d(&g, x, w, NULL, y);
        gan_cpu_conv2d_adjoint(&g, y, w, NULL, x);
        gan_cpu_conv2d_weight_grad(&g, x, y, dw);
    }
    th_check(gan_alloc_count() == before, "conv kernels: no allocation once warm", "%llu",
             (unsigned long long)(gan_alloc_count() - before));
    free(x);
    free(w);
    free(y);
    free(dw);
}

int main(void) {
    /* edge tiles (M % 6, N % 16), K blocks (256), transposes, C += */
    check_matmul(0, 0, 1, 1, 1, 0);
    check_matmul(0, 0, 7, 5, 3, 0);
    check_matmul(1, 0, 13, 37, 300, 1);
    check_matmul(0, 1, 64, 100, 257, 0);
    check_matmul(1, 1, 50, 129, 64, 0);
    check_matmul(0, 1, 200, 33, 520, 1);     /* N < M: computed as C^T */
    check_matmul(1, 0, 5, 20, 5000, 0);      /* small C, long K: split in fixed parts */
    check_matmul(0, 0, 96, 700, 1200, 0);    /* enough work for the threads */
    check_matmul(0, 0, 3, 2, 0, 1);          /* K = 0 */
    /* operands read in place by the micro-kernel, with a partial last panel / sliver */
    check_matmul(0, 1, 64, 1000, 300, 1);    /* x w^T, more outputs: C^T, w read in place */
    check_matmul(0, 0, 64, 517, 784, 0);     /* g w: w read in place */
    check_matmul(1, 0, 1000, 300, 64, 0);    /* g^T x: x read in place */
    check_linear(64, 300, 100);              /* bias as the sums' start (C^T) */
    check_linear(64, 1, 256);                /* one output: a dot product per sample */
    /* one of M, N, K is 1 (thin_gemm.c), every orientation, with and without C +=, big enough
     * for the threads; cpad 0: a contiguous column */
    for (int ta = 0; ta < 2; ta++)
        for (int tb = 0; tb < 2; tb++) {
            check_matmul(ta, tb, 300, 1, 2100, ta ^ tb);
            check_matmul_pad(ta, tb, 3000, 1, 200, ta, 0);
            check_matmul(ta, tb, 1, 3000, 200, tb);
            check_matmul(ta, tb, 700, 600, 1, ta);
        }
    check_linear(40, 1, 5000);               /* one output, long rows */
    check_linear(3000, 1, 100);
    check_linear(40, 200, 300);              /* C^T: 2 slivers stored transposed + a partial one, 2 K blocks */
    check_linear(3, 40, 50);                 /* fewer samples than a micro-tile: bias copied */
    check_linear(100, 50, 70);
    const cg convs[] = {
        {2, 3, 9, 9, 5, 3, 3, 1, 1, 0},      /* stride 1 */
        {3, 5, 16, 12, 7, 4, 4, 2, 1, 0},    /* stride 2, k 4 (DCGAN) */
        {2, 4, 11, 13, 6, 4, 4, 2, 1, 1},    /* output padding: rows no window reaches */
        {2, 3, 10, 9, 4, 3, 2, 3, 2, 0},     /* stride 3, pad 2, non-square kernel */
        {2, 6, 7, 7, 5, 1, 1, 2, 0, 1},      /* k < s: phases without taps */
        {5, 12, 4, 4, 9, 4, 4, 1, 0, 0},     /* 1x1 output, no pad: the adjoint is a matmul */
        {4, 3, 32, 32, 24, 4, 4, 2, 1, 0},   /* RGB: the adjoint's column path */
        {2, 1, 28, 28, 8, 4, 4, 2, 1, 0},    /* grey 28x28 */
        {5, 1, 6, 6, 10, 4, 4, 2, 1, 0},     /* grey, 3x3 dy: a sliver spans three samples */
        {8, 32, 14, 14, 40, 4, 4, 2, 1, 0},  /* enough work for the threads */
        {3, 16, 8, 20, 24, 3, 3, 1, 1, 0},   /* wide rows: contiguous patch copies */
        /* stride 1 reads shifted padded images: slivers and K blocks that cross samples,
         * scratch columns, K split in parts (weight grad), C < 6 (old adjoint path) */
        {4, 32, 28, 28, 32, 3, 3, 1, 1, 0},  /* the 28x28 ResNet's 3x3 conv */
        {3, 32, 14, 14, 40, 1, 1, 1, 0, 0},  /* its 1x1 shortcut: no padding, no copy */
        {2, 5, 8, 8, 7, 3, 3, 1, 0, 0},      /* 3x3 without padding */
        {2, 6, 9, 7, 8, 5, 5, 1, 2, 0},      /* 5x5, pad 2 */
        {2, 7, 6, 6, 8, 3, 3, 1, 2, 0},      /* pad KH-1: the adjoint's dy needs no padding */
        {2, 5, 24, 23, 7, 5, 5, 1, 2, 0},    /* 5x5, pad 2, wide enough to read shifted */
        {2, 7, 25, 25, 8, 3, 3, 1, 2, 0},    /* pad KH-1, shifted */
        {2, 7, 6, 6, 8, 3, 3, 1, 3, 0},      /* pad past KH-1: the adjoint's phase path */
        {3, 32, 7, 7, 1, 3, 3, 1, 1, 0},     /* one output channel (the ResNet's last conv) */
        /* the weight grad reads strided convs split by phase */
        {2, 3, 31, 29, 9, 5, 4, 3, 2, 0},    /* stride 3, kernel not a multiple of it */
        {2, 4, 27, 29, 9, 4, 4, 2, 1, 1},    /* output padding: input rows no window reads */
    };
    for (size_t i = 0; i < sizeof convs / sizeof convs[0]; i++) check_conv(convs[i]);
    check_winograd();
    check_no_alloc();
    return th_done("test_pack_gemm");
}
