/* vocab_internal.h — what vocab.c (building, encoding) and vocab_file.c (the file) share. */
#ifndef GAN_TEXT_VOCAB_INTERNAL_H
#define GAN_TEXT_VOCAB_INTERNAL_H
#include "gan.h"

struct gan_vocab {
    gan_vocab_kind kind;
    int bos_eos;
    int n, cap;          /* tokens, including the specials */
    char **tok;          /* tok[id], NUL-terminated, owned */
    int *slot;           /* open-addressing table of ids (-1 empty), n_slots a power of 2 */
    int n_slots;
};

/* An empty vocabulary with its specials; NULL when out of memory. */
gan_vocab *gan_vocab_alloc(gan_vocab_kind kind, int bos_eos);
/* Appends a token (copied); returns its id, -2 if already present, -1 when out of memory. */
int gan_vocab_add(gan_vocab *v, const char *tok, size_t len);
/* Id of the len-byte token, or -1 when absent. */
int gan_vocab_find(const gan_vocab *v, const char *tok, size_t len);

/* Calls fn on every token of text (NUL-terminated), words lower-cased as gan.h says. Returns
 * 0, -1 on invalid UTF-8 (*bad = its byte offset), -2 out of memory, or fn's nonzero result
 * (fn should use -2 for out of memory). */
typedef int (*gan_token_fn)(void *ud, const char *tok, size_t len);
int gan_vocab_each_token(gan_vocab_kind kind, const char *text, gan_token_fn fn, void *ud,
                         size_t *bad);
/* The status for each_token's result r on text i. */
gan_status gan_vocab_text_error(int r, int i, size_t bad);

#endif
