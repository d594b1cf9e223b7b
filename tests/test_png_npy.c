/* test_png_npy.c — the pixel mapping against torchvision's save_image (checksums computed
 * with PyTorch), PNG grids read back with libpng and compared pixel by pixel with make_grid's
 * layout, .npy files against the bytes numpy's np.save writes, and malformed .npy input. */
#include "harness.h"
#include <math.h>
#include <png.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char dir[64];

static const char *path_in_dir(const char *name) {
    static char buf[8][256];
    static int k;
    char *p = buf[k++ % 8];
    snprintf(p, 256, "%s/%s", dir, name);
    return p;
}

static void expect_fail(const char *what, gan_status got, gan_status want, const char *path,
                        const char *needle) {
    const char *m = gan_last_error();
    int ok = got == want && strstr(m, path) != NULL && (!needle || strstr(m, needle)) &&
             !strchr(m, '\n');
    th_check(ok, what, "status '%s' (want '%s'), message \"%s\"", gan_status_to_string(got),
             gan_status_to_string(want), m);
}

static void write_raw(const char *path, const void *data, size_t n) {
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(data, 1, n, f) != n) abort();
    fclose(f);
}

static void test_mapping(void) {
    /* torch: x.clamp(-1,1).sub(-1).div(2).mul(255).add_(0.5).clamp_(0,255).to(uint8) on
     * x1[i] = i/1000 - 1.1 (i < 2201) and on x2[k] = (k+0.5)/255*2 - 1 (k < 255), all float32;
     * x2 sits on the rounding boundaries, so any change in operation order shows */
    static float x1[2201], x2[255];
    static uint8_t u1[2201], u2[255];
    for (int i = 0; i < 2201; i++) x1[i] = (float)i / 1000.0f - 1.1f;
    for (int k = 0; k < 255; k++) x2[k] = ((float)k + 0.5f) / 255.0f * 2.0f - 1.0f;
    gan_image_to_u8(x1, 2201, u1);
    gan_image_to_u8(x2, 255, u2);
    long long s1 = 0, w1 = 0, s2 = 0, w2 = 0;
    for (int i = 0; i < 2201; i++) s1 += u1[i], w1 += (long long)i * u1[i];
    for (int k = 0; k < 255; k++) s2 += u2[k], w2 += (long long)k * u2[k];
    th_check(s1 == 280628 && w1 == 420606500, "mapping = torchvision (sweep)", "sum %lld, "
             "weighted %lld (torch: 280628, 420606500)", s1, w1);
    th_check(s2 == 32609 && w2 == 5526544 && u2[0] == 1 && u2[1] == 1 && u2[2] == 2,
             "mapping = torchvision (rounding boundaries)", "sum %lld, weighted %lld (torch: "
             "32609, 5526544)", s2, w2);
    const float special[6] = {-1.0f, 1.0f, 0.0f, -7.0f, 7.0f, NAN};
    uint8_t us[6];
    gan_image_to_u8(special, 6, us);
    th_check(us[0] == 0 && us[1] == 255 && us[2] == 128 && us[3] == 0 && us[4] == 255 && us[5] == 0,
             "mapping of -1, 1, 0, out of range, NaN", "%d %d %d %d %d %d", us[0], us[1], us[2],
             us[3], us[4], us[5]);
    /* the loader's inverse (ToTensor + Normalize(0.5, 0.5)) maps every byte back to itself */
    uint8_t v[256], back[256];
    float f[256];
    for (int i = 0; i < 256; i++) v[i] = (uint8_t)i;
    gan_image_from_u8(v, 256, f);
    gan_image_to_u8(f, 256, back);
    th_check(memcmp(v, back, 256) == 0 && f[0] == -1.0f && f[255] == 1.0f,
             "u8 -> [-1,1] -> u8 is the identity", "f[0] %g f[255] %g", f[0], f[255]);
}

/* Reads a PNG with libpng's simplified API into 8-bit pixels of `channels` (1 or 3 or 4). */
static uint8_t *read_png(const char *path, int *h, int *w, int *stored_channels, int channels) {
    png_image im;
    memset(&im, 0, sizeof im);
    im.version = PNG_IMAGE_VERSION;
    if (!png_image_begin_read_from_file(&im, path)) return NULL;
    *stored_channels = PNG_IMAGE_SAMPLE_CHANNELS(im.format);
    im.format = channels == 1 ? PNG_FORMAT_GRAY : channels == 3 ? PNG_FORMAT_RGB : PNG_FORMAT_RGBA;
    uint8_t *px = malloc(PNG_IMAGE_SIZE(im));
    if (!png_image_finish_read(&im, NULL, px, 0, NULL)) {
        free(px);
        png_image_free(&im);
        return NULL;
    }
    *h = (int)im.height;
    *w = (int)im.width;
    return px;
}

