/* codepoint.c — emoji keys: every source's spelling of a code point sequence (hex in either
 * case, '-' or '_' between, the emoji's own UTF-8) to one key, so the sources can be matched.
 * U+FE0F is dropped because the sources disagree about it: emoji-datasource and OpenMoji
 * write the fully-qualified "2764-FE0F", EmojiOne the bare "2764"; it only asks for emoji
 * presentation and never changes which emoji is meant. */
#include "gan.h"
#include "text/utf8.h"
#include <stdio.h>
#include <string.h>

#define VS16 0xFE0Fu

static gan_status key_from_cps(const uint32_t *cps, int n, const char *what, char *key) {
    size_t k = 0;
    int kept = 0;
    key[0] = 0;
    for (int i = 0; i < n; i++) {
        if (cps[i] == VS16) continue;
        k += (size_t)snprintf(key + k, GAN_EMOJI_KEY_MAX - k, kept++ ? "-%x" : "%x",
                              (unsigned)cps[i]);
    }
    if (!kept) return gan_fail(GAN_ERR_ARG, "emoji \"%.60s\": no code points", what);
    return GAN_OK;
}

static int hex_digit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

gan_status gan_emoji_key_from_hex(const char *hex, char key[GAN_EMOJI_KEY_MAX]) {
    uint32_t cps[GAN_EMOJI_MAX_CPS];
    int n = 0;
    key[0] = 0;
    for (const char *p = hex; *p;) {
        if (*p == '-' || *p == '_' || *p == ' ') {
            p++;
            continue;
        }
        if ((p[0] == 'U' || p[0] == 'u') && p[1] == '+') p += 2;
        uint32_t v = 0;
        int digits = 0, d;
        for (; (d = hex_digit(*p)) >= 0; p++)
            if (++digits <= 6) v = v << 4 | (uint32_t)d;
        if (!digits || (*p && *p != '-' && *p != '_' && *p != ' '))
            return gan_fail(GAN_ERR_ARG, "emoji \"%.60s\": '%c' is not a hex digit", hex,
                            *p ? *p : '?');
        if (digits > 6 || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
            return gan_fail(GAN_ERR_ARG, "emoji \"%.60s\": not a Unicode scalar value", hex);
        if (n == GAN_EMOJI_MAX_CPS)
            return gan_fail(GAN_ERR_ARG, "emoji \"%.60s\": more than %d code points", hex,
                            GAN_EMOJI_MAX_CPS);
        cps[n++] = v;
    }
    return key_from_cps(cps, n, hex, key);
}

gan_status gan_emoji_key_from_utf8(const char *s, size_t len, char key[GAN_EMOJI_KEY_MAX]) {
    uint32_t cps[GAN_EMOJI_MAX_CPS], cp;
    size_t pos = 0;
    int n = 0, r;
    key[0] = 0;
    while ((r = gan_utf8_next(s, len, &pos, &cp)) > 0) {
        if (n == GAN_EMOJI_MAX_CPS)
            return gan_fail(GAN_ERR_ARG, "emoji text: more than %d code points",
                            GAN_EMOJI_MAX_CPS);
        cps[n++] = cp;
    }
    if (r < 0) return gan_fail(GAN_ERR_ARG, "emoji text: invalid UTF-8 at byte %zu", pos);
    return key_from_cps(cps, n, "(text)", key);
}

int gan_emoji_key_cps(const char *key, uint32_t cps[GAN_EMOJI_MAX_CPS]) {
    int n = 0;
    for (const char *p = key; *p;) {
        uint32_t v = 0;
        int digits = 0, d;
        for (; (d = hex_digit(*p)) >= 0 && digits < 7; p++, digits++) v = v << 4 | (uint32_t)d;
        if (!digits || digits > 6 || n == GAN_EMOJI_MAX_CPS || (*p && *p != '-')) return 0;
        cps[n++] = v;
        if (*p) p++;
        if (!*p && p[-1] == '-') return 0;
    }
    return n;
}
