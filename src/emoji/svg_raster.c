/* svg_raster.c — SVG to RGB on white with librsvg: the OpenMoji styles are SVGs, rendered at
 * the requested size directly (sharper than scaling a fixed-size raster). librsvg draws into
 * a cairo ARGB32 surface, whose pixels are premultiplied native-endian 32-bit words. */
#include "gan.h"
#include <librsvg/rsvg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* librsvg's messages can span lines; ours are one line */
static gan_status refused(const char *name, GError *err) {
    char why[300];
    snprintf(why, sizeof why, "%s", err && err->message ? err->message : "unknown error");
    size_t n = strlen(why);
    while (n && (why[n - 1] == '\n' || why[n - 1] == ' ')) why[--n] = 0;
    for (char *p = why; *p; p++)
        if (*p == '\n' || *p == '\r') *p = ' ';
    gan_status s = gan_fail(GAN_ERR_FORMAT, "%s: librsvg refused it: %s", name, why);
    if (err) g_error_free(err);
    return s;
}

/* Renders handle into size x size (viewBox fitted and centred, as rsvg-convert -w -h). */
static gan_status render(const char *name, RsvgHandle *h, int size, uint8_t *rgb) {
    cairo_surface_t *surf = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, size, size);
    if (cairo_surface_status(surf) != CAIRO_STATUS_SUCCESS) {
        cairo_surface_destroy(surf);
        return gan_fail(GAN_ERR_NOMEM, "%s: cannot make a %d x %d cairo surface", name, size, size);
    }
    cairo_t *cr = cairo_create(surf);
    RsvgRectangle vp = {0, 0, size, size};
    GError *err = NULL;
    gboolean ok = rsvg_handle_render_document(h, cr, &vp, &err);
    cairo_destroy(cr);
    cairo_surface_flush(surf);
    gan_status s = GAN_OK;
    if (!ok) s = refused(name, err);
    else {
        const unsigned char *px = cairo_image_surface_get_data(surf);
        int stride = cairo_image_surface_get_stride(surf);
        for (int y = 0; y < size; y++)
            gan_composite_premul((const uint32_t *)(const void *)(px + (size_t)y * stride), size,
                                 rgb + (size_t)y * size * 3);
    }
    cairo_surface_destroy(surf);
    return s;
}

gan_status gan_svg_render_data(const char *name, const void *data, size_t n, int size,
                               uint8_t *rgb) {
    if (size < 1 || size > 4096)
        return gan_fail(GAN_ERR_ARG, "%s: render size %d (need 1..4096)", name, size);
    GError *err = NULL;
    RsvgHandle *h = rsvg_handle_new_from_data(data, n, &err);
    if (!h) return refused(name, err);
    gan_status s = render(name, h, size, rgb);
    g_object_unref(h);
    return s;
}

gan_status gan_svg_render_file(const char *path, int size, uint8_t *rgb) {
    if (size < 1 || size > 4096)
        return gan_fail(GAN_ERR_ARG, "%s: render size %d (need 1..4096)", path, size);
    GError *err = NULL;
    RsvgHandle *h = rsvg_handle_new_from_file(path, &err);
    if (!h) return refused(path, err);
    gan_status s = render(path, h, size, rgb);
    g_object_unref(h);
    return s;
}
