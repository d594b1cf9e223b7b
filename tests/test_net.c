/* test_net.c — networks and layers: the flat buffer layout, deterministic PyTorch-style
 * inits (checked statistically against their closed-form bounds and moments), names,
 * freezing, layer forwards against direct double-precision loops, gradients through layer
 * parameters (first and second order vs finite differences), and a linear regression trained
 * with Adam down to the least-squares optimum. */
#include "harness.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

static void stats(const float *x, int64_t n, double *mean, double *var, double *maxabs) {
    double s = 0, s2 = 0, m = 0;
    for (int64_t i = 0; i < n; i++) {
        s += x[i];
        m = fmax(m, fabs(x[i]));
    }
    *mean = s / (double)n;
    for (int64_t i = 0; i < n; i++) s2 += (x[i] - *mean) * (x[i] - *mean);
    *var = s2 / (double)n;
    *maxabs = m;
}

static int all_zero(const float *x, int64_t n) {
    for (int64_t i = 0; i < n; i++)
        if (x[i] != 0.0f) return 0;
    return 1;
}

/* ---------------------------------------------------------------- layout and names */

static void test_layout(void) {
    gan_net *net = gan_net_new("D");
    gan_linear_layer fc = gan_linear_layer_init(net, "fc", 4, 3, 1);
    gan_conv_layer conv = gan_conv2d_layer_init(net, "main.0", 2, 5, 3, 1, 1, 1);
    gan_conv_layer up = gan_conv_transpose2d_layer_init(net, "main.1", 5, 2, 4, 2, 1, 0, 0);
    gan_bn_layer bn = gan_batch_norm_layer_init(net, "main.2", 5);
    th_check(fc.weight->data == NULL && gan_net_weights(net) == NULL, "no storage before finalize",
             "%s", "");
    gan_net_finalize(net, 7);

    static const char *names[] = {"fc.weight", "fc.bias", "main.0.weight", "main.0.bias",
                                  "main.1.weight", "main.2.weight", "main.2.bias",
                                  "main.2.running_mean", "main.2.running_var",
                                  "main.2.num_batches_tracked"};
    int nt = gan_net_num_tensors(net), ok = nt == 10;
    for (int i = 0; ok && i < nt; i++) ok = !strcmp(gan_net_tensor(net, i)->name, names[i]);
    th_check(ok, "tensor names and order (params, then buffers)", "%d tensors", nt);
    th_check(up.bias == NULL && up.weight->shape[0] == 5 && up.weight->shape[1] == 2 &&
                 conv.weight->shape[0] == 5 && conv.weight->shape[1] == 2 && conv.stride == 1 &&
                 up.stride == 2 && up.pad == 1,
             "conv weight layouts (out,in,k,k) / (in,out,k,k)", "%s", "");

    /* params back to back in one block; grads, m, v in the same layout */
    float *w = gan_net_weights(net), *g = gan_net_grads(net);
    int64_t off = 0;
    int contiguous = 1, flags = 1;
    for (int i = 0; i < nt; i++) {
        gan_tensor *t = gan_net_tensor(net, i);
        if (gan_net_tensor_is_buffer(net, i)) {
            flags &= !t->requires_grad && t->grad == NULL && t->data != NULL;
            continue;
        }
        contiguous &= t->data == w + off && t->grad == g + off;
        flags &= t->requires_grad == 1 && t->node == NULL;
        off += t->numel;
    }
    int64_t want = 3 * 4 + 3 + 5 * 2 * 9 + 5 + 5 * 2 * 16 + 5 + 5;
    th_check(contiguous && off == gan_net_num_params(net) && off == want,
             "params contiguous, grad at the same offset", "%lld floats", (long long)off);
    th_check(flags, "params require grad, buffers don't", "%s", "");
    float *m = gan_net_adam_m(net), *v = gan_net_adam_v(net);
    th_check(m && v && m != v && m != w && all_zero(m, off) && all_zero(v, off) &&
                 all_zero(g, off),
             "grads, adam m, v: separate zeroed blocks", "%s", "");

    th_check(gan_net_find(net, "main.0.bias") == conv.bias &&
                 gan_net_find(net, "main.2.running_var") == bn.running_var &&
                 gan_net_find(net, "fc.weight") == fc.weight && gan_net_find(net, "fc") == NULL &&
                 gan_net_find(net, "main.1.bias") == NULL,
             "gan_net_find by name", "%s", "");
    th_check(!strcmp(gan_net_name(net), "D"), "gan_net_name", "%s", gan_net_name(net));

    for (int64_t i = 0; i < off; i++) g[i] = 1.0f + (float)i;
    gan_net_zero_grad(net);
    th_check(all_zero(g, off), "gan_net_zero_grad clears the whole block", "%s", "");
    gan_net_free(net);

    /* a net big enough for the huge-page buffers and the two-thread zero_grad: every float of
     * an odd-sized block, the split points and the tail included */
    gan_net *big = gan_net_new("big");
    gan_linear_layer_init(big, "fc", 1023, 1001, 1);
    gan_net_finalize(big, 3);
    int64_t nb = gan_net_num_params(big);
    float *bg = gan_net_grads(big), *bm = gan_net_adam_m(big), *bv = gan_net_adam_v(big);
    th_check(nb == 1023 * 1001 + 1001 && all_zero(bg, nb) && all_zero(bm, nb) && all_zero(bv, nb),
             "big net: grads, m, v start zeroed", "%lld floats", (long long)nb);
    for (int64_t i = 0; i < nb; i++) bg[i] = 1.0f + (float)(i % 7);
    gan_net_zero_grad(big);
    th_check(all_zero(bg, nb), "big net: gan_net_zero_grad clears every float", "%s", "");
    gan_net_free(big);
}

