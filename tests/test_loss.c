/* test_loss.c — the mean-reduced losses: values against double-precision loops (including
 * BCE and cross-entropy at extreme logits), first- and second-order gradients against
 * finite differences. */
#include "harness.h"
#include <math.h>

static gan_tensor *randn(gan_ctx *ctx, int nd, const int *shape, uint64_t stream, float scale,
                         int grad) {
    gan_tensor *t = gan_empty(ctx, nd, shape);
    th_fill_randn(t, stream, scale);
    if (grad) gan_set_requires_grad(t, 1);
    return t;
}

/* log(1 + e^x) in double without overflow */
static double softplus_d(double x) { return fmax(x, 0.0) + log1p(exp(-fabs(x))); }

static double ref_bce(const float *x, const float *t, float tc, int64_t n) {
    double s = 0;
    for (int64_t i = 0; i < n; i++) s += softplus_d(x[i]) - (t ? t[i] : tc) * (double)x[i];
    return s / (double)n;
}

static double ref_ce(const float *x, const int *lab, int N, int K) {
    double s = 0;
    for (int n = 0; n < N; n++) {
        const float *r = x + (int64_t)n * K;
        double m = r[0], z = 0;
        for (int k = 1; k < K; k++) m = fmax(m, r[k]);
        for (int k = 0; k < K; k++) z += exp(r[k] - m);
        s += -(r[lab[n]] - m - log(z));
    }
    return s / N;
}

/* relative agreement of a (1)-shaped loss with its reference */
static void value(const char *name, const gan_tensor *l, double want) {
    double got = l->data[0];
    double err = fabs(got - want) / fmax(fabs(want), 1e-6);
    th_check(l->ndim == 1 && l->shape[0] == 1 && isfinite(got) && err < 1e-5, name,
             "got %.9g want %.9g rel %.2g", got, want, err);
}

/* ---------------------------------------------------------------- functions under test */

typedef enum { F_BCE, F_BCE1, F_BCE0, F_BCE09, F_MSE, F_L1, F_HINGE_P, F_HINGE_N, F_CE } fid;

static const int ce_labels[4] = {2, 0, 4, 1};

static gan_tensor *loss_of(gan_ctx *c, gan_tensor **in, void *ud) {
    gan_tensor *a = in[0], *b = in[1];
    switch ((fid)(intptr_t)ud) {
    case F_BCE: return gan_bce_with_logits(c, a, b);
    case F_BCE1: return gan_bce_with_logits_const(c, a, 1.0f);
    case F_BCE0: return gan_bce_with_logits_const(c, a, 0.0f);
    case F_BCE09: return gan_bce_with_logits_const(c, a, 0.9f);
    case F_MSE: return gan_mse_loss(c, a, b);
    case F_L1: return gan_l1_loss(c, a, b);
    case F_HINGE_P: return gan_hinge_loss(c, a, 1.0f);
    case F_HINGE_N: return gan_hinge_loss(c, a, -1.0f);
    case F_CE: return gan_cross_entropy(c, a, ce_labels);
    }
    return NULL;
}

/* Scaled up so gradients are O(1), well above the harness's relative-error floor. */
static gan_tensor *f(gan_ctx *c, gan_tensor **in, void *ud) {
    return gan_mul_scalar(c, loss_of(c, in, ud), 10.0f);
}

static void grads(const char *name, fid id, gan_tensor *a, gan_tensor *b) {
    gan_tensor *in[2] = {a, b};
    int n = b ? 2 : 1;
    th_gradcheck(name, f, n, in, (void *)(intptr_t)id, 1e-3, 2e-2);
    th_gradcheck2(name, f, n, in, (void *)(intptr_t)id, 1e-3, 3e-2);
}

/* Moves every |1 - sign*x| < margin off the hinge's kink. */
static void avoid_hinge_kink(gan_tensor *t, float sign, float margin) {
    for (int64_t i = 0; i < t->numel; i++) {
        float m = 1.0f - sign * t->data[i];
        if (fabsf(m) < margin) t->data[i] += sign * (m < 0 ? -margin : margin);
    }
}

