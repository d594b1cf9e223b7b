/* vocab_encode.c — strings -> padded id tensors (B, T) with lengths, and ids -> strings. The
 * tensors are float32 like every tensor here; ids below 2^24 are exact in a float. */
#include "text/vocab_internal.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct { const gan_vocab *v; int *ids; int cap, n; } id_sink;

static int put_id(void *ud, const char *tok, size_t len) {
    id_sink *k = ud;
    int id = gan_vocab_find(k->v, tok, len);
    /* a char text may spell "<pad>"; as characters it is five tokens, never the special */
    if (id < 0 || id < (k->v->bos_eos ? 4 : 2)) id = GAN_VOCAB_UNK;
    if (k->n < k->cap) k->ids[k->n] = id;
    k->n++;
    return 0;
}

int gan_vocab_tokenize(const gan_vocab *v, const char *text, int *ids, int cap) {
    id_sink k = {v, ids, ids ? cap : 0, 0};
    size_t bad = 0;
    int r = gan_vocab_each_token(v->kind, text, put_id, &k, &bad);
    if (r) {
        gan_vocab_text_error(r, 0, bad);
        return -1;
    }
    return k.n;
}

/* The sequence length of one text before cutting: [bos] ids [eos]. */
static int seq_len(const gan_vocab *v, int n_ids) { return n_ids + 2 * v->bos_eos; }

gan_status gan_vocab_encode(const gan_vocab *v, gan_ctx *ctx, const char *const *texts, int n,
                            int max_len, gan_tensor **tokens, gan_tensor **lengths) {
    *tokens = *lengths = NULL;
    if (n < 1 || !texts) return gan_fail(GAN_ERR_ARG, "vocabulary: encode needs n >= 1 texts");
    int longest = 1;          /* T >= 1 even when every text is empty */
    for (int i = 0; i < n; i++) {
        id_sink k = {v, NULL, 0, 0};
        size_t bad = 0;
        int r = gan_vocab_each_token(v->kind, texts[i] ? texts[i] : "", put_id, &k, &bad);
        if (r) return gan_vocab_text_error(r, i, bad);
        if (seq_len(v, k.n) > longest) longest = seq_len(v, k.n);
    }
    int T = max_len > 0 ? max_len : longest;
    if ((int64_t)n * T > (int64_t)1 << 40)
        return gan_fail(GAN_ERR_ARG, "vocabulary: %d x %d tokens is too many", n, T);
    gan_tensor *tok = gan_zeros(ctx, GAN_SHAPE(n, T));     /* zeros = <pad> */
    gan_tensor *len = gan_zeros(ctx, GAN_SHAPE(n));
    int *ids = malloc((size_t)T * sizeof *ids);
    if (!ids) return gan_fail(GAN_ERR_NOMEM, "vocabulary: out of memory");
    for (int i = 0; i < n; i++) {
        float *row = tok->data + (int64_t)i * T;
        int t = 0;
        if (v->bos_eos) row[t++] = GAN_VOCAB_BOS;
        id_sink k = {v, ids, T - t, 0};
        size_t bad = 0;
        gan_vocab_each_token(v->kind, texts[i] ? texts[i] : "", put_id, &k, &bad);
        for (int j = 0; j < k.n && t < T; j++) row[t++] = (float)ids[j];
        if (v->bos_eos && t < T) row[t++] = GAN_VOCAB_EOS;
        len->data[i] = (float)t;
    }
    free(ids);
    *tokens = tok;
    *lengths = len;
    return GAN_OK;
}

typedef struct { char *s; size_t n, cap; } strbuf;

static int sb_put(strbuf *b, const char *s, size_t n) {
    if (b->n + n + 1 > b->cap) {
        size_t cap = (b->n + n + 1) * 2;
        char *p = realloc(b->s, cap);
        if (!p) return 0;
        b->s = p;
        b->cap = cap;
    }
    memcpy(b->s + b->n, s, n);
    b->n += n;
    b->s[b->n] = 0;
    return 1;
}

gan_status gan_vocab_decode(const gan_vocab *v, const float *ids, int len, char **out) {
    *out = NULL;
    strbuf b = {NULL, 0, 0};
    int ok = sb_put(&b, "", 0), words = 0;
    for (int i = 0; ok && i < len; i++) {
        float f = ids[i];
        if (!(f >= 0 && f < (float)v->n && f == floorf(f))) {
            free(b.s);
            return gan_fail(GAN_ERR_ARG, "vocabulary: id %g at position %d is not an integer "
                            "in [0, %d)", (double)f, i, v->n);
        }
        int id = (int)f;
        if (id == GAN_VOCAB_PAD || (v->bos_eos && id == GAN_VOCAB_EOS)) break;
        if (v->bos_eos && id == GAN_VOCAB_BOS) continue;
        if (v->kind == GAN_VOCAB_WORD && words++) ok = sb_put(&b, " ", 1);
        if (ok) ok = sb_put(&b, v->tok[id], strlen(v->tok[id]));
    }
    if (!ok) {
        free(b.s);
        return gan_fail(GAN_ERR_NOMEM, "vocabulary: out of memory decoding %d ids", len);
    }
    *out = b.s;
    return GAN_OK;
}
