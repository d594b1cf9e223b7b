/* pack_gemm.h — the CPU backend's own GEMM: C (M,N) = A (M,K) @ B (K,N), with the operands
 * described by packing callbacks instead of matrices.
 *
 * Convolutions never build an im2col matrix: their B packer reads the image directly into the
 * micro-kernel's layout, so each input element is copied once per use (OpenBLAS would copy the
 * column matrix a second time). A is packed once per call and shared by all threads, so a conv's
 * weights are packed once for the whole batch rather than once per sample.
 *
 * Threads split C into (row group, column chunk) items; every C element is produced by one item
 * summing k in a fixed order, so results do not depend on the thread count or the schedule.
 * Scratch (packed A, one packed B block per thread) is grow-only memory kept between calls: a
 * steady-state training step allocates nothing. Calls from different threads take turns (a
 * recursive lock, which callers that keep scratch across several calls hold themselves). */
#ifndef GAN_PACK_GEMM_H
#define GAN_PACK_GEMM_H

#include <stddef.h>
#include <stdint.h>

#define GAN_PG_MR 6    /* micro-tile rows (A panel height) */
#define GAN_PG_NR 16   /* micro-tile columns (B sliver width: two AVX registers) */
#define GAN_PG_KC 256  /* K block: packers are never asked for more rows at once */

typedef struct gan_pgemm gan_pgemm;

/* Packs rows [m0, m0 + MR) x k in [k0, k0 + kc) of A as dst[k * MR + r]; rows >= M are zeros. */
typedef void (*gan_pg_pack_a)(const gan_pgemm *g, int m0, int k0, int kc, float *dst);
/* Packs k in [k0, k0 + kc) x columns [j0, j0 + nc) of B as NR-wide slivers:
 * dst[(j / NR) * kc * NR + k * NR + j % NR] (j, k relative to j0, k0); columns >= N are zeros.
 * j0 is a multiple of NR. */
typedef void (*gan_pg_pack_b)(const gan_pgemm *g, int k0, int kc, int j0, int nc, float *dst);

struct gan_pgemm {
    int M, N, K;
    gan_pg_pack_a pack_a;
    gan_pg_pack_b pack_b;
    const void *a_ud, *b_ud;     /* the packers' operands */
    /* C element (m, j), with j = n * P + q and q = u * QW + v, lives at
     * c + m * sm + n * sn + u * su + v * sv. A plain row-major C: P = QW = N, sm = ldc, sv = 1. */
    float *c;
    int64_t sm, sn, su, sv;
    int P, QW;
    int QV;                      /* > 0: grid columns v >= QV are scratch and discarded */
    const float *bias;           /* per row, added when C is overwritten; or NULL */
    int accumulate;              /* C += A B instead of C = A B (+ bias) */
    /* GAN_PG_A_IN_PLACE: A is a gan_pg_strided with sk 1 (rows contiguous along k), and
     * GAN_PG_B_IN_PLACE: B is a gan_pg_strided with si 1 (rows contiguous along j), that the
     * micro-kernel reads where they are instead of packing them (the arithmetic is the same) */
    int in_place;
};
#define GAN_PG_A_IN_PLACE 1
#define GAN_PG_B_IN_PLACE 2
/* GAN_PG_A_SHIFTED / GAN_PG_B_SHIFTED: the operand is a gan_pg_shifted read in place wherever
 * a panel (6 rows x KC) or sliver (KC x 16) lies within one sample; the rest goes through
 * pack_a / pack_b, which must be gan_pg_pack_a_shifted / gan_pg_pack_b_shifted. */
#define GAN_PG_A_SHIFTED 4
#define GAN_PG_B_SHIFTED 8
/* GAN_PG_B_PACKED: b_ud points at B already in the packed layout (gan_pg_packed_b_at): the
 * caller wrote it there (a transform's output), so nothing packs it, once or per item. */
#define GAN_PG_B_PACKED 16

/* Where B (k, j) of a K x N operand lies in the packed layout: K blocks of KC one after the
 * other, each holding all ceil(N / NR) slivers of kc x NR (columns past N are zeros). */
static inline int64_t gan_pg_packed_b_at(int K, int N, int k, int j) {
    int64_t kb0 = (int64_t)k / GAN_PG_KC * GAN_PG_KC, kc = K - kb0 < GAN_PG_KC ? K - kb0 : GAN_PG_KC;
    int64_t nsl = (N + GAN_PG_NR - 1) / GAN_PG_NR;
    return kb0 * nsl * GAN_PG_NR + (int64_t)(j / GAN_PG_NR) * kc * GAN_PG_NR + (k - kb0) * GAN_PG_NR + j % GAN_PG_NR;
}
static inline int64_t gan_pg_packed_b_floats(int K, int N) {
    return (int64_t)K * ((N + GAN_PG_NR - 1) / GAN_PG_NR) * GAN_PG_NR;
}

/* Runs the product under OpenMP (one thread when it is small). K may be 0 (C = bias or 0). */
void gan_pgemm_run(const gan_pgemm *g);

/* Runs products with the same M and N, up to GAN_PG_MAX_BATCH to a parallel region, each item
 * taking its columns through every member in order (members reading the same input share the
 * cache) or, with many members, whole members (then M may differ, when A is read in place).
 * Members share their in_place flags, which may be GAN_PG_A_IN_PLACE and GAN_PG_B_PACKED.
 * Falls back to one gan_pgemm_run each when they differ in shape or are too big. */
