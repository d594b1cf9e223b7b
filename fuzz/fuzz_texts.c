/* fuzz_texts.c — gan_text_lines_parse (the texts file of `gan data speech`) on arbitrary
 * bytes: no crash; on success every text is valid UTF-8, non-empty, at most 4096 bytes, with
 * increasing line numbers. */
#include "gan.h"
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    gan_text_lines t;
    if (gan_text_lines_parse((const char *)data, size, "fuzz.txt", &t) == GAN_OK) {
        for (int i = 0; i < t.n; i++) {
            size_t l = strlen(t.text[i]);
            if (l == 0 || l > 4096 || (i && t.line[i] <= t.line[i - 1])) abort();
        }
        gan_text_lines_free(&t);
    } else if (t.n || t.text) {
        abort();
    }
    return 0;
}
