/* test_spectral_norm.c — spectral normalisation:
 *  - sigma from power iteration against the largest singular value from LAPACK (dgesvd), after
 *    1..50 iterations; W_sn's largest singular value is then 1;
 *  - k training calls of one iteration = one call of k iterations; eval changes nothing;
 *  - the weight gradient of W / sigma (u, v frozen) against finite differences, first and
 *    second order (GP through a spectrally normalised D differentiates it twice);
 *  - parity with torch.nn.utils.spectral_norm on Linear(5,7) and Conv2d(3,4,3) from the same
 *    u, v (tests/fixtures/gan.bin): u, v, W_sn, sigma after two training forwards and the
 *    gradient of sum(W_sn * r) after the first; the layer helper's buffers and names. */
#include "harness.h"
#include <lapacke.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FIX "tests/fixtures/gan.bin"

/* largest singular value of a (R, K) row-major float matrix, in double through LAPACK */
static double sigma_max(const float *w, int R, int K) {
    double *a = malloc(sizeof(double) * (size_t)R * K), *s = malloc(sizeof(double) * (size_t)(R < K ? R : K));
    double *superb = malloc(sizeof(double) * (size_t)(R < K ? R : K));
    for (int64_t i = 0; i < (int64_t)R * K; i++) a[i] = w[i];
    int info = LAPACKE_dgesvd(LAPACK_ROW_MAJOR, 'N', 'N', R, K, a, K, s, NULL, 1, NULL, 1, superb);
    GAN_ASSERT(info == 0);
    double r = s[0];
    free(a);
    free(s);
    free(superb);
    return r;
}

static void unit_randn(float *x, int n, uint64_t stream) {
    gan_philox_normal(x, n, 31, stream);
    double s = 0;
    for (int i = 0; i < n; i++) s += (double)x[i] * x[i];
    for (int i = 0; i < n; i++) x[i] = (float)(x[i] / sqrt(s));
}

static void test_power_iteration(void) {
    gan_ctx *ctx = gan_ctx_new(0);
    /* a conv weight (16, 3, 3, 3) read as a 16 x 27 matrix, and a Linear (40, 24) */
    int shapes[2][4] = {{16, 3, 3, 3}, {40, 24, 0, 0}};
    for (int c = 0; c < 2; c++) {
        gan_tensor *w = shapes[c][2] ? gan_randn(ctx, 4, shapes[c], 11, (uint64_t)c)
                                     : gan_randn(ctx, 2, shapes[c], 11, (uint64_t)c);
        int R = w->shape[0], K = (int)(w->numel / R);
        double smax = sigma_max(w->data, R, K);
        float *u = malloc(sizeof(float) * (size_t)R), *v = malloc(sizeof(float) * (size_t)K);
        float *u1 = malloc(sizeof(float) * (size_t)R), *v1 = malloc(sizeof(float) * (size_t)K);
        unit_randn(u, R, 100 + c);
        unit_randn(v, K, 200 + c);
        memcpy(u1, u, sizeof(float) * (size_t)R);
        memcpy(v1, v, sizeof(float) * (size_t)K);
        const int checkpoints[] = {1, 3, 10, 20, 50};
        int done = 0;
        char label[96];
        for (int k = 0; k < 5; k++) {
            int steps = checkpoints[k] - done;
            /* `steps` training calls of one iteration each (what training does) ... */
            for (int s = 0; s < steps; s++) gan_spectral_norm_weight(ctx, w, u, v, 1, 1);
            /* ... give the same bits as one call of `steps` iterations */
            gan_spectral_norm_weight(ctx, w, u1, v1, steps, 1);
            done = checkpoints[k];
            double sg = gan_spectral_norm_sigma(w, u, v), rel = fabs(sg - smax) / smax;
            /* sigma <= sigma_max always. How fast it converges depends on the gap
             * sigma_2/sigma_1 of these random matrices: 1% by 20 iterations, 1e-5 by 50 */
            double tol = done >= 50 ? 1e-5 : done >= 20 ? 1e-2 : 1.0;
            snprintf(label, sizeof label, "sn sigma %dx%d after %d iterations", R, K, done);
            th_check(rel <= tol && sg <= smax * (1 + 1e-6) &&
                         !memcmp(u, u1, sizeof(float) * (size_t)R) &&
                         !memcmp(v, v1, sizeof(float) * (size_t)K),
                     label, "sigma %.7g, LAPACK %.7g, rel %.3g (tol %.0e)", sg, smax, rel, tol);
        }
        gan_tensor *wsn = gan_spectral_norm_weight(ctx, w, u, v, 1, 1);
        double s1 = sigma_max(wsn->data, R, K);
        snprintf(label, sizeof label, "sn W/sigma %dx%d has sigma_max 1", R, K);
        th_check(fabs(s1 - 1) <= 1e-5, label, "LAPACK %.8f", s1);

        /* eval: u, v untouched, the same sigma */
        memcpy(u1, u, sizeof(float) * (size_t)R);
        gan_tensor *we = gan_spectral_norm_weight(ctx, w, u, v, 1, 0);
        th_check(!memcmp(u, u1, sizeof(float) * (size_t)R) &&
                     th_max_abs_diff(we->data, wsn->data, w->numel) == 0,
                 "sn eval does not iterate", "%s", "");
        free(u);
        free(v);
        free(u1);
        free(v1);
    }
    gan_ctx_free(ctx);
}

