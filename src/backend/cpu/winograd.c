/* winograd.c — 4x4 / stride 2 / pad 1 convolutions by Winograd F(4x4, 2x2) (see winograd.h).
 *
 * The 1-D algorithm F(4, 2) (Toom-Cook on the points 0, 1, -1, 2, inf) computes 4 outputs of a
 * 2-tap correlation y[i] = g0 d[i] + g1 d[i+1] from a tile of 5 inputs with 5 multiplies:
 *     y = AT [(G g) . (BT d)]
 *   BT d:  2d0 - d1 - 2d2 + d3,  -2d1 - d2 + d3,  2d1 - 3d2 + d3,  d3 - d1,  2d1 - d2 - 2d3 + d4
 *   G g:   g0/2,  -(g0 + g1)/2,  (g1 - g0)/6,  (g0 + 2g1)/6,  g1
 *   AT m:  m0 + m1 + m2 + m3,  m1 - m2 + 2m3,  m1 + m2 + 4m3,  m1 - m2 + 8m3 + m4
 * In 2-D (nested, rows then columns) a 5x5 input tile gives 4x4 outputs with 25 products, and
 * summing over input channels the products for one point xi of the 5x5 grid form a GEMM:
 *     Z[xi] (tiles, out channels) = V[xi] (tiles, in channels) @ U[xi] (in channels, out channels)
 * The weight gradient is the transpose: dU[xi] = V[xi]^T @ (A dy A^T)[xi], dg = G^T dU G.
 *
 * The three uses, for a conv x (N,C,H,W) -> y (N,OC,H/2,W/2) with w (OC,C,4,4):
 *   conv2d:  the zero-padded x split by phase (a, b) = (row, column) parity is 4C planes of
 *            (H/2 + 1) x (W/2 + 1); y = sum over planes of a 2x2 stride-1 correlation with the
 *            taps w[oc][c][2t + a][2u + b].
 *   adjoint: dx rows 2j + e (e = 0, 1) are a 2x2 correlation of dy padded by one, starting e
 *            rows in, with taps w[oc][c][3 - e - 2t][..]: four output phases of OC -> C each.
 *   weight:  dw[oc][c][2t + a][2u + b] = sum over (n, o) of dy[n][oc][o] plane_(c,a,b)[n][o + (t, u)].
 * Vectors run along channels: each sample is copied channel-last (8x8 transposes) into its
 * thread's buffer and transformed from there. V and Z are tile-major ([tile][xi][ch]: a tile's
 * 25 points side by side, so each transform touches one contiguous block instead of 25 streams;
 * V is the GEMMs' A, read in place with a row stride of 25 ch); U is written straight into the
 * GEMMs' packed B layout, so the 25 (100 for the adjoint) products run through
 * gan_pgemm_run_batch with nothing packed.
 * The transforms are memory-bound (V and Z live in L3): the products do 2.56x fewer multiply-
 * adds (on 7x7 maps 2.42x with mixed F(4, 2) / F(3, 2) tiles, 1.96x for the adjoint, whose
 * edge tiles compute one output more), the whole conv runs 1.6-2.1x faster on one thread and a DCGAN step
 * 22-31% faster on two (bench/NOTES.md). */
#include "backend/cpu/winograd.h"
#include "backend/cpu/pack_gemm.h"
#include "internal.h"
#include <string.h>
#include <omp.h>
#if defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>
#endif

#define XI 25   /* points of the 5x5 transform grid */

/* Scratch floats per buffer: V, Z (cap) and U (2 cap) keep to them by chunks of samples and
 * blocks of channels. 1 Mi floats (4 MiB) kept the transforms' traffic in L3 and DCGAN-64's
 * peak RSS below the direct products' (their padded and phase copies are larger). */
static int64_t cap = 1 << 20, ucap = 2 << 20;
static int enabled = 1;

int64_t gan_wino_set_cap(int64_t floats) {
    int64_t old = cap;
    cap = floats;
    ucap = 2 * floats;
    return old;
}

void gan_set_winograd(int on) { enabled = on != 0; }
int gan_get_winograd(void) { return enabled; }

#if defined(__AVX2__) && defined(__FMA__)

/* Where it won in paired measurements (bench/NOTES.md): enough tiles per sample (4+: HO, WO of
 * 8, or 7 with edge tiles) and in the batch (128+) that the transformed weights U, 6.25x the
 * size of w, cost little against the products; with DCGAN-64's 8 -> 4 layer too (one tile a
 * sample) its step was 1-2% slower. 8-channel vectors need C, OC multiples of 8. */
int gan_wino_fits(const gan_conv_geom *g) {
    const int tiles = ((g->HO + 3) / 4) * ((g->WO + 3) / 4);
    return enabled && g->KH == 4 && g->KW == 4 && g->stride == 2 && g->pad == 1 &&
           g->H % 2 == 0 && g->W % 2 == 0 && g->HO == g->H / 2 && g->WO == g->W / 2 &&
           g->C % 8 == 0 && g->OC % 8 == 0 && g->C >= 16 && g->OC >= 16 && tiles >= 4 &&
           (int64_t)g->N * tiles >= 128;
}

/* ---------------------------------------------------------------- 1-D transforms, 8 lanes */
#define ADD _mm256_add_ps
#define SUB _mm256_sub_ps
#define MUL _mm256_mul_ps
#define FMA _mm256_fmadd_ps
#define SET1 _mm256_set1_ps

/* v = BT d (5 -> 5) */
static inline void bt5(const __m256 d[5], __m256 v[5]) {
    const __m256 two = SET1(2.0f);
    __m256 d32 = SUB(d[3], d[2]);
    v[0] = FMA(two, SUB(d[0], d[2]), SUB(d[3], d[1]));
    v[1] = FMA(SET1(-2.0f), d[1], d32);
    v[2] = FMA(two, SUB(d[1], d[2]), d32);
    v[3] = SUB(d[3], d[1]);
    v[4] = FMA(two, SUB(d[1], d[3]), SUB(d[4], d[2]));
}

/* F(3, 2) on the points 0, 1, -1, inf: the slots 0, 1, 2 and 4 of F(4, 2)'s, with the same G
 * (so one U serves both); slot 3 (the point 2) is unused. v = BT3 d (4 -> slots) */
static inline void bt3(const __m256 d[4], __m256 v[5]) {
    v[0] = MUL(SET1(2.0f), SUB(d[0], d[2]));
    v[1] = SUB(_mm256_setzero_ps(), ADD(d[1], d[2]));
    v[2] = MUL(SET1(3.0f), SUB(d[1], d[2]));
    v[3] = _mm256_setzero_ps();
    v[4] = SUB(d[3], d[1]);
}

