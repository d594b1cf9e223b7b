/* test_classifier.c — the feature network (src/eval/classifier.c) and `gan classifier`:
 *  - learning: a few hundred steps on synthetic shapes (and, when Debian's Fashion-MNIST is
 *    installed, on a small subset of it) beat chance by a wide margin on held-out images;
 *  - the eval-mode forward against a naive double-precision implementation written here from
 *    the architecture gan.h documents (odd sizes and 3 channels included), features against
 *    probabilities (softmax of the logits);
 *  - determinism (same seed, same bits; another seed, other weights), save/load round trip
 *    (identical features), malformed files, bad arguments;
 *  - the command: train on a tiny IDX set with its t10k split, test, exit codes. */
#include "harness.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static char tmp[256];

/* ---------------------------------------------------------------- synthetic data */

/* n images (N, H, W, C) of K = 4 shapes at random places, with noise: horizontal bar,
 * vertical bar, box outline, filled disc. Deterministic from (seed). */
static void make_shapes(int n, int h, int w, int c, uint64_t seed, gan_u8_images *im,
                        gan_u8_labels *lb) {
    im->n = n, im->h = h, im->w = w, im->c = c;
    im->data = malloc((size_t)n * h * w * c);
    lb->n = n;
    lb->num_classes = 4;
    lb->data = malloc((size_t)n);
    float *u = malloc(sizeof(float) * (size_t)h * w * c);
    for (int i = 0; i < n; i++) {
        float r[6];
        gan_philox_uniform(r, 6, seed, 2 * (uint64_t)i);
        gan_philox_uniform(u, (int64_t)h * w * c, seed, 2 * (uint64_t)i + 1);
        int k = (int)(r[0] * 4), cy = h / 4 + (int)(r[1] * (h / 2)), cx = w / 4 + (int)(r[2] * (w / 2));
        int len = 3 + (int)(r[3] * (h / 3)), rad = 2 + (int)(r[4] * (h / 6));
        lb->data[i] = (uint8_t)k;
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++) {
                int dy = y - cy, dx = x - cx, on;
                if (k == 0) on = abs(dy) <= 1 && abs(dx) <= len;
                else if (k == 1) on = abs(dx) <= 1 && abs(dy) <= len;
                else if (k == 2) on = (abs(dy) == rad && abs(dx) <= rad) || (abs(dx) == rad && abs(dy) <= rad);
                else on = dy * dy + dx * dx <= rad * rad;
                for (int ch = 0; ch < c; ch++) {
                    float v = (on ? 200.0f + 40 * r[5] * (ch + 1) / c : 0.0f) + 50.0f * u[(y * w + x) * c + ch];
                    im->data[(((int64_t)i * h + y) * w + x) * c + ch] = (uint8_t)(v > 255 ? 255 : v);
                }
            }
    }
    free(u);
}

static void subset(const gan_u8_images *im, const gan_u8_labels *lb, int first, int n,
                   gan_u8_images *sim, gan_u8_labels *slb) {
    size_t per = (size_t)im->c * im->h * im->w;
    *sim = *im;
    sim->n = n;
    sim->data = malloc(per * (size_t)n);
    memcpy(sim->data, im->data + per * (size_t)first, per * (size_t)n);
    *slb = *lb;
    slb->n = n;
    slb->data = malloc((size_t)n);
    memcpy(slb->data, lb->data + first, (size_t)n);
}

static gan_classifier_opts small_opts(int64_t steps) {
    gan_classifier_opts o = gan_classifier_opts_default();
    o.steps = steps;
    o.batch = 32;
    o.width = 8;
    o.depth = 1;
    o.hidden = 32;
    o.lr = 3e-3f;
    return o;
}

/* ---------------------------------------------------------------- naive reference forward */

static const float *P(gan_classifier *c, const char *name) {
    gan_tensor *t = gan_net_find(gan_classifier_net(c), name);
    if (!t) {
        fprintf(stderr, "missing parameter %s\n", name);
        abort();
    }
    return t->data;
}

/* One image (C, H, W) -> features (F), logits (K), in double, as gan.h describes the network:
 * blocks of depth x [conv3x3 pad 1 -> BN (running stats) -> ReLU] -> zero-pad odd sides ->
 * avg_pool 2, width << min(b, 2) channels; the features are the last block's ReLU output
 * averaged over space (before its pool); flatten -> fc1 -> ReLU -> fc2 gives the logits. */
