/* emoji_index.c — the one index of a built emoji set: TSV (one header line, one line per
 * emoji), which cut, awk, Python's csv and pandas all read without a parser of ours. */
#include "emoji/emoji_internal.h"
#include <stdlib.h>
#include <string.h>

typedef struct { char *s; size_t n, cap; int oom; } buf;

static void put(buf *b, const char *s, size_t n) {
    if (b->oom) return;
    if (b->n + n + 1 > b->cap) {
        size_t cap = (b->n + n + 1) * 2;
        char *p = realloc(b->s, cap);
        if (!p) {
            b->oom = 1;
            return;
        }
        b->s = p;
        b->cap = cap;
    }
    memcpy(b->s + b->n, s, n);
    b->n += n;
}

/* A field: tabs, newlines and carriage returns would break the line structure. */
static void field(buf *b, const char *s) {
    size_t start = b->n;
    put(b, s, strlen(s));
    if (b->oom) return;
    for (size_t i = start; i < b->n; i++)
        if (b->s[i] == '\t' || b->s[i] == '\n' || b->s[i] == '\r') b->s[i] = ' ';
}

gan_status gan_emoji_index_write(gan_emoji_set *s, const char *path,
                                 const uint8_t (*have)[GAN_EMOJI_STYLES]) {
    buf b = {0};
    static const char header[] = "codepoint\tname\tgroup\tsubgroup\tkeywords\topenmoji_tags\tstyles\n";
    put(&b, header, sizeof header - 1);
    for (int i = 0; i < gan_emoji_set_count(s); i++) {
        gan_emoji_entry *e = gan_emoji_set_entry(s, i);
        const char *cols[6] = {e->key, e->name, e->group, e->subgroup, e->keywords, e->tags};
        for (int c = 0; c < 6; c++) {
            field(&b, cols[c]);
            put(&b, "\t", 1);
        }
        int k = 0;
        for (int st = 0; st < GAN_EMOJI_STYLES; st++) {
            int in = have ? have[i][st] : e->file[st] != NULL;
            if (!in) continue;
            if (k++) put(&b, ",", 1);
            const char *nm = gan_emoji_style_name((gan_emoji_style)st);
            put(&b, nm, strlen(nm));
        }
        put(&b, "\n", 1);
    }
    if (b.oom) {
        free(b.s);
        return gan_fail(GAN_ERR_NOMEM, "%s: out of memory", path);
    }
    gan_status st = gan_write_file_atomic(path, b.s, b.n);
    free(b.s);
    return st;
}
