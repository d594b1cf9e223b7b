/* test_sources.c — gan_source on small sets generated here (PNGs written with gan_png_write_u8,
 * an IDX file, index files) in a temporary folder: field shapes and values, determinism, the
 * bit-identity of "image" with gan_batcher_get, paired alignment, unpaired independence,
 * alpha compositing against Pillow 9.4's values, and the error paths. */
#include "harness.h"
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char root[64];

static const char *at(const char *rel) {
    static char buf[16][512];
    static int k;
    char *p = buf[k++ % 16];
    snprintf(p, 512, "%s/%s", root, rel);
    return p;
}
static void mk(const char *rel) { mkdir(at(rel), 0700); }
static void put(const char *rel, const char *text) {
    FILE *f = fopen(at(rel), "wb");
    if (!f) abort();
    fputs(text, f);
    fclose(f);
}
/* an 8x8 image of constant value v (c channels, alpha 255 when c is 2 or 4) */
static void png_const(const char *rel, int w, int c, uint8_t v) {
    uint8_t px[16 * 8 * 4];
    for (int i = 0; i < 8 * w * c; i++) px[i] = (c == 2 || c == 4) && i % c == c - 1 ? 255 : v;
    if (gan_png_write_u8(at(rel), px, 8, w, c)) abort();
}
static int rm_entry(const char *p, const struct stat *sb, int flag, struct FTW *ftw) {
    (void)sb, (void)flag, (void)ftw;
    return remove(p);
}

static gan_source *open_ok(const char *spec, const gan_source_opts *o, const char *what) {
    gan_source *s = NULL;
    gan_status st = gan_source_open(spec, o, &s);
    th_check(st == GAN_OK && s, what, "%s", st ? gan_last_error() : "opened");
    return st ? NULL : s;
}
static void open_fails(const char *spec, const gan_source_opts *o, const char *needle, const char *what) {
    gan_source *s = (gan_source *)1;
    gan_status st = gan_source_open(spec, o, &s);
    th_check(st != GAN_OK && !s && strstr(gan_last_error(), needle), what, "%s", gan_last_error());
}

/* the batcher over the source's own images must give the same bytes as the source */
static void test_idx_equivalence(gan_ctx *ctx) {
    enum { N = 37, H = 6, W = 5 };
    uint8_t hdr[16] = {0, 0, 8, 3, 0, 0, 0, N, 0, 0, 0, H, 0, 0, 0, W}, px[N * H * W], lab[N + 8];
    for (int i = 0; i < N * H * W; i++) px[i] = (uint8_t)(i * 7 + i / 13);
    uint8_t lh[8] = {0, 0, 8, 1, 0, 0, 0, N};
    for (int i = 0; i < N; i++) lab[i] = (uint8_t)(i % 4);
    FILE *f = fopen(at("x-images-idx3-ubyte"), "wb");
    fwrite(hdr, 1, 16, f), fwrite(px, 1, sizeof px, f), fclose(f);
    f = fopen(at("x-labels-idx1-ubyte"), "wb");
    fwrite(lh, 1, 8, f), fwrite(lab, 1, N, f), fclose(f);
    gan_source_opts o = {.seed = 7};
    gan_source *s = open_ok(at("x-images-idx3-ubyte"), &o, "IDX with labels opens");
    if (!s) return;
    const gan_field_info *fi = gan_source_find(s, "image"), *fl = gan_source_find(s, "label");
    th_check(fi && fi->ndim == 3 && fi->shape[0] == 1 && fi->shape[1] == H && fi->shape[2] == W &&
             fl && fl->kind == GAN_FIELD_INT && fl->classes == 4 && gan_source_len(s, 0) == N,
             "IDX fields: image (1, 6, 5), label with 4 classes", "%s", "");
    gan_batcher *b = gan_batcher_new(px, N, 1, H, W, 7);
    int same = 1, labels_ok = 1;
    for (int64_t k = 0; k < 9; k++) {          /* batch 16 over 37: crosses epochs */
        gan_batch bt;
        gan_source_batch(s, ctx, k, 16, &bt);
        gan_tensor *x = gan_batcher_get(b, ctx, k, 16), *y = gan_batch_get(&bt, "image");
        same &= y && !memcmp(x->data, y->data, sizeof(float) * (size_t)x->numel);
        gan_tensor *l = gan_batch_get(&bt, "label"), *ix = gan_batch_get(&bt, "index");
        for (int j = 0; j < 16; j++)
            labels_ok &= ix->data[j] == gan_batcher_index(b, k, 16, j) &&
                         l->data[j] == lab[(int)ix->data[j]];
        gan_ctx_reset(ctx);
    }
    th_check(same, "\"image\" is bit for bit gan_batcher_get's batch (9 steps, 3 epochs)", "%s", "");
    th_check(labels_ok, "\"label\" and \"index\" follow the same rows", "%s", "");
    /* steady state: no malloc */
    gan_batch bt;
    gan_source_batch(s, ctx, 3, 16, &bt);
    gan_ctx_reset(ctx);
    uint64_t a0 = gan_alloc_count();
    gan_source_batch(s, ctx, 3, 16, &bt);
    th_check(gan_alloc_count() == a0, "a repeated batch allocates nothing", "%llu allocations",
             (unsigned long long)(gan_alloc_count() - a0));
    gan_ctx_reset(ctx);
    th_check(gan_source_batch(s, ctx, 0, 0, &bt) == GAN_ERR_ARG, "batch 0 refused", "%s", gan_last_error());
    gan_batcher_free(b);
    gan_source_free(s);
}

