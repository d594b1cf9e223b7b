/* image_folder.c — --data FOLDER: every PNG and JPEG in a folder (and in its subfolders, one
 * level down, as torchvision's ImageFolder lays classes out), each resized and centre-cropped
 * to size x size as torchvision's Resize(size) + CenterCrop(size) do on PIL images, into
 * (N, H, W, C) bytes.
 *
 * What comes out, and why:
 *  - Order: entries sorted by name (strcmp, as Python sorts str); a subfolder's files come at
 *    the subfolder's place in that order, themselves sorted. Names starting with '.' are
 *    skipped (.DS_Store, macOS "._x.jpg" companions), as are deeper folders.
 *  - A file is decoded by its magic bytes, whatever its name. A file without PNG/JPEG magic is
 *    skipped (counted) unless its name ends in .png/.jpg/.jpeg/.jpe: then it is an error,
 *    because it claims to be an image and is not.
 *  - C = 1 when every image is greyscale (PNG gray / gray+alpha, 1-channel JPEG), else C = 3
 *    and grey images are replicated to R = G = B. Palette PNGs count as colour (PIL: "P").
 *  - Alpha (and PNG tRNS) is composited onto an opaque background (white unless the caller
 *    picks another colour), as PIL's Image.alpha_composite(background, im.convert("RGBA"))
 *    .convert("RGB") does, in PIL's 8-bit arithmetic (composite_alpha below), before the
 *    resize. Dropping alpha (torchvision's bare convert("RGB")) shows whatever RGB sits under
 *    transparent pixels, often black or noise. Grey + alpha over a grey background stays grey;
 *    a background that is not grey makes the whole set colour (C = 3).
 *    16-bit PNG samples become round(v * 255 / 65535).
 *    CMYK/YCCK JPEGs become RGB (Adobe's inverted CMYK when the file has an Adobe marker).
 *    No gamma or ICC handling, as PIL.
 *  - Resize: the shorter side becomes `size`, the longer int(size * long / short); the filter
 *    is Pillow's BILINEAR (a triangle stretched by the scale factor when downscaling, so it
 *    antialiases), in Pillow's 22-bit fixed point, horizontal pass first, each pass rounded to
 *    bytes: results match PIL byte for byte. The crop offset is round((new - size) / 2) with
 *    Python's round-half-even. Only the pixels inside the crop are computed.
 *  - Strictness: a truncated or corrupt PNG/JPEG fails the whole load with a message naming
 *    it. libjpeg only warns on truncated data (and invents grey pixels), so its warnings are
 *    errors here, except the harmless ones (extraneous bytes, unknown JFIF revision or Adobe
 *    transform code). A PNG must reach its IEND chunk.
 *  - Headers that lie cannot make the loader allocate much more than the file holds: a PNG's
 *    raw rows must fit deflate's 1032:1 limit of the file size, a JPEG's pixels 4096 per file
 *    byte (progressive Huffman needs at least a bit per 8x8 block, so only arithmetic-coded
 *    flat images could exceed it), and every image at most 2^28 pixels, 65535 per side.
 *
 * Two passes over the files: the first reads only headers (dimensions, grey or colour) so the
 * output is allocated once at its final channel count; the second decodes, one image per
 * thread at a time, straight into its output slot. */
#include "data_internal.h"
#include "io/io_internal.h"
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <jpeglib.h>
#include <jerror.h>
#include <png.h>

#define IMG_MAX_SIDE 65535
#define IMG_MAX_PIXELS ((uint64_t)1 << 28)
#define PNG_MAX_RATIO 1032u        /* deflate: at most 258 bytes out per 2 bits in */
#define JPEG_MAX_PX_PER_BYTE 4096u
#define PIL_PRECISION_BITS 22      /* Pillow's Resample.c: 32 - 8 - 2 */

enum { KIND_PNG = 1, KIND_JPEG = 2 };

typedef struct {
    char *path;
    int kind, w, h, grey;
} img_entry;

/* One decoded image: (h, w, c) bytes, c = 1 or 3 by the time it is resized. */
typedef struct {
    uint8_t *px;
    int w, h, c;
} raw_image;

/* ------------------------------------------------------------------ PNG */

typedef struct {
    png_structp png;
    png_infop info;
    FILE *f;
    uint8_t *px;
    png_bytep *rows;
    int w, h, c, nomem;
    char msg[256];
} png_job;

static void png_job_error(png_structp png, png_const_charp msg) {
    png_job *j = png_get_error_ptr(png);
    snprintf(j->msg, sizeof j->msg, "%s", msg);
    png_longjmp(png, 1);
}
static void png_job_warning(png_structp png, png_const_charp msg) { (void)png, (void)msg; }