/* y = AT3 m (slots -> 3) */
static inline void at3(const __m256 m[5], __m256 y[4]) {
    y[0] = ADD(ADD(m[0], m[1]), m[2]);
    y[1] = SUB(m[1], m[2]);
    y[2] = ADD(ADD(m[1], m[2]), m[4]);
    y[3] = _mm256_setzero_ps();
}

/* e = A3 dy (3 -> slots): AT3's transpose */
static inline void a3(const __m256 d[4], __m256 e[5]) {
    __m256 s02 = ADD(d[0], d[2]);
    e[0] = d[0];
    e[1] = ADD(s02, d[1]);
    e[2] = SUB(s02, d[1]);
    e[3] = _mm256_setzero_ps();
    e[4] = d[2];
}

/* y = AT m (5 -> 4) */
static inline void at4(const __m256 m[5], __m256 y[4]) {
    __m256 p = ADD(m[1], m[2]), q = SUB(m[1], m[2]);
    y[0] = ADD(ADD(m[0], p), m[3]);
    y[1] = FMA(SET1(2.0f), m[3], q);
    y[2] = FMA(SET1(4.0f), m[3], p);
    y[3] = ADD(FMA(SET1(8.0f), m[3], q), m[4]);
}

/* e = A dy (4 -> 5): AT's transpose */
static inline void a5(const __m256 d[4], __m256 e[5]) {
    __m256 s02 = ADD(d[0], d[2]), s13 = ADD(d[1], d[3]);
    e[0] = d[0];
    e[1] = ADD(s02, s13);
    e[2] = SUB(s02, s13);
    e[3] = FMA(SET1(8.0f), d[3], FMA(SET1(4.0f), d[2], FMA(SET1(2.0f), d[1], d[0])));
    e[4] = d[3];
}

/* u = G g (2 -> 5) */
static inline void g5(__m256 g0, __m256 g1, __m256 u[5]) {
    const __m256 half = SET1(0.5f), sixth = SET1(1.0f / 6.0f);
    u[0] = MUL(half, g0);
    u[1] = MUL(SET1(-0.5f), ADD(g0, g1));
    u[2] = MUL(sixth, SUB(g1, g0));
    u[3] = MUL(sixth, FMA(SET1(2.0f), g1, g0));
    u[4] = g1;
}

/* g = G^T m (5 -> 2) */
static inline void gt2(const __m256 m[5], __m256 *g0, __m256 *g1) {
    const __m256 half = SET1(0.5f), sixth = SET1(1.0f / 6.0f);
    *g0 = FMA(half, SUB(m[0], m[1]), MUL(sixth, SUB(m[3], m[2])));
    *g1 = ADD(FMA(SET1(-0.5f), m[1], MUL(sixth, FMA(SET1(2.0f), m[3], m[2]))), m[4]);
}

/* u (5x5) = G g G^T for a 2x2 kernel g[t][u] */
static inline void kernel_tile(const __m256 g[2][2], __m256 u[5][5]) {
    __m256 c0[5], c1[5];
    g5(g[0][0], g[1][0], c0);   /* G along t, for u = 0 and 1 */
    g5(g[0][1], g[1][1], c1);
    for (int i = 0; i < 5; i++) g5(c0[i], c1[i], u[i]);
}

/* tap[k] lane l = w0[l * stride + k] for the 16 taps of a 4x4 kernel and 8 kernels l: two
 * 8x8 transposes of contiguous loads (gathers are slow) */
static inline void load_taps(const float *w0, int64_t stride, __m256 tap[16]) {
    for (int half = 0; half < 2; half++) {
        __m256 *r = tap + 8 * half;
        for (int l = 0; l < 8; l++) r[l] = _mm256_loadu_ps(w0 + l * stride + 8 * half);
        gan_pg_transpose8_regs(r);
    }
}

/* Lanes k0 .. k1 - 1 of a vector (0 <= k0 <= k1 <= 8) as a maskstore mask */
static inline __m256i lane_mask(int k0, int k1) {
    const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    return _mm256_and_si256(_mm256_cmpgt_epi32(lane, _mm256_set1_epi32(k0 - 1)),
                            _mm256_cmpgt_epi32(_mm256_set1_epi32(k1), lane));
}

/* Lanes k0 .. k1 - 1 of v to d[k0 .. k1 - 1]. A masked store is microcoded on AMD (~15 cycles:
 * it was half the 7x7 adjoint's output transform, where every row is an edge), so the two
 * edges that occur there, lanes 1-7 and 0-6, go out as three plain stores. */
static inline void store_lanes(float *d, __m256 v, int k0, int k1, __m256i mask) {
    const __m128 lo = _mm256_castps256_ps128(v), hi = _mm256_extractf128_ps(v, 1);
    if (k0 == 0 && k1 == 8) {
        _mm256_storeu_ps(d, v);
    } else if (k0 == 1 && k1 == 8) {
        _mm_storeu_ps(d + 4, hi);
        _mm_storeh_pi((__m64 *)(d + 2), lo);
        _mm_store_ss(d + 1, _mm_movehdup_ps(lo));
    } else if (k0 == 0 && k1 == 7) {
        _mm_storeu_ps(d, lo);
        _mm_storel_pi((__m64 *)(d + 4), hi);
        _mm_store_ss(d + 6, _mm_movehl_ps(hi, hi));
    } else {
        _mm256_maskstore_ps(d, mask, v);
    }
}

/* ---------------------------------------------------------------- layout */

/* Tiles of 4x4 outputs over an HO x WO map. Mixed (the forward's and the weight gradient's
 * tiles on maps of 3 mod 4, DCGAN-28's 7x7): the last tile row and column are 3 wide and use
 * F(3, 2), 16 or 20 of the 25 points instead of computing an output that is thrown away (19%
 * fewer products on 7x7). Rows of V, Z and E then go by tile kind, so that the tiles having a
 * point are one range of rows: (full rows, last column), (full, full), (last row, full),
 * (last, last), each kind sample by sample. */
typedef struct tiles { int TH, TW, T, mixed; } tiles;
static tiles tiles_of(int HO, int WO) {
    tiles t = {(HO + 3) / 4, (WO + 3) / 4, 0, 0};
    t.T = t.TH * t.TW;
    return t;
}
static tiles tiles_mixed(int HO, int WO) {
    tiles t = tiles_of(HO, WO);
    t.mixed = HO % 4 == 3 && WO % 4 == 3 && t.TH > 1 && t.TW > 1;
    return t;
}

/* Row of tile (ti, tj) of the chunk's sample n (nc samples). Mixed: within a kind, tile by
 * tile and the samples in order, so one tile of consecutive samples is consecutive rows. */
