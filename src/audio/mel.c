/* mel.c — mel filterbanks (librosa.filters.mel: HTK or Slaney scale, no or Slaney area
 * normalisation), mel spectrograms, logs and decibels, MFCC (DCT-II, orthonormal). The banks
 * and the DCT are computed in double and rounded once. */
#include "audio/audio_internal.h"
#include "backend/cpu/audio_kernels.h"
#include "internal.h"
#include <limits.h>
#include <math.h>
#include <stdlib.h>

gan_mel_opts gan_mel_opts_default(int sample_rate, int n_mels) {
    gan_mel_opts o = {sample_rate, n_mels, 0.0f, 0.0f, GAN_MEL_SLANEY, GAN_MEL_NORM_SLANEY};
    return o;
}

/* Slaney's Auditory Toolbox scale: linear below 1 kHz (3 mels per 200 Hz), logarithmic above. */
#define SLANEY_F_SP (200.0 / 3)
#define SLANEY_MIN_LOG_HZ 1000.0
#define SLANEY_MIN_LOG_MEL (SLANEY_MIN_LOG_HZ / SLANEY_F_SP)
#define SLANEY_LOGSTEP (log(6.4) / 27.0)

double gan_hz_to_mel(double hz, gan_mel_scale scale) {
    if (scale == GAN_MEL_HTK) return 2595.0 * log10(1.0 + hz / 700.0);
    if (hz < SLANEY_MIN_LOG_HZ) return hz / SLANEY_F_SP;
    return SLANEY_MIN_LOG_MEL + log(hz / SLANEY_MIN_LOG_HZ) / SLANEY_LOGSTEP;
}

double gan_mel_to_hz(double mel, gan_mel_scale scale) {
    if (scale == GAN_MEL_HTK) return 700.0 * (pow(10.0, mel / 2595.0) - 1.0);
    if (mel < SLANEY_MIN_LOG_MEL) return mel * SLANEY_F_SP;
    return SLANEY_MIN_LOG_HZ * exp(SLANEY_LOGSTEP * (mel - SLANEY_MIN_LOG_MEL));
}

static gan_status mel_check(const gan_mel_opts *o, int n_fft, double *fmax) {
    if (o->sample_rate < 1) return gan_fail(GAN_ERR_ARG, "mel: sample rate %d (must be > 0)", o->sample_rate);
    if (o->n_mels < 1 || o->n_mels > 4096) return gan_fail(GAN_ERR_ARG, "mel: n_mels %d (1 .. 4096)", o->n_mels);
    if (n_fft < 2 || n_fft > (1 << 20)) return gan_fail(GAN_ERR_ARG, "mel: n_fft %d (2 .. 2^20)", n_fft);
    if (o->scale != GAN_MEL_HTK && o->scale != GAN_MEL_SLANEY)
        return gan_fail(GAN_ERR_ARG, "mel: unknown scale %d", (int)o->scale);
    if (o->norm != GAN_MEL_NORM_NONE && o->norm != GAN_MEL_NORM_SLANEY)
        return gan_fail(GAN_ERR_ARG, "mel: unknown norm %d", (int)o->norm);
    *fmax = o->fmax > 0 ? o->fmax : o->sample_rate / 2.0;
    if (!(o->fmin >= 0) || !(*fmax > o->fmin))
        return gan_fail(GAN_ERR_ARG, "mel: fmin %g, fmax %g (need 0 <= fmin < fmax)", o->fmin, *fmax);
    return GAN_OK;
}

/* librosa.filters.mel: n_mels + 2 points evenly spaced in mels, triangles between neighbours
 * evaluated at the FFT bins' frequencies k * sr / n_fft; "slaney" scales each by
 * 2 / (its upper edge - its lower edge) in Hz, so every filter has about the same area. */