/* The setjmp lives here and every value that changes after it lives in *j, which belongs to
 * the caller, so nothing is indeterminate after a longjmp. */
static int png_job_run(png_job *j) {
    if (setjmp(png_jmpbuf(j->png))) return -1;
    png_init_io(j->png, j->f);
    png_set_user_limits(j->png, IMG_MAX_SIDE, IMG_MAX_SIDE);
    png_read_info(j->png, j->info);
    png_uint_32 w = png_get_image_width(j->png, j->info), h = png_get_image_height(j->png, j->info);
    int ct = png_get_color_type(j->png, j->info), bd = png_get_bit_depth(j->png, j->info);
    if ((uint64_t)w * h > IMG_MAX_PIXELS) png_error(j->png, "image too large");
    if (ct == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(j->png);
    if (ct == PNG_COLOR_TYPE_GRAY && bd < 8) png_set_expand_gray_1_2_4_to_8(j->png);
    if (bd == 16) png_set_scale_16(j->png);
    /* a tRNS chunk is alpha too (palette icons): expanded, so it is composited below */
    if (png_get_valid(j->png, j->info, PNG_INFO_tRNS)) png_set_tRNS_to_alpha(j->png);
    png_set_interlace_handling(j->png);
    png_read_update_info(j->png, j->info);
    int c = png_get_channels(j->png, j->info);
    size_t rb = png_get_rowbytes(j->png, j->info);
    if (png_get_bit_depth(j->png, j->info) != 8 || c < 1 || c > 4 || rb != (size_t)w * c)
        png_error(j->png, "unexpected pixel layout after expansion");
    j->px = malloc((size_t)h * rb);
    j->rows = malloc((size_t)h * sizeof *j->rows);
    if (!j->px || !j->rows) {
        j->nomem = 1;
        png_error(j->png, "out of memory");
    }
    for (png_uint_32 y = 0; y < h; y++) j->rows[y] = j->px + (size_t)y * rb;
    png_read_image(j->png, j->rows);
    png_read_end(j->png, NULL);
    j->w = (int)w, j->h = (int)h, j->c = c;
    return 0;
}

static gan_status decode_png(const char *path, FILE *f, raw_image *out) {
    png_job j = {0};
    j.f = f;
    j.png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &j, png_job_error, png_job_warning);
    j.info = j.png ? png_create_info_struct(j.png) : NULL;
    if (!j.info) {
        png_destroy_read_struct(&j.png, NULL, NULL);
        return gan_fail(GAN_ERR_NOMEM, "%s: out of memory starting libpng", path);
    }
    int bad = png_job_run(&j);
    png_destroy_read_struct(&j.png, &j.info, NULL);
    free(j.rows);
    if (bad) {
        free(j.px);
        if (j.nomem) return gan_fail(GAN_ERR_NOMEM, "%s: out of memory decoding PNG", path);
        return gan_fail(GAN_ERR_FORMAT, "%s: corrupt or truncated PNG: %s", path, j.msg);
    }
    *out = (raw_image){j.px, j.w, j.h, j.c};
    return GAN_OK;
}

/* Dimensions and colour from the IHDR chunk, which must come first (bytes 8..32). */
static gan_status probe_png(const char *path, const uint8_t *head, size_t n, uint64_t fsize,
                            img_entry *e) {
    static const char ok_depths[7][6] = {"\1\2\4\10\20", "", "\10\20", "\1\2\4\10",
                                         "\10\20", "", "\10\20"};
    static const int channels[7] = {1, 0, 3, 1, 2, 0, 4};
    if (n < 33 || gan_get_be32(head + 8) != 13 || memcmp(head + 12, "IHDR", 4))
        return gan_fail(GAN_ERR_FORMAT, "%s: corrupt or truncated PNG: no IHDR chunk", path);
    uint32_t w = gan_get_be32(head + 16), h = gan_get_be32(head + 20);
    int bd = head[24], ct = head[25];
    if (ct > 6 || !channels[ct] || !memchr(ok_depths[ct], bd, strlen(ok_depths[ct])))
        return gan_fail(GAN_ERR_FORMAT, "%s: corrupt PNG: colour type %d with bit depth %d",
                        path, ct, bd);
    if (w < 1 || h < 1 || w > IMG_MAX_SIDE || h > IMG_MAX_SIDE || (uint64_t)w * h > IMG_MAX_PIXELS)
        return gan_fail(GAN_ERR_FORMAT, "%s: PNG of %u x %u pixels is outside what gan.c loads "
                        "(at most %d per side and 2^28 pixels)", path, w, h, IMG_MAX_SIDE);
    /* Adam7 adds at most 7 filter bytes per row group; the slack covers it. */
    uint64_t raw = (uint64_t)h * (1 + ((uint64_t)w * channels[ct] * bd + 7) / 8);
    if (raw > PNG_MAX_RATIO * fsize + 4096)
        return gan_fail(GAN_ERR_FORMAT, "%s: PNG header claims %u x %u pixels but the file holds "
                        "only %llu bytes", path, w, h, (unsigned long long)fsize);
    e->kind = KIND_PNG, e->w = (int)w, e->h = (int)h, e->grey = ct == 0 || ct == 4;
    return GAN_OK;
}

