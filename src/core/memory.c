/* memory.c — every heap allocation of libgan, counted (tests assert a training step
 * allocates nothing once warm). */
#include "gan.h"
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

static atomic_uint_fast64_t n_allocs;

static void *aligned(size_t align, size_t n) {
    atomic_fetch_add(&n_allocs, 1);
    void *p = NULL;
    if (posix_memalign(&p, align, n ? n : align) != 0) {
        fprintf(stderr, "gan: out of memory allocating %zu bytes\n", n);
        abort();
    }
    return p;
}

/* 64-byte alignment: AVX-512 loads and whole cache lines */
void *gan_malloc(size_t n) { return aligned(64, n); }

void *gan_calloc(size_t n, size_t sz) {
    void *p = gan_malloc(n * sz);
    memset(p, 0, n * sz);
    return p;
}

/* Buffers that are touched whole on every step (a net's weights, grads, Adam m and v) go on 2 MiB
 * pages where the kernel allows it (transparent huge pages in "madvise" mode, Debian's default):
 * Adam streams through all four and the GEMMs read the weights in panels of six rows, each row
 * on a page of its own with 4 KiB pages. Whole use means no memory is wasted; the MLP bench step
 * measured ~3% faster (bench/NOTES.md). Freed with gan_free. */
void *gan_calloc_huge(size_t n, size_t sz) {
    const size_t huge = (size_t)2 << 20, bytes = n * sz;
    if (bytes < huge) return gan_calloc(n, sz);
    void *p = aligned(huge, bytes);
    (void)madvise(p, bytes / huge * huge, MADV_HUGEPAGE);  /* advice only: may be refused */
    memset(p, 0, bytes);
    return p;
}

void gan_free(void *p) { free(p); }

uint64_t gan_alloc_count(void) { return atomic_load(&n_allocs); }