/* ---------------------------------------------------------------- initialisation */

static void test_init(void) {
    gan_net *net = gan_net_new("G");
    gan_linear_layer fc = gan_linear_layer_init(net, "fc", 400, 300, 1);
    gan_conv_layer conv = gan_conv2d_layer_init(net, "conv", 8, 16, 3, 1, 1, 1);
    gan_conv_layer up = gan_conv_transpose2d_layer_init(net, "up", 16, 8, 4, 2, 1, 0, 1);
    gan_tensor *n0 = gan_net_param(net, "n0", GAN_SHAPE(100000), GAN_INIT_NORMAL_002, 0);
    gan_tensor *n1 = gan_net_param(net, "n1", GAN_SHAPE(100000), GAN_INIT_NORMAL_1_002, 0);
    gan_tensor *twin = gan_net_param(net, "twin", GAN_SHAPE(100000), GAN_INIT_NORMAL_002, 0);
    gan_tensor *z = gan_net_param(net, "z", GAN_SHAPE(7), GAN_INIT_ZERO, 0);
    gan_tensor *o = gan_net_param(net, "o", GAN_SHAPE(7), GAN_INIT_ONE, 0);
    gan_bn_layer bn = gan_batch_norm_layer_init(net, "bn", 6);
    gan_net_finalize(net, 2024);

    double mean, var, mx;
    /* kaiming_uniform(a=sqrt(5)) = U(-b, b), b = 1/sqrt(fan_in): var b^2/3 */
    double b = 1 / sqrt(400.0);
    int64_t n = fc.weight->numel;
    stats(fc.weight->data, n, &mean, &var, &mx);
    th_check(mx <= b && mx > 0.999 * b && fabs(mean) < 5 * b / sqrt(3.0 * (double)n) &&
                 fabs(var / (b * b / 3) - 1) < 0.02,
             "linear weight ~ U(-1/sqrt(in), 1/sqrt(in))",
             "max %.5f (b %.5f) mean %.2g var/(b^2/3) %.4f", mx, b, mean, var / (b * b / 3));
    stats(fc.bias->data, fc.bias->numel, &mean, &var, &mx);
    th_check(mx <= b && mx > 0.9 * b, "linear bias ~ U(-1/sqrt(in), ..)", "max %.5f", mx);
    b = 1 / sqrt(8 * 9.0);
    stats(conv.weight->data, conv.weight->numel, &mean, &var, &mx);
    double mb;
    stats(conv.bias->data, conv.bias->numel, &mean, &var, &mb);
    th_check(mx <= b && mx > 0.95 * b && mb <= b, "conv2d bound 1/sqrt(in*k*k)", "max %.5f (b %.5f)", mx, b);
    /* PyTorch's ConvTranspose2d fan_in is weight.size(1)*k*k = out*k*k; in*k*k would give 1/16 */
    b = 1 / sqrt(8 * 16.0);
    stats(up.weight->data, up.weight->numel, &mean, &var, &mx);
    stats(up.bias->data, up.bias->numel, &mean, &var, &mb);
    th_check(mx <= b && mx > 0.95 * b && mb <= b, "conv_transpose2d bound 1/sqrt(out*k*k)",
             "max %.5f (b %.5f)", mx, b);
    n = n0->numel;
    stats(n0->data, n, &mean, &var, &mx);
    th_check(fabs(mean) < 5 * 0.02 / sqrt((double)n) && fabs(sqrt(var) / 0.02 - 1) < 0.01,
             "normal_002: mean 0, std 0.02", "mean %.2g std %.5f", mean, sqrt(var));
    stats(n1->data, n, &mean, &var, &mx);
    th_check(fabs(mean - 1) < 5 * 0.02 / sqrt((double)n) && fabs(sqrt(var) / 0.02 - 1) < 0.01,
             "normal_1_002: mean 1, std 0.02", "mean %.6f std %.5f", mean, sqrt(var));
    th_check(memcmp(n0->data, twin->data, sizeof(float) * (size_t)n) != 0,
             "same-shape params draw different streams", "%s", "");
    int ok = 1;
    for (int i = 0; i < 7; i++) ok &= z->data[i] == 0.0f && o->data[i] == 1.0f;
    for (int i = 0; i < 6; i++)
        ok &= bn.weight->data[i] == 1.0f && bn.bias->data[i] == 0.0f &&
              bn.running_mean->data[i] == 0.0f && bn.running_var->data[i] == 1.0f;
    ok &= bn.num_batches_tracked->data[0] == 0.0f && bn.momentum == 0.1f && bn.eps == 1e-5f;
    th_check(ok, "zero/one inits, batch norm defaults", "%s", "");

    /* same seed, same bits; another seed, other bits; appending a parameter changes nothing
     * before it (each parameter has its own stream) */
    gan_net *a = gan_net_new("a"), *c = gan_net_new("c"), *d = gan_net_new("d");
    gan_linear_layer_init(a, "fc", 400, 300, 1);
    gan_linear_layer_init(c, "fc", 400, 300, 1);
    gan_linear_layer_init(d, "fc", 400, 300, 1);
    gan_net_param(d, "extra", GAN_SHAPE(10), GAN_INIT_NORMAL_002, 0);
    gan_net_finalize(a, 2024);
    gan_net_finalize(c, 2025);
    gan_net_finalize(d, 2024);
    size_t bytes = sizeof(float) * (size_t)gan_net_num_params(a);
    th_check(!memcmp(gan_net_weights(a), gan_net_weights(net), bytes) &&
                 !memcmp(gan_net_weights(a), gan_net_weights(d), bytes) &&
                 memcmp(gan_net_weights(a), gan_net_weights(c), bytes),
             "init is a function of (seed, parameter index)", "%s", "");
    gan_net_free(a);
    gan_net_free(c);
    gan_net_free(d);
    gan_net_free(net);
}