/* ------------------------------------------------------------------ JPEG */

typedef struct {
    struct jpeg_decompress_struct ci;
    struct jpeg_error_mgr em;
    jmp_buf jb;
    FILE *f;
    uint8_t *px;
    int w, h, c, grey, nomem;
    char msg[JMSG_LENGTH_MAX];
} jpeg_job;

/* libjpeg's default error_exit calls exit(): jump back to jpeg_job_run instead. */
static void jpeg_job_error(j_common_ptr ci) {
    jpeg_job *j = ci->client_data;
    ci->err->format_message(ci, j->msg);
    longjmp(j->jb, 1);
}
/* Warnings mean missing or damaged pixel data (libjpeg fills it in grey), except these. */
static void jpeg_job_message(j_common_ptr ci, int level) {
    int code = ci->err->msg_code;
    if (level >= 0 || code == JWRN_EXTRANEOUS_DATA || code == JWRN_JFIF_MAJOR ||
        code == JWRN_ADOBE_XFORM)
        return;
    jpeg_job_error(ci);
}
static void jpeg_job_output(j_common_ptr ci) { (void)ci; }

static int jpeg_job_run(jpeg_job *j, int header_only) {
    if (setjmp(j->jb)) return -1;
    jpeg_create_decompress(&j->ci);
    j->ci.client_data = j;
    jpeg_stdio_src(&j->ci, j->f);
    jpeg_read_header(&j->ci, TRUE);
    j->w = (int)j->ci.image_width, j->h = (int)j->ci.image_height;
    j->grey = j->ci.jpeg_color_space == JCS_GRAYSCALE;
    if (j->w < 1 || j->h < 1 || (uint64_t)j->w * j->h > IMG_MAX_PIXELS) {
        snprintf(j->msg, sizeof j->msg, "%d x %d pixels is outside what gan.c loads (at most "
                 "2^28 pixels)", j->w, j->h);
        return -1;
    }
    if (header_only) return 0;
    switch (j->ci.jpeg_color_space) {
    case JCS_GRAYSCALE: j->ci.out_color_space = JCS_GRAYSCALE; break;
    case JCS_CMYK:
    case JCS_YCCK: j->ci.out_color_space = JCS_CMYK; break;
    default: j->ci.out_color_space = JCS_RGB; break;
    }
    jpeg_start_decompress(&j->ci);
    int c = j->ci.output_components;
    if ((int)j->ci.output_width != j->w || (int)j->ci.output_height != j->h ||
        (c != 1 && c != 3 && c != 4)) {
        snprintf(j->msg, sizeof j->msg, "unexpected output layout (%d components)", c);
        return -1;
    }
    j->px = malloc((size_t)j->w * j->h * c);
    if (!j->px) {
        j->nomem = 1;
        return -1;
    }
    while (j->ci.output_scanline < j->ci.output_height) {
        JSAMPROW row = j->px + (size_t)j->ci.output_scanline * j->w * c;
        jpeg_read_scanlines(&j->ci, &row, 1);
    }
    jpeg_finish_decompress(&j->ci);
    j->c = c;
    return 0;
}

/* header_only: fills only w, h, grey (out untouched). */
static gan_status jpeg_run(const char *path, FILE *f, int header_only, jpeg_job *j) {
    memset(j, 0, sizeof *j);
    j->f = f;
    j->ci.err = jpeg_std_error(&j->em);
    j->em.error_exit = jpeg_job_error;
    j->em.emit_message = jpeg_job_message;
    j->em.output_message = jpeg_job_output;
    j->ci.client_data = j;
    int bad = jpeg_job_run(j, header_only);
    jpeg_destroy_decompress(&j->ci);
    if (!bad) return GAN_OK;
    free(j->px);
    j->px = NULL;
    if (j->nomem) return gan_fail(GAN_ERR_NOMEM, "%s: out of memory decoding JPEG", path);
    return gan_fail(GAN_ERR_FORMAT, "%s: corrupt or truncated JPEG: %s", path, j->msg);
}

