/* gemm.c — the library's matrix multiply: pack_gemm.c's kernel for the C = A B and C += A B the
 * ops use (deterministic, OpenMP-threaded, no OpenBLAS threads waking up between ops); OpenBLAS
 * for any other alpha/beta. */
#include "backend/cpu/pack_gemm.h"
#include "internal.h"
#include <cblas.h>

/* C (M,N) = alpha * op(A) (M,K) @ op(B) (K,N) + beta * C; row-major, lda/ldb/ldc row strides */
void gan_cpu_gemm(int trans_a, int trans_b, int M, int N, int K, float alpha, const float *A,
                  int lda, const float *B, int ldb, float beta, float *C, int ldc) {
    if (M == 0 || N == 0) return;
    if (alpha == 1.0f && (beta == 0.0f || beta == 1.0f)) {
        gan_pg_matmul(trans_a, trans_b, M, N, K, A, lda, B, ldb, C, ldc, beta == 1.0f);
        return;
    }
    cblas_sgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans,
                trans_b ? CblasTrans : CblasNoTrans, M, N, K, alpha, A, lda, B, ldb, beta, C,
                ldc);
}