static void ref_forward(gan_classifier *c, const float *x, double *feat, double *logits) {
    const gan_classifier_info *in = gan_classifier_get_info(c);
    int C = in->channels, H = in->height, W = in->width;
    int blocks = in->blocks;
    double *a = malloc(sizeof(double) * (size_t)C * H * W);
    for (int i = 0; i < C * H * W; i++) a[i] = x[i];
    char name[96];
    for (int b = 0; b < blocks; b++) {
        int OC = in->base_width << (b < 2 ? b : 2);
        for (int j = 0; j < in->depth; j++) {
            snprintf(name, sizeof name, "block%d.conv%d.weight", b, j);
            const float *w = P(c, name);
            snprintf(name, sizeof name, "block%d.bn%d.weight", b, j);
            const float *g = P(c, name);
            snprintf(name, sizeof name, "block%d.bn%d.bias", b, j);
            const float *be = P(c, name);
            snprintf(name, sizeof name, "block%d.bn%d.running_mean", b, j);
            const float *rm = P(c, name);
            snprintf(name, sizeof name, "block%d.bn%d.running_var", b, j);
            const float *rv = P(c, name);
            double *o = calloc((size_t)OC * H * W, sizeof(double));
            for (int oc = 0; oc < OC; oc++)
                for (int y = 0; y < H; y++)
                    for (int xx = 0; xx < W; xx++) {
                        double s = 0;
                        for (int ic = 0; ic < C; ic++)
                            for (int ky = 0; ky < 3; ky++)
                                for (int kx = 0; kx < 3; kx++) {
                                    int sy = y + ky - 1, sx = xx + kx - 1;
                                    if (sy < 0 || sy >= H || sx < 0 || sx >= W) continue;
                                    s += (double)w[((oc * C + ic) * 3 + ky) * 3 + kx] * a[(ic * H + sy) * W + sx];
                                }
                        double v = (s - rm[oc]) / sqrt((double)rv[oc] + 1e-5) * g[oc] + be[oc];
                        o[(oc * H + y) * W + xx] = v > 0 ? v : 0;
                    }
            free(a);
            a = o;
            C = OC;
        }
        if (b == blocks - 1)
            for (int ch = 0; ch < C; ch++) {
                double m = 0;
                for (int i = 0; i < H * W; i++) m += a[ch * H * W + i];
                feat[ch] = m / (H * W);
            }
        int H2 = (H + 1) / 2, W2 = (W + 1) / 2;
        double *p = calloc((size_t)C * H2 * W2, sizeof(double));
        for (int ch = 0; ch < C; ch++)
            for (int y = 0; y < H; y++)
                for (int xx = 0; xx < W; xx++) p[(ch * H2 + y / 2) * W2 + xx / 2] += 0.25 * a[(ch * H + y) * W + xx];
        free(a);
        a = p;
        H = H2;
        W = W2;
    }
    int D = C * H * W, Hd = in->hidden, F = in->features, K = in->classes;
    if (F != C) {
        fprintf(stderr, "features %d != last block channels %d\n", F, C);
        abort();
    }
    const float *w1 = P(c, "fc1.weight"), *b1 = P(c, "fc1.bias");
    const float *w2 = P(c, "fc2.weight"), *b2 = P(c, "fc2.bias");
    double *hid = malloc(sizeof(double) * (size_t)Hd);
    for (int f = 0; f < Hd; f++) {
        double s = b1[f];
        for (int d = 0; d < D; d++) s += (double)w1[(int64_t)f * D + d] * a[d];
        hid[f] = s > 0 ? s : 0;
    }
    for (int k = 0; k < K; k++) {
        double s = b2[k];
        for (int f = 0; f < Hd; f++) s += (double)w2[k * Hd + f] * hid[f];
        logits[k] = s;
    }
    free(hid);
    free(a);
}

/* (N, H, W, C) bytes -> (N, C, H, W) floats as gan_image_from_u8, written here. */
static float *to_float_nchw(const gan_u8_images *im) {
    int64_t per = (int64_t)im->c * im->h * im->w;
    float *x = malloc(sizeof(float) * (size_t)(per * im->n));
    for (int n = 0; n < im->n; n++)
        for (int ch = 0; ch < im->c; ch++)
            for (int y = 0; y < im->h; y++)
                for (int xx = 0; xx < im->w; xx++) {
                    uint8_t v = im->data[(((int64_t)n * im->h + y) * im->w + xx) * im->c + ch];
                    x[n * per + ((int64_t)ch * im->h + y) * im->w + xx] = ((float)v / 255.0f - 0.5f) / 0.5f;
                }
    return x;
}

