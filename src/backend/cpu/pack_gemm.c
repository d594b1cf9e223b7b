/* pack_gemm.c — GEMM with a 6x16 AVX2/FMA micro-kernel over packed panels (see pack_gemm.h).
 *
 * Blocking: K in blocks of KC (a 6 x KC panel of A stays in L1 while it meets every 16-column
 * sliver of a KC x NC block of B, which stays in L2). A is packed whole for a K super-block
 * (at most A_CAP floats), shared by the threads; each thread packs the B blocks of its items. */
#include "backend/cpu/pack_gemm.h"
#include "internal.h"
#include <omp.h>
#include <pthread.h>
#if defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>
#endif

#define MR GAN_PG_MR
#define NR GAN_PG_NR
#define KC GAN_PG_KC
#define NC 128                 /* columns per item: a KC x NC block of B is 128 KiB */
#define A_CAP (2 << 20)        /* floats of packed A per K super-block (8 MiB) */
#define SERIAL_FLOPS 2e6       /* below this, forking threads costs more than it saves (an MLP
                                  * layer of 3.3 MFLOP ran ~1% faster split than at 4e6) */

/* ---------------------------------------------------------------- scratch
 * Grow-only, kept for the life of the process (reachable from these statics): a training loop
 * allocates it in its first step and never again. */
static float *a_buf, *b_buf;
static size_t a_cap, b_cap;

static pthread_mutex_t lock = PTHREAD_RECURSIVE_MUTEX_INITIALIZER_NP;
void gan_pg_lock(void) { pthread_mutex_lock(&lock); }
void gan_pg_unlock(void) { pthread_mutex_unlock(&lock); }

static float *grow(float **buf, size_t *cap, size_t floats) {
    if (floats > *cap) {
        gan_free(*buf);
        *cap = floats + floats / 4;
        *buf = gan_malloc(*cap * sizeof(float));
    }
    return *buf;
}

/* ---------------------------------------------------------------- micro-kernel
 * c (6,16) [+]= a (6 x kc) @ b (kc x 16); when overwriting, the sums start from init[r] (a bias)
 * when init is given. ldc is c's row stride. A's element (r, k) is a[r * ars + k * aks] (a packed
 * panel: ars 1, aks MR; a row-major matrix read in place: ars its row stride, aks 1), B's row k
 * is the 16 floats at b + k * bks (a packed sliver: bks NR; a row-major matrix: its row stride).
 * The wrappers below fix the strides at compile time; the arithmetic is the same in all. */
#if defined(__AVX2__) && defined(__FMA__)
static inline __attribute__((always_inline)) void
kernel_at(int kc, const float *restrict a, int64_t ars, int64_t aks, const float *const *arow,
          const float *restrict b, int64_t bks, const int64_t *boff, float *restrict c,
          int64_t ldc, const float *init, int add) {
    __m256 c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51;
    if (init) {
        c00 = c01 = _mm256_set1_ps(init[0]);
        c10 = c11 = _mm256_set1_ps(init[1]);
        c20 = c21 = _mm256_set1_ps(init[2]);
        c30 = c31 = _mm256_set1_ps(init[3]);
        c40 = c41 = _mm256_set1_ps(init[4]);
        c50 = c51 = _mm256_set1_ps(init[5]);
    } else {
        c00 = c01 = c10 = c11 = c20 = c21 = c30 = c31 = c40 = c41 = c50 = c51 = _mm256_setzero_ps();
    }
    const float *a0 = arow ? arow[0] : a, *a1 = arow ? arow[1] : a + ars,
                *a2 = arow ? arow[2] : a + 2 * ars, *a3 = arow ? arow[3] : a + 3 * ars,
                *a4 = arow ? arow[4] : a + 4 * ars, *a5 = arow ? arow[5] : a + 5 * ars;
    if (arow) aks = 1;
#pragma GCC unroll 4
    for (int k = 0; k < kc; k++) {
        /* packed slivers are 32-byte aligned; rows of a matrix or an image need not be */
        const float *bk = boff ? b + boff[k] : b + k * bks;
        __m256 b0 = _mm256_loadu_ps(bk), b1 = _mm256_loadu_ps(bk + 8), t;
        t = _mm256_broadcast_ss(a0 + k * aks);
        c00 = _mm256_fmadd_ps(t, b0, c00);
        c01 = _mm256_fmadd_ps(t, b1, c01);
        t = _mm256_broadcast_ss(a1 + k * aks);
        c10 = _mm256_fmadd_ps(t, b0, c10);
        c11 = _mm256_fmadd_ps(t, b1, c11);
        t = _mm256_broadcast_ss(a2 + k * aks);
        c20 = _mm256_fmadd_ps(t, b0, c20);
        c21 = _mm256_fmadd_ps(t, b1, c21);
        t = _mm256_broadcast_ss(a3 + k * aks);
        c30 = _mm256_fmadd_ps(t, b0, c30);
        c31 = _mm256_fmadd_ps(t, b1, c31);
        t = _mm256_broadcast_ss(a4 + k * aks);
        c40 = _mm256_fmadd_ps(t, b0, c40);
        c41 = _mm256_fmadd_ps(t, b1, c41);
        t = _mm256_broadcast_ss(a5 + k * aks);
        c50 = _mm256_fmadd_ps(t, b0, c50);
        c51 = _mm256_fmadd_ps(t, b1, c51);
    }
#define ROW(r, x0, x1)                                                                         \
    do {                                                                                       \
        float *p = c + (r) * ldc;                                                              \
        if (add) {                                                                             \
            x0 = _mm256_add_ps(_mm256_loadu_ps(p), x0);                                        \
            x1 = _mm256_add_ps(_mm256_loadu_ps(p + 8), x1);                                    \
        }                                                                                      \
        _mm256_storeu_ps(p, x0);                                                               \
        _mm256_storeu_ps(p + 8, x1);                                                           \
    } while (0)
    ROW(0, c00, c01);
    ROW(1, c10, c11);
    ROW(2, c20, c21);
    ROW(3, c30, c31);
    ROW(4, c40, c41);
    ROW(5, c50, c51);
#undef ROW
}
#else
static inline void kernel_at(int kc, const float *restrict a, int64_t ars, int64_t aks,
                             const float *const *arow, const float *restrict b, int64_t bks,
                             const int64_t *boff, float *restrict c, int64_t ldc,
                             const float *init, int add) {
    float acc[MR][NR];
    for (int r = 0; r < MR; r++)
        for (int l = 0; l < NR; l++) acc[r][l] = init ? init[r] : 0.0f;
    for (int k = 0; k < kc; k++) {
        const float *bk = boff ? b + boff[k] : b + k * bks;
        for (int r = 0; r < MR; r++) {
            float av = arow ? arow[r][k] : a[r * ars + k * aks];
            for (int l = 0; l < NR; l++) acc[r][l] += av * bk[l];
        }
    }
    for (int r = 0; r < MR; r++)
        for (int l = 0; l < NR; l++) c[r * ldc + l] = add ? c[r * ldc + l] + acc[r][l] : acc[r][l];
}
#endif