static void test_fashion_mnist(gan_ctx *ctx) {
    gan_u8_images im;
    gan_u8_labels lb;
    if (gan_dataset_load("fashion-mnist", 0, &im, &lb)) {
        th_check(1, "fashion-mnist not installed: skipped", "%s", gan_last_error());
        return;
    }
    gan_source_opts o = {.seed = 1};
    gan_source *s = open_ok("fashion-mnist", &o, "fashion-mnist opens as a source");
    gan_batcher *b = gan_batcher_new(im.data, im.n, 1, 28, 28, 1);
    int same = s != NULL;
    for (int64_t k = 467; s && k < 471; k++) {   /* 60000 / 128 = 468.75: an epoch boundary */
        gan_batch bt;
        gan_source_batch(s, ctx, k, 128, &bt);
        gan_tensor *x = gan_batcher_get(b, ctx, k, 128), *y = gan_batch_get(&bt, "image");
        same &= !memcmp(x->data, y->data, sizeof(float) * (size_t)x->numel);
        gan_ctx_reset(ctx);
    }
    th_check(same, "fashion-mnist: source batches equal gan_batcher_get's at an epoch boundary", "%s", "");
    const char *n9 = s ? gan_source_class_name(s, "label", 9) : NULL;
    th_check(n9 && !strcmp(n9, "Ankle boot"), "fashion-mnist class 9 is \"Ankle boot\"", "%s", n9 ? n9 : "NULL");
    gan_batcher_free(b);
    gan_source_free(s);
    gan_u8_images_free(&im);
    gan_u8_labels_free(&lb);
}

/* pixel value of an image field's row j, channel 0, top-left, back in bytes */
static int px0(gan_tensor *t, int j) {
    int64_t per = t->numel / t->shape[0];
    return (int)(t->data[per * j] * 127.5f + 127.5f + 0.5f);
}