static inline int tile_row(tiles t, int nc, int n, int ti, int tj) {
    if (!t.mixed) return n * t.T + ti * t.TW + tj;
    const int nb = t.TH - 1, na = (t.TH - 1) * (t.TW - 1), ncl = t.TW - 1;
    const int rl = ti == t.TH - 1, cl = tj == t.TW - 1;
    if (!rl && cl) return ti * nc + n;
    if (!rl) return nc * nb + (ti * (t.TW - 1) + tj) * nc + n;
    if (!cl) return nc * (nb + na) + tj * nc + n;
    return nc * (nb + na + ncl) + n;
}

/* The inverse: sample n (of the chunk), ti, tj of row p */
static inline void row_tile(tiles t, int nc, int p, int *n, int *ti, int *tj) {
    if (!t.mixed) {
        *n = p / t.T;
        *ti = p % t.T / t.TW;
        *tj = p % t.TW;
        return;
    }
    const int nb = t.TH - 1, na = (t.TH - 1) * (t.TW - 1), ncl = t.TW - 1;
    *n = p % nc;
    if (p < nc * nb) {
        *ti = p / nc, *tj = t.TW - 1;
    } else if ((p -= nc * nb) < nc * na) {
        *ti = p / nc / (t.TW - 1), *tj = p / nc % (t.TW - 1);
    } else if ((p -= nc * na) < nc * ncl) {
        *ti = t.TH - 1, *tj = p / nc;
    } else {
        *ti = t.TH - 1, *tj = t.TW - 1;
    }
}

/* The rows [r0[xi], r1[xi]) of the tiles that have point xi = 5i + j: a 3-wide direction has
 * no slot 3 */
typedef struct point_rows { int r0[XI], r1[XI]; } point_rows;
static point_rows rows_of(tiles t, int nc) {
    point_rows pr;
    const int nb = nc * (t.TH - 1), na = nc * (t.TH - 1) * (t.TW - 1), ncl = nc * (t.TW - 1);
    for (int xi = 0; xi < XI; xi++) {
        const int full_r = t.mixed && xi / 5 == 3, full_c = t.mixed && xi % 5 == 3;
        pr.r0[xi] = full_c ? nb : 0;
        pr.r1[xi] = full_r ? nb + na : full_c ? nb + na + ncl : nc * t.T;
    }
    return pr;
}

/* whether tile (ti, tj) is F(4, 2) (1) or F(3, 2) (0) down its rows and along its columns */
static inline int full_rows(tiles t, int ti) { return !t.mixed || ti < t.TH - 1; }
static inline int full_cols(tiles t, int tj) { return !t.mixed || tj < t.TW - 1; }

/* dst (Hq, Wq, s*s*C), channel-last, from one sample src (C, H, W):
 *     dst[hq][wq][(a*s + b)*C + c] = src[c][s*hq + a - 1][s*wq + b - 1], 0 outside.
 * s = 2: x's phase planes, padded by one; s = 1: dy padded by one. Reads 8 channels x 8 columns
 * and transposes them (gathers are slow, and hit one L1 set when planes are 4 KiB apart). */
static inline __attribute__((always_inline)) void
channel_last_s(const float *src, int C, int H, int W, const int s, int Hq, int Wq, float *dst) {
    const int64_t hw = (int64_t)H * W, ch = (int64_t)s * s * C;
    const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    /* the padding: rows and columns no source element lands on */
    for (int hq = 0; hq < Hq; hq++)
        for (int wq = 0; wq < Wq; wq++)
            for (int ph = 0; ph < s * s; ph++) {
                int h = s * hq + ph / s - 1, w = s * wq + ph % s - 1;
                if (h < 0 || h >= H || w < 0 || w >= W)
                    memset(dst + ((int64_t)hq * Wq + wq) * ch + (int64_t)ph * C, 0, sizeof(float) * (size_t)C);
            }
    for (int c8 = 0; c8 < C; c8 += 8)
        for (int h = 0; h < H; h++) {
            const int hq = (h + 1) / s, a = (h + 1) % s;
            float *orow = dst + (int64_t)hq * Wq * ch + (int64_t)a * s * C + c8;
            const float *irow = src + c8 * hw + (int64_t)h * W;
            /* 8 interleaved streams a plane apart: fetch a few rows ahead (the loads stalled) */
            if (h + 4 < H)
                for (int k = 0; k < 8; k++) _mm_prefetch((const char *)(irow + k * hw + 4 * W), _MM_HINT_T0);
            int w = 0;
            for (; w + 8 <= W; w += 8) {
                __m256 r[8];
                for (int k = 0; k < 8; k++) r[k] = _mm256_loadu_ps(irow + k * hw + w);
                gan_pg_transpose8_regs(r);
                for (int k = 0; k < 8; k++) {
                    int wq = (w + k + 1) / s, b = (w + k + 1) % s;
                    _mm256_storeu_ps(orow + wq * ch + (int64_t)b * C, r[k]);
                }
            }
            if (w < W) {   /* the last W - w < 8 columns: masked loads */
                const int rest = W - w;
                const __m256i mask = _mm256_cmpgt_epi32(_mm256_set1_epi32(rest), lane);
                __m256 r[8];
                for (int k = 0; k < 8; k++) r[k] = _mm256_maskload_ps(irow + k * hw + w, mask);
                gan_pg_transpose8_regs(r);
                for (int k = 0; k < rest; k++) {
                    int wq = (w + k + 1) / s, b = (w + k + 1) % s;
                    _mm256_storeu_ps(orow + wq * ch + (int64_t)b * C, r[k]);
                }
            }
        }
}

/* s is 1 or 2: a constant inside, so the column arithmetic is shifts, not divisions */
static void channel_last(const float *src, int C, int H, int W, int s, int Hq, int Wq, float *dst) {
    if (s == 2) channel_last_s(src, C, H, W, 2, Hq, Wq, dst);
    else channel_last_s(src, C, H, W, 1, Hq, Wq, dst);
}

/* Floats between the 25 points' packed matrices (U, the weight gradient's V and E) of n floats
 * each: n rounded to cache lines plus three more, so that the 25 streams a transform reads or
 * writes at once do not share cache sets (at a multiple of 4 KiB they all map to one L1 and one
 * L2 set). V and Z of the forward and adjoint are tile-major and need none of this. */
static int64_t plane(int64_t n) { return (n + 15) / 16 * 16 + 48; }

/* Samples per chunk and channels per block, from the floats each needs against the cap:
 * as large as allowed, then evened out. */
static int chunk_of(int64_t cp, int total, int64_t per, int align) {
    int64_t most = cp / (per > 0 ? per : 1);
    most = most / align * align;
    if (most < align) most = align;
    if (most >= total) return total;
    int parts = (int)((total + most - 1) / most);
    int each = (total + parts - 1) / parts;
    return (each + align - 1) / align * align;
}


