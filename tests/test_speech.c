/* test_speech.c — eSpeak NG through gan_speech_synth: the phonemes of a known sentence in
 * order, with monotone, non-overlapping times inside the utterance; the settings change the
 * sound the way they say; bad settings are refused. And the texts-file reader. */
#include "harness.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

static double rms(const gan_speech *s) {
    double a = 0;
    for (int64_t i = 0; i < s->n_samples; i++) a += (double)s->pcm[i] * s->pcm[i];
    return s->n_samples ? sqrt(a / s->n_samples) / 32768 : 0;
}

/* 1 when want[] appear in s's phonemes in this order (others may come between). */
static int in_order(const gan_speech *s, const char **want, int n) {
    int k = 0;
    for (int i = 0; i < s->n_phonemes && k < n; i++)
        if (!strcmp(s->phonemes[i].name, want[k])) k++;
    return k == n;
}

static void test_phonemes(void) {
    gan_speech_opts o = gan_speech_opts_default();
    o.voice = "en-us+f3";
    gan_speech s;
    gan_status st = gan_speech_synth("Hello world. The cat sat on the mat.", &o, &s);
    if (!th_check(st == GAN_OK, "synthesise", "%s", st == GAN_OK ? "" : gan_last_error())) return;
    th_check(s.rate == 22050 && s.n_samples > 22050 && rms(&s) > 0.01, "utterance",
             "%lld samples at %d Hz (%.2f s), rms %.3f", (long long)s.n_samples, s.rate,
             (double)s.n_samples / s.rate, rms(&s));
    char seq[512] = "";
    for (int i = 0; i < s.n_phonemes; i++)
        snprintf(seq + strlen(seq), sizeof seq - strlen(seq), "%s%s", i ? " " : "", s.phonemes[i].name);
    static const char *want[] = {"h", "oU", "w", "3:", "l", "d", "D", "k", "a", "t", "s", "a", "t",
                                 "m", "a", "t"};
    th_check(in_order(&s, want, (int)(sizeof want / sizeof *want)), "phonemes in order", "%s", seq);
    int ok = s.n_phonemes > 10 && s.phonemes[0].start >= 0, voiced = 0;
    for (int i = 0; i < s.n_phonemes; i++) {
        const gan_phoneme *p = &s.phonemes[i];
        ok &= p->start <= p->end && p->end <= s.n_samples;
        if (i) ok &= p->start >= s.phonemes[i - 1].end && p->start > s.phonemes[i - 1].start - 1;
        voiced += p->end > p->start;
    }
    ok &= s.phonemes[s.n_phonemes - 1].end == s.n_samples;
    th_check(ok && voiced > 10, "phoneme times", "%d phonemes, %d of positive length, monotone, "
             "non-overlapping, last ends at %lld", s.n_phonemes, voiced, (long long)s.n_samples);
    /* the times are where the sounds are: vowels are loud, pauses nearly silent */
    double e[2] = {0, 0};
    int64_t len[2] = {0, 0};
    for (int i = 0; i < s.n_phonemes; i++) {
        const gan_phoneme *p = &s.phonemes[i];
        int k = !strcmp(p->name, "_:") ? 1 : !strcmp(p->name, "oU") || !strcmp(p->name, "a") ||
                !strcmp(p->name, "3:") ? 0 : -1;
        for (int64_t j = p->start; k >= 0 && j < p->end; j++) e[k] += (double)s.pcm[j] * s.pcm[j];
        if (k >= 0) len[k] += p->end - p->start;
    }
    double vowel = len[0] ? sqrt(e[0] / len[0]) / 32768 : 0, pause = len[1] ? sqrt(e[1] / len[1]) / 32768 : 1;
    th_check(vowel > 10 * pause, "phonemes aligned with the sound", "rms in vowels %.4f, in pauses %.5f",
             vowel, pause);
    gan_speech_free(&s);
}

/* Griffin-Lim on speech (n_fft 1024, hop 256, 100 rounds, momentum 0.99): from the true
 * magnitude, and from an 80-band mel power spectrogram turned back (mel -> linear by 200
 * NNLS rounds, square root). Bounds from the measured values (docs/AUDIO.md) with margin:
 * the starting (random) phase alone scores ~0.6-0.7. */