int main(void) {
    gan_ctx *ctx = gan_ctx_new(0);
    int sh[] = {3, 4}, n = 12;

    /* ---- values */
    {
        gan_tensor *x = randn(ctx, 2, sh, 1, 2.0f, 0);
        gan_tensor *t = gan_rand(ctx, 2, sh, 5, 2);
        gan_tensor *y = randn(ctx, 2, sh, 3, 1.0f, 0);
        value("bce_with_logits value", gan_bce_with_logits(ctx, x, t), ref_bce(x->data, t->data, 0, n));
        value("bce const 1 value", gan_bce_with_logits_const(ctx, x, 1.0f), ref_bce(x->data, NULL, 1.0f, n));
        value("bce const 0 value", gan_bce_with_logits_const(ctx, x, 0.0f), ref_bce(x->data, NULL, 0.0f, n));
        value("bce const 0.9 value", gan_bce_with_logits_const(ctx, x, 0.9f), ref_bce(x->data, NULL, 0.9f, n));
        double mse = 0, l1 = 0, hp = 0, hn = 0;
        for (int i = 0; i < n; i++) {
            double d = (double)x->data[i] - y->data[i];
            mse += d * d / n;
            l1 += fabs(d) / n;
            hp += fmax(0.0, 1.0 - x->data[i]) / n;
            hn += fmax(0.0, 1.0 + x->data[i]) / n;
        }
        value("mse value", gan_mse_loss(ctx, x, y), mse);
        value("l1 value", gan_l1_loss(ctx, x, y), l1);
        value("hinge(+1) value", gan_hinge_loss(ctx, x, 1.0f), hp);
        value("hinge(-1) value", gan_hinge_loss(ctx, x, -1.0f), hn);
        int lab[3] = {3, 0, 1};
        value("cross_entropy value", gan_cross_entropy(ctx, x, lab), ref_ce(x->data, lab, 3, 4));
    }
    /* ---- extreme logits: no overflow to inf, no log(0) */
    {
        gan_tensor *x = gan_from_data(ctx, GAN_SHAPE(4), (float[]){-100, 100, 100, -100});
        gan_tensor *wrong = gan_from_data(ctx, GAN_SHAPE(4), (float[]){1, 0, 0, 1});
        gan_tensor *right = gan_from_data(ctx, GAN_SHAPE(4), (float[]){0, 1, 1, 0});
        value("bce at +-100, wrong labels = 100", gan_bce_with_logits(ctx, x, wrong), 100.0);
        gan_tensor *l = gan_bce_with_logits(ctx, x, right);
        th_check(l->data[0] >= 0 && l->data[0] < 1e-30, "bce at +-100, right labels ~ 0", "%g",
                 l->data[0]);
        value("bce const 1 at +-100", gan_bce_with_logits_const(ctx, x, 1.0f), 50.0);
        value("bce const 0 at +-100", gan_bce_with_logits_const(ctx, x, 0.0f), 50.0);
        /* gradient at saturation: d/dx mean(softplus(x) - t x) = (sigmoid(x) - t)/n */
        gan_set_requires_grad(x, 1);
        gan_tensor *loss = gan_bce_with_logits(ctx, x, wrong), *g;
        gan_grad(ctx, 1, &loss, NULL, 1, &x, &g, 0);
        float want[4] = {-0.25f, 0.25f, 0.25f, -0.25f};
        th_check(th_max_abs_diff(g->data, want, 4) < 1e-7, "bce grad at +-100", "max_abs %.3g",
                 th_max_abs_diff(g->data, want, 4));

        gan_tensor *big = gan_from_data(ctx, GAN_SHAPE(2, 3), (float[]){1000, 0, -1000, 50, 60, 70});
        int lab[2] = {1, 2};
        value("cross_entropy at 1000 logits", gan_cross_entropy(ctx, big, lab),
              ref_ce(big->data, lab, 2, 3));
    }

    /* ---- gradients */
    gan_tensor *xs = randn(ctx, 2, sh, 10, 1.5f, 1);
    gan_tensor *ts = gan_rand(ctx, 2, sh, 5, 11);
    gan_set_requires_grad(ts, 1);
    grads("bce_with_logits", F_BCE, xs, ts);
    grads("bce_with_logits_const 1", F_BCE1, randn(ctx, 2, sh, 12, 1.5f, 1), NULL);
    grads("bce_with_logits_const 0", F_BCE0, randn(ctx, 2, sh, 13, 1.5f, 1), NULL);
    grads("bce_with_logits_const 0.9", F_BCE09, randn(ctx, 2, sh, 14, 1.5f, 1), NULL);
    grads("mse_loss", F_MSE, randn(ctx, 2, sh, 15, 1.0f, 1), randn(ctx, 2, sh, 16, 1.0f, 1));
    gan_tensor *la = randn(ctx, 2, sh, 17, 1.0f, 1), *lb = randn(ctx, 2, sh, 18, 1.0f, 1);
    for (int i = 0; i < n; i++) {       /* keep a - b off the kink of |.| */
        float d = la->data[i] - lb->data[i];
        if (fabsf(d) < 0.1f) la->data[i] += d < 0 ? -0.1f : 0.1f;
    }
    grads("l1_loss", F_L1, la, lb);
    gan_tensor *hp = randn(ctx, 2, sh, 19, 1.5f, 1), *hn = randn(ctx, 2, sh, 20, 1.5f, 1);
    avoid_hinge_kink(hp, 1.0f, 0.1f);
    avoid_hinge_kink(hn, -1.0f, 0.1f);
    grads("hinge_loss +1", F_HINGE_P, hp, NULL);
    grads("hinge_loss -1", F_HINGE_N, hn, NULL);
    grads("cross_entropy (4,5)", F_CE, randn(ctx, GAN_SHAPE(4, 5), 21, 1.5f, 1), NULL);

    gan_ctx_free(ctx);
    return th_done("test_loss");
}