static gan_status decode_jpeg(const char *path, FILE *f, raw_image *out) {
    jpeg_job *j = malloc(sizeof *j);     /* ~1 KB of libjpeg state: keep it off the stack */
    if (!j) return gan_fail(GAN_ERR_NOMEM, "%s: out of memory starting libjpeg", path);
    gan_status s = jpeg_run(path, f, 0, j);
    if (s == GAN_OK) {
        *out = (raw_image){j->px, j->w, j->h, j->c};
        if (j->c == 4) {
            /* CMYK -> RGB; Adobe's files store the inks inverted (255 = no ink) */
            int inv = j->ci.saw_Adobe_marker;
            size_t n = (size_t)j->w * j->h;
            for (size_t i = 0; i < n; i++) {
                const uint8_t *q = j->px + 4 * i;
                unsigned k = inv ? q[3] : 255u - q[3];
                uint8_t rgb[3];
                for (int ch = 0; ch < 3; ch++)
                    rgb[ch] = (uint8_t)(((inv ? q[ch] : 255u - q[ch]) * k + 127) / 255);
                memcpy(j->px + 3 * i, rgb, 3);
            }
            out->c = 3;
        }
    }
    free(j);
    return s;
}

static gan_status probe_jpeg(const char *path, FILE *f, uint64_t fsize, img_entry *e) {
    jpeg_job *j = malloc(sizeof *j);
    if (!j) return gan_fail(GAN_ERR_NOMEM, "%s: out of memory starting libjpeg", path);
    gan_status s = jpeg_run(path, f, 1, j);
    if (s == GAN_OK && (uint64_t)j->w * j->h > JPEG_MAX_PX_PER_BYTE * fsize + (1u << 20))
        s = gan_fail(GAN_ERR_FORMAT, "%s: JPEG header claims %d x %d pixels but the file holds "
                     "only %llu bytes", path, j->w, j->h, (unsigned long long)fsize);
    if (s == GAN_OK) e->kind = KIND_JPEG, e->w = j->w, e->h = j->h, e->grey = j->grey;
    free(j);
    return s;
}

/* ------------------------------------------------------------------ one file */

static FILE *open_image(const char *path, uint64_t *size) {
    FILE *f = fopen(path, "rb");
    struct stat st;
    if (f && fstat(fileno(f), &st) == 0) {
        *size = (uint64_t)st.st_size;
        return f;
    }
    if (f) fclose(f);
    return NULL;
}