/* ---------------------------------------------------------------- freezing (the G step) */

typedef struct { gan_linear_layer l1, l2; } mlp;

static gan_tensor *d_forward(gan_ctx *ctx, const mlp *d, gan_tensor *x) {
    gan_tensor *h = gan_leaky_relu(ctx, gan_linear_layer_forward(ctx, &d->l1, x), 0.2f);
    return gan_linear_layer_forward(ctx, &d->l2, h);
}

static const mlp *frozen_d;
static gan_tensor *frozen_d_fn(gan_ctx *ctx, gan_tensor **in, void *ud) {
    (void)ud;
    return gan_square(ctx, d_forward(ctx, frozen_d, in[0]));
}

static void test_freeze(void) {
    gan_ctx *ctx = gan_ctx_new(0);
    gan_net *G = gan_net_new("G"), *D = gan_net_new("D");
    gan_linear_layer g1 = gan_linear_layer_init(G, "fc", 3, 4, 1);
    mlp d = {gan_linear_layer_init(D, "fc1", 4, 8, 1), gan_linear_layer_init(D, "fc2", 8, 1, 1)};
    gan_net_finalize(G, 1);
    gan_net_finalize(D, 2);
    int64_t ng = gan_net_num_params(G), nd = gan_net_num_params(D);
    gan_tensor *z = gan_randn(ctx, GAN_SHAPE(6, 3), 5, 0);

    /* reference: everything trainable */
    gan_net_zero_grad(G);
    gan_net_zero_grad(D);
    gan_tensor *loss = gan_mean_all(ctx, d_forward(ctx, &d, gan_tanh(ctx, gan_linear_layer_forward(ctx, &g1, z))));
    gan_backward(ctx, loss);
    float *gref = malloc(sizeof(float) * (size_t)ng);
    memcpy(gref, gan_net_grads(G), sizeof(float) * (size_t)ng);
    th_check(!all_zero(gan_net_grads(D), nd) && !all_zero(gref, ng), "unfrozen: both nets get grads",
             "%s", "");

    /* G step: D frozen; gradients still flow through D to G, D's buffer stays zero */
    gan_ctx_reset(ctx);
    gan_net_zero_grad(G);
    gan_net_zero_grad(D);
    gan_net_requires_grad(D, 0);
    int flags = 1;
    for (int i = 0; i < gan_net_num_tensors(D); i++) flags &= !gan_net_tensor(D, i)->requires_grad;
    z = gan_randn(ctx, GAN_SHAPE(6, 3), 5, 0);
    loss = gan_mean_all(ctx, d_forward(ctx, &d, gan_tanh(ctx, gan_linear_layer_forward(ctx, &g1, z))));
    gan_backward(ctx, loss);
    double diff = th_max_abs_diff(gan_net_grads(G), gref, ng);
    th_check(flags && all_zero(gan_net_grads(D), nd) && diff == 0,
             "frozen D: G grads unchanged, D grads zero", "G diff %.3g", diff);
    /* D alone on a constant input records nothing */
    gan_tensor *y = d_forward(ctx, &d, gan_randn(ctx, GAN_SHAPE(2, 4), 5, 1));
    th_check(!y->requires_grad && y->node == NULL, "frozen D on a constant input: no graph", "%s", "");

    /* input gradients through the frozen D, first and second order (WGAN-GP's path) */
    gan_tensor *x = gan_randn(ctx, GAN_SHAPE(5, 4), 5, 2);
    th_avoid_zero(x, 0.05f);
    gan_set_requires_grad(x, 1);
    frozen_d = &d;
    th_gradcheck("frozen D input grad", frozen_d_fn, 1, &x, NULL, 1e-3, 1e-2);
    th_gradcheck2("frozen D input grad", frozen_d_fn, 1, &x, NULL, 1e-3, 2e-2);
    th_check(all_zero(gan_net_grads(D), nd), "gan_grad through frozen D leaves its grads zero", "%s", "");

    gan_net_requires_grad(D, 1);
    gan_ctx_reset(ctx);
    z = gan_randn(ctx, GAN_SHAPE(6, 3), 5, 0);
    loss = gan_mean_all(ctx, d_forward(ctx, &d, gan_tanh(ctx, gan_linear_layer_forward(ctx, &g1, z))));
    gan_backward(ctx, loss);
    th_check(!all_zero(gan_net_grads(D), nd), "unfrozen again: D gets grads", "%s", "");
    free(gref);
    gan_net_free(G);
    gan_net_free(D);
    gan_ctx_free(ctx);
}

