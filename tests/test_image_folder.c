/* test_image_folder.c — --data FOLDER: folders of PNGs (written with gan_png_write_u8 and
 * libpng) and JPEGs (written with libjpeg here) built in a temporary folder. Checks counts,
 * order, the grey/colour decision, exact pixels where a closed form exists (constants,
 * identity resizes, centre crops, alpha composited onto white, the triangle filter's weights at a crop edge, a checkerboard
 * averaged to grey), byte equality with Pillow's resize on two patterns (values computed with
 * PIL 9.4 + torchvision's Resize/CenterCrop rules, embedded below), and every kind of broken
 * file: each must fail with a message naming it, leave the output zeroed and never crash. */
#include "harness.h"
#include <ftw.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <jpeglib.h>
#include <png.h>

/* Pillow 9.4: Image.fromarray(pat(w, h, c)).resize((nw, nh), BILINEAR).crop(centre), with
 * nw, nh and the crop offsets as torchvision's Resize(size) + CenterCrop(size) compute them.
 * pat: v(x, y, ch) = (x*37 + y*91 + ch*53 + ((x*y) % 17)*13) & 255, (H, W, C) bytes. */
static const uint8_t pil_rgb_37x23_to_8[192] = {
    125, 126, 128, 117, 137, 145, 121, 106, 121, 110, 127, 144, 122, 129, 108, 129,
    137, 117, 139, 156, 130, 114, 125, 139, 143, 114, 132, 119, 111, 147, 133, 115,
    142, 118, 122, 130, 126, 121, 139, 123, 144, 125, 117, 130, 122, 140, 115, 128,
    117, 122, 132, 101, 119, 133, 127, 113, 134, 125, 116, 117, 122, 123, 146, 132,
    143, 133, 118, 115, 139, 139, 121, 145, 127, 118, 133, 139, 139, 127, 140, 120,
    135, 123, 129, 123, 131, 125, 121, 140, 123, 130, 114, 134, 131, 123, 120, 111,
    157, 112, 108, 158, 176, 110, 111, 133, 162, 123, 121, 134, 128, 129, 124, 134,
    113, 145, 89, 115, 154, 146, 104, 99, 118, 144, 145, 138, 187, 161, 153, 165,
    113, 122, 153, 119, 131, 146, 114, 141, 115, 139, 161, 84, 99, 106, 75, 122,
    124, 136, 132, 129, 149, 141, 136, 116, 126, 118, 115, 152, 128, 132, 125, 116,
    130, 132, 141, 118, 111, 102, 106, 137, 119, 121, 118, 125, 121, 129, 134, 124,
    142, 132, 125, 135, 129, 125, 123, 123, 114, 133, 122, 133, 129, 124, 117, 136,
};
static const uint8_t pil_grey_5x7_to_12[144] = {
    54, 60, 78, 97, 116, 134, 153, 171, 184, 139, 94, 81, 94, 100, 121, 142,
    160, 178, 197, 218, 228, 147, 64, 39, 134, 141, 164, 187, 166, 139, 137, 161,
    179, 146, 112, 102, 173, 181, 207, 232, 172, 100, 78, 103, 129, 144, 160, 165,
    125, 134, 162, 190, 155, 113, 106, 134, 159, 151, 142, 139, 53, 63, 93, 123,
    133, 140, 159, 189, 211, 159, 106, 90, 37, 47, 79, 113, 125, 134, 155, 188,
    212, 162, 112, 96, 77, 87, 122, 158, 130, 95, 96, 131, 162, 161, 160, 159,
    117, 125, 152, 180, 129, 71, 60, 98, 134, 163, 192, 201, 156, 151, 135, 118,
    107, 97, 112, 152, 187, 178, 169, 167, 196, 178, 117, 55, 85, 124, 164, 207,
    240, 193, 147, 132, 132, 126, 108, 89, 88, 90, 116, 167, 207, 153, 100, 84,
};

static char root[64];

/* "<root>/<rel>"; a ring of buffers so a few can be alive at once. */
static const char *at(const char *rel) {
    static char buf[16][512];
    static int k;
    char *p = buf[k++ % 16];
    snprintf(p, 512, "%s/%s", root, rel);
    return p;
}

static void mkdir_at(const char *rel) {
    if (mkdir(at(rel), 0700) != 0) {
        perror(at(rel));
        abort();
    }
}

static void write_raw(const char *path, const void *data, size_t n) {
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(data, 1, n, f) != n) abort();
    fclose(f);
}

