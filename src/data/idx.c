/* idx.c — IDX datasets (MNIST, Fashion-MNIST), gzipped or plain: zlib's gzread passes plain
 * files through unchanged, so one reader serves both. */
#include "io/io_internal.h"
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

#define IDX_MAGIC_LABELS 0x00000801u
#define IDX_MAGIC_IMAGES 0x00000803u
#define IDX_MAX_SIDE 65535
#define IDX_CHUNK ((size_t)1 << 20)

void gan_u8_images_free(gan_u8_images *im) {
    if (!im) return;
    free(im->data);
    memset(im, 0, sizeof *im);
}

void gan_u8_labels_free(gan_u8_labels *lb) {
    if (!lb) return;
    free(lb->data);
    memset(lb, 0, sizeof *lb);
}

static gan_status idx_open(const char *path, gzFile *out) {
    *out = NULL;
    if (!path || !*path) return gan_fail(GAN_ERR_ARG, "IDX: empty file name");
    struct stat st;
    if (stat(path, &st) != 0)
        return gan_fail(GAN_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    if (S_ISDIR(st.st_mode))
        return gan_fail(GAN_ERR_IO, "%s: is a folder, expected an IDX file", path);
    errno = 0;
    gzFile gz = gzopen(path, "rb");
    if (!gz)
        return gan_fail(errno ? GAN_ERR_IO : GAN_ERR_NOMEM, "%s: cannot open: %s", path,
                        errno ? strerror(errno) : "out of memory");
    gzbuffer(gz, 1 << 17);
    *out = gz;
    return GAN_OK;
}

/* Turns a short or failed gzread into a message: corrupt gzip data is a format error, a
 * failing disk an i/o error, running out of bytes "truncated". */
static gan_status idx_read_error(gzFile gz, const char *path, const char *what, uint64_t got,
                                 uint64_t want) {
    int zerr = Z_OK;
    const char *zmsg = gzerror(gz, &zerr);
    if (zerr == Z_ERRNO)
        return gan_fail(GAN_ERR_IO, "%s: read failed: %s", path, strerror(errno));
    if (zerr == Z_MEM_ERROR) return gan_fail(GAN_ERR_NOMEM, "%s: out of memory", path);
    if (zerr != Z_OK && zerr != Z_BUF_ERROR) {
        size_t n = strlen(path);          /* zlib's message repeats the path: drop it */
        if (strncmp(zmsg, path, n) == 0 && strncmp(zmsg + n, ": ", 2) == 0) zmsg += n + 2;
        return gan_fail(GAN_ERR_FORMAT, "%s: corrupt gzip data: %s", path, zmsg);
    }
    if (got == 0 && want > 0 && strcmp(what, "header") == 0)
        return gan_fail(GAN_ERR_FORMAT, "%s: empty file, expected an IDX header", path);
    return gan_fail(GAN_ERR_FORMAT, "%s: truncated: %s has %llu of %llu bytes", path, what,
                    (unsigned long long)got, (unsigned long long)want);
}

/* Reads exactly n bytes (n small: headers). */
static gan_status idx_read_small(gzFile gz, const char *path, const char *what, uint8_t *buf,
                                 unsigned n, uint64_t already) {
    int r = gzread(gz, buf, n);
    if (r != (int)n)
        return idx_read_error(gz, path, what, already + (r > 0 ? (uint64_t)r : 0), already + n);
    return GAN_OK;
}

/* Reads the `want`-byte payload and checks nothing follows it. The buffer grows as bytes
 * arrive, so a header that claims terabytes only costs what the file really holds. */
static gan_status idx_read_payload(gzFile gz, const char *path, const char *what, uint64_t want,
                                   uint8_t **out) {
    *out = NULL;
    if (want > SIZE_MAX) return gan_fail(GAN_ERR_FORMAT, "%s: %s too large for memory", path, what);
    size_t cap = want < IDX_CHUNK ? (size_t)want : IDX_CHUNK, have = 0;
    uint8_t *buf = malloc(cap ? cap : 1);
    if (!buf) return gan_fail(GAN_ERR_NOMEM, "%s: out of memory", path);
    while (have < want) {
        if (have == cap) {
            size_t ncap = want - cap < cap ? (size_t)want : cap * 2;
            uint8_t *nb = realloc(buf, ncap);
            if (!nb) {
                free(buf);
                return gan_fail(GAN_ERR_NOMEM, "%s: out of memory reading %s (%llu bytes)", path,
                                what, (unsigned long long)want);
            }
            buf = nb;
            cap = ncap;
        }
        size_t chunk = cap - have;
        if (chunk > (1u << 30)) chunk = 1u << 30;
        int r = gzread(gz, buf + have, (unsigned)chunk);
        if (r <= 0) {
            gan_status s = idx_read_error(gz, path, what, have, want);
            free(buf);
            return s;
        }
        have += (size_t)r;
    }
    /* one byte more: finds trailing data, and makes zlib check the gzip trailer's CRC */
    uint8_t extra;
    int r = gzread(gz, &extra, 1);
    int zerr = Z_OK;
    gzerror(gz, &zerr);
    if (r < 0 || (zerr != Z_OK && zerr != Z_BUF_ERROR)) {
        gan_status s = idx_read_error(gz, path, what, have, want);
        free(buf);
        return s;
    }
    if (r > 0) {
        free(buf);
        return gan_fail(GAN_ERR_FORMAT, "%s: trailing data after the %s (%llu bytes declared)",
                        path, what, (unsigned long long)want);
    }
    *out = buf;
    return GAN_OK;
}

static const char *idx_kind(uint32_t magic) {
    return magic == IDX_MAGIC_IMAGES ? " (IDX images)" : magic == IDX_MAGIC_LABELS ? " (IDX labels)" : "";
}

/* Checks the 4-byte magic: two zero bytes, element type u8 (0x08), `ndims` dimensions. */
static gan_status idx_check_magic(const char *path, const uint8_t m[4], uint32_t want) {
    uint32_t magic = gan_get_be32(m);
    if (magic == want) return GAN_OK;
    if (m[0] != 0 || m[1] != 0)
        return gan_fail(GAN_ERR_FORMAT, "%s: bad magic 0x%08x (not an IDX file%s)", path, magic,
                        m[0] == 0x1f && m[1] == 0x8b ? "; gzip data that zlib could not read" : "");
    if (m[2] != 0x08)
        return gan_fail(GAN_ERR_FORMAT, "%s: bad magic 0x%08x: element type 0x%02x is not "
                        "supported (only unsigned bytes, 0x08)", path, magic, m[2]);
    return gan_fail(GAN_ERR_FORMAT, "%s: bad magic 0x%08x%s, expected 0x%08x%s", path, magic,
                    idx_kind(magic), want, idx_kind(want));
}

gan_status gan_idx_load_images(const char *path, gan_u8_images *out) {
    memset(out, 0, sizeof *out);
    gzFile gz;
    gan_status s = idx_open(path, &gz);
    if (s != GAN_OK) return s;
    uint8_t hdr[16];
    if ((s = idx_read_small(gz, path, "header", hdr, 4, 0)) != GAN_OK ||
        (s = idx_check_magic(path, hdr, IDX_MAGIC_IMAGES)) != GAN_OK ||
        (s = idx_read_small(gz, path, "header", hdr + 4, 12, 4)) != GAN_OK) {
        gzclose(gz);
        return s;
    }
    uint32_t n = gan_get_be32(hdr + 4), h = gan_get_be32(hdr + 8), w = gan_get_be32(hdr + 12);
    if (n < 1 || n > INT_MAX || h < 1 || h > IDX_MAX_SIDE || w < 1 || w > IDX_MAX_SIDE) {
        gzclose(gz);
        return gan_fail(GAN_ERR_FORMAT, "%s: image dims %u x %u x %u out of range (N in 1..%d, "
                        "H and W in 1..%d)", path, n, h, w, INT_MAX, IDX_MAX_SIDE);
    }
    uint8_t *data;
    s = idx_read_payload(gz, path, "pixel data", (uint64_t)n * h * w, &data);
    gzclose(gz);
    if (s != GAN_OK) return s;
    out->data = data;
    out->n = (int)n;
    out->h = (int)h;
    out->w = (int)w;
    out->c = 1;
    return GAN_OK;
}

gan_status gan_idx_load_labels(const char *path, gan_u8_labels *out) {
    memset(out, 0, sizeof *out);
    gzFile gz;
    gan_status s = idx_open(path, &gz);
    if (s != GAN_OK) return s;
    uint8_t hdr[8];
    if ((s = idx_read_small(gz, path, "header", hdr, 4, 0)) != GAN_OK ||
        (s = idx_check_magic(path, hdr, IDX_MAGIC_LABELS)) != GAN_OK ||
        (s = idx_read_small(gz, path, "header", hdr + 4, 4, 4)) != GAN_OK) {
        gzclose(gz);
        return s;
    }
    uint32_t n = gan_get_be32(hdr + 4);
    if (n < 1 || n > INT_MAX) {
        gzclose(gz);
        return gan_fail(GAN_ERR_FORMAT, "%s: label count %u out of range (1..%d)", path, n, INT_MAX);
    }
    uint8_t *data;
    s = idx_read_payload(gz, path, "labels", n, &data);
    gzclose(gz);
    if (s != GAN_OK) return s;
    int maxl = 0;
    for (uint32_t i = 0; i < n; i++)
        if (data[i] > maxl) maxl = data[i];
    out->data = data;
    out->n = (int)n;
    out->num_classes = maxl + 1;
    return GAN_OK;
}

gan_status gan_idx_load_dataset(const char *images_path, const char *labels_path,
                                gan_u8_images *images, gan_u8_labels *labels) {
    memset(labels, 0, sizeof *labels);
    gan_status s = gan_idx_load_images(images_path, images);
    if (s != GAN_OK || !labels_path) return s;
    s = gan_idx_load_labels(labels_path, labels);
    if (s == GAN_OK && labels->n != images->n)
        s = gan_fail(GAN_ERR_MISMATCH, "%s: %d labels, but %s holds %d images", labels_path,
                     labels->n, images_path, images->n);
    if (s != GAN_OK) {
        gan_u8_images_free(images);
        gan_u8_labels_free(labels);
    }
    return s;
}

static int is_file(const char *p) {
    struct stat st;
    return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

/* Replaces the last `from` in the file-name part of buf by `to` (same length). */
static int replace_in_name(char *buf, const char *from, const char *to) {
    char *name = strrchr(buf, '/');
    name = name ? name + 1 : buf;
    char *hit = NULL;
    for (char *p = strstr(name, from); p; p = strstr(p + 1, from)) hit = p;
    if (!hit) return 0;
    memcpy(hit, to, strlen(to));
    return 1;
}

int gan_idx_labels_path(const char *images_path, char *buf, size_t n) {
    if (n) buf[0] = '\0';
    size_t len = images_path ? strlen(images_path) : 0;
    if (!len || len + 4 > n) return 0;
    memcpy(buf, images_path, len + 1);
    if (!replace_in_name(buf, "images", "labels")) {
        buf[0] = '\0';
        return 0;
    }
    replace_in_name(buf, "idx3", "idx1");
    if (is_file(buf)) return 1;
    /* the images may be gzipped and the labels not, or the other way round */
    if (len > 3 && strcmp(buf + len - 3, ".gz") == 0) buf[len - 3] = '\0';
    else memcpy(buf + len, ".gz", 4);
    if (is_file(buf)) return 1;
    buf[0] = '\0';
    return 0;
}
