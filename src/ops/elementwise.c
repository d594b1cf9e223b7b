/* elementwise.c — broadcasting binary ops, scalar ops, unary math, where, expand/sum_to.
 * Every backward rule below is written with these same ops. */
#include "internal.h"
#include <math.h>
#if defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>
#endif

/* ---------------------------------------------------------------- broadcasting */

static int broadcast_shape(const gan_tensor *a, const gan_tensor *b, int *out) {
    int nd = a->ndim > b->ndim ? a->ndim : b->ndim;
    for (int i = 0; i < nd; i++) {
        int ia = i - (nd - a->ndim), ib = i - (nd - b->ndim);
        int da = ia >= 0 ? a->shape[ia] : 1, db = ib >= 0 ? b->shape[ib] : 1;
        if (da != db && da != 1 && db != 1) {
            char sa[64], sb[64];
            gan_shape_str(a, sa, sizeof sa);
            gan_shape_str(b, sb, sizeof sb);
            gan_assert_fail("broadcastable shapes", __FILE__, __LINE__, sa);
        }
        out[i] = da == 1 ? db : da;
    }
    return nd;
}

enum binop { OP_ADD, OP_SUB, OP_MUL, OP_DIV };

/* One row: o[j] = a[j*sa] (op) b[j*sb] with sa, sb in {0, 1}. The switch and the stride cases
 * sit outside the loops so each loop is a plain vectorisable one. */
#define ROW_LOOPS(OPR)                                                                     \
    do {                                                                                   \
        if (sa && sb) {                                                                    \
            _Pragma("omp simd") for (int64_t j = 0; j < n; j++) o[j] = a[j] OPR b[j];      \
        } else if (sa) {                                                                   \
            float y = b[0];                                                                \
            _Pragma("omp simd") for (int64_t j = 0; j < n; j++) o[j] = a[j] OPR y;         \
        } else if (sb) {                                                                   \
            float x = a[0];                                                                \
            _Pragma("omp simd") for (int64_t j = 0; j < n; j++) o[j] = x OPR b[j];         \
        } else {                                                                           \
            float v = a[0] OPR b[0];                                                       \
            for (int64_t j = 0; j < n; j++) o[j] = v;                                      \
        }                                                                                  \
    } while (0)

static void binary_row(enum binop op, const float *a, int64_t sa, const float *b, int64_t sb,
                       float *o, int64_t n) {
    switch (op) {
    case OP_ADD: ROW_LOOPS(+); break;
    case OP_SUB: ROW_LOOPS(-); break;
    case OP_MUL: ROW_LOOPS(*); break;
    default: ROW_LOOPS(/); break;
    }
}

/* out's dims with each operand's element strides (0 along broadcast dims), size-1 dims
 * dropped and neighbours merged where both operands stay contiguous across them: (N,C,H,W)
 * against (1,C,1,1) becomes [N, C, H*W] with strides [0, 1, 0] for the small one. */
typedef struct {
    int n;
    int64_t size[GAN_MAX_DIMS], sa[GAN_MAX_DIMS], sb[GAN_MAX_DIMS];
} bdims;

static void operand_strides(const gan_tensor *t, const gan_tensor *out, int64_t *st) {
    int off = out->ndim - t->ndim;
    int64_t acc = 1;
    for (int i = out->ndim - 1; i >= 0; i--) {
        int s = i < off ? 1 : t->shape[i - off];
        st[i] = (s == 1 && out->shape[i] != 1) ? 0 : acc;
        acc *= s;
    }
}

static bdims coalesce(const gan_tensor *a, const gan_tensor *b, const gan_tensor *out) {
    int64_t sa[GAN_MAX_DIMS], sb[GAN_MAX_DIMS];
    operand_strides(a, out, sa);
    operand_strides(b, out, sb);
    bdims d = {0};
    for (int i = 0; i < out->ndim; i++) {
        int64_t sz = out->shape[i];
        if (sz == 1) continue;
        int k = d.n - 1;
        if (k >= 0 && d.sa[k] == sa[i] * sz && d.sb[k] == sb[i] * sz) {
            d.size[k] *= sz;   /* contiguous (or broadcast) across both dims, for both */
            d.sa[k] = sa[i];
            d.sb[k] = sb[i];
        } else {
            d.size[d.n] = sz;
            d.sa[d.n] = sa[i];
            d.sb[d.n] = sb[i];
            d.n++;
        }
    }
    if (d.n == 0) {   /* one element */
        d.n = 1;
        d.size[0] = 1;
        d.sa[0] = d.sb[0] = 1;
    }
    return d;
}