static size_t file_size(const char *path) {
    struct stat st;
    if (stat(path, &st) != 0) abort();
    return (size_t)st.st_size;
}

static void png_u8(const char *rel, const uint8_t *px, int h, int w, int c) {
    if (gan_png_write_u8(at(rel), px, h, w, c) != GAN_OK) {
        fprintf(stderr, "%s\n", gan_last_error());
        abort();
    }
}

/* (H, W, C) bytes, c = 1 grey, 3 RGB, 4 CMYK (libjpeg writes an Adobe marker, inks
 * inverted as Adobe's convention has them). libjpeg's default error handler exits: fine in a
 * test that only writes valid images. */
static void jpeg_write(const char *rel, const uint8_t *px, int h, int w, int c, int quality,
                       int progressive) {
    FILE *f = fopen(at(rel), "wb");
    if (!f) abort();
    struct jpeg_compress_struct ci;
    struct jpeg_error_mgr em;
    ci.err = jpeg_std_error(&em);
    jpeg_create_compress(&ci);
    jpeg_stdio_dest(&ci, f);
    ci.image_width = (JDIMENSION)w;
    ci.image_height = (JDIMENSION)h;
    ci.input_components = c;
    ci.in_color_space = c == 1 ? JCS_GRAYSCALE : c == 3 ? JCS_RGB : JCS_CMYK;
    jpeg_set_defaults(&ci);
    jpeg_set_quality(&ci, quality, TRUE);
    if (progressive) jpeg_simple_progression(&ci);
    jpeg_start_compress(&ci, TRUE);
    while (ci.next_scanline < ci.image_height) {
        JSAMPROW row = (JSAMPROW)(px + (size_t)ci.next_scanline * w * c);
        jpeg_write_scanlines(&ci, &row, 1);
    }
    jpeg_finish_compress(&ci);
    jpeg_destroy_compress(&ci);
    fclose(f);
}

static uint8_t *constant(int h, int w, int c, const uint8_t *v) {
    uint8_t *p = malloc((size_t)h * w * c);
    for (int i = 0; i < h * w; i++) memcpy(p + (size_t)i * c, v, (size_t)c);
    return p;
}

static uint8_t *pattern(int h, int w, int c) {
    uint8_t *p = malloc((size_t)h * w * c);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            for (int ch = 0; ch < c; ch++)
                p[((size_t)y * w + x) * c + ch] =
                    (uint8_t)((x * 37 + y * 91 + ch * 53 + ((x * y) % 17) * 13) & 255);
    return p;
}

/* Three equal bands 10 | 128 | 250 across (wide) or down (!wide). */
static uint8_t *thirds(int h, int w, int wide) {
    uint8_t *p = malloc((size_t)h * w);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            int band = wide ? x * 3 / w : y * 3 / h;
            p[(size_t)y * w + x] = band == 0 ? 10 : band == 1 ? 128 : 250;
        }
    return p;
}

static uint32_t lcg(uint32_t *s) { return *s = *s * 1664525u + 1013904223u; }

/* Largest |pixel - v[ch]| over image i. */
static int max_dev_const(const gan_u8_images *im, int i, const uint8_t *v) {
    const uint8_t *p = im->data + (size_t)i * im->h * im->w * im->c;
    int dev = 0;
    for (int k = 0; k < im->h * im->w; k++)
        for (int ch = 0; ch < im->c; ch++) {
            int d = abs(p[k * im->c + ch] - v[ch]);
            if (d > dev) dev = d;
        }
    return dev;
}

static const uint8_t *slot(const gan_u8_images *im, int i) {
    return im->data + (size_t)i * im->h * im->w * im->c;
}

static int zeroed(const gan_u8_images *im) {
    return !im->data && !im->n && !im->h && !im->w && !im->c;
}

/* A failure: right status, one line naming `path` (and needle), output left zeroed. */
static void expect_fail(const char *what, const char *dir, int size, gan_status want,
                        const char *path, const char *needle) {
    gan_u8_images im;
    memset(&im, 0xAB, sizeof im);
    gan_status s = gan_image_folder_load(dir, size, &im);
    const char *m = gan_last_error();
    int ok = s == want && strstr(m, path) && (!needle || strstr(m, needle)) && !strchr(m, '\n') &&
             zeroed(&im);
    th_check(ok, what, "status '%s' (want '%s'), message \"%s\"", gan_status_to_string(s),
             gan_status_to_string(want), m);
    gan_u8_images_free(&im);
}

