/* conv_gemm.c — conv2d, its adjoint (conv_transpose2d) and its weight gradient as single GEMMs
 * over the whole batch (pack_gemm.c), with packers that read the tensors in place.
 *
 *   shifted:       a zero-padded (for strided convs also phase-split) copy of the image read
 *                  in place (gan_pg_shifted): tap (c, kh, kw) is the copy shifted by an offset,
 *                  so the GEMM runs over the padded grid (its columns past the output's width
 *                  are computed and dropped) and packs only the other operand. Used where it
 *                  was measured to win: weight gradients on grids of 64+ positions, forward
 *                  and adjoint of 3x3 convs on grids of 28+ (see shifted_wins).
 *
 *   conv2d:        y (OC, N*HO*WO) = w (OC, C*KH*KW) @ patches(x)
 *   adjoint:       split by output phase (ih mod s, iw mod s): each phase of dx is a stride-1
 *                  correlation of dy with the taps kh = (ih + pad) mod s (mod s), so every
 *                  multiply-add is a real one (no col2im, no zero-stuffing). A 1x1 dy with no
 *                  padding (DCGAN's first layer) is a plain matrix product.
 *   weight grad:   dw (OC, C*KH*KW) = dy (OC, N*HO*WO) @ patches(x)^T
 * None needs a column matrix: patches are gathered while packing, straight into the
 * micro-kernel's layout. */
#include "backend/cpu/conv_kernels.h"
#include "backend/cpu/pack_gemm.h"
#include "backend/cpu/winograd.h"
#include "internal.h"
#if defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>
#endif

#define NR GAN_PG_NR
#define MR GAN_PG_MR
#define FAR (-(1 << 28))   /* a coordinate no bounds check accepts (padding lanes) */
#define COLS_CAP (1 << 17)  /* floats of column scratch for the adjoint's col2im path: L2-sized,
                               * as col2im reads it back right away */
#define PHASE_CAP (1 << 20) /* floats of phase scratch for the adjoint's phase path */

/* ---------------------------------------------------------------- patches as B
 * B (k, j) = x[n, c, u*su + dh0 + th*dhs, v*sv + dw0 + tw*dws], 0 outside the image,
 * with k = (c, th, tw) over C x TH x TW and j = (n, u, v) over N x U x V. */
typedef struct patch_b {
    const float *x;
    int C, H, W;
    int U, V, su, sv;
    int TH, TW, dh0, dhs, dw0, dws;
    int slack;   /* reading up to 16 floats past any row's end is safe (a padded copy) */
} patch_b;

#define SLACK 32   /* floats after a padded copy */

/* A zero-padded copy of x (N,C,H,W): pt/pbot rows above/below, pl/pr columns left/right, into
 * scratch slot 1. Narrow grids (a 7x7 map) pack a few floats per row; with the borders made
 * of real zeros every row is one unmasked load. */
static const float *padded_copy(const float *x, int N, int C, int H, int W, int pt, int pbot,
                                int pl, int pr) {
    const int Hp = H + pt + pbot, Wp = W + pl + pr;
    const int64_t planes = (int64_t)N * C, hwp = (int64_t)Hp * Wp;
    float *xp = gan_pg_scratch(1, (size_t)(planes * hwp + SLACK));
#pragma omp parallel for schedule(static) if (planes * hwp > GAN_PARALLEL_MIN)
    for (int64_t pi = 0; pi < planes; pi++) {
        float *o = xp + pi * hwp;
        const float *in = x + pi * H * W;
        memset(o, 0, sizeof(float) * (size_t)(pt * Wp));
        for (int r = 0; r < H; r++) {
            float *orow = o + (int64_t)(pt + r) * Wp;
            for (int c = 0; c < pl; c++) orow[c] = 0.0f;
            memcpy(orow + pl, in + (int64_t)r * W, sizeof(float) * (size_t)W);
            for (int c = pl + W; c < Wp; c++) orow[c] = 0.0f;
        }
        memset(o + (int64_t)(pt + H) * Wp, 0, sizeof(float) * (size_t)(pbot * Wp));
    }
    memset(xp + planes * hwp, 0, SLACK * sizeof(float));
    return xp;
}

/* The rows (top, bottom) and columns (left, right) of zeros that put every tap of every grid
 * point of pb inside its image. */
static void pad_amounts(const patch_b *pb, int pad[4]) {
    int dhmin = pb->dh0 + (pb->dhs < 0 ? (pb->TH - 1) * pb->dhs : 0);
    int dhmax = pb->dh0 + (pb->dhs > 0 ? (pb->TH - 1) * pb->dhs : 0);
    int dwmin = pb->dw0 + (pb->dws < 0 ? (pb->TW - 1) * pb->dws : 0);
    int dwmax = pb->dw0 + (pb->dws > 0 ? (pb->TW - 1) * pb->dws : 0);
    int hi = (pb->U - 1) * pb->su + dhmax, wi = (pb->V - 1) * pb->sv + dwmax;
    int a[4] = {dhmin < 0 ? -dhmin : 0, hi >= pb->H ? hi - pb->H + 1 : 0,
                dwmin < 0 ? -dwmin : 0, wi >= pb->W ? wi - pb->W + 1 : 0};
    for (int i = 0; i < 4; i++) pad[i] = a[i] > pad[i] ? a[i] : pad[i];
}

/* Narrow grids (fewer than 16 columns): the products' patch operands read one zero-padded copy
 * of their common image instead (n operands of the same image, N samples). */
static void pad_patches(patch_b *pb, int n, int N) {
    if (pb[0].V >= GAN_PG_NR) return;
    int pad[4] = {0, 0, 0, 0};
    for (int i = 0; i < n; i++) pad_amounts(&pb[i], pad);
    const float *xp = padded_copy(pb[0].x, N, pb[0].C, pb[0].H, pb[0].W, pad[0], pad[1], pad[2], pad[3]);
    for (int i = 0; i < n; i++) {
        pb[i].x = xp;
        pb[i].H += pad[0] + pad[1];
        pb[i].W += pad[2] + pad[3];
        pb[i].dh0 += pad[0];
        pb[i].dw0 += pad[2];
        pb[i].slack = 1;
    }
}

