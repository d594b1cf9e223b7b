/* utf8.c — strict UTF-8 decoding and encoding (RFC 3629): every caller that splits text into
 * characters or turns emoji into code points goes through gan_utf8_next, so one place decides
 * what "invalid UTF-8" means. */
#include "text/utf8.h"

int gan_utf8_next(const char *str, size_t n, size_t *pos, uint32_t *cp) {
    const unsigned char *s = (const unsigned char *)str;
    size_t i = *pos;
    if (i >= n) return 0;
    unsigned c = s[i];
    int more;
    uint32_t v, min;
    if (c < 0x80) {
        *cp = c;
        *pos = i + 1;
        return 1;
    }
    if ((c & 0xE0) == 0xC0) more = 1, v = c & 0x1F, min = 0x80;
    else if ((c & 0xF0) == 0xE0) more = 2, v = c & 0x0F, min = 0x800;
    else if ((c & 0xF8) == 0xF0) more = 3, v = c & 0x07, min = 0x10000;
    else return -1;                       /* a continuation byte or 0xF8..0xFF as a lead */
    if (n - i - 1 < (size_t)more) return -1;   /* truncated at the end */
    for (int k = 1; k <= more; k++) {
        if ((s[i + k] & 0xC0) != 0x80) return -1;
        v = v << 6 | (s[i + k] & 0x3F);
    }
    /* overlong forms would give one character two spellings; surrogates are not characters */
    if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) return -1;
    *cp = v;
    *pos = i + 1 + (size_t)more;
    return 1;
}

int gan_utf8_put(uint32_t cp, char *out) {
    unsigned char *o = (unsigned char *)out;
    if (cp < 0x80) {
        o[0] = (unsigned char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (unsigned char)(0xC0 | cp >> 6);
        o[1] = (unsigned char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp >= 0xD800 && cp <= 0xDFFF) return 0;
    if (cp < 0x10000) {
        o[0] = (unsigned char)(0xE0 | cp >> 12);
        o[1] = (unsigned char)(0x80 | (cp >> 6 & 0x3F));
        o[2] = (unsigned char)(0x80 | (cp & 0x3F));
        return 3;
    }
    if (cp > 0x10FFFF) return 0;
    o[0] = (unsigned char)(0xF0 | cp >> 18);
    o[1] = (unsigned char)(0x80 | (cp >> 12 & 0x3F));
    o[2] = (unsigned char)(0x80 | (cp >> 6 & 0x3F));
    o[3] = (unsigned char)(0x80 | (cp & 0x3F));
    return 4;
}

int gan_utf8_check(const char *s, size_t n, size_t *bad) {
    size_t pos = 0;
    uint32_t cp;
    int r;
    while ((r = gan_utf8_next(s, n, &pos, &cp)) > 0) {}
    if (r < 0 && bad) *bad = pos;
    return r == 0;
}
