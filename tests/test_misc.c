/* test_misc.c — dropout and embedding: masks against the RNG draw and the keep-rate's
 * expectation, gathers/scatters against naive loops, gradients (first and second order)
 * against finite differences. */
#include "harness.h"
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static const int IDX[] = {4, 0, 4, 2, 1, 4, 0};
#define N_IDX 7
#define V 6

enum { F_DROPOUT, F_EMBED, F_SCATTER, F_EMBED_SCATTER };

/* position-dependent constant weights: a wrong row or mask would change the result */
static gan_tensor *weighted_tanh(gan_ctx *c, gan_tensor *y) {
    gan_tensor *w = gan_empty_like(c, y);
    for (int64_t i = 0; i < w->numel; i++) w->data[i] = 0.5f + 0.03f * (float)(i % 11);
    return gan_mul(c, gan_tanh(c, y), w);
}

static gan_tensor *f(gan_ctx *c, gan_tensor **in, void *ud) {
    switch ((int)(intptr_t)ud) {
    case F_DROPOUT: return weighted_tanh(c, gan_dropout(c, in[0], 0.4f, 5, 9));
    case F_EMBED: return weighted_tanh(c, gan_embedding(c, IDX, N_IDX, in[0]));
    case F_SCATTER: return weighted_tanh(c, gan_embedding_scatter(c, IDX, N_IDX, in[0], V));
    case F_EMBED_SCATTER: /* gather then scatter back: a repeated row's gradient sums */
        return weighted_tanh(c, gan_embedding_scatter(c, IDX, N_IDX,
                                                      gan_embedding(c, IDX, N_IDX, in[0]), V));
    }
    return NULL;
}

static gan_tensor *leaf(gan_ctx *ctx, int nd, const int *shape, uint64_t stream) {
    gan_tensor *t = gan_empty(ctx, nd, shape);
    th_fill_randn(t, stream, 1.0f);
    gan_set_requires_grad(t, 1);
    return t;
}

/* 1 when the child process aborts running the out-of-range embedding */
static int aborts_on_bad_index(int scatter) {
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        int devnull = open("/dev/null", O_WRONLY);
        if (devnull >= 0) dup2(devnull, 2);
        gan_ctx *c = gan_ctx_new(1 << 20);
        gan_tensor *w = gan_zeros(c, GAN_SHAPE(3, 2));
        int bad[] = {0, 3};
        if (scatter) gan_embedding_scatter(c, bad, 2, w, 3);
        else gan_embedding(c, bad, 2, w);
        _exit(0);
    }
    int st = 0;
    if (pid < 0 || waitpid(pid, &st, 0) != pid) return 0;
    return WIFSIGNALED(st) && WTERMSIG(st) == SIGABRT;
}