static void test_classes(gan_ctx *ctx) {
    mk("cls"), mk("cls/cat"), mk("cls/dog"), mk("cls/bird");
    /* value = 50 * class (bird 0, cat 1, dog 2) + file number */
    png_const("cls/bird/a.png", 8, 1, 0), png_const("cls/bird/b.png", 8, 1, 1);
    png_const("cls/cat/a.png", 8, 3, 50);
    png_const("cls/dog/a.png", 8, 1, 100), png_const("cls/dog/b.png", 8, 1, 101), png_const("cls/dog/c.png", 8, 1, 102);
    put("cls/readme.txt", "top-level files are not samples\n");
    gan_source_opts o = {.size = 8, .seed = 3};
    char spec[600];
    snprintf(spec, sizeof spec, "classes:%s", at("cls"));
    gan_source *s = open_ok(spec, &o, "classes:DIR opens");
    if (!s) return;
    const gan_field_info *fl = gan_source_find(s, "label");
    th_check(gan_source_len(s, 0) == 6 && fl->classes == 3 &&
             !strcmp(gan_source_class_name(s, "label", 0), "bird") &&
             !strcmp(gan_source_class_name(s, "label", 2), "dog") && gan_source_find(s, "image")->shape[0] == 3,
             "6 images, classes bird, cat, dog (sorted), C = 3", "n=%lld", (long long)gan_source_len(s, 0));
    gan_batch bt;
    gan_source_batch(s, ctx, 0, 12, &bt);
    gan_tensor *x = gan_batch_get(&bt, "image"), *l = gan_batch_get(&bt, "label");
    int ok = 1;
    for (int j = 0; j < 12; j++) ok &= px0(x, j) / 50 == (int)l->data[j];
    th_check(ok && x->shape[0] == 12 && x->shape[1] == 3 && x->shape[2] == 8,
             "each row's label is its folder's class", "%s", "");
    gan_ctx_reset(ctx);
    gan_source_free(s);
    mk("cls/empty");
    open_fails(spec, &o, "cls/empty", "an empty class folder is an error naming it");
    mk("noclass");
    snprintf(spec, sizeof spec, "classes:%s", at("noclass"));
    open_fails(spec, &o, "no class subfolders", "a folder without class subfolders is an error");
}

static void test_determinism(gan_ctx *ctx) {
    mk("det");
    for (int i = 0; i < 10; i++) {
        char n[32];
        snprintf(n, sizeof n, "det/%02d.png", i);
        png_const(n, 8, 1, (uint8_t)(i * 20));
    }
    char spec[600];
    snprintf(spec, sizeof spec, "%s", at("det"));
    gan_source_opts o = {.size = 8, .seed = 11}, o2 = {.size = 8, .seed = 12};
    gan_source *a = open_ok(spec, &o, "folder source opens"), *b = open_ok(spec, &o, "and again"),
               *c = open_ok(spec, &o2, "and with another seed");
    if (!a || !b || !c) return;
    gan_batch ba, bb, bc, bk;
    gan_source_batch(a, ctx, 5, 4, &ba);
    gan_source_batch(b, ctx, 5, 4, &bb);
    gan_source_batch(c, ctx, 5, 4, &bc);
    gan_source_batch(a, ctx, 6, 4, &bk);
    gan_tensor *ia = gan_batch_get(&ba, "image"), *ib = gan_batch_get(&bb, "image");
    th_check(!memcmp(ia->data, ib->data, sizeof(float) * (size_t)ia->numel),
             "same (seed, k): same bytes from two sources", "%s", "");
    th_check(memcmp(gan_batch_get(&ba, "index")->data, gan_batch_get(&bk, "index")->data, 16) != 0,
             "step k + 1 gives other rows", "%s", "");
    th_check(memcmp(gan_batch_get(&ba, "index")->data, gan_batch_get(&bc, "index")->data, 16) != 0,
             "another seed gives other rows", "%s", "");
    gan_ctx_reset(ctx);
    gan_source_free(a), gan_source_free(b), gan_source_free(c);
}

