/* source_tags.c — "tags:INDEX": lines IMAGE<TAB>tag1,tag2,... (multi-label). "labels" is
 * (B, K) multi-hot over the K distinct tags of the whole index sorted by strcmp (so the same
 * index always gives the same columns); gan_source_class_name(s, "labels", k) is tag k. */
#include "data_internal.h"
#include <stdlib.h>

gan_status gan_source_open_tags(const char *path, const gan_source_opts *o, gan_source **out) {
    gan_index ix;
    gan_status st = gan_index_read(path, &ix);
    if (st) return st;
    gan_tag_sets tags = {0};
    gan_u8_images im = {0};
    gan_source *s = NULL;
    st = gan_tag_sets_build(path, &ix, &tags);
    if (!st) st = gan_index_images_load(path, &ix, o, &im);
    if (!st && !(s = gan_source_alloc("tags"))) st = gan_fail(GAN_ERR_NOMEM, "out of memory");
    if (!st) st = gan_source_add_images(s, "image", 0, &im);
    gan_src_field *f = st ? NULL : gan_source_add_field(s, "labels", GAN_FIELD_MULTI_HOT, 0, 1,
                                                        (const int[]){tags.k});
    if (!st && !f) st = GAN_ERR_ARG;
    if (!st) {                 /* the field takes over the table and the vocabulary */
        f->info.classes = tags.k;
        f->f32 = tags.hot;
        f->names = tags.vocab;
        memset(&tags, 0, sizeof tags);
    }
    if (!st && !gan_source_add_field(s, "index", GAN_FIELD_INDEX, 0, 0, NULL)) st = GAN_ERR_ARG;
    gan_tag_sets_free(&tags);
    gan_u8_images_free(&im);
    gan_index_free(&ix);
    if (st) {
        gan_source_free(s);
        return st;
    }
    return gan_source_finish(s, o->seed, out);
}