/* Checks features and probabilities of `c` on `im` against the naive forward. */
static void check_forward(const char *tag, gan_classifier *c, const gan_u8_images *im) {
    const gan_classifier_info *in = gan_classifier_get_info(c);
    int n = im->n, F = in->features, K = in->classes;
    float *feat = malloc(sizeof(float) * (size_t)n * F), *probs = malloc(sizeof(float) * (size_t)n * K);
    float *feat2 = malloc(sizeof(float) * (size_t)n * F);
    gan_status s = gan_classifier_features_u8(c, im, feat, probs);
    th_check(s == GAN_OK, tag, "features_u8 status %d", s);
    float *x = to_float_nchw(im);
    s = gan_classifier_features(c, x, n, im->c, im->h, im->w, feat2, NULL);
    th_check(s == GAN_OK && !memcmp(feat, feat2, sizeof(float) * (size_t)n * F), tag,
             "float and byte entry points give the same features");
    double ef = 0, ep = 0, scale = 1e-3;
    double *rf = malloc(sizeof(double) * F), *rl = malloc(sizeof(double) * K);
    int nonzero = 0;
    for (int i = 0; i < n; i++) {
        ref_forward(c, x + (int64_t)i * im->c * im->h * im->w, rf, rl);
        double mx = rl[0], z = 0;
        for (int k = 1; k < K; k++) mx = rl[k] > mx ? rl[k] : mx;
        for (int k = 0; k < K; k++) z += exp(rl[k] - mx);
        for (int f = 0; f < F; f++) {
            scale = fmax(scale, fabs(rf[f]));
            ef = fmax(ef, fabs(rf[f] - feat[(int64_t)i * F + f]));
            nonzero += feat[(int64_t)i * F + f] > 0;
        }
        for (int k = 0; k < K; k++) ep = fmax(ep, fabs(exp(rl[k] - mx) / z - probs[(int64_t)i * K + k]));
    }
    th_check(ef / scale < 1e-4, tag, "features vs naive double forward: max err %.2e (relative to %.3g)", ef, scale);
    th_check(ep < 1e-5, tag, "probabilities vs naive forward: max err %.2e", ep);
    th_check(nonzero > n, tag, "%d of %d features non-zero (not a dead layer)", nonzero, n * F);
    free(rf);
    free(rl);
    free(x);
    free(feat);
    free(feat2);
    free(probs);
}

static int weights_equal(gan_classifier *a, gan_classifier *b) {
    gan_net *na = gan_classifier_net(a), *nb = gan_classifier_net(b);
    if (gan_net_num_tensors(na) != gan_net_num_tensors(nb)) return 0;
    for (int i = 0; i < gan_net_num_tensors(na); i++) {
        gan_tensor *ta = gan_net_tensor(na, i), *tb = gan_net_tensor(nb, i);
        if (ta->numel != tb->numel || memcmp(ta->data, tb->data, sizeof(float) * (size_t)ta->numel)) return 0;
    }
    return 1;
}

/* ---------------------------------------------------------------- tests */