static void test_paired(gan_ctx *ctx) {
    mk("pair"), mk("pair/A"), mk("pair/B");
    for (int i = 0; i < 5; i++) {
        char n[32];
        snprintf(n, sizeof n, "pair/A/p%d.png", i);
        png_const(n, 8, 3, (uint8_t)(i * 40));
        snprintf(n, sizeof n, "pair/B/p%d.png", i);
        png_const(n, 8, 1, (uint8_t)(i * 40 + 7));
    }
    char spec[600];
    snprintf(spec, sizeof spec, "paired:%s", at("pair"));
    gan_source_opts o = {.size = 8, .seed = 5};
    gan_source *s = open_ok(spec, &o, "paired:DIR opens");
    if (s) {
        gan_batch bt;
        gan_source_batch(s, ctx, 2, 7, &bt);
        gan_tensor *a = gan_batch_get(&bt, "image"), *b = gan_batch_get(&bt, "image_b");
        int ok = a->shape[1] == 3 && b->shape[1] == 1;
        for (int j = 0; j < 7; j++) ok &= px0(b, j) == px0(a, j) + 7;
        th_check(ok, "paired: every row's B is its A's partner (A colour, B grey)", "%s", "");
        gan_ctx_reset(ctx);
        gan_source_free(s);
    }
    png_const("pair/B/zzz.png", 8, 1, 0);
    open_fails(spec, &o, "zzz.png has no partner", "a B file without its A is an error naming it");

    mk("ab");
    uint8_t px[8 * 16];
    for (int i = 0; i < 3; i++) {
        for (int k = 0; k < 8 * 16; k++) px[k] = (uint8_t)(k % 16 < 8 ? 30 * i : 30 * i + 9);
        char n[32];
        snprintf(n, sizeof n, "ab/%d.png", i);
        gan_png_write_u8(at(n), px, 8, 16, 1);
    }
    snprintf(spec, sizeof spec, "ab:%s", at("ab"));
    s = open_ok(spec, &o, "ab:DIR opens");
    if (s) {
        gan_batch bt;
        gan_source_batch(s, ctx, 0, 3, &bt);
        gan_tensor *a = gan_batch_get(&bt, "image"), *b = gan_batch_get(&bt, "image_b");
        int ok = a->shape[3] == 8 && b->shape[3] == 8;
        for (int j = 0; j < 3; j++) ok &= px0(a, j) % 30 == 0 && px0(b, j) == px0(a, j) + 9;
        th_check(ok, "ab: left half -> image, right half -> image_b", "%s", "");
        gan_ctx_reset(ctx);
        gan_source_free(s);
    }
    gan_png_write_u8(at("ab/odd.png"), px, 8, 15, 1);
    open_fails(spec, &o, "even width", "an AB image of odd width is an error");
}

static void test_unpaired(gan_ctx *ctx) {
    mk("un"), mk("un/trainA"), mk("un/trainB");
    for (int i = 0; i < 6; i++) {
        char n[32];
        snprintf(n, sizeof n, "un/trainA/%d.png", i);
        png_const(n, 8, 1, (uint8_t)i);
        snprintf(n, sizeof n, "un/trainB/%d.png", i);
        png_const(n, 8, 1, (uint8_t)(100 + i));
    }
    char spec[600];
    snprintf(spec, sizeof spec, "unpaired:%s", at("un"));
    gan_source_opts o = {.size = 8, .seed = 9};
    gan_source *s = open_ok(spec, &o, "unpaired:DIR opens");
    if (!s) return;
    gan_batcher *b0 = gan_batcher_new(NULL, 6, 1, 1, 1, 9),
                *b1 = gan_batcher_new(NULL, 6, 1, 1, 1, 9 ^ GAN_SOURCE_DOMAIN_SALT);
    int differ = 0, rule = 1;
    for (int64_t k = 0; k < 6; k++) {
        gan_batch bt;
        gan_source_batch(s, ctx, k, 4, &bt);
        gan_tensor *i0 = gan_batch_get(&bt, "index"), *i1 = gan_batch_get(&bt, "index_b");
        gan_tensor *xb = gan_batch_get(&bt, "image_b");
        for (int j = 0; j < 4; j++) {
            differ += i0->data[j] != i1->data[j];
            rule &= i0->data[j] == gan_batcher_index(b0, k, 4, j) &&
                    i1->data[j] == gan_batcher_index(b1, k, 4, j) && px0(xb, j) == 100 + (int)i1->data[j];
        }
        gan_ctx_reset(ctx);
    }
    th_check(gan_source_num_domains(s) == 2 && differ > 0,
             "unpaired: equal-sized domains still get different orders", "%d of 24 rows differ", differ);
    th_check(rule, "domain 1 follows seed ^ GAN_SOURCE_DOMAIN_SALT, and image_b its index_b", "%s", "");
    gan_batcher_free(b0), gan_batcher_free(b1);
    gan_source_free(s);
    mk("un2"), mk("un2/trainA"), mk("un2/trainB");
    png_const("un2/trainA/a.png", 8, 1, 0);
    snprintf(spec, sizeof spec, "unpaired:%s", at("un2"));
    open_fails(spec, &o, "trainB: no PNG or JPEG", "an empty trainB is an error naming it");
}

