/* npy.c — NumPy .npy files: samples for `gan eval` and for anyone with numpy. The header is
 * a Python dict literal; we write format 1.0 padded to 64 bytes as numpy does, and read the
 * small subset of that literal numpy itself writes. */
#include "io/io_internal.h"
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define NPY_ALIGN 64
#define NPY_MAX_HEADER 65536        /* numpy refuses headers over 10000 bytes by default */

/* ================================================================== writer */

static gan_status npy_write(const char *path, const char *descr, const void *data, int size,
                            int ndim, const int *shape) {
    if (!path || !*path) return gan_fail(GAN_ERR_ARG, ".npy: empty file name");
    int64_t numel = ndim >= 0 && ndim <= GAN_FILE_MAX_DIMS && (ndim == 0 || shape)
                        ? gan_io_numel(ndim, shape) : -1;
    if (numel < 0 || (uint64_t)numel > SIZE_MAX / (size_t)size || (numel > 0 && !data))
        return gan_fail(GAN_ERR_ARG, "%s: bad array for .npy (ndim %d, need 0..%d non-negative "
                        "dims and data)", path, ndim, GAN_FILE_MAX_DIMS);
    char hdr[512];
    int k = 10;
    k += snprintf(hdr + k, sizeof hdr - (size_t)k,
                  "{'descr': '%s', 'fortran_order': False, 'shape': (", descr);
    for (int i = 0; i < ndim; i++) k += snprintf(hdr + k, sizeof hdr - (size_t)k, "%d, ", shape[i]);
    if (ndim > 0) k -= ndim == 1 ? 1 : 2;            /* "(5,)" for 1-d, "(2, 3)" otherwise */
    k += snprintf(hdr + k, sizeof hdr - (size_t)k, "), }");
    int total = (k + 1 + NPY_ALIGN - 1) / NPY_ALIGN * NPY_ALIGN;   /* + 1 for the '\n' */
    memset(hdr + k, ' ', (size_t)(total - k));
    hdr[total - 1] = '\n';
    memcpy(hdr, "\x93NUMPY\x01\x00", 8);
    gan_put_le16((uint8_t *)hdr + 8, (uint16_t)(total - 10));
    gan_atomic_file *af;
    gan_status s = gan_atomic_open(path, &af);
    if (s != GAN_OK) return s;
    gan_atomic_write(af, hdr, (size_t)total);
    if (size == 1 || gan_host_is_le()) {
        gan_atomic_write(af, data, (size_t)numel * (size_t)size);
    } else {
        uint8_t buf[1 << 16];
        const uint8_t *p = data;
        size_t nbytes = (size_t)numel * (size_t)size;
        for (size_t done = 0; done < nbytes; done += sizeof buf) {
            size_t m = nbytes - done < sizeof buf ? nbytes - done : sizeof buf;
            memcpy(buf, p + done, m);
            gan_swap_bytes(buf, (int64_t)(m / (size_t)size), size);
            gan_atomic_write(af, buf, m);
        }
    }
    return gan_atomic_commit(af);
}

gan_status gan_npy_write_u8(const char *path, const uint8_t *data, int ndim, const int *shape) {
    return npy_write(path, "|u1", data, 1, ndim, shape);
}

gan_status gan_npy_write_f32(const char *path, const float *data, int ndim, const int *shape) {
    return npy_write(path, "<f4", data, 4, ndim, shape);
}

// images (N,C,H,W) floats in [-1,1] -> u8 (N,H,W) for C = 1, (N,H,W,C) otherwise
gan_status gan_npy_write_images(const char *path, const float *images, int n, int c, int h,
                                int w) {
    const char *p = path ? path : "(null)";
    int64_t numel = gan_io_numel(4, (const int[]){n, c, h, w}), plane = (int64_t)h * w;
    if (!images || n < 0 || c < 1 || h < 1 || w < 1 || numel < 0 || (uint64_t)numel > SIZE_MAX)
        return gan_fail(GAN_ERR_ARG, "%s: bad images for .npy: n=%d c=%d h=%d w=%d", p, n, c, h, w);
    uint8_t *u = malloc(numel ? (size_t)numel : 1);
    if (!u) return gan_fail(GAN_ERR_NOMEM, "%s: out of memory", p);
#pragma omp parallel for schedule(static) if (numel > 1 << 18)
    for (int i = 0; i < n; i++) {
        const float *img = images + (int64_t)i * c * plane;
        uint8_t *o = u + (int64_t)i * c * plane;
        for (int64_t q = 0; q < plane; q++)
            for (int ch = 0; ch < c; ch++) o[q * c + ch] = gan_pixel_to_u8(img[ch * plane + q]);
    }
    gan_status s = c == 1 ? gan_npy_write_u8(path, u, GAN_SHAPE(n, h, w))
                          : gan_npy_write_u8(path, u, GAN_SHAPE(n, h, w, c));
    free(u);
    return s;
}

/* ================================================================== reader */

