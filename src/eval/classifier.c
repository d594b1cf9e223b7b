/* classifier.c — the feature network of the sample-quality metrics: a compact VGG-style CNN
 * trained on the labelled dataset itself (Inception's ImageNet features mean little on 28x28
 * greyscale clothes), its last conv block's pooled output read out as features. Architecture, file format
 * and training recipe: gan.h, "feature networks".
 *
 * Training is deterministic from the seed: the batch order comes from a gan_batcher's
 * permutation (only its indices; the bytes are gathered here, with augmentation), and the
 * augmentation and dropout draws are Philox streams keyed by the step. */
#include "internal.h"
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#define FORMAT "gan.c-classifier-2"
#define MAX_BLOCKS 6
#define MAX_DEPTH 4
#define EVAL_BATCH 256
#define MAX_SIDE 4096
/* Philox seeds of the three random processes, derived from the one user seed. */
#define AUG_KEY 0xa06a3e47c1f1ull
#define DROP_KEY 0xd409a7e5b2c3ull

struct gan_classifier {
    gan_classifier_info info;
    gan_net *net;
    int n_blocks;
    gan_conv_layer conv[MAX_BLOCKS][MAX_DEPTH];
    gan_bn_layer bn[MAX_BLOCKS][MAX_DEPTH];
    gan_linear_layer fc1, fc2;
    float dropout;
    gan_ctx *ctx;            /* inference arena, created on first use */
};

gan_classifier_opts gan_classifier_opts_default(void) {
    return (gan_classifier_opts){.epochs = 6, .steps = 0, .batch = 128, .lr = 1e-3f,
                                 .weight_decay = 5e-4f, .seed = 1, .augment = 1, .shift = 0,
                                 .flip = 1, .width = 16, .depth = 2, .blocks = 0,
                                 .hidden = 128, .dropout = 0.3f};
}

/* ---------------------------------------------------------------- the network */

/* At least 2 blocks, more until the map is at most 4x4: 3 for 28x28 (28, 14, 7 -> 4x4) and
 * 32x32, 4 for 64x64. */
static int blocks_for(int h, int w) {
    int b = 2;
    while (b < MAX_BLOCKS && ((h + (1 << b) - 1) >> b > 4 || (w + (1 << b) - 1) >> b > 4)) b++;
    return b;
}

static int block_channels(int width, int b) { return width << (b < 2 ? b : 2); }

/* side after one pool stage (odd sides are zero-padded by one first) */
static int pooled(int s) { return (s + 1) / 2; }

/* Declares the parameters; their storage comes with gan_net_finalize (so a loader can check a
 * file's shapes before allocating anything big). */
static gan_classifier *declare(const gan_classifier_info *info, float dropout) {
    gan_classifier *c = gan_calloc(1, sizeof *c);
    c->info = *info;
    c->dropout = dropout;
    c->n_blocks = info->blocks;
    c->net = gan_net_new("classifier");
    char name[64];
    int in = info->channels, h = info->height, w = info->width;
    for (int b = 0; b < c->n_blocks; b++) {
        int out = block_channels(info->base_width, b);
        for (int j = 0; j < info->depth; j++) {
            /* no conv bias: batch norm's shift replaces it */
            snprintf(name, sizeof name, "block%d.conv%d", b, j);
            c->conv[b][j] = gan_conv2d_layer_init(c->net, name, j ? out : in, out, 3, 1, 1, 0);
            snprintf(name, sizeof name, "block%d.bn%d", b, j);
            c->bn[b][j] = gan_batch_norm_layer_init(c->net, name, out);
        }
        in = out;
        h = pooled(h);
        w = pooled(w);
    }
    c->info.features = in;
    c->fc1 = gan_linear_layer_init(c->net, "fc1", in * h * w, info->hidden, 1);
    c->fc2 = gan_linear_layer_init(c->net, "fc2", info->hidden, info->classes, 1);
    return c;
}

