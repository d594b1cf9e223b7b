/* threads.c — one knob for OpenMP and OpenBLAS threads. */
#include "gan.h"
#include <omp.h>

void openblas_set_num_threads(int n); /* from OpenBLAS; declared here to avoid cblas.h */

static int n_threads;

void gan_set_threads(int n) {
    if (n <= 0) n = omp_get_num_procs();
    n_threads = n;
    omp_set_num_threads(n);
    openblas_set_num_threads(n);
}

int gan_get_threads(void) { return n_threads ? n_threads : omp_get_max_threads(); }