/* ---------------------------------------------------------------- layer forwards */

static void test_linear_forward(gan_ctx *ctx) {
    gan_net *net = gan_net_new("n");
    gan_linear_layer l = gan_linear_layer_init(net, "fc", 5, 3, 1);
    gan_net_finalize(net, 3);
    gan_tensor *x = gan_randn(ctx, GAN_SHAPE(4, 5), 9, 0);
    gan_tensor *y = gan_linear_layer_forward(ctx, &l, x);
    double err = 0;
    for (int n = 0; n < 4; n++)
        for (int o = 0; o < 3; o++) {
            double s = l.bias->data[o];
            for (int i = 0; i < 5; i++) s += (double)x->data[n * 5 + i] * l.weight->data[o * 5 + i];
            err = fmax(err, fabs(s - y->data[n * 3 + o]));
        }
    th_check(y->ndim == 2 && y->shape[0] == 4 && y->shape[1] == 3 && err < 1e-6,
             "linear layer = x W^T + b", "max abs %.3g", err);
    gan_net_free(net);
}

/* gan_backward adds a linear layer's weight gradient straight into the grad slot
 * (gan_grad_sink): a weight used twice in one pass, and again in a second pass, must end with
 * the sum of every term, as gan_grad (which never does that) computes them. */
static void test_grad_sink(gan_ctx *ctx) {
    gan_net *net = gan_net_new("n");
    gan_linear_layer l = gan_linear_layer_init(net, "fc", 6, 6, 1);
    gan_net_finalize(net, 11);
    gan_tensor *x = gan_randn(ctx, GAN_SHAPE(5, 6), 12, 0), *x2 = gan_randn(ctx, GAN_SHAPE(5, 6), 13, 0);
    /* loss = sum(tanh(fc(fc(x)))) + sum(fc(x2)): three uses of the weight over two passes */
    gan_tensor *w = l.weight, *want = NULL, *got[1];
    float ref[36];
    for (int i = 0; i < 36; i++) ref[i] = 0.0f;
    gan_tensor *loss1 = gan_sum_all(ctx, gan_tanh(ctx, gan_linear_layer_forward(ctx, &l, gan_linear_layer_forward(ctx, &l, x))));
    gan_tensor *loss2 = gan_sum_all(ctx, gan_linear_layer_forward(ctx, &l, x2));
    gan_tensor *losses[2] = {loss1, loss2};
    for (int k = 0; k < 2; k++) {
        want = w;
        gan_grad(ctx, 1, &losses[k], NULL, 1, &want, got, 0);
        for (int i = 0; i < 36; i++) ref[i] += got[0]->data[i];
    }
    gan_net_zero_grad(net);
    gan_backward(ctx, loss1);
    gan_backward(ctx, loss2);
    double err = 0, scale = 0;
    for (int i = 0; i < 36; i++) {
        err = fmax(err, fabs(w->grad[i] - ref[i]));
        scale = fmax(scale, fabs(ref[i]));
    }
    th_check(err <= 1e-6 * scale, "linear weight gradient summed into its slot (2 uses, 2 passes)",
             "max abs %.3g of %.3g", err, scale);
    gan_net_free(net);
}

