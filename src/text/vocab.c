/* vocab.c — character and word vocabularies: building from texts, token lookup, encoding
 * into padded integer tensors and decoding back. The rules (what a word is, id order) are in
 * gan.h; the file format is vocab_file.c. */
#include "text/vocab_internal.h"
#include "text/utf8.h"
#include <stdlib.h>
#include <string.h>

static const char *const specials[4] = {"<pad>", "<unk>", "<bos>", "<eos>"};

static uint64_t hash_bytes(const char *s, size_t n) {
    uint64_t h = 1469598103934665603ull;          /* FNV-1a */
    for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
    return h;
}

int gan_vocab_find(const gan_vocab *v, const char *tok, size_t len) {
    size_t mask = (size_t)v->n_slots - 1;
    for (size_t i = hash_bytes(tok, len) & mask;; i = (i + 1) & mask) {
        int id = v->slot[i];
        if (id < 0) return -1;
        if (strlen(v->tok[id]) == len && !memcmp(v->tok[id], tok, len)) return id;
    }
}

static int grow_slots(gan_vocab *v) {
    int ns = v->n_slots ? v->n_slots * 2 : 64;
    int *slot = malloc((size_t)ns * sizeof *slot);
    if (!slot) return 0;
    memset(slot, 0xff, (size_t)ns * sizeof *slot);        /* all -1 */
    for (int id = 0; id < v->n; id++) {
        size_t mask = (size_t)ns - 1, i = hash_bytes(v->tok[id], strlen(v->tok[id])) & mask;
        while (slot[i] >= 0) i = (i + 1) & mask;
        slot[i] = id;
    }
    free(v->slot);
    v->slot = slot;
    v->n_slots = ns;
    return 1;
}

int gan_vocab_add(gan_vocab *v, const char *tok, size_t len) {
    if (gan_vocab_find(v, tok, len) >= 0) return -2;
    /* keep the table at most half full, so probes stay short and always end */
    if (2 * (v->n + 1) > v->n_slots && !grow_slots(v)) return -1;
    if (v->n == v->cap) {
        int cap = v->cap ? v->cap * 2 : 16;
        char **t = realloc(v->tok, (size_t)cap * sizeof *t);
        if (!t) return -1;
        v->tok = t;
        v->cap = cap;
    }
    char *copy = malloc(len + 1);
    if (!copy) return -1;
    memcpy(copy, tok, len);
    copy[len] = 0;
    int id = v->n++;
    v->tok[id] = copy;
    size_t mask = (size_t)v->n_slots - 1, i = hash_bytes(tok, len) & mask;
    while (v->slot[i] >= 0) i = (i + 1) & mask;
    v->slot[i] = id;
    return id;
}

gan_vocab *gan_vocab_alloc(gan_vocab_kind kind, int bos_eos) {
    gan_vocab *v = calloc(1, sizeof *v);
    if (!v) return NULL;
    v->kind = kind;
    v->bos_eos = bos_eos ? 1 : 0;
    if (!grow_slots(v)) {
        free(v);
        return NULL;
    }
    for (int i = 0; i < (bos_eos ? 4 : 2); i++)
        if (gan_vocab_add(v, specials[i], strlen(specials[i])) != i) {
            gan_vocab_free(v);
            return NULL;
        }
    return v;
}

void gan_vocab_free(gan_vocab *v) {
    if (!v) return;
    for (int i = 0; i < v->n; i++) free(v->tok[i]);
    free(v->tok);
    free(v->slot);
    free(v);
}

int gan_vocab_size(const gan_vocab *v) { return v->n; }
gan_vocab_kind gan_vocab_get_kind(const gan_vocab *v) { return v->kind; }
int gan_vocab_has_bos_eos(const gan_vocab *v) { return v->bos_eos; }
const char *gan_vocab_token(const gan_vocab *v, int id) {
    return id >= 0 && id < v->n ? v->tok[id] : NULL;
}
int gan_vocab_id(const gan_vocab *v, const char *token) {
    int id = gan_vocab_find(v, token, strlen(token));
    return id < 0 ? GAN_VOCAB_UNK : id;
}

/* ---- splitting text into tokens */