/* ---------------------------------------------------------------- transforms */

/* One tile, all its channels: point xi's 8 channels c .. c + 7 go to dst[xi] + (c / 16) *
 * step[xi] + c % 16 (tile-major: step 16, i.e. + c; packed: step kc * 16). fr, fc are
 * constants at each call (four copies), so the loops unroll. */
static inline __attribute__((always_inline)) void
input_tile(const float *s0, int64_t rs, int Ch, const int fr, const int fc, float *const dst[XI],
           const int64_t step[XI]) {
    for (int c = 0; c < Ch; c += 8) {
        __m256 col[5][5], v[5];   /* col[s][i] = (BT d)[i][s] */
        for (int s = 0; s < (fc ? 5 : 4); s++) {
            __m256 d[5];
            for (int r = 0; r < (fr ? 5 : 4); r++) d[r] = _mm256_loadu_ps(s0 + r * rs + s * Ch + c);
            if (fr) bt5(d, col[s]);
            else bt3(d, col[s]);
        }
        for (int i = 0; i < 5; i++) {
            if (!fr && i == 3) continue;
            __m256 row[5] = {col[0][i], col[1][i], col[2][i], col[3][i], col[4][i]};
            if (fc) bt5(row, v);
            else bt3(row, v);
            for (int j = 0; j < 5; j++) {
                if (!fc && j == 3) continue;
                const int xi = i * 5 + j;
                _mm256_storeu_ps(dst[xi] + (c >> 4) * step[xi] + (c & 15), v[j]);
            }
        }
    }
}

/* V[xi] = (BT d B)[xi] for the tiles (ti, tj) of the chunk's sample n, from its Q (Hq, Wq, Ch)
 * starting (eh, ew) in: d = Q[4ti + eh + r][4tj + ew + s][c], r, s < 5 (4 where 3-wide). Tile
 * (ti, tj) is row p = tile_row() of a (nc T, Ch) matrix per point: tile-major (row p at p * ld,
 * the points xs = Ch apart within it: the forward's A, read in place), or packed as a GEMM's B
 * (the weight gradient's, the rows of the tiles having the point its reduction; points xs
 * apart) */
static void input_tiles(const float *Q, int Wq, int Ch, tiles t, int eh, int ew, float *V,
                        int64_t xs, int64_t ld, int n, int nc, int packed, const point_rows *pr) {
    const int64_t rs = (int64_t)Wq * Ch;
    for (int q = 0; q < t.T; q++) {
        const int ti = q / t.TW, tj = q % t.TW, p = tile_row(t, nc, n, ti, tj);
        const int fr = full_rows(t, ti), fc = full_cols(t, tj);
        const float *s0 = Q + ((int64_t)(4 * ti + eh) * Wq + 4 * tj + ew) * Ch;
        float *dst[XI];
        int64_t step[XI];
        for (int xi = 0; xi < XI; xi++) {
            if (!packed) {
                dst[xi] = V + (int64_t)p * ld + xi * xs;
                step[xi] = GAN_PG_NR;
            } else if (p >= pr->r0[xi] && p < pr->r1[xi]) {
                /* each point's matrix holds its own rows r0 .. r1 (K = r1 - r0) */
                const int K = pr->r1[xi] - pr->r0[xi], k = p - pr->r0[xi], kb0 = k / GAN_PG_KC * GAN_PG_KC;
                dst[xi] = V + xi * xs + gan_pg_packed_b_at(K, Ch, k, 0);
                step[xi] = (int64_t)(K - kb0 < GAN_PG_KC ? K - kb0 : GAN_PG_KC) * GAN_PG_NR;
            } else {
                dst[xi] = NULL;   /* a 3-wide tile's missing slot: never stored */
                step[xi] = 0;
            }
        }
        if (fr && fc) input_tile(s0, rs, Ch, 1, 1, dst, step);
        else if (fr) input_tile(s0, rs, Ch, 1, 0, dst, step);
        else if (fc) input_tile(s0, rs, Ch, 0, 1, dst, step);
        else input_tile(s0, rs, Ch, 0, 0, dst, step);
    }
}

/* V[e][xi] for samples n0 .. n0 + nc of src (N, C, H, W) and `offsets` tile origins e = (eh, ew)
 * (1: (0, 0); 4: the adjoint's phases), as input_tiles lays them out with Ptot = nc T rows:
 * packed, the 25 matrices plane() apart; or tile-major, each tile's offsets x 25 rows of ch
 * floats side by side (row e * 25 + xi). Each sample goes channel-last into its thread's own
 * buffer (L2-sized), then through input_tiles. */
static void transform_inputs(const float *src, int n0, int nc, int C, int H, int W, int s,
                             tiles t, int offsets, int packed, float *V) {
    const point_rows pr = rows_of(t, nc);
    const int Hq = 4 * t.TH + 1 + (s == 1), Wq = 4 * t.TW + 1 + (s == 1), Ptot = nc * t.T;
    const int ch = s * s * C;
    const int64_t per = (int64_t)Hq * Wq * ch;
    const int64_t xs = packed ? plane(gan_pg_packed_b_floats(Ptot, ch)) : ch,
                  ld = (int64_t)offsets * XI * ch;
    float *buf = gan_pg_scratch(3, (size_t)(omp_get_max_threads() * per));
#pragma omp parallel for schedule(static) if ((int64_t)Ptot * ch * XI * offsets > GAN_PARALLEL_MIN)
    for (int n = 0; n < nc; n++) {
        float *q = buf + omp_get_thread_num() * per;
        channel_last(src + (int64_t)(n0 + n) * C * H * W, C, H, W, s, Hq, Wq, q);
        for (int e = 0; e < offsets; e++)
            input_tiles(q, Wq, ch, t, e >> 1, e & 1, V + e * XI * xs, xs, ld, n, nc, packed, &pr);
    }
}

/* y (4x4 vectors) = AT m A for one tile of Z, m[xi] at Z + xi * xs (8 channels); F(3, 2) down
 * its rows unless fr, along its columns unless fc (the missing slot 3 is neither read nor
 * used). fr, fc are constants at each call, so the full tile's loops carry no tests. */
static inline __attribute__((always_inline)) void
output_tile(const float *Z, int64_t xs, const int fr, const int fc, __m256 y[4][4]) {
    __m256 col[5][4];   /* col[j][i] = (AT m)[i][j] */
    for (int j = 0; j < 5; j++) {
        if (!fc && j == 3) {
            for (int i = 0; i < 4; i++) col[j][i] = _mm256_setzero_ps();
            continue;
        }
        __m256 m[5];
        for (int i = 0; i < 5; i++) m[i] = !fr && i == 3 ? _mm256_setzero_ps() : _mm256_loadu_ps(Z + (i * 5 + j) * xs);
        if (fr) at4(m, col[j]);
        else at3(m, col[j]);
    }
    for (int i = 0; i < 4; i++) {
        __m256 row[5] = {col[0][i], col[1][i], col[2][i], col[3][i], col[4][i]};
        if (fc) at4(row, y[i]);
        else at3(row, y[i]);
    }
}

