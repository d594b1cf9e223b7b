/* vocab_file.c — the vocabulary file (format in gan.h): one token per line in id order, so
 * the file is readable and diffable, with escapes for the four bytes a line cannot hold. */
#include "text/vocab_internal.h"
#include "text/utf8.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define VOCAB_FILE_MAX ((size_t)64 << 20)

static const char *kind_name(gan_vocab_kind k) { return k == GAN_VOCAB_CHAR ? "char" : "word"; }

/* Appends tok escaped to buf (room for 2 * strlen + 1); returns the new end. */
static char *escape(char *o, const char *tok) {
    for (; *tok; tok++) {
        char e = *tok == '\\' ? '\\' : *tok == '\n' ? 'n' : *tok == '\r' ? 'r' : *tok == '\t' ? 't' : 0;
        if (e) *o++ = '\\', *o++ = e;
        else *o++ = *tok;
    }
    return o;
}

gan_status gan_vocab_save(const gan_vocab *v, const char *path) {
    size_t total = 32;
    for (int i = 0; i < v->n; i++) total += 2 * strlen(v->tok[i]) + 1;
    char *buf = malloc(total), *o = buf;
    if (!buf) return gan_fail(GAN_ERR_NOMEM, "%s: out of memory", path);
    o += sprintf(o, "gan-vocab %s\n", kind_name(v->kind));
    for (int i = 0; i < v->n; i++) {
        o = escape(o, v->tok[i]);
        *o++ = '\n';
    }
    gan_status s = gan_write_file_atomic(path, buf, (size_t)(o - buf));
    free(buf);
    return s;
}

/* Unescapes line (len bytes) in place; returns the new length or -1 for a bad escape. */
static long unescape(char *line, size_t len) {
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        if (line[i] != '\\') {
            line[o++] = line[i];
            continue;
        }
        if (++i == len) return -1;
        char c = line[i];
        line[o++] = c == '\\' ? '\\' : c == 'n' ? '\n' : c == 'r' ? '\r' : c == 't' ? '\t' : 0;
        if (!line[o - 1]) return -1;
    }
    return (long)o;
}

/* Checks one token line (already unescaped) of a vocabulary of `kind`; NULL when fine. */
static const char *token_problem(gan_vocab_kind kind, const char *tok, size_t len, int id,
                                 int bos_eos) {
    static const char *const specials[4] = {"<pad>", "<unk>", "<bos>", "<eos>"};
    if (id < (bos_eos ? 4 : 2))
        return strlen(specials[id]) == len && !memcmp(tok, specials[id], len)
                   ? NULL : "expected a special token here";
    if (len == 0) return "empty token";
    if (memchr(tok, 0, len)) return "NUL byte in a token";
    size_t pos = 0;
    uint32_t cp;
    if (kind == GAN_VOCAB_CHAR && (gan_utf8_next(tok, len, &pos, &cp) != 1 || pos != len))
        return "a character token must be one code point";
    return NULL;
}

gan_status gan_vocab_parse(const char *name, const char *data, size_t n, gan_vocab **out) {
    *out = NULL;
    if (n > VOCAB_FILE_MAX)
        return gan_fail(GAN_ERR_FORMAT, "%s: %zu bytes; a vocabulary file is at most %zu",
                        name, n, VOCAB_FILE_MAX);
    size_t bad;
    const char *nl = memchr(data, '\n', n);
    size_t hl = nl ? (size_t)(nl - data) : n;
    gan_vocab_kind kind;
    if (hl == 14 && !memcmp(data, "gan-vocab char", 14)) kind = GAN_VOCAB_CHAR;
    else if (hl == 14 && !memcmp(data, "gan-vocab word", 14)) kind = GAN_VOCAB_WORD;
    else return gan_fail(GAN_ERR_FORMAT, "%s:1: not a vocabulary (expected \"gan-vocab char\" "
                         "or \"gan-vocab word\")", name);
    /* bos/eos: the file has them when line 4 is "<bos>" (a char token is one code point and a
     * word never holds '<', so no real token looks like it) */
    int bos_eos = 0;
    {
        size_t p = nl ? hl + 1 : n;
        for (int line = 2; line < 4 && p < n; line++) {
            const char *e = memchr(data + p, '\n', n - p);
            p = e ? (size_t)(e - data) + 1 : n;
        }
        bos_eos = n - p >= 5 && !memcmp(data + p, "<bos>", 5) && (n - p == 5 || data[p + 5] == '\n');
    }
    gan_vocab *v = gan_vocab_alloc(kind, bos_eos);
    char *line = malloc(n + 1);
    if (!v || !line) {
        gan_vocab_free(v);
        free(line);
        return gan_fail(GAN_ERR_NOMEM, "%s: out of memory", name);
    }
    gan_status st = GAN_OK;
    int id = 0, lineno = 1;
    for (size_t p = nl ? hl + 1 : n; st == GAN_OK && p < n; id++) {
        lineno++;
        const char *e = memchr(data + p, '\n', n - p);
        size_t len = e ? (size_t)(e - data) - p : n - p;
        memcpy(line, data + p, len);
        p += len + 1;
        if (!gan_utf8_check(line, len, &bad)) {
            st = gan_fail(GAN_ERR_FORMAT, "%s:%d: invalid UTF-8 at byte %zu", name, lineno, bad);
            break;
        }
        long ul = unescape(line, len);
        const char *why = ul < 0 ? "bad escape (only \\\\ \\n \\r \\t)"
                                 : token_problem(kind, line, (size_t)ul, id, bos_eos);
        if (!why && id >= (bos_eos ? 4 : 2)) {
            int r = gan_vocab_add(v, line, (size_t)ul);
            why = r == -2 ? "duplicate token" : NULL;
            if (r == -1) st = gan_fail(GAN_ERR_NOMEM, "%s: out of memory", name);
        }
        if (why) st = gan_fail(GAN_ERR_FORMAT, "%s:%d: %s", name, lineno, why);
    }
    if (st == GAN_OK && id < (bos_eos ? 4 : 2))
        st = gan_fail(GAN_ERR_FORMAT, "%s:%d: file ends before the special tokens", name,
                      lineno);
    free(line);
    if (st != GAN_OK) {
        gan_vocab_free(v);
        return st;
    }
    *out = v;
    return GAN_OK;
}

gan_status gan_vocab_load(const char *path, gan_vocab **out) {
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (!f) return gan_fail(GAN_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    size_t cap = 1 << 16, n = 0, got;
    char *buf = malloc(cap);
    while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n > VOCAB_FILE_MAX) break;
        if (n == cap) {
            char *b = realloc(buf, cap *= 2);
            if (!b) free(buf);
            buf = b;
        }
    }
    int err = ferror(f);
    fclose(f);
    if (!buf) return gan_fail(GAN_ERR_NOMEM, "%s: out of memory", path);
    if (err) {
        free(buf);
        return gan_fail(GAN_ERR_IO, "%s: read error", path);
    }
    gan_status s = gan_vocab_parse(path, buf, n, out);
    free(buf);
    return s;
}
