/* gemm.c — matrix multiply through OpenBLAS. */
#include "internal.h"
#include <cblas.h>

/* C (M,N) = alpha * op(A) (M,K) @ op(B) (K,N) + beta * C; row-major, lda/ldb/ldc row strides */
void gan_cpu_gemm(int trans_a, int trans_b, int M, int N, int K, float alpha, const float *A,
                  int lda, const float *B, int ldb, float beta, float *C, int ldc) {
    if (M == 0 || N == 0) return;
    cblas_sgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans,
                trans_b ? CblasTrans : CblasNoTrans, M, N, K, alpha, A, lda, B, ldb, beta, C,
                ldc);
}
