/* test_audio.c — STFT, mel banks, log-mel, dB and MFCC against the NumPy/SciPy reference of
 * tools/make_audio_fixtures.py (1e-4 relative to the largest reference value); the inverse
 * STFT as a round trip; Griffin-Lim's spectral convergence on a test signal and a mel
 * spectrogram's magnitude. */
#include "harness.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define FIX "tests/fixtures/audio.bin"
#define SR 16000
#define TOL 1e-4

static gan_ctx *ctx;

static const float *fx(th_fixture *f, const char *name) {
    return th_fixture_get(f, ctx, name)->data;
}

static gan_stft_opts main_stft(void) {
    gan_stft_opts o = {512, 128, 400, GAN_WINDOW_HANN, 1};
    return o;
}

static void test_stft(th_fixture *f, const float *x, int n) {
    gan_stft_opts o = main_stft();
    int64_t nf = gan_stft_frames(&o, n);
    th_check(nf == 32, "stft frames (centred)", "%lld (numpy 32)", (long long)nf);
    float *mag = malloc(sizeof(float) * 257 * 32);
    th_check(gan_spectrogram(x, n, &o, 1.0f, mag) == GAN_OK, "spectrogram status", "%s", gan_last_error());
    th_fixture_compare(f, "stft_mag", mag, 257 * 32, TOL);
    gan_stft_opts h = {256, 100, 0, GAN_WINDOW_HAMMING, 0};
    nf = gan_stft_frames(&h, n);
    th_check(nf == 38, "stft frames (not centred)", "%lld (numpy 38)", (long long)nf);
    float *mh = malloc(sizeof(float) * 129 * 38);
    gan_spectrogram(x, n, &h, 1.0f, mh);
    th_fixture_compare(f, "stft_mag_hamming_nocenter", mh, 129 * 38, TOL);
    free(mag), free(mh);
}

static void test_mel(th_fixture *f, const float *x, int n) {
    float *bank = malloc(sizeof(float) * 40 * 257);
    gan_mel_opts m = gan_mel_opts_default(SR, 40);
    gan_mel_filterbank(&m, 512, bank);
    th_fixture_compare(f, "mel_slaney_slaney", bank, 40 * 257, TOL);
    gan_mel_opts h = {SR, 40, 20.0f, 7600.0f, GAN_MEL_HTK, GAN_MEL_NORM_NONE};
    gan_mel_filterbank(&h, 512, bank);
    th_fixture_compare(f, "mel_htk_none", bank, 40 * 257, TOL);
    th_check(fabs(gan_mel_to_hz(gan_hz_to_mel(3210.0, GAN_MEL_SLANEY), GAN_MEL_SLANEY) - 3210.0) < 1e-9 &&
             fabs(gan_hz_to_mel(1000.0, GAN_MEL_HTK) - 999.98553) < 1e-4, "mel scales",
             "slaney round trip, htk(1000 Hz) = %.4f mel", gan_hz_to_mel(1000.0, GAN_MEL_HTK));

    gan_stft_opts o = main_stft();
    float *mel = malloc(sizeof(float) * 40 * 32), *t = malloc(sizeof(float) * 40 * 32);
    th_check(gan_mel_spectrogram(x, n, &o, &m, 2.0f, mel) == GAN_OK, "mel spectrogram status", "%s", gan_last_error());
    th_fixture_compare(f, "melspec", mel, 40 * 32, TOL);
    gan_log_clamp(mel, 40 * 32, 1e-5f, t);
    th_fixture_compare(f, "logmel", t, 40 * 32, TOL);
    gan_to_db(mel, 40 * 32, 10.0f, 1e-10f, 1.0f, 80.0f, t);
    th_fixture_compare(f, "mel_db", t, 40 * 32, TOL);
    float *c = malloc(sizeof(float) * 13 * 32);
    th_check(gan_mfcc(fx(f, "mel_db"), 40, 32, 13, c) == GAN_OK, "mfcc status", "%s", gan_last_error());
    th_fixture_compare(f, "mfcc", c, 13 * 32, TOL);
    gan_mfcc(t, 40, 32, 13, c);   /* the whole chain from our own dB */
    th_fixture_compare(f, "mfcc", c, 13 * 32, TOL);
    th_check(gan_mfcc(t, 40, 32, 41, c) == GAN_ERR_ARG, "mfcc refuses n_mfcc > n_mels", "%s", gan_last_error());
    free(bank), free(mel), free(t), free(c);
}

/* istft(stft(x)) == x where the squared windows overlap (hop n_fft/4, hann). */
static void test_istft(const float *x, int n) {
    gan_stft_opts o = main_stft();
    int64_t nf = gan_stft_frames(&o, n);
    float *c = malloc(sizeof(float) * 2 * 257 * (size_t)nf), *y = malloc(sizeof(float) * (size_t)n);
    gan_stft(x, n, &o, c);
    gan_istft(c, nf, &o, n, y);
    double e = th_max_abs_diff(y, x, n);
    th_check(e < 1e-5, "istft(stft(x)) = x", "max abs diff %.3g", e);
    free(c), free(y);
}

/* Griffin-Lim of |STFT(x)|: the convergence after k rounds. The bound 0.1 at 100 rounds: the
 * random starting phase alone gives 0.59 on this signal, plain Griffin-Lim (no momentum)
 * 0.11 after 100 rounds, fast Griffin-Lim (momentum 0.99) measured 0.074; a broken phase
 * update or overlap-add stays near the starting value. */