static void test_learns_shapes(void) {
    gan_u8_images im, tim;
    gan_u8_labels lb, tlb;
    make_shapes(1200, 28, 28, 1, 11, &im, &lb);
    make_shapes(400, 28, 28, 1, 12, &tim, &tlb);
    gan_classifier_opts o = small_opts(120);
    gan_classifier *c = NULL;
    gan_status s = gan_classifier_train(&o, &im, &lb, NULL, NULL, &c);
    th_check(s == GAN_OK && c, "shapes: train", "status %d %s", s, s ? gan_last_error() : "");
    if (!c) return;
    th_check(gan_classifier_get_info(c)->blocks == 3, "shapes: 28x28 gets three blocks", "%d",
             gan_classifier_get_info(c)->blocks);
    double acc = 0;
    s = gan_classifier_accuracy(c, &tim, &tlb, &acc);
    th_check(s == GAN_OK && acc > 0.9, "shapes: held-out accuracy", "%.3f (chance 0.25)", acc);
    /* accuracy is the argmax of the probabilities, counted here */
    float *probs = malloc(sizeof(float) * (size_t)tim.n * 4);
    gan_classifier_features_u8(c, &tim, NULL, probs);
    int right = 0;
    for (int i = 0; i < tim.n; i++) {
        int arg = 0;
        for (int k = 1; k < 4; k++) arg = probs[i * 4 + k] > probs[i * 4 + arg] ? k : arg;
        right += arg == tlb.data[i];
    }
    th_check(fabs(acc - (double)right / tim.n) < 1e-12, "shapes: accuracy = argmax count", "%d/%d", right, tim.n);
    free(probs);

    /* eval mode: 300 images (two batches) at once and one by one give the same features */
    gan_u8_images few = tim;
    few.n = 300;
    int F = gan_classifier_get_info(c)->features;
    float *fa = malloc(sizeof(float) * 300 * (size_t)F), *fb = malloc(sizeof(float) * 300 * (size_t)F);
    gan_classifier_features_u8(c, &few, fa, NULL);
    float *x = to_float_nchw(&few);
    for (int i = 0; i < 300; i += 37) {
        int b = 300 - i < 37 ? 300 - i : 37;
        gan_classifier_features(c, x + (int64_t)i * 784, b, 1, 28, 28, fb + (int64_t)i * F, NULL);
    }
    double d = th_max_abs_diff(fa, fb, 300 * (int64_t)F);
    th_check(d < 1e-5, "shapes: features independent of batching", "max diff %.2e", d);
    free(x);
    free(fa);
    free(fb);

    check_forward("shapes: forward 28x28x1", c, &few);

    /* save / load: same info, bit-identical features and probabilities */
    char path[512];
    snprintf(path, sizeof path, "%s/c.safetensors", tmp);
    gan_classifier_set_provenance(c, "shapes", acc);
    s = gan_classifier_save(c, path);
    th_check(s == GAN_OK, "save", "status %d %s", s, s ? gan_last_error() : "");
    gan_classifier *c2 = NULL;
    s = gan_classifier_load(path, &c2);
    th_check(s == GAN_OK && c2, "load", "status %d %s", s, s ? gan_last_error() : "");
    if (c2) {
        const gan_classifier_info *a = gan_classifier_get_info(c), *b = gan_classifier_get_info(c2);
        th_check(a->channels == b->channels && a->height == b->height && a->width == b->width &&
                 a->classes == b->classes && a->base_width == b->base_width && a->depth == b->depth &&
                 a->features == b->features && a->hidden == b->hidden && a->steps == b->steps && a->seed == b->seed &&
                 a->blocks == b->blocks &&
                 !strcmp(b->data, "shapes") && fabs(b->test_accuracy - acc) < 1e-6,
                 "load: info", "%dx%dx%d K=%d width %d depth %d F=%d steps %lld data '%s' acc %.6f",
                 b->channels, b->height, b->width, b->classes, b->base_width, b->depth, b->features,
                 (long long)b->steps, b->data, b->test_accuracy);
        th_check(weights_equal(c, c2), "load: weights and buffers", "bit-identical");
        int K = 4;
        float *f1 = malloc(sizeof(float) * 300 * (size_t)F), *f2 = malloc(sizeof(float) * 300 * (size_t)F);
        float *p1 = malloc(sizeof(float) * 300 * K), *p2 = malloc(sizeof(float) * 300 * K);
        gan_classifier_features_u8(c, &few, f1, p1);
        gan_classifier_features_u8(c2, &few, f2, p2);
        th_check(!memcmp(f1, f2, sizeof(float) * 300 * (size_t)F) && !memcmp(p1, p2, sizeof(float) * 300 * K),
                 "load: features and probabilities", "bit-identical (300 x %d, 300 x %d)", F, K);
        free(f1);
        free(f2);
        free(p1);
        free(p2);
        gan_classifier_free(c2);
    }
    /* BN's counter is saved as PyTorch's 0-d int64 */
    gan_st_file *f;
    if (gan_st_open(path, &f) == GAN_OK) {
        const gan_st_info *t = gan_st_find(f, "block0.bn0.num_batches_tracked");
        int64_t v = -1;
        if (t && t->dtype == GAN_DTYPE_I64 && t->ndim == 0) gan_st_read(f, t->name, GAN_DTYPE_I64, 0, NULL, &v);
        th_check(v == 120, "save: num_batches_tracked", "0-d I64 = %lld (120 steps)", (long long)v);
        const char *fmt = gan_st_meta(f, "format");
        th_check(fmt && !strcmp(fmt, "gan.c-classifier-2"), "save: format metadata", "%s", fmt ? fmt : "(none)");
        gan_st_close(f);
    }
    /* wrong input shape: a status, not a crash */
    float dummy[2 * 28 * 28] = {0}, feats[2 * 64];
    s = gan_classifier_features(c, dummy, 1, 1, 28, 27, feats, NULL);
    th_check(s == GAN_ERR_MISMATCH, "features: wrong image size", "status %d: %s", s, gan_last_error());
    s = gan_classifier_features(c, dummy, 1, 2, 28, 14, feats, NULL);
    th_check(s == GAN_ERR_MISMATCH, "features: wrong channel count", "status %d", s);
    gan_classifier_free(c);
    gan_u8_images_free(&im);
    gan_u8_labels_free(&lb);
    gan_u8_images_free(&tim);
    gan_u8_labels_free(&tlb);
}