/* lanes [0, len) of d (len <= 8, all 8 written) = src[iwa + l*sv] where 0 <= iwa + l*sv < W,
 * else 0; masked loads never touch the lanes outside the row */
static inline void copy8(const float *src, int iwa, int W, int sv, int len, float *d) {
#if defined(__AVX2__) && defined(__FMA__)
    const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    if (sv == 1) {
        __m256i iw = _mm256_add_epi32(lane, _mm256_set1_epi32(iwa));
        __m256i ok = _mm256_and_si256(_mm256_cmpgt_epi32(_mm256_set1_epi32(W), iw),
                                      _mm256_cmpgt_epi32(iw, _mm256_set1_epi32(-1)));
        ok = _mm256_and_si256(ok, _mm256_cmpgt_epi32(_mm256_set1_epi32(len), lane));
        _mm256_storeu_ps(d, _mm256_maskload_ps(src + iwa, ok));
        return;
    }
    if (sv == 2) {
        /* source span [iwa, iwa + 16): two masked loads, then the even elements */
        const __m256i two = _mm256_set1_epi32(2 * len), lo_w = _mm256_set1_epi32(W);
        __m256i i0 = _mm256_add_epi32(lane, _mm256_set1_epi32(iwa));
        __m256i i1 = _mm256_add_epi32(i0, _mm256_set1_epi32(8));
        __m256i m0 = _mm256_and_si256(_mm256_cmpgt_epi32(lo_w, i0), _mm256_cmpgt_epi32(i0, _mm256_set1_epi32(-1)));
        __m256i m1 = _mm256_and_si256(_mm256_cmpgt_epi32(lo_w, i1), _mm256_cmpgt_epi32(i1, _mm256_set1_epi32(-1)));
        m0 = _mm256_and_si256(m0, _mm256_cmpgt_epi32(two, lane));
        m1 = _mm256_and_si256(m1, _mm256_cmpgt_epi32(two, _mm256_add_epi32(lane, _mm256_set1_epi32(8))));
        __m256 a = _mm256_maskload_ps(src + iwa, m0), b = _mm256_maskload_ps(src + iwa + 8, m1);
        __m256 t = _mm256_shuffle_ps(a, b, _MM_SHUFFLE(2, 0, 2, 0));
        _mm256_storeu_ps(d, _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(t), 0xD8)));
        return;
    }
#endif
    for (int l = 0; l < 8; l++) {
        int iw = iwa + l * sv;
        d[l] = l < len && (unsigned)iw < (unsigned)W ? src[iw] : 0.0f;
    }
}

/* d[0..8) = p[0..8) and d[0..8) = p[0, 2, .., 14] */
static inline void store8(float *d, const float *p) {
#if defined(__AVX2__) && defined(__FMA__)
    _mm256_storeu_ps(d, _mm256_loadu_ps(p));
#else
    for (int l = 0; l < 8; l++) d[l] = p[l];
#endif
}

static inline void store8_s2(float *d, const float *p) {
#if defined(__AVX2__) && defined(__FMA__)
    __m256 a = _mm256_loadu_ps(p), b = _mm256_loadu_ps(p + 8);
    __m256 e = _mm256_shuffle_ps(a, b, _MM_SHUFFLE(2, 0, 2, 0));
    _mm256_storeu_ps(d, _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(e), 0xD8)));
#else
    for (int l = 0; l < 8; l++) d[l] = p[2 * l];
#endif
}

/* Lanes [0, len) of d = src[iwa + l*sv] (0 outside [0, W)), len <= 8. copy8 writes all 8
 * lanes, so a piece that ends within a sliver row may spill into lanes of later runs (they are
 * written after it); one that would cross the row's end goes through a temporary. */
static inline void piece(const float *src, int iwa, int W, int sv, int len, float *d, int room,
                         int slack) {
    float t[8];
    float *o = room >= 8 ? d : t;
#if defined(__AVX2__) && defined(__FMA__)
    if (iwa >= 0 && iwa + (len - 1) * sv < W && (slack || iwa + 8 * sv <= W) && sv <= 2) {
        /* the lanes past len read real floats (overwritten later or beyond the sliver) */
        if (sv == 1) _mm256_storeu_ps(o, _mm256_loadu_ps(src + iwa));
        else {
            __m256 a = _mm256_loadu_ps(src + iwa), b = _mm256_loadu_ps(src + iwa + 8);
            __m256 e = _mm256_shuffle_ps(a, b, _MM_SHUFFLE(2, 0, 2, 0));
            _mm256_storeu_ps(o, _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(e), 0xD8)));
        }
    } else
#endif
        copy8(src, iwa, W, sv, len, o);
    if (o == t)
        for (int l = 0; l < room; l++) d[l] = t[l];
}

/* One 1x1 tap over the whole image: B (c, (n, p)) = x[n, c, p], each sliver row is 16
 * consecutive floats of one plane unless the sliver crosses into the next sample. (The adjoint's
 * grey/RGB path reads dy so; a 14-wide map would otherwise go through the narrow-row gathers,
 * 65% of that conv's time.) */
static void pack_plain(const patch_b *pb, int k0, int kc, int j0, int nc, float *dst) {
    const int64_t hw = (int64_t)pb->H * pb->W, chw = pb->C * hw;
    for (int jl = 0; jl < nc; jl += NR) {
        float *d = dst + (int64_t)(jl / NR) * kc * NR;
        int nr = nc - jl < NR ? nc - jl : NR, j = j0 + jl;
        int64_t n = j / hw, q = j % hw;
        const float *src = pb->x + n * chw + (int64_t)k0 * hw + q;
        if (nr == NR && q + NR <= hw) {
            for (int k = 0; k < kc; k++, d += NR, src += hw) memcpy(d, src, NR * sizeof(float));
            continue;
        }
        for (int k = 0; k < kc; k++, d += NR)
            for (int l = 0; l < NR; l++) {
                int64_t nn = n + (q + l) / hw, ql = (q + l) % hw;
                d[l] = l < nr ? pb->x[nn * chw + (int64_t)(k0 + k) * hw + ql] : 0.0f;
            }
    }
}