static void test_captions(gan_ctx *ctx) {
    mk("cap"), mk("cap/img");
    png_const("cap/img/a.png", 8, 1, 10), png_const("cap/img/b.png", 8, 1, 20);
    put("cap/index.tsv", "img/a.png\ta small \xc3\xa9toile\r\n\nimg/b.png\ttwo words\n");
    char spec[600];
    snprintf(spec, sizeof spec, "captions:%s", at("cap/index.tsv"));
    gan_source_opts o = {.size = 8};
    gan_source *s = open_ok(spec, &o, "captions:INDEX opens");
    if (s) {
        gan_batch bt;
        gan_source_batch(s, ctx, 0, 4, &bt);
        gan_tensor *ix = gan_batch_get(&bt, "index"), *x = gan_batch_get(&bt, "image");
        int ok = 1;
        for (int j = 0; j < 4; j++) {
            const char *t = gan_source_text(s, (int64_t)ix->data[j]);
            ok &= t && !strcmp(t, px0(x, j) == 10 ? "a small \xc3\xa9toile" : "two words");
        }
        th_check(ok && !gan_source_text(s, 2), "each row's caption via gan_source_text(index)", "%s", "");
        gan_ctx_reset(ctx);
        gan_source_free(s);
    }
    put("cap/bad.tsv", "img/a.png\tok\nimg/b.png\tbad \xc3\x28 byte\n");
    snprintf(spec, sizeof spec, "captions:%s", at("cap/bad.tsv"));
    open_fails(spec, &o, "bad.tsv:2: invalid UTF-8", "invalid UTF-8 names the file and line");
    put("cap/missing.tsv", "img/a.png\tok\n\nimg/nope.png\tgone\n");
    snprintf(spec, sizeof spec, "captions:%s", at("cap/missing.tsv"));
    open_fails(spec, &o, "missing.tsv:3: ", "a missing image names the index's line");
    put("cap/notab.tsv", "img/a.png no tab\n");
    snprintf(spec, sizeof spec, "captions:%s", at("cap/notab.tsv"));
    open_fails(spec, &o, "notab.tsv:1: no tab", "a line without a tab is an error");
}

static void test_tags(gan_ctx *ctx) {
    mk("tag");
    png_const("tag/a.png", 8, 1, 0), png_const("tag/b.png", 8, 1, 1), png_const("tag/c.png", 8, 1, 2);
    put("tag/index.tsv", "a.png\tdog, cat\nb.png\t\nc.png\tbird,dog,dog\n");
    char spec[600];
    snprintf(spec, sizeof spec, "tags:%s", at("tag/index.tsv"));
    gan_source_opts o = {.size = 8};
    gan_source *s = open_ok(spec, &o, "tags:INDEX opens");
    if (s) {
        const gan_field_info *f = gan_source_find(s, "labels");
        th_check(f && f->kind == GAN_FIELD_MULTI_HOT && f->classes == 3 && f->shape[0] == 3 &&
                 !strcmp(gan_source_class_name(s, "labels", 0), "bird") &&
                 !strcmp(gan_source_class_name(s, "labels", 1), "cat") &&
                 !strcmp(gan_source_class_name(s, "labels", 2), "dog"),
                 "tag vocabulary: bird, cat, dog (sorted, trimmed)", "%s", "");
        static const float want[3][3] = {{0, 1, 1}, {0, 0, 0}, {1, 0, 1}};
        gan_batch bt;
        gan_source_batch(s, ctx, 0, 3, &bt);
        gan_tensor *l = gan_batch_get(&bt, "labels"), *ix = gan_batch_get(&bt, "index");
        int ok = l->shape[0] == 3 && l->shape[1] == 3;
        for (int j = 0; j < 3; j++) ok &= !memcmp(l->data + 3 * j, want[(int)ix->data[j]], 12);
        th_check(ok, "multi-hot rows match each line's tags", "%s", "");
        gan_ctx_reset(ctx);
        gan_source_free(s);
    }
    put("tag/bad.tsv", "a.png\tdog,,cat\n");
    snprintf(spec, sizeof spec, "tags:%s", at("tag/bad.tsv"));
    open_fails(spec, &o, "bad.tsv:1: empty tag", "an empty tag names the line");
}