#define BIN_CHUNK 4096   /* elements per work item */

/* out = a (op) b with broadcasting. Work items are fixed pieces of the coalesced rows (a
 * chunk of one long row, or a run of short rows walked with an odometer); every element is
 * computed alone, so any split gives the same bits. */
static void binary_kernel(enum binop op, const gan_tensor *a, const gan_tensor *b,
                          gan_tensor *out) {
    bdims d = coalesce(a, b, out);
    int last = d.n - 1;
    int64_t inner = d.size[last], rows = out->numel / (inner ? inner : 1);
    int64_t isa = d.sa[last] ? 1 : 0, isb = d.sb[last] ? 1 : 0;
    int64_t per_row = inner >= BIN_CHUNK ? (inner + BIN_CHUNK - 1) / BIN_CHUNK : 1;
    int64_t rows_per = inner >= BIN_CHUNK ? 1 : BIN_CHUNK / (inner ? inner : 1);
    int64_t items = inner >= BIN_CHUNK ? rows * per_row : (rows + rows_per - 1) / rows_per;
    const float *pa = a->data, *pb = b->data;
    float *po = out->data;
#pragma omp parallel for schedule(static) if (out->numel > GAN_PARALLEL_MIN && items > 1)
    for (int64_t it = 0; it < items; it++) {
        int64_t r0 = inner >= BIN_CHUNK ? it / per_row : it * rows_per;
        int64_t r1 = inner >= BIN_CHUNK ? r0 + 1 : (r0 + rows_per < rows ? r0 + rows_per : rows);
        int64_t j0 = inner >= BIN_CHUNK ? (it % per_row) * BIN_CHUNK : 0;
        int64_t nj = inner >= BIN_CHUNK ? (inner - j0 < BIN_CHUNK ? inner - j0 : BIN_CHUNK) : inner;
        /* odometer over the outer dims, started from r0 */
        int64_t idx[GAN_MAX_DIMS], oa = 0, ob = 0, rem = r0;
        for (int k = last - 1; k >= 0; k--) {
            idx[k] = rem % d.size[k];
            rem /= d.size[k];
            oa += idx[k] * d.sa[k];
            ob += idx[k] * d.sb[k];
        }
        for (int64_t r = r0; r < r1; r++) {
            binary_row(op, pa + oa + j0 * isa, isa, pb + ob + j0 * isb, isb,
                       po + r * inner + j0, nj);
            for (int k = last - 1; k >= 0; k--) {
                oa += d.sa[k];
                ob += d.sb[k];
                if (++idx[k] < d.size[k]) break;
                oa -= d.sa[k] * d.size[k];
                ob -= d.sb[k] * d.size[k];
                idx[k] = 0;
            }
        }
    }
}

static void add_bw(gan_ctx *ctx, gan_node *n, gan_tensor *g, gan_tensor **din) {
    if (gan_needs_grad(n->in[0])) din[0] = gan_sum_to(ctx, g, n->in[0]->ndim, n->in[0]->shape);
    if (gan_needs_grad(n->in[1])) din[1] = gan_sum_to(ctx, g, n->in[1]->ndim, n->in[1]->shape);
}
static void sub_bw(gan_ctx *ctx, gan_node *n, gan_tensor *g, gan_tensor **din) {
    if (gan_needs_grad(n->in[0])) din[0] = gan_sum_to(ctx, g, n->in[0]->ndim, n->in[0]->shape);
    if (gan_needs_grad(n->in[1]))
        din[1] = gan_sum_to(ctx, gan_neg(ctx, g), n->in[1]->ndim, n->in[1]->shape);
}
static void mul_bw(gan_ctx *ctx, gan_node *n, gan_tensor *g, gan_tensor **din) {
    gan_tensor *a = n->in[0], *b = n->in[1];
    if (gan_needs_grad(a)) din[0] = gan_sum_to(ctx, gan_mul(ctx, g, b), a->ndim, a->shape);
    if (gan_needs_grad(b)) din[1] = gan_sum_to(ctx, gan_mul(ctx, g, a), b->ndim, b->shape);
}
static void div_bw(gan_ctx *ctx, gan_node *n, gan_tensor *g, gan_tensor **din) {
    gan_tensor *a = n->in[0], *b = n->in[1];
    if (gan_needs_grad(a)) din[0] = gan_sum_to(ctx, gan_div(ctx, g, b), a->ndim, a->shape);
    if (gan_needs_grad(b)) {
        /* d(a/b)/db = -a/b^2 */
        gan_tensor *t = gan_div(ctx, gan_mul(ctx, g, a), gan_square(ctx, b));
        din[1] = gan_sum_to(ctx, gan_neg(ctx, t), b->ndim, b->shape);
    }
}

