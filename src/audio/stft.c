/* stft.c — short-time Fourier transform and its inverse, as torch.stft / torch.istft (and
 * librosa.stft with pad_mode="reflect"): periodic windows, centred frames, (bins, frames)
 * outputs. Scratch buffers are sized from the caller's input, so they come from malloc and a
 * failure is GAN_ERR_NOMEM, never an abort. */
#include "audio/audio_internal.h"
#include "backend/cpu/audio_kernels.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

gan_stft_opts gan_stft_opts_default(int n_fft) {
    gan_stft_opts o = {n_fft, n_fft / 4, n_fft, GAN_WINDOW_HANN, 1};
    return o;
}

gan_status gan_stft_check(const gan_stft_opts *o) {
    if (o->n_fft < 2 || o->n_fft > (1 << 20))
        return gan_fail(GAN_ERR_ARG, "stft: n_fft %d (must be 2 .. 2^20)", o->n_fft);
    if (o->hop < 1) return gan_fail(GAN_ERR_ARG, "stft: hop %d (must be > 0)", o->hop);
    if (o->win_length < 0 || o->win_length > o->n_fft)
        return gan_fail(GAN_ERR_ARG, "stft: win_length %d (must be 0 .. n_fft = %d)", o->win_length,
                        o->n_fft);
    if (o->window != GAN_WINDOW_HANN && o->window != GAN_WINDOW_HAMMING)
        return gan_fail(GAN_ERR_ARG, "stft: unknown window %d", (int)o->window);
    return GAN_OK;
}

/* Periodic windows (torch.hann_window(N), scipy.signal.get_window('hann', N) with fftbins),
 * centred in n_fft at floor((n_fft - win_length) / 2) as torch.stft and librosa pad them. */
void gan_stft_window(const gan_stft_opts *o, float *w) {
    int wl = o->win_length ? o->win_length : o->n_fft, off = (o->n_fft - wl) / 2;
    double a = o->window == GAN_WINDOW_HAMMING ? 0.54 : 0.5;
    memset(w, 0, sizeof(float) * (size_t)o->n_fft);
    for (int i = 0; i < wl; i++) w[off + i] = (float)(a - (1 - a) * cos(2 * M_PI * i / wl));
}

int64_t gan_stft_frames(const gan_stft_opts *o, int64_t n) {
    if (gan_stft_check(o) != GAN_OK || n < 1) return -1;
    if (o->center) return n > o->n_fft / 2 ? 1 + n / o->hop : -1;
    return n >= o->n_fft ? 1 + (n - o->n_fft) / o->hop : -1;
}

/* Frames of x, windowed, FFT'd: (frames, bins) complex in a new buffer *out (free()). */
static gan_status stft_rows(const float *x, int64_t n, const gan_stft_opts *o, float **out,
                            int64_t *frames) {
    gan_status s = gan_stft_check(o);
    if (s != GAN_OK) return s;
    int64_t nf = gan_stft_frames(o, n);
    if (nf < 0)
        return gan_fail(GAN_ERR_ARG, "stft: %lld samples are too few for n_fft %d%s", (long long)n,
                        o->n_fft, o->center ? " (centred frames need more than n_fft / 2)" : "");
    int nb = o->n_fft / 2 + 1;
    const gan_fft *p = gan_fft_get(o->n_fft);
    float *win = malloc(sizeof(float) * (size_t)o->n_fft);
    float *fr = malloc(sizeof(float) * (size_t)(nf * o->n_fft));
    float *c = malloc(sizeof(float) * 2 * (size_t)(nf * nb));
    if (!p || !win || !fr || !c) {
        free(win), free(fr), free(c);
        return gan_fail(p ? GAN_ERR_NOMEM : GAN_ERR_ARG, "stft: %s for %lld frames of %d",
                        p ? "out of memory" : "no FFT plan", (long long)nf, o->n_fft);
    }
    gan_stft_window(o, win);
    gan_cpu_stft_frames(x, n, o->n_fft, o->hop, nf, o->center ? o->n_fft / 2 : 0, win, fr);
#pragma omp parallel for schedule(static) if (nf >= 64)
    for (int64_t f = 0; f < nf; f++) gan_fft_r2c(p, fr + f * o->n_fft, c + 2 * f * nb);
    free(win);
    free(fr);
    *frames = nf;
    *out = c;
    return GAN_OK;
}