void gan_classifier_free(gan_classifier *c) {
    if (!c) return;
    gan_net_free(c->net);
    gan_ctx_free(c->ctx);
    gan_free(c);
}

const gan_classifier_info *gan_classifier_get_info(const gan_classifier *c) { return &c->info; }
gan_net *gan_classifier_net(gan_classifier *c) { return c->net; }

void gan_classifier_set_provenance(gan_classifier *c, const char *data, double test_accuracy) {
    if (data) snprintf(c->info.data, sizeof c->info.data, "%s", data);
    c->info.test_accuracy = test_accuracy;
}

// x (N,C,H,W) -> logits (N,K); *features = the global average of the last block's ReLU output
// (N,F): pooled conv features, as Inception's pool3 for FID (gan.h says why not fc1).
static gan_tensor *forward(gan_ctx *ctx, gan_classifier *c, gan_tensor *x, gan_tensor **features,
                           uint64_t drop_seed, uint64_t drop_stream) {
    gan_tensor *h = x;
    for (int b = 0; b < c->n_blocks; b++) {
        for (int j = 0; j < c->info.depth; j++) {
            h = gan_conv2d_layer_forward(ctx, &c->conv[b][j], h);
            h = gan_relu(ctx, gan_batch_norm_layer_forward(ctx, &c->bn[b][j], h));
        }
        if (features && b == c->n_blocks - 1) *features = gan_mean(ctx, h, (1u << 2) | (1u << 3), 0);
        int ph = h->shape[2] & 1, pw = h->shape[3] & 1;
        if (ph || pw) h = gan_pad2d(ctx, h, 0, ph, 0, pw);
        h = gan_avg_pool2d(ctx, h, 2);
    }
    h = gan_reshape(ctx, h, GAN_SHAPE(h->shape[0], -1));
    gan_tensor *f = gan_relu(ctx, gan_linear_layer_forward(ctx, &c->fc1, h));
    gan_tensor *d = gan_dropout(ctx, f, c->dropout, drop_seed, drop_stream);
    return gan_linear_layer_forward(ctx, &c->fc2, d);
}

/* ---------------------------------------------------------------- batches */

/* Sample i of (N,H,W,C) bytes -> (C,H,W) floats in [-1, 1], shifted by (dy, dx) with zero bytes
 * coming in from the border, then mirrored left-right when flip is set. */
static void gather(const gan_u8_images *im, int64_t i, int dy, int dx, int flip,
                   const float *lut, float *out) {
    int H = im->h, W = im->w, C = im->c;
    const uint8_t *src = im->data + i * H * W * C;
    for (int ch = 0; ch < C; ch++)
        for (int y = 0; y < H; y++) {
            int sy = y + dy;
            float *row = out + ((int64_t)ch * H + y) * W;
            for (int x = 0; x < W; x++) {
                int sx = (flip ? W - 1 - x : x) + dx;
                int inside = sy >= 0 && sy < H && sx >= 0 && sx < W;
                row[x] = lut[inside ? src[((int64_t)sy * W + sx) * C + ch] : 0];
            }
        }
}

static void make_lut(float *lut) {
    uint8_t v[256];
    for (int i = 0; i < 256; i++) v[i] = (uint8_t)i;
    gan_image_from_u8(v, 256, lut);
}

/* ---------------------------------------------------------------- training */

static gan_status check_data(const char *fn, const gan_u8_images *im, const gan_u8_labels *lb) {
    if (!im || !im->data || im->n < 1)
        return gan_fail(GAN_ERR_ARG, "%s: no images", fn);
    if (im->c < 1 || im->h < 4 || im->w < 4 || im->h > MAX_SIDE || im->w > MAX_SIDE)
        return gan_fail(GAN_ERR_ARG, "%s: images of %dx%dx%d are not supported (need C >= 1 and 4 <= H, W <= %d)",
                        fn, im->c, im->h, im->w, MAX_SIDE);
    if (lb) {
        if (!lb->data || lb->n < 1)
            return gan_fail(GAN_ERR_ARG, "%s: the images have no labels", fn);
        if (lb->n != im->n)
            return gan_fail(GAN_ERR_MISMATCH, "%s: %d images but %d labels", fn, im->n, lb->n);
    }
    return GAN_OK;
}