/* A DCGAN-sized conv weight (256, 64, 4, 4): the threaded matrix-vector paths. One iteration
 * against the same step in double, and the same bits on 1 and 4 threads. */
static void test_large(void) {
    gan_ctx *ctx = gan_ctx_new(0);
    gan_tensor *w = gan_randn(ctx, GAN_SHAPE(256, 64, 4, 4), 13, 0);
    int R = 256, K = 1024;
    float *u[2], *v[2];
    double *ud = malloc(sizeof(double) * R), *vd = malloc(sizeof(double) * K);
    for (int k = 0; k < 2; k++) {
        u[k] = malloc(sizeof(float) * R);
        v[k] = malloc(sizeof(float) * K);
        unit_randn(u[k], R, 400);
        unit_randn(v[k], K, 401);
    }
    /* reference: v = normalize(W^T u), u = normalize(W v), sigma = u^T W v, in double */
    double s = 0;
    for (int j = 0; j < K; j++) {
        double a = 0;
        for (int r = 0; r < R; r++) a += (double)w->data[(int64_t)r * K + j] * u[0][r];
        vd[j] = a;
        s += a * a;
    }
    for (int j = 0; j < K; j++) vd[j] /= sqrt(s);
    s = 0;
    for (int r = 0; r < R; r++) {
        double a = 0;
        for (int j = 0; j < K; j++) a += (double)w->data[(int64_t)r * K + j] * vd[j];
        ud[r] = a;
        s += a * a;
    }
    double sigma_ref = sqrt(s);   /* u^T W v with u = Wv / ||Wv|| */
    for (int r = 0; r < R; r++) ud[r] /= sqrt(s);
    int threads = gan_get_threads();
    gan_set_threads(1);
    gan_spectral_norm_weight(ctx, w, u[0], v[0], 1, 1);
    gan_set_threads(4);
    gan_tensor *wsn = gan_spectral_norm_weight(ctx, w, u[1], v[1], 1, 1);
    gan_set_threads(threads);
    double eu = 0, ev = 0;
    for (int r = 0; r < R; r++) eu = fmax(eu, fabs(u[0][r] - ud[r]));
    for (int j = 0; j < K; j++) ev = fmax(ev, fabs(v[0][j] - vd[j]));
    double sg = gan_spectral_norm_sigma(w, u[0], v[0]);
    th_check(eu < 1e-6 && ev < 1e-6 && fabs(sg - sigma_ref) < 1e-5 * sigma_ref &&
                 fabs(wsn->data[5] - w->data[5] / sg) < 1e-6,
             "sn 256x1024 one iteration vs double", "max |du| %.2g |dv| %.2g, sigma %.7g vs %.7g",
             eu, ev, sg, sigma_ref);
    th_check(!memcmp(u[0], u[1], sizeof(float) * R) && !memcmp(v[0], v[1], sizeof(float) * K),
             "sn same bits on 1 and 4 threads", "%s", "");
    for (int k = 0; k < 2; k++) {
        free(u[k]);
        free(v[k]);
    }
    free(ud);
    free(vd);
    gan_ctx_free(ctx);
}

/* u, v frozen (eval), so the function of W is W / (u^T W v) exactly */
static float fu[6], fv[12];
static gan_tensor *sn_fn(gan_ctx *ctx, gan_tensor **in, void *ud) {
    gan_tensor *wsn = gan_spectral_norm_weight(ctx, in[0], fu, fv, 1, 0);
    return gan_mul(ctx, wsn, wsn);   /* non-linear in W_sn so the second order is not trivial */
}

static void test_gradient(void) {
    gan_ctx *ctx = gan_ctx_new(0);
    gan_tensor *w = gan_randn(ctx, GAN_SHAPE(6, 3, 2, 2), 12, 0);
    gan_set_requires_grad(w, 1);
    unit_randn(fu, 6, 300);
    unit_randn(fv, 12, 301);
    /* a couple of iterations so sigma = u^T W v is well away from 0 */
    int old = gan_ctx_set_grad(ctx, 0);
    gan_spectral_norm_weight(ctx, w, fu, fv, 3, 1);
    gan_ctx_set_grad(ctx, old);
    th_gradcheck("sn W/sigma (u, v frozen)", sn_fn, 1, &w, NULL, 1e-3, 1e-2);
    th_gradcheck2("sn W/sigma (u, v frozen)", sn_fn, 1, &w, NULL, 1e-3, 2e-2);
    gan_ctx_free(ctx);
}