/* Direct loops: conv2d as the definition, conv_transpose2d as the scatter it is. */
static void test_conv_forward(gan_ctx *ctx) {
    gan_net *net = gan_net_new("n");
    gan_conv_layer c = gan_conv2d_layer_init(net, "c", 3, 5, 4, 2, 1, 1);
    gan_conv_layer t = gan_conv_transpose2d_layer_init(net, "t", 5, 3, 3, 2, 1, 1, 1);
    gan_net_finalize(net, 4);
    int N = 2, C = 3, H = 8, OC = 5, K = 4, HO = 4;
    gan_tensor *x = gan_randn(ctx, GAN_SHAPE(2, 3, 8, 8), 9, 1);
    gan_tensor *y = gan_conv2d_layer_forward(ctx, &c, x);
    double err = 0;
    for (int n = 0; n < N; n++)
        for (int o = 0; o < OC; o++)
            for (int i = 0; i < HO; i++)
                for (int j = 0; j < HO; j++) {
                    double s = c.bias->data[o];
                    for (int ci = 0; ci < C; ci++)
                        for (int a = 0; a < K; a++)
                            for (int b = 0; b < K; b++) {
                                int hi = i * 2 - 1 + a, wj = j * 2 - 1 + b;
                                if (hi < 0 || hi >= H || wj < 0 || wj >= H) continue;
                                s += (double)x->data[((n * C + ci) * H + hi) * H + wj] *
                                     c.weight->data[((o * C + ci) * K + a) * K + b];
                            }
                    err = fmax(err, fabs(s - y->data[((n * OC + o) * HO + i) * HO + j]));
                }
    th_check(y->ndim == 4 && y->shape[0] == 2 && y->shape[1] == 5 && y->shape[2] == 4 &&
                 y->shape[3] == 4 && err < 1e-5,
             "conv2d layer (k4 s2 p1) vs direct loop", "max abs %.3g", err);

    /* (4-1)*2 - 2 + 3 + 1 = 8 */
    gan_tensor *u = gan_conv_transpose2d_layer_forward(ctx, &t, y);
    int UO = 8, KT = 3;
    double *ref = calloc((size_t)(N * C * UO * UO), sizeof(double));
    for (int n = 0; n < N; n++)
        for (int co = 0; co < C; co++)
            for (int p = 0; p < UO * UO; p++) ref[(n * C + co) * UO * UO + p] = t.bias->data[co];
    for (int n = 0; n < N; n++)
        for (int ci = 0; ci < OC; ci++)
            for (int i = 0; i < HO; i++)
                for (int j = 0; j < HO; j++)
                    for (int co = 0; co < C; co++)
                        for (int a = 0; a < KT; a++)
                            for (int b = 0; b < KT; b++) {
                                int oh = i * 2 - 1 + a, ow = j * 2 - 1 + b;
                                if (oh < 0 || oh >= UO || ow < 0 || ow >= UO) continue;
                                ref[((n * C + co) * UO + oh) * UO + ow] +=
                                    (double)y->data[((n * OC + ci) * HO + i) * HO + j] *
                                    t.weight->data[((ci * C + co) * KT + a) * KT + b];
                            }
    err = 0;
    for (int e = 0; e < N * C * UO * UO; e++) err = fmax(err, fabs(ref[e] - u->data[e]));
    free(ref);
    th_check(u->ndim == 4 && u->shape[0] == 2 && u->shape[1] == 3 && u->shape[2] == 8 &&
                 u->shape[3] == 8 && err < 1e-5,
             "conv_transpose2d layer (k3 s2 p1 op1) vs scatter loop", "max abs %.3g", err);
    gan_net_free(net);
}