/* Classifies a file by its first bytes: e->kind = 0 when it is to be skipped. */
static gan_status probe_file(const char *path, img_entry *e) {
    uint64_t fsize = 0;
    FILE *f = open_image(path, &fsize);
    if (!f) return gan_fail(GAN_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    uint8_t head[33] = {0};
    size_t n = fread(head, 1, sizeof head, f);
    static const uint8_t png_sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
    gan_status s = GAN_OK;
    e->kind = 0;
    if (n >= 8 && !memcmp(head, png_sig, 8)) {
        s = probe_png(path, head, n, fsize, e);
    } else if (n >= 3 && head[0] == 0xFF && head[1] == 0xD8 && head[2] == 0xFF) {
        rewind(f);
        s = probe_jpeg(path, f, fsize, e);
    } else if (ferror(f)) {
        s = gan_fail(GAN_ERR_IO, "%s: cannot read: %s", path, strerror(errno));
    } else if (gan_has_image_extension(path)) {
        s = gan_fail(GAN_ERR_FORMAT, "%s: not a PNG or JPEG file (%zu bytes, starting %02x %02x "
                     "%02x %02x)", path, (size_t)fsize, head[0], head[1], head[2], head[3]);
    }
    fclose(f);
    return s;
}

/* ------------------------------------------------------------------ alpha */

void gan_background_rgb(uint32_t background, uint8_t rgb[3]) {
    if (!background) background = 0xFFFFFFu;
    rgb[0] = (uint8_t)(background >> 16), rgb[1] = (uint8_t)(background >> 8);
    rgb[2] = (uint8_t)background;
}

static int bg_grey(const uint8_t bg[3]) { return bg[0] == bg[1] && bg[1] == bg[2]; }

/* Source value s with alpha a over an opaque background value d: Pillow's
 * ImagingAlphaComposite (AlphaComposite.c) with the destination's alpha at 255, kept in its
 * integer form so results match PIL byte for byte. Its coefficients reduce to
 * coef1 = 128 a, coef2 = 128 (255 - a) (7 extra bits), and SHIFTFORDIV255 divides by 255
 * with rounding: out = round-ish((s a + d (255 - a)) / 255); a = 0 gives d exactly. */
static uint8_t over(unsigned s, unsigned a, unsigned d) {
    if (a == 0) return (uint8_t)d;
    const unsigned prec = 7;
    uint32_t blend = 255u * (255u - a), outa255 = a * 255u + blend;
    uint32_t coef1 = a * 255u * 255u * (1u << prec) / outa255;
    uint32_t coef2 = 255u * (1u << prec) - coef1;
    uint32_t tmp = s * coef1 + d * coef2 + (0x80u << prec);
    return (uint8_t)((((tmp >> 8) + tmp) >> 8) >> prec);
}

/* (h, w, 2 | 4) -> (h, w, 1 | 3) over bg. Grey + alpha over a colour background becomes RGB
 * (a new buffer); otherwise in place. Returns nonzero when out of memory. */
static int composite_alpha(raw_image *im, const uint8_t bg[3]) {
    const size_t n = (size_t)im->w * im->h;
    const uint8_t *src = im->px;
    if (im->c == 2 && !bg_grey(bg)) {
        uint8_t *rgb = malloc(n * 3);
        if (!rgb) return 1;
        for (size_t i = 0; i < n; i++)
            for (int ch = 0; ch < 3; ch++) rgb[3 * i + ch] = over(src[2 * i], src[2 * i + 1], bg[ch]);
        free(im->px);
        im->px = rgb, im->c = 3;
        return 0;
    }
    const int keep = im->c - 1;        /* in place: pixel i's output never passes its input */
    for (size_t i = 0; i < n; i++) {
        const uint8_t *p = src + i * (size_t)im->c;
        uint8_t a = p[keep], out[3];
        for (int ch = 0; ch < keep; ch++) out[ch] = over(p[ch], a, bg[ch]);
        memcpy(im->px + i * keep, out, (size_t)keep);
    }
    im->c = keep;
    return 0;
}

/* ------------------------------------------------------------------ one file, decoded */

static gan_status decode_file(const img_entry *e, const uint8_t bg[3], raw_image *im) {
    uint64_t fsize;
    FILE *f = open_image(e->path, &fsize);
    if (!f) return gan_fail(GAN_ERR_IO, "%s: cannot open: %s", e->path, strerror(errno));
    gan_status s = e->kind == KIND_PNG ? decode_png(e->path, f, im) : decode_jpeg(e->path, f, im);
    fclose(f);
    if (s) return s;
    if ((im->c == 2 || im->c == 4) && composite_alpha(im, bg)) {
        free(im->px);
        im->px = NULL;
        return gan_fail(GAN_ERR_NOMEM, "%s: out of memory compositing alpha", e->path);
    }
    if (im->w != e->w || im->h != e->h || (e->grey ? im->c == 3 && bg_grey(bg) : im->c != 3)) {
        free(im->px);
        im->px = NULL;
        return gan_fail(GAN_ERR_FORMAT, "%s: the file changed while loading (header said %d x %d)",
                        e->path, e->w, e->h);
    }
    return GAN_OK;
}

/* ------------------------------------------------------------------ resize + crop */

/* Pillow's BILINEAR filter. */
static double triangle(double x) {
    if (x < 0.0) x = -x;
    return x < 1.0 ? 1.0 - x : 0.0;
}

/* Filter taps of outputs first..first+count-1 of an in_size -> out_size resample, as Pillow's
 * precompute_coeffs + normalize_coeffs_8bpc: output i reads inputs lo[i] .. lo[i]+len[i]-1
 * with weights k[i*ksize ..] in 22-bit fixed point. */
typedef struct {
    int *lo, *len, *k;
    int ksize;
} taps;

static void taps_free(taps *t) {
    free(t->lo), free(t->len), free(t->k);
    memset(t, 0, sizeof *t);
}

static int taps_init(taps *t, int in_size, int64_t out_size, int64_t first, int count) {
    double scale = (double)in_size / (double)out_size;
    double filterscale = scale < 1.0 ? 1.0 : scale;
    double support = 1.0 * filterscale;
    int ksize = (int)ceil(support) * 2 + 1;
    t->ksize = ksize;
    t->lo = malloc((size_t)count * sizeof *t->lo);
    t->len = malloc((size_t)count * sizeof *t->len);
    t->k = malloc((size_t)count * ksize * sizeof *t->k);
    double *w = malloc((size_t)ksize * sizeof *w);
    if (!t->lo || !t->len || !t->k || !w) {
        free(w);
        taps_free(t);
        return 0;
    }
    for (int i = 0; i < count; i++) {
        double center = ((double)(first + i) + 0.5) * scale, ww = 0.0, ss = 1.0 / filterscale;
        int lo = (int)(center - support + 0.5), hi = (int)(center + support + 0.5);
        if (lo < 0) lo = 0;
        if (hi > in_size) hi = in_size;
        int n = hi - lo;
        for (int x = 0; x < n; x++) ww += w[x] = triangle((x + lo - center + 0.5) * ss);
        int *k = t->k + (size_t)i * ksize;
        for (int x = 0; x < ksize; x++) {
            double v = x < n ? (ww != 0.0 ? w[x] / ww : w[x]) : 0.0;
            k[x] = (int)(0.5 + v * (1 << PIL_PRECISION_BITS));   /* v >= 0 */
        }
        t->lo[i] = lo, t->len[i] = n;
    }
    free(w);
    return 1;
}

static inline uint8_t clip8(int v) {
    if (v >= 1 << PIL_PRECISION_BITS << 8) return 255;
    if (v <= 0) return 0;
    return (uint8_t)(v >> PIL_PRECISION_BITS);
}

/* Resize(size) of a w x h image: (new_w, new_h). 64-bit: a 65535 x 1 image stretches its
 * long side past INT_MAX. */
static void resized_dims(int w, int h, int size, int64_t *nw, int64_t *nh) {
    int s = w <= h ? w : h, l = w <= h ? h : w;
    int64_t nl = (int64_t)((double)((int64_t)size * l) / s); /* Python: int(size * long / short) */
    *nw = w <= h ? size : nl;
    *nh = w <= h ? nl : size;
}

static int64_t crop_offset(int64_t n, int size) {  /* Python's round(): half to even */
    return (int64_t)nearbyint((double)(n - size) / 2.0);
}

// im (H, W, C) bytes -> dst (size, size, c_out), c_out = C or (C = 1, c_out = 3)
static gan_status resize_crop(const raw_image *im, int size, int c_out, uint8_t *dst,
                              const char *path) {
    const int c = im->c;
    int64_t nw, nh;
    resized_dims(im->w, im->h, size, &nw, &nh);
    const int64_t left = crop_offset(nw, size), top = crop_offset(nh, size);
    taps tx = {0}, ty = {0};
    int ok = taps_init(&tx, im->w, nw, left, size) && taps_init(&ty, im->h, nh, top, size);
    /* the vertical pass reads input rows r0 .. r1-1 only */
    int r0 = ok ? ty.lo[0] : 0, r1 = ok ? ty.lo[size - 1] + ty.len[size - 1] : 0;
    uint8_t *tmp = ok ? malloc((size_t)(r1 - r0) * size * c) : NULL;
    if (!tmp) {
        taps_free(&tx), taps_free(&ty);
        return gan_fail(GAN_ERR_NOMEM, "%s: out of memory resizing %d x %d to %d", path, im->w,
                        im->h, size);
    }
    // horizontal: rows r0..r1-1 of (H, W, C) -> tmp (r1-r0, size, C)
    for (int y = r0; y < r1; y++) {
        const uint8_t *src = im->px + (size_t)y * im->w * c;
        uint8_t *row = tmp + (size_t)(y - r0) * size * c;
        for (int x = 0; x < size; x++) {
            const int *k = tx.k + (size_t)x * tx.ksize;
            const uint8_t *p = src + (size_t)tx.lo[x] * c;
            for (int ch = 0; ch < c; ch++) {
                int acc = 1 << (PIL_PRECISION_BITS - 1);
                for (int i = 0; i < tx.len[x]; i++) acc += p[i * c + ch] * k[i];
                row[x * c + ch] = clip8(acc);
            }
        }
    }
    // vertical: tmp -> dst (size, size, C), expanded to c_out afterwards
    for (int y = 0; y < size; y++) {
        const int *k = ty.k + (size_t)y * ty.ksize;
        const uint8_t *col = tmp + (size_t)(ty.lo[y] - r0) * size * c;
        uint8_t *out = dst + (size_t)y * size * c;
        for (int xc = 0; xc < size * c; xc++) {
            int acc = 1 << (PIL_PRECISION_BITS - 1);
            for (int i = 0; i < ty.len[y]; i++) acc += col[(size_t)i * size * c + xc] * k[i];
            out[xc] = clip8(acc);
        }
    }
    if (c == 1 && c_out == 3)              /* grey -> R = G = B, back to front in place */
        for (size_t i = (size_t)size * size; i-- > 0;) dst[3 * i] = dst[3 * i + 1] = dst[3 * i + 2] = dst[i];
    free(tmp);
    taps_free(&tx), taps_free(&ty);
    return GAN_OK;
}

/* ------------------------------------------------------------------ lists and folders */

static void entries_free(img_entry *e, size_t n) {
    for (size_t i = 0; i < n; i++) free(e[i].path);
    free(e);
}

/* Pass 1: headers. ents gets the images among paths (copies of their paths); kept[i] the index
 * of image i's path. */
static gan_status probe_all(const char *what, char *const *paths, size_t n,
                            const gan_image_opts *o, img_entry *ents, size_t *n_ents,
                            size_t *kept, int *skipped) {
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        img_entry e = {0};
        gan_status s = probe_file(paths[i], &e);
        if (s == GAN_OK && !e.kind && !o->skip_non_images)
            s = gan_fail(GAN_ERR_FORMAT, "%s: not a PNG or JPEG file", paths[i]);
        if (s == GAN_OK && e.kind && o->split_ab && e.w % 2)
            s = gan_fail(GAN_ERR_FORMAT, "%s: %d pixels wide: a side-by-side A|B image needs an "
                         "even width", paths[i], e.w);
        if (s == GAN_OK && e.kind && !(e.path = gan_strdup(paths[i])))
            s = gan_fail(GAN_ERR_NOMEM, "%s: out of memory", what);
        if (s) {
            *n_ents = k;
            return s;
        }
        if (!e.kind) {
            (*skipped)++;
            continue;
        }
        if (o->split_ab) e.w /= 2;
        if (kept) kept[k] = i;
        ents[k++] = e;
    }
    *n_ents = k;
    if (k == 0)
        return gan_fail(GAN_ERR_FORMAT, "%s: no PNG or JPEG images%s (%d other files skipped)",
                        what, o->skip_non_images ? " in the folder or its subfolders" : "", *skipped);
    if (k > INT_MAX)
        return gan_fail(GAN_ERR_ARG, "%s: %zu images is more than gan.c loads at once", what, k);
    return GAN_OK;
}

