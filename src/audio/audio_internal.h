/* audio_internal.h — what the files of src/audio share: cached FFTW plans and windows. */
#ifndef GAN_AUDIO_INTERNAL_H
#define GAN_AUDIO_INTERNAL_H
#include "gan.h"

/* Real FFTs of size n (float, FFTW3f). The plans are made once per size and kept for the
 * process; making them is serialised by a lock (FFTW's planner is not thread-safe), running
 * them is not (FFTW's new-array execute is). Plans are FFTW_ESTIMATE | FFTW_UNALIGNED: the
 * same algorithm on every run (FFTW_MEASURE picks by timing, so its bits could change from
 * run to run) and any float buffer may be passed. NULL when FFTW cannot plan that size. */
typedef struct gan_fft gan_fft;
const gan_fft *gan_fft_get(int n);
/* in (n,) real -> out (n/2 + 1,) complex, interleaved. */
void gan_fft_r2c(const gan_fft *p, float *in, float *out);
/* in (n/2 + 1,) complex -> out (n,) real, unnormalised (n times the inverse); in is destroyed. */
void gan_fft_c2r(const gan_fft *p, float *in, float *out);

/* The window of o (n_fft floats, win_length centred, zeros around it) into w. */
void gan_stft_window(const gan_stft_opts *o, float *w);
/* GAN_OK or GAN_ERR_ARG naming the bad setting of o ("stft: hop 0 (must be > 0)"). */
gan_status gan_stft_check(const gan_stft_opts *o);
#endif