#define GAN_PG_MAX_BATCH 32
void gan_pgemm_run_batch(const gan_pgemm *gs, int count);

/* Held around any use of the backend's scratch (recursive; the GEMMs take it themselves). */
void gan_pg_lock(void);
void gan_pg_unlock(void);

/* Grow-only buffer `slot` (0 .. GAN_PG_SCRATCH_SLOTS-1) of at least n floats for a caller's own
 * scratch: distinct from the GEMM's packing buffers and from the other slots; valid until the
 * next call for the same slot (which may move it). */
#define GAN_PG_SCRATCH_SLOTS 4
float *gan_pg_scratch(int slot, size_t n);

/* dst[k * MR + r] = row[r][k] for k < kc, r < MR: the panel layout of A from MR contiguous
 * rows (8x8 transposes; the rows must hold kc readable floats). */
void gan_pg_interleave_rows(const float *const row[GAN_PG_MR], int kc, float *dst);

#if defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>
/* r[k] lane l <- r[l] lane k for k, l < 8: an 8x8 transpose in registers */
static inline void gan_pg_transpose8_regs(__m256 r[8]) {
    __m256 t0 = _mm256_unpacklo_ps(r[0], r[1]), t1 = _mm256_unpackhi_ps(r[0], r[1]),
           t2 = _mm256_unpacklo_ps(r[2], r[3]), t3 = _mm256_unpackhi_ps(r[2], r[3]),
           t4 = _mm256_unpacklo_ps(r[4], r[5]), t5 = _mm256_unpackhi_ps(r[4], r[5]),
           t6 = _mm256_unpacklo_ps(r[6], r[7]), t7 = _mm256_unpackhi_ps(r[6], r[7]);
    __m256 u0 = _mm256_shuffle_ps(t0, t2, 0x44), u1 = _mm256_shuffle_ps(t0, t2, 0xEE),
           u2 = _mm256_shuffle_ps(t1, t3, 0x44), u3 = _mm256_shuffle_ps(t1, t3, 0xEE),
           u4 = _mm256_shuffle_ps(t4, t6, 0x44), u5 = _mm256_shuffle_ps(t4, t6, 0xEE),
           u6 = _mm256_shuffle_ps(t5, t7, 0x44), u7 = _mm256_shuffle_ps(t5, t7, 0xEE);
    r[0] = _mm256_permute2f128_ps(u0, u4, 0x20);
    r[1] = _mm256_permute2f128_ps(u1, u5, 0x20);
    r[2] = _mm256_permute2f128_ps(u2, u6, 0x20);
    r[3] = _mm256_permute2f128_ps(u3, u7, 0x20);
    r[4] = _mm256_permute2f128_ps(u0, u4, 0x31);
    r[5] = _mm256_permute2f128_ps(u1, u5, 0x31);
    r[6] = _mm256_permute2f128_ps(u2, u6, 0x31);
    r[7] = _mm256_permute2f128_ps(u3, u7, 0x31);
}
/* d[k * GAN_PG_NR + l] = src[l * ld + k] for l, k < 8: an 8x8 transpose into sliver rows */
void gan_pg_transpose8(const float *src, int64_t ld, float *d);
#endif

/* Strided operand: element (i, k) at p[i * si + k * sk]. */
typedef struct gan_pg_strided { const float *p; int64_t si, sk; } gan_pg_strided;
void gan_pg_pack_a_strided(const gan_pgemm *g, int m0, int k0, int kc, float *dst);
/* for B the operand's (i, k) is B's (column j, row k) */
void gan_pg_pack_b_strided(const gan_pgemm *g, int k0, int kc, int j0, int nc, float *dst);

/* Shifted-rows operand: element (r, i) = p[n * nstride + off[r] + q] with i = n * span + q,
 * q < span. A stride-1 convolution over a zero-padded image (C, Hp, Wp) per sample is one:
 * row r = (c, kh, kw) is the image shifted by off = c*Hp*Wp + kh*Wp + kw, i a position of the
 * padded grid (its columns past the output's width are scratch). The reads of a row run up
 * to off[r] + span + 15 past the sample's start, so the image needs that much slack. */
typedef struct gan_pg_shifted { const float *p; const int64_t *off; int64_t span, nstride; } gan_pg_shifted;
void gan_pg_pack_a_shifted(const gan_pgemm *g, int m0, int k0, int kc, float *dst);
void gan_pg_pack_b_shifted(const gan_pgemm *g, int k0, int kc, int j0, int nc, float *dst);

/* C (M,N) = op(A) @ op(B) [+ C], row-major with row strides lda, ldb, ldc. */
void gan_pg_matmul(int trans_a, int trans_b, int M, int N, int K, const float *A, int lda,
                   const float *B, int ldb, float *C, int ldc, int accumulate);
/* y (M,N) = x (M,K) @ w (N,K)^T + bias (N) (or no bias when NULL): a linear layer, with the
 * bias as the sums' starting value where the orientation allows. */
void gan_pg_linear(int M, int N, int K, const float *x, int ldx, const float *w, int ldw,
                   const float *bias, float *y, int ldy);
/* The same product when M, N or K is 1 (thin_gemm.c: matrix-vector and outer products, one pass
 * over the big operand); bias per column of C or NULL. Returns 0, doing nothing, otherwise. */
int gan_thin_matmul(int trans_a, int trans_b, int M, int N, int K, const float *A, int lda,
                    const float *B, int ldb, const float *bias, float *C, int ldc, int accumulate);

#endif
