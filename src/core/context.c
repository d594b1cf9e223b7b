/* context.c — the per-step arena (tensors and tape nodes) and the grad/training flags.
 *
 * The arena is a chain of blocks. reset() rewinds it; if the last step needed more than one
 * block, reset() replaces the chain by one block of the total size, so from the second
 * identical step on a training loop performs no malloc at all.
 *
 * Large buffers whose owner knows they are dead (the tape's consumed gradients, a no-graph
 * forward's intermediates) can be handed back with gan_ctx_release, for later allocations to
 * reuse. A block is filled from both ends: small allocations (tensor headers, nodes, scalars)
 * from the bottom, large ones (>= RECYCLE_MIN, the tensor data that matters) from the top down,
 * so large buffers sit next to each other and freed neighbours can merge. That matters because
 * a backward pass walks the layers from small maps to large ones: two freed 2 MB gradients
 * must become the 4 MB the next layer asks for. Freed buffers go on a list kept inside the
 * freed memory, in address order, neighbours merged. A large allocation takes the smallest
 * free chunk that fits (its tail stays free); failing that, a free chunk at the top region's
 * frontier grows downwards by the missing bytes. Neither end ever moves back before reset, so
 * gan_ctx_used is the high-water mark. Reuse follows the program's order, so it is as
 * deterministic as everything else. */
#include "internal.h"
#include <stdlib.h>
#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#define POISON(p, n) ASAN_POISON_MEMORY_REGION((p), (n))
#define UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION((p), (n))
#else
#define POISON(p, n) ((void)(p), (void)(n))
#define UNPOISON(p, n) ((void)(p), (void)(n))
#endif

#define ARENA_DEFAULT (64u << 20)
#define ARENA_ALIGN 64
/* Large allocations: from the top of a block, and recyclable. Smaller ones are not worth a
 * search of the free list, which stays a few dozen entries long. */
#define RECYCLE_MIN (64u << 10)

typedef struct block {
    struct block *next;
    size_t cap;          /* a multiple of ARENA_ALIGN */
    size_t used, hi;     /* bytes taken from the bottom / from the top */
    unsigned char *mem;
} block;

/* A released buffer, written over its own first bytes (ASan builds poison the rest, so a
 * read of a released buffer is reported). */
typedef struct free_chunk {
    struct free_chunk *next;
    size_t bytes;
} free_chunk;

struct gan_ctx {
    block *first, *cur;
    free_chunk *free_list;       /* released buffers, in address order, neighbours merged */
    int grad_enabled;
    int training;
    uint32_t visit;
    int recycling;               /* inside gan_backward's rule loop: see gan_grad_consumable */
    /* large allocations since gan_ctx_scratch_begin (a rule's temporaries), while on */
    int scratch_on, scratch_n;
    void *scratch_p[GAN_SCRATCH_MAX];
    size_t scratch_b[GAN_SCRATCH_MAX];
};

static block *block_new(size_t cap) {
    block *b = gan_malloc(sizeof *b);
    b->next = NULL;
    b->cap = (cap + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
    b->used = b->hi = 0;
    b->mem = gan_malloc(b->cap);
    return b;
}

static void block_free(block *b) {
    UNPOISON(b->mem, b->cap);
    gan_free(b->mem);
    gan_free(b);
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
        block_free(b);
    }
    gan_free(c);
}

static unsigned char *frontier(const block *b) { return b->mem + b->cap - b->hi; }

/* Takes `bytes` (rounded, >= RECYCLE_MIN) from the free list, or returns NULL. */
static void *take_free(gan_ctx *c, size_t bytes) {
    free_chunk **best = NULL, **low = NULL;
    block *b = c->cur;
    for (free_chunk **pp = &c->free_list; *pp; pp = &(*pp)->next) {
        free_chunk *f = *pp;
        if (f->bytes >= bytes && (!best || f->bytes < (*best)->bytes)) best = pp;
        if ((unsigned char *)f == frontier(b)) low = pp;
    }
    if (best) {
        free_chunk *f = *best;
        if (f->bytes > bytes) {   /* the tail stays free, in the same place in the list */
            free_chunk *rest = (free_chunk *)((unsigned char *)f + bytes);
            UNPOISON(rest, sizeof *rest);
            rest->bytes = f->bytes - bytes;
            rest->next = f->next;
            *best = rest;
        } else {
            *best = f->next;
        }
        UNPOISON(f, bytes);
        return f;
    }
    /* the free chunk at the frontier grows downwards by what it lacks */
    if (low && b->cap - b->used - b->hi >= bytes - (*low)->bytes) {
        free_chunk *f = *low;
        *low = f->next;
        b->hi += bytes - f->bytes;
        UNPOISON(frontier(b), bytes);
        return frontier(b);
    }
    return NULL;
}