/* both packed */
static void kernel(int kc, const float *a, const float *b, float *c, int64_t ldc,
                   const float *init, int add) {
    kernel_at(kc, a, 1, MR, NULL, b, NR, NULL, c, ldc, init, add);
}
/* B read in place (row stride bks) */
static void kernel_bd(int kc, const float *a, const float *b, int64_t bks, float *c, int64_t ldc,
                      const float *init, int add) {
    kernel_at(kc, a, 1, MR, NULL, b, bks, NULL, c, ldc, init, add);
}
/* A read in place (row stride ars, k contiguous) */
static void kernel_ad(int kc, const float *a, int64_t ars, const float *b, float *c, int64_t ldc,
                      const float *init, int add) {
    kernel_at(kc, a, ars, 1, NULL, b, NR, NULL, c, ldc, init, add);
}
/* B's row k at b + boff[k] (a shifted image) */
static void kernel_bs(int kc, const float *a, const float *b, const int64_t *boff, float *c,
                      int64_t ldc, const float *init, int add) {
    kernel_at(kc, a, 1, MR, NULL, b, 0, boff, c, ldc, init, add);
}
/* A's rows at arow[0..6), each contiguous along k (a shifted image) */
static void kernel_as(int kc, const float *const *arow, const float *b, float *c, int64_t ldc,
                      const float *init, int add) {
    kernel_at(kc, NULL, 0, 1, arow, b, NR, NULL, c, ldc, init, add);
}

/* ---------------------------------------------------------------- driver */

#if defined(__AVX2__) && defined(__FMA__)
/* c[l * ldc + r] (+)= tmp[r * NR + l] for r < 6, l < 16: a micro-tile stored transposed, six
 * adjacent floats per column. Two 8x8 register transposes (rows 6 and 7 zero) and stores of
 * 4 + 2 floats, instead of 96 scalar ones (an MLP forward layer's C is stored this way). */
static void store_transposed(const float *tmp, float *c, int64_t ldc, int over) {
    for (int h = 0; h < NR; h += 8) {
        __m256 r[8];
        for (int q = 0; q < MR; q++) r[q] = _mm256_load_ps(tmp + q * NR + h);
        r[6] = r[7] = _mm256_setzero_ps();
        gan_pg_transpose8_regs(r);
        for (int l = 0; l < 8; l++) {
            float *d = c + (int64_t)(h + l) * ldc;
            __m128 lo = _mm256_castps256_ps128(r[l]), hi = _mm256_extractf128_ps(r[l], 1);
            if (!over) {
                lo = _mm_add_ps(lo, _mm_loadu_ps(d));
                hi = _mm_add_ps(hi, _mm_loadl_pi(_mm_setzero_ps(), (const __m64 *)(d + 4)));
            }
            _mm_storeu_ps(d, lo);
            _mm_storel_pi((__m64 *)(d + 4), hi);
        }
    }
}
#endif

/* Where a block of C goes: element (m, j) at c + m*sm + n*sn + u*su + v*sv (see gan_pgemm). */
typedef struct cview {
    float *c;
    int64_t sm, sn, su, sv;
    int P, QW, QV;
} cview;
#define DISCARD INT64_MIN   /* the offset of a scratch column (v >= QV): never stored */

typedef struct plan {
    int npan, mpad, chunks, groups, ppg, items, threads;
    int64_t ks;      /* K super-block of the shared packed A (kparts == 1) */
    int kparts;      /* > 1: K split in parts of kp (set by the shape alone), summed in order */
    int64_t kp;
} plan;


/* ktot: the reduction length of all the work (a batch's members together; g->K for one
 * product): it sets the threads, and only a single product's K is split in parts */
static plan make_plan(const gan_pgemm *g, int64_t ktot) {
    plan p;
    p.npan = (g->M + MR - 1) / MR;
    p.mpad = p.npan * MR;
    int64_t ks = (int64_t)A_CAP / p.mpad / KC * KC;
    if (ks < KC) ks = KC;
    p.ks = ks < g->K ? ks : g->K;
    p.chunks = (g->N + NC - 1) / NC;
    double flops = 2.0 * g->M * (double)g->N * (double)ktot;
    int T = flops < SERIAL_FLOPS || omp_in_parallel() ? 1 : omp_get_max_threads();
    /* a small C with a long reduction (weight gradients of thin layers) has too few items to
     * share: split K into parts whose boundaries depend on K only, never on the threads */
    p.kparts = 1;
    p.kp = g->K;
    if (ktot == g->K && (int64_t)g->M * g->N <= 65536 && p.mpad <= 1024 && g->K >= 4 * KC && p.chunks < 8) {
        /* about 16 parts of whole KC blocks, at least 4 blocks each */
        int64_t blocks = (g->K + KC - 1) / KC, per = (blocks + 15) / 16;
        if (per < 4) per = 4;
        p.kp = per * KC;
        p.kparts = (int)((g->K + p.kp - 1) / p.kp);
    }
    /* still too few column chunks to keep the threads busy: split the rows too (B is then
     * packed once per row group) */
    int groups = 1, base = p.kparts * p.chunks;
    if (T > 1 && base < 4 * T) {
        groups = (4 * T + base - 1) / base;
        if (groups > p.npan) groups = p.npan;
    }
    p.ppg = (p.npan + groups - 1) / groups;
    p.groups = (p.npan + p.ppg - 1) / p.ppg;
    p.items = p.groups * base;
    p.threads = T < p.items ? T : p.items;
    return p;
}