static void test_griffin_lim_speech(void) {
    gan_speech_opts o = gan_speech_opts_default();
    gan_speech s;
    if (gan_speech_synth("The quick brown fox jumps over the lazy dog.", &o, &s) != GAN_OK) return;
    int64_t n = s.n_samples;
    float *x = malloc(sizeof(float) * (size_t)n), *y = malloc(sizeof(float) * (size_t)n);
    gan_pcm16_to_f32(s.pcm, n, x);
    gan_stft_opts so = gan_stft_opts_default(1024);
    int64_t nf = gan_stft_frames(&so, n), nb = 513;
    float *mag = malloc(sizeof(float) * (size_t)(nb * nf)), *lin = malloc(sizeof(float) * (size_t)(nb * nf));
    float *bank = malloc(sizeof(float) * 80 * (size_t)nb), *mel = malloc(sizeof(float) * 80 * (size_t)nf);
    gan_spectrogram(x, n, &so, 1.0f, mag);
    gan_griffin_lim_opts g = {0, 0.99f, 7};
    double sc0 = -1, sc = -1, sc_mel = -1, sc_mel_self = -1;
    gan_griffin_lim(mag, nf, &so, &g, n, y, NULL);
    gan_spectral_convergence(mag, nf, y, n, &so, &sc0);
    g.n_iter = 100;
    gan_griffin_lim(mag, nf, &so, &g, n, y, NULL);
    gan_spectral_convergence(mag, nf, y, n, &so, &sc);
    gan_mel_opts mo = gan_mel_opts_default(s.rate, 80);
    gan_mel_filterbank(&mo, 1024, bank);
    gan_mel_spectrogram(x, n, &so, &mo, 2.0f, mel);
    gan_mel_to_linear(bank, 80, (int)nb, mel, nf, 200, lin);
    for (int64_t i = 0; i < nb * nf; i++) lin[i] = sqrtf(lin[i]);
    gan_griffin_lim(lin, nf, &so, &g, n, y, NULL);
    gan_spectral_convergence(lin, nf, y, n, &so, &sc_mel_self);
    gan_spectral_convergence(mag, nf, y, n, &so, &sc_mel);
    th_check(sc < 0.1 && sc < sc0 / 4 && sc_mel < 0.5, "griffin-lim on speech",
             "%.2f s: sc start %.4f, 100 rounds %.4f; from 80 mels: vs its target %.4f, vs true |S| %.4f",
             (double)n / s.rate, sc0, sc, sc_mel_self, sc_mel);
    free(x), free(y), free(mag), free(lin), free(bank), free(mel);
    gan_speech_free(&s);
}

static void test_settings(void) {
    gan_speech_opts o = gan_speech_opts_default();
    gan_speech a, b;
    const char *t = "Seven silver swans.";
    o.amplitude = 40;
    gan_speech_synth(t, &o, &a);
    o.amplitude = 160;
    gan_speech_synth(t, &o, &b);
    th_check(rms(&b) > 2 * rms(&a), "amplitude", "rms %.4f at 40, %.4f at 160", rms(&a), rms(&b));
    gan_speech_free(&a), gan_speech_free(&b);
    o.amplitude = 100, o.rate = 120;
    gan_speech_synth(t, &o, &a);
    o.rate = 350;
    gan_speech_synth(t, &o, &b);
    th_check(b.n_samples < a.n_samples * 3 / 4, "rate", "%lld samples at 120 wpm, %lld at 350",
             (long long)a.n_samples, (long long)b.n_samples);
    gan_speech_free(&a), gan_speech_free(&b);
    o.rate = 175;
    o.voice = "xx-nonesuch";
    th_check(gan_speech_synth(t, &o, &a) == GAN_ERR_ARG && strstr(gan_last_error(), "xx-nonesuch") && !a.pcm,
             "unknown voice", "%s", gan_last_error());
    th_check(!gan_speech_voice_exists("xx-nonesuch") && gan_speech_voice_exists("en-us+m3"),
             "voice exists", "en-us+m3 yes, xx-nonesuch no");
    o.voice = "en";
    o.pitch = 101;
    th_check(gan_speech_synth(t, &o, &a) == GAN_ERR_ARG && strstr(gan_last_error(), "pitch 101"),
             "pitch out of range", "%s", gan_last_error());
    o.pitch = 50, o.rate = 20;
    th_check(gan_speech_synth(t, &o, &a) == GAN_ERR_ARG && strstr(gan_last_error(), "rate 20"),
             "rate out of range", "%s", gan_last_error());
}

static void test_texts(void) {
    const char good[] = "# a comment\r\nHello world.\r\n\r\n   \ncafé au lait\nlast line, no newline";
    gan_text_lines t;
    gan_status s = gan_text_lines_parse(good, sizeof good - 1, "t.txt", &t);
    th_check(s == GAN_OK && t.n == 3 && !strcmp(t.text[0], "Hello world.") && t.line[0] == 2 &&
             !strcmp(t.text[1], "café au lait") && t.line[1] == 5 && t.line[2] == 6,
             "texts: comments, CRLF, blank lines skipped", "%d texts", t.n);
    gan_text_lines_free(&t);
    const char bad[] = "fine\nalso fine\nbad \xc3\x28 byte\n";
    s = gan_text_lines_parse(bad, sizeof bad - 1, "t.txt", &t);
    th_check(s == GAN_ERR_FORMAT && !strcmp(gan_last_error(), "t.txt:3: invalid UTF-8") && t.n == 0,
             "texts: invalid UTF-8 names file and line", "%s", gan_last_error());
    const char nul[] = "a\nb\0c\n";
    s = gan_text_lines_parse(nul, sizeof nul - 1, "t.txt", &t);
    th_check(s == GAN_ERR_FORMAT && strstr(gan_last_error(), "t.txt:2: NUL"), "texts: NUL byte", "%s", gan_last_error());
    char *big = malloc(5000);
    memset(big, 'a', 5000);
    s = gan_text_lines_parse(big, 5000, "t.txt", &t);
    th_check(s == GAN_ERR_FORMAT && strstr(gan_last_error(), "t.txt:1: line of 5000 bytes"), "texts: long line",
             "%s", gan_last_error());
    free(big);
    s = gan_text_lines_read("/nonexistent/texts.txt", &t);
    th_check(s == GAN_ERR_IO && strstr(gan_last_error(), "/nonexistent/texts.txt"), "texts: missing file",
             "%s", gan_last_error());
}

int main(void) {
    test_phonemes();
    test_settings();
    test_griffin_lim_speech();
    test_texts();
    gan_speech_shutdown();
    return th_done("test_speech");
}