/* Runs outermost: each run's row offsets are fixed, so the inner loop over k only adds the
 * row's tap offset and checks one row bound. */
static void pack_patches(const gan_pgemm *g, int k0, int kc, int j0, int nc, float *dst) {
    const patch_b *pb = g->b_ud;
    const int H = pb->H, W = pb->W, T = pb->TH * pb->TW, UV = pb->U * pb->V, sv = pb->sv;
    const int64_t hw = (int64_t)H * W, chw = pb->C * hw;
    if (T == 1 && pb->su == 1 && sv == 1 && pb->dh0 == 0 && pb->dw0 == 0 && pb->U == H &&
        pb->V == W) {
        pack_plain(pb, k0, kc, j0, nc, dst);
        return;
    }
    int kdh[GAN_PG_KC], kdw[GAN_PG_KC];
    int64_t koff[GAN_PG_KC], kofs[GAN_PG_KC];
    {
        int c = k0 / T, t = k0 % T, th = t / pb->TW, tw = t % pb->TW;
        for (int k = 0; k < kc; k++) {
            kdh[k] = pb->dh0 + th * pb->dhs;
            kdw[k] = pb->dw0 + tw * pb->dws;
            koff[k] = c * hw;
            kofs[k] = koff[k] + (int64_t)kdh[k] * W + kdw[k];
            if (++tw == pb->TW) {
                tw = 0;
                if (++th == pb->TH) {
                    th = 0;
                    c++;
                }
            }
        }
    }
    for (int jl = 0; jl < nc; jl += NR) {
        float *d0 = dst + (int64_t)(jl / NR) * kc * NR;
        int nr = nc - jl < NR ? nc - jl : NR;
        int j = j0 + jl, n = j / UV, q = j % UV, u = q / pb->V, v = q % pb->V;
        for (int l = 0; l < nr;) {
            int len = pb->V - v < nr - l ? pb->V - v : nr - l;
            const float *img = pb->x + n * chw;
            int ih0 = u * pb->su, iw0 = v * sv;
            float *d = d0 + l;
            if (pb->slack) {
                /* padded image: every tap is inside, the row is one (strided) load */
                const float *base = img + (int64_t)ih0 * W + iw0;
                int room = NR - l;
                for (int p = 0; p < len; p += 8, room -= 8) {
                    const float *bp = base + p * sv;
                    float *dp = d + p;
                    if (room >= 8 && sv == 1)
                        for (int k = 0; k < kc; k++, dp += NR) store8(dp, bp + kofs[k]);
                    else if (room >= 8 && sv == 2)
                        for (int k = 0; k < kc; k++, dp += NR) store8_s2(dp, bp + kofs[k]);
                    else {
                        int cnt = len - p < room ? len - p : room;
                        for (int k = 0; k < kc; k++, dp += NR)
                            for (int e = 0; e < cnt; e++) dp[e] = bp[kofs[k] + e * sv];
                    }
                }
            } else if (len == NR && sv == 1) {
                for (int k = 0; k < kc; k++, d += NR) {
                    int ih = ih0 + kdh[k], iwa = iw0 + kdw[k];
                    if ((unsigned)ih >= (unsigned)H) {
                        memset(d, 0, NR * sizeof(float));
                        continue;
                    }
                    const float *src = img + koff[k] + (int64_t)ih * W;
                    /* two channels ahead: planes are too far apart for the prefetcher */
                    __builtin_prefetch(src + 2 * hw + iwa);
                    __builtin_prefetch(src + 2 * hw + iwa + NR - 1);
                    if (iwa >= 0 && iwa + NR <= W) memcpy(d, src + iwa, NR * sizeof(float));
                    else {
                        copy8(src, iwa, W, 1, 8, d);
                        copy8(src, iwa + 8, W, 1, 8, d + 8);
                    }
                }
            } else {
                for (int k = 0; k < kc; k++, d += NR) {
                    int ih = ih0 + kdh[k], iwa = iw0 + kdw[k];
                    if ((unsigned)ih >= (unsigned)H) {
                        for (int p = 0; p < len; p++) d[p] = 0.0f;
                        continue;
                    }
                    const float *src = img + koff[k] + (int64_t)ih * W;
                    __builtin_prefetch(src + 2 * hw + iwa);
                    __builtin_prefetch(src + 2 * hw + iwa + len * sv - 1);
                    for (int p = 0; p < len; p += 8)
                        piece(src, iwa + p * sv, W, sv, len - p < 8 ? len - p : 8, d + p, NR - l - p, pb->slack);
                }
            }
            l += len;
            v += len;
            if (v == pb->V) {
                v = 0;
                if (++u == pb->U) {
                    u = 0;
                    n++;
                }
            }
        }
        if (nr < NR) {                   /* columns past N */
            float *d = d0 + nr;
            for (int k = 0; k < kc; k++, d += NR)
                for (int l = 0; l < NR - nr; l++) d[l] = 0.0f;
        }
    }
}

/* ---------------------------------------------------------------- the adjoint's weights
 * A (c, (oc, th, tw)) = w[oc, c, krh + s*th, krw + s*tw]: the taps of one output phase. */
typedef struct tap_a {
    const float *w;
    int C, KH, KW, s, krh, krw, TH, TW;
} tap_a;

static void pack_taps(const gan_pgemm *g, int m0, int k0, int kc, float *dst) {
    const tap_a *ta = g->a_ud;
    const int T = ta->TH * ta->TW;
    const int64_t kk = (int64_t)ta->KH * ta->KW;
    int64_t off[GAN_PG_KC];
    int oc = k0 / T, t = k0 % T, th = t / ta->TW, tw = t % ta->TW;
    for (int k = 0; k < kc; k++) {
        off[k] = (int64_t)oc * ta->C * kk + (int64_t)(ta->krh + ta->s * th) * ta->KW + ta->krw + ta->s * tw;
        if (++tw == ta->TW) {
            tw = 0;
            if (++th == ta->TH) {
                th = 0;
                oc++;
            }
        }
    }
    int mr = g->M - m0 < MR ? g->M - m0 : MR;
    for (int k = 0; k < kc; k++) {
        const float *src = ta->w + off[k] + (int64_t)m0 * kk;
        for (int r = 0; r < MR; r++) dst[k * MR + r] = r < mr ? src[r * kk] : 0.0f;
    }
}

