/* texts.c — the text list of `gan data speech`: one UTF-8 text per line. The whole file is
 * checked before anything is returned, so a bad line refuses the file, not half of it. */
#include "io/io_internal.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#define MAX_LINE 4096

void gan_text_lines_free(gan_text_lines *t) {
    if (!t) return;
    for (int i = 0; i < t->n; i++) free(t->text[i]);
    free(t->text);
    free(t->line);
    memset(t, 0, sizeof *t);
}

static gan_status add(gan_text_lines *t, int *cap, const char *s, size_t len, int line) {
    if (t->n == *cap) {
        int c = *cap ? 2 * *cap : 64;
        char **nt = realloc(t->text, sizeof *nt * (size_t)c);
        if (nt) t->text = nt;
        int *nl = nt ? realloc(t->line, sizeof *nl * (size_t)c) : NULL;
        if (!nl) return gan_fail(GAN_ERR_NOMEM, "out of memory");
        t->line = nl;
        *cap = c;
    }
    char *copy = malloc(len + 1);
    if (!copy) return gan_fail(GAN_ERR_NOMEM, "out of memory");
    memcpy(copy, s, len);
    copy[len] = 0;
    t->text[t->n] = copy;
    t->line[t->n++] = line;
    return GAN_OK;
}

/* One line (no '\n'; a trailing '\r' already cut): checks it and keeps it unless skipped. */
static gan_status take(gan_text_lines *t, int *cap, const char *name, int ln, const char *s,
                       size_t len) {
    if (len > MAX_LINE)
        return gan_fail(GAN_ERR_FORMAT, "%s:%d: line of %zu bytes (at most %d)", name, ln, len, MAX_LINE);
    if (memchr(s, 0, len)) return gan_fail(GAN_ERR_FORMAT, "%s:%d: NUL byte in the line", name, ln);
    char buf[MAX_LINE + 1];
    memcpy(buf, s, len);
    buf[len] = 0;
    if (!gan_io_utf8_valid(buf)) return gan_fail(GAN_ERR_FORMAT, "%s:%d: invalid UTF-8", name, ln);
    size_t i = 0;
    while (i < len && (buf[i] == ' ' || buf[i] == '\t')) i++;
    if (i == len || buf[i] == '#') return GAN_OK;
    gan_status st = add(t, cap, buf, len, ln);
    return st == GAN_OK ? GAN_OK : gan_fail(st, "%s:%d: %s", name, ln, "out of memory");
}

gan_status gan_text_lines_parse(const char *bytes, size_t n, const char *name, gan_text_lines *out) {
    memset(out, 0, sizeof *out);
    if (!name) name = "(memory)";
    int cap = 0, ln = 0;
    size_t pos = 0;
    while (pos < n) {
        const char *s = bytes + pos, *nl = memchr(s, '\n', n - pos);
        size_t len = nl ? (size_t)(nl - s) : n - pos;
        pos += len + (nl ? 1 : 0);
        if (++ln == INT32_MAX) return gan_text_lines_free(out), gan_fail(GAN_ERR_FORMAT, "%s: too many lines", name);
        if (len && s[len - 1] == '\r') len--;
        gan_status st = take(out, &cap, name, ln, s, len);
        if (st != GAN_OK) {
            gan_text_lines_free(out);
            return st;
        }
    }
    return GAN_OK;
}

gan_status gan_text_lines_read(const char *path, gan_text_lines *out) {
    memset(out, 0, sizeof *out);
    FILE *fp = fopen(path, "rb");
    if (!fp) return gan_fail(GAN_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    size_t cap = 1 << 16, n = 0, got;
    char *buf = malloc(cap);
    while (buf && (got = fread(buf + n, 1, cap - n, fp)) > 0) {
        n += got;
        if (n == cap) {
            char *b2 = realloc(buf, cap * 2);
            if (!b2) free(buf);
            buf = b2;
            cap *= 2;
        }
    }
    int err = ferror(fp);
    fclose(fp);
    if (!buf) return gan_fail(GAN_ERR_NOMEM, "%s: out of memory", path);
    gan_status s = err ? gan_fail(GAN_ERR_IO, "%s: read failed", path)
                       : gan_text_lines_parse(buf, n, path, out);
    free(buf);
    return s;
}