/* ------------------------------------------------------------------ all-grey folder */

static void test_grey_folder(void) {
    mkdir_at("grey");
    mkdir_at("grey/sub");
    mkdir_at("grey/sub/deeper");
    uint8_t v77 = 77, v33 = 33, v5 = 5, v200 = 200, ga[2] = {150, 0};
    uint8_t *a = constant(30, 40, 1, &v77);          /* 40 wide x 30 high */
    png_u8("grey/a_const.png", a, 30, 40, 1);
    uint8_t *grad = malloc(28 * 28);
    for (int y = 0; y < 28; y++)
        for (int x = 0; x < 28; x++) grad[y * 28 + x] = (uint8_t)(x * 9 + y * 3);
    png_u8("grey/b_grad.png", grad, 28, 28, 1);
    uint8_t *wide = thirds(28, 84, 1), *tall = thirds(84, 28, 0);
    png_u8("grey/c_wide.png", wide, 28, 84, 1);
    png_u8("grey/d_tall.png", tall, 84, 28, 1);
    uint8_t *e = constant(100, 64, 1, &v33);         /* 64 wide x 100 high */
    png_u8("grey/e_64x100.png", e, 100, 64, 1);
    uint8_t *f = constant(40, 50, 1, &v200);
    jpeg_write("grey/f.jpg", f, 40, 50, 1, 95, 0);
    uint8_t *g = constant(28, 28, 1, &v5);
    png_u8("grey/g_png_named.dat", g, 28, 28, 1);    /* a PNG by content, not by name */
    write_raw(at("grey/notes.txt"), "not an image\n", 13);
    write_raw(at("grey/.hidden.jpg"), "\0\0\0\0junk", 8); /* macOS "._x.jpg" companions */
    uint8_t *h = constant(30, 30, 2, ga);            /* grey + alpha 0 */
    png_u8("grey/sub/h_alpha.png", h, 30, 30, 2);
    png_u8("grey/sub/deeper/ignored.png", g, 28, 28, 1);

    gan_u8_images im;
    int skipped = -1;
    gan_status s = gan_image_folder_load_ex(at("grey"), 28, &im, &skipped);
    th_check(s == GAN_OK && im.n == 8 && im.h == 28 && im.w == 28 && im.c == 1 && skipped == 2,
             "grey folder: 8 images, 28x28, C=1, 2 skipped",
             "status %d (%s) n=%d h=%d w=%d c=%d skipped=%d", s, gan_last_error(), im.n, im.h,
             im.w, im.c, skipped);
    if (s != GAN_OK || im.n != 8 || im.c != 1) return;
    /* sorted: a_const, b_grad, c_wide, d_tall, e_64x100, f.jpg, g_png_named.dat, sub/h_alpha */
    int d = max_dev_const(&im, 0, &v77);
    th_check(d == 0, "constant 40x30 -> 28x28 stays exactly 77", "max deviation %d", d);
    th_check(!memcmp(slot(&im, 1), grad, 28 * 28), "28x28 gradient resized to 28 is unchanged",
             "%s", "byte compare");
    d = max_dev_const(&im, 2, (const uint8_t[]){128});
    th_check(d == 0, "84x28 thirds: centre crop is the middle band", "max deviation from 128: %d", d);
    d = max_dev_const(&im, 3, (const uint8_t[]){128});
    th_check(d == 0, "28x84 thirds: centre crop is the middle band", "max deviation from 128: %d", d);
    d = max_dev_const(&im, 4, &v33);
    th_check(d == 0, "constant 64x100 -> 28x43 -> crop stays exactly 33", "max deviation %d", d);
    d = max_dev_const(&im, 5, &v200);
    th_check(d <= 1, "grey JPEG 50x40 constant 200 (q95)", "max deviation %d", d);
    d = max_dev_const(&im, 6, &v5);
    th_check(d == 0, "PNG named .dat is decoded by its magic", "max deviation %d", d);
    d = max_dev_const(&im, 7, (const uint8_t[]){255});
    th_check(d == 0, "grey+alpha (alpha 0) in a subfolder: composited onto white, grey kept",
             "max deviation from 255: %d", d);
    gan_u8_images_free(&im);
    th_check(zeroed(&im), "gan_u8_images_free zeroes the struct", "%s", "");

    /* through the lead's resolver: a folder spec goes here, labels stay empty */
    gan_u8_labels lb;
    s = gan_dataset_load(at("grey"), 28, &im, &lb);
    th_check(s == GAN_OK && im.n == 8 && im.c == 1 && lb.n == 0 && !lb.data,
             "gan_dataset_load(folder) uses the image folder loader", "status %d n=%d c=%d lb.n=%d",
             s, im.n, im.c, lb.n);
    gan_u8_images_free(&im);
    gan_u8_labels_free(&lb);
    free(a), free(grad), free(wide), free(tall), free(e), free(f), free(g), free(h);
}