/* ---------------------------------------------------------------- shifted images */

static int64_t *off_buf;
static size_t off_cap;

/* off[(c, th, tw)] = ((c*s + th mod s)*s + tw mod s)*plane + (h0 + dh*(th div s))*Wp
 *                    + w0 + dw*(tw div s)   for c < C, th < TH, tw < TW:
 * where tap (th, tw) of channel c lies in an image split into s*s phase planes per channel */
static const int64_t *tap_offsets(int C, int TH, int TW, int s, int64_t plane, int Wp, int h0,
                                  int dh, int w0, int dw) {
    size_t n = (size_t)C * TH * TW;
    if (n > off_cap) {   /* grow-only: a training step allocates nothing once warm */
        gan_free(off_buf);
        off_cap = n + n / 4;
        off_buf = gan_malloc(off_cap * sizeof(int64_t));
    }
    int64_t *o = off_buf, *o0 = o;
    for (int c = 0; c < C; c++)
        for (int th = 0; th < TH; th++)
            for (int tw = 0; tw < TW; tw++)
                *o++ = ((int64_t)(c * s + th % s) * s + tw % s) * plane +
                       (int64_t)(h0 + dh * (th / s)) * Wp + w0 + dw * (tw / s);
    return o0;
}

/* The conv's input as a stride-1 operand. Split by phase, a stride-s conv is a stride-1 one:
 * xq[n, c, ph, pw, i, j] = x[n, c, s*i + ph - pad, s*j + pw - pad] (0 outside the image) on a
 * grid of Hq x Wq = (HO + (KH-1)/s) x (WO + (KW-1)/s), and tap (c, kh, kw) reads plane
 * (c, kh mod s, kw mod s) shifted by (kh div s, kw div s). At stride 1 this is the zero-padded
 * image; a 1x1 conv without padding reads x itself. Rows of the GEMM run over the grid's
 * HO x Wq positions of each sample (columns j >= WO are scratch). */
typedef struct phase_image {
    gan_pg_shifted op;
    int Wq;
} phase_image;

static phase_image phase_copy(const gan_conv_geom *g, const float *x) {
    const int s = g->stride, p = g->pad;
    const int Hq = g->HO + (g->KH - 1) / s, Wq = g->WO + (g->KW - 1) / s;
    const int64_t plane = (int64_t)Hq * Wq, per = (int64_t)g->C * s * s * plane;
    const float *xq;
    if (s == 1 && p == 0 && g->KW == 1 && g->KH == 1) xq = x;  /* reads stay inside x */
    else if (s == 1) xq = padded_copy(x, g->N, g->C, g->H, g->W, p, Hq - g->H - p, p, Wq - g->W - p);
    else {
        float *o = gan_pg_scratch(1, (size_t)(g->N * per + SLACK));
        const int64_t planes = (int64_t)g->N * g->C * s * s;
#pragma omp parallel for schedule(static) if (planes * plane > GAN_PARALLEL_MIN)
        for (int64_t pi = 0; pi < planes; pi++) {
            int pw = (int)(pi % s), ph = (int)(pi / s % s);
            int64_t nc = pi / (s * s);
            const float *img = x + nc * g->H * g->W;
            float *d = o + pi * plane;
            for (int i = 0; i < Hq; i++, d += Wq) {
                int ih = s * i + ph - p;
                if ((unsigned)ih >= (unsigned)g->H) {
                    memset(d, 0, sizeof(float) * (size_t)Wq);
                    continue;
                }
                const float *row = img + (int64_t)ih * g->W;
                for (int j = 0; j < Wq; j++) {
                    int iw = s * j + pw - p;
                    d[j] = (unsigned)iw < (unsigned)g->W ? row[iw] : 0.0f;
                }
            }
        }
        memset(o + g->N * per, 0, SLACK * sizeof(float));
        xq = o;
    }
    const int64_t *off = tap_offsets(g->C, g->KH, g->KW, s, plane, Wq, 0, 1, 0, 1);
    return (phase_image){{xq, off, (int64_t)g->HO * Wq, per}, Wq};
}

/* Whether a product over rows x Wp of the padded grid reads the image shifted rather than
 * packing patches. Measured on the ResNet's 32-channel convs (one thread, Zen 3): reading in
 * place wins for a 3x3 conv on a 28 or 32 grid (~15%), loses on a 14 or 16 grid (~10%: each
 * sliver's rows lie in scattered lines, re-read from L2 for every panel) and for 1x1 convs
 * (K = C rows: the packed copy is cheap). At stride 2 (the DCGANs' 4x4 convs, 64-512
 * channels, grids 4-32) it lost everywhere, by 15-150%. The weight gradient gains (below). */
static int shifted_wins(const gan_conv_geom *g, int rows, int Wp) {
    return g->stride == 1 && g->KH * g->KW > 1 && (int64_t)rows * Wp >= 512;
}

/* y (OC, (n, oh, j)) = w (OC, C*KH*KW) @ shifted xq, j over the grid's width Wq, j >= WO dropped */
static void conv2d_shifted(const gan_conv_geom *g, const float *x, const float *w, const float *b,
                           float *y) {
    const int K = g->C * g->KH * g->KW;
    const int64_t P = (int64_t)g->HO * g->WO;
    phase_image xq = phase_copy(g, x);
    gan_pg_strided wa = {w, K, 1};
    gan_pgemm gm = {.M = g->OC, .N = (int)(g->N * xq.op.span), .K = K,
                    .pack_a = gan_pg_pack_a_strided, .pack_b = gan_pg_pack_b_shifted, .a_ud = &wa,
                    .b_ud = &xq.op, .c = y, .sm = P, .sn = g->OC * P, .su = g->WO, .sv = 1,
                    .P = (int)xq.op.span, .QW = xq.Wq, .QV = g->WO, .bias = b,
                    .in_place = GAN_PG_B_SHIFTED};
    gan_pgemm_run(&gm);
}