/* offsets of C columns [j0, j0 + n) relative to c (the row term excluded), DISCARD for scratch
 * columns; P is a multiple of QW */
static void column_offsets(const cview *cv, int j0, int n, int64_t *off) {
    int nn = j0 / cv->P, q = j0 % cv->P, u = q / cv->QW, v = q % cv->QW;
    for (int i = 0; i < n; i++) {
        off[i] = cv->QV && v >= cv->QV ? DISCARD : nn * cv->sn + u * cv->su + v * cv->sv;
        if (++q == cv->P) {
            q = u = v = 0;
            nn++;
        } else if (++v == cv->QW) {
            v = 0;
            u++;
        }
    }
}

/* Operands read in place by the micro-kernel (no packing): A (m, k) at a[m * lda + k], B (k, j)
 * at b[k * ldb + j]; NULL when packed. bpre: B packed once for all its columns (shared by
 * several row groups, or given packed: GAN_PG_B_PACKED), the KC block from k at
 * bpre + (k - ka) * nslN * NR with all ceil(N / NR) slivers in it (gan_pg_packed_b_at).
 * ash / bsh: a shifted operand (gan_pg_shifted), read in place where a panel or sliver lies
 * within one sample. */
typedef struct direct {
    const float *a, *b, *bpre;
    int64_t lda, ldb;
    const gan_pg_shifted *ash, *bsh;
} direct;

/* One item: rows of panels [mp0, mp1), columns [j0, j0 + nc), k in [k0, k1), into cv.
 * apack holds the panels packed for k from ka (shared, pre-packed), or is NULL: then the item
 * packs its own panels into abuf for each KC block, unless dir->a reads A in place (a partial
 * last panel is still packed, into a buffer on the stack). B is packed into bpack unless dir->b
 * reads it in place (a partial last sliver is still packed). over: the first block overwrites C. */
static void run_block(const gan_pgemm *g, const plan *p, const cview *cv, int mp0, int mp1,
                      int j0, int nc, int64_t k0, int64_t k1, int over_first, const float *apack,
                      int64_t ka, float *abuf, float *bpack, const float *bias, const direct *dir) {
    int nsl = (nc + NR - 1) / NR;
    int64_t off[NC];
    unsigned char contig[NC / NR];
    column_offsets(cv, j0, nc, off);
    /* a full sliver whose 16 columns are evenly spaced in C: contig when adjacent (the kernel
     * stores straight into C), tstride when C is stored transposed (sm 1: a linear layer's
     * x @ w^T computed as w x^T) and they are at least a column of 6 apart, else 0 */
    int64_t tstride[NC / NR];
    for (int s = 0; s < nsl; s++) {
        const int64_t *o = off + s * NR;
        int64_t st = s * NR + NR <= nc && o[0] != DISCARD && o[1] != DISCARD ? o[1] - o[0] : 0;
        for (int l = 2; st && l < NR; l++)
            if (o[l] == DISCARD || o[l] != o[0] + l * st) st = 0;
        contig[s] = (unsigned char)(st == 1);
        tstride[s] = cv->sm == 1 && st >= MR ? st : 0;
    }
    float tmp[MR * NR] __attribute__((aligned(64)));
    float atail[MR * KC] __attribute__((aligned(64)));
    float binit[MR];
    const float *adir = dir ? dir->a : NULL, *bdir = dir ? dir->b : NULL;
    const float *bpre = dir ? dir->bpre : NULL;
    const gan_pg_shifted *ash = dir ? dir->ash : NULL, *bsh = dir ? dir->bsh : NULL;
    const int tail_s = nc % NR ? nsl - 1 : nsl;            /* first sliver B must pack */
    const int tail_mp = g->M % MR ? p->npan - 1 : p->npan; /* first panel A must pack */
    /* a shifted B: where each full sliver starts, or NULL where it crosses samples */
    const float *bsl[NC / NR];
    if (bsh)
        for (int s = 0; s < nsl; s++) {
            int64_t j = j0 + s * NR, n = j / bsh->span, q = j % bsh->span;
            bsl[s] = s < tail_s && q + NR <= bsh->span ? bsh->p + n * bsh->nstride + q : NULL;
        }
    /* B read in place: each sliver meets all the item's panels while it is in L1 */
    const int sl_outer = bdir != NULL || bsh != NULL, npn = mp1 - mp0;
    for (int64_t kb0 = k0, kc; kb0 < k1; kb0 += kc) {
        kc = k1 - kb0 < KC ? k1 - kb0 : KC;
        /* a shifted A's blocks end where its samples do, so that each is read in place */
        if (ash && kb0 % ash->span + kc > ash->span) kc = ash->span - kb0 % ash->span;
        if (bpre) bpack = (float *)bpre + gan_pg_packed_b_at((int)(k1 - ka), g->N, (int)(kb0 - ka), j0);
        else if (bsh) {
            for (int s = 0; s < nsl; s++)
                if (!bsl[s]) g->pack_b(g, (int)kb0, kc, j0 + s * NR, nc - s * NR < NR ? nc - s * NR : NR,
                                       bpack + (int64_t)s * kc * NR);
        } else if (!bdir) g->pack_b(g, (int)kb0, kc, j0, nc, bpack);
        else if (tail_s < nsl) g->pack_b(g, (int)kb0, kc, j0 + tail_s * NR, nc - tail_s * NR, bpack);
        if (adir) {
            if (tail_mp >= mp0 && tail_mp < mp1) g->pack_a(g, tail_mp * MR, (int)kb0, kc, atail);
        } else if (!apack && !ash) {
            for (int mp = mp0; mp < mp1; mp++)
                g->pack_a(g, mp * MR, (int)kb0, kc, abuf + (int64_t)(mp - mp0) * MR * kc);
        }
        /* a shifted A: the block lies within one sample, or its panels are packed as met */
        const float *arow[MR];
        int64_t a_n = ash ? kb0 / ash->span : 0, a_q = ash ? kb0 % ash->span : 0;
        int a_shift_ok = ash && a_q + kc <= ash->span, a_mp = -1;
        int over = over_first && kb0 == k0;      /* this block overwrites C */
        for (int i1 = 0; i1 < (sl_outer ? nsl : npn); i1++)
            for (int i2 = 0; i2 < (sl_outer ? npn : nsl); i2++) {
                int s = sl_outer ? i1 : i2, mp = mp0 + (sl_outer ? i2 : i1);
                int m0 = mp * MR, mr = g->M - m0 < MR ? g->M - m0 : MR;
                const float *ap;
                int a_in_place = 0, a_rows = 0;
                if (ash) {
                    if (a_shift_ok && mr == MR) {
                        if (mp != a_mp)
                            for (int r = 0; r < MR; r++)
                                arow[r] = ash->p + a_n * ash->nstride + a_q + ash->off[m0 + r];
                        a_rows = 1;
                    } else if (mp != a_mp) {
                        g->pack_a(g, m0, (int)kb0, kc, atail);
                    }
                    a_mp = mp;
                    ap = atail;
                } else if (adir && mp < tail_mp) {
                    ap = adir + (int64_t)m0 * dir->lda + kb0;
                    a_in_place = 1;
                } else if (adir) {
                    ap = atail;
                } else {
                    ap = apack ? apack + (kb0 - ka) * p->mpad + (int64_t)mp * MR * kc
                               : abuf + (int64_t)(mp - mp0) * MR * kc;
                }
                const float *init = NULL;
                if (over && bias) {
                    for (int r = 0; r < MR; r++) binit[r] = r < mr ? bias[m0 + r] : 0.0f;
                    init = binit;
                }
                float *crow = cv->c + (int64_t)m0 * cv->sm;
                int jl = s * NR, nr = nc - jl < NR ? nc - jl : NR;
                int b_shifted = bsh && bsl[s];
                const float *bp = b_shifted ? bsl[s]
                                  : bdir ? (s < tail_s ? bdir + kb0 * dir->ldb + j0 + jl : bpack)
                                         : bpack + (int64_t)s * kc * NR;
                int b_in_place = bdir && s < tail_s;
                int direct_c = mr == MR && contig[s];
                float *cd = direct_c ? crow + off[jl] : tmp;
                int64_t ldc = direct_c ? cv->sm : NR;
                int add = direct_c && !over;
                if (a_rows) kernel_as(kc, arow, bp, cd, ldc, init, add);
                else if (b_shifted) kernel_bs(kc, ap, bp, bsh->off + kb0, cd, ldc, init, add);
                else if (a_in_place) kernel_ad(kc, ap, dir->lda, bp, cd, ldc, init, add);
                else if (b_in_place) kernel_bd(kc, ap, bp, dir->ldb, cd, ldc, init, add);
                else kernel(kc, ap, bp, cd, ldc, init, add);
                if (direct_c) continue;
                if (mr == MR && cv->sm == 1) {  /* C stored transposed: 6 adjacent floats per column */
#if defined(__AVX2__) && defined(__FMA__)
                    if (nr == NR && tstride[s]) {
                        store_transposed(tmp, crow + off[jl], tstride[s], over);
                        continue;
                    }
#endif
                    for (int l = 0; l < nr; l++) {
                        if (off[jl + l] == DISCARD) continue;
                        float *d = crow + off[jl + l];
                        for (int r = 0; r < MR; r++) d[r] = over ? tmp[r * NR + l] : d[r] + tmp[r * NR + l];
                    }
                    continue;
                }
                for (int r = 0; r < mr; r++)
                    for (int l = 0; l < nr; l++) {
                        if (off[jl + l] == DISCARD) continue;
                        float *d = crow + r * cv->sm + off[jl + l];
                        *d = over ? tmp[r * NR + l] : *d + tmp[r * NR + l];
                    }
            }
    }
}

