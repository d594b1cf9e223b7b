/* spectral_norm.c — spectral normalisation of a weight by power iteration (Miyato et al. 2018),
 * following torch.nn.utils.spectral_norm step for step: the power iteration runs outside the
 * graph on persistent u, v; sigma = u^T W v is an op, so the weight gets the gradient of
 * W / sigma with u, v held constant. */
#include "internal.h"
#include <math.h>
#include <stdio.h>

#define SN_EPS 1e-12   /* F.normalize's eps, as torch.nn.utils.spectral_norm passes it */

/* x / max(||x||, eps), norm accumulated in double */
static void normalize(float *x, int64_t n) {
    double s = 0;
    for (int64_t i = 0; i < n; i++) s += (double)x[i] * x[i];
    double nrm = sqrt(s);
    float inv = (float)(1.0 / (nrm > SN_EPS ? nrm : SN_EPS));
    for (int64_t i = 0; i < n; i++) x[i] *= inv;
}

#define COL_TILE 256   /* columns per work item of W^T u */

// W (R,K), u (R) -> out (K) = W^T u. Each thread owns a tile of columns and walks the rows in
// order (contiguous reads, same sums for any thread count).
static void matvec_t(const float *w, int64_t R, int64_t K, const float *u, float *out) {
    int64_t n_tiles = (K + COL_TILE - 1) / COL_TILE;
#pragma omp parallel for schedule(static) if (R * K > GAN_PARALLEL_MIN && n_tiles > 1)
    for (int64_t t = 0; t < n_tiles; t++) {
        int64_t k0 = t * COL_TILE, nk = K - k0 < COL_TILE ? K - k0 : COL_TILE;
        double acc[COL_TILE];
        for (int64_t j = 0; j < nk; j++) acc[j] = 0;
        for (int64_t r = 0; r < R; r++) {
            const float *row = w + r * K + k0;
            double ur = u[r];
#pragma omp simd
            for (int64_t j = 0; j < nk; j++) acc[j] += ur * row[j];
        }
        for (int64_t j = 0; j < nk; j++) out[k0 + j] = (float)acc[j];
    }
}

// W (R,K), v (K) -> out (R) = W v
static void matvec(const float *w, int64_t R, int64_t K, const float *v, float *out) {
#pragma omp parallel for schedule(static) if (R * K > GAN_PARALLEL_MIN)
    for (int64_t r = 0; r < R; r++) {
        const float *row = w + r * K;
        double s = 0;
        for (int64_t j = 0; j < K; j++) s += (double)row[j] * v[j];
        out[r] = (float)s;
    }
}

static void matrix_dims(const gan_tensor *weight, int *R, int *K) {
    GAN_ASSERT_MSG(weight->ndim >= 2 && weight->shape[0] > 0, "spectral norm: weight (out, ...)");
    *R = weight->shape[0];
    *K = (int)(weight->numel / weight->shape[0]);
}

float gan_spectral_norm_sigma(const gan_tensor *weight, const float *u, const float *v) {
    int R, K;
    matrix_dims(weight, &R, &K);
    double s = 0;
    for (int64_t r = 0; r < R; r++) {
        const float *row = weight->data + r * K;
        double d = 0;
        for (int64_t j = 0; j < K; j++) d += (double)row[j] * v[j];
        s += u[r] * d;
    }
    return (float)s;
}

// weight (R, ...) viewed as W (R,K), u (R), v (K) -> weight / (u^T W v), same shape as weight
gan_tensor *gan_spectral_norm_weight(gan_ctx *ctx, gan_tensor *weight, float *u, float *v,
                                     int n_power_iterations, int training) {
    int R, K;
    matrix_dims(weight, &R, &K);
    GAN_ASSERT(n_power_iterations >= 0);
    if (training)
        for (int it = 0; it < n_power_iterations; it++) {
            matvec_t(weight->data, R, K, u, v);
            normalize(v, K);
            matvec(weight->data, R, K, v, u);
            normalize(u, R);
        }
    /* arena copies: the caller's u, v change in place at the next call, while the graph (and
     * matmul's rule) must keep seeing this step's values (PyTorch clones them for that reason) */
    gan_tensor *ut = gan_from_data(ctx, GAN_SHAPE(1, R), u);
    gan_tensor *vt = gan_from_data(ctx, GAN_SHAPE(K, 1), v);
    gan_tensor *wm = gan_reshape(ctx, weight, GAN_SHAPE(R, K));
    gan_tensor *sigma = gan_matmul(ctx, ut, gan_matmul(ctx, wm, vt, 0, 0), 0, 0);   // (1,1)
    return gan_div(ctx, weight, gan_reshape(ctx, sigma, GAN_SHAPE(1)));
}

gan_spectral_norm gan_spectral_norm_init(gan_net *net, gan_tensor *weight) {
    int R, K;
    matrix_dims(weight, &R, &K);
    GAN_ASSERT(weight->name);
    char name[256];
    gan_spectral_norm sn = {0};
    sn.weight = weight;
    sn.n_power_iterations = 1;
    int k = snprintf(name, sizeof name, "%s_u", weight->name);
    GAN_ASSERT_MSG(k > 0 && (size_t)k < sizeof name, "parameter name too long");
    sn.u = gan_net_buffer(net, name, GAN_SHAPE(R), (float)(1.0 / sqrt((double)R)));
    snprintf(name, sizeof name, "%s_v", weight->name);
    sn.v = gan_net_buffer(net, name, GAN_SHAPE(K), (float)(1.0 / sqrt((double)K)));
    return sn;
}

void gan_spectral_norm_reset(const gan_spectral_norm *sn, uint64_t seed, uint64_t stream) {
    GAN_ASSERT_MSG(sn->u->data, "gan_net_finalize the net before gan_spectral_norm_reset");
    gan_philox_normal(sn->u->data, sn->u->numel, seed, stream);
    normalize(sn->u->data, sn->u->numel);
    gan_philox_normal(sn->v->data, sn->v->numel, seed, stream + 1);
    normalize(sn->v->data, sn->v->numel);
}

gan_tensor *gan_spectral_norm_forward(gan_ctx *ctx, const gan_spectral_norm *sn) {
    GAN_ASSERT_MSG(sn->u->data, "gan_net_finalize the net before forward");
    return gan_spectral_norm_weight(ctx, sn->weight, sn->u->data, sn->v->data,
                                    sn->n_power_iterations, gan_ctx_training(ctx));
}