/* The left (half 0) or right (half 1) half of a side-by-side image, as its own image. */
static int take_half(const raw_image *ab, int half, raw_image *out) {
    const int w = ab->w / 2, c = ab->c;
    out->px = malloc((size_t)w * ab->h * c);
    if (!out->px) return 1;
    for (int y = 0; y < ab->h; y++)
        memcpy(out->px + (size_t)y * w * c, ab->px + ((size_t)y * ab->w + (size_t)half * w) * c,
               (size_t)w * c);
    out->w = w, out->h = ab->h, out->c = c;
    return 0;
}

/* Decodes ents[i] into slot i of dst (and dst_b for A|B images). */
static gan_status load_one(const img_entry *e, const gan_image_opts *o, const uint8_t bg[3],
                           int c, uint8_t *dst, uint8_t *dst_b) {
    raw_image im = {0};
    img_entry whole = *e;
    if (o->split_ab) whole.w *= 2;
    gan_status s = decode_file(&whole, bg, &im);
    if (s == GAN_OK && !o->split_ab) s = resize_crop(&im, o->size, c, dst, e->path);
    for (int half = 0; half < 2 && s == GAN_OK && o->split_ab; half++) {
        raw_image h = {0};
        if (take_half(&im, half, &h)) s = gan_fail(GAN_ERR_NOMEM, "%s: out of memory", e->path);
        else s = resize_crop(&h, o->size, c, half ? dst_b : dst, e->path);
        free(h.px);
    }
    free(im.px);
    return s;
}