/* dx (C, (n, ih, v)) = taps of w (C, OC*KH*KW) @ shifted dyp, dy padded by KH-1-pad / KW-1-pad
 * on each side so that tap (oc, th, tw) reads dy[oc, ih + pad - th, v + pad - tw] */
static void adjoint_shifted(const gan_conv_geom *g, const float *dy, const float *w,
                            const float *b, float *dx) {
    const int ph = g->KH - 1 - g->pad, pw = g->KW - 1 - g->pad;
    const int Hp = g->HO + 2 * ph, Wp = g->WO + 2 * pw;
    const int64_t plane = (int64_t)Hp * Wp, hw = (int64_t)g->H * g->W;
    const float *dyp = padded_copy(dy, g->N, g->OC, g->HO, g->WO, ph, ph, pw, pw);
    gan_pg_shifted sb = {dyp, tap_offsets(g->OC, g->KH, g->KW, 1, plane, Wp, g->KH - 1, -1, g->KW - 1, -1),
                         (int64_t)g->H * Wp, g->OC * plane};
    tap_a ta = {w, g->C, g->KH, g->KW, 1, 0, 0, g->KH, g->KW};
    gan_pgemm gm = {.M = g->C, .N = (int)(g->N * sb.span), .K = g->OC * g->KH * g->KW,
                    .pack_a = pack_taps, .pack_b = gan_pg_pack_b_shifted, .a_ud = &ta,
                    .b_ud = &sb, .c = dx, .sm = hw, .sn = g->C * hw, .su = g->W, .sv = 1,
                    .P = (int)sb.span, .QW = Wp, .QV = g->W, .bias = b,
                    .in_place = GAN_PG_B_SHIFTED};
    gan_pgemm_run(&gm);
}

/* B ((n, oh, v), oc) = dy[n, oc, oh, v] for v < WO, 0 for v in [WO, Wp): dy on the padded grid,
 * transposed (8x8 blocks where 8 columns of a row are real) */
typedef struct dyt_b { const float *dy; int OC, HO, WO, Wp; } dyt_b;

static void pack_dy_t(const gan_pgemm *g, int k0, int kc, int j0, int nc, float *dst) {
    const dyt_b *db = g->b_ud;
    const int64_t P = (int64_t)db->HO * db->WO, span = (int64_t)db->HO * db->Wp;
    for (int jl = 0; jl < nc; jl += NR) {
        float *d = dst + (int64_t)(jl / NR) * kc * NR;
        const int nr = nc - jl < NR ? nc - jl : NR, oc0 = j0 + jl;
        int64_t n = k0 / span, q = k0 % span;
        int oh = (int)(q / db->Wp), v = (int)(q % db->Wp);
        for (int k = 0; k < kc;) {
            int run = db->Wp - v < kc - k ? db->Wp - v : kc - k;
            int real = db->WO - v < run ? db->WO - v : run;
            const float *src = db->dy + (n * db->OC + oc0) * P + (int64_t)oh * db->WO + v;
            int e = 0;
#if defined(__AVX2__) && defined(__FMA__)
            if (nr == NR)
                for (; e + 8 <= real; e += 8) {
                    gan_pg_transpose8(src + e, P, d + (int64_t)(k + e) * NR);
                    gan_pg_transpose8(src + e + 8 * P, P, d + (int64_t)(k + e) * NR + 8);
                }
#endif
            for (; e < run; e++)
                for (int l = 0; l < NR; l++)
                    d[(int64_t)(k + e) * NR + l] = e < real && l < nr ? src[l * P + e] : 0.0f;
            k += run;
            v += run;
            if (v == db->Wp) {
                v = 0;
                if (++oh == db->HO) {
                    oh = 0;
                    n++;
                }
            }
        }
    }
}

/* dw^T ((c, kh, kw), oc) = shifted xq (C*KH*KW, (n, oh, j)) @ dy on the grid, then transposed
 * into dw. Here the image is A, read by six sequential row streams, and dy, transposed once per
 * block, is the packed B; dw^T goes to scratch first, as the micro-kernel stores whole rows
 * there (scattering dw's columns cost more than the product at 128 x 256 channels).
 * K blocks end with each sample's grid, so this needs grids of 64+ positions to keep them long.
 * Thread CPU ms, 64 samples, one thread: ResNet 3x3 32->32 at 28x28 25.6 -> 13.9, at 14x14
 * 7.0 -> 3.8; DCGAN 4x4/2 3->64 at 64x64 10.6 -> 8.6, 64->128 at 32x32 66 -> 60, 128->256 at
 * 16x16 even. Left on the patch path: a grey image's 16 taps as the rows (0.67 -> 0.91 ms) and
 * DCGAN-28's 7x8 grid (5% faster alone, but two-thread iterations looked ~5% slower). */
static int weight_grad_shifted_wins(const gan_conv_geom *g) {
    return g->OC >= 8 && g->C * g->KH * g->KW >= 32 &&
           (int64_t)g->HO * (g->WO + (g->KW - 1) / g->stride) >= 64;
}

static void weight_grad_shifted(const gan_conv_geom *g, const float *x, const float *dy, float *dw) {
    const int K = g->C * g->KH * g->KW;
    phase_image xq = phase_copy(g, x);
    dyt_b db = {dy, g->OC, g->HO, g->WO, xq.Wq};
    float *dwt = gan_pg_scratch(0, (size_t)K * g->OC);
    gan_pgemm gm = {.M = K, .N = g->OC, .K = (int)(g->N * xq.op.span), .pack_a = gan_pg_pack_a_shifted,
                    .pack_b = pack_dy_t, .a_ud = &xq.op, .b_ud = &db, .c = dwt, .sm = g->OC, .sv = 1,
                    .P = g->OC, .QW = g->OC, .in_place = GAN_PG_A_SHIFTED};
    gan_pgemm_run(&gm);
#pragma omp parallel for schedule(static) if ((int64_t)K * g->OC > GAN_PARALLEL_MIN)
    for (int oc = 0; oc < g->OC; oc++)
        for (int k = 0; k < K; k++) dw[(int64_t)oc * K + k] = dwt[(int64_t)k * g->OC + oc];
}