/* the test's sound format: int32 rate, int32 n, n floats */
static gan_status toy_loader(const char *path, void *ud, float **v, int64_t *n, int *rate) {
    (void)ud;
    FILE *f = fopen(path, "rb");
    if (!f) return gan_fail(GAN_ERR_IO, "%s: cannot open", path);
    int32_t h[2];
    if (fread(h, 4, 2, f) != 2) {
        fclose(f);
        return gan_fail(GAN_ERR_FORMAT, "%s: truncated", path);
    }
    *v = malloc(sizeof(float) * (size_t)h[1]);
    if (fread(*v, 4, (size_t)h[1], f) != (size_t)h[1]) abort();
    fclose(f);
    *rate = h[0], *n = h[1];
    return GAN_OK;
}
static void sound(const char *rel, int rate, int n, float base) {
    FILE *f = fopen(at(rel), "wb");
    int32_t h[2] = {rate, n};
    fwrite(h, 4, 2, f);
    for (int i = 0; i < n; i++) {
        float x = base + (float)i;
        fwrite(&x, 4, 1, f);
    }
    fclose(f);
}

static void test_audio(gan_ctx *ctx) {
    mk("aud");
    png_const("aud/a.png", 8, 1, 0), png_const("aud/b.png", 8, 1, 1);
    sound("aud/a.snd", 16000, 5, 100), sound("aud/b.snd", 16000, 3, 200), sound("aud/c.snd", 8000, 3, 0);
    put("aud/index.tsv", "a.png\ta.snd\nb.png\tb.snd\n");
    char spec[600];
    snprintf(spec, sizeof spec, "audio:%s", at("aud/index.tsv"));
    gan_source_opts o = {.size = 8, .audio_loader = toy_loader};
    gan_source *s = open_ok(spec, &o, "audio:INDEX opens");
    if (s) {
        const gan_field_info *f = gan_source_find(s, "audio");
        gan_batch bt;
        gan_source_batch(s, ctx, 0, 2, &bt);
        gan_tensor *a = gan_batch_get(&bt, "audio"), *len = gan_batch_get(&bt, "audio_length"),
                   *ix = gan_batch_get(&bt, "index");
        int ok = f->rate == 16000 && a->shape[1] == 5;
        for (int j = 0; j < 2; j++) {
            int i = (int)ix->data[j], n = i ? 3 : 5;
            ok &= len->data[j] == n;
            for (int t = 0; t < 5; t++) ok &= a->data[5 * j + t] == (t < n ? (i ? 200 : 100) + t : 0);
        }
        th_check(ok, "audio: (B, 5) samples zero-padded, audio_length, rate 16000", "%s", "");
        gan_ctx_reset(ctx);
        gan_source_free(s);
    }
    put("aud/rate.tsv", "a.png\ta.snd\nb.png\tc.snd\n");
    snprintf(spec, sizeof spec, "audio:%s", at("aud/rate.tsv"));
    open_fails(spec, &o, "rate.tsv:2: ", "a sound at another rate names its line");
    put("aud/gone.tsv", "a.png\tnope.snd\n");
    snprintf(spec, sizeof spec, "audio:%s", at("aud/gone.tsv"));
    open_fails(spec, &o, "gone.tsv:1: ", "a missing sound names its line");
    gan_source_opts none = {.size = 8};
    snprintf(spec, sizeof spec, "audio:%s", at("aud/index.tsv"));
    open_fails(spec, &none, "sound loader", "no loader is an error");
}

