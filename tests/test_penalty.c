/* test_penalty.c — WGAN-GP and R1.
 *  - closed forms on a linear D(x) = w.x + b, where grad_x D = w: GP = (||w|| - 1)^2 and
 *    R1 = ||w||^2 whatever the data, with gradients 2(||w|| - 1) w / ||w|| and 2w;
 *  - the zero-gradient guard (w = 0: GP = 1, finite zero gradient);
 *  - PyTorch parity (tests/fixtures/gan.bin) of the penalties and of their gradients with respect
 *    to every parameter of an MLP D and a small conv D, eps taken from the fixture;
 *  - d(penalty)/d(theta) from gan_backward (through the double-backward graph, into the net's
 *    grad buffer) against central finite differences over every parameter of a conv D;
 *  - gan_grad's pruning: asking only for d D(x)/dx gives the same bits (input gradient, penalty,
 *    parameter gradients) as the full traversal, obtained by also requesting every parameter,
 *    while recording fewer nodes and using less arena. */
#include "harness.h"
#include "internal.h"   /* gan_node: counting the recorded graph */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FIX "tests/fixtures/gan.bin"

enum { D_LINEAR, D_MLP, D_CONV };

typedef struct dnet {
    gan_net *net;
    int kind;
    int smooth;                    /* tanh instead of leaky_relu: no kinks for finite diffs */
    gan_linear_layer fc1, fc2;
    gan_conv_layer c1, c2;
    uint64_t signs;                /* hash of the leaky_relu masks seen since the last reset */
} dnet;

static gan_tensor *act(gan_ctx *ctx, dnet *d, gan_tensor *h) {
    if (d->smooth) return gan_tanh(ctx, h);
    for (int64_t i = 0; i < h->numel; i++)
        d->signs = (d->signs ^ (uint64_t)(h->data[i] > 0)) * 1099511628211ull;
    return gan_leaky_relu(ctx, h, 0.2f);
}

// x (N, 8) or (N, 2, 8, 8) -> scores (N, 1)
static gan_tensor *d_forward(gan_ctx *ctx, void *ud, gan_tensor *x) {
    dnet *d = ud;
    switch (d->kind) {
    case D_LINEAR:
        return gan_linear_layer_forward(ctx, &d->fc1, x);
    case D_MLP:
        return gan_linear_layer_forward(ctx, &d->fc2, act(ctx, d, gan_linear_layer_forward(ctx, &d->fc1, x)));
    default: {
        gan_tensor *h = act(ctx, d, gan_conv2d_layer_forward(ctx, &d->c1, x));
        h = act(ctx, d, gan_conv2d_layer_forward(ctx, &d->c2, h));
        h = gan_reshape(ctx, h, GAN_SHAPE(h->shape[0], -1));
        return gan_linear_layer_forward(ctx, &d->fc1, h);
    }
    }
}

static dnet make_d(int kind) {
    dnet d = {0};
    d.kind = kind;
    d.net = gan_net_new("D");
    if (kind == D_LINEAR) {
        d.fc1 = gan_linear_layer_init(d.net, "fc", 8, 1, 1);
    } else if (kind == D_MLP) {
        d.fc1 = gan_linear_layer_init(d.net, "fc1", 8, 16, 1);
        d.fc2 = gan_linear_layer_init(d.net, "fc2", 16, 1, 1);
    } else {
        d.c1 = gan_conv2d_layer_init(d.net, "c1", 2, 4, 3, 1, 1, 1);
        d.c2 = gan_conv2d_layer_init(d.net, "c2", 4, 4, 3, 2, 1, 1);
        d.fc1 = gan_linear_layer_init(d.net, "fc", 64, 1, 1);
    }
    gan_net_finalize(d.net, 99);
    return d;
}

static void load_d(dnet *d, th_fixture *f, const char *prefix, gan_ctx *ctx) {
    char nm[128];
    for (int i = 0; i < gan_net_num_tensors(d->net); i++) {
        gan_tensor *t = gan_net_tensor(d->net, i);
        snprintf(nm, sizeof nm, "%s.%s", prefix, t->name);
        gan_tensor *src = th_fixture_get(f, ctx, nm);
        GAN_ASSERT(src->numel == t->numel);
        memcpy(t->data, src->data, sizeof(float) * (size_t)t->numel);
    }
}

enum { P_GP_EPS, P_GP_SEED, P_R1 };
#define SEED 2024
#define STREAM 7