/* ---------------------------------------------------------------- conv2d */

/* x (N,C,H,W), w (OC,C,KH,KW), b (OC) or NULL -> y (N,OC,HO,WO) */
static void conv2d(const gan_conv_geom *g, const float *x, const float *w, const float *b, float *y);

void gan_cpu_conv2d(const gan_conv_geom *g, const float *x, const float *w, const float *b,
                    float *y) {
    gan_pg_lock();
    conv2d(g, x, w, b, y);
    gan_pg_unlock();
}

static void conv2d(const gan_conv_geom *g, const float *x, const float *w, const float *b, float *y) {
    if (gan_wino_fits(g)) {
        gan_wino_conv2d(g, x, w, b, y);
        return;
    }
    if (shifted_wins(g, g->HO, g->WO + (g->KW - 1) / g->stride)) {
        conv2d_shifted(g, x, w, b, y);
        return;
    }
    const int K = g->C * g->KH * g->KW, P = g->HO * g->WO;
    gan_pg_strided wa = {w, K, 1};
    patch_b pb = {x, g->C, g->H, g->W, g->HO, g->WO, g->stride, g->stride,
                  g->KH, g->KW, -g->pad, 1, -g->pad, 1, 0};
    pad_patches(&pb, 1, g->N);
    gan_pgemm gm = {.M = g->OC, .N = g->N * P, .K = K, .pack_a = gan_pg_pack_a_strided,
                    .pack_b = pack_patches, .a_ud = &wa, .b_ud = &pb, .c = y, .sm = P,
                    .sn = (int64_t)g->OC * P, .su = g->WO, .sv = 1, .P = P, .QW = g->WO,
                    .bias = b};
    gan_pgemm_run(&gm);
}

/* ---------------------------------------------------------------- adjoint (conv_transpose2d) */

/* The s*s phases as one batch of products of equal shape (H, W, KH, KW multiples of s), each
 * into its own contiguous block of scratch laid out (c, n, a, b), so the micro-kernel stores
 * whole rows; then one pass interleaves the phases into dx. Samples go in chunks that keep
 * the scratch near PHASE_CAP. */
static void adjoint_phases(const gan_conv_geom *g, const float *dy, const float *w,
                           const float *b, float *dx) {
    const int s = g->stride, p = g->pad, H = g->H, W = g->W, ah = H / s, aw = W / s;
    const int th = g->KH / s, tw = g->KW / s, Q = ah * aw;
    const int64_t hw = (int64_t)H * W, per = (int64_t)g->C * hw;   /* one sample of dx */
    int chunk = (int)(PHASE_CAP / per);
    if (chunk < 1) chunk = 1;
    if (chunk > g->N) chunk = g->N;
    float *scr = gan_pg_scratch(0, (size_t)(chunk * per));
    tap_a ta[GAN_PG_MAX_BATCH];
    patch_b pb[GAN_PG_MAX_BATCH];
    gan_pgemm gm[GAN_PG_MAX_BATCH];
    for (int n0 = 0; n0 < g->N; n0 += chunk) {
        int nb = g->N - n0 < chunk ? g->N - n0 : chunk;
        int64_t cols = (int64_t)nb * Q, phase = (int64_t)g->C * cols;
        for (int ph = 0; ph < s * s; ph++) {
            int rh = ph / s, rw = ph % s, krh = (rh + p) % s, krw = (rw + p) % s;
            ta[ph] = (tap_a){w, g->C, g->KH, g->KW, s, krh, krw, th, tw};
            pb[ph] = (patch_b){dy + (int64_t)n0 * g->OC * g->HO * g->WO, g->OC, g->HO, g->WO,
                               ah, aw, 1, 1, th, tw, (rh + p - krh) / s, -1, (rw + p - krw) / s, -1, 0};
            gm[ph] = (gan_pgemm){.M = g->C, .N = (int)cols, .K = g->OC * th * tw,
                                 .pack_a = pack_taps, .pack_b = pack_patches, .a_ud = &ta[ph],
                                 .b_ud = &pb[ph], .c = scr + ph * phase, .sm = cols, .sn = Q,
                                 .su = aw, .sv = 1, .P = Q, .QW = aw, .bias = b};
        }
        pad_patches(pb, s * s, nb);
        gan_pgemm_run_batch(gm, s * s);
        /* dx[n, c, rh + s*a, rw + s*b] = phase (rh, rw) at (c, n, a, b) */
        float *dxc = dx + (int64_t)n0 * per;
        const int rows = nb * g->C * H;
#pragma omp parallel for schedule(static) if ((int64_t)nb * per > GAN_PARALLEL_MIN)
        for (int r = 0; r < rows; r++) {
            int n = r / (g->C * H), c = (r / H) % g->C, ih = r % H, rh = ih % s, a = ih / s;
            float *o = dxc + ((int64_t)n * g->C + c) * hw + (int64_t)ih * W;
            const float *src = scr + (int64_t)(rh * s) * phase + (int64_t)c * cols + (int64_t)n * Q + (int64_t)a * aw;
            if (s == 2) {
                const float *e = src, *od = src + phase;
                int bb = 0;
#if defined(__AVX2__) && defined(__FMA__)
                for (; bb + 8 <= aw; bb += 8) {
                    __m256 x0 = _mm256_loadu_ps(e + bb), x1 = _mm256_loadu_ps(od + bb);
                    __m256 lo = _mm256_unpacklo_ps(x0, x1), hi = _mm256_unpackhi_ps(x0, x1);
                    _mm256_storeu_ps(o + 2 * bb, _mm256_permute2f128_ps(lo, hi, 0x20));
                    _mm256_storeu_ps(o + 2 * bb + 8, _mm256_permute2f128_ps(lo, hi, 0x31));
                }
#endif
                for (; bb < aw; bb++) {
                    o[2 * bb] = e[bb];
                    o[2 * bb + 1] = od[bb];
                }
            } else {
                for (int rw = 0; rw < s; rw++)
                    for (int bb = 0; bb < aw; bb++) o[rw + s * bb] = src[rw * phase + bb];
            }
        }
    }
}