void gan_npy_free(gan_npy_array *a) {
    if (!a) return;
    free(a->data);
    memset(a, 0, sizeof *a);
}

typedef struct {
    const char *p, *end;
} npy_lex;

static void lex_ws(npy_lex *l) {
    while (l->p < l->end && (*l->p == ' ' || *l->p == '\t' || *l->p == '\n' || *l->p == '\r'))
        l->p++;
}

static int lex_char(npy_lex *l, char c) {
    lex_ws(l);
    if (l->p < l->end && *l->p == c) {
        l->p++;
        return 1;
    }
    return 0;
}

/* A quoted string ('...' or "...", no escapes: numpy never writes any) into buf. */
static int lex_string(npy_lex *l, char *buf, size_t n) {
    lex_ws(l);
    if (l->p >= l->end || (*l->p != '\'' && *l->p != '"')) return 0;
    char q = *l->p++;
    size_t k = 0;
    while (l->p < l->end && *l->p != q) {
        if (*l->p == '\\' || k + 1 >= n) return 0;
        buf[k++] = *l->p++;
    }
    if (l->p >= l->end) return 0;
    l->p++;
    buf[k] = '\0';
    return 1;
}

static int lex_word(npy_lex *l, const char *w) {
    lex_ws(l);
    size_t n = strlen(w);
    if ((size_t)(l->end - l->p) >= n && memcmp(l->p, w, n) == 0) {
        l->p += n;
        return 1;
    }
    return 0;
}

/* "(2, 3)", "(5,)", "()": non-negative ints up to INT_MAX. */
static int lex_shape(npy_lex *l, int *shape, int *ndim) {
    *ndim = 0;
    if (!lex_char(l, '(')) return 0;
    for (;;) {
        if (lex_char(l, ')')) return 1;
        lex_ws(l);
        if (l->p >= l->end || *l->p < '0' || *l->p > '9' || *ndim >= GAN_FILE_MAX_DIMS) return 0;
        long long v = 0;
        while (l->p < l->end && *l->p >= '0' && *l->p <= '9') {
            v = v * 10 + (*l->p++ - '0');
            if (v > INT_MAX) return 0;
        }
        lex_word(l, "L");                   /* Python 2 longs */
        shape[(*ndim)++] = (int)v;
        if (!lex_char(l, ',')) return lex_char(l, ')');
    }
}

/* Parses the header dict into descr / fortran order / shape. */
static gan_status npy_parse_header(const char *path, const char *h, size_t len, char *descr,
                                   int *fortran, int *shape, int *ndim) {
    npy_lex l = {h, h + len};
    int have_d = 0, have_f = 0, have_s = 0;
    if (!lex_char(&l, '{'))
        return gan_fail(GAN_ERR_FORMAT, "%s: .npy header is not a dict", path);
    for (;;) {
        if (lex_char(&l, '}')) break;
        char key[32];
        if (!lex_string(&l, key, sizeof key) || !lex_char(&l, ':'))
            return gan_fail(GAN_ERR_FORMAT, "%s: malformed .npy header near byte %ld", path,
                            (long)(l.p - h));
        if (strcmp(key, "descr") == 0) {
            if (!lex_string(&l, descr, 16))
                return gan_fail(GAN_ERR_FORMAT, "%s: .npy 'descr' is not a simple type string "
                                "(structured arrays are not supported)", path);
            have_d = 1;
        } else if (strcmp(key, "fortran_order") == 0) {
            if (lex_word(&l, "True")) *fortran = 1;
            else if (lex_word(&l, "False")) *fortran = 0;
            else return gan_fail(GAN_ERR_FORMAT, "%s: .npy 'fortran_order' is not True/False", path);
            have_f = 1;
        } else if (strcmp(key, "shape") == 0) {
            if (!lex_shape(&l, shape, ndim))
                return gan_fail(GAN_ERR_FORMAT, "%s: .npy 'shape' is not a tuple of at most %d "
                                "integers in 0..%d", path, GAN_FILE_MAX_DIMS, INT_MAX);
            have_s = 1;
        } else {
            return gan_fail(GAN_ERR_FORMAT, "%s: unexpected key '%s' in .npy header", path, key);
        }
        if (!lex_char(&l, ',')) {
            if (!lex_char(&l, '}'))
                return gan_fail(GAN_ERR_FORMAT, "%s: malformed .npy header near byte %ld", path,
                                (long)(l.p - h));
            break;
        }
    }
    if (!have_d || !have_f || !have_s)
        return gan_fail(GAN_ERR_FORMAT, "%s: .npy header lacks '%s'", path,
                        !have_d ? "descr" : !have_f ? "fortran_order" : "shape");
    return GAN_OK;
}

