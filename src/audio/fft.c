/* fft.c — FFTW plans, made once per size behind a lock. */
#include "audio/audio_internal.h"
#include <fftw3.h>
#include <pthread.h>

struct gan_fft {
    int n;
    fftwf_plan r2c, c2r;
};

#define MAX_SIZES 32    /* distinct FFT sizes a process uses: a handful in practice */
static gan_fft plans[MAX_SIZES];
static int n_plans;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static int make(gan_fft *p, int n) {
    float *in = fftwf_malloc(sizeof(float) * (size_t)(n + 2));
    fftwf_complex *out = fftwf_malloc(sizeof(fftwf_complex) * (size_t)(n / 2 + 1));
    unsigned flags = FFTW_ESTIMATE | FFTW_UNALIGNED;
    if (in && out) {
        p->r2c = fftwf_plan_dft_r2c_1d(n, in, out, flags);
        p->c2r = fftwf_plan_dft_c2r_1d(n, out, in, flags | FFTW_DESTROY_INPUT);
    }
    fftwf_free(in);
    fftwf_free(out);
    p->n = n;
    return p->r2c && p->c2r;
}

const gan_fft *gan_fft_get(int n) {
    const gan_fft *found = NULL;
    pthread_mutex_lock(&lock);
    for (int i = 0; i < n_plans && !found; i++)
        if (plans[i].n == n) found = &plans[i];
    if (!found && n_plans < MAX_SIZES && n > 0 && make(&plans[n_plans], n)) found = &plans[n_plans++];
    pthread_mutex_unlock(&lock);
    return found;
}

void gan_fft_r2c(const gan_fft *p, float *in, float *out) {
    fftwf_execute_dft_r2c(p->r2c, in, (fftwf_complex *)out);
}

void gan_fft_c2r(const gan_fft *p, float *in, float *out) {
    fftwf_execute_dft_c2r(p->c2r, (fftwf_complex *)in, out);
}