/* Products for the 25 points of `sets` independent problems (the adjoint's four phases):
 * Z[e][xi] (P, Nb) = V[e][xi] (P, K) @ U[e][xi] (K, Nb), V read in place, U given packed
 * (gan_pg_packed_b_at, the matrices plane() apart). V and Z are tile-major: row p of all the
 * matrices side by side (V's vsets x 25 rows of K floats, vsets 1 when the sets share one V;
 * Z's sets x 25 rows of Nb), so a transform reads or writes one contiguous block per tile
 * instead of 25-100 streams (which ran at L3 latency). */
static void products(const float *V, int vsets, const float *U, float *Z, int P, int K, int Nb,
                     int sets, const point_rows *pr) {
    enum { MAXS = 4 * XI };
    gan_pg_strided sa[MAXS];
    gan_pgemm gm[MAXS];
    const int count = sets * XI;
    const int64_t us = plane(gan_pg_packed_b_floats(K, Nb)), lda = (int64_t)vsets * XI * K,
                  ldz = (int64_t)sets * XI * Nb;
    for (int i = 0; i < count; i++) {
        /* mixed tiles: point xi's GEMM runs over the rows of the tiles that have it */
        const int r0 = pr ? pr->r0[i % XI] : 0, r1 = pr ? pr->r1[i % XI] : P;
        sa[i] = (gan_pg_strided){V + r0 * lda + (vsets > 1 ? i : i % XI) * (int64_t)K, lda, 1};
        gm[i] = (gan_pgemm){.M = r1 - r0, .N = Nb, .K = K, .pack_a = gan_pg_pack_a_strided,
                            .pack_b = gan_pg_pack_b_strided, .a_ud = &sa[i], .b_ud = U + i * us,
                            .c = Z + r0 * ldz + (int64_t)i * Nb, .sm = ldz, .sv = 1, .P = Nb, .QW = Nb,
                            .in_place = GAN_PG_A_IN_PLACE | GAN_PG_B_PACKED};
    }
    gan_pgemm_run_batch(gm, count);
}

/* ---------------------------------------------------------------- conv2d */

/* U[xi] (K = 4C, Ob) packed as a GEMM's B: (k = (a*2 + b)*C + c, o) = (G g G^T)[xi] with
 * g[t][u] = w[ob0 + o][c][2t + a][2u + b] */
static void conv_kernels(const float *w, int C, int ob0, int Ob, float *U) {
    const int K = 4 * C;
    const int64_t xs = plane(gan_pg_packed_b_floats(K, Ob));
#pragma omp parallel for schedule(static) if (xs * XI > GAN_PARALLEL_MIN)
    for (int c = 0; c < C; c++)
        for (int o = 0; o < Ob; o += 8) {
            const float *wb = w + ((int64_t)(ob0 + o) * C + c) * 16;
            __m256 tap[16], g[2][2], u[5][5];
            load_taps(wb, (int64_t)C * 16, tap);
            for (int ab = 0; ab < 4; ab++) {
                int a = ab >> 1, b = ab & 1;
                for (int tt = 0; tt < 2; tt++)
                    for (int uu = 0; uu < 2; uu++) g[tt][uu] = tap[(2 * tt + a) * 4 + 2 * uu + b];
                kernel_tile(g, u);
                float *d = U + gan_pg_packed_b_at(K, Ob, ab * C + c, o);
                for (int xi = 0; xi < XI; xi++) _mm256_storeu_ps(d + xi * xs, u[xi / 5][xi % 5]);
                if (o + 8 == Ob && Ob % 16)   /* the last sliver's padding */
                    for (int xi = 0; xi < XI; xi++) _mm256_storeu_ps(d + 8 + xi * xs, _mm256_setzero_ps());
            }
        }
}

void gan_wino_conv2d(const gan_conv_geom *g, const float *x, const float *w, const float *b,
                     float *y) {
    const int C = g->C, OC = g->OC, K = 4 * C, HO = g->HO, WO = g->WO;
    const tiles t = tiles_mixed(HO, WO);
    const int Ob = chunk_of(ucap, OC, (int64_t)XI * K, 8);
    const int Nc = chunk_of(cap, g->N, (int64_t)XI * t.T * (K > Ob ? K : Ob), 1);
    float *U = gan_pg_scratch(0, (size_t)(XI * plane(gan_pg_packed_b_floats(K, Ob))));
    float *V = gan_pg_scratch(1, (size_t)XI * Nc * t.T * K);
    float *Z = gan_pg_scratch(2, (size_t)XI * Nc * t.T * Ob);
    const int64_t hwo = (int64_t)HO * WO;
    /* U once per block of output channels; the inputs' transform once per chunk of samples,
     * again per block only when there are several of both */
    for (int ob0 = 0; ob0 < OC; ob0 += Ob) {
        const int ob = OC - ob0 < Ob ? OC - ob0 : Ob;
        conv_kernels(w, C, ob0, ob, U);
        for (int n0 = 0; n0 < g->N; n0 += Nc) {
            const int nc = g->N - n0 < Nc ? g->N - n0 : Nc, P = nc * t.T;
            if (ob0 == 0 || Nc < g->N) transform_inputs(x, n0, nc, C, g->H, g->W, 2, t, 1, 0, V);
            const point_rows pr = rows_of(t, nc);
            products(V, 1, U, Z, P, K, ob, 1, &pr);
#pragma omp parallel for schedule(static) if ((int64_t)P * ob * XI > GAN_PARALLEL_MIN)
            for (int p = 0; p < P; p++) {
                int n, ti, tj;
                row_tile(t, nc, p, &n, &ti, &tj);
                n += n0;
                int rows = HO - 4 * ti < 4 ? HO - 4 * ti : 4, cols = WO - 4 * tj < 4 ? WO - 4 * tj : 4;
                const int fr = full_rows(t, ti), fc = full_cols(t, tj);
                for (int o = 0; o < ob; o += 8) {
                    __m256 v[4][4];
                    const float *zt = Z + (int64_t)p * XI * ob + o;
                    if (fr && fc) output_tile(zt, ob, 1, 1, v);
                    else if (fr) output_tile(zt, ob, 1, 0, v);
                    else if (fc) output_tile(zt, ob, 0, 1, v);
                    else output_tile(zt, ob, 0, 0, v);
                    __m256 bias = b ? _mm256_loadu_ps(b + ob0 + o) : _mm256_setzero_ps();
                    float *y0 = y + ((int64_t)n * OC + ob0 + o) * hwo + (int64_t)(4 * ti) * WO + 4 * tj;
                    for (int i = 0; i < rows; i++) {
                        /* 4 columns x 8 channels -> 8 channels x 4 columns */
                        __m128 lo[4], hi[4];
                        for (int j = 0; j < 4; j++) {
                            __m256 s = ADD(v[i][j], bias);
                            lo[j] = _mm256_castps256_ps128(s);
                            hi[j] = _mm256_extractf128_ps(s, 1);
                        }
                        _MM_TRANSPOSE4_PS(lo[0], lo[1], lo[2], lo[3]);
                        _MM_TRANSPOSE4_PS(hi[0], hi[1], hi[2], hi[3]);
                        for (int k = 0; k < 8; k++) {
                            __m128 r = k < 4 ? lo[k] : hi[k - 4];
                            float *d = y0 + k * hwo + (int64_t)i * WO;
                            if (cols == 4) {
                                _mm_storeu_ps(d, r);
                            } else {   /* plain stores: a masked one is microcoded on AMD */
                                if (cols & 2) _mm_storel_pi((__m64 *)d, r);
                                if (cols & 1) _mm_store_ss(d + (cols & 2), cols & 2 ? _mm_movehl_ps(r, r) : r);
                            }
                        }
                    }
                }
            }
        }
    }
}