static gan_tensor *binary(gan_ctx *ctx, enum binop op, gan_tensor *a, gan_tensor *b) {
    static const char *names[] = {"add", "sub", "mul", "div"};
    static const gan_backward_fn rules[] = {add_bw, sub_bw, mul_bw, div_bw};
    int shape[GAN_MAX_DIMS];
    int nd = broadcast_shape(a, b, shape);
    gan_tensor *out = gan_empty(ctx, nd, shape);
    binary_kernel(op, a, b, out);
    gan_record(ctx, out, names[op], rules[op], 2, (gan_tensor *[]){a, b});
    return out;
}

gan_tensor *gan_add(gan_ctx *ctx, gan_tensor *a, gan_tensor *b) { return binary(ctx, OP_ADD, a, b); }
gan_tensor *gan_sub(gan_ctx *ctx, gan_tensor *a, gan_tensor *b) { return binary(ctx, OP_SUB, a, b); }
gan_tensor *gan_mul(gan_ctx *ctx, gan_tensor *a, gan_tensor *b) { return binary(ctx, OP_MUL, a, b); }
gan_tensor *gan_div(gan_ctx *ctx, gan_tensor *a, gan_tensor *b) { return binary(ctx, OP_DIV, a, b); }

/* ---------------------------------------------------------------- unary ops
 * One kernel switch; each op has its own rule below. */

enum unop { U_ADDS, U_MULS, U_RSUBS, U_EXP, U_LOG, U_SQRT, U_RSQRT, U_POW, U_ABS, U_SQUARE,
            U_TANH, U_SIGMOID, U_SOFTPLUS, U_SIGN, U_GT };

static inline float unary_apply(enum unop op, float x, float s) {
    switch (op) {
    case U_ADDS: return x + s;
    case U_MULS: return x * s;
    case U_RSUBS: return s - x;
    case U_EXP: return expf(x);
    case U_LOG: return logf(x);
    case U_SQRT: return sqrtf(x);
    case U_RSQRT: return 1.0f / sqrtf(x);
    case U_POW: return powf(x, s);
    case U_ABS: return fabsf(x);
    case U_SQUARE: return x * x;
    case U_TANH: return tanhf(x);
    case U_SIGMOID: return x >= 0 ? 1.0f / (1.0f + expf(-x)) : expf(x) / (1.0f + expf(x));
    case U_SOFTPLUS: return fmaxf(x, 0.0f) + log1pf(expf(-fabsf(x)));
    case U_SIGN: return (float)((x > 0) - (x < 0));
    default: return x > s ? 1.0f : 0.0f;
    }
}

#if defined(__AVX2__) && defined(__FMA__)
/* tanh of 8 floats, within ~2 ulp of tanhf (glibc's scalar tanhf was 5% of an MLP GAN step).
 * |x| < 0.625: x + x^3 q(x^2); else 1 - 2 / (e^(2|x|) + 1), with e^y = 2^n e^r, |r| <= ln2/2,
 * |x| clamped at 9 (tanh rounds to 1 there). Coefficients: relative least-squares fits (IRLS
 * on Chebyshev nodes) of tanh(a)/a and e^r, errors 1.4e-10 and 1.9e-9 before rounding to float.
 * Every lane is computed alike, so a value's result does not depend on where it sits. */