/* dy (N,OC,HO,WO), w (OC,C,KH,KW), b (C) or NULL -> dx (N,C,H,W) */
static void adjoint(const gan_conv_geom *g, const float *dy, const float *w, const float *b,
                    float *dx);

void gan_cpu_conv2d_adjoint(const gan_conv_geom *g, const float *dy, const float *w,
                            const float *b, float *dx) {
    gan_pg_lock();
    adjoint(g, dy, w, b, dx);
    gan_pg_unlock();
}

static void adjoint(const gan_conv_geom *g, const float *dy, const float *w, const float *b,
                    float *dx) {
    if (gan_wino_fits(g)) {
        gan_wino_adjoint(g, dy, w, b, dx);
        return;
    }
    const int s = g->stride, p = g->pad, H = g->H, W = g->W;
    const int64_t hw = (int64_t)H * W;
    if (g->HO == 1 && g->WO == 1 && p == 0 && H == g->KH && W == g->KW) {
        /* every tap lands inside: dx (N, C*KH*KW) = dy (N, OC) @ w (OC, C*KH*KW) + b */
        const int K = g->C * g->KH * g->KW;
        for (int n = 0; n < g->N; n++)
            for (int c = 0; c < g->C; c++) {
                float v = b ? b[c] : 0.0f, *o = dx + (int64_t)n * K + (int64_t)c * hw;
                for (int64_t i = 0; i < hw; i++) o[i] = v;
            }
        gan_pg_matmul(0, 0, g->N, K, g->OC, dy, g->OC, w, K, dx, K, 1);
        return;
    }
    const int KK = g->KH * g->KW, CKK = g->C * KK, P = g->HO * g->WO;
    if (s == 1 && p <= g->KH - 1 && p <= g->KW - 1 && g->C >= MR &&
        shifted_wins(g, H, g->WO + 2 * (g->KW - 1 - p))) {
        adjoint_shifted(g, dy, w, b, dx);
        return;
    }
    if ((int64_t)2 * CKK + g->OC < (int64_t)g->OC * KK) {
        /* few image channels (RGB, grey): per-phase GEMMs would have 1-3 rows and pack each
         * patch of dy for 1-3 multiply-adds. Instead cols (C*KH*KW, HO*WO) = w^T @ dy reads dy
         * as it is, and col2im folds the columns, for a chunk of samples at a time. */
        int64_t per = (int64_t)CKK * P;
        int chunk = (int)(COLS_CAP / per);
        if (chunk < 1) chunk = 1;
        if (chunk > g->N) chunk = g->N;
        float *cols = gan_pg_scratch(0, (size_t)(chunk * per));
        gan_pg_strided wt = {w, 1, CKK};
        for (int n0 = 0; n0 < g->N; n0 += chunk) {
            int nb = g->N - n0 < chunk ? g->N - n0 : chunk;
            patch_b pb = {dy + (int64_t)n0 * g->OC * P, g->OC, g->HO, g->WO, g->HO, g->WO, 1, 1,
                          1, 1, 0, 0, 0, 0, 0};
            gan_pgemm gm = {.M = CKK, .N = nb * P, .K = g->OC, .pack_a = gan_pg_pack_a_strided,
                            .pack_b = pack_patches, .a_ud = &wt, .b_ud = &pb, .c = cols,
                            .sm = P, .sn = per, .su = g->WO, .sv = 1, .P = P, .QW = g->WO};
            gan_pgemm_run(&gm);
            float *dxc = dx + (int64_t)n0 * g->C * hw;
            const int rows = nb * g->C * H;
#pragma omp parallel for schedule(static) if ((int64_t)nb * per > GAN_PARALLEL_MIN)
            for (int r = 0; r < rows; r++) {
                int n = r / (g->C * H), c = (r / H) % g->C;
                gan_cpu_col2im_row(g, cols + n * per, b, dxc + n * g->C * hw, c, r % H);
            }
        }
        return;
    }
    if (H % s == 0 && W % s == 0 && g->KH % s == 0 && g->KW % s == 0 && s * s <= GAN_PG_MAX_BATCH) {
        adjoint_phases(g, dy, w, b, dx);
        return;
    }
    for (int rh = 0; rh < s; rh++)
        for (int rw = 0; rw < s; rw++) {
            /* outputs ih = rh + s*a meet taps kh = krh + s*th at oh = a + dh - th */
            int ah = rh < H ? (H - rh + s - 1) / s : 0, aw = rw < W ? (W - rw + s - 1) / s : 0;
            if (!ah || !aw) continue;
            int krh = (rh + p) % s, krw = (rw + p) % s;
            int th = krh < g->KH ? (g->KH - krh + s - 1) / s : 0;
            int tw = krw < g->KW ? (g->KW - krw + s - 1) / s : 0;
            tap_a ta = {w, g->C, g->KH, g->KW, s, krh, krw, th, tw};
            patch_b pb = {dy, g->OC, g->HO, g->WO, ah, aw, 1, 1,
                          th, tw, (rh + p - krh) / s, -1, (rw + p - krw) / s, -1, 0};
            gan_pgemm gm = {.M = g->C, .N = g->N * ah * aw, .K = g->OC * th * tw,
                            .pack_a = pack_taps, .pack_b = pack_patches, .a_ud = &ta,
                            .b_ud = &pb, .c = dx + (int64_t)rh * W + rw, .sm = hw,
                            .sn = g->C * hw, .su = (int64_t)s * W, .sv = s, .P = ah * aw,
                            .QW = aw, .bias = b};
            gan_pgemm_run(&gm);
        }
}

/* ---------------------------------------------------------------- weight gradient
 * A (oc, (n, p)) = dy[n, oc, p]; B ((n, oh, ow), (c, kh, kw)) = x[n, c, oh*s-pad+kh, ow*s-pad+kw] */
typedef struct dy_a { const float *dy; int OC, P; } dy_a;