static int is_space_cp(uint32_t c) {
    return c == ' ' || (c >= 0x09 && c <= 0x0D) || c == 0x85 || c == 0xA0 || c == 0x1680 ||
           (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F ||
           c == 0x205F || c == 0x3000;
}
static int is_ascii_punct(uint32_t c) {
    return (c >= 0x21 && c <= 0x2F) || (c >= 0x3A && c <= 0x40) || (c >= 0x5B && c <= 0x60) ||
           (c >= 0x7B && c <= 0x7E);
}

int gan_vocab_each_token(gan_vocab_kind kind, const char *text, gan_token_fn fn, void *ud,
                         size_t *bad) {
    size_t n = strlen(text), pos = 0, start = 0, len = 0, cap = 0;
    char *buf = NULL;
    uint32_t cp;
    int r = 0, out = 0;
    while (out == 0 && (r = gan_utf8_next(text, n, &pos, &cp)) > 0) {
        if (kind == GAN_VOCAB_CHAR) {
            out = fn(ud, text + start, pos - start);
            start = pos;
            continue;
        }
        int sep = is_space_cp(cp) || is_ascii_punct(cp);
        if (sep && len) out = fn(ud, buf, len), len = 0;
        if (out == 0 && is_ascii_punct(cp)) out = fn(ud, text + start, 1);
        if (!sep) {
            if (len + 4 > cap) {
                char *b = realloc(buf, cap = cap * 2 + 64);
                if (!b) out = -2;
                else buf = b;
            }
            if (out == 0) {
                if (cp >= 'A' && cp <= 'Z') buf[len++] = (char)(cp - 'A' + 'a');
                else memcpy(buf + len, text + start, pos - start), len += pos - start;
            }
        }
        start = pos;
    }
    if (out == 0 && r < 0) *bad = pos, out = -1;
    if (out == 0 && len) out = fn(ud, buf, len);
    free(buf);
    return out;
}

/* ---- building: count tokens in a scratch vocabulary, then order them */

typedef struct { gan_vocab *seen; int64_t *count; int cap; } counter;

static int count_token(void *ud, const char *tok, size_t len) {
    counter *c = ud;
    int id = gan_vocab_find(c->seen, tok, len);
    if (id < 0) {
        id = gan_vocab_add(c->seen, tok, len);
        if (id < 0) return -2;
        if (id >= c->cap) {
            int cap = c->cap * 2 + 64;
            int64_t *k = realloc(c->count, (size_t)cap * sizeof *k);
            if (!k) return -2;
            memset(k + c->cap, 0, (size_t)(cap - c->cap) * sizeof *k);
            c->count = k;
            c->cap = cap;
        }
    }
    c->count[id]++;
    return 0;
}

static int by_count_then_bytes(const void *a, const void *b, void *ud) {
    const counter *c = ud;
    int i = *(const int *)a, j = *(const int *)b;
    if (c->count[i] != c->count[j]) return c->count[i] > c->count[j] ? -1 : 1;
    return strcmp(c->seen->tok[i], c->seen->tok[j]);
}

gan_status gan_vocab_text_error(int r, int i, size_t bad) {
    if (r == -2) return gan_fail(GAN_ERR_NOMEM, "vocabulary: out of memory");
    return gan_fail(GAN_ERR_ARG, "text %d: invalid UTF-8 at byte %zu", i, bad);
}

gan_status gan_vocab_build(const char *const *texts, int n, const gan_vocab_opts *opts,
                           gan_vocab **out) {
    *out = NULL;
    if (n < 0 || (n > 0 && !texts) || !opts)
        return gan_fail(GAN_ERR_ARG, "vocabulary: need n >= 0 texts and options");
    if (opts->kind != GAN_VOCAB_CHAR && opts->kind != GAN_VOCAB_WORD)
        return gan_fail(GAN_ERR_ARG, "vocabulary: unknown kind %d", (int)opts->kind);
    counter c = {gan_vocab_alloc(opts->kind, 0), NULL, 0};
    gan_vocab *v = gan_vocab_alloc(opts->kind, opts->bos_eos);
    int *order = NULL;
    gan_status st = GAN_OK;
    if (!c.seen || !v) st = gan_fail(GAN_ERR_NOMEM, "vocabulary: out of memory");
    for (int i = 0; st == GAN_OK && i < n; i++) {
        size_t bad = 0;
        int r = texts[i] ? gan_vocab_each_token(opts->kind, texts[i], count_token, &c, &bad) : 0;
        if (r) st = gan_vocab_text_error(r, i, bad);
    }
    /* the scratch vocabulary's ids 0, 1 are its own specials: the texts' tokens start at 2
     * (a text may contain "<pad>" literally as characters, never as one char token) */
    int first = 2, m = c.seen ? c.seen->n - first : 0;
    if (st == GAN_OK && m > 0 && !(order = malloc((size_t)m * sizeof *order)))
        st = gan_fail(GAN_ERR_NOMEM, "vocabulary: out of memory");
    if (st == GAN_OK && m > 0) {
        for (int i = 0; i < m; i++) order[i] = first + i;
        qsort_r(order, (size_t)m, sizeof *order, by_count_then_bytes, &c);
    }
    for (int i = 0; st == GAN_OK && i < m; i++) {
        if (c.count[order[i]] < opts->min_count) break;
        const char *t = c.seen->tok[order[i]];
        /* a word "<unk>" cannot arise (punctuation splits it); skip specials defensively */
        if (gan_vocab_add(v, t, strlen(t)) == -1)
            st = gan_fail(GAN_ERR_NOMEM, "vocabulary: out of memory");
    }
    free(order);
    free(c.count);
    gan_vocab_free(c.seen);
    if (st != GAN_OK) {
        gan_vocab_free(v);
        return st;
    }
    *out = v;
    return GAN_OK;
}