static gan_tensor *penalty(gan_ctx *ctx, dnet *d, int which, gan_tensor *real, gan_tensor *fake,
                           gan_tensor *eps) {
    switch (which) {
    case P_GP_EPS: return gan_gradient_penalty_eps(ctx, d_forward, d, real, fake, eps);
    case P_GP_SEED: return gan_gradient_penalty(ctx, d_forward, d, real, fake, SEED, STREAM);
    default: return gan_r1_penalty(ctx, d_forward, d, real);
    }
}

/* Analytic gradient (gan_backward into the grad buffer) against central differences of the
 * penalty over every parameter. With leaky_relu a step may flip a mask, where the penalty
 * jumps (its input gradient is piecewise constant in the masks): such parameters are skipped
 * and counted, and at most 5% may be. */
static void fd_check(const char *label, dnet *d, int which, gan_tensor *real, gan_tensor *fake,
                     gan_tensor *eps, double h, double tol) {
    gan_ctx *ctx = gan_ctx_new(0);
    int64_t n = gan_net_num_params(d->net);
    float *w = gan_net_weights(d->net);
    float *ana = malloc(sizeof(float) * (size_t)n), *num = malloc(sizeof(float) * (size_t)n);
    gan_net_zero_grad(d->net);
    d->signs = 0;
    gan_tensor *p = penalty(ctx, d, which, real, fake, eps);
    uint64_t s0 = d->signs;
    gan_backward(ctx, p);
    memcpy(ana, gan_net_grads(d->net), sizeof(float) * (size_t)n);
    int skipped = 0;
    for (int64_t i = 0; i < n; i++) {
        float w0 = w[i];
        double v[2];
        uint64_t s[2];
        for (int k = 0; k < 2; k++) {
            gan_ctx_reset(ctx);
            w[i] = w0 + (float)(k ? -h : h);
            d->signs = 0;
            v[k] = penalty(ctx, d, which, real, fake, eps)->data[0];
            s[k] = d->signs;
        }
        w[i] = w0;
        if (s[0] != s0 || s[1] != s0) {
            skipped++;
            num[i] = ana[i];
        } else {
            num[i] = (float)((v[0] - v[1]) / (2 * h));
        }
    }
    double rel = th_rel_err(ana, num, n, 1e-3), ab = th_max_abs_diff(ana, num, n);
    int finite = 1;
    for (int64_t i = 0; i < n; i++) finite &= isfinite(ana[i]);
    th_check(finite && rel <= tol && skipped * 20 <= n, label,
             "%lld params: max_abs %.3g rel %.3g (tol %.1g), %d skipped at kinks", (long long)n,
             ab, rel, tol, skipped);
    free(ana);
    free(num);
    gan_ctx_free(ctx);
}

/* linear D: closed forms */
static void test_linear(void) {
    gan_ctx *ctx = gan_ctx_new(0);
    dnet d = make_d(D_LINEAR);
    float *w = d.fc1.weight->data;
    gan_philox_normal(w, 8, 5, 1);
    double nw = 0;
    for (int i = 0; i < 8; i++) nw += (double)w[i] * w[i];
    nw = sqrt(nw);
    gan_tensor *real = gan_randn(ctx, GAN_SHAPE(5, 8), 6, 1), *fake = gan_randn(ctx, GAN_SHAPE(5, 8), 6, 2);

    gan_net_zero_grad(d.net);
    gan_tensor *gp = gan_gradient_penalty(ctx, d_forward, &d, real, fake, 1, 2);
    double want = (nw - 1) * (nw - 1);
    th_check(fabs(gp->data[0] - want) <= 1e-6 * want, "gp linear D = (||w||-1)^2",
             "got %.8g want %.8g (||w|| = %.4f)", gp->data[0], want, nw);
    gan_backward(ctx, gp);
    float gw[8];
    for (int i = 0; i < 8; i++) gw[i] = (float)(2 * (nw - 1) * w[i] / nw);
    double e = th_rel_err(d.fc1.weight->grad, gw, 8, 1e-6);
    th_check(e <= 1e-5 && d.fc1.bias->grad[0] == 0.0f, "gp linear D gradient (closed form)",
             "rel %.3g, bias grad %g", e, d.fc1.bias->grad[0]);

    gan_net_zero_grad(d.net);
    gan_tensor *r1 = gan_r1_penalty(ctx, d_forward, &d, real);
    th_check(fabs(r1->data[0] - nw * nw) <= 1e-6 * nw * nw, "r1 linear D = ||w||^2",
             "got %.8g want %.8g", r1->data[0], nw * nw);
    gan_backward(ctx, r1);
    for (int i = 0; i < 8; i++) gw[i] = 2 * w[i];
    e = th_rel_err(d.fc1.weight->grad, gw, 8, 1e-6);
    th_check(e <= 1e-6, "r1 linear D gradient = 2w", "rel %.3g", e);

    /* grad mode off outside: the penalty still gets its graph, and the flag is restored */
    gan_ctx_set_grad(ctx, 0);
    gan_tensor *gp2 = gan_gradient_penalty(ctx, d_forward, &d, real, fake, 1, 2);
    th_check(gp2->data[0] == gp->data[0] && gp2->requires_grad && !gan_ctx_grad_enabled(ctx),
             "gp with grad mode off", "%g", gp2->data[0]);
    gan_ctx_set_grad(ctx, 1);

    /* w = 0: every input gradient is exactly zero; GP = 1 and its gradient must be finite
     * (PyTorch's norm subgradient at 0 is 0), not 0 * inf = NaN */
    memset(w, 0, 8 * sizeof(float));
    gan_net_zero_grad(d.net);
    gp = gan_gradient_penalty(ctx, d_forward, &d, real, fake, 1, 2);
    gan_backward(ctx, gp);
    int ok = gp->data[0] == 1.0f;
    for (int i = 0; i < 8; i++) ok &= d.fc1.weight->grad[i] == 0.0f;
    th_check(ok, "gp at a zero input gradient", "gp %g, grad[0] %g", gp->data[0],
             d.fc1.weight->grad[0]);
    gan_net_free(d.net);
    gan_ctx_free(ctx);
}

