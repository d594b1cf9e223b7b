/* harness.c — see harness.h */
#include "harness.h"
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

int th_passed, th_failed;

int th_check(int ok, const char *name, const char *fmt, ...) {
    printf("%s %-40s ", ok ? "PASS" : "FAIL", name);
    va_list ap;
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
    fflush(stdout);
    if (ok) th_passed++;
    else th_failed++;
    return ok;
}

int th_done(const char *prog) {
    printf("%s: %d passed, %d failed\n", prog, th_passed, th_failed);
    return th_failed ? 1 : 0;
}

double th_max_abs_diff(const float *a, const float *b, int64_t n) {
    double m = 0;
    for (int64_t i = 0; i < n; i++) {
        double d = fabs((double)a[i] - b[i]);
        if (d > m || d != d) m = d;
    }
    return m;
}

double th_rel_err(const float *a, const float *b, int64_t n, double floor) {
    double mb = 0;
    for (int64_t i = 0; i < n; i++) mb = fmax(mb, fabs(b[i]));
    return th_max_abs_diff(a, b, n) / fmax(mb, floor);
}

void th_fill_randn(gan_tensor *t, uint64_t stream, float scale) {
    gan_philox_normal(t->data, t->numel, 424242, stream);
    for (int64_t i = 0; i < t->numel; i++) t->data[i] *= scale;
}

void th_avoid_zero(gan_tensor *t, float margin) {
    for (int64_t i = 0; i < t->numel; i++) {
        float x = t->data[i];
        if (fabsf(x) < margin) t->data[i] = x < 0 ? x - margin : x + margin;
    }
}

/* sum(f(in) * w) in double, no graph */
static double project(gan_ctx *ctx, th_fn f, gan_tensor **in, void *ud, const float *w) {
    int old = gan_ctx_set_grad(ctx, 0);
    gan_tensor *y = f(ctx, in, ud);
    gan_ctx_set_grad(ctx, old);
    double s = 0;
    for (int64_t i = 0; i < y->numel; i++) s += (double)y->data[i] * w[i];
    return s;
}

static float *weights_for(gan_ctx *ctx, th_fn f, gan_tensor **in, void *ud, int64_t *n) {
    int old = gan_ctx_set_grad(ctx, 0);
    gan_tensor *y = f(ctx, in, ud);
    gan_ctx_set_grad(ctx, old);
    float *w = malloc(sizeof(float) * (size_t)y->numel);
    gan_philox_normal(w, y->numel, 777, 1);
    *n = y->numel;
    return w;
}

static double compare(const char *name, const char *what, int i, const float *ana,
                      const float *num, int64_t n, double tol) {
    double err = th_rel_err(ana, num, n, 1e-2);
    double abs_err = th_max_abs_diff(ana, num, n);
    char label[96];
    snprintf(label, sizeof label, "%s %s[in%d]", name, what, i);
    th_check(err <= tol, label, "max_abs %.3g rel %.3g (tol %.1g)", abs_err, err, tol);
    return err;
}

double th_gradcheck(const char *name, th_fn f, int n_in, gan_tensor **in, void *ud,
                    double eps, double tol) {
    gan_ctx *ctx = gan_ctx_new(16u << 20);
    int64_t ny;
    float *w = weights_for(ctx, f, in, ud, &ny);
    gan_tensor *y = f(ctx, in, ud);
    gan_tensor *wt = gan_from_data(ctx, y->ndim, y->shape, w);
    gan_tensor *grads[8];
    gan_grad(ctx, 1, &y, &wt, n_in, in, grads, 0);
    double worst = 0;
    for (int i = 0; i < n_in; i++) {
        if (!in[i]->requires_grad) continue;
        float *num = malloc(sizeof(float) * (size_t)in[i]->numel);
        for (int64_t e = 0; e < in[i]->numel; e++) {
            float x0 = in[i]->data[e];
            gan_ctx_reset(ctx);
            in[i]->data[e] = x0 + (float)eps;
            double fp = project(ctx, f, in, ud, w);
            in[i]->data[e] = x0 - (float)eps;
            double fm = project(ctx, f, in, ud, w);
            in[i]->data[e] = x0;
            num[e] = (float)((fp - fm) / (2 * eps));
        }
        worst = fmax(worst, compare(name, "grad", i, grads[i]->data, num, in[i]->numel, tol));
        free(num);
    }
    free(w);
    gan_ctx_free(ctx);
    return worst;
}