static inline __m256 tanh8(__m256 x) {
    const __m256 sign = _mm256_set1_ps(-0.0f);
    __m256 a = _mm256_min_ps(_mm256_andnot_ps(sign, x), _mm256_set1_ps(9.0f));
    /* small: a + a^3 q(a^2) */
    __m256 a2 = _mm256_mul_ps(a, a), q = _mm256_set1_ps(0.0021286187693476677f);
    q = _mm256_fmadd_ps(q, a2, _mm256_set1_ps(-0.008159254677593708f));
    q = _mm256_fmadd_ps(q, a2, _mm256_set1_ps(0.02169189043343067f));
    q = _mm256_fmadd_ps(q, a2, _mm256_set1_ps(-0.05394471436738968f));
    q = _mm256_fmadd_ps(q, a2, _mm256_set1_ps(0.13333183526992798f));
    q = _mm256_fmadd_ps(q, a2, _mm256_set1_ps(-0.333333283662796f));
    __m256 small = _mm256_fmadd_ps(_mm256_mul_ps(a, a2), q, a);
    /* large: e = exp(2a) = 2^n e^r */
    __m256 y = _mm256_add_ps(a, a);
    __m256 n = _mm256_round_ps(_mm256_mul_ps(y, _mm256_set1_ps(1.4426950408889634f)),
                               _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), y);      /* ln2, high part */
    r = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.12194440e-4f), r);          /* and the rest */
    __m256 e = _mm256_set1_ps(0.0013836834114044905f);
    e = _mm256_fmadd_ps(e, r, _mm256_set1_ps(0.008374815806746483f));
    e = _mm256_fmadd_ps(e, r, _mm256_set1_ps(0.04166822507977486f));
    e = _mm256_fmadd_ps(e, r, _mm256_set1_ps(0.16666419804096222f));
    e = _mm256_fmadd_ps(e, r, _mm256_set1_ps(0.49999991059303284f));
    e = _mm256_fmadd_ps(e, r, _mm256_set1_ps(1.0f));
    e = _mm256_fmadd_ps(e, r, _mm256_set1_ps(1.0f));
    __m256i sc = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
    e = _mm256_mul_ps(e, _mm256_castsi256_ps(sc));
    __m256 one = _mm256_set1_ps(1.0f);
    __m256 large = _mm256_sub_ps(one, _mm256_div_ps(_mm256_set1_ps(2.0f), _mm256_add_ps(e, one)));
    __m256 t = _mm256_blendv_ps(large, small, _mm256_cmp_ps(a, _mm256_set1_ps(0.625f), _CMP_LT_OQ));
    t = _mm256_or_ps(t, _mm256_and_ps(sign, x));
    return _mm256_blendv_ps(t, x, _mm256_cmp_ps(x, x, _CMP_UNORD_Q));   /* NaN stays NaN */
}

/* po[i] = tanh(pa[i]) in blocks whose bounds do not depend on the threads; the last partial
 * vector goes through a temporary, so every value takes the same path */
static void tanh_loop(const float *pa, float *po, int64_t n) {
    const int64_t BLK = 4096;
#pragma omp parallel for schedule(static) if (n > GAN_PARALLEL_MIN)
    for (int64_t b = 0; b < (n + BLK - 1) / BLK; b++) {
        int64_t i = b * BLK, end = i + BLK < n ? i + BLK : n;
        for (; i + 8 <= end; i += 8) _mm256_storeu_ps(po + i, tanh8(_mm256_loadu_ps(pa + i)));
        if (i < end) {
            float t[8] = {0};
            for (int64_t k = i; k < end; k++) t[k - i] = pa[k];
            _mm256_storeu_ps(t, tanh8(_mm256_loadu_ps(t)));
            for (int64_t k = i; k < end; k++) po[k] = t[k - i];
        }
    }
}
#endif

/* The cheap ops get a loop each (the switch hoisted, so they vectorise); the libm ones share
 * the switch, which costs little next to expf. */
#define UNARY_LOOP(EXPR)                                                                    \
    do {                                                                                    \
        _Pragma("omp parallel for simd schedule(static) if (n > GAN_PARALLEL_MIN)")         \
        for (int64_t i = 0; i < n; i++) {                                                   \
            float x = pa[i];                                                                \
            po[i] = (EXPR);                                                                 \
        }                                                                                   \
    } while (0)