/* Pillow 9.4: Image.alpha_composite(Image.new("RGBA", size, bg), im).convert("RGB") */
static void test_alpha(void) {
    static const uint8_t rgba[6][4] = {{200, 100, 50, 128}, {0, 255, 7, 1}, {255, 0, 128, 254},
                                       {37, 91, 200, 77}, {13, 13, 13, 255}, {99, 1, 250, 0}};
    static const uint8_t white[6][3] = {{227, 177, 152}, {254, 255, 254}, {255, 1, 128},
                                        {189, 205, 238}, {13, 13, 13}, {255, 255, 255}};
    static const uint8_t col[6][3] = {{105, 150, 40}, {10, 200, 30}, {254, 1, 128},
                                      {18, 167, 81}, {13, 13, 13}, {10, 200, 30}};
    static const uint8_t la_white[6] = {227, 254, 255, 189, 13, 255};
    static const uint8_t la_col[6][3] = {{105, 200, 115}, {10, 199, 30}, {254, 255, 254},
                                         {18, 151, 32}, {13, 13, 13}, {10, 200, 30}};
    mk("alpha"), mk("alpha_la");
    uint8_t px[64 * 4], la[64 * 2];
    for (int i = 0; i < 64; i++) {
        memcpy(px + 4 * i, rgba[i % 6], 4);
        la[2 * i] = rgba[i % 6][0], la[2 * i + 1] = rgba[i % 6][3];
    }
    gan_png_write_u8(at("alpha/a.png"), px, 8, 8, 4);
    gan_png_write_u8(at("alpha_la/a.png"), la, 8, 8, 2);
    gan_u8_images w, c, lw, lc;
    int ok = !gan_image_folder_load(at("alpha"), 8, &w) &&
             !gan_image_folder_load_bg(at("alpha"), 8, GAN_RGB(10, 200, 30), &c, NULL) &&
             !gan_image_folder_load(at("alpha_la"), 8, &lw) &&
             !gan_image_folder_load_bg(at("alpha_la"), 8, GAN_RGB(10, 200, 30), &lc, NULL);
    th_check(ok && w.c == 3 && lw.c == 1 && lc.c == 3, "alpha folders load (LA on white stays grey)",
             "%s", gan_last_error());
    if (!ok) return;
    int bad = 0;
    for (int i = 0; i < 64; i++) {
        bad += memcmp(w.data + 3 * i, white[i % 6], 3) != 0;
        bad += memcmp(c.data + 3 * i, col[i % 6], 3) != 0;
        bad += lw.data[i] != la_white[i % 6];
        bad += memcmp(lc.data + 3 * i, la_col[i % 6], 3) != 0;
    }
    /* by hand: 200 at alpha 128 over 255: (200*128 + 255*127) / 255 = 227.39 -> 227 */
    th_check(bad == 0, "RGBA and grey+alpha over white and over (10, 200, 30) equal Pillow's bytes",
             "%d of 256 pixels differ", bad);
    gan_u8_images_free(&w), gan_u8_images_free(&c), gan_u8_images_free(&lw), gan_u8_images_free(&lc);
}

int main(void) {
    snprintf(root, sizeof root, "/tmp/gan_test_sources_XXXXXX");
    if (!mkdtemp(root)) return 1;
    gan_set_threads(2);
    gan_ctx *ctx = gan_ctx_new(0);
    test_idx_equivalence(ctx);
    test_fashion_mnist(ctx);
    test_classes(ctx);
    test_determinism(ctx);
    test_paired(ctx);
    test_unpaired(ctx);
    test_captions(ctx);
    test_tags(ctx);
    test_audio(ctx);
    test_alpha();
    gan_ctx_free(ctx);
    nftw(root, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    return th_done("test_sources");
}