/* ------------------------------------------------------------------ mixed folder -> RGB */

static void write_palette_png(const char *rel, int h, int w) {
    png_image img;
    memset(&img, 0, sizeof img);
    img.version = PNG_IMAGE_VERSION;
    img.width = (png_uint_32)w;
    img.height = (png_uint_32)h;
    img.format = PNG_FORMAT_RGB_COLORMAP;
    img.colormap_entries = 4;
    static const uint8_t cmap[12] = {255, 0, 0, 0, 255, 0, 0, 0, 255, 40, 80, 120};
    uint8_t *idx = malloc((size_t)h * w);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) idx[y * w + x] = (uint8_t)((x / 7 + y / 7) % 4);
    if (!png_image_write_to_file(&img, at(rel), 0, idx, 0, cmap)) abort();
    free(idx);
}

static void write_png16(const char *rel, int h, int w, const uint16_t *rgb) {
    png_image img;
    memset(&img, 0, sizeof img);
    img.version = PNG_IMAGE_VERSION;
    img.width = (png_uint_32)w;
    img.height = (png_uint_32)h;
    img.format = PNG_FORMAT_LINEAR_RGB;
    uint16_t *px = malloc((size_t)h * w * 3 * sizeof *px);
    for (int i = 0; i < h * w; i++) memcpy(px + 3 * i, rgb, 3 * sizeof *rgb);
    if (!png_image_write_to_file(&img, at(rel), 0, px, 0, NULL)) abort();
    free(px);
}

