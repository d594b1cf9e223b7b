/* fuzz_tags_index.c — the multi-label index (src/data/index.c): parse, then the tag
 * vocabulary and multi-hot table. Checks: the vocabulary is strictly sorted, tags are
 * non-empty and trimmed, the table holds only 0 and 1. */
#include "data/data_internal.h"
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    gan_index ix;
    if (gan_index_parse("fuzz.tsv", (const char *)data, size, &ix) != GAN_OK) return 0;
    gan_tag_sets t;
    if (gan_tag_sets_build("fuzz.tsv", &ix, &t) == GAN_OK) {
        if (t.k < 1 || t.n != ix.n) __builtin_trap();
        for (int k = 0; k < t.k; k++) {
            size_t l = strlen(t.vocab[k]);
            if (!l || t.vocab[k][0] == ' ' || t.vocab[k][l - 1] == ' ' || strchr(t.vocab[k], ','))
                __builtin_trap();
            if (k && strcmp(t.vocab[k - 1], t.vocab[k]) >= 0) __builtin_trap();
        }
        for (size_t i = 0; i < t.n * (size_t)t.k; i++)
            if (t.hot[i] != 0.0f && t.hot[i] != 1.0f) __builtin_trap();
        gan_tag_sets_free(&t);
    } else if (!gan_last_error()[0]) {
        __builtin_trap();
    }
    gan_index_free(&ix);
    return 0;
}
