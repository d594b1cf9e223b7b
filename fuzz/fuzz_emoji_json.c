/* fuzz_emoji_json.c — emoji-datasource emoji.json and OpenMoji openmoji.json readers on the
 * same bytes (the first byte picks which one first), then the index writer over the set. */
#include "gan.h"
#include <stdio.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n) {
    if (n < 1) return 0;
    gan_emoji_set *s = gan_emoji_set_new();
    const char *j = (const char *)data + 1;
    if (data[0] & 1) {
        gan_emoji_parse_datasource(s, "emoji.json", j, n - 1, "img", GAN_EMOJI_GOOGLE);
        gan_emoji_parse_openmoji(s, "openmoji.json", j, n - 1, "pkg");
    } else {
        gan_emoji_parse_openmoji(s, "openmoji.json", j, n - 1, "pkg");
        gan_emoji_parse_datasource(s, "emoji.json", j, n - 1, "img", GAN_EMOJI_TWITTER);
    }
    gan_emoji_set_sort(s);
    for (int i = 0; i < gan_emoji_set_count(s); i++)
        if (gan_emoji_set_find(s, gan_emoji_set_entry(s, i)->key) != gan_emoji_set_entry(s, i))
            __builtin_trap();
    if (gan_emoji_set_count(s) && (data[0] & 2)) {
        char path[64];
        snprintf(path, sizeof path, "/tmp/fuzz_emoji_index.%d.tsv", (int)getpid());
        gan_emoji_index_write(s, path, NULL);
    }
    gan_emoji_set_free(s);
    return 0;
}