/* The training term: cross-entropy of the logits of the batch's "image" (dropout drawn from
 * stream k of the seed) against the step's labels; the logits are kept for the progress. */
typedef struct ce_term {
    gan_classifier *c;
    uint64_t seed;
    const int *labels;
    gan_tensor *logits;
} ce_term;

static gan_tensor *ce_loss(gan_ctx *ctx, const gan_term *term, gan_step_io *io) {
    ce_term *ce = term->ud;
    ce->logits = forward(ctx, ce->c, gan_batch_get(io->batch, "image"), NULL, ce->seed,
                         (uint64_t)io->step);
    return gan_cross_entropy(ctx, ce->logits, ce->labels);
}

gan_status gan_classifier_train(const gan_classifier_opts *opts, const gan_u8_images *images,
                                const gan_u8_labels *labels, gan_classifier_progress_fn progress,
                                void *ud, gan_classifier **out) {
    const char *fn = "gan_classifier_train";
    *out = NULL;
    gan_classifier_opts o = opts ? *opts : gan_classifier_opts_default();
    gan_status s = check_data(fn, images, labels);
    if (s) return s;
    if (!labels) return gan_fail(GAN_ERR_ARG, "%s: the images have no labels", fn);
    int K = 0;
    for (int i = 0; i < labels->n; i++) K = labels->data[i] + 1 > K ? labels->data[i] + 1 : K;
    if (K < 2) return gan_fail(GAN_ERR_ARG, "%s: the labels hold %d class, need at least 2", fn, K);
    if (o.batch < 2) return gan_fail(GAN_ERR_ARG, "%s: batch must be at least 2 (got %d)", fn, o.batch);
    if (o.epochs < 1 && o.steps < 1)
        return gan_fail(GAN_ERR_ARG, "%s: epochs or steps must be at least 1", fn);
    if (!(o.lr > 0) || !(o.weight_decay >= 0) || !(o.dropout >= 0 && o.dropout < 1))
        return gan_fail(GAN_ERR_ARG, "%s: need lr > 0, weight_decay >= 0, 0 <= dropout < 1", fn);
    if (o.blocks < 0 || o.blocks > MAX_BLOCKS)
        return gan_fail(GAN_ERR_ARG, "%s: blocks must be in 0..%d (got %d)", fn, MAX_BLOCKS, o.blocks);
    if (o.depth < 1 || o.depth > MAX_DEPTH)
        return gan_fail(GAN_ERR_ARG, "%s: depth must be in 1..%d (got %d)", fn, MAX_DEPTH, o.depth);
    if (o.width < 1 || o.width > 1024 || o.hidden < 1 || o.hidden > 65536 || o.shift < 0 ||
        o.shift >= images->h || o.shift >= images->w)
        return gan_fail(GAN_ERR_ARG, "%s: width %d, hidden %d or shift %d out of range", fn,
                        o.width, o.hidden, o.shift);

    int64_t N = images->n, B = o.batch;
    int64_t total = o.steps > 0 ? o.steps : (o.epochs * N + B - 1) / B;
    gan_classifier_info info = {.channels = images->c, .height = images->h, .width = images->w,
                                .classes = K, .base_width = o.width, .depth = o.depth, .hidden = o.hidden,
                                .blocks = o.blocks ? o.blocks : blocks_for(images->h, images->w),
                                .steps = total, .seed = o.seed, .test_accuracy = -1};
    gan_classifier *c = declare(&info, o.dropout);
    gan_net_finalize(c->net, o.seed);
    gan_batcher *order = gan_batcher_new(images->data, images->n, 1, 1, 1, o.seed);
    gan_ctx *ctx = gan_ctx_new(0);
    /* one player, one cross-entropy term, on the library's one training step */
    gan_game game;
    gan_game_init(&game, o.seed);
    gan_player *pl = gan_game_add_player(&game, "classifier", 1);
    gan_optim opt = gan_optim_new(GAN_OPTIM_ADAM, o.lr, 0.9f, 0.999f);
    opt.adam.adamw = 1;
    opt.adam.weight_decay = o.weight_decay;
    gan_player_add_net(pl, c->net, NULL, opt);
    ce_term ce = {.c = c, .seed = o.seed ^ DROP_KEY};
    gan_player_add_term(pl, (gan_term){.name = "loss", .fn = ce_loss, .weight = 1, .ud = &ce});
    float lut[256];
    make_lut(lut);
    int C = images->c, H = images->h, W = images->w;
    int64_t per = (int64_t)C * H * W;
    int *idx = gan_malloc(sizeof(int) * (size_t)B);
    int *lab = gan_malloc(sizeof(int) * (size_t)B);
    float *aug = gan_malloc(sizeof(float) * 3 * (size_t)B);
    int shift = o.augment ? o.shift : 0, flip = o.augment && o.flip;
    for (int64_t step = 0; step < total; step++) {
        /* cosine decay to 0 over the run (Loshchilov & Hutter 2017, no restarts) */
        float lr = (float)(0.5 * o.lr * (1.0 + cos(M_PI * (double)step / (double)total)));
        gan_optim_set_lr(&pl->optim[0], lr);
        for (int j = 0; j < B; j++) {
            idx[j] = gan_batcher_index(order, step, (int)B, j);
            lab[j] = labels->data[idx[j]];
        }
        gan_philox_uniform(aug, 3 * B, o.seed ^ AUG_KEY, (uint64_t)step);
        gan_tensor *x = gan_empty(ctx, GAN_SHAPE((int)B, C, H, W));
#pragma omp parallel for schedule(static)
        for (int j = 0; j < B; j++) {
            int dy = shift ? (int)(aug[3 * j] * (2 * shift + 1)) - shift : 0;
            int dx = shift ? (int)(aug[3 * j + 1] * (2 * shift + 1)) - shift : 0;
            int f = flip && aug[3 * j + 2] < 0.5f;
            gather(images, idx[j], dy, dx, f, lut, x->data + per * j);
        }
        gan_batch batch = {0};
        gan_batch_put(&batch, "image", x);
        ce.labels = lab;
        gan_stats stats;
        gan_game_step(&game, ctx, &batch, &stats);
        gan_tensor *logits = ce.logits;
        if (progress) {
            int correct = 0;
            for (int j = 0; j < B; j++) {
                const float *l = logits->data + (int64_t)j * K;
                int arg = 0;
                for (int k = 1; k < K; k++) arg = l[k] > l[arg] ? k : arg;
                correct += arg == lab[j];
            }
            gan_classifier_progress p = {.step = step + 1, .total = total,
                                         .epoch = (double)(step + 1) * B / N,
                                         .loss = gan_stats_get(&stats, "loss"),
                                         .batch_accuracy = (float)correct / (float)B,
                                         .lr = lr, .classifier = c};
            progress(ud, &p);
        }
        gan_ctx_reset(ctx);
    }
    gan_free(idx);
    gan_free(lab);
    gan_free(aug);
    gan_ctx_free(ctx);
    gan_game_free(&game);
    gan_batcher_free(order);
    const float *wts = gan_net_weights(c->net);
    int finite = 1;
    for (int64_t i = 0; i < gan_net_num_params(c->net); i++) finite &= isfinite(wts[i]) != 0;
    if (!finite) {
        gan_classifier_free(c);
        return gan_fail(GAN_ERR_ARG, "%s: training diverged (NaN weights); try a smaller lr", fn);
    }
    *out = c;
    return GAN_OK;
}