/* make_grid's layout, written independently: where tile (r, c) pixel (y, x) lands. */
static void check_grid(const char *name, int n, int c, int h, int w, int nrow, int pad) {
    gan_ctx *ctx = gan_ctx_new(0);
    gan_tensor *x = gan_empty(ctx, GAN_SHAPE(n, c, h, w));
    th_fill_randn(x, 11, 0.7f);
    x->data[0] = 3.0f;                                /* clamped */
    const char *p = path_in_dir(name);
    gan_status s = gan_png_write_grid(p, x->data, n, c, h, w, nrow, pad);
    int gh = 0, gw = 0, stored = 0;
    uint8_t *px = s == GAN_OK ? read_png(p, &gh, &gw, &stored, c) : NULL;
    int cols = n < nrow ? n : nrow, rows = (n + nrow - 1) / nrow;
    int want_h = rows * (h + pad) + pad, want_w = cols * (w + pad) + pad;
    if (!th_check(px && gh == want_h && gw == want_w && stored == c, name,
                  "status %s, %d x %d x %d (want %d x %d x %d)", gan_status_to_string(s), gh, gw,
                  stored, want_h, want_w, c)) {
        free(px);
        gan_ctx_free(ctx);
        return;
    }
    int bad = 0, ambiguous = 0;
    for (int gy = 0; gy < gh; gy++)
        for (int gx = 0; gx < gw; gx++) {
            int r = gy / (h + pad), cc = gx / (w + pad);
            int y = gy % (h + pad) - pad, xx = gx % (w + pad) - pad, i = r * nrow + cc;
            int inside = y >= 0 && xx >= 0 && cc < cols && r < rows && i < n;
            for (int ch = 0; ch < c; ch++) {
                int got = px[((size_t)gy * gw + gx) * c + ch], want = 0;
                if (inside) {
                    double v = x->data[(((size_t)i * c + ch) * h + y) * w + xx];
                    v = fmin(fmax(v, -1.0), 1.0);
                    double t = (v + 1.0) / 2.0 * 255.0 + 0.5;
                    want = (int)floor(t);
                    if (fabs(t - floor(t + 0.5)) < 1e-4 && abs(got - want) <= 1) {
                        ambiguous++;                /* float32 may round either way here */
                        continue;
                    }
                }
                bad += got != want;
            }
        }
    th_check(bad == 0, "grid pixels = make_grid + save_image", "%s: %d wrong of %d, %d on a "
             "rounding boundary", name, bad, gh * gw * c, ambiguous);
    free(px);
    gan_ctx_free(ctx);
}

static void test_png(void) {
    check_grid("gray.png", 5, 1, 3, 4, 2, 2);          /* 3 rows, last tile empty */
    check_grid("rgb.png", 4, 3, 5, 3, 3, 1);
    check_grid("one-row.png", 3, 1, 28, 28, 8, 2);    /* nrow > n: n columns */
    check_grid("no-pad.png", 4, 3, 2, 2, 2, 0);

    float img[3 * 2 * 2] = {-1, 0, 1, -1, 0, 1, 1, 1, 1, -1, -1, -1};   /* (3, 2, 2) */
    const char *p = path_in_dir("single.png");
    gan_status s = gan_png_write_image(p, img, 3, 2, 2);
    int h = 0, w = 0, st = 0;
    uint8_t *px = s == GAN_OK ? read_png(p, &h, &w, &st, 3) : NULL;
    /* pixel (0,1): R = img[1] = 0 -> 128, G = img[5] = 1 -> 255, B = img[9] = -1 -> 0 */
    th_check(px && h == 2 && w == 2 && st == 3 && px[3] == 128 && px[4] == 255 && px[5] == 0,
             "single image, no padding", "%d x %d", h, w);
    free(px);

    uint8_t rgba[2 * 3 * 4];
    for (int i = 0; i < 24; i++) rgba[i] = (uint8_t)(i * 10);
    p = path_in_dir("rgba.png");
    s = gan_png_write_u8(p, rgba, 2, 3, 4);
    px = s == GAN_OK ? read_png(p, &h, &w, &st, 4) : NULL;
    th_check(px && h == 2 && w == 3 && st == 4 && memcmp(px, rgba, 24) == 0, "RGBA u8 round trip",
             "%s", "");
    free(px);

    s = gan_png_write_grid(path_in_dir("c2.png"), img, 1, 2, 2, 2, 1, 0);
    expect_fail("grid with 2 channels refused", s, GAN_ERR_ARG, "c2.png", "c = 1 or 3");
    s = gan_png_write_grid(path_in_dir("n0.png"), img, 0, 1, 2, 2, 1, 0);
    expect_fail("empty grid refused", s, GAN_ERR_ARG, "n0.png", "n=0");
    p = path_in_dir("missing/dir/x.png");
    s = gan_png_write_image(p, img, 3, 2, 2);
    expect_fail("PNG into a missing folder", s, GAN_ERR_IO, p, "No such file");
    th_check(access(p, F_OK) != 0, "no PNG behind", "%s", "");
}