gan_status gan_stft(const float *x, int64_t n, const gan_stft_opts *o, float *out) {
    int64_t nf;
    float *c;
    gan_status s = stft_rows(x, n, o, &c, &nf);
    if (s != GAN_OK) return s;
    gan_cpu_transpose(c, nf, o->n_fft / 2 + 1, 2, out);
    free(c);
    return GAN_OK;
}

gan_status gan_spectrogram(const float *x, int64_t n, const gan_stft_opts *o, float power,
                           float *out) {
    if (!(power > 0)) return gan_fail(GAN_ERR_ARG, "spectrogram: power %g (must be > 0)", power);
    int64_t nf;
    float *c;
    gan_status s = stft_rows(x, n, o, &c, &nf);
    if (s != GAN_OK) return s;
    int64_t nb = o->n_fft / 2 + 1;
    /* not in place: threads would overwrite complex values another has still to read */
    float *p = malloc(sizeof(float) * (size_t)(nf * nb));
    if (!p) {
        free(c);
        return gan_fail(GAN_ERR_NOMEM, "spectrogram: out of memory for %lld frames", (long long)nf);
    }
    gan_cpu_complex_pow(c, nf * nb, power, p);
    gan_cpu_transpose(p, nf, nb, 1, out);
    free(c), free(p);
    return GAN_OK;
}

gan_status gan_istft(const float *spec, int64_t frames, const gan_stft_opts *o, int64_t length,
                     float *out) {
    gan_status s = gan_stft_check(o);
    if (s != GAN_OK) return s;
    if (frames < 1 || length < 0)
        return gan_fail(GAN_ERR_ARG, "istft: %lld frames, length %lld", (long long)frames,
                        (long long)length);
    int nfft = o->n_fft, nb = nfft / 2 + 1;
    int64_t total = nfft + o->hop * (frames - 1);
    const gan_fft *p = gan_fft_get(nfft);
    float *rows = malloc(sizeof(float) * 2 * (size_t)(frames * nb));
    float *fr = malloc(sizeof(float) * (size_t)(frames * nfft));
    float *win = malloc(sizeof(float) * (size_t)nfft);
    float *ola = calloc((size_t)total, sizeof(float)), *env = calloc((size_t)total, sizeof(float));
    if (!p || !rows || !fr || !win || !ola || !env) {
        free(rows), free(fr), free(win), free(ola), free(env);
        return gan_fail(GAN_ERR_NOMEM, "istft: out of memory for %lld frames of %d", (long long)frames, nfft);
    }
    gan_cpu_transpose(spec, nb, frames, 2, rows);
#pragma omp parallel for schedule(static) if (frames >= 64)
    for (int64_t f = 0; f < frames; f++) {
        float *r = rows + 2 * f * nb, *y = fr + f * nfft;
        /* a real signal's DC and Nyquist bins are real: drop what cannot be (as irfft does) */
        r[1] = 0;
        if (nfft % 2 == 0) r[2 * (nb - 1) + 1] = 0;
        gan_fft_c2r(p, r, y);
        for (int i = 0; i < nfft; i++) y[i] /= (float)nfft;
    }
    gan_stft_window(o, win);
    gan_cpu_overlap_add(fr, frames, nfft, o->hop, win, ola, env);
    int64_t start = o->center ? nfft / 2 : 0;
    for (int64_t i = 0; i < length; i++) {
        int64_t j = start + i;
        /* torch.istft refuses envelopes below 1e-11; past the frames there is no signal */
        out[i] = j < total && env[j] > 1e-11f ? ola[j] / env[j] : 0.0f;
    }
    free(rows), free(fr), free(win), free(ola), free(env);
    return GAN_OK;
}