static void fill_bias(const gan_pgemm *g, const cview *cv) {
    int64_t off[NC];
    for (int j0 = 0; j0 < g->N; j0 += NC) {
        int n = g->N - j0 < NC ? g->N - j0 : NC;
        column_offsets(cv, j0, n, off);
        for (int m = 0; m < g->M; m++) {
            float v = g->bias ? g->bias[m] : 0.0f, *crow = cv->c + (int64_t)m * cv->sm;
            for (int j = 0; j < n; j++)
                if (off[j] != DISCARD) crow[off[j]] = v;
        }
    }
}

static float *part_buf, *bpre_buf, *user_buf[GAN_PG_SCRATCH_SLOTS];
static size_t part_cap, bpre_cap, user_cap[GAN_PG_SCRATCH_SLOTS];
#define BPRE_CAP (1 << 21)     /* floats of B packed once for all row groups (8 MiB) */

float *gan_pg_scratch(int slot, size_t n) {
    GAN_ASSERT(slot >= 0 && slot < GAN_PG_SCRATCH_SLOTS);
    return grow(&user_buf[slot], &user_cap[slot], n);
}

static void pgemm_run(const gan_pgemm *g);

void gan_pgemm_run(const gan_pgemm *g) {
    gan_pg_lock();
    pgemm_run(g);
    gan_pg_unlock();
}

