/* griffin_lim.c — a waveform from a magnitude spectrogram (Griffin & Lim 1984, with the
 * momentum of Perraudin et al. 2013 as torchaudio.functional.griffinlim has it), a linear
 * spectrogram back from a mel one, and the spectral convergence that measures both. */
#include "audio/audio_internal.h"
#include "backend/cpu/audio_kernels.h"
#include "internal.h"
#include <lapacke.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

gan_griffin_lim_opts gan_griffin_lim_default(void) {
    gan_griffin_lim_opts o = {32, 0.99f, 0};
    return o;
}

/* The starting phase: all zero (seed 0) or uniform in [0, 2 pi) from Philox (seed, 0). */
static void init_phase(float *c, const float *mag, int64_t n, uint64_t seed) {
    if (!seed) {
        for (int64_t i = 0; i < n; i++) c[2 * i] = mag[i], c[2 * i + 1] = 0;
        return;
    }
    float *u = malloc(sizeof(float) * (size_t)n);
    if (u) gan_philox_uniform(u, n, seed, 0);
    for (int64_t i = 0; i < n; i++) {
        double a = u ? 2 * M_PI * u[i] : 0;
        c[2 * i] = (float)(mag[i] * cos(a));
        c[2 * i + 1] = (float)(mag[i] * sin(a));
    }
    free(u);
}

double gan_spectral_convergence_c(const float *mag, const float *spec, int64_t n) {
    double num = 0, den = 0;
    for (int64_t i = 0; i < n; i++) {
        double re = spec[2 * i], im = spec[2 * i + 1], d = mag[i] - sqrt(re * re + im * im);
        num += d * d;
        den += (double)mag[i] * mag[i];
    }
    return den > 0 ? sqrt(num / den) : 0;
}

gan_status gan_spectral_convergence(const float *mag, int64_t frames, const float *x, int64_t n,
                                    const gan_stft_opts *o, double *sc) {
    int64_t nf = gan_stft_frames(o, n), nb = o->n_fft / 2 + 1;
    if (nf != frames)
        return gan_fail(GAN_ERR_ARG, "spectral convergence: %lld samples give %lld frames, the "
                        "spectrogram has %lld", (long long)n, (long long)nf, (long long)frames);
    float *c = malloc(sizeof(float) * 2 * (size_t)(nf * nb));
    if (!c) return gan_fail(GAN_ERR_NOMEM, "spectral convergence: out of memory");
    gan_status s = gan_stft(x, n, o, c);
    if (s == GAN_OK) *sc = gan_spectral_convergence_c(mag, c, nf * nb);
    free(c);
    return s;
}

/* Each round: x = istft(mag * phase); c = stft(x); phase = c (minus momentum times the
 * previous c), normalised. sc[i], when asked, is the convergence of round i's x. */
gan_status gan_griffin_lim(const float *mag, int64_t frames, const gan_stft_opts *o,
                           const gan_griffin_lim_opts *g, int64_t length, float *out, double *sc) {
    gan_status s = gan_stft_check(o);
    if (s != GAN_OK) return s;
    if (g->n_iter < 0 || !(g->momentum >= 0 && g->momentum < 1))
        return gan_fail(GAN_ERR_ARG, "griffin-lim: n_iter %d, momentum %g (need n_iter >= 0, "
                        "0 <= momentum < 1)", g->n_iter, g->momentum);
    if (gan_stft_frames(o, length) != frames)
        return gan_fail(GAN_ERR_ARG, "griffin-lim: length %lld gives %lld frames, the spectrogram "
                        "has %lld", (long long)length, (long long)gan_stft_frames(o, length),
                        (long long)frames);
    int64_t n = frames * (o->n_fft / 2 + 1);
    float *c = malloc(sizeof(float) * 2 * (size_t)n), *prev = calloc(2 * (size_t)n, sizeof(float));
    if (!c || !prev) {
        free(c), free(prev);
        return gan_fail(GAN_ERR_NOMEM, "griffin-lim: out of memory for %lld frames", (long long)frames);
    }
    init_phase(c, mag, n, g->seed);
    for (int i = 0; i < g->n_iter && s == GAN_OK; i++) {
        s = gan_istft(c, frames, o, length, out);
        if (s == GAN_OK) s = gan_stft(out, length, o, c);
        if (s != GAN_OK) break;
        if (sc) sc[i] = gan_spectral_convergence_c(mag, c, n);
        if (g->momentum > 0) gan_cpu_phase_momentum(c, prev, n, g->momentum);
        gan_cpu_apply_phase(c, mag, n);
    }
    if (s == GAN_OK) s = gan_istft(c, frames, o, length, out);
    free(c), free(prev);
    return s;
}