static double griffin_lim_sc(const float *mag, int64_t nf, int n, int iters, float momentum,
                             double *per_round) {
    gan_stft_opts o = main_stft();
    gan_griffin_lim_opts g = {iters, momentum, 7};
    float *y = malloc(sizeof(float) * (size_t)n);
    double sc = -1;
    if (gan_griffin_lim(mag, nf, &o, &g, n, y, per_round) == GAN_OK)
        gan_spectral_convergence(mag, nf, y, n, &o, &sc);
    free(y);
    return sc;
}

static void test_griffin_lim(th_fixture *f, const float *x, int n) {
    gan_stft_opts o = main_stft();
    int64_t nf = gan_stft_frames(&o, n);
    float *mag = malloc(sizeof(float) * 257 * (size_t)nf);
    gan_spectrogram(x, n, &o, 1.0f, mag);
    double rounds[100];
    double sc0 = griffin_lim_sc(mag, nf, n, 0, 0.99f, NULL), sc10 = griffin_lim_sc(mag, nf, n, 10, 0.99f, NULL);
    double sc100 = griffin_lim_sc(mag, nf, n, 100, 0.99f, rounds);
    double plain = griffin_lim_sc(mag, nf, n, 100, 0.0f, NULL);
    th_check(sc100 < sc10 && sc10 < sc0, "griffin-lim converges", "sc 0/10/100 rounds %.4f %.4f %.4f",
             sc0, sc10, sc100);
    th_check(sc100 < 0.1, "griffin-lim 100 rounds", "sc %.4f (bound 0.1), plain (no momentum) %.4f", sc100, plain);
    /* momentum makes single rounds non-monotone; over tens of rounds it must keep falling */
    int mono = rounds[9] < rounds[0] && rounds[49] < rounds[9] && rounds[99] < rounds[49];
    th_check(mono, "griffin-lim sc by round", "round 1 %.4f, 10 %.4f, 50 %.4f, 100 %.4f", rounds[0],
             rounds[9], rounds[49], rounds[99]);

    /* mel power -> linear power -> magnitude -> waveform, scored against the true magnitude */
    gan_mel_opts m = gan_mel_opts_default(SR, 128);
    float *bank = malloc(sizeof(float) * 128 * 257), *mel = malloc(sizeof(float) * 128 * (size_t)nf);
    float *lin = malloc(sizeof(float) * 257 * (size_t)nf);
    gan_mel_filterbank(&m, 512, bank);
    gan_mel_spectrogram(x, n, &o, &m, 2.0f, mel);
    th_check(gan_mel_to_linear(bank, 128, 257, mel, nf, 200, lin) == GAN_OK, "mel to linear", "128 mels, 200 NNLS rounds");
    for (int64_t i = 0; i < 257 * nf; i++) lin[i] = sqrtf(lin[i]);
    double mel_rel = 0, mel_den = 0;   /* how well the bank maps the estimate back */
    for (int64_t i = 0; i < 257 * nf; i++) mel_den += (double)mag[i] * mag[i];
    for (int64_t i = 0; i < 257 * nf; i++) mel_rel += ((double)lin[i] - mag[i]) * ((double)lin[i] - mag[i]);
    float *y = malloc(sizeof(float) * (size_t)n);
    gan_griffin_lim_opts g = {100, 0.99f, 7};
    gan_griffin_lim(lin, nf, &o, &g, n, y, NULL);
    double sc_self = -1, sc_true = -1;
    gan_spectral_convergence(lin, nf, y, n, &o, &sc_self);
    gan_spectral_convergence(mag, nf, y, n, &o, &sc_true);
    th_check(sc_true < 0.5 && sc_self < 0.2, "griffin-lim of a mel spectrogram",
             "||est - S||/||S|| %.4f; sc vs its own target %.4f, vs the true |S| %.4f",
             sqrt(mel_rel / mel_den), sc_self, sc_true);
    (void)f;
    free(mag), free(bank), free(mel), free(lin), free(y);
}

static void test_bad_args(const float *x) {
    gan_stft_opts o = main_stft();
    float out[4];
    th_check(gan_spectrogram(x, 200, &o, 1.0f, out) == GAN_ERR_ARG, "stft: too short", "%s", gan_last_error());
    o.hop = 0;
    th_check(gan_spectrogram(x, 4000, &o, 1.0f, out) == GAN_ERR_ARG, "stft: hop 0", "%s", gan_last_error());
    gan_mel_opts m = {SR, 40, 9000.0f, 8000.0f, GAN_MEL_HTK, GAN_MEL_NORM_NONE};
    th_check(gan_mel_filterbank(&m, 512, out) == GAN_ERR_ARG, "mel: fmin > fmax", "%s", gan_last_error());
}

int main(void) {
    ctx = gan_ctx_new(0);
    th_fixture *f = th_fixture_load(FIX);
    if (f) {
        gan_tensor *sig = th_fixture_get(f, ctx, "signal");
        int n = (int)sig->numel;
        test_stft(f, sig->data, n);
        test_mel(f, sig->data, n);
        test_istft(sig->data, n);
        test_griffin_lim(f, sig->data, n);
        test_bad_args(sig->data);
        th_fixture_free(f);
    }
    gan_ctx_free(ctx);
    return th_done("test_audio");
}