/* A .npy from a header dict, format version major, and n data bytes. */
static const char *craft_npy(const char *name, int major, const char *dict, const void *data,
                             size_t n) {
    static uint8_t b[1024];
    size_t hl = strlen(dict), pre = major == 1 ? 10 : 12;
    memcpy(b, "\x93NUMPY", 6);
    b[6] = (uint8_t)major;
    b[7] = 0;
    b[8] = (uint8_t)hl;
    b[9] = (uint8_t)(hl >> 8);
    b[10] = b[11] = 0;
    memcpy(b + pre, dict, hl);
    memcpy(b + pre + hl, data, n);
    const char *p = path_in_dir(name);
    write_raw(p, b, pre + hl + n);
    return p;
}

static void test_npy(void) {
    /* what numpy's np.save writes for these shapes (checked byte for byte at development time) */
    static const char hdr_u8[] = "{'descr': '|u1', 'fortran_order': False, 'shape': (6, 2, 2), }";
    float im[24];
    for (int i = 0; i < 24; i++) im[i] = -1.2f + (float)i * 0.1f;
    uint8_t mapped[24];
    gan_image_to_u8(im, 24, mapped);

    const char *p = path_in_dir("gray.npy");
    gan_status s = gan_npy_write_images(p, im, 6, 1, 2, 2);
    FILE *f = fopen(p, "rb");
    uint8_t b[256];
    size_t n = f ? fread(b, 1, sizeof b, f) : 0;
    if (f) fclose(f);
    int hdr_ok = s == GAN_OK && n == 128 + 24 && memcmp(b, "\x93NUMPY\x01\x00\x76\x00", 10) == 0 &&
                 memcmp(b + 10, hdr_u8, sizeof hdr_u8 - 1) == 0 && b[127] == '\n' &&
                 memcmp(b + 128, mapped, 24) == 0;
    for (size_t i = 10 + sizeof hdr_u8 - 1; hdr_ok && i < 127; i++) hdr_ok = b[i] == ' ';
    th_check(hdr_ok, "npy bytes = np.save (header padded to 64, data)", "%zu bytes", n);

    gan_npy_array a;
    s = gan_npy_read(p, &a);
    th_check(s == GAN_OK && a.dtype == GAN_DTYPE_U8 && a.ndim == 3 && a.shape[0] == 6 &&
             a.shape[1] == 2 && a.shape[2] == 2 && a.numel == 24 && memcmp(a.data, mapped, 24) == 0,
             "npy gray images read back (N, H, W)", "%s", s ? gan_last_error() : "ok");
    gan_npy_free(&a);
    th_check(a.data == NULL, "npy free zeroes", "%s", "");

    /* RGB: (N, C, H, W) floats -> (N, H, W, C) bytes */
    p = path_in_dir("rgb.npy");
    s = gan_npy_write_images(p, im, 2, 3, 2, 2);
    if (s == GAN_OK) s = gan_npy_read(p, &a);
    int ok = s == GAN_OK && a.ndim == 4 && a.shape[0] == 2 && a.shape[1] == 2 && a.shape[2] == 2 &&
             a.shape[3] == 3;
    for (int i = 0; ok && i < 2; i++)
        for (int y = 0; y < 2; y++)
            for (int x = 0; x < 2; x++)
                for (int c = 0; c < 3; c++)
                    ok &= ((uint8_t *)a.data)[((i * 2 + y) * 2 + x) * 3 + c] ==
                          mapped[((i * 3 + c) * 2 + y) * 2 + x];
    th_check(ok, "npy RGB images are (N, H, W, C)", "%s", s ? gan_last_error() : "ok");
    gan_npy_free(&a);

    /* float32 round trips: 1-d "(5,)", 0-d "()", 4-d */
    float v[5] = {1.5f, -2.25f, 3e-8f, 1e30f, -0.0f};
    const struct { const char *name; int ndim; int shape[4]; int64_t numel; } fs[3] = {
        {"f1.npy", 1, {5}, 5}, {"f0.npy", 0, {0}, 1}, {"f4.npy", 4, {1, 5, 1, 1}, 5}};
    for (int k = 0; k < 3; k++) {
        p = path_in_dir(fs[k].name);
        s = gan_npy_write_f32(p, v, fs[k].ndim, fs[k].shape);
        if (s == GAN_OK) s = gan_npy_read(p, &a);
        ok = s == GAN_OK && a.dtype == GAN_DTYPE_F32 && a.ndim == fs[k].ndim &&
             a.numel == fs[k].numel && memcmp(a.data, v, (size_t)a.numel * 4) == 0;
        th_check(ok, "npy float32 round trip", "%s: %s", fs[k].name, s ? gan_last_error() : "ok");
        gan_npy_free(&a);
    }
    f = fopen(path_in_dir("f1.npy"), "rb");
    n = f ? fread(b, 1, sizeof b, f) : 0;
    if (f) fclose(f);
    th_check(n == 128 + 20 && memcmp(b + 10, "{'descr': '<f4', 'fortran_order': False, 'shape': "
             "(5,), }", 57) == 0, "1-d shape written as (5,)", "%zu bytes", n);

    /* files other writers produce: big-endian floats, format 2.0, Fortran order for 1-d */
    const uint8_t be[8] = {0x3f, 0x80, 0, 0, 0xc0, 0, 0, 0};          /* 1.0, -2.0 */
    p = craft_npy("be.npy", 2, "{'descr': '>f4', 'fortran_order': True, 'shape': (2,), }\n", be, 8);
    s = gan_npy_read(p, &a);
    ok = s == GAN_OK && a.numel == 2 && ((float *)a.data)[0] == 1.0f && ((float *)a.data)[1] == -2.0f;
    th_check(ok, "npy v2.0, big-endian, 1-d Fortran", "%s", s ? gan_last_error() : "ok");
    gan_npy_free(&a);

    static const uint8_t zeros[64];
    static const struct { const char *name, *dict; size_t data; const char *needle; } bad[] = {
        {"i8.npy", "{'descr': '<i8', 'fortran_order': False, 'shape': (2,), }", 16, "'<i8' not supported"},
        {"fortran.npy", "{'descr': '|u1', 'fortran_order': True, 'shape': (2, 2), }", 4, "Fortran"},
        {"list-shape.npy", "{'descr': '|u1', 'fortran_order': False, 'shape': [2, 2], }", 4, "'shape'"},
        {"neg-shape.npy", "{'descr': '|u1', 'fortran_order': False, 'shape': (-2,), }", 4, "'shape'"},
        {"big-dim.npy", "{'descr': '|u1', 'fortran_order': False, 'shape': (99999999999,), }", 4, "'shape'"},
        {"nine-dims.npy", "{'descr': '|u1', 'fortran_order': False, 'shape': (1,1,1,1,1,1,1,1,1), }",
         1, "'shape'"},
        {"trunc-data.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 5), }", 59,
         "needs 60 data bytes, the file has 59"},
        {"overflow.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (2147483647, "
         "2147483647, 2147483647), }", 8, "overflows"},
        {"no-shape.npy", "{'descr': '|u1', 'fortran_order': False, }", 4, "lacks 'shape'"},
        {"extra-key.npy", "{'descr': '|u1', 'fortran_order': False, 'shape': (1,), 'x': 1}", 1,
         "unexpected key 'x'"},
        {"structured.npy", "{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,), }", 4,
         "structured"},
        {"not-dict.npy", "('descr', '|u1')", 4, "not a dict"},
        {"unclosed.npy", "{'descr': '|u1', 'fortran_order': False, 'shape': (1,)", 4, "malformed"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        p = craft_npy(bad[i].name, 1, bad[i].dict, zeros, bad[i].data);
        s = gan_npy_read(p, &a);
        char what[64];
        snprintf(what, sizeof what, "npy malformed: %s", bad[i].name);
        expect_fail(what, s, GAN_ERR_FORMAT, p, bad[i].needle);
    }
    th_check(a.data == NULL && a.numel == 0, "failed read leaves the array empty", "%s", "");
    p = path_in_dir("magic.npy");
    write_raw(p, "\x93NUMPX\x01\x00\x00\x00{}", 12);
    s = gan_npy_read(p, &a);
    expect_fail("npy bad magic", s, GAN_ERR_FORMAT, p, "bad magic");
    p = path_in_dir("v9.npy");
    write_raw(p, "\x93NUMPY\x09\x00\x02\x00{}", 12);
    s = gan_npy_read(p, &a);
    expect_fail("npy version 9", s, GAN_ERR_FORMAT, p, "version 9.0");
    p = path_in_dir("hlen.npy");
    write_raw(p, "\x93NUMPY\x01\x00\xff\x00{}", 12);
    s = gan_npy_read(p, &a);
    expect_fail("npy header longer than the file", s, GAN_ERR_FORMAT, p, "exceeds the file size");
    p = path_in_dir("short.npy");
    write_raw(p, "\x93NUM", 4);
    s = gan_npy_read(p, &a);
    expect_fail("npy shorter than its magic", s, GAN_ERR_FORMAT, p, "truncated");
    p = path_in_dir("absent.npy");
    s = gan_npy_read(p, &a);
    expect_fail("npy missing file", s, GAN_ERR_IO, p, "No such file");
    p = path_in_dir("nodir/x.npy");
    s = gan_npy_write_images(p, im, 6, 1, 2, 2);
    expect_fail("npy into a missing folder", s, GAN_ERR_IO, p, "No such file");
}

/* Damaged copies of a good .npy: each must load or fail naming the file, never crash. */
static void test_npy_fuzz(void) {
    float im[24];
    for (int i = 0; i < 24; i++) im[i] = (float)i / 12.0f - 1.0f;
    const char *src = path_in_dir("fuzz-src.npy"), *p = path_in_dir("fuzz.npy");
    uint8_t orig[256], b[256];
    FILE *f = gan_npy_write_images(src, im, 6, 1, 2, 2) == GAN_OK ? fopen(src, "rb") : NULL;
    size_t n = f ? fread(orig, 1, sizeof orig, f) : 0;
    if (f) fclose(f);
    if (!th_check(n == 152, "npy fuzz: seed file", "%zu bytes", n)) return;
    uint64_t rng = 0x2545F4914F6CDD1Dull;
    int loaded = 0, refused = 0, bad = 0;
    for (int it = 0; it < 3000; it++) {
        memcpy(b, orig, n);
        size_t len = n;
        for (int e = 0; e < 1 + it % 3; e++) {
            rng = rng * 6364136223846793005ull + 1442695040888963407ull;
            size_t at = (size_t)(rng >> 33) % len;
            switch ((rng >> 20) % 3) {
            case 0: b[at] ^= (uint8_t)(1u << ((rng >> 8) % 8)); break;
            case 1: b[at] = "(),:' 0123456789{}TFLx"[(rng >> 40) % 22]; break;
            case 2: len = at + 1; break;
            }
        }
        write_raw(p, b, len);
        gan_npy_array a;
        gan_status s = gan_npy_read(p, &a);
        if (s == GAN_OK) {
            loaded++;
            bad += a.numel > 0 && !a.data;
        } else {
            refused++;
            bad += strstr(gan_last_error(), p) == NULL || a.data != NULL;
        }
        gan_npy_free(&a);
    }
    th_check(bad == 0, "npy fuzz: 3000 damaged files", "%d loaded, %d refused, %d bad", loaded,
             refused, bad);
}

int main(void) {
    snprintf(dir, sizeof dir, "/tmp/gan_test_png_XXXXXX");
    if (!mkdtemp(dir)) {
        th_check(0, "temp dir", "%s", "mkdtemp failed");
        return th_done("test_png_npy");
    }
    test_mapping();
    test_png();
    test_npy();
    test_npy_fuzz();
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", dir);
    return th_done("test_png_npy");
}
