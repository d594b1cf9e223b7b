/* source_paired.c — aligned image pairs: "paired:DIR" (DIR/A/x and DIR/B/x, matched by file
 * name) and "ab:DIR" (junyanz's pix2pix format: one image per pair, A on the left half, B on
 * the right). Fields "image" (A) and "image_b" (B), same row = same pair. */
#include "data_internal.h"
#include <stdlib.h>

/* The image-named files of dir (by extension, as junyanz's make_dataset), sorted. */
static gan_status list_images(const char *dir, gan_name_list *out) {
    gan_name_list all = {0};
    int skipped = 0;
    gan_status st = gan_list_kind(dir, 0, &all, &skipped);
    for (size_t i = 0; i < all.n && !st; i++) {
        if (gan_has_image_extension(all.v[i]) && !gan_name_list_push(out, all.v[i]))
            st = gan_fail(GAN_ERR_NOMEM, "%s: out of memory listing", dir);
        else if (gan_has_image_extension(all.v[i])) all.v[i] = NULL;
    }
    gan_name_list_free(&all);
    if (!st && out->n == 0)
        st = gan_fail(GAN_ERR_FORMAT, "%s: no PNG or JPEG images (by name: .png, .jpg, .jpeg)", dir);
    return st;
}

/* Both lists sorted: the first name in one and not the other is the error. */
static gan_status match_names(const char *a_dir, const gan_name_list *a, const char *b_dir,
                              const gan_name_list *b) {
    size_t i = 0, j = 0;
    while (i < a->n || j < b->n) {
        int c = i == a->n ? 1 : j == b->n ? -1 : strcmp(a->v[i], b->v[j]);
        if (c < 0)
            return gan_fail(GAN_ERR_MISMATCH, "%s/%s has no partner %s/%s (paired folders must "
                            "hold the same file names)", a_dir, a->v[i], b_dir, a->v[i]);
        if (c > 0)
            return gan_fail(GAN_ERR_MISMATCH, "%s/%s has no partner %s/%s (paired folders must "
                            "hold the same file names)", b_dir, b->v[j], a_dir, b->v[j]);
        i++, j++;
    }
    return GAN_OK;
}

/* Full paths of names in dir, in place. */
static gan_status full_paths(const char *dir, gan_name_list *l) {
    for (size_t i = 0; i < l->n; i++) {
        char *p = gan_path_join(dir, l->v[i]);
        if (!p) return gan_fail(GAN_ERR_NOMEM, "%s: out of memory", dir);
        free(l->v[i]);
        l->v[i] = p;
    }
    return GAN_OK;
}

static gan_status build(const char *kind, gan_u8_images *a, gan_u8_images *b,
                        const gan_source_opts *o, gan_source **out) {
    gan_source *s = gan_source_alloc(kind);
    gan_status st = s ? GAN_OK : gan_fail(GAN_ERR_NOMEM, "out of memory");
    if (!st) st = gan_source_add_images(s, "image", 0, a);
    if (!st) st = gan_source_add_images(s, "image_b", 0, b);
    if (!st && !gan_source_add_field(s, "index", GAN_FIELD_INDEX, 0, 0, NULL)) st = GAN_ERR_ARG;
    gan_u8_images_free(a), gan_u8_images_free(b);
    if (st) {
        gan_source_free(s);
        return st;
    }
    return gan_source_finish(s, o->seed, out);
}

gan_status gan_source_open_paired(const char *dir, const gan_source_opts *o, gan_source **out) {
    char *a_dir = gan_path_join(dir, "A"), *b_dir = gan_path_join(dir, "B");
    gan_name_list a = {0}, b = {0};
    gan_u8_images ia = {0}, ib = {0};
    gan_image_opts io = {.size = gan_source_image_size(o), .background = o->background};
    gan_status st = a_dir && b_dir ? GAN_OK : gan_fail(GAN_ERR_NOMEM, "out of memory");
    if (!st) st = list_images(a_dir, &a);
    if (!st) st = list_images(b_dir, &b);
    if (!st) st = match_names(a_dir, &a, b_dir, &b);
    if (!st) st = full_paths(a_dir, &a);
    if (!st) st = full_paths(b_dir, &b);
    if (!st) st = gan_image_files_load(a_dir, a.v, a.n, &io, &ia, NULL, NULL, NULL);
    if (!st) st = gan_image_files_load(b_dir, b.v, b.n, &io, &ib, NULL, NULL, NULL);
    free(a_dir), free(b_dir);
    gan_name_list_free(&a), gan_name_list_free(&b);
    if (st) {
        gan_u8_images_free(&ia), gan_u8_images_free(&ib);
        return st;
    }
    return build("paired", &ia, &ib, o, out);
}

gan_status gan_source_open_ab(const char *dir, const gan_source_opts *o, gan_source **out) {
    gan_name_list l = {0};
    gan_u8_images ia = {0}, ib = {0};
    gan_image_opts io = {.size = gan_source_image_size(o), .background = o->background,
                         .split_ab = 1};
    gan_status st = list_images(dir, &l);
    if (!st) st = full_paths(dir, &l);
    if (!st) st = gan_image_files_load(dir, l.v, l.n, &io, &ia, &ib, NULL, NULL);
    gan_name_list_free(&l);
    if (st) return st;
    return build("ab", &ia, &ib, o, out);
}