/* h = sum_i sum(g_i^2), g = d(sum(f*w))/d(in); first-order only (for finite differences) */
static double grad_norm2(gan_ctx *ctx, th_fn f, int n_in, gan_tensor **in, void *ud,
                         const float *w) {
    gan_tensor *y = f(ctx, in, ud);
    gan_tensor *wt = gan_from_data(ctx, y->ndim, y->shape, w);
    gan_tensor *grads[8];
    gan_grad(ctx, 1, &y, &wt, n_in, in, grads, 0);
    double h = 0;
    for (int i = 0; i < n_in; i++) {
        if (!in[i]->requires_grad) continue;
        for (int64_t e = 0; e < grads[i]->numel; e++) h += (double)grads[i]->data[e] * grads[i]->data[e];
    }
    return h;
}

double th_gradcheck2(const char *name, th_fn f, int n_in, gan_tensor **in, void *ud,
                     double eps, double tol) {
    gan_ctx *ctx = gan_ctx_new(16u << 20);
    int64_t ny;
    float *w = weights_for(ctx, f, in, ud, &ny);
    gan_tensor *y = f(ctx, in, ud);
    gan_tensor *wt = gan_from_data(ctx, y->ndim, y->shape, w);
    gan_tensor *g1[8], *g2[8];
    gan_grad(ctx, 1, &y, &wt, n_in, in, g1, 1);
    gan_tensor *h = NULL;
    for (int i = 0; i < n_in; i++) {
        if (!in[i]->requires_grad) continue;
        gan_tensor *s = gan_sum_all(ctx, gan_square(ctx, g1[i]));
        h = h ? gan_add(ctx, h, s) : s;
    }
    double worst = 0;
    if (!h->requires_grad) {
        /* f is linear in all inputs: the second derivative is zero everywhere */
        for (int i = 0; i < n_in; i++) g2[i] = gan_zeros_like(ctx, in[i]);
    } else {
        gan_grad(ctx, 1, &h, NULL, n_in, in, g2, 0);
    }
    for (int i = 0; i < n_in; i++) {
        if (!in[i]->requires_grad) continue;
        float *num = malloc(sizeof(float) * (size_t)in[i]->numel);
        float *ana = malloc(sizeof(float) * (size_t)in[i]->numel);
        memcpy(ana, g2[i]->data, sizeof(float) * (size_t)in[i]->numel);
        gan_ctx *scratch = gan_ctx_new(16u << 20);
        for (int64_t e = 0; e < in[i]->numel; e++) {
            float x0 = in[i]->data[e];
            gan_ctx_reset(scratch);
            in[i]->data[e] = x0 + (float)eps;
            double hp = grad_norm2(scratch, f, n_in, in, ud, w);
            gan_ctx_reset(scratch);
            in[i]->data[e] = x0 - (float)eps;
            double hm = grad_norm2(scratch, f, n_in, in, ud, w);
            in[i]->data[e] = x0;
            num[e] = (float)((hp - hm) / (2 * eps));
        }
        gan_ctx_free(scratch);
        worst = fmax(worst, compare(name, "grad2", i, ana, num, in[i]->numel, tol));
        free(num);
        free(ana);
    }
    free(w);
    gan_ctx_free(ctx);
    return worst;
}

/* ---------------------------------------------------------------- fixtures */

typedef struct fx_entry {
    char name[128];
    int ndim, shape[GAN_MAX_DIMS];
    int64_t numel;
    float *data;
} fx_entry;

struct th_fixture {
    int n;
    fx_entry *e;
};

th_fixture *th_fixture_load(const char *path) {
    FILE *fp = fopen(path, "rb");
    if (!fp) {
        th_check(0, path, "fixture missing (regenerate with tests/fixtures/make_fixtures.py)");
        return NULL;
    }
    char magic[8];
    if (fread(magic, 1, 8, fp) != 8 || memcmp(magic, "GANFIX1\n", 8)) {
        th_check(0, path, "bad fixture magic");
        fclose(fp);
        return NULL;
    }
    th_fixture *f = calloc(1, sizeof *f);
    int cap = 0;
    for (;;) {
        uint32_t len;
        if (fread(&len, 4, 1, fp) != 1) break;
        if (f->n == cap) {
            cap = cap ? cap * 2 : 16;
            f->e = realloc(f->e, sizeof(fx_entry) * (size_t)cap);
        }
        fx_entry *e = &f->e[f->n];
        memset(e, 0, sizeof *e);
        uint32_t nd;
        if (len >= sizeof e->name || fread(e->name, 1, len, fp) != len ||
            fread(&nd, 4, 1, fp) != 1 || nd > GAN_MAX_DIMS) break;
        e->ndim = (int)nd;
        e->numel = 1;
        for (uint32_t d = 0; d < nd; d++) {
            uint32_t s;
            if (fread(&s, 4, 1, fp) != 1) goto done;
            e->shape[d] = (int)s;
            e->numel *= s;
        }
        if (nd == 0) { e->ndim = 1; e->shape[0] = 1; }
        e->data = malloc(sizeof(float) * (size_t)(e->numel ? e->numel : 1));
        if (fread(e->data, sizeof(float), (size_t)e->numel, fp) != (size_t)e->numel) {
            free(e->data);
            break;
        }
        f->n++;
    }
done:
    fclose(fp);
    return f;
}