static void compare_grads(th_fixture *f, dnet *d, const char *prefix, double tol) {
    char nm[128];
    for (int i = 0; i < gan_net_num_tensors(d->net); i++) {
        if (gan_net_tensor_is_buffer(d->net, i)) continue;
        gan_tensor *t = gan_net_tensor(d->net, i);
        snprintf(nm, sizeof nm, "%s.%s", prefix, t->name);
        th_fixture_compare(f, nm, t->grad, t->numel, tol);
    }
}

static void test_parity(th_fixture *f) {
    gan_ctx *ctx = gan_ctx_new(0);
    const char *pre[2] = {"gpm", "gpc"};
    int kinds[2] = {D_MLP, D_CONV};
    char nm[64];
    for (int m = 0; m < 2; m++) {
        gan_ctx_reset(ctx);
        dnet d = make_d(kinds[m]);
        load_d(&d, f, pre[m], ctx);
        snprintf(nm, sizeof nm, "%s.real", pre[m]);
        gan_tensor *real = th_fixture_get(f, ctx, nm);
        snprintf(nm, sizeof nm, "%s.fake", pre[m]);
        gan_tensor *fake = th_fixture_get(f, ctx, nm);
        snprintf(nm, sizeof nm, "%s.eps", pre[m]);
        gan_tensor *eps = th_fixture_get(f, ctx, nm);

        gan_net_zero_grad(d.net);
        gan_tensor *gp = penalty(ctx, &d, P_GP_EPS, real, fake, eps);
        snprintf(nm, sizeof nm, "%s.gp", pre[m]);
        th_fixture_compare(f, nm, gp->data, 1, 1e-4);
        gan_backward(ctx, gp);
        snprintf(nm, sizeof nm, "%s.gp.g", pre[m]);
        compare_grads(f, &d, nm, 1e-4);

        if (kinds[m] == D_CONV) {
            gan_net_zero_grad(d.net);
            gan_tensor *r1 = penalty(ctx, &d, P_R1, real, fake, eps);
            th_fixture_compare(f, "gpc.r1", r1->data, 1, 1e-4);
            gan_backward(ctx, r1);
            compare_grads(f, &d, "gpc.r1.g", 1e-4);

            /* finite differences over every parameter, leaky_relu D (kinks skipped; a small
             * step keeps them few) and the same D with tanh (smooth, so second-order terms
             * through the activation count too) */
            fd_check("gp conv D (leaky) d/dtheta vs FD", &d, P_GP_EPS, real, fake, eps, 2e-4, 1e-2);
            fd_check("r1 conv D (leaky) d/dtheta vs FD", &d, P_R1, real, fake, eps, 2e-4, 1e-2);
            d.smooth = 1;
            fd_check("gp conv D (tanh, seeded eps) vs FD", &d, P_GP_SEED, real, fake, eps, 1e-3, 1e-2);
            fd_check("r1 conv D (tanh) d/dtheta vs FD", &d, P_R1, real, fake, eps, 1e-3, 1e-2);
        } else {
            fd_check("gp mlp D (leaky) d/dtheta vs FD", &d, P_GP_EPS, real, fake, eps, 2e-4, 1e-2);
        }
        gan_net_free(d.net);
    }
    gan_ctx_free(ctx);
}

/* Nodes reachable from ts[0..k) (depth-first, the tensors' visit marks as the visited set):
 * the graph gan_grad built for its results. */
