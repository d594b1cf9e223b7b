/* fuzz_audio_index.c — the audio index (src/data/index.c): parse, check that second columns
 * are paths, resolve both columns against the index's folder. */
#include "data/data_internal.h"
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    gan_index ix;
    if (gan_index_parse("fuzz.tsv", (const char *)data, size, &ix) != GAN_OK) return 0;
    if (gan_index_check_paths("fuzz.tsv", &ix) == GAN_OK) {
        for (size_t i = 0; i < ix.n; i++) {
            if (!ix.e[i].value[0] || strchr(ix.e[i].value, '\t')) __builtin_trap();
            char *a = gan_index_resolve("idx/audio.tsv", ix.e[i].file);
            char *b = gan_index_resolve("audio.tsv", ix.e[i].value);
            if (!a || !b) __builtin_trap();
            free(a), free(b);
        }
    }
    gan_index_free(&ix);
    return 0;
}