/* Lists a large allocation for gan_ctx_scratch_end (beyond the list's room it is simply not
 * listed, and so never released: always safe). */
static void *note(gan_ctx *c, void *p, size_t bytes) {
    if (c->scratch_on && c->scratch_n < GAN_SCRATCH_MAX) {
        c->scratch_p[c->scratch_n] = p;
        c->scratch_b[c->scratch_n++] = bytes;
    }
    return p;
}

void *gan_ctx_alloc(gan_ctx *c, size_t bytes) {
    bytes = (bytes + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
    int large = bytes >= RECYCLE_MIN;
    if (large && c->free_list) {
        void *p = take_free(c, bytes);
        if (p) return note(c, p, bytes);
    }
    for (;;) {
        block *b = c->cur;
        if (b->cap - b->used - b->hi >= bytes) {
            if (large) {
                b->hi += bytes;
                return note(c, frontier(b), bytes);
            }
            void *p = b->mem + b->used;
            b->used += bytes;
            return p;
        }
        if (!b->next) {
            size_t cap = b->cap * 2 > bytes ? b->cap * 2 : bytes;
            b->next = block_new(cap);
        }
        c->cur = b->next;
        c->cur->used = c->cur->hi = 0;
    }
}

/* Chunks merge only when they touch; two blocks never do (each is its own malloc, whose
 * header sits between them). */
void gan_ctx_release(gan_ctx *c, void *p, size_t bytes) {
    bytes = (bytes + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
    if (!p || bytes < RECYCLE_MIN) return;
    unsigned char *u = p;
    free_chunk **pp = &c->free_list, *prev = NULL;
    while (*pp && (unsigned char *)*pp < u) {
        prev = *pp;
        pp = &(*pp)->next;
    }
    free_chunk *next = *pp;
    GAN_ASSERT_MSG(!next || u + bytes <= (unsigned char *)next, "arena: buffer released twice");
    GAN_ASSERT_MSG(!prev || (unsigned char *)prev + prev->bytes <= u, "arena: buffer released twice");
    free_chunk *f;
    if (prev && (unsigned char *)prev + prev->bytes == u) {
        f = prev;
        f->bytes += bytes;
    } else {
        f = (free_chunk *)u;
        f->bytes = bytes;
        f->next = next;
        *pp = f;
    }
    if (next && (unsigned char *)f + f->bytes == (unsigned char *)next) {
        f->bytes += next->bytes;
        f->next = next->next;
    }
    POISON((unsigned char *)f + sizeof *f, f->bytes - sizeof *f);
}

size_t gan_ctx_used(const gan_ctx *c) {
    size_t u = 0;
    for (block *b = c->first; b; b = b->next) {
        u += b->used + b->hi;
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
            block_free(b);
        }
        c->first = block_new(total);
    }
    c->first->used = c->first->hi = 0;
    c->cur = c->first;
    c->free_list = NULL;
    UNPOISON(c->first->mem, c->first->cap);
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
void gan_ctx_set_recycling(gan_ctx *c, int on) { c->recycling = on; }
void gan_ctx_scratch_begin(gan_ctx *c) {
    c->scratch_on = 1;
    c->scratch_n = 0;
}
int gan_ctx_scratch_end(gan_ctx *c, void ***ptrs, size_t **bytes) {
    c->scratch_on = 0;
    *ptrs = c->scratch_p;
    *bytes = c->scratch_b;
    return c->scratch_n;
}
int gan_grad_consumable(const gan_ctx *c, const gan_tensor *g) {
    return c->recycling && !g->acc_shared;
}
float *gan_grad_sink(gan_ctx *c, gan_tensor *t) {
    return c->recycling && !t->node && t->grad && !t->acc ? t->grad : NULL;
}
