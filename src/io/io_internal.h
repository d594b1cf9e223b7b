/* io_internal.h — what the file readers and writers (src/io, src/data) share.
 *
 * Buffers whose size comes from a file use plain malloc/realloc and check for NULL: a bad
 * or huge file must become GAN_ERR_NOMEM, never the abort of gan_malloc. gan_free releases
 * them (it is free()), so callers need not know which allocator filled a struct. */
#ifndef GAN_IO_INTERNAL_H
#define GAN_IO_INTERNAL_H

#include "gan.h"
#include <stdint.h>
#include <string.h>

static inline int gan_host_is_le(void) {
    const uint16_t one = 1;
    uint8_t b;
    memcpy(&b, &one, 1);
    return b == 1;
}

static inline void gan_put_le16(uint8_t *p, uint16_t v) {
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}
static inline void gan_put_le64(uint8_t *p, uint64_t v) {
    for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (8 * i));
}
static inline uint64_t gan_get_le64(const uint8_t *p) {
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--) v = (v << 8) | p[i];
    return v;
}
static inline uint32_t gan_get_le32(const uint8_t *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static inline uint32_t gan_get_be32(const uint8_t *p) {
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

/* Reverses the bytes of n elements of `size` bytes in place (file order <-> host order on a
 * big-endian host; a no-op loop nobody calls on little-endian ones). */
static inline void gan_swap_bytes(void *data, int64_t n, int size) {
    uint8_t *p = data;
    for (int64_t i = 0; i < n; i++, p += size)
        for (int a = 0, b = size - 1; a < b; a++, b--) {
            uint8_t t = p[a];
            p[a] = p[b];
            p[b] = t;
        }
}

/* torchvision's save_image mapping for one value (see gan.h); NaN -> 0. */
static inline uint8_t gan_pixel_to_u8(float x) {
    if (!(x == x)) return 0;
    float t = x < -1.0f ? -1.0f : (x > 1.0f ? 1.0f : x);
    t = (t + 1.0f) / 2.0f;
    t = t * 255.0f;          /* two statements: torch rounds after each op, so no FMA */
    t = t + 0.5f;
    if (t > 255.0f) t = 255.0f;
    return (uint8_t)t;
}

/* Bytes per element of a gan_dtype (0 for GAN_DTYPE_OTHER). */
static inline int gan_dtype_size(gan_dtype t) {
    return t == GAN_DTYPE_F32 ? 4 : t == GAN_DTYPE_I64 ? 8 : t == GAN_DTYPE_U8 ? 1 : 0;
}

#include <stdio.h>

/* "(2, 3, 4)" into buf (n >= 1). */
static inline void gan_io_shape_str(int ndim, const int *shape, char *buf, size_t n) {
    size_t k = (size_t)snprintf(buf, n, "(");
    for (int i = 0; i < ndim && k < n; i++)
        k += (size_t)snprintf(buf + k, n - k, i ? ", %d" : "%d", shape[i]);
    if (k < n) snprintf(buf + k, n - k, ")");
}

/* numel of a shape, or -1 when a dim is negative or the product overflows int64. */
static inline int64_t gan_io_numel(int ndim, const int *shape) {
    int64_t n = 1;
    for (int i = 0; i < ndim; i++) {
        if (shape[i] < 0) return -1;
        if (shape[i] && n > INT64_MAX / shape[i]) return -1;
        n *= shape[i];
    }
    return n;
}

/* 1 when s is valid UTF-8 (JSON text must be): no stray continuation bytes, no overlong
 * forms, no surrogates, nothing above U+10FFFF. */
static inline int gan_io_utf8_valid(const char *str) {
    const unsigned char *s = (const unsigned char *)str;
    while (*s) {
        unsigned c = *s++;
        int more;
        uint32_t cp, min;
        if (c < 0x80) continue;
        else if ((c & 0xE0) == 0xC0) more = 1, cp = c & 0x1F, min = 0x80;
        else if ((c & 0xF0) == 0xE0) more = 2, cp = c & 0x0F, min = 0x800;
        else if ((c & 0xF8) == 0xF0) more = 3, cp = c & 0x07, min = 0x10000;
        else return 0;
        for (int i = 0; i < more; i++, s++) {
            if ((*s & 0xC0) != 0x80) return 0;
            cp = cp << 6 | (*s & 0x3F);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
    }
    return 1;
}

#endif