/* ---------------------------------------------------------------- inference */

/* x (n,C,H,W) from `src(ud, first, count, dst)` in batches -> features (n,F), probs (n,K) */
typedef void (*fill_fn)(const void *ud, int first, int count, const float *lut, float *dst);

static void run_eval(gan_classifier *c, int n, fill_fn fill, const void *ud, float *features,
                     float *probs) {
    if (!c->ctx) c->ctx = gan_ctx_new(0);
    gan_ctx *ctx = c->ctx;
    int grad = gan_ctx_set_grad(ctx, 0);
    gan_ctx_set_training(ctx, 0);
    const gan_classifier_info *in = &c->info;
    int F = in->features, K = in->classes;
    float lut[256];
    make_lut(lut);
    for (int i = 0; i < n; i += EVAL_BATCH) {
        int b = n - i < EVAL_BATCH ? n - i : EVAL_BATCH;
        gan_tensor *x = gan_empty(ctx, GAN_SHAPE(b, in->channels, in->height, in->width));
        fill(ud, i, b, lut, x->data);
        gan_tensor *f;
        gan_tensor *logits = forward(ctx, c, x, &f, 0, 0);
        if (features) memcpy(features + (int64_t)i * F, f->data, sizeof(float) * (size_t)b * F);
        if (probs) {
            gan_tensor *p = gan_softmax(ctx, logits);
            memcpy(probs + (int64_t)i * K, p->data, sizeof(float) * (size_t)b * K);
        }
        gan_ctx_reset(ctx);
    }
    gan_ctx_set_grad(ctx, grad);
}