static void pgemm_run(const gan_pgemm *g) {
    if (g->M <= 0 || g->N <= 0) return;
    cview cv = {g->c, g->sm, g->sn, g->su, g->sv, g->P, g->QW, g->QV};
    if (g->K <= 0) {
        if (!g->accumulate) fill_bias(g, &cv);
        return;
    }
    plan p = make_plan(g, g->K);
    float *bbase = grow(&b_buf, &b_cap, (size_t)p.threads * (KC * NC + NR));
    /* shifted operands (stride-1 convolutions) are read in place by run_block */
    direct sdir = {NULL, NULL, NULL, 0, 0, NULL, NULL};
    if (g->in_place & GAN_PG_A_SHIFTED) {
        GAN_ASSERT(g->pack_a == gan_pg_pack_a_shifted);
        sdir.ash = g->a_ud;
    }
    if (g->in_place & GAN_PG_B_SHIFTED) {
        GAN_ASSERT(g->pack_b == gan_pg_pack_b_shifted);
        sdir.bsh = g->b_ud;
    }
    const direct *shifted = sdir.ash || sdir.bsh ? &sdir : NULL;

    if (p.kparts > 1) {
        /* each item packs its own A panels; partial products land in part_buf, (M, N) each */
        size_t abuf_floats = (size_t)p.ppg * MR * KC;
        float *abase = grow(&a_buf, &a_cap, (size_t)p.threads * abuf_floats);
        int64_t mn = (int64_t)g->M * g->N;
        float *parts = grow(&part_buf, &part_cap, (size_t)(p.kparts * mn));
#pragma omp parallel num_threads(p.threads) if (p.threads > 1)
        {
            int tid = omp_get_thread_num();
            float *bpack = bbase + (size_t)tid * (KC * NC + NR), *abuf = abase + (size_t)tid * abuf_floats;
#pragma omp for schedule(dynamic, 1)
            for (int it = 0; it < p.items; it++) {
                int chunk = it % p.chunks, rest = it / p.chunks;
                int grp = rest % p.groups, part = rest / p.groups;
                int j0 = chunk * NC, nc = g->N - j0 < NC ? g->N - j0 : NC;
                int mp0 = grp * p.ppg, mp1 = mp0 + p.ppg < p.npan ? mp0 + p.ppg : p.npan;
                int64_t k0 = (int64_t)part * p.kp, k1 = k0 + p.kp < g->K ? k0 + p.kp : g->K;
                cview pv = {parts + part * mn, g->N, 0, 0, 1, g->N, g->N, 0};
                run_block(g, &p, &pv, mp0, mp1, j0, nc, k0, k1, 1, NULL, 0, abuf, bpack, NULL, shifted);
            }
            /* C = (C or bias) + parts in order 0, 1, ...: the sum's order is fixed */
#pragma omp for schedule(static)
            for (int m = 0; m < g->M; m++) {
                int64_t off[NC];
                float *crow = cv.c + (int64_t)m * cv.sm;
                float b = g->bias ? g->bias[m] : 0.0f;
                for (int j0 = 0; j0 < g->N; j0 += NC) {
                    int n = g->N - j0 < NC ? g->N - j0 : NC;
                    column_offsets(&cv, j0, n, off);
                    for (int j = 0; j < n; j++) {
                        if (off[j] == DISCARD) continue;
                        float s = 0.0f;
                        for (int q = 0; q < p.kparts; q++) s += parts[q * mn + (int64_t)m * g->N + j0 + j];
                        float *d = crow + off[j];
                        *d = g->accumulate ? *d + s : b + s;
                    }
                }
            }
        }
        return;
    }

    /* operands gan_pg_matmul marked as readable in place (row-major, contiguous along the
     * kernel's inner direction) skip packing; see run_block */
    direct dir = sdir;
    if (sdir.ash) p.ks = g->K;  /* nothing to pre-pack: one pass over K */
    if (g->in_place & GAN_PG_A_IN_PLACE) {
        const gan_pg_strided *sa = g->a_ud;
        GAN_ASSERT(g->pack_a == gan_pg_pack_a_strided && sa->sk == 1);
        dir.a = sa->p;
        dir.lda = sa->si;
        p.ks = g->K;            /* nothing to pre-pack: one pass over K */
    }
    if (g->in_place & GAN_PG_B_IN_PLACE) {
        const gan_pg_strided *sb = g->b_ud;
        GAN_ASSERT(g->pack_b == gan_pg_pack_b_strided && sb->si == 1);
        dir.b = sb->p;
        dir.ldb = sb->sk;
    }
    float *apack = dir.a || dir.ash ? NULL : grow(&a_buf, &a_cap, (size_t)(p.ks * p.mpad));
    /* one column chunk split in row groups (a narrow C: x @ w^T with a batch of 64 as C^T):
     * every group would pack the same B; pack it once, shared, next to A */
    const int64_t nslN = (g->N + NR - 1) / NR;
    const int b_given = (g->in_place & GAN_PG_B_PACKED) != 0;
    if (!b_given && !dir.b && !dir.bsh && !dir.ash && p.chunks == 1 && p.groups > 1 && p.ks * nslN * NR <= BPRE_CAP)
        dir.bpre = grow(&bpre_buf, &bpre_cap, (size_t)(p.ks * nslN * NR));
    float *bpre = (float *)dir.bpre;
    for (int64_t ks0 = 0; ks0 < g->K; ks0 += p.ks) {
        int64_t ksz = g->K - ks0 < p.ks ? g->K - ks0 : p.ks;
        int first = ks0 == 0 && !g->accumulate;
        int nkb = (int)((ksz + KC - 1) / KC);
        if (b_given) dir.bpre = (const float *)g->b_ud + ks0 * nslN * NR;
        int na = apack ? nkb * p.npan : 0, nb = bpre ? nkb : 0;
        if (bpre && !apack) {
            /* B alone (A read in place): packed before the threads start, so they meet once */
            for (int kb = 0; kb < nkb; kb++) {
                int64_t kb0 = (int64_t)kb * KC;
                g->pack_b(g, (int)(ks0 + kb0), (int)(ksz - kb0 < KC ? ksz - kb0 : KC), 0, g->N,
                          bpre + kb0 * nslN * NR);
            }
            nb = 0;
        }
#pragma omp parallel num_threads(p.threads) if (p.threads > 1)
        {
            if (na + nb) {
#pragma omp for schedule(dynamic, 4)
                for (int idx = 0; idx < na + nb; idx++) {
                    int kb = idx < na ? idx / p.npan : idx - na, mp = idx < na ? idx % p.npan : 0;
                    int64_t kb0 = (int64_t)kb * KC;
                    int kc = (int)(ksz - kb0 < KC ? ksz - kb0 : KC);
                    if (idx < na)
                        g->pack_a(g, mp * MR, (int)(ks0 + kb0), kc, apack + kb0 * p.mpad + (int64_t)mp * MR * kc);
                    else
                        g->pack_b(g, (int)(ks0 + kb0), kc, 0, g->N, bpre + kb0 * nslN * NR);
                }
            }
            float *bpack = bbase + (size_t)omp_get_thread_num() * (KC * NC + NR);
            /* dynamic: on a busy machine a descheduled thread's share moves to the others */
#pragma omp for schedule(dynamic, 1)
            for (int it = 0; it < p.items; it++) {
                int chunk = it % p.chunks, grp = it / p.chunks;
                int j0 = chunk * NC, nc = g->N - j0 < NC ? g->N - j0 : NC;
                int mp0 = grp * p.ppg, mp1 = mp0 + p.ppg < p.npan ? mp0 + p.ppg : p.npan;
                run_block(g, &p, &cv, mp0, mp1, j0, nc, ks0, ks0 + ksz, first, apack, ks0, NULL,
                          bpack, g->bias, dir.a || dir.b || dir.bpre || shifted ? &dir : NULL);
            }
        }
    }
}