/* 3 channels, odd sides (13 x 11 -> 7 x 6 -> 4 x 3: padding at both pools), 3 classes. */
static void test_forward_odd_rgb(void) {
    gan_u8_images im;
    gan_u8_labels lb;
    make_shapes(64, 13, 11, 3, 21, &im, &lb);
    for (int i = 0; i < lb.n; i++) lb.data[i] %= 3;
    gan_classifier_opts o = small_opts(15);
    o.width = 4;
    o.depth = 2;
    o.hidden = 16;
    o.batch = 16;
    gan_classifier *c = NULL;
    gan_status s = gan_classifier_train(&o, &im, &lb, NULL, NULL, &c);
    th_check(s == GAN_OK && c && gan_classifier_get_info(c)->classes == 3, "odd rgb: train",
             "status %d", s);
    if (c) check_forward("odd rgb: forward 13x11x3 depth 2", c, &im);
    gan_classifier_free(c);
    gan_u8_images_free(&im);
    gan_u8_labels_free(&lb);

    /* 40 x 40: four blocks (40 -> 20 -> 10 -> 5 -> 3) */
    make_shapes(16, 40, 40, 1, 22, &im, &lb);
    o = small_opts(3);
    o.width = 2;
    o.hidden = 8;
    o.batch = 8;
    s = gan_classifier_train(&o, &im, &lb, NULL, NULL, &c);
    th_check(s == GAN_OK && gan_net_find(gan_classifier_net(c), "block3.conv0.weight") &&
             !gan_net_find(gan_classifier_net(c), "block4.conv0.weight"), "40x40: four blocks", "block3 present, block4 absent");
    if (!s) check_forward("40x40: forward", c, &im);
    gan_classifier_free(c);
    gan_u8_images_free(&im);
    gan_u8_labels_free(&lb);

    /* 28 x 28 with two blocks asked for: 28 -> 14 -> 7 */
    make_shapes(16, 28, 28, 1, 23, &im, &lb);
    o = small_opts(3);
    o.blocks = 2;
    o.batch = 8;
    s = gan_classifier_train(&o, &im, &lb, NULL, NULL, &c);
    th_check(s == GAN_OK && gan_classifier_get_info(c)->blocks == 2 &&
             gan_net_find(gan_classifier_net(c), "fc1.weight")->shape[1] == 16 * 7 * 7,
             "28x28, blocks 2", "fc1 reads 16 x 7 x 7 = %d values",
             c ? gan_net_find(gan_classifier_net(c), "fc1.weight")->shape[1] : -1);
    if (!s) check_forward("28x28 blocks 2: forward", c, &im);
    gan_classifier_free(c);
    gan_u8_images_free(&im);
    gan_u8_labels_free(&lb);
}

static int64_t n_calls;
static void count_cb(void *ud, const gan_classifier_progress *p) {
    n_calls++;
    int *ok = ud;
    *ok &= p->step == n_calls && p->total == 40 && isfinite(p->loss) && p->lr > 0 &&
           p->batch_accuracy >= 0 && p->batch_accuracy <= 1 && p->classifier;
}

static void test_determinism(void) {
    gan_u8_images im;
    gan_u8_labels lb;
    make_shapes(300, 28, 28, 1, 31, &im, &lb);
    gan_classifier_opts o = small_opts(40);
    gan_classifier *a = NULL, *b = NULL, *d = NULL;
    int ok = 1;
    gan_classifier_train(&o, &im, &lb, count_cb, &ok, &a);
    th_check(ok && n_calls == 40, "progress callback", "%lld calls, fields consistent: %d", (long long)n_calls, ok);
    gan_classifier_train(&o, &im, &lb, NULL, NULL, &b);
    o.seed = 2;
    gan_classifier_train(&o, &im, &lb, NULL, NULL, &d);
    th_check(a && b && weights_equal(a, b), "determinism: same seed", "bit-identical weights and BN stats");
    th_check(a && d && !weights_equal(a, d), "determinism: another seed", "different weights");
    gan_classifier_free(a);
    gan_classifier_free(b);
    gan_classifier_free(d);
    /* two threads: the same bits run to run (OpenBLAS's tiny per-sample GEMMs make threading
     * slow here, so only a few steps) */
    o = small_opts(6);
    gan_set_threads(2);
    a = b = NULL;
    gan_classifier_train(&o, &im, &lb, NULL, NULL, &a);
    gan_classifier_train(&o, &im, &lb, NULL, NULL, &b);
    gan_set_threads(1);
    th_check(a && b && weights_equal(a, b), "determinism: two threads", "bit-identical weights and BN stats");
    gan_classifier_free(a);
    gan_classifier_free(b);
    gan_u8_images_free(&im);
    gan_u8_labels_free(&lb);
}

