/* audio_kernels.c — framing, complex magnitudes, overlap-add and the Griffin-Lim phase steps.
 * Each loop is independent per element or per frame, so threads may split it freely without
 * changing a bit (determinism): only overlap-add sums, and it runs in frame order. */
#include "backend/cpu/audio_kernels.h"
#include "internal.h"
#include <math.h>
#include <string.h>

static inline int64_t reflect(int64_t j, int64_t n) {
    if (j < 0) j = -j;
    if (j >= n) j = 2 * (n - 1) - j;
    return j;
}

void gan_cpu_stft_frames(const float *x, int64_t n, int n_fft, int hop, int64_t frames, int pad,
                         const float *win, float *out) {
#pragma omp parallel for schedule(static) if (frames * n_fft >= GAN_PARALLEL_MIN)
    for (int64_t f = 0; f < frames; f++) {
        float *o = out + f * n_fft;
        int64_t s = f * hop - pad;
        if (s >= 0 && s + n_fft <= n)
            for (int i = 0; i < n_fft; i++) o[i] = win[i] * x[s + i];
        else
            for (int i = 0; i < n_fft; i++) o[i] = win[i] * x[reflect(s + i, n)];
    }
}

void gan_cpu_complex_pow(const float *c, int64_t n, float power, float *out) {
#pragma omp parallel for schedule(static) if (n >= GAN_PARALLEL_MIN)
    for (int64_t i = 0; i < n; i++) {
        double re = c[2 * i], im = c[2 * i + 1], p = re * re + im * im;
        out[i] = (float)(power == 2.0f ? p : power == 1.0f ? sqrt(p) : pow(p, 0.5 * power));
    }
}

void gan_cpu_transpose(const float *in, int64_t rows, int64_t cols, int width, float *out) {
#pragma omp parallel for schedule(static) if (rows * cols * width >= GAN_PARALLEL_MIN)
    for (int64_t c = 0; c < cols; c++)
        for (int64_t r = 0; r < rows; r++)
            memcpy(out + (c * rows + r) * width, in + (r * cols + c) * width,
                   sizeof(float) * (size_t)width);
}

void gan_cpu_overlap_add(const float *frames, int64_t n_frames, int n_fft, int hop,
                         const float *win, float *out, float *env) {
    for (int64_t f = 0; f < n_frames; f++) {
        const float *fr = frames + f * n_fft;
        float *o = out + f * hop, *e = env + f * hop;
        for (int i = 0; i < n_fft; i++) {
            o[i] += win[i] * fr[i];
            e[i] += win[i] * win[i];
        }
    }
}

void gan_cpu_apply_phase(float *c, const float *mag, int64_t n) {
#pragma omp parallel for schedule(static) if (n >= GAN_PARALLEL_MIN)
    for (int64_t i = 0; i < n; i++) {
        float re = c[2 * i], im = c[2 * i + 1];
        float s = mag[i] / (sqrtf(re * re + im * im) + 1e-16f);
        c[2 * i] = re * s;
        c[2 * i + 1] = im * s;
    }
}

void gan_cpu_phase_momentum(float *c, float *prev, int64_t n, float momentum) {
    float k = momentum / (1.0f + momentum);
#pragma omp parallel for schedule(static) if (n >= GAN_PARALLEL_MIN)
    for (int64_t i = 0; i < 2 * n; i++) {
        float v = c[i];
        c[i] = v - k * prev[i];
        prev[i] = v;
    }
}

void gan_cpu_log_clamp(const float *x, int64_t n, float eps, float *out) {
#pragma omp parallel for schedule(static) if (n >= GAN_PARALLEL_MIN)
    for (int64_t i = 0; i < n; i++) out[i] = logf(x[i] > eps ? x[i] : eps);
}

void gan_cpu_to_db(const float *x, int64_t n, float mult, float amin, float ref, float top_db,
                   float *out) {
    double off = mult * log10(ref > amin ? ref : amin);
    float top = -INFINITY;
    for (int64_t i = 0; i < n; i++) {
        out[i] = (float)(mult * log10(x[i] > amin ? x[i] : amin) - off);
        if (out[i] > top) top = out[i];
    }
    if (top_db > 0)
        for (int64_t i = 0; i < n; i++)
            if (out[i] < top - top_db) out[i] = top - top_db;
}