/* Pass 2: decode + resize, each image straight into its slot. Dynamic schedule: file costs
 * vary a lot, and every slot is written by one thread from one file, so the bytes never
 * depend on the thread count. The first failure in file order is the one reported, whichever
 * thread saw it. */
static gan_status load_all(const img_entry *ents, size_t n, const gan_image_opts *o, int c,
                           uint8_t *data, uint8_t *data_b) {
    const size_t per = (size_t)o->size * o->size * c;
    uint8_t bg[3];
    gan_background_rgb(o->background, bg);
    int64_t first_bad = (int64_t)n;
    gan_status bad_status = GAN_OK;
    char bad_msg[1024] = "";
#pragma omp parallel for schedule(dynamic, 1)
    for (int64_t i = 0; i < (int64_t)n; i++) {
        int64_t fb;
#pragma omp atomic read
        fb = first_bad;
        if (i > fb) continue;
        gan_status si = load_one(&ents[i], o, bg, c, data + per * (size_t)i,
                                 data_b ? data_b + per * (size_t)i : NULL);
        if (si != GAN_OK) {
#pragma omp critical(gan_image_folder_error)
            if (i < first_bad) {
                snprintf(bad_msg, sizeof bad_msg, "%s", gan_last_error());
                bad_status = si;
#pragma omp atomic write
                first_bad = i;
            }
        }
    }
    return bad_status != GAN_OK ? gan_fail(bad_status, "%s", bad_msg) : GAN_OK;
}