static fx_entry *fx_find(th_fixture *f, const char *name) {
    for (int i = 0; i < f->n; i++)
        if (!strcmp(f->e[i].name, name)) return &f->e[i];
    return NULL;
}

int th_fixture_has(th_fixture *f, const char *name) { return fx_find(f, name) != NULL; }

gan_tensor *th_fixture_get(th_fixture *f, gan_ctx *ctx, const char *name) {
    fx_entry *e = fx_find(f, name);
    if (!e) fprintf(stderr, "fixture has no tensor '%s'\n", name);
    GAN_ASSERT(e);
    return gan_from_data(ctx, e->ndim, e->shape, e->data);
}

void th_fixture_free(th_fixture *f) {
    if (!f) return;
    for (int i = 0; i < f->n; i++) free(f->e[i].data);
    free(f->e);
    free(f);
}

int th_fixture_compare(th_fixture *f, const char *name, const float *got, int64_t n, double tol) {
    fx_entry *e = fx_find(f, name);
    if (!e) return th_check(0, name, "not in fixture");
    if (e->numel != n) return th_check(0, name, "size %lld, fixture has %lld", (long long)n, (long long)e->numel);
    double ab = th_max_abs_diff(got, e->data, n), rel = th_rel_err(got, e->data, n, 1e-6);
    return th_check(rel <= tol, name, "max_abs %.3g rel %.3g (tol %.1g)", ab, rel, tol);
}

/* ---------------------------------------------------------------- CLI tests */

int th_gan_find(const char *argv0, char *bin, size_t n) {
    snprintf(bin, n, "%s", argv0);
    char *slash = strrchr(bin, '/');
    if (slash) *slash = 0;
    else snprintf(bin, n, ".");
    strncat(bin, "/../gan", n - strlen(bin) - 1);
    return th_exists(bin);
}

int th_exists(const char *path) {
    struct stat st;
    return stat(path, &st) == 0;
}

int th_run_gan(const char *bin, const char *tmp, char *err, size_t n, const char *fmt, ...) {
    char args[8192], cmd[16384], p[1024], line[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(args, sizeof args, fmt, ap);
    va_end(ap);
    snprintf(cmd, sizeof cmd, "%s %s 2>%s/err.txt >%s/out.txt", bin, args, tmp, tmp);
    int st = system(cmd);
    if (err) {
        snprintf(p, sizeof p, "%s/err.txt", tmp);
        FILE *f = fopen(p, "r");
        err[0] = 0;
        /* the last line: progress lines come first on a non-terminal */
        while (f && fgets(line, sizeof line, f)) snprintf(err, n, "%s", line);
        if (f) fclose(f);
        size_t l = strlen(err);
        if (l && err[l - 1] == '\n') err[l - 1] = 0;
    }
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

void th_write_blob_idx(const char *images, const char *labels) {
    FILE *f = fopen(images, "wb");
    unsigned char hdr[16] = {0, 0, 8, 3, 0, 0, 0, 64, 0, 0, 0, 28, 0, 0, 0, 28};
    fwrite(hdr, 1, 16, f);
    for (int n = 0; n < 64; n++)
        for (int y = 0; y < 28; y++)
            for (int x = 0; x < 28; x++) {
                int cx = 8 + (n % 4) * 4, cy = 8 + (n / 16) * 3, d = (x - cx) * (x - cx) + (y - cy) * (y - cy);
                fputc(d < 40 + n ? 255 - d : 0, f);
            }
    fclose(f);
    if (!labels) return;
    f = fopen(labels, "wb");
    unsigned char lh[8] = {0, 0, 8, 1, 0, 0, 0, 64};
    fwrite(lh, 1, 8, f);
    for (int n = 0; n < 64; n++) fputc(n % 10, f);
    fclose(f);
}
