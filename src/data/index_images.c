/* index_images.c — the images an index names (captions, label sets, sounds): paths relative
 * to the index file's folder unless absolute, loaded in index order, one sample per line. */
#include "data_internal.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

gan_status gan_index_images_load(const char *index_path, const gan_index *ix,
                                 const gan_source_opts *o, gan_u8_images *out) {
    memset(out, 0, sizeof *out);
    gan_name_list paths = {0};
    gan_status st = GAN_OK;
    for (size_t i = 0; i < ix->n && !st; i++) {
        char *p = gan_index_resolve(index_path, ix->e[i].file);
        struct stat sb;
        if (!p) st = gan_fail(GAN_ERR_NOMEM, "%s: out of memory", index_path);
        else if (stat(p, &sb) != 0)
            st = gan_fail(GAN_ERR_IO, "%s:%d: %s: %s", index_path, ix->e[i].line, p, strerror(errno));
        else if (!S_ISREG(sb.st_mode))
            st = gan_fail(GAN_ERR_IO, "%s:%d: %s: not a regular file", index_path, ix->e[i].line, p);
        if (!st && !gan_name_list_push(&paths, p)) st = gan_fail(GAN_ERR_NOMEM, "out of memory");
        else if (st) free(p);
    }
    gan_image_opts io = {.size = gan_source_image_size(o), .background = o->background};
    if (!st) {
        st = gan_image_files_load(index_path, paths.v, paths.n, &io, out, NULL, NULL, NULL);
        if (st) st = gan_fail(st, "%s: %s", index_path, gan_last_error());
    }
    gan_name_list_free(&paths);
    return st;
}