gan_status gan_image_files_load(const char *what, char *const *paths, size_t n,
                                const gan_image_opts *o, gan_u8_images *out,
                                gan_u8_images *out_b, size_t *kept, int *n_skipped) {
    memset(out, 0, sizeof *out);
    if (out_b) memset(out_b, 0, sizeof *out_b);
    GAN_ASSERT(!o->split_ab || out_b);
    if (o->size < 1 || o->size > IMG_MAX_SIDE)
        return gan_fail(GAN_ERR_ARG, "%s: image folders need an image size between 1 and %d "
                        "(got %d): their images can have any size", what, IMG_MAX_SIDE, o->size);
    int skipped = n_skipped ? *n_skipped : 0;
    size_t ne = 0;
    img_entry *ents = calloc(n ? n : 1, sizeof *ents);
    if (!ents) return gan_fail(GAN_ERR_NOMEM, "%s: out of memory", what);
    gan_status s = probe_all(what, paths, n, o, ents, &ne, kept, &skipped);
    uint8_t bg[3];
    gan_background_rgb(o->background, bg);
    int all_grey = bg_grey(bg);
    for (size_t i = 0; i < ne; i++) all_grey &= ents[i].grey;
    const int c = all_grey ? 1 : 3;
    const size_t per = (size_t)o->size * o->size * c;
    uint8_t *data = NULL, *data_b = NULL;
    if (s == GAN_OK) {
        data = per <= SIZE_MAX / ne ? malloc(per * ne) : NULL;
        data_b = data && o->split_ab ? malloc(per * ne) : NULL;
        if (!data || (o->split_ab && !data_b))
            s = gan_fail(GAN_ERR_NOMEM, "%s: out of memory for %zu images of %d x %d x %d", what,
                         ne, o->size, o->size, c);
    }
    if (s == GAN_OK) s = load_all(ents, ne, o, c, data, data_b);
    entries_free(ents, ne);
    if (n_skipped) *n_skipped = skipped;
    if (s != GAN_OK) {
        free(data), free(data_b);
        return s;
    }
    *out = (gan_u8_images){data, (int)ne, o->size, o->size, c};
    if (out_b) *out_b = (gan_u8_images){data_b, data_b ? (int)ne : 0, o->size, o->size, c};
    return GAN_OK;
}

gan_status gan_image_folder_load_bg(const char *dir, int size, uint32_t background,
                                    gan_u8_images *out, int *n_skipped) {
    if (out) memset(out, 0, sizeof *out);
    if (n_skipped) *n_skipped = 0;
    if (!dir || !out) return gan_fail(GAN_ERR_ARG, "image folder: NULL argument");
    if (size < 1 || size > IMG_MAX_SIDE)
        return gan_fail(GAN_ERR_ARG, "%s: image folders need an image size between 1 and %d "
                        "(got %d): their images can have any size", dir, IMG_MAX_SIDE, size);
    int skipped = 0;
    gan_name_list files = {0};
    gan_status s = gan_collect_files(dir, 0, &files, &skipped);
    if (s) return s;
    gan_image_opts o = {.size = size, .background = background, .skip_non_images = 1};
    s = gan_image_files_load(dir, files.v, files.n, &o, out, NULL, NULL, &skipped);
    gan_name_list_free(&files);
    if (n_skipped) *n_skipped = skipped;
    return s;
}

gan_status gan_image_folder_load_ex(const char *dir, int size, gan_u8_images *out,
                                    int *n_skipped) {
    return gan_image_folder_load_bg(dir, size, 0, out, n_skipped);
}

gan_status gan_image_folder_load(const char *dir, int size, gan_u8_images *out) {
    return gan_image_folder_load_ex(dir, size, out, NULL);
}