static void test_bn_forward(gan_ctx *ctx) {
    gan_net *net = gan_net_new("n");
    gan_bn_layer bn = gan_batch_norm_layer_init(net, "bn", 3);
    gan_net_finalize(net, 5);
    for (int c = 0; c < 3; c++) {
        bn.weight->data[c] = 1.0f + 0.5f * (float)c;
        bn.bias->data[c] = 0.1f * (float)c - 0.1f;
    }
    int N = 4, C = 3, HW = 6;
    gan_tensor *x = gan_randn(ctx, GAN_SHAPE(4, 3, 2, 3), 9, 3);
    for (int64_t i = 0; i < x->numel; i++) x->data[i] = 2.0f * x->data[i] + 1.0f;
    gan_ctx_set_training(ctx, 1);
    gan_tensor *y = gan_batch_norm_layer_forward(ctx, &bn, x);
    double ey = 0, erm = 0, erv = 0;
    for (int c = 0; c < C; c++) {
        double s = 0, s2 = 0;
        for (int n = 0; n < N; n++)
            for (int p = 0; p < HW; p++) s += x->data[(n * C + c) * HW + p];
        double mean = s / (N * HW);
        for (int n = 0; n < N; n++)
            for (int p = 0; p < HW; p++) {
                double dx = x->data[(n * C + c) * HW + p] - mean;
                s2 += dx * dx;
            }
        double var = s2 / (N * HW);
        for (int n = 0; n < N; n++)
            for (int p = 0; p < HW; p++) {
                int i = (n * C + c) * HW + p;
                double want = (x->data[i] - mean) / sqrt(var + 1e-5) * bn.weight->data[c] + bn.bias->data[c];
                ey = fmax(ey, fabs(want - y->data[i]));
            }
        erm = fmax(erm, fabs(bn.running_mean->data[c] - 0.1 * mean));
        erv = fmax(erv, fabs(bn.running_var->data[c] - (0.9 + 0.1 * s2 / (N * HW - 1))));
    }
    th_check(gan_same_shape(x, y) && ey < 1e-5 && erm < 1e-6 && erv < 1e-6 &&
                 bn.num_batches_tracked->data[0] == 1.0f,
             "batch norm layer, training: batch stats, running stats, counter",
             "y %.3g rm %.3g rv %.3g", ey, erm, erv);

    gan_ctx_set_training(ctx, 0);
    gan_tensor *ye = gan_batch_norm_layer_forward(ctx, &bn, x);
    double ee = 0;
    for (int n = 0; n < N; n++)
        for (int c = 0; c < C; c++)
            for (int p = 0; p < HW; p++) {
                int i = (n * C + c) * HW + p;
                double want = (x->data[i] - bn.running_mean->data[c]) /
                                  sqrt(bn.running_var->data[c] + 1e-5) * bn.weight->data[c] +
                              bn.bias->data[c];
                ee = fmax(ee, fabs(want - ye->data[i]));
            }
    th_check(ee < 1e-5 && bn.num_batches_tracked->data[0] == 1.0f,
             "batch norm layer, eval: running stats, counter unchanged", "max abs %.3g", ee);
    gan_ctx_set_training(ctx, 1);
    gan_net_free(net);
}

