/* source_unpaired.c — "unpaired:DIR": two image domains with no pairing, DIR/trainA and
 * DIR/trainB (junyanz's CycleGAN layout), each loaded as an image folder. "image" and
 * "index" come from domain 0 (trainA), "image_b" and "index_b" from domain 1 (trainB), whose
 * order is its own (seed ^ GAN_SOURCE_DOMAIN_SALT, over its own count; gan.h): a batch row
 * pairs nothing, as CycleGAN's unaligned loader with serial_batches off. The domains may
 * differ in size and in channels. */
#include "data_internal.h"
#include <stdlib.h>

gan_status gan_source_open_unpaired(const char *dir, const gan_source_opts *o, gan_source **out) {
    char *a_dir = gan_path_join(dir, "trainA"), *b_dir = gan_path_join(dir, "trainB");
    gan_u8_images ia = {0}, ib = {0};
    int size = gan_source_image_size(o);
    gan_status st = a_dir && b_dir ? GAN_OK : gan_fail(GAN_ERR_NOMEM, "out of memory");
    if (!st) st = gan_image_folder_load_bg(a_dir, size, o->background, &ia, NULL);
    if (!st) st = gan_image_folder_load_bg(b_dir, size, o->background, &ib, NULL);
    free(a_dir), free(b_dir);
    gan_source *s = st ? NULL : gan_source_alloc("unpaired");
    if (!st && !s) st = gan_fail(GAN_ERR_NOMEM, "out of memory");
    if (!st) st = gan_source_add_images(s, "image", 0, &ia);
    if (!st && !gan_source_add_field(s, "index", GAN_FIELD_INDEX, 0, 0, NULL)) st = GAN_ERR_ARG;
    if (!st) st = gan_source_add_images(s, "image_b", 1, &ib);
    if (!st && !gan_source_add_field(s, "index_b", GAN_FIELD_INDEX, 1, 0, NULL)) st = GAN_ERR_ARG;
    gan_u8_images_free(&ia), gan_u8_images_free(&ib);
    if (st) {
        gan_source_free(s);
        return st;
    }
    return gan_source_finish(s, o->seed, out);
}