static void pack_dy(const gan_pgemm *g, int m0, int k0, int kc, float *dst) {
    const dy_a *da = g->a_ud;
    int mr = g->M - m0 < MR ? g->M - m0 : MR;
    int n = k0 / da->P, q = k0 % da->P;
    /* runs of k within one sample: there the 6 rows are contiguous */
    for (int k = 0; k < kc;) {
        int run = da->P - q < kc - k ? da->P - q : kc - k;
        const float *row[MR];
        for (int r = 0; r < MR; r++)
            row[r] = da->dy + ((int64_t)n * da->OC + m0 + (r < mr ? r : 0)) * da->P + q;
        if (mr == MR) gan_pg_interleave_rows(row, run, dst + (int64_t)k * MR);
        else
            for (int i = 0; i < run; i++)
                for (int r = 0; r < MR; r++) dst[(k + i) * MR + r] = r < mr ? row[r][i] : 0.0f;
        k += run;
        q = 0;
        n++;
    }
}

typedef struct wg_b { const float *x; int C, H, W, KH, KW, s, p, HO, WO; } wg_b;

static void pack_patches_t(const gan_pgemm *g, int k0, int kc, int j0, int nc, float *dst) {
    const wg_b *wb = g->b_ud;
    const int H = wb->H, W = wb->W, KK = wb->KH * wb->KW;
    const int64_t hw = (int64_t)H * W, chw = wb->C * hw;
    for (int jl = 0; jl < nc; jl += NR) {
        float *d = dst + (int64_t)(jl / NR) * kc * NR;
        int nr = nc - jl < NR ? nc - jl : NR;
        int kh[NR], kw[NR], idx[NR];
        int64_t coff[NR];
        int khmax = 0, kwmax = 0;
        for (int l = 0; l < NR; l++) {
            int j = j0 + jl + l, c = j / KK, t = j % KK;
            if (l >= nr) {
                kh[l] = kw[l] = FAR;
                coff[l] = 0;
                continue;
            }
            kh[l] = t / wb->KW;
            kw[l] = t % wb->KW;
            coff[l] = c * hw + (int64_t)kh[l] * W + kw[l];
            if (kh[l] > khmax) khmax = kh[l];
            if (kw[l] > kwmax) kwmax = kw[l];
        }
        int khmin = kh[0], kwmin = 0;
        for (int l = 0; l < nr; l++) {
            if (kh[l] < khmin) khmin = kh[l];
            if (kw[l] < kwmin) kwmin = kw[l];
        }
        int64_t span = coff[nr - 1] - coff[0];
        for (int l = 0; l < NR; l++) idx[l] = (int)(l < nr ? coff[l] - coff[0] : 0);
        int n = k0 / (wb->HO * wb->WO), q = k0 % (wb->HO * wb->WO);
        int oh = q / wb->WO, ow = q % wb->WO;
        for (int k = 0; k < kc; k++, d += NR) {
            int ihb = oh * wb->s - wb->p, iwb = ow * wb->s - wb->p;
            const float *xb = wb->x + n * chw;
            if (nr == NR && span < (1LL << 30) && ihb + khmin >= 0 && ihb + khmax < H &&
                iwb + kwmin >= 0 && iwb + kwmax < W) {
                /* the window lies inside the image for every lane */
                const float *src = xb + coff[0] + (int64_t)ihb * W + iwb;
#if defined(__AVX2__) && defined(__FMA__)
                __m256i i0 = _mm256_loadu_si256((const __m256i *)idx);
                __m256i i1 = _mm256_loadu_si256((const __m256i *)(idx + 8));
                _mm256_store_ps(d, _mm256_i32gather_ps(src, i0, 4));
                _mm256_store_ps(d + 8, _mm256_i32gather_ps(src, i1, 4));
#else
                for (int l = 0; l < NR; l++) d[l] = src[idx[l]];
#endif
            } else {
                for (int l = 0; l < NR; l++) {
                    int ih = ihb + kh[l], iw = iwb + kw[l];
                    d[l] = (unsigned)ih < (unsigned)H && (unsigned)iw < (unsigned)W
                               ? xb[coff[l] + (int64_t)(ih - kh[l]) * W + (iw - kw[l])]
                               : 0.0f;
                }
            }
            if (++ow == wb->WO) {
                ow = 0;
                if (++oh == wb->HO) {
                    oh = 0;
                    n++;
                }
            }
        }
    }
}

/* x (N,C,H,W), dy (N,OC,HO,WO) -> dw (OC,C,KH,KW) */
static void weight_grad(const gan_conv_geom *g, const float *x, const float *dy, float *dw);

void gan_cpu_conv2d_weight_grad(const gan_conv_geom *g, const float *x, const float *dy,
                                float *dw) {
    gan_pg_lock();
    weight_grad(g, x, dy, dw);
    gan_pg_unlock();
}

static void weight_grad(const gan_conv_geom *g, const float *x, const float *dy, float *dw) {
    if (gan_wino_fits(g)) {
        gan_wino_weight_grad(g, x, dy, dw);
        return;
    }
    if (weight_grad_shifted_wins(g)) {
        weight_grad_shifted(g, x, dy, dw);
        return;
    }
    const int K = g->C * g->KH * g->KW, P = g->HO * g->WO;
    dy_a da = {dy, g->OC, P};
    wg_b wb = {x, g->C, g->H, g->W, g->KH, g->KW, g->stride, g->pad, g->HO, g->WO};
    if (g->WO < GAN_PG_NR && g->pad > 0) {
        /* small maps: half the windows overhang the border; on a zero-padded copy every
         * window is inside and packs with two gathers */
        int pr = (g->WO - 1) * g->stride + g->KW - g->pad - g->W, pbm = (g->HO - 1) * g->stride + g->KH - g->pad - g->H;
        pr = pr > 0 ? pr : 0;
        pbm = pbm > 0 ? pbm : 0;
        wb.x = padded_copy(x, g->N, g->C, g->H, g->W, g->pad, pbm, g->pad, pr);
        wb.H += g->pad + pbm;
        wb.W += g->pad + pr;
        wb.p = 0;
    }
    gan_pgemm gm = {.M = g->OC, .N = K, .K = g->N * P, .pack_a = pack_dy, .pack_b = pack_patches_t,
                    .a_ud = &da, .b_ud = &wb, .c = dw, .sm = K, .sv = 1, .P = K, .QW = K};
    gan_pgemm_run(&gm);
}