static gan_tensor *unary(gan_ctx *ctx, enum unop op, gan_tensor *a, float s) {
    gan_tensor *out = gan_empty_like(ctx, a);
    const float *pa = a->data;
    float *po = out->data;
    int64_t n = a->numel;
    switch (op) {
    case U_ADDS: UNARY_LOOP(x + s); break;
    case U_MULS: UNARY_LOOP(x * s); break;
    case U_RSUBS: UNARY_LOOP(s - x); break;
    case U_SQRT: UNARY_LOOP(sqrtf(x)); break;
    case U_RSQRT: UNARY_LOOP(1.0f / sqrtf(x)); break;
    case U_ABS: UNARY_LOOP(fabsf(x)); break;
    case U_SQUARE: UNARY_LOOP(x * x); break;
    case U_GT: UNARY_LOOP(x > s ? 1.0f : 0.0f); break;
#if defined(__AVX2__) && defined(__FMA__)
    case U_TANH: tanh_loop(pa, po, n); break;
#endif
    default:
#pragma omp parallel for schedule(static) if (n > GAN_PARALLEL_MIN)
        for (int64_t i = 0; i < n; i++) po[i] = unary_apply(op, pa[i], s);
    }
    return out;
}

#define RULE(name) static void name(gan_ctx *ctx, gan_node *n, gan_tensor *g, gan_tensor **din)
#define X (n->in[0])
#define Y (n->out)

RULE(adds_bw) { (void)ctx; (void)n; din[0] = g; }
RULE(muls_bw) { din[0] = gan_mul_scalar(ctx, g, n->farg[0]); }
RULE(rsubs_bw) { (void)n; din[0] = gan_neg(ctx, g); }
RULE(exp_bw) { din[0] = gan_mul(ctx, g, Y); }
RULE(log_bw) { din[0] = gan_div(ctx, g, X); }
RULE(sqrt_bw) { din[0] = gan_div(ctx, gan_mul_scalar(ctx, g, 0.5f), Y); }
/* d(x^-1/2) = -1/2 x^-3/2 = -1/2 y^3 */
RULE(rsqrt_bw) { din[0] = gan_mul(ctx, g, gan_mul_scalar(ctx, gan_pow_scalar(ctx, Y, 3.0f), -0.5f)); }
RULE(pow_bw) {
    float p = n->farg[0];
    din[0] = gan_mul(ctx, g, gan_mul_scalar(ctx, gan_pow_scalar(ctx, X, p - 1.0f), p));
}
RULE(abs_bw) { din[0] = gan_mul(ctx, g, gan_sign(ctx, X)); }
RULE(square_bw) { din[0] = gan_mul(ctx, g, gan_mul_scalar(ctx, X, 2.0f)); }
/* 1 - tanh^2, written on the output so the rule stays differentiable; with no graph being
 * built, one pass with the same three roundings (y*y, 1 - ., g * .) instead of three ops */
RULE(tanh_bw) {
    if (gan_ctx_grad_enabled(ctx)) {
        din[0] = gan_mul(ctx, g, gan_rsub_scalar(ctx, 1.0f, gan_square(ctx, Y)));
        return;
    }
    gan_tensor *dx = gan_empty_like(ctx, Y);
    const float *py = Y->data, *pg = g->data;
    float *pd = dx->data;
    int64_t len = Y->numel;
#pragma omp parallel for simd schedule(static) if (len > GAN_PARALLEL_MIN)
    for (int64_t i = 0; i < len; i++) {
        float sq = py[i] * py[i];
        float t = 1.0f - sq;
        pd[i] = pg[i] * t;
    }
    din[0] = dx;
}
RULE(sigmoid_bw) { din[0] = gan_mul(ctx, g, gan_mul(ctx, Y, gan_rsub_scalar(ctx, 1.0f, Y))); }
RULE(softplus_bw) { din[0] = gan_mul(ctx, g, gan_sigmoid(ctx, X)); }

static gan_tensor *unary_rec(gan_ctx *ctx, enum unop op, gan_tensor *a, float s, const char *name,
                             gan_backward_fn bw) {
    gan_tensor *out = unary(ctx, op, a, s);
    gan_node *nd = gan_record(ctx, out, name, bw, 1, &a);
    if (nd) nd->farg[0] = s;
    return out;
}

