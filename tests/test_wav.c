/* test_wav.c — WAV files: write -> read -> write is bit-identical (mono, stereo, odd rates,
 * the int16 extremes), float <-> int16 mapping, EXTENSIBLE and unknown chunks read, and every
 * refusal (encoding, channels, truncation, missing chunks, lying sizes) names the file. */
#include "harness.h"
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char dir[64];

static char *path(const char *name) {
    static char p[256];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    return p;
}

static unsigned char *slurp(const char *p, size_t *n) {
    FILE *f = fopen(p, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    *n = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *b = malloc(*n + 1);
    if (fread(b, 1, *n, f) != *n) *n = 0;
    fclose(f);
    return b;
}

static void round_trip(int channels, int rate, int64_t frames) {
    int64_t n = frames * channels;
    int16_t *pcm = malloc(sizeof(int16_t) * (size_t)(n + 2));
    for (int64_t i = 0; i < n; i++) pcm[i] = (int16_t)((i * 7919 + 13) % 65536 - 32768);
    if (n >= 2) pcm[0] = -32768, pcm[1] = 32767;
    char name[64];
    snprintf(name, sizeof name, "rt_%d_%d.wav", channels, rate);
    char a[256], b[300];
    snprintf(a, sizeof a, "%s", path(name));
    snprintf(b, sizeof b, "%s.2", a);
    gan_wav w = {0};
    int ok = gan_wav_write(a, pcm, frames, channels, rate) == GAN_OK && gan_wav_read(a, &w) == GAN_OK;
    ok = ok && w.channels == channels && w.rate == rate && w.n_frames == frames &&
         !memcmp(w.pcm, pcm, sizeof(int16_t) * (size_t)n);
    /* through floats: read as float, write from float, compare the files' bytes */
    float *x = malloc(sizeof(float) * (size_t)(n + 1));
    gan_pcm16_to_f32(w.pcm, n, x);
    ok = ok && gan_wav_write_f32(b, x, frames, channels, rate) == GAN_OK;
    size_t na = 0, nb = 0;
    unsigned char *ba = slurp(a, &na), *bb = slurp(b, &nb);
    ok = ok && ba && bb && na == nb && na == 44 + 2 * (size_t)n && !memcmp(ba, bb, na);
    th_check(ok, "wav round trip", "%d ch, %d Hz, %lld frames: %zu bytes, identical through float",
             channels, rate, (long long)frames, na);
    gan_wav_free(&w);
    free(pcm), free(x), free(ba), free(bb);
}

static void test_float_mapping(void) {
    float x[7] = {-1.5f, -1.0f, 1.0f, 0.999969482421875f, 0.5f / 32768, -0.5f / 32768, 0.0f / 0.0f};
    int16_t v[7];
    gan_f32_to_pcm16(x, 7, v);
    int ok = v[0] == -32768 && v[1] == -32768 && v[2] == 32767 && v[3] == 32767 && v[4] == 1 &&
             v[5] == -1 && v[6] == 0;
    th_check(ok, "float -> int16", "clamp, round half away from zero, NaN -> 0: %d %d %d %d %d %d %d",
             v[0], v[1], v[2], v[3], v[4], v[5], v[6]);
    int all = 1;
    for (int i = -32768; i <= 32767; i++) {
        int16_t s = (int16_t)i, back;
        float f;
        gan_pcm16_to_f32(&s, 1, &f);
        gan_f32_to_pcm16(&f, 1, &back);
        all &= back == s && f >= -1.0f && f < 1.0f;
    }
    th_check(all, "int16 -> float -> int16", "all 65536 values come back");
}

/* A header: RIFF, fmt of `fmt_size` bytes, then data claiming `data_size`, holding `have`. */
static size_t build(unsigned char *b, int tag, int ch, int rate, int bits, unsigned data_size,
                    unsigned have, int extensible_sub) {
    size_t k = 0;
    int fs = tag == 0xFFFE ? 40 : 16;
    memcpy(b, "RIFF\0\0\0\0WAVE", 12), k = 12;
    memcpy(b + k, "LIST\x04\0\0\0INFO", 12), k += 12;          /* an unknown chunk first */
    memcpy(b + k, "fmt ", 4), b[k + 4] = (unsigned char)fs, memset(b + k + 5, 0, 3), k += 8;
    unsigned char *f = b + k;
    memset(f, 0, (size_t)fs);
    f[0] = (unsigned char)tag, f[1] = (unsigned char)(tag >> 8), f[2] = (unsigned char)ch;
    for (int i = 0; i < 4; i++) f[4 + i] = (unsigned char)(rate >> (8 * i));
    f[12] = (unsigned char)(ch * bits / 8), f[14] = (unsigned char)bits;
    if (fs == 40) {
        static const unsigned char tail[14] = {0, 0, 0, 0, 0x10, 0, 0x80, 0, 0, 0xaa, 0, 0x38, 0x9b, 0x71};
        f[16] = 22, f[24] = (unsigned char)extensible_sub;
        memcpy(f + 26, tail, 14);
    }
    k += (size_t)fs;
    memcpy(b + k, "data", 4);
    for (int i = 0; i < 4; i++) b[k + 4 + i] = (unsigned char)(data_size >> (8 * i));
    k += 8;
    memset(b + k, 0x11, have);
    return k + have;
}

static void refuse(const char *what, const unsigned char *b, size_t n, const char *expect) {
    FILE *fp = fopen(path("bad.wav"), "wb");
    fwrite(b, 1, n, fp);
    fclose(fp);
    gan_wav w;
    gan_status s = gan_wav_read(path("bad.wav"), &w);
    const char *m = gan_last_error();
    int ok = s == GAN_ERR_FORMAT && strstr(m, "bad.wav: ") && strstr(m, expect) && !w.pcm && !strchr(m, '\n');
    th_check(ok, what, "%s", m);
}

static void test_refusals(void) {
    unsigned char b[512];
    size_t n = build(b, 1, 1, 44100, 24, 12, 12, 0);
    refuse("refuses 24-bit", b, n, "24-bit PCM not supported (16-bit PCM only)");
    n = build(b, 3, 1, 44100, 32, 16, 16, 0);
    refuse("refuses float", b, n, "32-bit IEEE float not supported (16-bit PCM only)");
    n = build(b, 2, 1, 44100, 4, 16, 16, 0);
    refuse("refuses ADPCM", b, n, "ADPCM (compressed) audio (format 0x0002) not supported");
    n = build(b, 7, 1, 8000, 8, 16, 16, 0);
    refuse("refuses mu-law", b, n, "mu-law audio (format 0x0007) not supported");
    n = build(b, 0xFFFE, 1, 48000, 16, 16, 16, 3);
    refuse("refuses extensible float", b, n, "IEEE float not supported");
    n = build(b, 1, 6, 48000, 16, 24, 24, 0);
    refuse("refuses 6 channels", b, n, "6 channels not supported (mono or stereo only)");
    n = build(b, 1, 1, 44100, 16, 88200, 100, 0);
    refuse("refuses truncated data", b, n, "truncated: data chunk says 88200 bytes, file has 100");
    n = build(b, 1, 1, 44100, 16, 0xFFFFFFFFu, 100, 0);
    refuse("lying data size, no big allocation", b, n, "data chunk says 4294967295 bytes, file has 100");
    n = build(b, 1, 2, 44100, 16, 6, 6, 0);
    refuse("refuses a partial frame", b, n, "not a whole number of 4-byte frames");
    n = build(b, 1, 1, 0, 16, 4, 4, 0);
    refuse("refuses rate 0", b, n, "sample rate 0");
    refuse("refuses a short file", b, 10, "not a WAV file");
    n = build(b, 1, 1, 8000, 16, 4, 4, 0);
    refuse("refuses no data chunk", b, n - 12, "no data chunk");
    unsigned char c[64] = "RIFF\0\0\0\0WAVEdata\4\0\0\0abcd";
    refuse("refuses data before fmt", c, 24, "data chunk before the fmt chunk");
    unsigned char d[64] = "RIFF\0\0\0\0WAVEjunk\xff\xff\0\0ab";
    refuse("refuses a lying chunk size", d, 22, "'junk' chunk says 65535 bytes, file has 2");
    gan_wav w;
    th_check(gan_wav_read(path("missing.wav"), &w) == GAN_ERR_IO && strstr(gan_last_error(), "missing.wav"),
             "missing file", "%s", gan_last_error());
}

static void test_accepts(void) {
    unsigned char b[512];
    size_t n = build(b, 0xFFFE, 2, 22050, 16, 8, 8, 1);
    gan_wav w;
    gan_status s = gan_wav_parse(b, n, "ext.wav", &w);
    th_check(s == GAN_OK && w.channels == 2 && w.n_frames == 2 && w.rate == 22050 && w.pcm[0] == 0x1111,
             "reads EXTENSIBLE 16-bit PCM", "%s", s == GAN_OK ? "2 frames, stereo" : gan_last_error());
    gan_wav_free(&w);
    /* odd-sized unknown chunk (padded), trailing junk after data */
    unsigned char c[128] = "RIFF\0\0\0\0WAVEodd \3\0\0\0xyz\0fmt \x10\0\0\0\1\0\1\0\x40\x1f\0\0\x80\x3e\0\0\2\0\x10\0data\4\0\0\0\1\0\2\0TRAILING";
    s = gan_wav_parse(c, 69, "pad.wav", &w);
    th_check(s == GAN_OK && w.n_frames == 2 && w.pcm[1] == 2 && w.rate == 8000, "skips padded odd chunks",
             "%s", s == GAN_OK ? "ok" : gan_last_error());
    gan_wav_free(&w);
    float m[2];
    int16_t st[4] = {1000, 3000, -32768, 0};
    gan_wav ws = {st, 2, 2, 8000};
    gan_wav_channel_f32(&ws, -1, m);
    th_check(m[0] == 2000.0f / 32768 && m[1] == -0.5f, "channel mean", "%g %g", m[0], m[1]);
    th_check(gan_wav_write(path("x.wav"), st, 2, 3, 8000) == GAN_ERR_ARG &&
             access(path("x.wav"), F_OK) != 0, "writer refuses 3 channels", "%s", gan_last_error());
}

/* The audio sources' loader: a stereo file comes back as the mean of its channels, in the
 * x / 32768 mapping, with its rate; a missing file names itself. */
static void test_loader(void) {
    const int16_t pcm[6] = {-32768, 32767, 100, -300, 0, 7};
    GAN_ASSERT(gan_wav_write(path("st.wav"), pcm, 3, 2, 16000) == GAN_OK);
    float *x = NULL;
    int64_t n = 0;
    int rate = 0;
    gan_status s = gan_wav_loader(path("st.wav"), NULL, &x, &n, &rate);
    int ok = !s && n == 3 && rate == 16000;
    for (int i = 0; ok && i < 3; i++)
        ok = x[i] == ((float)pcm[2 * i] / 32768.0f + (float)pcm[2 * i + 1] / 32768.0f) / 2.0f;
    th_check(ok, "gan_wav_loader: stereo -> mean of channels, rate kept", "n %lld rate %d", (long long)n, rate);
    free(x);
    s = gan_wav_loader(path("none.wav"), NULL, &x, &n, &rate);
    th_check(s != GAN_OK && strstr(gan_last_error(), "none.wav"), "gan_wav_loader: a missing file is named",
             "%s", gan_last_error());
}

int main(void) {
    snprintf(dir, sizeof dir, "/tmp/gan_test_wav.%d", (int)getpid());
    char cmd[128];
    snprintf(cmd, sizeof cmd, "mkdir -p %s", dir);
    if (system(cmd) != 0) return 1;
    round_trip(1, 22050, 1000);
    round_trip(2, 44100, 777);
    round_trip(1, 7919, 3);
    round_trip(2, 1, 0);
    round_trip(1, 192001, 5000);
    test_float_mapping();
    test_refusals();
    test_accepts();
    test_loader();
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0) {}
    return th_done("test_wav");
}