/* ---------------------------------------------------------------- adjoint */

/* U[e][xi] (OC, Cb) packed as a GEMM's B: (oc, c) = (G g G^T)[xi] for output phase
 * e = (eh, ew), g[t][u] = w[oc][cb0 + c][3 - eh - 2t][3 - ew - 2u] */
static void adjoint_kernels(const float *w, int C, int OC, int cb0, int Cb, float *U) {
    const int64_t xs = plane(gan_pg_packed_b_floats(OC, Cb)), es = xs * XI;
#pragma omp parallel for schedule(static) if (es * 4 > GAN_PARALLEL_MIN)
    for (int oc = 0; oc < OC; oc++)
        for (int c = 0; c < Cb; c += 8) {
            const float *wb = w + ((int64_t)oc * C + cb0 + c) * 16;
            __m256 tap[16], g[2][2], u[5][5];
            load_taps(wb, 16, tap);
            for (int e = 0; e < 4; e++) {
                int eh = e >> 1, ew = e & 1;
                for (int tt = 0; tt < 2; tt++)
                    for (int uu = 0; uu < 2; uu++) g[tt][uu] = tap[(3 - eh - 2 * tt) * 4 + 3 - ew - 2 * uu];
                kernel_tile(g, u);
                float *d = U + e * es + gan_pg_packed_b_at(OC, Cb, oc, c);
                for (int xi = 0; xi < XI; xi++) _mm256_storeu_ps(d + xi * xs, u[xi / 5][xi % 5]);
                if (c + 8 == Cb && Cb % 16)   /* the last sliver's padding */
                    for (int xi = 0; xi < XI; xi++) _mm256_storeu_ps(d + 8 + xi * xs, _mm256_setzero_ps());
            }
        }
}

void gan_wino_adjoint(const gan_conv_geom *g, const float *dy, const float *w, const float *b,
                      float *dx) {
    const int C = g->C, OC = g->OC, H = g->H, W = g->W;
    const tiles t = tiles_of(g->HO, g->WO);
    /* Where HO and WO are not multiples of 4 the tiles cover output HO + 1 too, so the odd
     * phase's outputs dx[2m - 1] can come from the same tiles (origin 4ti) as the even
     * phase's dx[2m]: one transform of dy serves all four phases. Otherwise each phase
     * transforms dy from its own origin (e rows and columns in), and dx[2m + e]. */
    const int shared = g->HO % 4 && g->WO % 4, vsets = shared ? 1 : 4;
    const int Cb = chunk_of(ucap, C, (int64_t)4 * XI * OC, 8);
    const int Nc = chunk_of(cap, g->N, (int64_t)XI * t.T * (vsets * OC > 4 * Cb ? vsets * OC : 4 * Cb), 1);
    float *U = gan_pg_scratch(0, (size_t)(4 * XI * plane(gan_pg_packed_b_floats(OC, Cb))));
    float *V = gan_pg_scratch(1, (size_t)vsets * XI * Nc * t.T * OC);
    float *Z = gan_pg_scratch(2, (size_t)4 * XI * Nc * t.T * Cb);
    const int64_t hw = (int64_t)H * W;
    /* as in gan_wino_conv2d: U once per block of channels, dy's transform once per chunk */
    for (int cb0 = 0; cb0 < C; cb0 += Cb) {
        const int cb = C - cb0 < Cb ? C - cb0 : Cb;
        adjoint_kernels(w, C, OC, cb0, cb, U);
        for (int n0 = 0; n0 < g->N; n0 += Nc) {
            const int nc = g->N - n0 < Nc ? g->N - n0 : Nc, P = nc * t.T;
            if (cb0 == 0 || Nc < g->N) transform_inputs(dy, n0, nc, OC, g->HO, g->WO, 1, t, vsets, 0, V);
            products(V, vsets, U, Z, P, OC, cb, 4, NULL);
            /* dx rows 2(4ti + i) + eh and columns 2(4tj + j) + ew, or with shared tiles
             * 2(4ti + i) - eh and 2(4tj + j) - ew: per row, 8 (j, ew) x 8 channels transposed */
#pragma omp parallel for schedule(static) if ((int64_t)P * cb * XI * 4 > GAN_PARALLEL_MIN)
            for (int p = 0; p < P; p++) {
                int n = n0 + p / t.T, q = p % t.T, ti = q / t.TW, tj = q % t.TW;
                int col0 = 8 * tj - shared, k0 = col0 < 0 ? -col0 : 0, k1 = W - col0 < 8 ? W - col0 : 8;
                const __m256i cmask = lane_mask(k0, k1);
                for (int c = 0; c < cb; c += 8) {
                    __m256 v[4][4][4];   /* [e][i][j] */
                    for (int e = 0; e < 4; e++) output_tile(Z + ((int64_t)p * 4 + e) * XI * cb + c, cb, 1, 1, v[e]);
                    __m256 bias = b ? _mm256_loadu_ps(b + cb0 + c) : _mm256_setzero_ps();
                    float *d0 = dx + ((int64_t)n * C + cb0 + c) * hw + col0;
                    for (int i = 0; i < 4; i++)
                        for (int eh = 0; eh < 2; eh++) {
                            int row = 2 * (4 * ti + i) + (shared ? -eh : eh);
                            if (row < 0 || row >= H) continue;
                            __m256 r[8];
                            for (int j = 0; j < 4; j++)
                                for (int ew = 0; ew < 2; ew++)
                                    r[2 * j + (shared ? 1 - ew : ew)] = ADD(v[eh * 2 + ew][i][j], bias);
                            gan_pg_transpose8_regs(r);
                            for (int k = 0; k < 8; k++) store_lanes(d0 + k * hw + (int64_t)row * W, r[k], k0, k1, cmask);
                        }
                }
            }
        }
    }
}

