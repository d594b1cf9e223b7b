/* source_caption.c — "captions:INDEX": lines IMAGE<TAB>CAPTION. The batch carries "image" and
 * "index"; captions stay strings (gan_source_text), because turning them into token ids is
 * the text vocabulary's job (src/text): a caller tokenizes the rows named by "index". */
#include "data_internal.h"
#include <stdlib.h>

gan_status gan_source_open_captions(const char *path, const gan_source_opts *o, gan_source **out) {
    gan_index ix;
    gan_status st = gan_index_read(path, &ix);
    if (st) return st;
    gan_u8_images im = {0};
    gan_source *s = NULL;
    char **texts = NULL;
    st = gan_index_images_load(path, &ix, o, &im);
    if (!st && !(texts = calloc(ix.n, sizeof *texts))) st = gan_fail(GAN_ERR_NOMEM, "out of memory");
    for (size_t i = 0; !st && i < ix.n; i++)
        if (!(texts[i] = gan_strdup(ix.e[i].value))) st = gan_fail(GAN_ERR_NOMEM, "out of memory");
    if (!st && !(s = gan_source_alloc("captions"))) st = gan_fail(GAN_ERR_NOMEM, "out of memory");
    if (!st) {
        gan_source_set_texts(s, texts, (int64_t)ix.n);
        texts = NULL;
        st = gan_source_add_images(s, "image", 0, &im);
    }
    if (!st && !gan_source_add_field(s, "index", GAN_FIELD_INDEX, 0, 0, NULL)) st = GAN_ERR_ARG;
    for (size_t i = 0; texts && i < ix.n; i++) free(texts[i]);
    free(texts);
    gan_u8_images_free(&im);
    gan_index_free(&ix);
    if (st) {
        gan_source_free(s);
        return st;
    }
    return gan_source_finish(s, o->seed, out);
}