static void test_parity(th_fixture *f) {
    gan_ctx *ctx = gan_ctx_new(0);
    char nm[64];
    /* Linear(5,7) through the raw function */
    {
        gan_tensor *w = th_fixture_get(f, ctx, "snl.weight");
        gan_set_requires_grad(w, 1);
        gan_tensor *u = th_fixture_get(f, ctx, "snl.u0"), *v = th_fixture_get(f, ctx, "snl.v0");
        gan_tensor *r = th_fixture_get(f, ctx, "snl.r");
        for (int t = 1; t <= 2; t++) {
            gan_tensor *wsn = gan_spectral_norm_weight(ctx, w, u->data, v->data, 1, 1);
            float sg = gan_spectral_norm_sigma(w, u->data, v->data);
            snprintf(nm, sizeof nm, "snl.u%d", t);
            th_fixture_compare(f, nm, u->data, u->numel, 1e-5);
            snprintf(nm, sizeof nm, "snl.v%d", t);
            th_fixture_compare(f, nm, v->data, v->numel, 1e-5);
            snprintf(nm, sizeof nm, "snl.wsn%d", t);
            th_fixture_compare(f, nm, wsn->data, wsn->numel, 1e-5);
            snprintf(nm, sizeof nm, "snl.sigma%d", t);
            th_fixture_compare(f, nm, &sg, 1, 1e-5);
            if (t == 1) {
                gan_tensor *loss = gan_sum_all(ctx, gan_mul(ctx, wsn, r)), *gw;
                gan_grad(ctx, 1, &loss, NULL, 1, &w, &gw, 0);
                th_fixture_compare(f, "snl.gw", gw->data, gw->numel, 1e-5);
            }
        }
    }
    /* Conv2d(3,4,3) through the layer helper: buffers in the net, gradient into its grad slot */
    {
        gan_net *net = gan_net_new("D");
        gan_conv_layer conv = gan_conv2d_layer_init(net, "main.0", 3, 4, 3, 1, 0, 1);
        gan_spectral_norm sn = gan_spectral_norm_init(net, conv.weight);
        gan_net_finalize(net, 1);
        gan_tensor *bu = gan_net_find(net, "main.0.weight_u"), *bv = gan_net_find(net, "main.0.weight_v");
        double nu = 0;
        for (int i = 0; i < 4; i++) nu += (double)sn.u->data[i] * sn.u->data[i];
        th_check(bu == sn.u && bv == sn.v && bu->numel == 4 && bv->numel == 27 &&
                     fabs(nu - 1) < 1e-6 && sn.n_power_iterations == 1,
                 "sn layer buffers main.0.weight_u/_v", "u %lld, v %lld, |u|^2 %.7f",
                 (long long)bu->numel, (long long)bv->numel, nu);
        gan_spectral_norm_reset(&sn, 5, 0);
        nu = 0;
        for (int i = 0; i < 4; i++) nu += (double)sn.u->data[i] * sn.u->data[i];
        th_check(fabs(nu - 1) < 1e-6 && sn.u->data[0] != sn.u->data[1], "sn reset draws unit u",
                 "|u|^2 %.7f", nu);
        memcpy(conv.weight->data, th_fixture_get(f, ctx, "snc.weight")->data, sizeof(float) * 108);
        memcpy(sn.u->data, th_fixture_get(f, ctx, "snc.u0")->data, sizeof(float) * 4);
        memcpy(sn.v->data, th_fixture_get(f, ctx, "snc.v0")->data, sizeof(float) * 27);
        gan_tensor *r = th_fixture_get(f, ctx, "snc.r");
        gan_ctx_set_training(ctx, 1);
        for (int t = 1; t <= 2; t++) {
            gan_tensor *wsn = gan_spectral_norm_forward(ctx, &sn);
            float sg = gan_spectral_norm_sigma(conv.weight, sn.u->data, sn.v->data);
            snprintf(nm, sizeof nm, "snc.u%d", t);
            th_fixture_compare(f, nm, sn.u->data, 4, 1e-5);
            snprintf(nm, sizeof nm, "snc.v%d", t);
            th_fixture_compare(f, nm, sn.v->data, 27, 1e-5);
            snprintf(nm, sizeof nm, "snc.wsn%d", t);
            th_fixture_compare(f, nm, wsn->data, wsn->numel, 1e-5);
            snprintf(nm, sizeof nm, "snc.sigma%d", t);
            th_fixture_compare(f, nm, &sg, 1, 1e-5);
            if (t == 1) {
                gan_net_zero_grad(net);
                gan_backward(ctx, gan_sum_all(ctx, gan_mul(ctx, wsn, r)));
                th_fixture_compare(f, "snc.gw", conv.weight->grad, 108, 1e-5);
            }
        }
        gan_net_free(net);
    }
    gan_ctx_free(ctx);
}

int main(void) {
    test_power_iteration();
    test_large();
    test_gradient();
    th_fixture *f = th_fixture_load(FIX);
    if (f) test_parity(f);
    th_fixture_free(f);
    return th_done("test_spectral_norm");
}