gan_tensor *gan_add_scalar(gan_ctx *c, gan_tensor *a, float s) { return unary_rec(c, U_ADDS, a, s, "add_scalar", adds_bw); }
gan_tensor *gan_mul_scalar(gan_ctx *c, gan_tensor *a, float s) { return unary_rec(c, U_MULS, a, s, "mul_scalar", muls_bw); }
gan_tensor *gan_neg(gan_ctx *c, gan_tensor *a) { return unary_rec(c, U_MULS, a, -1.0f, "neg", muls_bw); }
gan_tensor *gan_rsub_scalar(gan_ctx *c, float s, gan_tensor *a) { return unary_rec(c, U_RSUBS, a, s, "rsub_scalar", rsubs_bw); }
gan_tensor *gan_exp(gan_ctx *c, gan_tensor *a) { return unary_rec(c, U_EXP, a, 0, "exp", exp_bw); }
gan_tensor *gan_log(gan_ctx *c, gan_tensor *a) { return unary_rec(c, U_LOG, a, 0, "log", log_bw); }
gan_tensor *gan_sqrt(gan_ctx *c, gan_tensor *a) { return unary_rec(c, U_SQRT, a, 0, "sqrt", sqrt_bw); }
gan_tensor *gan_rsqrt(gan_ctx *c, gan_tensor *a) { return unary_rec(c, U_RSQRT, a, 0, "rsqrt", rsqrt_bw); }
gan_tensor *gan_pow_scalar(gan_ctx *c, gan_tensor *a, float p) { return unary_rec(c, U_POW, a, p, "pow_scalar", pow_bw); }
gan_tensor *gan_abs(gan_ctx *c, gan_tensor *a) { return unary_rec(c, U_ABS, a, 0, "abs", abs_bw); }
gan_tensor *gan_square(gan_ctx *c, gan_tensor *a) { return unary_rec(c, U_SQUARE, a, 0, "square", square_bw); }
gan_tensor *gan_tanh(gan_ctx *c, gan_tensor *a) { return unary_rec(c, U_TANH, a, 0, "tanh", tanh_bw); }
gan_tensor *gan_sigmoid(gan_ctx *c, gan_tensor *a) { return unary_rec(c, U_SIGMOID, a, 0, "sigmoid", sigmoid_bw); }
gan_tensor *gan_softplus(gan_ctx *c, gan_tensor *a) { return unary_rec(c, U_SOFTPLUS, a, 0, "softplus", softplus_bw); }
/* piecewise-constant: zero gradient everywhere it exists, so nothing is recorded */
gan_tensor *gan_sign(gan_ctx *c, gan_tensor *a) { return unary(c, U_SIGN, a, 0); }
gan_tensor *gan_gt_scalar(gan_ctx *c, gan_tensor *a, float s) { return unary(c, U_GT, a, s); }

/* ---------------------------------------------------------------- activations
 * relu and leaky_relu are x times a constant mask (1 where x > 0, else slope), computed in one
 * pass: the rule is g * mask with the mask rebuilt as a constant, so the second derivative is
 * exactly zero, as in PyTorch. (max(x, 0) would need a tie rule at 0; tinygrad writes relu
 * with `where` for the same reason.) */

static gan_tensor *leaky_mask(gan_ctx *ctx, gan_tensor *a, float slope) {
    gan_tensor *m = gan_empty_like(ctx, a);
    const float *pa = a->data;
    float *pm = m->data;
    int64_t n = a->numel;
#pragma omp parallel for schedule(static) if (n > GAN_PARALLEL_MIN)
    for (int64_t i = 0; i < n; i++) pm[i] = pa[i] > 0 ? 1.0f : slope;
    return m;
}

static void float_bits(float one, float slope, uint32_t *one_bits, uint32_t *slope_bits) {
    memcpy(one_bits, &one, sizeof *one_bits);
    memcpy(slope_bits, &slope, sizeof *slope_bits);
}

/* first order (grad mode off) needs no mask tensor: dx = dy where x > 0, else dy * slope */
RULE(leaky_relu_bw) {
    float slope = n->farg[0];
    if (gan_ctx_grad_enabled(ctx)) {
        din[0] = gan_mul(ctx, g, leaky_mask(ctx, X, slope));
        return;
    }
    gan_tensor *dx = gan_empty_like(ctx, X);
    const float *px = X->data, *pg = g->data;
    float *pd = dx->data;
    int64_t len = X->numel;
    uint32_t ob, sb;
    float_bits(1.0f, slope, &ob, &sb);
#pragma omp parallel for simd schedule(static) if (len > GAN_PARALLEL_MIN)
    for (int64_t i = 0; i < len; i++) pd[i] = pg[i] * gan_leaky_factor(px[i], ob, sb);
    din[0] = dx;
}

