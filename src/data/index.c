/* index.c — tab-separated indexes ("FILE<TAB>VALUE" per line) for the caption, label-set and
 * audio sources, and the label-set parser. Everything here works on bytes in memory, so the
 * fuzz targets (fuzz/fuzz_*_index.c) reach all of it without touching the disk. */
#include "data_internal.h"
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int gan_utf8_valid(const char *str, size_t n, size_t *bad) {
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0;
    while (i < n) {
        unsigned c = s[i];
        size_t len;
        unsigned min, cp;
        if (c < 0x80) { i++; continue; }
        if (c >= 0xC2 && c <= 0xDF) len = 2, min = 0x80, cp = c & 0x1F;
        else if (c >= 0xE0 && c <= 0xEF) len = 3, min = 0x800, cp = c & 0x0F;
        else if (c >= 0xF0 && c <= 0xF4) len = 4, min = 0x10000, cp = c & 0x07;
        else goto fail;
        if (n - i < len) goto fail;
        for (size_t k = 1; k < len; k++) {
            if ((s[i + k] & 0xC0) != 0x80) goto fail;
            cp = cp << 6 | (s[i + k] & 0x3F);
        }
        /* overlong forms, UTF-16 surrogates and values past Unicode's last code point */
        if (cp < min || (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF) goto fail;
        i += len;
    }
    return 1;
fail:
    if (bad) *bad = i;
    return 0;
}

void gan_index_free(gan_index *ix) {
    if (!ix) return;
    free(ix->e);
    free(ix->buf);
    memset(ix, 0, sizeof *ix);
}

/* Checks one line (cut into a string at buf[0..len)) and splits it at its first tab. */
static gan_status parse_line(const char *name, int line, char *s, size_t len, gan_index_entry *e) {
    if (memchr(s, '\0', len))
        return gan_fail(GAN_ERR_FORMAT, "%s:%d: contains a NUL byte at column %zu", name, line,
                        (size_t)((char *)memchr(s, '\0', len) - s) + 1);
    size_t bad = 0;
    if (!gan_utf8_valid(s, len, &bad))
        return gan_fail(GAN_ERR_FORMAT, "%s:%d: invalid UTF-8 at byte %zu (byte 0x%02x)", name,
                        line, bad + 1, (unsigned char)s[bad]);
    char *tab = memchr(s, '\t', len);
    if (!tab)
        return gan_fail(GAN_ERR_FORMAT, "%s:%d: no tab: expected FILE<TAB>VALUE", name, line);
    if (tab == s) return gan_fail(GAN_ERR_FORMAT, "%s:%d: empty file name before the tab", name, line);
    *tab = '\0';
    e->file = s;
    e->value = tab + 1;
    e->line = line;
    return GAN_OK;
}

gan_status gan_index_parse(const char *name, const char *text, size_t len, gan_index *out) {
    memset(out, 0, sizeof *out);
    if (len >= 3 && !memcmp(text, "\xEF\xBB\xBF", 3)) text += 3, len -= 3;
    size_t lines = 1;
    for (size_t i = 0; i < len; i++) lines += text[i] == '\n';
    if (lines > INT_MAX) return gan_fail(GAN_ERR_FORMAT, "%s: more than %d lines", name, INT_MAX);
    char *buf = malloc(len + 1);
    gan_index_entry *e = malloc(lines * sizeof *e);
    if (!buf || !e) {
        free(buf), free(e);
        return gan_fail(GAN_ERR_NOMEM, "%s: out of memory reading the index", name);
    }
    memcpy(buf, text, len);
    buf[len] = '\0';
    size_t n = 0;
    int line = 0;
    gan_status st = GAN_OK;
    for (char *p = buf, *end = buf + len; p <= end && st == GAN_OK; line++) {
        char *nl = memchr(p, '\n', (size_t)(end - p));
        char *stop = nl ? nl : end;
        *stop = '\0';
        size_t l = (size_t)(stop - p);
        if (l && p[l - 1] == '\r') p[--l] = '\0';
        if (l) st = parse_line(name, line + 1, p, l, &e[n++]);
        p = stop + 1;
        if (!nl) break;
    }
    if (st == GAN_OK && n == 0) st = gan_fail(GAN_ERR_FORMAT, "%s: no entries (empty index)", name);
    if (st != GAN_OK) {
        free(buf), free(e);
        return st;
    }
    out->e = e, out->n = n, out->buf = buf;
    return GAN_OK;
}

gan_status gan_index_read(const char *path, gan_index *out) {
    memset(out, 0, sizeof *out);
    FILE *f = fopen(path, "rb");
    if (!f) return gan_fail(GAN_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    size_t cap = 1 << 16, len = 0;
    char *text = malloc(cap);
    gan_status st = text ? GAN_OK : gan_fail(GAN_ERR_NOMEM, "%s: out of memory", path);
    while (st == GAN_OK) {
        if (len == cap) {
            char *t = cap < GAN_INDEX_MAX_BYTES ? realloc(text, cap * 2) : NULL;
            if (!t) {
                st = cap < GAN_INDEX_MAX_BYTES ? gan_fail(GAN_ERR_NOMEM, "%s: out of memory", path)
                     : gan_fail(GAN_ERR_FORMAT, "%s: larger than %zu bytes, too big for an index",
                                path, GAN_INDEX_MAX_BYTES);
                break;
            }
            text = t, cap *= 2;
        }
        size_t r = fread(text + len, 1, cap - len, f);
        len += r;
        if (r == 0) {
            if (ferror(f)) st = gan_fail(GAN_ERR_IO, "%s: read failed: %s", path, strerror(errno));
            break;
        }
    }
    fclose(f);
    if (st == GAN_OK) st = gan_index_parse(path, text, len, out);
    free(text);
    return st;
}

/* ------------------------------------------------------------------ label sets */

void gan_tag_sets_free(gan_tag_sets *t) {
    if (!t) return;
    for (int i = 0; i < t->k; i++) free(t->vocab[i]);
    free(t->vocab);
    free(t->hot);
    memset(t, 0, sizeof *t);
}

static int cmp_str(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Calls fn(tag, length, ud) for each trimmed tag of value; returns the first non-OK. */
typedef gan_status (*tag_fn)(const char *tag, size_t len, void *ud);
static gan_status each_tag(const char *name, int line, const char *value, tag_fn fn, void *ud) {
    if (!*value) return GAN_OK;
    for (const char *p = value;; p++) {
        const char *q = p;
        while (*q && *q != ',') q++;
        const char *a = p, *b = q;
        while (a < b && *a == ' ') a++;
        while (b > a && b[-1] == ' ') b--;
        if (a == b) return gan_fail(GAN_ERR_FORMAT, "%s:%d: empty tag in \"%s\"", name, line, value);
        if (memchr(a, '\t', (size_t)(b - a)))
            return gan_fail(GAN_ERR_FORMAT, "%s:%d: a tab inside the tag list", name, line);
        gan_status st = fn(a, (size_t)(b - a), ud);
        if (st) return st;
        if (!*q) return GAN_OK;
        p = q;
    }
}

static gan_status collect_tag(const char *tag, size_t len, void *ud) {
    gan_name_list *l = ud;
    char *s = malloc(len + 1);
    if (s) memcpy(s, tag, len), s[len] = '\0';
    return gan_name_list_push(l, s) ? GAN_OK : gan_fail(GAN_ERR_NOMEM, "out of memory collecting tags");
}

typedef struct {
    gan_tag_sets *t;
    float *row;
} mark_ctx;

/* strcmp of the NUL-terminated a against the len bytes at b (which hold no NUL). */
static int cmp_len(const char *a, const char *b, size_t len) {
    int c = strncmp(a, b, len);
    return c ? c : (a[len] != '\0');
}

static gan_status mark_tag(const char *tag, size_t len, void *ud) {
    mark_ctx *m = ud;
    int lo = 0, hi = m->t->k - 1;
    while (lo <= hi) {                 /* binary search of the sorted vocabulary */
        int mid = lo + (hi - lo) / 2, c = cmp_len(m->t->vocab[mid], tag, len);
        if (c == 0) {
            m->row[mid] = 1.0f;
            return GAN_OK;
        }
        if (c < 0) lo = mid + 1;
        else hi = mid - 1;
    }
    GAN_ASSERT_MSG(0, "a tag seen while collecting is missing from the vocabulary");
    return GAN_OK;
}

gan_status gan_tag_sets_build(const char *name, const gan_index *ix, gan_tag_sets *out) {
    memset(out, 0, sizeof *out);
    gan_name_list all = {0};
    gan_status st = GAN_OK;
    for (size_t i = 0; i < ix->n && st == GAN_OK; i++)
        st = each_tag(name, ix->e[i].line, ix->e[i].value, collect_tag, &all);
    if (st == GAN_OK && all.n == 0)
        st = gan_fail(GAN_ERR_FORMAT, "%s: no tags on any line", name);
    if (st) {
        gan_name_list_free(&all);
        return st;
    }
    /* sort, then keep the first of each run of equal tags */
    qsort(all.v, all.n, sizeof *all.v, cmp_str);
    size_t k = 0;
    for (size_t i = 0; i < all.n; i++) {
        if (k && !strcmp(all.v[k - 1], all.v[i])) free(all.v[i]);
        else all.v[k++] = all.v[i];
    }
    all.n = k;
    if (k > (1u << 24))
        st = gan_fail(GAN_ERR_FORMAT, "%s: %zu distinct tags, more than 2^24", name, k);
    float *hot = st ? NULL : calloc(ix->n * k, sizeof *hot);
    if (!st && !hot) st = gan_fail(GAN_ERR_NOMEM, "%s: out of memory for %zu x %zu label sets",
                                   name, ix->n, k);
    if (st) {
        gan_name_list_free(&all);
        return st;
    }
    out->vocab = all.v, out->k = (int)k, out->hot = hot, out->n = ix->n;
    for (size_t i = 0; i < ix->n; i++) {
        mark_ctx m = {out, hot + i * k};
        each_tag(name, ix->e[i].line, ix->e[i].value, mark_tag, &m);
    }
    return GAN_OK;
}

gan_status gan_index_check_paths(const char *name, const gan_index *ix) {
    for (size_t i = 0; i < ix->n; i++) {
        const char *v = ix->e[i].value;
        if (!*v) return gan_fail(GAN_ERR_FORMAT, "%s:%d: empty path after the tab", name, ix->e[i].line);
        if (strchr(v, '\t'))
            return gan_fail(GAN_ERR_FORMAT, "%s:%d: a second tab: expected FILE<TAB>PATH", name,
                            ix->e[i].line);
    }
    return GAN_OK;
}

char *gan_index_resolve(const char *index_path, const char *file) {
    if (file[0] == '/') return gan_strdup(file);
    const char *slash = strrchr(index_path, '/');
    if (!slash) return gan_strdup(file);
    size_t d = (size_t)(slash - index_path) + 1, f = strlen(file);
    char *p = malloc(d + f + 1);
    if (!p) return NULL;
    memcpy(p, index_path, d);
    memcpy(p + d, file, f + 1);
    return p;
}