typedef struct f32_src { const float *x; int64_t per; } f32_src;
static void fill_f32(const void *ud, int first, int count, const float *lut, float *dst) {
    const f32_src *s = ud;
    memcpy(dst, s->x + first * s->per, sizeof(float) * (size_t)(count * s->per));
}

static void fill_u8(const void *ud, int first, int count, const float *lut, float *dst) {
    const gan_u8_images *im = ud;
    int64_t per = (int64_t)im->c * im->h * im->w;
#pragma omp parallel for schedule(static)
    for (int j = 0; j < count; j++) gather(im, first + j, 0, 0, 0, lut, dst + per * j);
}

static gan_status check_shape(const char *fn, const gan_classifier *c, int n, int ch, int h,
                              int w) {
    const gan_classifier_info *in = &c->info;
    if (n < 0) return gan_fail(GAN_ERR_ARG, "%s: n = %d", fn, n);
    if (ch != in->channels || h != in->height || w != in->width)
        return gan_fail(GAN_ERR_MISMATCH,
                        "%s: the classifier takes %dx%dx%d images (C x H x W), got %dx%dx%d", fn,
                        in->channels, in->height, in->width, ch, h, w);
    return GAN_OK;
}

gan_status gan_classifier_features(gan_classifier *c, const float *images, int n, int ch, int h,
                                   int w, float *features, float *probs) {
    gan_status s = check_shape("gan_classifier_features", c, n, ch, h, w);
    if (s) return s;
    f32_src src = {images, (int64_t)ch * h * w};
    run_eval(c, n, fill_f32, &src, features, probs);
    return GAN_OK;
}

gan_status gan_classifier_features_u8(gan_classifier *c, const gan_u8_images *im,
                                      float *features, float *probs) {
    gan_status s = check_shape("gan_classifier_features_u8", c, im->n, im->c, im->h, im->w);
    if (s) return s;
    if (im->n && !im->data) return gan_fail(GAN_ERR_ARG, "gan_classifier_features_u8: no data");
    run_eval(c, im->n, fill_u8, im, features, probs);
    return GAN_OK;
}

