/* audio_kernels.h — the loops of STFT, mel features and Griffin-Lim (src/audio): plain float
 * arrays, no tensors. Complex numbers are interleaved (re, im) pairs, as FFTW's. */
#ifndef GAN_AUDIO_KERNELS_H
#define GAN_AUDIO_KERNELS_H
#include <stdint.h>

/* x is (n,), win is (n_fft,), out is (frames, n_fft):
 * out[f][i] = win[i] * x[reflect(f*hop + i - pad)], reflect(j) = -j below 0 and
 * 2(n-1) - j past the end (numpy's "reflect": the edge sample is not repeated); pad < n. */
void gan_cpu_stft_frames(const float *x, int64_t n, int n_fft, int hop, int64_t frames, int pad,
                         const float *win, float *out);
/* c is (n,) complex, out is (n,), not aliasing c: |c|^power (1: magnitude, 2: power; double). */
void gan_cpu_complex_pow(const float *c, int64_t n, float power, float *out);
/* in is (rows, cols) of `width` floats each, out is (cols, rows) of the same elements. */
void gan_cpu_transpose(const float *in, int64_t rows, int64_t cols, int width, float *out);
/* frames is (n_frames, n_fft), win is (n_fft,), out and env are (n_fft + hop*(n_frames-1),),
 * zeroed by the caller: out += win * frame at f*hop, env += win^2 at f*hop. */
void gan_cpu_overlap_add(const float *frames, int64_t n_frames, int n_fft, int hop,
                         const float *win, float *out, float *env);
/* c is (n,) complex, mag is (n,): c = mag * c / (|c| + 1e-16) (torchaudio's phase step). */
void gan_cpu_apply_phase(float *c, const float *mag, int64_t n);
/* c and prev are (n,) complex: c -= prev * momentum / (1 + momentum) (torchaudio's "fast"
 * Griffin-Lim), then prev = the c it was given. */
void gan_cpu_phase_momentum(float *c, float *prev, int64_t n, float momentum);
/* x, out are (n,): out = log(max(x, eps)). */
void gan_cpu_log_clamp(const float *x, int64_t n, float eps, float *out);
/* x, out are (n,): out = mult * log10(max(x, amin)) - mult * log10(max(ref, amin)), then
 * floored at max(out) - top_db when top_db > 0 (librosa's power_to_db / amplitude_to_db). */
void gan_cpu_to_db(const float *x, int64_t n, float mult, float amin, float ref, float top_db,
                   float *out);
#endif