/* ---------------------------------------------------------------- gradients through layers
 * in = {x, weight, bias}: the layer structs are rebuilt around the inputs the checker
 * perturbs. Outputs go through tanh/square so second derivatives are not trivially zero. */

typedef enum { L_LINEAR, L_CONV, L_CONVT, L_BN } layer_id;
static gan_bn_layer grad_bn;

static gan_tensor *layer_fn(gan_ctx *ctx, gan_tensor **in, void *ud) {
    switch ((layer_id)(intptr_t)ud) {
    case L_LINEAR: {
        gan_linear_layer l = {in[1], in[2]};
        return gan_tanh(ctx, gan_linear_layer_forward(ctx, &l, in[0]));
    }
    case L_CONV: {
        gan_conv_layer c = {in[1], in[2], 2, 1, 0};
        return gan_tanh(ctx, gan_conv2d_layer_forward(ctx, &c, in[0]));
    }
    case L_CONVT: {
        gan_conv_layer c = {in[1], in[2], 2, 1, 1};
        return gan_tanh(ctx, gan_conv_transpose2d_layer_forward(ctx, &c, in[0]));
    }
    case L_BN: {
        gan_bn_layer b = grad_bn;
        b.weight = in[1];
        b.bias = in[2];
        return gan_tanh(ctx, gan_batch_norm_layer_forward(ctx, &b, in[0]));
    }
    }
    return NULL;
}

static void test_layer_grads(gan_ctx *ctx) {
    gan_net *net = gan_net_new("n");
    gan_linear_layer l = gan_linear_layer_init(net, "fc", 4, 3, 1);
    gan_conv_layer c = gan_conv2d_layer_init(net, "c", 2, 3, 3, 2, 1, 1);
    gan_conv_layer t = gan_conv_transpose2d_layer_init(net, "t", 3, 2, 3, 2, 1, 1, 1);
    grad_bn = gan_batch_norm_layer_init(net, "bn", 2);
    gan_net_finalize(net, 6);
    for (int i = 0; i < 2; i++) {
        grad_bn.weight->data[i] = 0.7f + 0.6f * (float)i;
        grad_bn.bias->data[i] = 0.2f - 0.3f * (float)i;
    }
    struct { const char *name; layer_id id; gan_tensor *x, *w, *b; } cases[] = {
        {"linear layer", L_LINEAR, gan_randn(ctx, GAN_SHAPE(3, 4), 8, 0), l.weight, l.bias},
        {"conv2d layer", L_CONV, gan_randn(ctx, GAN_SHAPE(2, 2, 5, 5), 8, 1), c.weight, c.bias},
        {"conv_transpose2d layer", L_CONVT, gan_randn(ctx, GAN_SHAPE(2, 3, 3, 3), 8, 2), t.weight, t.bias},
        {"batch_norm layer", L_BN, gan_randn(ctx, GAN_SHAPE(3, 2, 2, 2), 8, 3), grad_bn.weight, grad_bn.bias},
    };
    gan_ctx_set_training(ctx, 1);
    for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
        gan_set_requires_grad(cases[k].x, 1);
        gan_tensor *in[3] = {cases[k].x, cases[k].w, cases[k].b};
        void *ud = (void *)(intptr_t)cases[k].id;
        th_gradcheck(cases[k].name, layer_fn, 3, in, ud, 1e-3, 1e-2);
        th_gradcheck2(cases[k].name, layer_fn, 3, in, ud, 1e-3, 2e-2);
    }
    th_check(all_zero(gan_net_grads(net), gan_net_num_params(net)),
             "gan_grad never writes the grad buffer", "%s", "");
    gan_net_free(net);
}

/* ---------------------------------------------------------------- end to end */