gan_status gan_classifier_accuracy(gan_classifier *c, const gan_u8_images *im,
                                   const gan_u8_labels *lb, double *accuracy) {
    const char *fn = "gan_classifier_accuracy";
    gan_status s = check_data(fn, im, lb);
    if (!s && !lb) s = gan_fail(GAN_ERR_ARG, "%s: no labels", fn);
    if (!s) s = check_shape(fn, c, im->n, im->c, im->h, im->w);
    if (s) return s;
    int K = c->info.classes;
    float *probs = malloc(sizeof(float) * (size_t)im->n * (size_t)K);
    if (!probs) return gan_fail(GAN_ERR_NOMEM, "%s: out of memory for %d images", fn, im->n);
    run_eval(c, im->n, fill_u8, im, NULL, probs);
    int64_t correct = 0;
    for (int i = 0; i < im->n; i++) {
        const float *p = probs + (int64_t)i * K;
        int arg = 0;
        for (int k = 1; k < K; k++) arg = p[k] > p[arg] ? k : arg;
        correct += arg == lb->data[i];
    }
    free(probs);
    *accuracy = (double)correct / (double)im->n;
    return GAN_OK;
}

/* ---------------------------------------------------------------- files */

gan_status gan_classifier_save(const gan_classifier *c, const char *path) {
    gan_st_writer *w = gan_st_writer_new();
    if (!w) return gan_fail(GAN_ERR_NOMEM, "%s: out of memory", path);
    gan_status s = gan_st_add_net(w, c->net, NULL, 0);  /* the checkpoints' writer */
    const gan_classifier_info *in = &c->info;
    gan_st_set_meta(w, "format", FORMAT);
    gan_st_set_meta_i64(w, "gan.channels", in->channels);
    gan_st_set_meta_i64(w, "gan.height", in->height);
    gan_st_set_meta_i64(w, "gan.width", in->width);
    gan_st_set_meta_i64(w, "gan.classes", in->classes);
    gan_st_set_meta_i64(w, "gan.base_width", in->base_width);
    gan_st_set_meta_i64(w, "gan.depth", in->depth);
    gan_st_set_meta_i64(w, "gan.blocks", in->blocks);
    gan_st_set_meta_i64(w, "gan.hidden", in->hidden);
    gan_st_set_meta_i64(w, "gan.features", in->features);
    gan_st_set_meta_i64(w, "gan.steps", in->steps);
    gan_st_set_meta_i64(w, "gan.seed", (int64_t)in->seed);
    char buf[64];
    snprintf(buf, sizeof buf, "%g", (double)c->dropout);
    gan_st_set_meta(w, "gan.dropout", buf);
    if (in->data[0]) gan_st_set_meta(w, "gan.data", in->data);
    if (in->test_accuracy >= 0) {
        snprintf(buf, sizeof buf, "%.6f", in->test_accuracy);
        gan_st_set_meta(w, "gan.test_accuracy", buf);
    }
    if (!s) s = gan_st_write(w, path);
    gan_st_writer_free(w);
    return s;
}

static gan_status meta_int(gan_st_file *f, const char *path, const char *key, int64_t lo,
                           int64_t hi, int64_t *out) {
    const char *v = gan_st_meta(f, key);
    if (!v) return gan_fail(GAN_ERR_FORMAT, "%s: no '%s' in __metadata__", path, key);
    char *end;
    long long x = strtoll(v, &end, 10);
    if (!*v || *end || x < lo || x > hi)
        return gan_fail(GAN_ERR_FORMAT, "%s: metadata '%s' = '%s' is not an integer in [%" PRId64
                        ", %" PRId64 "]", path, key, v, lo, hi);
    *out = x;
    return GAN_OK;
}

