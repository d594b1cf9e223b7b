/* emojione.c — EmojiOne 2 (Debian ruby-gemojione) has no index we need: its PNGs are named
 * by code point ("1F1E6-1F1E8.png", uppercase, no FE0F), so the folder listing is the index.
 * Files that are not named like that are skipped. */
#include "emoji/emoji_internal.h"
#include <dirent.h>
#include <errno.h>
#include <string.h>

static int hex_stem(const char *name, size_t *stem) {
    size_t n = strlen(name);
    if (n < 5 || n > GAN_EMOJI_KEY_MAX || strcmp(name + n - 4, ".png")) return 0;
    for (size_t i = 0; i < n - 4; i++)
        if (!strchr("0123456789abcdefABCDEF-", name[i])) return 0;
    *stem = n - 4;
    return 1;
}

gan_status gan_emoji_read_emojione(gan_emoji_set *s, const char *png_dir) {
    DIR *d = opendir(png_dir);
    if (!d) return gan_fail(GAN_ERR_IO, "%s: cannot open folder: %s", png_dir, strerror(errno));
    struct dirent *de;
    gan_status st = GAN_OK;
    while (st == GAN_OK && (de = readdir(d))) {
        size_t stem;
        if (!hex_stem(de->d_name, &stem)) continue;
        char hex[GAN_EMOJI_KEY_MAX], key[GAN_EMOJI_KEY_MAX];
        memcpy(hex, de->d_name, stem);
        hex[stem] = 0;
        if (gan_emoji_key_from_hex(hex, key) != GAN_OK) continue;
        gan_emoji_entry *e = gan_emoji_set_add(s, key);
        if (!e || !gan_emoji_file_set(e, GAN_EMOJI_EMOJIONE, png_dir, de->d_name))
            st = gan_fail(GAN_ERR_NOMEM, "%s: out of memory", png_dir);
    }
    closedir(d);
    return st;
}