/* Solves A x = b (n <= 8) by Gaussian elimination with partial pivoting, in place. */
static void solve(int n, double A[8][8], double *b) {
    for (int k = 0; k < n; k++) {
        int p = k;
        for (int i = k + 1; i < n; i++)
            if (fabs(A[i][k]) > fabs(A[p][k])) p = i;
        for (int j = 0; j < n; j++) {
            double tmp = A[k][j];
            A[k][j] = A[p][j];
            A[p][j] = tmp;
        }
        double tb = b[k];
        b[k] = b[p];
        b[p] = tb;
        for (int i = k + 1; i < n; i++) {
            double f = A[i][k] / A[k][k];
            for (int j = k; j < n; j++) A[i][j] -= f * A[k][j];
            b[i] -= f * b[k];
        }
    }
    for (int k = n - 1; k >= 0; k--) {
        for (int j = k + 1; j < n; j++) b[k] -= A[k][j] * b[j];
        b[k] /= A[k][k];
    }
}

/* y = X w* + b* + noise; Adam on the MSE must reach the least-squares minimum, which the
 * normal equations give in closed form. */
static void test_regression(void) {
    enum { N = 256, D = 4, STEPS = 600 };
    gan_ctx *ctx = gan_ctx_new(0);
    float X[N * D], Y[N];
    const double wstar[D] = {1.5, -2.0, 0.5, 3.0}, bstar = 0.7;
    gan_philox_normal(X, N * D, 77, 0);
    gan_philox_normal(Y, N, 77, 1);
    for (int n = 0; n < N; n++) {
        double s = bstar + 0.1 * Y[n];
        for (int d = 0; d < D; d++) s += wstar[d] * X[n * D + d];
        Y[n] = (float)s;
    }
    /* closed form: [X 1]^T [X 1] beta = [X 1]^T y */
    double A[8][8] = {{0}}, rhs[8] = {0};
    for (int n = 0; n < N; n++) {
        double row[D + 1];
        for (int d = 0; d < D; d++) row[d] = X[n * D + d];
        row[D] = 1;
        for (int i = 0; i <= D; i++) {
            rhs[i] += row[i] * Y[n];
            for (int j = 0; j <= D; j++) A[i][j] += row[i] * row[j];
        }
    }
    solve(D + 1, A, rhs);
    double lmin = 0;
    for (int n = 0; n < N; n++) {
        double r = Y[n] - rhs[D];
        for (int d = 0; d < D; d++) r -= rhs[d] * X[n * D + d];
        lmin += r * r / N;
    }

    gan_net *net = gan_net_new("reg");
    gan_linear_layer l = gan_linear_layer_init(net, "fc", D, 1, 1);
    gan_net_finalize(net, 11);
    gan_adam opt = gan_adam_default(0.05f);
    double first = 0, last = 0;
    uint64_t allocs = 0;
    for (int s = 0; s < STEPS; s++) {
        if (s == 5) allocs = gan_alloc_count();
        gan_tensor *x = gan_from_data(ctx, GAN_SHAPE(N, D), X);
        gan_tensor *y = gan_from_data(ctx, GAN_SHAPE(N, 1), Y);
        gan_tensor *loss = gan_mean_all(ctx, gan_square(ctx, gan_sub(ctx, gan_linear_layer_forward(ctx, &l, x), y)));
        if (s == 0) first = loss->data[0];
        last = loss->data[0];
        gan_net_zero_grad(net);
        gan_backward(ctx, loss);
        gan_adam_step(&opt, net);
        gan_ctx_reset(ctx);
    }
    th_check(gan_alloc_count() == allocs, "training steps allocate nothing once warm", "%llu allocs",
             (unsigned long long)(gan_alloc_count() - allocs));
    double werr = fabs(l.bias->data[0] - rhs[D]);
    for (int d = 0; d < D; d++) werr = fmax(werr, fabs(l.weight->data[d] - rhs[d]));
    th_check(last <= lmin * 1.001 + 1e-6 && first > 10 * lmin && werr < 1e-3,
             "linear regression with Adam reaches least squares",
             "loss %.4g -> %.6g (closed form %.6g), |w - w_ls| %.3g", first, last, lmin, werr);
    gan_net_free(net);
    gan_ctx_free(ctx);
}

int main(void) {
    gan_ctx *ctx = gan_ctx_new(0);
    test_layout();
    test_init();
    test_freeze();
    test_linear_forward(ctx);
    test_grad_sink(ctx);
    test_conv_forward(ctx);
    test_bn_forward(ctx);
    test_layer_grads(ctx);
    test_regression();
    gan_ctx_free(ctx);
    return th_done("test_net");
}
