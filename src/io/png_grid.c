/* png_grid.c — sample grids and single images as PNG (libpng), with torchvision's
 * save_image pixel mapping so grids can be compared with PyTorch runs byte for byte. */
#include "io/io_internal.h"
#include <png.h>
#include <limits.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void gan_image_to_u8(const float *x, int64_t n, uint8_t *out) {
#pragma omp parallel for schedule(static) if (n > 1 << 18)
    for (int64_t i = 0; i < n; i++) out[i] = gan_pixel_to_u8(x[i]);
}

void gan_image_from_u8(const uint8_t *v, int64_t n, float *out) {
#pragma omp parallel for schedule(static) if (n > 1 << 18)
    for (int64_t i = 0; i < n; i++) {
        float t = (float)v[i] / 255.0f;     /* ToTensor */
        out[i] = (t - 0.5f) / 0.5f;         /* Normalize(0.5, 0.5) */
    }
}

typedef struct {
    gan_atomic_file *af;
    char msg[256];
} pngw_sink;

/* libpng reports errors by longjmp; keep its message for ours. */
static void pngw_on_error(png_structp png, png_const_charp msg) {
    pngw_sink *k = png_get_error_ptr(png);
    snprintf(k->msg, sizeof k->msg, "%s", msg);
    png_longjmp(png, 1);
}
static void pngw_on_warning(png_structp png, png_const_charp msg) { (void)png, (void)msg; }

static void pngw_on_write(png_structp png, png_bytep data, size_t n) {
    pngw_sink *k = png_get_io_ptr(png);
    if (gan_atomic_write(k->af, data, n) != GAN_OK) png_error(png, gan_last_error());
}
static void pngw_on_flush(png_structp png) { (void)png; }

/* Writes (H, W, C) interleaved bytes; all allocation happens before setjmp, so the longjmp
 * path has nothing to leak and no locals to clobber. */
static gan_status write_png_rows(const char *path, const uint8_t *px, int h, int w, int c) {
    static const int color[5] = {0, PNG_COLOR_TYPE_GRAY, PNG_COLOR_TYPE_GRAY_ALPHA,
                                 PNG_COLOR_TYPE_RGB, PNG_COLOR_TYPE_RGB_ALPHA};
    png_bytep *rows = malloc((size_t)h * sizeof *rows);
    /* on the heap: the error callback changes it between setjmp and longjmp, which would
     * leave a local's value indeterminate */
    pngw_sink *sink = calloc(1, sizeof *sink);
    if (!rows || !sink) {
        free(rows);
        free(sink);
        return gan_fail(GAN_ERR_NOMEM, "%s: out of memory", path);
    }
    for (int y = 0; y < h; y++) rows[y] = (png_bytep)(px + (size_t)y * w * c);
    gan_status s = gan_atomic_open(path, &sink->af);
    if (s != GAN_OK) {
        free(rows);
        free(sink);
        return s;
    }
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, sink, pngw_on_error,
                                              pngw_on_warning);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (!info) {
        png_destroy_write_struct(&png, NULL);
        gan_atomic_abort(sink->af);
        free(rows);
        free(sink);
        return gan_fail(GAN_ERR_NOMEM, "%s: out of memory starting libpng", path);
    }
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, &info);
        gan_atomic_abort(sink->af);
        s = gan_fail(GAN_ERR_IO, "%s: PNG write failed: %s", path, sink->msg);
        free(rows);
        free(sink);
        return s;
    }
    png_set_write_fn(png, sink, pngw_on_write, pngw_on_flush);
    png_set_IHDR(png, info, (png_uint_32)w, (png_uint_32)h, 8, color[c], PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
    png_write_image(png, rows);
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);
    s = gan_atomic_commit(sink->af);
    free(rows);
    free(sink);
    return s;
}

gan_status gan_png_write_u8(const char *path, const uint8_t *pixels, int h, int w, int c) {
    if (!path || !pixels || c < 1 || c > 4 || h < 1 || w < 1 || (int64_t)w * c > INT_MAX / 2)
        return gan_fail(GAN_ERR_ARG, "%s: cannot write a %d x %d x %d image as PNG",
                        path ? path : "(null)", h, w, c);
    return write_png_rows(path, pixels, h, w, c);
}

// images (N,C,H,W) floats in [-1,1] -> one (GH,GW,C) u8 grid, GH = rows*(H+pad)+pad
gan_status gan_png_write_grid(const char *path, const float *images, int n, int c, int h,
                              int w, int nrow, int padding) {
    const char *p = path ? path : "(null)";
    if (!path || !images || n < 1 || (c != 1 && c != 3) || h < 1 || w < 1 || nrow < 1 ||
        padding < 0)
        return gan_fail(GAN_ERR_ARG, "%s: bad image grid: n=%d c=%d h=%d w=%d nrow=%d padding=%d "
                        "(need n, h, w, nrow >= 1, c = 1 or 3, padding >= 0)", p, n, c, h, w,
                        nrow, padding);
    int64_t cols = n < nrow ? n : nrow, rows = (n + (int64_t)nrow - 1) / nrow;
    int64_t gh = rows * ((int64_t)h + padding) + padding;
    int64_t gw = cols * ((int64_t)w + padding) + padding;
    if (gh > INT_MAX / 2 || gw * c > INT_MAX / 2)
        return gan_fail(GAN_ERR_ARG, "%s: a %lld x %lld grid is too large for PNG", p,
                        (long long)gh, (long long)gw);
    uint8_t *grid = calloc((size_t)(gh * gw * c), 1);      /* pad value 0 = black */
    if (!grid) return gan_fail(GAN_ERR_NOMEM, "%s: out of memory for a %lld x %lld grid", p,
                               (long long)gh, (long long)gw);
    const int64_t plane = (int64_t)h * w;
#pragma omp parallel for schedule(static) if ((int64_t)n * c * plane > 1 << 18)
    for (int i = 0; i < n; i++) {
        const float *img = images + (int64_t)i * c * plane;
        int64_t y0 = (i / nrow) * ((int64_t)h + padding) + padding;
        int64_t x0 = (i % nrow) * ((int64_t)w + padding) + padding;
        for (int y = 0; y < h; y++) {
            uint8_t *row = grid + ((y0 + y) * gw + x0) * c;
            for (int x = 0; x < w; x++)
                for (int ch = 0; ch < c; ch++)
                    row[x * c + ch] = gan_pixel_to_u8(img[ch * plane + (int64_t)y * w + x]);
        }
    }
    gan_status s = write_png_rows(path, grid, (int)gh, (int)gw, c);
    free(grid);
    return s;
}

gan_status gan_png_write_image(const char *path, const float *image, int c, int h, int w) {
    return gan_png_write_grid(path, image, 1, c, h, w, 1, 0);
}
