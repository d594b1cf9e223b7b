/* thin_gemm.c — products with a dimension of 1: a matrix times a vector (M or N is 1) or an
 * outer product (K is 1). The packed kernel would pad the lone row or column to a 6x16
 * micro-tile (6 or 16 times the arithmetic) and pack the other operand for a single use; these
 * are memory-bound, so they run as one pass over the big operand instead. A DCGAN-28 D's last
 * layer (6272 -> 1: forward, input and weight gradient) took 170-250 us a call that way, a
 * quarter of which is the reading of 1.6 MB.
 *
 * Each C element is produced by one thread summing k in a fixed order (a dot product's eight
 * lanes are added in a fixed tree), so results do not depend on the thread count. */
#include "backend/cpu/pack_gemm.h"
#include "internal.h"
#include <omp.h>
#if defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>
#endif

#define PAR_FLOATS (1 << 18)   /* operands smaller than this stay on one thread (1 MiB) */

/* sum_k u[k * su] * v[k * sv], k < K; vectorised when both are contiguous */
static float dot(const float *u, int64_t su, const float *v, int64_t sv, int K) {
    int k = 0;
    float s = 0.0f;
#if defined(__AVX2__) && defined(__FMA__)
    if (su == 1 && sv == 1 && K >= 8) {
        __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps();
        for (; k + 16 <= K; k += 16) {
            a0 = _mm256_fmadd_ps(_mm256_loadu_ps(u + k), _mm256_loadu_ps(v + k), a0);
            a1 = _mm256_fmadd_ps(_mm256_loadu_ps(u + k + 8), _mm256_loadu_ps(v + k + 8), a1);
        }
        for (; k + 8 <= K; k += 8) a0 = _mm256_fmadd_ps(_mm256_loadu_ps(u + k), _mm256_loadu_ps(v + k), a0);
        __m256 a = _mm256_add_ps(a0, a1);
        __m128 h = _mm_add_ps(_mm256_castps256_ps128(a), _mm256_extractf128_ps(a, 1));
        h = _mm_add_ps(h, _mm_movehl_ps(h, h));
        h = _mm_add_ss(h, _mm_movehdup_ps(h));
        s = _mm_cvtss_f32(h);
    }
#endif
    for (; k < K; k++) s += u[(int64_t)k * su] * v[(int64_t)k * sv];
    return s;
}

/* c[j] = (over ? 0 : c[j]) + sum_k x[k * sx] * rows[k * ldr + j], j < n: a vector times a
 * matrix whose rows run along j, one row at a time (each c[j] sums k in order) */
static void axpy_rows(const float *x, int64_t sx, const float *rows, int64_t ldr, int K, int n,
                      float *c, int over) {
    int j = 0;
#if defined(__AVX2__) && defined(__FMA__)
    for (; j + 8 <= n; j += 8) {
        __m256 acc = over ? _mm256_setzero_ps() : _mm256_loadu_ps(c + j);
        if (over && K > 0) acc = _mm256_mul_ps(_mm256_set1_ps(x[0]), _mm256_loadu_ps(rows + j));
        for (int k = over ? 1 : 0; k < K; k++)
            acc = _mm256_fmadd_ps(_mm256_set1_ps(x[(int64_t)k * sx]), _mm256_loadu_ps(rows + (int64_t)k * ldr + j), acc);
        _mm256_storeu_ps(c + j, acc);
    }
#endif
    for (; j < n; j++) {
        float s = over ? 0.0f : c[j];
        for (int k = 0; k < K; k++) s = __builtin_fmaf(x[(int64_t)k * sx], rows[(int64_t)k * ldr + j], s);
        c[j] = s;
    }
}

/* c[j * sc] (+)= sum_k x[k * sx] * mat[k * rk + j * rj] (+ bias[j * sb]), j < n: a vector
 * times a matrix. Sweeps over the matrix's rows, 1024 columns at a time, when they run along j
 * and c is contiguous; else a dot product per j. */
static void vec_mat(const float *x, int64_t sx, const float *mat, int64_t rk, int64_t rj, int K,
                    int n, float *c, int64_t sc, const float *bias, int sb, int accumulate, int par) {
    if (rj == 1 && sc == 1) {
        const int chunk = 1024;
#pragma omp parallel for schedule(static) if (par)
        for (int j0 = 0; j0 < n; j0 += chunk) {
            const int w = n - j0 < chunk ? n - j0 : chunk;
            axpy_rows(x, sx, mat + j0, rk, K, w, c + j0, !accumulate);
            if (!accumulate && bias)
                for (int j = j0; j < j0 + w; j++) c[j] += bias[j * sb];
        }
        return;
    }
#pragma omp parallel for schedule(static) if (par)
    for (int j = 0; j < n; j++) {
        float s = dot(x, sx, mat + (int64_t)j * rj, rk, K), *d = c + (int64_t)j * sc;
        *d = accumulate ? *d + s : (bias ? bias[j * sb] : 0.0f) + s;
    }
}

int gan_thin_matmul(int trans_a, int trans_b, int M, int N, int K, const float *A, int lda,
                    const float *B, int ldb, const float *bias, float *C, int ldc, int accumulate) {
    if (M != 1 && N != 1 && K != 1) return 0;
    if (M <= 0 || N <= 0 || K <= 0) return 0;
    /* op(A)(m, k) at A[m * ai + k * ak], op(B)(k, n) at B[k * bk + n * bn] */
    const int64_t ai = trans_a ? 1 : lda, ak = trans_a ? lda : 1;
    const int64_t bk = trans_b ? 1 : ldb, bn = trans_b ? ldb : 1;
    const int par = !omp_in_parallel() && (int64_t)M * K + (int64_t)K * N + (int64_t)M * N > PAR_FLOATS;
    if (K == 1) {
        /* C (M, N) [+]= a (M) b (N)^T [+ bias]: each row of C is b scaled */
#pragma omp parallel for schedule(static) if (par)
        for (int m = 0; m < M; m++) {
            const float am = A[(int64_t)m * ai];
            float *c = C + (int64_t)m * ldc;
            int n = 0;
#if defined(__AVX2__) && defined(__FMA__)
            if (bn == 1)
                for (const __m256 va = _mm256_set1_ps(am); n + 8 <= N; n += 8) {
                    __m256 start = accumulate ? _mm256_loadu_ps(c + n)
                                   : bias     ? _mm256_loadu_ps(bias + n)
                                              : _mm256_setzero_ps();
                    _mm256_storeu_ps(c + n, _mm256_fmadd_ps(va, _mm256_loadu_ps(B + n), start));
                }
#endif
            for (; n < N; n++) {
                float start = accumulate ? c[n] : bias ? bias[n] : 0.0f;
                c[n] = __builtin_fmaf(am, B[(int64_t)n * bn], start);
            }
        }
        return 1;
    }
    /* a row or a column of C: c^T (1, M) = b^T op(A)^T when N is 1, c (1, N) = a op(B) when M is */
    if (N == 1) vec_mat(B, bk, A, ak, ai, K, M, C, ldc, bias, 0, accumulate, par);
    else vec_mat(A, ak, B, bk, bn, K, N, C, 1, bias, 1, accumulate, par);
    return 1;
}