int main(void) {
    gan_ctx *ctx = gan_ctx_new(0);
    double w1 = 0, w2 = 0;

    /* ---------------------------------------------------------------- dropout */
    {
        gan_tensor *x = gan_randn(ctx, GAN_SHAPE(8, 9), 1, 1);
        gan_ctx_set_training(ctx, 0);
        gan_tensor *e = gan_dropout(ctx, x, 0.5f, 1, 2);
        gan_ctx_set_training(ctx, 1);
        gan_tensor *z = gan_dropout(ctx, x, 0.0f, 1, 2);
        th_check(e == x && z == x, "dropout identity in eval and at p=0", "%s", "");
        gan_tensor *all = gan_dropout(ctx, x, 1.0f, 1, 2);
        int zero = 1;
        for (int64_t i = 0; i < all->numel; i++) zero &= all->data[i] == 0.0f;
        th_check(zero, "dropout p=1 gives zeros", "%s", "");
    }
    {
        const int64_t n = 1 << 20;
        const float p = 0.3f;
        gan_tensor *ones = gan_full(ctx, GAN_SHAPE((int)n), 1.0f);
        gan_tensor *y = gan_dropout(ctx, ones, p, 42, 7);
        float *u = malloc(sizeof(float) * (size_t)n);
        gan_philox_uniform(u, n, 42, 7);
        float scale = 1.0f / (1.0f - p);
        int64_t kept = 0, bad = 0;
        double sum = 0;
        for (int64_t i = 0; i < n; i++) {
            float want = u[i] >= p ? scale : 0.0f;
            bad += y->data[i] != want;
            kept += y->data[i] != 0.0f;
            sum += y->data[i];
        }
        double frac = (double)kept / (double)n, mean = sum / (double)n;
        th_check(bad == 0, "dropout mask == (u >= p) / (1-p)", "%lld mismatches", (long long)bad);
        /* std of the kept fraction: sqrt(p(1-p)/n) = 4.5e-4; of the mean: 6.5e-4 */
        th_check(fabs(frac - (1 - p)) < 3e-3, "dropout keeps ~1-p", "kept %.5f want %.2f", frac, 1 - p);
        th_check(fabs(mean - 1.0) < 4e-3, "dropout preserves the mean", "mean %.5f", mean);
        gan_tensor *y2 = gan_dropout(ctx, ones, p, 42, 7), *y3 = gan_dropout(ctx, ones, p, 42, 8);
        th_check(!memcmp(y->data, y2->data, sizeof(float) * (size_t)n) &&
                     memcmp(y->data, y3->data, sizeof(float) * (size_t)n),
                 "dropout same seed same mask, other stream differs", "%s", "");
        int old = gan_get_threads();
        gan_set_threads(1);
        gan_tensor *t1 = gan_dropout(ctx, ones, p, 42, 7);
        gan_set_threads(old);
        th_check(!memcmp(y->data, t1->data, sizeof(float) * (size_t)n),
                 "dropout same mask on 1 thread", "%s", "");
        free(u);
    }
    {
        /* the gradient is the mask itself */
        gan_tensor *x = leaf(ctx, GAN_SHAPE(5, 40), 3);
        gan_tensor *y = gan_dropout(ctx, x, 0.25f, 8, 1), *g;
        gan_grad(ctx, 1, &y, NULL, 1, &x, &g, 0);
        float *u = malloc(sizeof(float) * 200);
        gan_philox_uniform(u, 200, 8, 1);
        int bad = 0;
        for (int i = 0; i < 200; i++) bad += g->data[i] != (u[i] >= 0.25f ? 1.0f / 0.75f : 0.0f);
        th_check(bad == 0, "dropout grad == mask", "%d mismatches", bad);
        free(u);
        gan_tensor *in[1] = {leaf(ctx, GAN_SHAPE(3, 7), 4)};
        w1 = fmax(w1, th_gradcheck("dropout p=0.4", f, 1, in, (void *)(intptr_t)F_DROPOUT, 1e-3, 2e-2));
        w2 = fmax(w2, th_gradcheck2("dropout p=0.4", f, 1, in, (void *)(intptr_t)F_DROPOUT, 1e-3, 3e-2));
    }

    /* ---------------------------------------------------------------- embedding */
    {
        gan_tensor *w = gan_randn(ctx, GAN_SHAPE(V, 3), 2, 2);
        gan_tensor *e = gan_embedding(ctx, IDX, N_IDX, w);
        int ok = e->ndim == 2 && e->shape[0] == N_IDX && e->shape[1] == 3;
        for (int i = 0; i < N_IDX && ok; i++)
            ok = !memcmp(e->data + i * 3, w->data + IDX[i] * 3, 3 * sizeof(float));
        th_check(ok, "embedding gathers rows", "%s", "");
        gan_tensor *g = gan_randn(ctx, GAN_SHAPE(N_IDX, 3), 3, 3);
        gan_tensor *s = gan_embedding_scatter(ctx, IDX, N_IDX, g, V);
        double err = s->shape[0] == V ? 0 : INFINITY;
        for (int v = 0; v < V && err == 0; v++)
            for (int d = 0; d < 3; d++) {
                double want = 0;
                for (int i = 0; i < N_IDX; i++)
                    if (IDX[i] == v) want += g->data[i * 3 + d];
                err = fmax(err, fabs(s->data[v * 3 + d] - want));
            }
        th_check(err < 1e-6, "embedding_scatter sums rows (unused rows 0)", "max_abs %.3g", err);
    }
    {
        /* big scatter: threaded; each row must equal the serial sum in index order, bit for bit */
        int n = 50000, Vb = 300, D = 16;
        int *idx = malloc(sizeof(int) * (size_t)n);
        float *u = malloc(sizeof(float) * (size_t)n);
        gan_philox_uniform(u, n, 9, 9);
        for (int i = 0; i < n; i++) idx[i] = (int)(u[i] * (float)Vb) % Vb;
        gan_tensor *g = gan_randn(ctx, GAN_SHAPE(n, D), 4, 4);
        gan_tensor *s = gan_embedding_scatter(ctx, idx, n, g, Vb);
        float *want = calloc((size_t)Vb * D, sizeof(float));
        for (int i = 0; i < n; i++)
            for (int d = 0; d < D; d++) want[idx[i] * D + d] += g->data[(int64_t)i * D + d];
        th_check(!memcmp(s->data, want, sizeof(float) * (size_t)Vb * D),
                 "embedding_scatter big == serial order, bitwise", "%s", "");
        gan_tensor *e = gan_embedding(ctx, idx, n, s);
        int ok = 1;
        for (int i = 0; i < n && ok; i += 97) ok = !memcmp(e->data + (int64_t)i * D, s->data + idx[i] * D, sizeof(float) * D);
        th_check(ok, "embedding big gathers rows", "%s", "");
        free(want);
        free(u);
        free(idx);
    }
    {
        /* the indices are copied: the caller may reuse its array before backward */
        int idx[3] = {2, 0, 2};
        gan_tensor *w = leaf(ctx, GAN_SHAPE(3, 2), 5);
        gan_tensor *y = gan_embedding(ctx, idx, 3, w), *g;
        idx[0] = idx[1] = idx[2] = 1;
        gan_grad(ctx, 1, &y, NULL, 1, &w, &g, 0);
        float want[] = {1, 1, 0, 0, 2, 2};
        th_check(!memcmp(g->data, want, sizeof want), "embedding keeps its own index copy",
                 "grad rows %g %g %g", g->data[0], g->data[2], g->data[4]);
    }
    th_check(aborts_on_bad_index(0), "embedding asserts index range", "%s", "");
    th_check(aborts_on_bad_index(1), "embedding_scatter asserts index range", "%s", "");
    {
        gan_tensor *in[1] = {leaf(ctx, GAN_SHAPE(V, 3), 6)};
        w1 = fmax(w1, th_gradcheck("embedding", f, 1, in, (void *)(intptr_t)F_EMBED, 1e-3, 2e-2));
        w2 = fmax(w2, th_gradcheck2("embedding", f, 1, in, (void *)(intptr_t)F_EMBED, 1e-3, 3e-2));
        w1 = fmax(w1, th_gradcheck("embedding then scatter", f, 1, in, (void *)(intptr_t)F_EMBED_SCATTER, 1e-3, 2e-2));
        w2 = fmax(w2, th_gradcheck2("embedding then scatter", f, 1, in, (void *)(intptr_t)F_EMBED_SCATTER, 1e-3, 3e-2));
        in[0] = leaf(ctx, GAN_SHAPE(N_IDX, 3), 7);
        w1 = fmax(w1, th_gradcheck("embedding_scatter", f, 1, in, (void *)(intptr_t)F_SCATTER, 1e-3, 2e-2));
        w2 = fmax(w2, th_gradcheck2("embedding_scatter", f, 1, in, (void *)(intptr_t)F_SCATTER, 1e-3, 3e-2));
    }
    printf("worst relative error: first order %.3g, second order %.3g\n", w1, w2);
    gan_ctx_free(ctx);
    return th_done("test_misc");
}