static int count_nodes(gan_ctx *ctx, int k, gan_tensor **ts) {
    uint32_t gen = gan_ctx_next_visit(ctx);
    int n = 0, sp = 0, cap = 1 << 16;
    gan_tensor **stack = malloc(sizeof *stack * (size_t)cap);
    for (int i = 0; i < k; i++)
        if (ts[i]->visit != gen) {
            ts[i]->visit = gen;
            stack[sp++] = ts[i];
        }
    while (sp) {
        gan_node *nd = stack[--sp]->node;
        if (!nd) continue;
        n++;
        for (int j = 0; j < nd->n_in; j++) {
            gan_tensor *c = nd->in[j];
            if (!c || c->visit == gen) continue;
            c->visit = gen;
            GAN_ASSERT(sp < cap);
            stack[sp++] = c;
        }
    }
    free(stack);
    return n;
}

typedef struct { gan_tensor *g, *p; size_t bytes; int nodes; float *theta_grad; } gp_run;

/* A GP-shaped loss mean((||grad_x D(x)|| - 1)^2), backpropagated into D's grad buffer. With
 * `full`, gan_grad is also asked for every parameter's gradient, which makes it visit and
 * differentiate the whole graph as it did before pruning. */
static gp_run gp_once(gan_ctx *ctx, dnet *d, gan_tensor *x0, int full) {
    gp_run r = {0};
    gan_net_zero_grad(d->net);
    gan_tensor *x = gan_detach(ctx, x0);
    gan_set_requires_grad(x, 1);
    gan_tensor *scores = d_forward(ctx, d, x);
    gan_tensor *want[16] = {x}, *got[16];
    int n_want = 1;
    for (int i = 0; full && i < gan_net_num_tensors(d->net); i++)
        if (!gan_net_tensor_is_buffer(d->net, i)) want[n_want++] = gan_net_tensor(d->net, i);
    size_t u0 = gan_ctx_used(ctx);
    gan_grad(ctx, 1, &scores, NULL, n_want, want, got, 1);
    r.bytes = gan_ctx_used(ctx) - u0;
    r.g = got[0];
    /* the graph built: the results and whatever gradient the parameters were left holding
     * (an unpruned pass builds their gradients even when they are not asked for) */
    int k = n_want;
    for (int i = 0; i < gan_net_num_tensors(d->net); i++)
        if (gan_net_tensor(d->net, i)->acc && k < 16) got[k++] = gan_net_tensor(d->net, i)->acc;
    r.nodes = count_nodes(ctx, k, got);
    gan_tensor *s = gan_sum(ctx, gan_square(ctx, r.g), GAN_AXIS(1) | GAN_AXIS(2) | GAN_AXIS(3), 0);
    r.p = gan_mean_all(ctx, gan_square(ctx, gan_add_scalar(ctx, gan_sqrt(ctx, s), -1.0f)));
    gan_backward(ctx, r.p);
    int64_t n = gan_net_num_params(d->net);
    r.theta_grad = malloc(sizeof(float) * (size_t)n);
    memcpy(r.theta_grad, gan_net_grads(d->net), sizeof(float) * (size_t)n);
    return r;
}

static void test_pruning(void) {
    dnet d = make_d(D_CONV);
    gan_ctx *ctx = gan_ctx_new(0);
    gan_tensor *x = gan_randn(ctx, GAN_SHAPE(6, 2, 8, 8), 31, 1);
    int64_t n = gan_net_num_params(d.net);
    gp_run a = gp_once(ctx, &d, x, 0), b = gp_once(ctx, &d, x, 1);
    int same = !memcmp(a.g->data, b.g->data, sizeof(float) * (size_t)a.g->numel) &&
               a.p->data[0] == b.p->data[0] &&
               !memcmp(a.theta_grad, b.theta_grad, sizeof(float) * (size_t)n);
    th_check(same, "gp pruned gan_grad == full traversal (bits)",
             "grad_x, penalty %.9g and %lld parameter gradients", a.p->data[0], (long long)n);
    th_check(a.nodes < b.nodes && a.bytes < b.bytes, "gp pruned gan_grad records less",
             "nodes %d vs %d, arena %zu vs %zu bytes", a.nodes, b.nodes, a.bytes, b.bytes);
    free(a.theta_grad);
    free(b.theta_grad);
    gan_ctx_free(ctx);
    gan_net_free(d.net);
}

int main(void) {
    test_linear();
    test_pruning();
    th_fixture *f = th_fixture_load(FIX);
    if (f) test_parity(f);
    th_fixture_free(f);
    return th_done("test_penalty");
}