/* ---------------------------------------------------------------- weight gradient */

/* (A dy A^T)[xi] of tile q of one sample's DQ (Hd, Wd, OC) (dy padded by one): the 4x4
 * outputs of tile (ti, tj), channels c .. c + 7 */
static inline void dy_tile(const float *DQ, int Wd, int OC, tiles t, int q, int c, __m256 e[XI]) {
    const int64_t rs = (int64_t)Wd * OC;
    const int ti = q / t.TW, tj = q % t.TW, fr = full_rows(t, ti), fc = full_cols(t, tj);
    const float *s0 = DQ + ((int64_t)(4 * ti + 1) * Wd + 4 * tj + 1) * OC + c;
    __m256 col[4][5];   /* col[s][i] = (A dy)[i][s]: A3 on a 3-wide tile */
    for (int s = 0; s < (fc ? 4 : 3); s++) {
        __m256 d[4];
        for (int r = 0; r < (fr ? 4 : 3); r++) d[r] = _mm256_loadu_ps(s0 + r * rs + s * OC);
        if (fr) a5(d, col[s]);
        else a3(d, col[s]);
    }
    for (int i = 0; i < 5; i++) {
        __m256 row[4] = {col[0][i], col[1][i], col[2][i], col[3][i]};
        if (fc) a5(row, e + 5 * i);
        else a3(row, e + 5 * i);
    }
}

/* 4 vectors of 8 channels (4 tiles) as 8 rows of 4: d[l * ld + k] = lane l of v_k */
static inline void store_4x8(__m256 v0, __m256 v1, __m256 v2, __m256 v3, float *d, int64_t ld) {
    __m128 lo[4] = {_mm256_castps256_ps128(v0), _mm256_castps256_ps128(v1),
                    _mm256_castps256_ps128(v2), _mm256_castps256_ps128(v3)};
    __m128 hi[4] = {_mm256_extractf128_ps(v0, 1), _mm256_extractf128_ps(v1, 1),
                    _mm256_extractf128_ps(v2, 1), _mm256_extractf128_ps(v3, 1)};
    _MM_TRANSPOSE4_PS(lo[0], lo[1], lo[2], lo[3]);
    _MM_TRANSPOSE4_PS(hi[0], hi[1], hi[2], hi[3]);
    for (int l = 0; l < 4; l++) {
        _mm_storeu_ps(d + (int64_t)l * ld, lo[l]);
        _mm_storeu_ps(d + (int64_t)(l + 4) * ld, hi[l]);
    }
}

/* E[xi] (Ob, Ptot), rows o (channel ob0 + o) contiguous along the tiles' rows p (stride xs
 * between points) for sample n of the chunk: the weight gradient's A, read in place. Four
 * tiles at a time go out as 4 x 8 transposes; the rest of T one float at a time. (Mixed tiles
 * go through dy_tiles_mixed: one tile's rows are adjacent across samples, not within one.) */
static void dy_tiles(const float *DQ, int Wd, int OC, tiles t, int ob0, int Ob, float *E, int64_t xs,
                     int n, int nc) {
    const int Ptot = nc * t.T, p0 = n * t.T;
    for (int o = 0; o < Ob; o += 8) {
        float *e0 = E + (int64_t)o * Ptot + p0;
        int q = 0;
        for (; q + 4 <= t.T; q += 4) {
            __m256 e[4][XI];
            for (int k = 0; k < 4; k++) dy_tile(DQ, Wd, OC, t, q + k, ob0 + o, e[k]);
            for (int xi = 0; xi < XI; xi++)
                store_4x8(e[0][xi], e[1][xi], e[2][xi], e[3][xi], e0 + xi * xs + q, Ptot);
        }
        for (; q < t.T; q++) {
            __m256 e[XI];
            dy_tile(DQ, Wd, OC, t, q, ob0 + o, e);
            for (int xi = 0; xi < XI; xi++) {
                float v[8];
                _mm256_storeu_ps(v, e[xi]);
                for (int l = 0; l < 8; l++) e0[xi * xs + (int64_t)l * Ptot + q] = v[l];
            }
        }
    }
}

/* Mixed tiles: the same for up to 4 samples n .. n + count - 1 of the chunk at once, DQ[k] each
 * one's copy: a tile of consecutive samples is 4 consecutive rows (tile_row), written as 4 x 8
 * transposes; fewer than 4 one float at a time */
static void dy_tiles_mixed(const float *const DQ[4], int count, int Wd, int OC, tiles t, int ob0,
                           int Ob, float *E, int64_t xs, int n, int nc) {
    const int Ptot = nc * t.T;
    for (int q = 0; q < t.T; q++) {
        const int ti = q / t.TW, tj = q % t.TW, p = tile_row(t, nc, n, ti, tj);
        const int fr = full_rows(t, ti), fc = full_cols(t, tj);
        for (int o = 0; o < Ob; o += 8) {
            __m256 e[4][XI];
            for (int k = 0; k < count; k++) dy_tile(DQ[k], Wd, OC, t, q, ob0 + o, e[k]);
            for (int xi = 0; xi < XI; xi++) {
                if ((!fr && xi / 5 == 3) || (!fc && xi % 5 == 3)) continue;   /* no such point */
                float *d = E + xi * xs + (int64_t)o * Ptot + p;
                if (count == 4) {
                    store_4x8(e[0][xi], e[1][xi], e[2][xi], e[3][xi], d, Ptot);
                } else {
                    for (int k = 0; k < count; k++) {
                        float v[8];
                        _mm256_storeu_ps(v, e[k][xi]);
                        for (int l = 0; l < 8; l++) d[(int64_t)l * Ptot + k] = v[l];
                    }
                }
            }
        }
    }
}

/* E[xi] (Ob, nc T) for samples n0 .. n0 + nc of dy (N, OC, HO, WO), channels ob0 .. ob0 + Ob;
 * returns the floats between points */