/* Several products over the same (M, N) in one parallel region: every item runs its column
 * chunk through each member in turn, so members that read the same input (the phases of a
 * transposed convolution) find it in cache, and the threads meet once, not once per member. */
static void pgemm_run_batch(const gan_pgemm *gs, int count);

void gan_pgemm_run_batch(const gan_pgemm *gs, int count) {
    if (count <= 0) return;
    /* in as few parallel regions as GAN_PG_MAX_BATCH allows, of even size */
    const int batches = (count + GAN_PG_MAX_BATCH - 1) / GAN_PG_MAX_BATCH;
    const int each = (count + batches - 1) / batches;
    gan_pg_lock();
    for (int i = 0; i < count; i += each) pgemm_run_batch(gs + i, count - i < each ? count - i : each);
    gan_pg_unlock();
}

static void pgemm_run_batch(const gan_pgemm *gs, int count) {
    int64_t ktot = 0;
    int ok = count > 0;
    /* members all read A in place (GAN_PG_A_IN_PLACE) or all have it packed here, and all or
     * none give B packed (GAN_PG_B_PACKED) */
    const int a_in_place = (gs[0].in_place & GAN_PG_A_IN_PLACE) != 0;
    int same_m = 1, big_i = 0;
    for (int i = 0; ok && i < count; i++) {
        ok = gs[i].M > 0 && gs[i].N == gs[0].N && gs[i].K > 0 &&
             gs[i].in_place == gs[0].in_place && !(gs[i].in_place & ~(GAN_PG_A_IN_PLACE | GAN_PG_B_PACKED));
        same_m &= gs[i].M == gs[0].M;
        if (gs[i].M > gs[big_i].M) big_i = i;
        ktot += gs[i].K;
    }
    gan_pgemm big = gs[big_i];
    plan p = make_plan(&big, ktot);    /* threads and items for the whole batch's work */
    const int by_member = count >= 4 * p.threads && p.threads > 1;
    /* members of different M (Winograd's mixed tiles) only as whole members, A in place */
    ok = ok && count <= GAN_PG_MAX_BATCH && p.kparts == 1 && (a_in_place || (int64_t)p.mpad * ktot <= A_CAP) &&
         (same_m || (by_member && a_in_place));
    if (!ok) {
        for (int i = 0; i < count; i++) pgemm_run(&gs[i]);
        return;
    }
    if (gs[0].N <= 0) return;
    float *apack = a_in_place ? NULL : grow(&a_buf, &a_cap, (size_t)(ktot * p.mpad));
    float *bbase = grow(&b_buf, &b_cap, (size_t)p.threads * (KC * NC + NR));
    int64_t aoff[GAN_PG_MAX_BATCH + 1];
    int nkb[GAN_PG_MAX_BATCH + 1];
    aoff[0] = 0;
    nkb[0] = 0;
    for (int i = 0; i < count; i++) {
        aoff[i + 1] = aoff[i] + (int64_t)gs[i].K * p.mpad;
        nkb[i + 1] = nkb[i] + (gs[i].K + KC - 1) / KC;
    }
    /* Items: with members enough for 4 a thread, (member, column chunk), so that each member's
     * B is packed (or read, given packed) once; otherwise (column chunk, row group) through
     * every member in turn, so that members reading the same input share the cache. */
    const int items = by_member ? count * p.chunks : p.items;
#pragma omp parallel num_threads(p.threads) if (p.threads > 1)
    {
#pragma omp for schedule(dynamic, 4)
        for (int idx = 0; idx < (apack ? nkb[count] * p.npan : 0); idx++) {
            int kbg = idx / p.npan, mp = idx % p.npan, i = 0;
            while (kbg >= nkb[i + 1]) i++;
            int64_t kb0 = (int64_t)(kbg - nkb[i]) * KC;
            int kc = (int)(gs[i].K - kb0 < KC ? gs[i].K - kb0 : KC);
            gs[i].pack_a(&gs[i], mp * MR, (int)kb0, kc, apack + aoff[i] + kb0 * p.mpad + (int64_t)mp * MR * kc);
        }
        float *bpack = bbase + (size_t)omp_get_thread_num() * (KC * NC + NR);
#pragma omp for schedule(dynamic, 1)
        for (int it = 0; it < items; it++) {
            int chunk = it % p.chunks, grp = by_member ? 0 : it / p.chunks;
            int j0 = chunk * NC, nc = big.N - j0 < NC ? big.N - j0 : NC;
            int mp0 = by_member ? 0 : grp * p.ppg, mp1 = by_member ? p.npan : mp0 + p.ppg < p.npan ? mp0 + p.ppg : p.npan;
            int i0 = by_member ? it / p.chunks : 0, i1 = by_member ? i0 + 1 : count;
            for (int i = i0; i < i1; i++) {
                const gan_pgemm *g = &gs[i];
                plan pm = p;   /* a member's own panels when the members' M differ */
                if (by_member) {
                    pm.npan = (g->M + MR - 1) / MR;
                    mp1 = pm.npan;
                }
                cview cv = {g->c, g->sm, g->sn, g->su, g->sv, g->P, g->QW, g->QV};
                direct dir = {NULL, NULL, NULL, 0, 0, NULL, NULL};
                if (g->in_place & GAN_PG_B_PACKED) dir.bpre = g->b_ud;
                if (!apack) {
                    const gan_pg_strided *sa = g->a_ud;
                    GAN_ASSERT(g->pack_a == gan_pg_pack_a_strided && sa->sk == 1);
                    dir.a = sa->p;
                    dir.lda = sa->si;
                }
                run_block(g, &pm, &cv, mp0, mp1, j0, nc, 0, g->K, !g->accumulate,
                          apack ? apack + aoff[i] : NULL, 0, NULL, bpack, g->bias,
                          dir.a || dir.bpre ? &dir : NULL);
            }
        }
    }
}