static void test_colour_folder(void) {
    mkdir_at("colour");
    uint8_t *grad = malloc(28 * 28);
    for (int i = 0; i < 28 * 28; i++) grad[i] = (uint8_t)(i * 7);
    png_u8("colour/a_grey.png", grad, 28, 28, 1);
    const uint8_t rgb[3] = {10, 20, 30}, rgba[4] = {200, 100, 50, 0}, jc[3] = {250, 128, 0};
    const uint8_t cmyk[4] = {200, 100, 50, 255};     /* Adobe-inverted: no black ink */
    uint8_t *b = constant(30, 40, 3, rgb);
    png_u8("colour/b_rgb.png", b, 30, 40, 3);
    uint8_t *c = constant(28, 28, 4, rgba);
    png_u8("colour/c_rgba.png", c, 28, 28, 4);
    uint8_t *d = constant(32, 32, 3, jc);
    jpeg_write("colour/d.jpg", d, 32, 32, 3, 100, 0);
    uint8_t *e = constant(24, 40, 4, cmyk);
    jpeg_write("colour/e_cmyk.jpeg", e, 24, 40, 4, 100, 0);
    uint8_t *f = pattern(23, 37, 3);
    png_u8("colour/f_pattern.png", f, 23, 37, 3);
    write_palette_png("colour/g_palette.png", 28, 28);
    const uint16_t v16[3] = {65535, 1000, 32896};
    write_png16("colour/h_16bit.png", 30, 30, v16);
    uint8_t *th = thirds(56, 168, 1);
    png_u8("colour/i_thirds.png", th, 56, 168, 1);
    uint8_t *cb = malloc(64 * 64 * 3);
    for (int i = 0; i < 64 * 64 * 3; i++) cb[i] = (uint8_t)(i * 31 + i / 5);
    jpeg_write("colour/j_progressive.jpg", cb, 64, 64, 3, 80, 1);

    gan_u8_images im;
    int skipped = -1;
    gan_status s = gan_image_folder_load_ex(at("colour"), 8, &im, &skipped);
    th_check(s == GAN_OK && im.n == 10 && im.c == 3 && im.h == 8 && skipped == 0,
             "mixed folder at size 8: 10 images, C=3", "status %d (%s) n=%d c=%d h=%d", s,
             gan_last_error(), im.n, im.c, im.h);
    if (s == GAN_OK && im.n == 10) {
        int diff = 0;
        for (int i = 0; i < 192; i++) diff += slot(&im, 5)[i] != pil_rgb_37x23_to_8[i];
        th_check(diff == 0, "RGB 37x23 -> 8x8 equals Pillow's resize + torchvision's crop",
                 "%d of 192 bytes differ", diff);
        gan_u8_images_free(&im);
    }

    s = gan_image_folder_load(at("colour"), 28, &im);
    th_check(s == GAN_OK && im.n == 10 && im.c == 3 && im.h == 28 && im.w == 28,
             "mixed folder at size 28: 10 images, C=3", "status %d (%s) n=%d c=%d", s,
             gan_last_error(), im.n, im.c);
    if (s != GAN_OK || im.n != 10) return;
    int bad = 0;
    for (int k = 0; k < 28 * 28; k++)
        for (int ch = 0; ch < 3; ch++) bad += slot(&im, 0)[k * 3 + ch] != grad[k];
    th_check(bad == 0, "grey image in a colour folder becomes R = G = B", "%d bytes differ", bad);
    int dv = max_dev_const(&im, 1, rgb);
    th_check(dv == 0, "RGB 40x30 constant stays exact", "max deviation %d", dv);
    dv = max_dev_const(&im, 2, (const uint8_t[]){255, 255, 255});
    th_check(dv == 0, "RGBA with alpha 0: composited onto white (the RGB under it is ignored)",
             "max deviation %d", dv);
    dv = max_dev_const(&im, 3, jc);
    th_check(dv <= 3, "RGB JPEG constant (q100)", "max deviation %d", dv);
    dv = max_dev_const(&im, 4, cmyk);
    th_check(dv <= 3, "CMYK JPEG (Adobe) -> RGB", "max deviation %d", dv);
    static const uint8_t cmap[4][3] = {{255, 0, 0}, {0, 255, 0}, {0, 0, 255}, {40, 80, 120}};
    bad = 0;
    for (int y = 0; y < 28; y++)
        for (int x = 0; x < 28; x++)
            bad += memcmp(slot(&im, 6) + (y * 28 + x) * 3, cmap[(x / 7 + y / 7) % 4], 3) != 0;
    th_check(bad == 0, "palette PNG expanded to its colours", "%d pixels differ", bad);
    /* png_set_scale_16: (v * 255 + 32895) >> 16 = 255, 4, 128 */
    dv = max_dev_const(&im, 7, (const uint8_t[]){255, 4, 128});
    th_check(dv == 0, "16-bit PNG reduced to 8 bits with rounding", "max deviation %d", dv);
    /* 168x56 -> 84x28, crop columns 28..55: output column 0 reads inputs 55..58 with triangle
     * weights 1/8, 3/8, 3/8, 1/8 -> 10/8 + 128*7/8 = 113.25; the last column 143.25 */
    bad = 0;
    for (int y = 0; y < 28; y++)
        for (int x = 0; x < 28; x++)
            for (int ch = 0; ch < 3; ch++) {
                int want = x == 0 ? 113 : x == 27 ? 143 : 128;
                bad += slot(&im, 8)[(y * 28 + x) * 3 + ch] != want;
            }
    th_check(bad == 0, "168x56 thirds: crop = middle band, edge columns 113 / 143 (filter weights)",
             "%d bytes differ", bad);
    /* same bytes whatever the thread count */
    int old = gan_get_threads();
    gan_u8_images one;
    gan_set_threads(1);
    s = gan_image_folder_load(at("colour"), 28, &one);
    gan_set_threads(old);
    th_check(s == GAN_OK && one.n == im.n &&
                 !memcmp(one.data, im.data, (size_t)im.n * im.h * im.w * im.c),
             "1 thread gives the same bytes as all threads", "status %d", s);
    gan_u8_images_free(&one);
    gan_u8_images_free(&im);
    free(grad), free(b), free(c), free(d), free(e), free(f), free(th), free(cb);
}

/* ------------------------------------------------------------------ filter behaviour */

