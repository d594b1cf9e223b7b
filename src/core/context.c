/* context.c — the per-step arena (tensors and tape nodes) and the grad/training flags.
 *
 * The arena is a chain of blocks. reset() rewinds it; if the last step needed more than one
 * block, reset() replaces the chain by one block of the total size, so from the second
 * identical step on a training loop performs no malloc at all. */
#include "internal.h"
#include <stdlib.h>

#define ARENA_DEFAULT (64u << 20)
#define ARENA_ALIGN 64

typedef struct block {
    struct block *next;
    size_t cap, used;
    unsigned char *mem;
} block;

struct gan_ctx {
    block *first, *cur;
    size_t peak;
    int grad_enabled;
    int training;
    uint32_t visit;
};

static block *block_new(size_t cap) {
    block *b = gan_malloc(sizeof *b);
    b->next = NULL;
    b->cap = cap;
    b->used = 0;
    b->mem = gan_malloc(cap);
    return b;
}

gan_ctx *gan_ctx_new(size_t arena_bytes) {
    gan_ctx *c = gan_calloc(1, sizeof *c);
    c->first = c->cur = block_new(arena_bytes ? arena_bytes : ARENA_DEFAULT);
    c->grad_enabled = 1;
    c->training = 1;
    return c;
}

void gan_ctx_free(gan_ctx *c) {
    if (!c) return;
    for (block *b = c->first, *n; b; b = n) {
        n = b->next;
        gan_free(b->mem);
        gan_free(b);
    }
    gan_free(c);
}

void *gan_ctx_alloc(gan_ctx *c, size_t bytes) {
    bytes = (bytes + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
    for (;;) {
        block *b = c->cur;
        if (b->cap - b->used >= bytes) {
            void *p = b->mem + b->used;
            b->used += bytes;
            return p;
        }
        if (!b->next) {
            size_t cap = b->cap * 2 > bytes ? b->cap * 2 : bytes;
            b->next = block_new(cap);
        }
        c->cur = b->next;
        c->cur->used = 0;
    }
}

size_t gan_ctx_used(const gan_ctx *c) {
    size_t u = 0;
    for (block *b = c->first; b; b = b->next) {
        u += b->used;
        if (b == c->cur) break;
    }
    return u;
}

size_t gan_ctx_capacity(const gan_ctx *c) {
    size_t cap = 0;
    for (block *b = c->first; b; b = b->next) cap += b->cap;
    return cap;
}

void gan_ctx_reset(gan_ctx *c) {
    if (c->first->next) {
        size_t total = gan_ctx_capacity(c);
        for (block *b = c->first, *n; b; b = n) {
            n = b->next;
            gan_free(b->mem);
            gan_free(b);
        }
        c->first = block_new(total);
    }
    c->first->used = 0;
    c->cur = c->first;
}

int gan_ctx_set_grad(gan_ctx *c, int on) {
    int old = c->grad_enabled;
    c->grad_enabled = on;
    return old;
}
int gan_ctx_grad_enabled(const gan_ctx *c) { return c->grad_enabled; }
void gan_ctx_set_training(gan_ctx *c, int t) { c->training = t; }
int gan_ctx_training(const gan_ctx *c) { return c->training; }
uint32_t gan_ctx_next_visit(gan_ctx *c) { return ++c->visit; }
