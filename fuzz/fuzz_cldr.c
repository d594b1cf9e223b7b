/* fuzz_cldr.c — the CLDR annotation scanner, over a set that holds a few emoji so that
 * keywords and names really get attached. */
#include "gan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n) {
    gan_emoji_set *s = gan_emoji_set_new();
    static const char seed[] = "[{\"hexcode\":\"1F600\"},{\"hexcode\":\"2764-FE0F\"},"
                               "{\"hexcode\":\"1F468-200D-1F469\"},{\"hexcode\":\"41\"}]";
    gan_emoji_parse_openmoji(s, "seed", seed, sizeof seed - 1, "pkg");
    gan_emoji_parse_cldr(s, "en.xml", (const char *)data, n);
    gan_emoji_set_free(s);
    return 0;
}