static void test_bad_args(void) {
    gan_u8_images im;
    gan_u8_labels lb;
    make_shapes(20, 28, 28, 1, 41, &im, &lb);
    gan_classifier_opts o = small_opts(2);
    gan_classifier *c = (gan_classifier *)&o;
    gan_status s = gan_classifier_train(&o, &im, NULL, NULL, NULL, &c);
    th_check(s == GAN_ERR_ARG && c == NULL, "train: no labels", "%s", gan_last_error());
    uint8_t *saved = malloc((size_t)lb.n);
    memcpy(saved, lb.data, (size_t)lb.n);
    memset(lb.data, 0, (size_t)lb.n);
    s = gan_classifier_train(&o, &im, &lb, NULL, NULL, &c);
    th_check(s == GAN_ERR_ARG, "train: one class", "%s", gan_last_error());
    memcpy(lb.data, saved, (size_t)lb.n);
    free(saved);
    gan_u8_labels short_lb = lb;
    short_lb.n = 10;
    s = gan_classifier_train(&o, &im, &short_lb, NULL, NULL, &c);
    th_check(s == GAN_ERR_MISMATCH, "train: label count", "%s", gan_last_error());
    o.batch = 1;
    s = gan_classifier_train(&o, &im, &lb, NULL, NULL, &c);
    th_check(s == GAN_ERR_ARG, "train: batch 1", "%s", gan_last_error());
    o = small_opts(2);
    o.lr = 0;
    s = gan_classifier_train(&o, &im, &lb, NULL, NULL, &c);
    th_check(s == GAN_ERR_ARG, "train: lr 0", "%s", gan_last_error());
    o = small_opts(2);
    o.depth = 0;
    s = gan_classifier_train(&o, &im, &lb, NULL, NULL, &c);
    th_check(s == GAN_ERR_ARG, "train: depth 0", "%s", gan_last_error());
    gan_u8_images_free(&im);
    gan_u8_labels_free(&lb);
}

/* Files that are not (whole) classifiers are refused with the path in the message. */
static void test_bad_files(void) {
    gan_u8_images im;
    gan_u8_labels lb;
    make_shapes(40, 16, 16, 1, 51, &im, &lb);
    gan_classifier_opts o = small_opts(2);
    o.batch = 8;
    gan_classifier *c = NULL;
    gan_classifier_train(&o, &im, &lb, NULL, NULL, &c);
    char good[512], bad[512];
    snprintf(good, sizeof good, "%s/good.safetensors", tmp);
    snprintf(bad, sizeof bad, "%s/bad.safetensors", tmp);
    gan_classifier_save(c, good);
    gan_net *net = gan_classifier_net(c);
    /* rebuild the file with one change each: drop a tensor, reshape one, break metadata */
    for (int variant = 0; variant < 4; variant++) {
        gan_st_file *f;
        gan_st_open(good, &f);
        gan_st_writer *w = gan_st_writer_new();
        for (int i = 0; i < gan_st_meta_count(f); i++) {
            const char *k = gan_st_meta_key(f, i), *v = gan_st_meta_value(f, i);
            if (variant == 2 && !strcmp(k, "gan.height")) v = "sixteen";
            if (variant == 3 && !strcmp(k, "format")) v = "gan.c-checkpoint-1";
            gan_st_set_meta(w, k, v);
        }
        int64_t cnt = 0;
        for (int i = 0; i < gan_net_num_tensors(net); i++) {
            gan_tensor *t = gan_net_tensor(net, i);
            if (variant == 0 && !strcmp(t->name, "fc2.bias")) continue;
            if (strstr(t->name, "num_batches_tracked")) {
                gan_st_add(w, t->name, GAN_DTYPE_I64, 0, NULL, &cnt);
            } else if (variant == 1 && !strcmp(t->name, "fc1.weight")) {
                int shape[2] = {t->shape[1], t->shape[0]};
                gan_st_add_f32(w, t->name, 2, shape, t->data);
            } else {
                gan_st_add_tensor(w, t);
            }
        }
        gan_st_write(w, bad);
        gan_st_writer_free(w);
        gan_st_close(f);
        gan_classifier *x = (gan_classifier *)&o;
        gan_status s = gan_classifier_load(bad, &x);
        const gan_status want[4] = {GAN_ERR_MISMATCH, GAN_ERR_MISMATCH, GAN_ERR_FORMAT, GAN_ERR_FORMAT};
        const char *what[4] = {"missing tensor", "transposed tensor", "bad metadata", "a GAN checkpoint"};
        char name[64];
        snprintf(name, sizeof name, "load: %s", what[variant]);
        th_check(s == want[variant] && x == NULL && strstr(gan_last_error(), bad), name, "%s", gan_last_error());
    }
    gan_classifier *x = NULL;
    gan_status s = gan_classifier_load("/nonexistent/c.safetensors", &x);
    th_check(s == GAN_ERR_IO && !x, "load: missing file", "%s", gan_last_error());
    gan_classifier_free(c);
    gan_u8_images_free(&im);
    gan_u8_labels_free(&lb);
}