/* ---------------------------------------------------------------- strided operands */

void gan_pg_interleave_rows(const float *const row[MR], int kc, float *dst) {
    int k = 0;
#if defined(__AVX2__) && defined(__FMA__)
    /* 8 columns at a time: an 8x8 transpose of the 6 rows (and 2 copies of the last), each
     * output row stored 8 wide at its k*6: the 2 extra floats land where the next k's first
     * two go and are overwritten by it; the block's last k is written narrow */
    for (; k + 8 <= kc; k += 8) {
        __m256 r0 = _mm256_loadu_ps(row[0] + k), r1 = _mm256_loadu_ps(row[1] + k),
               r2 = _mm256_loadu_ps(row[2] + k), r3 = _mm256_loadu_ps(row[3] + k),
               r4 = _mm256_loadu_ps(row[4] + k), r5 = _mm256_loadu_ps(row[5] + k);
        __m256 t0 = _mm256_unpacklo_ps(r0, r1), t1 = _mm256_unpackhi_ps(r0, r1),
               t2 = _mm256_unpacklo_ps(r2, r3), t3 = _mm256_unpackhi_ps(r2, r3),
               t4 = _mm256_unpacklo_ps(r4, r5), t5 = _mm256_unpackhi_ps(r4, r5);
        __m256 u0 = _mm256_shuffle_ps(t0, t2, 0x44), u1 = _mm256_shuffle_ps(t0, t2, 0xEE),
               u2 = _mm256_shuffle_ps(t1, t3, 0x44), u3 = _mm256_shuffle_ps(t1, t3, 0xEE),
               u4 = _mm256_shuffle_ps(t4, t4, 0x44), u5 = _mm256_shuffle_ps(t4, t4, 0xEE),
               u6 = _mm256_shuffle_ps(t5, t5, 0x44), u7 = _mm256_shuffle_ps(t5, t5, 0xEE);
        __m256 o[8] = {_mm256_permute2f128_ps(u0, u4, 0x20), _mm256_permute2f128_ps(u1, u5, 0x20),
                       _mm256_permute2f128_ps(u2, u6, 0x20), _mm256_permute2f128_ps(u3, u7, 0x20),
                       _mm256_permute2f128_ps(u0, u4, 0x31), _mm256_permute2f128_ps(u1, u5, 0x31),
                       _mm256_permute2f128_ps(u2, u6, 0x31), _mm256_permute2f128_ps(u3, u7, 0x31)};
        int last = k + 8 == kc;
        for (int i = 0; i < 8 - last; i++) _mm256_storeu_ps(dst + (k + i) * MR, o[i]);
        if (last) {
            float t[8];
            _mm256_storeu_ps(t, o[7]);
            for (int r = 0; r < MR; r++) dst[(k + 7) * MR + r] = t[r];
        }
    }
#endif
    for (; k < kc; k++)
        for (int r = 0; r < MR; r++) dst[k * MR + r] = row[r][k];
}

void gan_pg_pack_a_strided(const gan_pgemm *g, int m0, int k0, int kc, float *dst) {
    const gan_pg_strided *s = g->a_ud;
    int mr = g->M - m0 < MR ? g->M - m0 : MR;
    const float *src = s->p + (int64_t)m0 * s->si + (int64_t)k0 * s->sk;
    if (mr == MR && s->si == 1) {        /* A stored transposed: the 6 rows are adjacent */
        for (int k = 0; k < kc; k++)
            for (int r = 0; r < MR; r++) dst[k * MR + r] = src[(int64_t)k * s->sk + r];
        return;
    }
    const float *row[MR];
    for (int r = 0; r < MR; r++) row[r] = src + (int64_t)(r < mr ? r : 0) * s->si;
    if (mr == MR && s->sk == 1) {
        gan_pg_interleave_rows(row, kc, dst);
        return;
    }
    for (int k = 0; k < kc; k++)
        for (int r = 0; r < MR; r++) dst[k * MR + r] = r < mr ? row[r][(int64_t)k * s->sk] : 0.0f;
}

#if defined(__AVX2__) && defined(__FMA__)
/* d[k * NR + l] = src[l * ld + k] for l, k < 8: an 8x8 transpose */
static inline void transpose8(const float *src, int64_t ld, float *d) {
    __m256 r[8];
    for (int l = 0; l < 8; l++) r[l] = _mm256_loadu_ps(src + l * ld);
    gan_pg_transpose8_regs(r);
    for (int k = 0; k < 8; k++) _mm256_storeu_ps(d + k * NR, r[k]);
}
void gan_pg_transpose8(const float *src, int64_t ld, float *d) { transpose8(src, ld, d); }
#endif

void gan_pg_pack_b_strided(const gan_pgemm *g, int k0, int kc, int j0, int nc, float *dst) {
    const gan_pg_strided *s = g->b_ud;
    int full = nc / NR;
    if (s->si == 1 && full) {
        /* B's rows are contiguous: read each row once, left to right, across the slivers */
        const float *src = s->p + j0 + (int64_t)k0 * s->sk;
        for (int k = 0; k < kc; k++) {
            /* rows are ldb apart: fetch two rows ahead, the prefetcher only follows a row */
            if (k + 2 < kc)
                for (int q = 0; q < full; q++) __builtin_prefetch(src + (int64_t)(k + 2) * s->sk + q * NR);
            for (int q = 0; q < full; q++)
                memcpy(dst + ((int64_t)q * kc + k) * NR, src + (int64_t)k * s->sk + q * NR, NR * sizeof(float));
        }
        if (full * NR == nc) return;
    }
    for (int jl = s->si == 1 ? full * NR : 0; jl < nc; jl += NR) {
        int nr = nc - jl < NR ? nc - jl : NR;
        float *d = dst + (int64_t)(jl / NR) * kc * NR;
        const float *src = s->p + (int64_t)(j0 + jl) * s->si + (int64_t)k0 * s->sk;
        int k = 0;
#if defined(__AVX2__) && defined(__FMA__)
        if (s->sk == 1 && nr == NR)       /* B stored transposed: 8x8 blocks */
            for (; k + 8 <= kc; k += 8) {
                transpose8(src + k, s->si, d + k * NR);
                transpose8(src + 8 * s->si + k, s->si, d + k * NR + 8);
            }
#endif
        for (; k < kc; k++)
            for (int l = 0; l < NR; l++)
                d[k * NR + l] = l < nr ? src[(int64_t)l * s->si + (int64_t)k * s->sk] : 0.0f;
    }
}

