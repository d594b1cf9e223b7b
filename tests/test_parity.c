/* test_parity.c — libgan against PyTorch 1.13: ops (values, first- and second-order gradients)
 * and one full DCGAN training iteration, compared tensor by tensor with the reference files
 * that tests/fixtures/make_fixtures.py writes (see its docstring for the names).
 *
 * Every first-order gradient is checked twice: through gan_grad without a graph (where a rule
 * may use a fused kernel) and with create_graph (the composed rule), so both paths agree with
 * PyTorch. Second-order gradients are those of h = sum over inputs of sum(grad^2). */
#include "harness.h"
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define FIXDIR "tests/fixtures/"
#define TOL_OP 1e-4      /* relative to the reference's max |value| */
#define TOL_OP2 1e-4     /* second order */
#define TOL_PARAM 1e-4   /* DCGAN parameters after the iteration: the acceptance bar */
#define TOL_DCGAN 1e-4   /* DCGAN activations, losses and gradients */

static const char *fmt_name(char *buf, size_t n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static const char *fmt_name(char *buf, size_t n, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, n, fmt, ap);
    va_end(ap);
    return buf;
}

static gan_tensor *fx_get(th_fixture *f, gan_ctx *ctx, int leaf, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static gan_tensor *fx_get(th_fixture *f, gan_ctx *ctx, int leaf, const char *fmt, ...) {
    char name[160];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(name, sizeof name, fmt, ap);
    va_end(ap);
    gan_tensor *t = th_fixture_get(f, ctx, name);
    if (leaf) gan_set_requires_grad(t, 1);
    return t;
}

/* Compares `got` with fixture tensor `key` (shape too), printed as `label`. */
static int cmp_as(th_fixture *f, gan_ctx *ctx, const char *label, const char *key,
                  const gan_tensor *got, double tol) {
    if (!th_fixture_has(f, key)) return th_check(0, label, "'%s' not in fixture", key);
    gan_tensor *ref = th_fixture_get(f, ctx, key);
    if (!gan_same_shape(got, ref)) {
        char a[64], b[64];
        gan_shape_str(got, a, sizeof a);
        gan_shape_str(ref, b, sizeof b);
        return th_check(0, label, "shape %s, PyTorch %s", a, b);
    }
    double ab = th_max_abs_diff(got->data, ref->data, got->numel);
    double rel = th_rel_err(got->data, ref->data, got->numel, 1e-6);
    return th_check(rel <= tol, label, "max_abs %.3g rel %.3g (tol %.1g)", ab, rel, tol);
}

static int cmp(th_fixture *f, gan_ctx *ctx, const char *key, const gan_tensor *got, double tol) {
    return cmp_as(f, ctx, key, key, got, tol);
}

static double max_abs(const float *a, int64_t n) {
    double m = 0;
    for (int64_t i = 0; i < n; i++) m = fmax(m, fabs(a[i]));
    return m;
}

/* y = op(in...): compares "<pre>.g<name>" = d sum(y*gy)/d in (without and with a graph) and
 * "<pre>.gg<name>" = d h/d in, h = sum_i sum(g_i^2). A missing "gg" record means PyTorch's
 * second derivative is zero (or h does not depend on that input): ours must be ~0 too.
 * gy NULL means ones (scalar losses). */
static void check_grads(th_fixture *f, gan_ctx *ctx, const char *pre, gan_tensor *y,
                        gan_tensor *gy, int n_in, gan_tensor **in, const char **names) {
    gan_tensor *live[4], *g[4], *gg[4];
    const char *lname[4];
    int n = 0;
    for (int i = 0; i < n_in; i++)
        if (in[i]) { live[n] = in[i]; lname[n++] = names[i]; }
    char key[160], label[192];
    gan_grad(ctx, 1, &y, &gy, n, live, g, 0);
    for (int i = 0; i < n; i++)
        cmp(f, ctx, fmt_name(key, sizeof key, "%s.g%s", pre, lname[i]), g[i], TOL_OP);
    gan_grad(ctx, 1, &y, &gy, n, live, g, 1);
    for (int i = 0; i < n; i++) {
        fmt_name(key, sizeof key, "%s.g%s", pre, lname[i]);
        cmp_as(f, ctx, fmt_name(label, sizeof label, "%s (create_graph)", key), key, g[i], TOL_OP);
    }
    gan_tensor *h = NULL;
    for (int i = 0; i < n; i++) {
        gan_tensor *s = gan_sum_all(ctx, gan_square(ctx, g[i]));
        h = h ? gan_add(ctx, h, s) : s;
    }
    if (h->requires_grad) gan_grad(ctx, 1, &h, NULL, n, live, gg, 0);
    else for (int i = 0; i < n; i++) gg[i] = gan_zeros_like(ctx, live[i]);
    for (int i = 0; i < n; i++) {
        fmt_name(key, sizeof key, "%s.gg%s", pre, lname[i]);
        if (th_fixture_has(f, key)) {
            cmp(f, ctx, key, gg[i], TOL_OP2);
        } else {
            double m = max_abs(gg[i]->data, gg[i]->numel);
            th_check(m <= 1e-6, fmt_name(label, sizeof label, "%s (zero in PyTorch)", key),
                     "max_abs %.3g", m);
        }
    }
}

/* ------------------------------------------------------------------------ ops */

static void test_conv2d(gan_ctx *ctx) {
    th_fixture *f = th_fixture_load(FIXDIR "conv2d.bin");
    if (!f) return;
    char pre[16], key[64];
    for (int i = 0; th_fixture_has(f, fmt_name(pre, sizeof pre, "c%d.cfg", i)); i++) {
        gan_ctx_reset(ctx);
        const float *cfg = fx_get(f, ctx, 0, "c%d.cfg", i)->data;
        int k = (int)cfg[0], stride = (int)cfg[1], pad = (int)cfg[2], has_b = (int)cfg[3];
        fmt_name(pre, sizeof pre, "c%d", i);
        gan_tensor *x = fx_get(f, ctx, 1, "%s.x", pre), *w = fx_get(f, ctx, 1, "%s.w", pre);
        gan_tensor *b = has_b ? fx_get(f, ctx, 1, "%s.b", pre) : NULL;
        gan_tensor *y = gan_conv2d(ctx, x, w, b, stride, pad);
        cmp(f, ctx, fmt_name(key, sizeof key, "%s.y", pre), y, TOL_OP);
        gan_tensor *gy = fx_get(f, ctx, 0, "%s.gy", pre);
        check_grads(f, ctx, pre, y, gy, 3, (gan_tensor *[]){x, w, b},
                    (const char *[]){"x", "w", "b"});
        /* the weight-gradient op on its own */
        gan_tensor *dw = gan_conv2d_weight_grad(ctx, x, gy, k, k, stride, pad);
        fmt_name(key, sizeof key, "%s.gw", pre);
        char label[96];
        cmp_as(f, ctx, fmt_name(label, sizeof label, "%s (gan_conv2d_weight_grad)", key), key,
               dw, TOL_OP);
    }
    th_fixture_free(f);
}

static void test_conv_transpose2d(gan_ctx *ctx) {
    th_fixture *f = th_fixture_load(FIXDIR "conv_transpose2d.bin");
    if (!f) return;
    char pre[16], key[64];
    for (int i = 0; th_fixture_has(f, fmt_name(pre, sizeof pre, "t%d.cfg", i)); i++) {
        gan_ctx_reset(ctx);
        const float *cfg = fx_get(f, ctx, 0, "t%d.cfg", i)->data;
        int stride = (int)cfg[1], pad = (int)cfg[2], opad = (int)cfg[3], has_b = (int)cfg[4];
        fmt_name(pre, sizeof pre, "t%d", i);
        gan_tensor *x = fx_get(f, ctx, 1, "%s.x", pre), *w = fx_get(f, ctx, 1, "%s.w", pre);
        gan_tensor *b = has_b ? fx_get(f, ctx, 1, "%s.b", pre) : NULL;
        gan_tensor *y = gan_conv_transpose2d(ctx, x, w, b, stride, pad, opad);
        cmp(f, ctx, fmt_name(key, sizeof key, "%s.y", pre), y, TOL_OP);
        gan_tensor *gy = fx_get(f, ctx, 0, "%s.gy", pre);
        check_grads(f, ctx, pre, y, gy, 3, (gan_tensor *[]){x, w, b},
                    (const char *[]){"x", "w", "b"});
    }
    th_fixture_free(f);
}

static void test_batch_norm(gan_ctx *ctx) {
    th_fixture *f = th_fixture_load(FIXDIR "batch_norm.bin");
    if (!f) return;
    char pre[16], key[64];
    for (int i = 0; th_fixture_has(f, fmt_name(pre, sizeof pre, "bn%d.cfg", i)); i++) {
        gan_ctx_reset(ctx);
        const float *cfg = fx_get(f, ctx, 0, "bn%d.cfg", i)->data;
        int training = (int)cfg[0], affine = (int)cfg[1];
        float momentum = cfg[2], eps = cfg[3];
        fmt_name(pre, sizeof pre, "bn%d", i);
        gan_tensor *x = fx_get(f, ctx, 1, "%s.x", pre);
        gan_tensor *gamma = affine ? fx_get(f, ctx, 1, "%s.gamma", pre) : NULL;
        gan_tensor *beta = affine ? fx_get(f, ctx, 1, "%s.beta", pre) : NULL;
        gan_tensor *rm = fx_get(f, ctx, 0, "%s.running_mean", pre);
        gan_tensor *rv = fx_get(f, ctx, 0, "%s.running_var", pre);
        gan_tensor *y = gan_batch_norm(ctx, x, gamma, beta, rm->data, rv->data, momentum, eps,
                                       training);
        cmp(f, ctx, fmt_name(key, sizeof key, "%s.y", pre), y, TOL_OP);
        cmp(f, ctx, fmt_name(key, sizeof key, "%s.running_mean_after", pre), rm, TOL_OP);
        cmp(f, ctx, fmt_name(key, sizeof key, "%s.running_var_after", pre), rv, TOL_OP);
        gan_tensor *gy = fx_get(f, ctx, 0, "%s.gy", pre);
        check_grads(f, ctx, pre, y, gy, 3, (gan_tensor *[]){x, gamma, beta},
                    (const char *[]){"x", "gamma", "beta"});
    }
    th_fixture_free(f);
}

static void test_linear(gan_ctx *ctx) {
    th_fixture *f = th_fixture_load(FIXDIR "linear.bin");
    if (!f) return;
    char pre[16], key[64];
    for (int i = 0; th_fixture_has(f, fmt_name(pre, sizeof pre, "lin%d.cfg", i)); i++) {
        gan_ctx_reset(ctx);
        int has_b = (int)fx_get(f, ctx, 0, "lin%d.cfg", i)->data[0];
        fmt_name(pre, sizeof pre, "lin%d", i);
        gan_tensor *x = fx_get(f, ctx, 1, "%s.x", pre), *w = fx_get(f, ctx, 1, "%s.w", pre);
        gan_tensor *b = has_b ? fx_get(f, ctx, 1, "%s.b", pre) : NULL;
        gan_tensor *y = gan_linear(ctx, x, w, b);
        cmp(f, ctx, fmt_name(key, sizeof key, "%s.y", pre), y, TOL_OP);
        gan_tensor *gy = fx_get(f, ctx, 0, "%s.gy", pre);
        check_grads(f, ctx, pre, y, gy, 3, (gan_tensor *[]){x, w, b},
                    (const char *[]){"x", "w", "b"});
    }
    th_fixture_free(f);
}

static void check_loss(th_fixture *f, gan_ctx *ctx, const char *pre, gan_tensor *loss,
                       int n_in, gan_tensor **in, const char **names) {
    char key[64];
    cmp(f, ctx, fmt_name(key, sizeof key, "%s.loss", pre), loss, TOL_OP);
    check_grads(f, ctx, pre, loss, NULL, n_in, in, names);
}

static void test_losses(gan_ctx *ctx) {
    th_fixture *f = th_fixture_load(FIXDIR "losses.bin");
    if (!f) return;
    const char *nx[] = {"x"}, *nab[] = {"a", "b"};
    gan_ctx_reset(ctx);
    {
        gan_tensor *x = fx_get(f, ctx, 1, "bce.x"), *t = fx_get(f, ctx, 0, "bce.t");
        check_loss(f, ctx, "bce", gan_bce_with_logits(ctx, x, t), 1, &x, nx);
        check_loss(f, ctx, "bce_const0", gan_bce_with_logits_const(ctx, x, 0.0f), 1, &x, nx);
        check_loss(f, ctx, "bce_const1", gan_bce_with_logits_const(ctx, x, 1.0f), 1, &x, nx);
    }
    {
        gan_tensor *ab[2] = {fx_get(f, ctx, 1, "mse.a"), fx_get(f, ctx, 1, "mse.b")};
        check_loss(f, ctx, "mse", gan_mse_loss(ctx, ab[0], ab[1]), 2, ab, nab);
    }
    {
        gan_tensor *ab[2] = {fx_get(f, ctx, 1, "l1.a"), fx_get(f, ctx, 1, "l1.b")};
        check_loss(f, ctx, "l1", gan_l1_loss(ctx, ab[0], ab[1]), 2, ab, nab);
    }
    {
        gan_tensor *x = fx_get(f, ctx, 1, "hinge.x");
        check_loss(f, ctx, "hinge_real", gan_hinge_loss(ctx, x, 1.0f), 1, &x, nx);
        check_loss(f, ctx, "hinge_fake", gan_hinge_loss(ctx, x, -1.0f), 1, &x, nx);
    }
    {
        gan_tensor *x = fx_get(f, ctx, 1, "ce.x"), *lab = fx_get(f, ctx, 0, "ce.labels");
        int labels[64];
        GAN_ASSERT(lab->numel <= 64);
        for (int64_t i = 0; i < lab->numel; i++) labels[i] = (int)lab->data[i];
        check_loss(f, ctx, "ce", gan_cross_entropy(ctx, x, labels), 1, &x, nx);
    }
    th_fixture_free(f);
}

/* ------------------------------------------------------------------------ DCGAN iteration */

/* The fixture's initial values: offset + bound * (2u - 1), u from splitmix64 of
 * (fnv1a32(name), i); computed in double and rounded once, so bit-equal to make_fixtures.py's
 * hash_init. Storing G's 0.8 M initial weights instead would take 3 MB. */
static void hash_init(float *out, int64_t n, const char *name, double bound, double offset) {
    uint32_t key = 0x811C9DC5u;
    for (const unsigned char *p = (const unsigned char *)name; *p; p++) key = (key ^ *p) * 0x01000193u;
    uint64_t base = (uint64_t)key * 0x9E3779B97F4A7C15ull;
    for (int64_t i = 0; i < n; i++) {
        uint64_t z = base + (uint64_t)i * 0xD1B54A32D192ED03ull;
        z ^= z >> 30;
        z *= 0xBF58476D1CE4E5B9ull;
        z ^= z >> 27;
        z *= 0x94D049BB133111EBull;
        z ^= z >> 31;
        double u = (double)(z >> 40) / 16777216.0;
        out[i] = (float)(offset + bound * (2.0 * u - 1.0));
    }
}

typedef struct {
    gan_linear_layer fc;
    gan_bn_layer bn1, bn2;
    gan_conv_layer deconv1, deconv2;
} dc_gen;

typedef struct {
    gan_conv_layer conv1, conv2;
    gan_bn_layer bn;
    gan_linear_layer fc;
} dc_disc;

// z (N,nz) -> (N,1,28,28)
static gan_tensor *gen_forward(gan_ctx *ctx, const dc_gen *g, gan_tensor *z) {
    gan_tensor *h = gan_linear_layer_forward(ctx, &g->fc, z);
    h = gan_reshape(ctx, h, GAN_SHAPE(z->shape[0], 128, 7, 7));
    h = gan_relu(ctx, gan_batch_norm_layer_forward(ctx, &g->bn1, h));
    h = gan_conv_transpose2d_layer_forward(ctx, &g->deconv1, h);
    h = gan_relu(ctx, gan_batch_norm_layer_forward(ctx, &g->bn2, h));
    return gan_tanh(ctx, gan_conv_transpose2d_layer_forward(ctx, &g->deconv2, h));
}

// x (N,1,28,28) -> logits (N,1)
static gan_tensor *disc_forward(gan_ctx *ctx, const dc_disc *d, gan_tensor *x) {
    gan_tensor *h = gan_leaky_relu(ctx, gan_conv2d_layer_forward(ctx, &d->conv1, x), 0.2f);
    h = gan_conv2d_layer_forward(ctx, &d->conv2, h);
    h = gan_leaky_relu(ctx, gan_batch_norm_layer_forward(ctx, &d->bn, h), 0.2f);
    return gan_linear_layer_forward(ctx, &d->fc, gan_reshape(ctx, h, GAN_SHAPE(x->shape[0], -1)));
}

/* Biases followed directly by batch norm: their gradient is zero in exact arithmetic (the
 * norm subtracts the per-channel mean), so both sides hold rounding noise (~1e-8) and Adam's
 * first step, lr * g / (|g| + eps), moves them by an arbitrary amount in [-lr, lr]. Checked
 * for ~zero gradient and a bounded step instead of against PyTorch's values. (G.fc.bias is
 * not one of them: BN's channels span 49 of its entries, so only their sum is cancelled.) */
static int bn_fed_bias(const char *full) {
    return !strcmp(full, "G.deconv1.bias") || !strcmp(full, "D.conv2.bias");
}

/* Compares a net tensor with "<kind>.<full>" (kind NULL: the initial values), gathered at
 * "idx.<full>" when PyTorch stored only a subset, and then (kinds grad and after) the
 * whole-tensor statistics "stats.grad|delta.<full>" (delta = after - before). */
static void cmp_net_tensor(th_fixture *f, gan_ctx *ctx, const char *kind, const char *full,
                           const float *data, const float *before, int64_t n, double tol) {
    char key[160], ikey[160];
    if (kind) fmt_name(key, sizeof key, "%s.%s", kind, full);
    else fmt_name(key, sizeof key, "%s", full);
    fmt_name(ikey, sizeof ikey, "idx.%s", full);
    if (!th_fixture_has(f, ikey)) {
        th_fixture_compare(f, key, data, n, tol);
        return;
    }
    gan_tensor *idx = th_fixture_get(f, ctx, ikey);
    float *sub = gan_ctx_alloc(ctx, sizeof(float) * (size_t)idx->numel);
    for (int64_t j = 0; j < idx->numel; j++) {
        int64_t e = (int64_t)idx->data[j];
        GAN_ASSERT(e >= 0 && e < n);
        sub[j] = data[e];
    }
    char label[192];
    fmt_name(label, sizeof label, "%s [%lld of %lld]", key, (long long)idx->numel, (long long)n);
    gan_tensor *got = gan_from_data(ctx, GAN_SHAPE((int)idx->numel), sub);
    cmp_as(f, ctx, label, key, got, tol);
    int grad = kind && !strcmp(kind, "grad");
    if (!grad && !(kind && !strcmp(kind, "after"))) return;   /* stats only for these two */
    const char *what = grad ? "grad" : "delta";
    double s = 0, s1 = 0, s2 = 0;
    for (int64_t e = 0; e < n; e++) {
        double d = grad ? (double)data[e] : (double)data[e] - before[e];
        s += d;
        s1 += fabs(d);
        s2 += d * d;
    }
    gan_tensor *st = gan_from_data(ctx, GAN_SHAPE(3), (float[]){(float)s, (float)s1, (float)sqrt(s2)});
    fmt_name(key, sizeof key, "stats.%s.%s", what, full);
    fmt_name(label, sizeof label, "%s [sum, sum|.|, l2]", key);
    cmp_as(f, ctx, label, key, st, tol);
}

/* Runs fn over every tensor of `net` (params and buffers) with its fixture name "<net>.<name>". */
static void for_each_tensor(gan_net *net, void (*fn)(gan_net *, gan_tensor *, const char *, int, void *),
                            void *ud) {
    char full[160];
    for (int i = 0; i < gan_net_num_tensors(net); i++) {
        gan_tensor *t = gan_net_tensor(net, i);
        fmt_name(full, sizeof full, "%s.%s", gan_net_name(net), t->name);
        fn(net, t, full, gan_net_tensor_is_buffer(net, i), ud);
    }
}

typedef struct {
    th_fixture *f;
    gan_ctx *ctx;
    const char *kind;        /* NULL, "grad", "after", "adam_m" or "adam_v" */
    const float *before;     /* the net's weights before the step (for "after") */
    float lr;
} visit;

/* Sets the initial values (params from the hash, buffers from the fixture) and checks them. */
static void init_tensor(gan_net *net, gan_tensor *t, const char *full, int is_buf, void *ud) {
    visit *v = ud;
    char key[160];
    if (is_buf) {
        gan_tensor *src = th_fixture_get(v->f, v->ctx, full);
        GAN_ASSERT(src->numel == t->numel);
        memcpy(t->data, src->data, sizeof(float) * (size_t)t->numel);
        return;
    }
    if (!th_fixture_has(v->f, fmt_name(key, sizeof key, "init.%s", full))) {
        th_check(0, key, "PyTorch has no parameter %s (names differ?)", full);
        return;
    }
    const float *bo = th_fixture_get(v->f, v->ctx, key)->data;
    hash_init(t->data, t->numel, full, bo[0], bo[1]);
    cmp_net_tensor(v->f, v->ctx, NULL, full, t->data, NULL, t->numel, 1e-6);
}

static void compare_tensor(gan_net *net, gan_tensor *t, const char *full, int is_buf, void *ud) {
    visit *v = ud;
    int grad = !strcmp(v->kind, "grad"), after = !strcmp(v->kind, "after");
    if (!after && is_buf) return;
    const float *data = t->data;
    const float *before = NULL;
    if (!is_buf) {
        ptrdiff_t off = t->data - gan_net_weights(net);
        before = v->before ? v->before + off : NULL;
        if (grad) data = t->grad;
        else if (!strcmp(v->kind, "adam_m")) data = gan_net_adam_m(net) + off;
        else if (!strcmp(v->kind, "adam_v")) data = gan_net_adam_v(net) + off;
    }
    if (!is_buf && bn_fed_bias(full)) {
        char label[192];
        if (!after) {   /* gradient noise and the moments made of it */
            double m = max_abs(data, t->numel);
            th_check(m <= 1e-5, fmt_name(label, sizeof label, "%s.%s (zero: feeds BN)", v->kind, full),
                     "max_abs %.3g", m);
        } else {
            double m = 0;
            for (int64_t e = 0; e < t->numel; e++) m = fmax(m, fabs((double)data[e] - before[e]));
            th_check(m <= v->lr * 1.001, fmt_name(label, sizeof label, "after.%s (step <= lr)", full),
                     "max |step| %.3g (lr %.3g)", m, v->lr);
        }
        return;
    }
    if (after && !strcmp(full, "D.bn.running_mean")) return;   /* see bn_mean_corrected */
    cmp_net_tensor(v->f, v->ctx, v->kind, full, data, before, t->numel,
                   after && !is_buf ? TOL_PARAM : TOL_DCGAN);
}

/* D's third forward (the G step) ran with the updated D.conv2.bias, whose step is noise (see
 * bn_fed_bias), and a bias shifts its channel's batch mean by exactly itself: remove
 * momentum * (our bias - PyTorch's) from the running mean before comparing. */
static void bn_mean_corrected(th_fixture *f, gan_ctx *ctx, const dc_disc *d) {
    gan_tensor *rm = gan_copy(ctx, d->bn.running_mean);
    const float *ref_b = th_fixture_get(f, ctx, "after.D.conv2.bias")->data;
    for (int64_t c = 0; c < rm->numel; c++)
        rm->data[c] -= d->bn.momentum * (d->conv2.bias->data[c] - ref_b[c]);
    cmp_as(f, ctx, "after.D.bn.running_mean (bias-corrected)", "after.D.bn.running_mean", rm,
           TOL_DCGAN);
}

static void test_dcgan_iter(gan_ctx *ctx) {
    th_fixture *f = th_fixture_load(FIXDIR "dcgan_iter.bin");
    if (!f) return;
    gan_ctx_reset(ctx);
    const float *hp = th_fixture_get(f, ctx, "hparams")->data;
    int N = (int)hp[0], nz = (int)hp[1];
    float lr = hp[2], beta1 = hp[3], beta2 = hp[4], adam_eps = hp[5];

    gan_net *G = gan_net_new("G"), *D = gan_net_new("D");
    dc_gen g;
    g.fc = gan_linear_layer_init(G, "fc", nz, 128 * 7 * 7, 1);
    g.bn1 = gan_batch_norm_layer_init(G, "bn1", 128);
    g.deconv1 = gan_conv_transpose2d_layer_init(G, "deconv1", 128, 64, 4, 2, 1, 0, 1);
    g.bn2 = gan_batch_norm_layer_init(G, "bn2", 64);
    g.deconv2 = gan_conv_transpose2d_layer_init(G, "deconv2", 64, 1, 4, 2, 1, 0, 1);
    dc_disc d;
    d.conv1 = gan_conv2d_layer_init(D, "conv1", 1, 64, 4, 2, 1, 1);
    d.conv2 = gan_conv2d_layer_init(D, "conv2", 64, 128, 4, 2, 1, 1);
    d.bn = gan_batch_norm_layer_init(D, "bn", 128);
    d.fc = gan_linear_layer_init(D, "fc", 128 * 7 * 7, 1, 1);
    gan_net_finalize(G, 1);
    gan_net_finalize(D, 2);
    th_check(g.bn1.momentum == hp[6] && g.bn1.eps == hp[7], "dcgan bn momentum/eps defaults",
             "%g/%g, PyTorch %g/%g", g.bn1.momentum, g.bn1.eps, hp[6], hp[7]);

    visit v = {f, ctx, NULL, NULL, lr};
    for_each_tensor(G, init_tensor, &v);
    for_each_tensor(D, init_tensor, &v);
    int64_t nG = gan_net_num_params(G), nD = gan_net_num_params(D);
    float *beforeG = malloc(sizeof(float) * (size_t)nG), *beforeD = malloc(sizeof(float) * (size_t)nD);
    memcpy(beforeG, gan_net_weights(G), sizeof(float) * (size_t)nG);
    memcpy(beforeD, gan_net_weights(D), sizeof(float) * (size_t)nD);

    gan_adam optD = gan_adam_default(lr), optG = gan_adam_default(lr);
    optD.beta1 = optG.beta1 = beta1;
    optD.beta2 = optG.beta2 = beta2;
    optD.eps = optG.eps = adam_eps;

    gan_tensor *z = th_fixture_get(f, ctx, "z");
    gan_tensor *real = gan_empty(ctx, GAN_SHAPE(N, 1, 28, 28));
    hash_init(real->data, real->numel, "real", 1.0, 0.0);
    gan_ctx_set_training(ctx, 1);

    /* D step: real -> 1, fake.detach() -> 0, one backward each (as pytorch/examples) */
    gan_net_zero_grad(D);
    gan_tensor *out_real = disc_forward(ctx, &d, real);
    gan_tensor *err_real = gan_bce_with_logits_const(ctx, out_real, 1.0f);
    gan_backward(ctx, err_real);
    gan_tensor *fake = gen_forward(ctx, &g, z);
    gan_tensor *out_fake = disc_forward(ctx, &d, gan_detach(ctx, fake));
    gan_tensor *err_fake = gan_bce_with_logits_const(ctx, out_fake, 0.0f);
    gan_backward(ctx, err_fake);
    v.kind = "grad";
    for_each_tensor(D, compare_tensor, &v);
    float *gradD = malloc(sizeof(float) * (size_t)nD);
    memcpy(gradD, gan_net_grads(D), sizeof(float) * (size_t)nD);
    gan_adam_step(&optD, D);

    /* G step: the same fake (G's graph reused) through the updated, frozen D */
    gan_net_requires_grad(D, 0);
    gan_net_zero_grad(G);
    gan_tensor *out_g = disc_forward(ctx, &d, fake);
    gan_tensor *err_g = gan_bce_with_logits_const(ctx, out_g, 1.0f);
    gan_backward(ctx, err_g);
    gan_net_requires_grad(D, 1);
    for_each_tensor(G, compare_tensor, &v);
    th_check(!memcmp(gradD, gan_net_grads(D), sizeof(float) * (size_t)nD),
             "dcgan frozen D: grads untouched by G step", "%s", "");
    gan_adam_step(&optG, G);

    cmp(f, ctx, "d_real_logits", out_real, TOL_DCGAN);
    cmp(f, ctx, "d_fake_logits", out_fake, TOL_DCGAN);
    cmp(f, ctx, "g_fake_logits", out_g, TOL_DCGAN);
    cmp_net_tensor(f, ctx, NULL, "fake", fake->data, NULL, fake->numel, TOL_DCGAN);
    cmp(f, ctx, "errD_real", err_real, TOL_DCGAN);
    cmp(f, ctx, "errD_fake", err_fake, TOL_DCGAN);
    cmp(f, ctx, "errD", gan_add(ctx, err_real, err_fake), TOL_DCGAN);
    cmp(f, ctx, "errG", err_g, TOL_DCGAN);
    v.kind = "after";
    v.before = beforeG;
    for_each_tensor(G, compare_tensor, &v);
    v.before = beforeD;
    for_each_tensor(D, compare_tensor, &v);
    bn_mean_corrected(f, ctx, &d);
    v.before = NULL;
    for (int k = 0; k < 2; k++) {
        v.kind = k ? "adam_v" : "adam_m";
        for_each_tensor(G, compare_tensor, &v);
        for_each_tensor(D, compare_tensor, &v);
    }

    free(gradD);
    free(beforeG);
    free(beforeD);
    gan_net_free(G);
    gan_net_free(D);
    th_fixture_free(f);
}

int main(void) {
    gan_ctx *ctx = gan_ctx_new(0);
    test_conv2d(ctx);
    test_conv_transpose2d(ctx);
    test_batch_norm(ctx);
    test_linear(ctx);
    test_losses(ctx);
    test_dcgan_iter(ctx);
    gan_ctx_free(ctx);
    return th_done("test_parity");
}