static int64_t transform_dy(const float *dy, int n0, int nc, int OC, int HO, int WO, tiles t,
                            int ob0, int Ob, float *E) {
    const int Hd = 4 * t.TH + 2, Wd = 4 * t.TW + 2, Ptot = nc * t.T;
    const int64_t per = (int64_t)Hd * Wd * OC, xs = plane((int64_t)Ptot * Ob);
    if (t.mixed) {
        float *buf = gan_pg_scratch(3, (size_t)(omp_get_max_threads() * 4 * per));
#pragma omp parallel for schedule(static) if (xs * XI > GAN_PARALLEL_MIN)
        for (int n = 0; n < nc; n += 4) {
            const int count = nc - n < 4 ? nc - n : 4;
            const float *dq[4];
            for (int k = 0; k < count; k++) {
                float *q = buf + ((int64_t)omp_get_thread_num() * 4 + k) * per;
                channel_last(dy + (int64_t)(n0 + n + k) * OC * HO * WO, OC, HO, WO, 1, Hd, Wd, q);
                dq[k] = q;
            }
            dy_tiles_mixed(dq, count, Wd, OC, t, ob0, Ob, E, xs, n, nc);
        }
        return xs;
    }
    float *buf = gan_pg_scratch(3, (size_t)(omp_get_max_threads() * per));
#pragma omp parallel for schedule(static) if (xs * XI > GAN_PARALLEL_MIN)
    for (int n = 0; n < nc; n++) {
        float *q = buf + omp_get_thread_num() * per;
        channel_last(dy + (int64_t)(n0 + n) * OC * HO * WO, OC, HO, WO, 1, Hd, Wd, q);
        dy_tiles(q, Wd, OC, t, ob0, Ob, E, xs, n, nc);
    }
    return xs;
}

void gan_wino_weight_grad(const gan_conv_geom *g, const float *x, const float *dy, float *dw) {
    const int C = g->C, OC = g->OC, K = 4 * C;
    const tiles t = tiles_mixed(g->HO, g->WO);
    const int Ob = chunk_of(ucap, OC, (int64_t)XI * K, 8);
    const int Nc = chunk_of(cap, g->N, (int64_t)XI * t.T * (K > Ob ? K : Ob), 1);
    float *dU = gan_pg_scratch(0, (size_t)XI * K * Ob);
    float *V = gan_pg_scratch(1, (size_t)(XI * plane(gan_pg_packed_b_floats(Nc * t.T, K))));
    float *E = gan_pg_scratch(2, (size_t)(XI * plane((int64_t)Nc * t.T * Ob)));
    for (int ob0 = 0; ob0 < OC; ob0 += Ob) {
        const int ob = OC - ob0 < Ob ? OC - ob0 : Ob;
        const int64_t ldu = (int64_t)XI * K;   /* dU^T[xi] (ob, K): row o of all 25 side by side */
        for (int n0 = 0; n0 < g->N; n0 += Nc) {
            const int nc = g->N - n0 < Nc ? g->N - n0 : Nc, P = nc * t.T;
            const int64_t vs = plane(gan_pg_packed_b_floats(P, K));
            if (ob0 == 0 || Nc < g->N) transform_inputs(x, n0, nc, C, g->H, g->W, 2, t, 1, 1, V);
            const int64_t es = transform_dy(dy, n0, nc, OC, g->HO, g->WO, t, ob0, ob, E);
            /* dU^T[xi] (ob, K) (+)= E[xi] (ob, P) @ V[xi] (P, K): both as their transforms left
             * them (E row-major, V packed), over the rows of the tiles that have the point */
            const point_rows pr = rows_of(t, nc);
            gan_pg_strided sa[XI];
            gan_pgemm gm[XI];
            for (int xi = 0; xi < XI; xi++) {
                sa[xi] = (gan_pg_strided){E + xi * es + pr.r0[xi], P, 1};
                gm[xi] = (gan_pgemm){.M = ob, .N = K, .K = pr.r1[xi] - pr.r0[xi], .pack_a = gan_pg_pack_a_strided,
                                     .pack_b = gan_pg_pack_b_strided, .a_ud = &sa[xi],
                                     .b_ud = V + xi * vs, .c = dU + xi * K, .sm = ldu, .sv = 1,
                                     .P = K, .QW = K, .accumulate = n0 > 0,
                                     .in_place = GAN_PG_A_IN_PLACE | GAN_PG_B_PACKED};
            }
            gan_pgemm_run_batch(gm, XI);
        }
        /* dw[oc][c][2t + a][2u + b] = (G^T dU G)[t][u] at (oc, k = (a*2 + b)*C + c), 8 k at a time */
#pragma omp parallel for collapse(2) schedule(static) if (ldu * ob > GAN_PARALLEL_MIN)
        for (int k = 0; k < K; k += 8)
            for (int o = 0; o < ob; o++) {
                int ab = k / C, c = k % C, a = ab >> 1, bb = ab & 1;
                __m256 col[5][2], m[5], r[2][2];   /* col[j][t] = (G^T dU)[t][j] */
                for (int j = 0; j < 5; j++) {
                    for (int i = 0; i < 5; i++) m[i] = _mm256_loadu_ps(dU + o * ldu + (i * 5 + j) * K + k);
                    gt2(m, &col[j][0], &col[j][1]);
                }
                for (int tt = 0; tt < 2; tt++) {
                    __m256 row[5] = {col[0][tt], col[1][tt], col[2][tt], col[3][tt], col[4][tt]};
                    gt2(row, &r[tt][0], &r[tt][1]);
                }
                float v[2][2][8];
                for (int tt = 0; tt < 2; tt++)
                    for (int uu = 0; uu < 2; uu++) _mm256_storeu_ps(v[tt][uu], r[tt][uu]);
                float *d = dw + ((int64_t)(ob0 + o) * C + c) * 16 + a * 4 + bb;
                for (int l = 0; l < 8; l++)
                    for (int tt = 0; tt < 2; tt++)
                        for (int uu = 0; uu < 2; uu++) d[l * 16 + tt * 8 + uu * 2] = v[tt][uu][l];
            }
    }
}

#else /* no AVX2: the direct products of conv_gemm.c */

int gan_wino_fits(const gan_conv_geom *g) { (void)g; return 0; }
void gan_wino_conv2d(const gan_conv_geom *g, const float *x, const float *w, const float *b, float *y) {
    (void)g; (void)x; (void)w; (void)b; (void)y;
    GAN_ASSERT(0);
}
void gan_wino_adjoint(const gan_conv_geom *g, const float *dy, const float *w, const float *b, float *dx) {
    (void)g; (void)dy; (void)w; (void)b; (void)dx;
    GAN_ASSERT(0);
}
void gan_wino_weight_grad(const gan_conv_geom *g, const float *x, const float *dy, float *dw) {
    (void)g; (void)x; (void)dy; (void)dw;
    GAN_ASSERT(0);
}

#endif