/* A small subset of the real thing, when it is installed. */
static void test_fashion_subset(void) {
    gan_u8_images im, te, sim, ste;
    gan_u8_labels lb, tl, slb, stl;
    if (gan_dataset_load("fashion-mnist", 0, &im, &lb) || gan_dataset_load("fashion-mnist:test", 0, &te, &tl)) {
        printf("SKIP fashion-mnist subset: %s\n", gan_last_error());
        gan_u8_images_free(&im);
        gan_u8_labels_free(&lb);
        return;
    }
    subset(&im, &lb, 0, 4000, &sim, &slb);
    subset(&te, &tl, 0, 1000, &ste, &stl);
    gan_classifier_opts o = small_opts(250);
    gan_classifier *c = NULL;
    gan_status s = gan_classifier_train(&o, &sim, &slb, NULL, NULL, &c);
    double acc = 0;
    if (!s) s = gan_classifier_accuracy(c, &ste, &stl, &acc);
    th_check(s == GAN_OK && acc > 0.7, "fashion-mnist: 250 steps on 4000 images",
             "test accuracy %.3f on 1000 images (chance 0.1)", acc);
    gan_classifier_free(c);
    gan_u8_images_free(&im);
    gan_u8_labels_free(&lb);
    gan_u8_images_free(&te);
    gan_u8_labels_free(&tl);
    gan_u8_images_free(&sim);
    gan_u8_labels_free(&slb);
    gan_u8_images_free(&ste);
    gan_u8_labels_free(&stl);
}

/* ---------------------------------------------------------------- the command */

static char gan_bin[4096];