/* The blocks of a shifted operand that cross samples (or pass the end) pack element by element:
 * base[i] = where index i's sample and grid position put it (without the row's offset). */
static void shifted_bases(const gan_pg_shifted *s, int64_t i0, int n, int64_t *base) {
    int64_t sn = i0 / s->span, q = i0 % s->span;
    for (int i = 0; i < n; i++) {
        base[i] = sn * s->nstride + q;
        if (++q == s->span) {
            q = 0;
            sn++;
        }
    }
}

void gan_pg_pack_a_shifted(const gan_pgemm *g, int m0, int k0, int kc, float *dst) {
    const gan_pg_shifted *s = g->a_ud;
    int64_t base[KC];
    shifted_bases(s, k0, kc, base);
    for (int r = 0; r < MR; r++) {
        const float *row = m0 + r < g->M ? s->p + s->off[m0 + r] : NULL;
        for (int k = 0; k < kc; k++) dst[k * MR + r] = row && k0 + k < g->K ? row[base[k]] : 0.0f;
    }
}

void gan_pg_pack_b_shifted(const gan_pgemm *g, int k0, int kc, int j0, int nc, float *dst) {
    const gan_pg_shifted *s = g->b_ud;
    for (int jl = 0; jl < nc; jl += NR) {
        float *d = dst + (int64_t)(jl / NR) * kc * NR;
        int nr = nc - jl < NR ? nc - jl : NR;
        int64_t base[NR];
        shifted_bases(s, j0 + jl, nr, base);
        for (int k = 0; k < kc; k++) {
            const float *row = s->p + s->off[k0 + k];
            for (int l = 0; l < NR; l++) d[k * NR + l] = l < nr ? row[base[l]] : 0.0f;
        }
    }
}

/* C (M,N) = op(A) @ op(B) [+ C | + bias per column] with the orientation and in-place operands
 * chosen for the shapes (see gan_pg_matmul and gan_pg_linear). */
static void matmul(int trans_a, int trans_b, int M, int N, int K, const float *A, int lda,
                   const float *B, int ldb, const float *bias, float *C, int ldc, int accumulate) {
    if (gan_thin_matmul(trans_a, trans_b, M, N, K, A, lda, B, ldb, bias, C, ldc, accumulate)) return;
    /* op(A)(m, k) and op(B)(k, j) as strided operands ((row, k) for A, (column, k) for B) */
    gan_pg_strided sa = {A, trans_a ? 1 : lda, trans_a ? lda : 1};
    gan_pg_strided sb = {B, trans_b ? ldb : 1, trans_b ? 1 : ldb};
    gan_pgemm g = {.K = K, .pack_a = gan_pg_pack_a_strided, .pack_b = gan_pg_pack_b_strided,
                   .accumulate = accumulate};
    /* C^T = op(B)^T op(A)^T, stored column-wise, when
     *  - C is narrower than a micro-tile (a linear layer with one output), or
     *  - x @ w^T with more outputs than samples: both operands run along k, and the larger, w,
     *    becomes the A that the kernel reads in place (packing w, transposed, costs ~15% of an
     *    MLP layer's product at batch 64), while the batch is packed.
     * Otherwise not: the column-wise store costs more than it gains once K is short (a weight
     * gradient over a batch of 64 ran 2x slower swapped). */
    int swap = (N < M && N < NR) || (!trans_a && trans_b && N > M && M >= NR);
    const gan_pg_strided *oa = swap ? &sb : &sa, *ob = swap ? &sa : &sb;
    g.M = swap ? N : M;
    g.N = swap ? M : N;
    g.a_ud = oa;
    g.b_ud = ob;
    g.c = C;
    g.sm = swap ? 1 : ldc;
    g.sv = swap ? ldc : 1;
    g.P = g.QW = g.N;
    /* read in place rather than packed: B when its rows run along j (g @ w, g^T @ x: the weights
     * or the layer input, packed at most once per row group otherwise), unless its rows are a
     * multiple of 2 KiB apart: a 16-wide sliver then falls into a few cache sets and is evicted
     * before the next panel reads it (3x slower at 1024 columns); else A when its rows run
     * along k (six sequential streams, no such conflict) */
    if (ob->si == 1 && g.N >= NR && ob->sk % 512 != 0) g.in_place = GAN_PG_B_IN_PLACE;
    else if (oa->sk == 1 && g.M >= MR) g.in_place = GAN_PG_A_IN_PLACE;
    if (bias && swap) {
        g.bias = bias;                   /* C's columns are the product's rows */
    } else if (bias) {
        for (int m = 0; m < M; m++) memcpy(C + (int64_t)m * ldc, bias, sizeof(float) * (size_t)N);
        g.accumulate = 1;
    }
    gan_pgemm_run(&g);
}

void gan_pg_matmul(int trans_a, int trans_b, int M, int N, int K, const float *A, int lda,
                   const float *B, int ldb, float *C, int ldc, int accumulate) {
    matmul(trans_a, trans_b, M, N, K, A, lda, B, ldb, NULL, C, ldc, accumulate);
}

void gan_pg_linear(int M, int N, int K, const float *x, int ldx, const float *w, int ldw,
                   const float *bias, float *y, int ldy) {
    matmul(0, 1, M, N, K, x, ldx, w, ldw, bias, y, ldy, 0);
}
