/* mel_inverse.c — a linear spectrogram back from a mel one. M (n_mels, n_bins) has fewer rows
 * than columns, so M s = m has many solutions: start from the least-norm one,
 * s = M^T (M M^T)^-1 m, clipped at 0 (torchaudio's InverseMelScale solves the same least
 * squares and clamps), then optionally refine by projected gradient on
 * min ||M s - m||^2 subject to s >= 0 (librosa's mel_to_stft solves that problem, by NNLS). */
#include "audio/audio_internal.h"
#include "internal.h"
#include <lapacke.h>
#include <limits.h>
#include <stdlib.h>

/* y (n_mels, frames) = (M M^T + ridge)^-1 m in double. The ridge (1e-10 of the mean diagonal)
 * only matters for empty filters (n_mels too large for n_fft), which would make M M^T singular. */
static gan_status solve_gram(const float *M, int nm, int nb, const float *mel, int64_t nf,
                             double *y) {
    double *g = calloc((size_t)nm * (size_t)nm, sizeof(double)), tr = 0;
    if (!g) return gan_fail(GAN_ERR_NOMEM, "mel inverse: out of memory");
    for (int i = 0; i < nm; i++)
        for (int j = 0; j <= i; j++) {
            double s = 0;
            for (int k = 0; k < nb; k++) s += (double)M[i * nb + k] * M[j * nb + k];
            g[i * nm + j] = g[j * nm + i] = s;
        }
    for (int i = 0; i < nm; i++) tr += g[i * nm + i];
    for (int i = 0; i < nm; i++) g[i * nm + i] += 1e-10 * tr / nm + 1e-300;
    for (int64_t i = 0; i < nm * nf; i++) y[i] = mel[i];
    int info = LAPACKE_dposv(LAPACK_ROW_MAJOR, 'U', nm, (int)nf, g, nm, y, (int)nf);
    free(g);
    if (info != 0) return gan_fail(GAN_ERR_ARG, "mel inverse: the filterbank's Gram matrix is "
                                   "not positive definite (LAPACK info %d)", info);
    return GAN_OK;
}

/* One projected gradient step per round, step 1/L with L = the largest row sum of |M M^T|
 * (>= its largest eigenvalue), which guarantees descent. */
static gan_status refine(const float *M, int nm, int nb, const float *mel, int64_t nf, int n_iter,
                         float *s) {
    float *r = malloc(sizeof(float) * (size_t)(nm * nf)), *gr = malloc(sizeof(float) * (size_t)(nb * nf));
    if (!r || !gr) {
        free(r), free(gr);
        return gan_fail(GAN_ERR_NOMEM, "mel inverse: out of memory");
    }
    double L = 0;
    for (int i = 0; i < nm; i++) {
        double row = 0;
        for (int j = 0; j < nm; j++) {
            double d = 0;
            for (int k = 0; k < nb; k++) d += (double)M[i * nb + k] * M[j * nb + k];
            row += d < 0 ? -d : d;
        }
        if (row > L) L = row;
    }
    float eta = L > 0 ? (float)(1.0 / L) : 0;
    for (int it = 0; it < n_iter; it++) {
        gan_cpu_gemm(0, 0, nm, (int)nf, nb, 1.0f, M, nb, s, (int)nf, 0.0f, r, (int)nf);
        for (int64_t i = 0; i < nm * nf; i++) r[i] -= mel[i];
        gan_cpu_gemm(1, 0, nb, (int)nf, nm, 1.0f, M, nb, r, (int)nf, 0.0f, gr, (int)nf);
        for (int64_t i = 0; i < nb * nf; i++) {
            float v = s[i] - eta * gr[i];
            s[i] = v > 0 ? v : 0;
        }
    }
    free(r), free(gr);
    return GAN_OK;
}

gan_status gan_mel_to_linear(const float *bank, int n_mels, int n_bins, const float *mel,
                             int64_t frames, int n_iter, float *out) {
    if (n_mels < 1 || n_bins < 1 || frames < 1 || frames > INT_MAX || n_iter < 0)
        return gan_fail(GAN_ERR_ARG, "mel inverse: %d mels, %d bins, %lld frames, %d rounds",
                        n_mels, n_bins, (long long)frames, n_iter);
    double *y = malloc(sizeof(double) * (size_t)n_mels * (size_t)frames);
    if (!y) return gan_fail(GAN_ERR_NOMEM, "mel inverse: out of memory");
    gan_status s = solve_gram(bank, n_mels, n_bins, mel, frames, y);
    float *yf = s == GAN_OK ? malloc(sizeof(float) * (size_t)n_mels * (size_t)frames) : NULL;
    if (s == GAN_OK && !yf) s = gan_fail(GAN_ERR_NOMEM, "mel inverse: out of memory");
    if (s == GAN_OK) {
        for (int64_t i = 0; i < n_mels * frames; i++) yf[i] = (float)y[i];
        gan_cpu_gemm(1, 0, n_bins, (int)frames, n_mels, 1.0f, bank, n_bins, yf, (int)frames, 0.0f,
                     out, (int)frames);
        for (int64_t i = 0; i < n_bins * frames; i++) out[i] = out[i] > 0 ? out[i] : 0.0f;
        s = refine(bank, n_mels, n_bins, mel, frames, n_iter, out);
    }
    free(yf);
    free(y);
    return s;
}