static void test_filters(void) {
    mkdir_at("cb");
    uint8_t *cb = malloc(56 * 56);
    for (int y = 0; y < 56; y++)
        for (int x = 0; x < 56; x++) cb[y * 56 + x] = (uint8_t)(((x + y) & 1) * 255);
    png_u8("cb/checker.png", cb, 56, 56, 1);
    gan_u8_images im;
    gan_status s = gan_image_folder_load(at("cb"), 28, &im);
    th_check(s == GAN_OK && im.n == 1 && im.c == 1, "checkerboard folder loads", "status %d", s);
    if (s == GAN_OK) {
        /* interior: weights 1/8, 3/8, 3/8, 1/8 put exactly half on each colour -> 127.5 -> 128;
         * borders renormalise over fewer taps. Point sampling would give 0 or 255. */
        int lo = 255, hi = 0, interior_bad = 0;
        long sum = 0;
        for (int y = 0; y < 28; y++)
            for (int x = 0; x < 28; x++) {
                int v = im.data[y * 28 + x];
                lo = v < lo ? v : lo, hi = v > hi ? v : hi, sum += v;
                if (y > 0 && y < 27 && x > 0 && x < 27) interior_bad += v != 128;
            }
        double mean = sum / 784.0;
        th_check(interior_bad == 0 && lo >= 120 && hi <= 136 && mean > 126.5 && mean < 128.5,
                 "2x downscale of a checkerboard averages to grey (antialiased)",
                 "interior != 128: %d, range [%d, %d], mean %.3f", interior_bad, lo, hi, mean);
        gan_u8_images_free(&im);
    }
    /* 4x downscale of 1-in-4 white columns: the stretched triangle spans 8 inputs with
     * weights (1, 3, 5, 7, 7, 5, 3, 1)/32, two of them white (5 + 3)/32 -> 63.75 -> 64. A filter
     * that does not widen with the scale (2 taps) gives 0 or 255 here. */
    mkdir_at("stripes");
    uint8_t *st = malloc(112 * 112);
    for (int y = 0; y < 112; y++)
        for (int x = 0; x < 112; x++) st[y * 112 + x] = x % 4 == 0 ? 255 : 0;
    png_u8("stripes/s.png", st, 112, 112, 1);
    s = gan_image_folder_load(at("stripes"), 28, &im);
    int sbad = s != GAN_OK || im.n != 1;
    for (int y = 0; !sbad && y < 28; y++)
        for (int x = 1; x < 27; x++) sbad += im.data[y * 28 + x] != 64;
    th_check(!sbad, "4x downscale of 1-in-4 stripes gives their mean (antialiased)",
             "status %d, %d interior bytes != 64", s, sbad);
    gan_u8_images_free(&im);
    free(st);

    /* a 65535 x 1 line: its long side becomes 64 * 65535, past INT_MAX */
    mkdir_at("thin");
    const uint8_t v99 = 99;
    uint8_t *line = constant(1, 65535, 1, &v99);
    png_u8("thin/line.png", line, 1, 65535, 1);
    s = gan_image_folder_load(at("thin"), 64, &im);
    int dl = s == GAN_OK && im.n == 1 ? max_dev_const(&im, 0, &v99) : -1;
    th_check(dl == 0, "65535 x 1 image resized to 64 x 4194240 and cropped", "status %d (%s), "
             "max deviation %d", s, gan_last_error(), dl);
    gan_u8_images_free(&im);
    free(line);

    mkdir_at("up");
    uint8_t *p = pattern(7, 5, 1);
    png_u8("up/p.png", p, 7, 5, 1);
    s = gan_image_folder_load(at("up"), 12, &im);
    if (s == GAN_OK && im.n == 1 && im.c == 1 && im.h == 12) {
        int diff = 0;
        for (int i = 0; i < 144; i++) diff += im.data[i] != pil_grey_5x7_to_12[i];
        th_check(diff == 0, "grey 5x7 upscaled to 12x16, cropped to 12: equals Pillow",
                 "%d of 144 bytes differ", diff);
    } else {
        th_check(0, "grey 5x7 upscaled: equals Pillow", "status %d (%s)", s, gan_last_error());
    }
    gan_u8_images_free(&im);

    /* crop offsets round half to even, as Python's round(): 28x31 -> (31-28)/2 = 1.5 -> 2,
     * 28x33 -> 2.5 -> 2 (floor would give 1 and 2, round-half-up 2 and 3) */
    mkdir_at("crop");
    uint8_t *rows = malloc(33 * 28);
    for (int y = 0; y < 33; y++) memset(rows + y * 28, y * 7, 28);
    png_u8("crop/a_31.png", rows, 31, 28, 1);
    png_u8("crop/b_33.png", rows, 33, 28, 1);
    s = gan_image_folder_load(at("crop"), 28, &im);
    int bad = s != GAN_OK || im.n != 2;
    for (int i = 0; !bad && i < 2; i++)
        for (int y = 0; y < 28; y++)
            for (int x = 0; x < 28; x++) bad += slot(&im, i)[y * 28 + x] != (y + 2) * 7;
    th_check(!bad, "centre crop offsets 1.5 and 2.5 round to 2 (half to even)",
             "status %d, %d bytes differ", s, bad);
    gan_u8_images_free(&im);
    free(cb), free(p), free(rows);
}