gan_status gan_mel_filterbank(const gan_mel_opts *o, int n_fft, float *out) {
    double fmax;
    gan_status s = mel_check(o, n_fft, &fmax);
    if (s != GAN_OK) return s;
    int nb = n_fft / 2 + 1, nm = o->n_mels;
    double *f = malloc(sizeof(double) * (size_t)(nm + 2));
    if (!f) return gan_fail(GAN_ERR_NOMEM, "mel: out of memory");
    double lo = gan_hz_to_mel(o->fmin, o->scale), hi = gan_hz_to_mel(fmax, o->scale);
    for (int i = 0; i < nm + 2; i++) f[i] = gan_mel_to_hz(lo + (hi - lo) * i / (nm + 1), o->scale);
    for (int m = 0; m < nm; m++) {
        double enorm = o->norm == GAN_MEL_NORM_SLANEY ? 2.0 / (f[m + 2] - f[m]) : 1.0;
        for (int k = 0; k < nb; k++) {
            double hz = (double)o->sample_rate * k / n_fft;   /* np.fft.rfftfreq */
            double lower = (hz - f[m]) / (f[m + 1] - f[m]), upper = (f[m + 2] - hz) / (f[m + 2] - f[m + 1]);
            double w = lower < upper ? lower : upper;
            out[(int64_t)m * nb + k] = (float)((w > 0 ? w : 0) * enorm);
        }
    }
    free(f);
    return GAN_OK;
}

void gan_mel_apply(const float *bank, int n_mels, int n_bins, const float *spec, int64_t frames,
                   float *out) {
    GAN_ASSERT(frames >= 0 && frames <= INT_MAX);
    gan_cpu_gemm(0, 0, n_mels, (int)frames, n_bins, 1.0f, bank, n_bins, spec, (int)frames, 0.0f,
                 out, (int)frames);
}

gan_status gan_mel_spectrogram(const float *x, int64_t n, const gan_stft_opts *so,
                               const gan_mel_opts *mo, float power, float *out) {
    double fmax;
    gan_status s = mel_check(mo, so->n_fft, &fmax);
    if (s != GAN_OK) return s;
    int64_t nf = gan_stft_frames(so, n);
    int nb = so->n_fft / 2 + 1;
    if (nf < 0 || nf > INT_MAX) return gan_spectrogram(x, n, so, power, out);   /* its message */
    float *spec = malloc(sizeof(float) * (size_t)(nf * nb));
    float *bank = malloc(sizeof(float) * (size_t)nb * (size_t)mo->n_mels);
    if (!spec || !bank) {
        free(spec), free(bank);
        return gan_fail(GAN_ERR_NOMEM, "mel spectrogram: out of memory for %lld frames", (long long)nf);
    }
    s = gan_spectrogram(x, n, so, power, spec);
    if (s == GAN_OK) s = gan_mel_filterbank(mo, so->n_fft, bank);
    if (s == GAN_OK) gan_mel_apply(bank, mo->n_mels, nb, spec, nf, out);
    free(spec), free(bank);
    return s;
}

void gan_log_clamp(const float *x, int64_t n, float eps, float *out) {
    gan_cpu_log_clamp(x, n, eps, out);
}

void gan_to_db(const float *x, int64_t n, float multiplier, float amin, float ref, float top_db,
               float *out) {
    gan_cpu_to_db(x, n, multiplier, amin, ref, top_db, out);
}

/* scipy.fft.dct(x, type=2, norm="ortho") along the mels, first n_mfcc rows, as one product:
 * out (n_mfcc, frames) = D (n_mfcc, n_mels) @ logmel (n_mels, frames),
 * D[k][j] = s_k cos(pi k (2j + 1) / (2 n_mels)), s_0 = sqrt(1/n_mels), s_k = sqrt(2/n_mels). */
gan_status gan_mfcc(const float *logmel, int n_mels, int64_t frames, int n_mfcc, float *out) {
    if (n_mels < 1 || n_mfcc < 1 || n_mfcc > n_mels || frames < 0 || frames > INT_MAX)
        return gan_fail(GAN_ERR_ARG, "mfcc: n_mfcc %d of n_mels %d, %lld frames (need 1 <= n_mfcc <= n_mels)",
                        n_mfcc, n_mels, (long long)frames);
    float *d = malloc(sizeof(float) * (size_t)n_mfcc * (size_t)n_mels);
    if (!d) return gan_fail(GAN_ERR_NOMEM, "mfcc: out of memory");
    for (int k = 0; k < n_mfcc; k++) {
        double sk = sqrt((k ? 2.0 : 1.0) / n_mels);
        for (int j = 0; j < n_mels; j++) d[k * n_mels + j] = (float)(sk * cos(M_PI * k * (2 * j + 1) / (2.0 * n_mels)));
    }
    gan_cpu_gemm(0, 0, n_mfcc, (int)frames, n_mels, 1.0f, d, n_mels, logmel, (int)frames, 0.0f,
                 out, (int)frames);
    free(d);
    return GAN_OK;
}
