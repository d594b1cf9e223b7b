/* fuzz_caption_index.c — the caption index parser (src/data/index.c): any bytes must give
 * either a status with a message or entries whose file names and captions are valid UTF-8
 * strings without tabs in the name, and paths that resolve. */
#include "data/data_internal.h"
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    gan_index ix;
    if (gan_index_parse("fuzz.tsv", (const char *)data, size, &ix) != GAN_OK) {
        if (!gan_last_error()[0]) __builtin_trap();       /* a failure always says why */
        return 0;
    }
    if (ix.n == 0) __builtin_trap();
    for (size_t i = 0; i < ix.n; i++) {
        const gan_index_entry *e = &ix.e[i];
        size_t lf = strlen(e->file), lv = strlen(e->value);
        if (!lf || memchr(e->file, '\t', lf) || memchr(e->value, '\n', lv)) __builtin_trap();
        if (!gan_utf8_valid(e->file, lf, NULL) || !gan_utf8_valid(e->value, lv, NULL))
            __builtin_trap();
        if (e->line < 1 || (i && e->line <= ix.e[i - 1].line)) __builtin_trap();
        char *p = gan_index_resolve("some/dir/captions.tsv", e->file);
        free(p);
    }
    gan_index_free(&ix);
    return 0;
}