gan_status gan_npy_read(const char *path, gan_npy_array *out) {
    memset(out, 0, sizeof *out);
    if (!path || !*path) return gan_fail(GAN_ERR_ARG, ".npy: empty file name");
    FILE *fp = fopen(path, "rb");
    if (!fp) return gan_fail(GAN_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    gan_status s = GAN_OK;
    struct stat st;
    uint8_t pre[12];
    char *hdr = NULL;
    uint64_t fsize = 0, hlen = 0, pre_len = 10;
    if (fstat(fileno(fp), &st) != 0 || !S_ISREG(st.st_mode))
        s = gan_fail(GAN_ERR_IO, "%s: not a regular file", path);
    else if ((fsize = (uint64_t)st.st_size) < 10 || fread(pre, 1, 10, fp) != 10)
        s = gan_fail(GAN_ERR_FORMAT, "%s: truncated: %llu bytes, too short for a .npy header",
                     path, (unsigned long long)fsize);
    else if (memcmp(pre, "\x93NUMPY", 6) != 0)
        s = gan_fail(GAN_ERR_FORMAT, "%s: bad magic (not a .npy file)", path);
    else if (pre[6] < 1 || pre[6] > 3)
        s = gan_fail(GAN_ERR_FORMAT, "%s: .npy format version %d.%d not supported", path, pre[6],
                     pre[7]);
    else if (pre[6] == 1)
        hlen = (uint64_t)pre[8] | (uint64_t)pre[9] << 8;
    else if (fsize < 12 || fread(pre + 10, 1, 2, fp) != 2)
        s = gan_fail(GAN_ERR_FORMAT, "%s: truncated .npy header", path);
    else
        hlen = gan_get_le32(pre + 8), pre_len = 12;
    if (s == GAN_OK && (hlen > NPY_MAX_HEADER || pre_len + hlen > fsize))
        s = gan_fail(GAN_ERR_FORMAT, "%s: .npy header length %llu exceeds the file size (%llu "
                     "bytes) or the %d-byte limit", path, (unsigned long long)hlen,
                     (unsigned long long)fsize, NPY_MAX_HEADER);
    if (s == GAN_OK && !(hdr = malloc((size_t)hlen + 1)))
        s = gan_fail(GAN_ERR_NOMEM, "%s: out of memory", path);
    if (s == GAN_OK && fread(hdr, 1, (size_t)hlen, fp) != (size_t)hlen)
        s = gan_fail(GAN_ERR_IO, "%s: read failed", path);
    char descr[16] = "";
    int fortran = 0, ndim = 0, shape[GAN_FILE_MAX_DIMS] = {0};
    if (s == GAN_OK) {
        hdr[hlen] = '\0';
        s = npy_parse_header(path, hdr, (size_t)hlen, descr, &fortran, shape, &ndim);
    }
    free(hdr);
    int size = 0, swap = 0;
    gan_dtype dt = GAN_DTYPE_OTHER;
    if (s == GAN_OK) {
        const char *d = descr;
        char order = (*d == '<' || *d == '>' || *d == '|' || *d == '=') ? *d++ : '|';
        if (strcmp(d, "u1") == 0 || strcmp(d, "B") == 0) dt = GAN_DTYPE_U8, size = 1;
        else if (strcmp(d, "f4") == 0 && order != '|')
            dt = GAN_DTYPE_F32, size = 4, swap = (order == '>') == gan_host_is_le();
        else
            s = gan_fail(GAN_ERR_FORMAT, "%s: .npy dtype '%s' not supported (uint8 '|u1' or "
                         "float32 '<f4')", path, descr);
    }
    if (s == GAN_OK && fortran && ndim > 1)
        s = gan_fail(GAN_ERR_FORMAT, "%s: .npy array in Fortran order not supported", path);
    int64_t numel = s == GAN_OK ? gan_io_numel(ndim, shape) : 0;
    if (s == GAN_OK && numel < 0)
        s = gan_fail(GAN_ERR_FORMAT, "%s: .npy shape overflows", path);
    if (s == GAN_OK && (uint64_t)numel > (fsize - pre_len - hlen) / (uint64_t)size) {
        char shs[160];
        gan_io_shape_str(ndim, shape, shs, sizeof shs);
        s = gan_fail(GAN_ERR_FORMAT, "%s: truncated: shape %s of %s needs %llu data bytes, the "
                     "file has %llu", path, shs, descr,
                     (unsigned long long)numel * (unsigned long long)size,
                     (unsigned long long)(fsize - pre_len - hlen));
    }
    void *data = NULL;
    if (s == GAN_OK && !(data = malloc(numel ? (size_t)numel * (size_t)size : 1)))
        s = gan_fail(GAN_ERR_NOMEM, "%s: out of memory", path);
    if (s == GAN_OK && fread(data, (size_t)size, (size_t)numel, fp) != (size_t)numel)
        s = gan_fail(GAN_ERR_IO, "%s: read failed", path);
    fclose(fp);
    if (s != GAN_OK) {
        free(data);
        return s;
    }
    if (swap) gan_swap_bytes(data, numel, size);
    out->data = data;
    out->dtype = dt;
    out->ndim = ndim;
    memcpy(out->shape, shape, sizeof shape);
    out->numel = numel;
    return GAN_OK;
}
