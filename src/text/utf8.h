/* utf8.h — the one UTF-8 decoder and encoder of the text and emoji code (src/text/utf8.c).
 * Strict: overlong forms, surrogates, values above U+10FFFF, stray or missing continuation
 * bytes are errors, so a string this accepts is valid UTF-8 by the Unicode definition (what
 * gan_io_utf8_valid checks for JSON names). */
#ifndef GAN_TEXT_UTF8_H
#define GAN_TEXT_UTF8_H
#include <stddef.h>
#include <stdint.h>

/* Decodes the code point at s[*pos] (n bytes in all; NUL is an ordinary byte). Returns 1 and
 * advances *pos past it, 0 at the end (*pos == n), or -1 on invalid UTF-8 (*pos unchanged:
 * the offset of the bad sequence, for messages). */
int gan_utf8_next(const char *s, size_t n, size_t *pos, uint32_t *cp);
/* Writes cp's 1-4 bytes to out (room for 4) and returns how many; 0 when cp is a surrogate
 * or above U+10FFFF. */
int gan_utf8_put(uint32_t cp, char *out);
/* 1 when n bytes at s are valid UTF-8; otherwise 0 and *bad (if not NULL) = the offset of
 * the first invalid sequence. */
int gan_utf8_check(const char *s, size_t n, size_t *bad);

#endif