static int run(const char *fmt, const char *a, const char *b) {
    char args[2048], cmd[8192];
    snprintf(args, sizeof args, fmt, a, b);
    snprintf(cmd, sizeof cmd, "%s %s >%s/out.txt 2>%s/err.txt", gan_bin, args, tmp, tmp);
    int st = system(cmd);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static int file_has(const char *name, const char *needle) {
    char p[512], buf[8192];
    snprintf(p, sizeof p, "%s/%s", tmp, name);
    FILE *f = fopen(p, "r");
    if (!f) return 0;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = 0;
    fclose(f);
    return strstr(buf, needle) != NULL;
}

static void write_idx_pair(const char *prefix, const gan_u8_images *im, const gan_u8_labels *lb) {
    char p[512];
    snprintf(p, sizeof p, "%s/%s-images-idx3-ubyte", tmp, prefix);
    FILE *f = fopen(p, "wb");
    unsigned char h[16] = {0, 0, 8, 3, (unsigned char)(im->n >> 24), (unsigned char)(im->n >> 16),
                           (unsigned char)(im->n >> 8), (unsigned char)im->n, 0, 0, 0, (unsigned char)im->h, 0, 0, 0,
                           (unsigned char)im->w};
    fwrite(h, 1, 16, f);
    fwrite(im->data, 1, (size_t)im->n * im->h * im->w, f);
    fclose(f);
    snprintf(p, sizeof p, "%s/%s-labels-idx1-ubyte", tmp, prefix);
    f = fopen(p, "wb");
    unsigned char hl[8] = {0, 0, 8, 1, h[4], h[5], h[6], h[7]};
    fwrite(hl, 1, 8, f);
    fwrite(lb->data, 1, (size_t)lb->n, f);
    fclose(f);
}

static void test_cli(void) {
    ssize_t k = readlink("/proc/self/exe", gan_bin, sizeof gan_bin - 16);
    if (k <= 0) {
        th_check(0, "cli: find the gan binary", "readlink failed");
        return;
    }
    gan_bin[k] = 0;
    char *slash = strrchr(gan_bin, '/');
    *slash = 0;                                   /* <build>/tests */
    slash = strrchr(gan_bin, '/');
    strcpy(slash, "/gan");
    struct stat st;
    if (stat(gan_bin, &st) != 0) {
        th_check(0, "cli: find the gan binary", "%s not built", gan_bin);
        return;
    }
    gan_u8_images im, tim;
    gan_u8_labels lb, tlb;
    make_shapes(400, 20, 20, 1, 61, &im, &lb);
    make_shapes(100, 20, 20, 1, 62, &tim, &tlb);
    write_idx_pair("train", &im, &lb);
    write_idx_pair("t10k", &tim, &tlb);
    char data[512], out[512];
    snprintf(data, sizeof data, "%s/train-images-idx3-ubyte", tmp);
    snprintf(out, sizeof out, "%s/cli.safetensors", tmp);
    int rc = run("classifier train --data %s --out %s --steps 60 --batch 32 --width 8 --depth 1 "
                 "--hidden 32 --lr 0.003 --threads 1", data, out);
    th_check(rc == 0 && file_has("out.txt", "test accuracy") && file_has("err.txt", "t10k-images-idx3-ubyte"),
             "cli: train (finds the t10k split)", "exit %d", rc);
    gan_classifier *c = NULL;
    gan_status s = gan_classifier_load(out, &c);
    double acc = 0;
    if (!s) gan_classifier_accuracy(c, &tim, &tlb, &acc);
    th_check(s == GAN_OK && acc > 0.6 && fabs(gan_classifier_get_info(c)->test_accuracy - acc) < 1e-6 &&
             strstr(gan_classifier_get_info(c)->data, "train-images"),
             "cli: the file", "loads; accuracy %.3f, as saved %.3f", acc, c ? gan_classifier_get_info(c)->test_accuracy : -1);
    gan_classifier_free(c);
    rc = run("classifier test %s --threads 1%s", out, "");
    char want[64];
    snprintf(want, sizeof want, "accuracy %.2f%%", 100.0 * acc);
    th_check(rc == 0 && file_has("out.txt", want), "cli: test (default split)", "exit %d, want '%s'", rc, want);
    rc = run("classifier test %s --data %s", out, data);
    th_check(rc == 0 && file_has("out.txt", "of 400"), "cli: test --data", "exit %d", rc);
    rc = run("classifier train --data %s --out %s --epochs 0", data, out);
    th_check(rc == 2 && file_has("err.txt", "--epochs"), "cli: --epochs 0", "exit %d", rc);
    rc = run("classifier train --data %s --out %s --bogus 1", data, out);
    th_check(rc == 2, "cli: unknown flag", "exit %d", rc);
    rc = run("classifier train --data %s/nothing --out %s", tmp, out);
    th_check(rc == 1 && file_has("err.txt", "nothing"), "cli: missing data", "exit %d", rc);
    rc = run("classifier test %s%s", data, "");
    th_check(rc == 1 && file_has("err.txt", "train-images"), "cli: test a non-classifier", "exit %d", rc);
    rc = run("classifier %s%s", "frobnicate", "");
    th_check(rc == 2, "cli: unknown subcommand", "exit %d", rc);
    rc = run("classifier train --help%s%s", "", "");
    th_check(rc == 0 && file_has("out.txt", "--epochs"), "cli: train --help", "exit %d", rc);
    gan_u8_images_free(&im);
    gan_u8_labels_free(&lb);
    gan_u8_images_free(&tim);
    gan_u8_labels_free(&tlb);
}

int main(void) {
    gan_set_threads(1);   /* CPU time: one thread, except for the determinism check */
    snprintf(tmp, sizeof tmp, "/tmp/gan_test_classifier_%d", (int)getpid());
    mkdir(tmp, 0777);
    void (*tests[])(void) = {test_learns_shapes, test_forward_odd_rgb, test_determinism,
                             test_bad_args, test_bad_files, test_fashion_subset, test_cli};
    const char *names[] = {"learns shapes", "forward odd rgb", "determinism", "bad args",
                           "bad files", "fashion subset", "cli"};
    for (int i = 0; i < (int)(sizeof tests / sizeof tests[0]); i++) {
        clock_t t0 = clock();
        tests[i]();
        printf("     (%s: %.1f s CPU)\n", names[i], (double)(clock() - t0) / CLOCKS_PER_SEC);
    }
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmp);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", tmp);
    return th_done("test_classifier");
}