gan_status gan_classifier_load(const char *path, gan_classifier **out) {
    *out = NULL;
    gan_st_file *f;
    gan_status s = gan_st_open(path, &f);
    if (s) return s;
    const char *fmt = gan_st_meta(f, "format");
    if (!fmt || strcmp(fmt, FORMAT)) {
        s = gan_fail(GAN_ERR_FORMAT, "%s: not a gan.c classifier (format '%s', expected '%s')",
                     path, fmt ? fmt : "(none)", FORMAT);
        gan_st_close(f);
        return s;
    }
    const char *keys[11] = {"gan.channels", "gan.height", "gan.width", "gan.classes",
                            "gan.base_width", "gan.hidden", "gan.steps", "gan.seed", "gan.depth",
                            "gan.blocks", "gan.features"};
    const int64_t lo[11] = {1, 4, 4, 2, 1, 1, 0, INT64_MIN, 1, 1, 1};
    const int64_t hi[11] = {64, MAX_SIDE, MAX_SIDE, 65536, 1024, 65536, INT64_MAX, INT64_MAX,
                            MAX_DEPTH, MAX_BLOCKS, 65536};
    int64_t v[11];
    for (int i = 0; i < 11 && !s; i++) s = meta_int(f, path, keys[i], lo[i], hi[i], &v[i]);
    float dropout = 0;
    const char *d = gan_st_meta(f, "gan.dropout");
    if (!s && d) {
        char *end;
        dropout = strtof(d, &end);
        if (!*d || *end || !(dropout >= 0 && dropout < 1))
            s = gan_fail(GAN_ERR_FORMAT, "%s: metadata 'gan.dropout' = '%s' is not in [0, 1)", path, d);
    }
    if (s) {
        gan_st_close(f);
        return s;
    }
    gan_classifier_info info = {.channels = (int)v[0], .height = (int)v[1], .width = (int)v[2],
                                .classes = (int)v[3], .base_width = (int)v[4],
                                .hidden = (int)v[5], .steps = v[6], .seed = (uint64_t)v[7],
                                .depth = (int)v[8], .blocks = (int)v[9],
                                .test_accuracy = -1};
    const char *data = gan_st_meta(f, "gan.data");
    if (data) snprintf(info.data, sizeof info.data, "%s", data);
    const char *acc = gan_st_meta(f, "gan.test_accuracy");
    if (acc) {
        char *end;
        double a = strtod(acc, &end);
        if (*acc && !*end && a >= 0 && a <= 1) info.test_accuracy = a;
    }
    gan_classifier *c = declare(&info, dropout);
    if (c->info.features != (int)v[10]) {
        s = gan_fail(GAN_ERR_FORMAT, "%s: metadata 'gan.features' = %d, but the architecture gives %d",
                     path, (int)v[10], c->info.features);
        gan_classifier_free(c);
        gan_st_close(f);
        return s;
    }
    /* every tensor must be in the file with its shape before the net gets its storage: the
     * header's sizes were checked against the file's, so a lying header allocates nothing */
    for (int i = 0; i < gan_net_num_tensors(c->net) && !s; i++) {
        const gan_tensor *t = gan_net_tensor(c->net, i);
        const gan_st_info *ti = gan_st_find(f, t->name);
        int ok = ti && (gan_st_is_counter(t) ? ti->ndim == 0 : ti->ndim == t->ndim);
        for (int k = 0; ok && !gan_st_is_counter(t) && k < t->ndim; k++) ok = ti->shape[k] == t->shape[k];
        if (!ok) {
            char shape[64];
            gan_shape_str(t, shape, sizeof shape);
            s = gan_fail(GAN_ERR_MISMATCH, "%s: tensor %s is missing or not shaped %s", path,
                         t->name, gan_st_is_counter(t) ? "()" : shape);
        }
    }
    if (!s) gan_net_finalize(c->net, 0);
    for (int i = 0; i < gan_net_num_tensors(c->net) && !s; i++) {
        gan_tensor *t = gan_net_tensor(c->net, i);
        if (gan_st_is_counter(t)) {
            int64_t cnt = 0;
            s = gan_st_read(f, t->name, GAN_DTYPE_I64, 0, NULL, &cnt);
            t->data[0] = (float)cnt;
        } else {
            s = gan_st_read_tensor(f, t);
        }
    }
    gan_st_close(f);
    if (s) {
        gan_classifier_free(c);
        return s;
    }
    *out = c;
    return GAN_OK;
}