/* ------------------------------------------------------------------ broken input */

static void test_errors(void) {
    uint8_t *px = pattern(64, 64, 3);
    const uint8_t grey = 9;
    uint8_t *g = constant(28, 28, 1, &grey);

    mkdir_at("trunc_png");
    png_u8("trunc_png/a_good.png", g, 28, 28, 1);
    png_u8("trunc_png/b_bad.png", px, 64, 64, 3);
    if (truncate(at("trunc_png/b_bad.png"), (off_t)(file_size(at("trunc_png/b_bad.png")) / 2)))
        abort();
    expect_fail("truncated PNG", at("trunc_png"), 28, GAN_ERR_FORMAT, at("trunc_png/b_bad.png"),
                NULL);

    mkdir_at("crc_png");
    png_u8("crc_png/x.png", px, 64, 64, 3);
    {
        size_t n = file_size(at("crc_png/x.png"));
        uint8_t *buf = malloc(n);
        FILE *f = fopen(at("crc_png/x.png"), "rb");
        if (!f || fread(buf, 1, n, f) != n) abort();
        fclose(f);
        buf[n / 2] ^= 0x55;                           /* inside IDAT: a CRC mismatch */
        write_raw(at("crc_png/x.png"), buf, n);
        free(buf);
    }
    expect_fail("PNG with a damaged IDAT", at("crc_png"), 28, GAN_ERR_FORMAT, at("crc_png/x.png"),
                NULL);

    mkdir_at("liar_png");
    {
        uint8_t buf[100] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n', 0, 0, 0, 13,
                            'I', 'H', 'D', 'R', 0, 0, 0x3E, 0x80, 0, 0, 0x3E, 0x80, 8, 2};
        write_raw(at("liar_png/big.png"), buf, sizeof buf);   /* claims 16000 x 16000 RGB */
    }
    expect_fail("PNG header claiming 16000x16000 in 100 bytes", at("liar_png"), 28, GAN_ERR_FORMAT,
                at("liar_png/big.png"), "claims");
    mkdir_at("huge_png");
    {
        uint8_t buf[100] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n', 0, 0, 0, 13,
                            'I', 'H', 'D', 'R', 0, 0, 0xEA, 0x60, 0, 0, 0xEA, 0x60, 8, 0};
        write_raw(at("huge_png/huge.png"), buf, sizeof buf);  /* 60000 x 60000 > 2^28 pixels */
    }
    expect_fail("PNG of 60000x60000 (over the pixel limit)", at("huge_png"), 28, GAN_ERR_FORMAT,
                at("huge_png/huge.png"), "outside");

    mkdir_at("liar_jpg");
    jpeg_write("liar_jpg/l.jpg", g, 28, 28, 1, 90, 0);
    {
        size_t n = file_size(at("liar_jpg/l.jpg"));
        uint8_t *buf = malloc(n);
        FILE *f = fopen(at("liar_jpg/l.jpg"), "rb");
        if (!f || fread(buf, 1, n, f) != n) abort();
        fclose(f);
        size_t i = 2;                                /* find SOF0: FF C0 len(2) P(1) H(2) W(2) */
        while (i + 9 < n && !(buf[i] == 0xFF && buf[i + 1] == 0xC0)) i++;
        if (i + 9 >= n) abort();
        buf[i + 5] = 0x3E, buf[i + 6] = 0x80, buf[i + 7] = 0x3E, buf[i + 8] = 0x80;
        write_raw(at("liar_jpg/l.jpg"), buf, n);
        free(buf);
    }
    expect_fail("JPEG header claiming 16000x16000 in a few hundred bytes", at("liar_jpg"), 28,
                GAN_ERR_FORMAT, at("liar_jpg/l.jpg"), "claims");

    mkdir_at("rand_jpg");
    {
        uint8_t buf[500];
        uint32_t st = 12345;
        for (size_t i = 0; i < sizeof buf; i++) buf[i] = (uint8_t)(lcg(&st) >> 24);
        buf[0] = 0x12;
        write_raw(at("rand_jpg/noise.jpg"), buf, sizeof buf);
    }
    expect_fail("random bytes named .jpg", at("rand_jpg"), 28, GAN_ERR_FORMAT,
                at("rand_jpg/noise.jpg"), "not a PNG or JPEG");

    mkdir_at("garbage_jpg");
    {
        uint8_t buf[300];
        uint32_t st = 999;
        for (size_t i = 0; i < sizeof buf; i++) buf[i] = (uint8_t)(lcg(&st) >> 24);
        buf[0] = 0xFF, buf[1] = 0xD8, buf[2] = 0xFF;  /* JPEG magic, then noise */
        write_raw(at("garbage_jpg/x.bin"), buf, sizeof buf);
    }
    expect_fail("JPEG magic followed by garbage (libjpeg error_exit)", at("garbage_jpg"), 28,
                GAN_ERR_FORMAT, at("garbage_jpg/x.bin"), NULL);

    mkdir_at("trunc_jpg");
    jpeg_write("trunc_jpg/t.jpg", px, 64, 64, 3, 90, 0);
    if (truncate(at("trunc_jpg/t.jpg"), (off_t)(file_size(at("trunc_jpg/t.jpg")) * 6 / 10)))
        abort();
    expect_fail("truncated JPEG (libjpeg only warns)", at("trunc_jpg"), 28, GAN_ERR_FORMAT,
                at("trunc_jpg/t.jpg"), NULL);

    mkdir_at("trunc_pjpg");
    jpeg_write("trunc_pjpg/t.jpg", px, 64, 64, 3, 90, 1);
    if (truncate(at("trunc_pjpg/t.jpg"), (off_t)(file_size(at("trunc_pjpg/t.jpg")) * 6 / 10)))
        abort();
    expect_fail("truncated progressive JPEG", at("trunc_pjpg"), 28, GAN_ERR_FORMAT,
                at("trunc_pjpg/t.jpg"), NULL);

    mkdir_at("empty_png");
    write_raw(at("empty_png/zero.png"), "", 0);
    expect_fail("empty file named .png", at("empty_png"), 28, GAN_ERR_FORMAT,
                at("empty_png/zero.png"), NULL);

    /* two bad files: the first in load order is reported, whatever thread saw what */
    mkdir_at("two_bad");
    for (int i = 0; i < 12; i++) {
        char rel[64];
        snprintf(rel, sizeof rel, "two_bad/img%02d.png", i);
        png_u8(rel, px, 64, 64, 3);
        if (i == 5 || i == 9) {
            if (truncate(at(rel), (off_t)(file_size(at(rel)) / 3))) abort();
        }
    }
    expect_fail("two truncated PNGs: the first is named", at("two_bad"), 28, GAN_ERR_FORMAT,
                at("two_bad/img05.png"), NULL);

    mkdir_at("empty");
    expect_fail("empty folder", at("empty"), 28, GAN_ERR_FORMAT, at("empty"), "no PNG or JPEG");
    mkdir_at("only_txt");
    write_raw(at("only_txt/a.txt"), "x", 1);
    mkdir_at("only_txt/sub");
    write_raw(at("only_txt/sub/b.csv"), "1,2", 3);
    expect_fail("folder with no images", at("only_txt"), 28, GAN_ERR_FORMAT, at("only_txt"),
                "2 other files skipped");
    expect_fail("missing folder", at("no_such_folder"), 28, GAN_ERR_IO, at("no_such_folder"),
                NULL);
    expect_fail("a file given as the folder", at("only_txt/a.txt"), 28, GAN_ERR_IO,
                at("only_txt/a.txt"), NULL);
    expect_fail("size 0", at("grey"), 0, GAN_ERR_ARG, at("grey"), NULL);
    expect_fail("size -3", at("grey"), -3, GAN_ERR_ARG, at("grey"), NULL);
    free(px), free(g);
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

int main(void) {
    snprintf(root, sizeof root, "/tmp/gan_test_imgfolder_XXXXXX");
    if (!mkdtemp(root)) {
        perror("mkdtemp");
        return 1;
    }
    test_grey_folder();
    test_colour_folder();
    test_filters();
    test_errors();
    int rc = nftw(root, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    th_check(rc == 0 && access(root, F_OK) != 0, "temporary folder removed", "%s", root);
    return th_done("test_image_folder");
}
