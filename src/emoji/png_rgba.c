/* png_rgba.c — any PNG as straight-alpha RGBA8, for compositing: the emoji sources mix RGBA
 * (emoji-datasource) and palette + tRNS (EmojiOne); libpng's transforms expand both. */
#include "gan.h"
#include <png.h>
#include <errno.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PNG_SIDE_MAX 4096

typedef struct { char msg[200]; } png_err;

static void on_error(png_structp png, png_const_charp msg) {
    png_err *e = png_get_error_ptr(png);
    snprintf(e->msg, sizeof e->msg, "%s", msg);
    png_longjmp(png, 1);
}
static void on_warning(png_structp png, png_const_charp msg) { (void)png, (void)msg; }

/* Everything that must survive the longjmp lives here, on the heap. */
typedef struct {
    FILE *f;
    png_err err;
    uint8_t *px;
    png_bytep *rows;
} png_job;

static void job_free(png_job *j) {
    if (j->f) fclose(j->f);
    free(j->px);
    free(j->rows);
    free(j);
}

gan_status gan_png_read_rgba(const char *path, uint8_t **rgba, int *h, int *w) {
    *rgba = NULL;
    *h = *w = 0;
    png_job *j = calloc(1, sizeof *j);
    if (!j) return gan_fail(GAN_ERR_NOMEM, "%s: out of memory", path);
    if (!(j->f = fopen(path, "rb"))) {
        int e = errno;
        job_free(j);
        return gan_fail(GAN_ERR_IO, "%s: cannot open: %s", path, strerror(e));
    }
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &j->err, on_error, on_warning);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (!info) {
        png_destroy_read_struct(&png, NULL, NULL);
        job_free(j);
        return gan_fail(GAN_ERR_NOMEM, "%s: out of memory starting libpng", path);
    }
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_read_struct(&png, &info, NULL);
        gan_status s = gan_fail(GAN_ERR_FORMAT, "%s: not a readable PNG: %s", path, j->err.msg);
        job_free(j);
        return s;
    }
    png_init_io(png, j->f);
    png_set_user_limits(png, PNG_SIDE_MAX, PNG_SIDE_MAX);
    png_read_info(png, info);
    png_set_expand(png);                 /* palette -> RGB, tRNS -> alpha, grey < 8 -> 8 */
    png_set_strip_16(png);
    png_set_gray_to_rgb(png);
    png_set_add_alpha(png, 0xFF, PNG_FILLER_AFTER);   /* no alpha channel: opaque */
    png_set_interlace_handling(png);
    png_read_update_info(png, info);
    int pw = (int)png_get_image_width(png, info), ph = (int)png_get_image_height(png, info);
    if (png_get_rowbytes(png, info) != (size_t)pw * 4) png_error(png, "unexpected row layout");
    j->px = malloc((size_t)pw * ph * 4);
    j->rows = malloc((size_t)ph * sizeof *j->rows);
    if (!j->px || !j->rows) png_error(png, "out of memory");
    for (int y = 0; y < ph; y++) j->rows[y] = j->px + (size_t)y * pw * 4;
    png_read_image(png, j->rows);
    png_read_end(png, NULL);
    png_destroy_read_struct(&png, &info, NULL);
    *rgba = j->px;
    *h = ph;
    *w = pw;
    j->px = NULL;
    job_free(j);
    return GAN_OK;
}