// x (...) -> (...): x where x > 0, else x * slope (the same bits as x * mask)
gan_tensor *gan_leaky_relu(gan_ctx *ctx, gan_tensor *a, float slope) {
    gan_tensor *out = gan_empty_like(ctx, a);
    const float *pa = a->data;
    float *po = out->data;
    int64_t n = a->numel;
    uint32_t ob, sb;
    float_bits(1.0f, slope, &ob, &sb);
#pragma omp parallel for simd schedule(static) if (n > GAN_PARALLEL_MIN)
    for (int64_t i = 0; i < n; i++) po[i] = pa[i] * gan_leaky_factor(pa[i], ob, sb);
    gan_node *nd = gan_record(ctx, out, "leaky_relu", leaky_relu_bw, 1, &a);
    if (nd) nd->farg[0] = slope;
    return out;
}
gan_tensor *gan_relu(gan_ctx *ctx, gan_tensor *a) { return gan_leaky_relu(ctx, a, 0.0f); }

/* ---------------------------------------------------------------- where */

static void where_bw(gan_ctx *ctx, gan_node *n, gan_tensor *g, gan_tensor **din) {
    gan_tensor *mask = n->saved;
    gan_tensor *zero = gan_zeros(ctx, GAN_SHAPE(1));
    if (gan_needs_grad(n->in[0]))
        din[0] = gan_sum_to(ctx, gan_where(ctx, mask, g, zero), n->in[0]->ndim, n->in[0]->shape);
    if (gan_needs_grad(n->in[1]))
        din[1] = gan_sum_to(ctx, gan_where(ctx, mask, zero, g), n->in[1]->ndim, n->in[1]->shape);
}

gan_tensor *gan_where(gan_ctx *ctx, gan_tensor *mask, gan_tensor *a, gan_tensor *b) {
    if (a->numel != 1 && !gan_same_shape(a, mask)) a = gan_expand(ctx, a, mask->ndim, mask->shape);
    if (b->numel != 1 && !gan_same_shape(b, mask)) b = gan_expand(ctx, b, mask->ndim, mask->shape);
    gan_tensor *out = gan_empty_like(ctx, mask);
    int64_t n = out->numel, sa = a->numel == 1 ? 0 : 1, sb = b->numel == 1 ? 0 : 1;
#pragma omp parallel for schedule(static) if (n > GAN_PARALLEL_MIN)
    for (int64_t i = 0; i < n; i++)
        out->data[i] = mask->data[i] != 0.0f ? a->data[i * sa] : b->data[i * sb];
    gan_node *nd = gan_record(ctx, out, "where", where_bw, 2, (gan_tensor *[]){a, b});
    if (nd) nd->saved = mask;
    return out;
}

/* ---------------------------------------------------------------- expand / sum_to */

static void expand_bw(gan_ctx *ctx, gan_node *n, gan_tensor *g, gan_tensor **din) {
    din[0] = gan_sum_to(ctx, g, X->ndim, X->shape);
}

gan_tensor *gan_expand(gan_ctx *ctx, gan_tensor *a, int ndim, const int *shape) {
    gan_tensor *out = gan_zeros(ctx, ndim, shape);
    binary_kernel(OP_ADD, out, a, out);  /* 0 + a, broadcast */
    gan_record(ctx, out, "expand", expand_bw, 1, &a);
    return out;
}

static void sum_to_bw(gan_ctx *ctx, gan_node *n, gan_tensor *g, gan_tensor **din) {
    din[0] = gan_expand(ctx, g, X->ndim, X->shape);
}

gan_tensor *gan_sum_to(gan_ctx *ctx, gan_tensor *a, int ndim, const int *shape) {
    if (a->ndim == ndim && !memcmp(a->shape, shape, sizeof(int) * (size_t)ndim)) return a;
    GAN_ASSERT(ndim <= a->ndim);
    /* reduce the broadcast axes (as a's dims), keepdim, then view as `shape` */
    unsigned axes = 0;
    int off = a->ndim - ndim;
    for (int i = 0; i < a->ndim; i++) {
        int s = i < off ? 1 : shape[i - off];
        if (i < off || (s == 1 && a->shape[i] != 1)) axes |= 1u << i;
        else GAN_ASSERT(s == a->shape[i]);
    }
    int old = gan_ctx_set_grad(ctx, 0);
    gan_tensor *r = gan_sum(ctx, a, axes, 1);
    gan_ctx_set_grad(ctx, old);
    gan_tensor *out = gan_tensor_header(ctx, ndim, shape, r->data);
    gan_record(ctx, out, "sum_to", sum_to_bw, 1, &a);
    return out;
}
