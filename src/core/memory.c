/* memory.c — every heap allocation of libgan, counted (tests assert a training step
 * allocates nothing once warm). */
#include "gan.h"
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static atomic_uint_fast64_t n_allocs;

void *gan_malloc(size_t n) {
    atomic_fetch_add(&n_allocs, 1);
    void *p = NULL;
    /* 64-byte alignment: AVX-512 loads and whole cache lines */
    if (posix_memalign(&p, 64, n ? n : 64) != 0) {
        fprintf(stderr, "gan: out of memory allocating %zu bytes\n", n);
        abort();
    }
    return p;
}

void *gan_calloc(size_t n, size_t sz) {
    void *p = gan_malloc(n * sz);
    memset(p, 0, n * sz);
    return p;
}

void gan_free(void *p) { free(p); }

uint64_t gan_alloc_count(void) { return atomic_load(&n_allocs); }
