/* fuzz_utf8.c — the UTF-8 decoder: it must agree with gan_io_utf8_valid's independent
 * checker, and decoding then encoding valid input must give back the same bytes. */
#include "gan.h"
#include "io/io_internal.h"
#include "text/utf8.h"
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n) {
    const char *s = (const char *)data;
    size_t pos = 0, k = 0;
    uint32_t cp;
    int r;
    char *back = malloc(n + 4);
    while ((r = gan_utf8_next(s, n, &pos, &cp)) > 0) k += (size_t)gan_utf8_put(cp, back + k);
    if (r == 0 && (k != n || memcmp(back, s, n))) abort();
    if (!memchr(s, 0, n)) {                 /* the other checker stops at NUL */
        char *z = malloc(n + 1);
        memcpy(z, s, n);
        z[n] = 0;
        if (gan_io_utf8_valid(z) != (r == 0)) abort();
        free(z);
    }
    free(back);
    return 0;
}
