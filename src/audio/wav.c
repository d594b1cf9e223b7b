/* wav.c — RIFF WAVE, 16-bit PCM, mono or stereo, any rate: read from a file or bytes, write
 * atomically. Everything else is refused with one line naming the file and what it is.
 *
 * The whole file is read first, so every size in a header is checked against bytes that
 * exist: a lying header can make us allocate at most what the file holds. */
#include "io/io_internal.h"
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

/* The GUID tail every WAVE_FORMAT_EXTENSIBLE sub-format shares
 * ({xxxxxxxx-0000-0010-8000-00aa00389b71}); its first two bytes are the old format tag. */
static const uint8_t ksdata_tail[14] = {0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80,
                                        0x00, 0x00, 0xaa, 0x00, 0x38, 0x9b, 0x71};

enum { FMT_PCM = 1, FMT_FLOAT = 3, FMT_ALAW = 6, FMT_MULAW = 7, FMT_EXTENSIBLE = 0xFFFE };

typedef struct wav_fmt {
    int tag, channels, bits;
    uint32_t rate;
    int block_align;
} wav_fmt;

void gan_wav_free(gan_wav *w) {
    if (!w) return;
    free(w->pcm);
    memset(w, 0, sizeof *w);
}

/* A format tag (after unwrapping EXTENSIBLE) in words for the refusal message. */
static const char *tag_name(int tag) {
    switch (tag) {
    case FMT_FLOAT: return "IEEE float";
    case FMT_ALAW: return "A-law";
    case FMT_MULAW: return "mu-law";
    case 2: return "ADPCM (compressed)";
    case 0x11: return "IMA ADPCM (compressed)";
    case 0x55: return "MP3 (compressed)";
    default: return "compressed";
    }
}

/* Reads and checks a fmt chunk of `n` bytes. */
static gan_status parse_fmt(const char *name, const uint8_t *p, uint32_t n, wav_fmt *f) {
    if (n < 16) return gan_fail(GAN_ERR_FORMAT, "%s: fmt chunk of %u bytes (at least 16)", name, n);
    f->tag = p[0] | p[1] << 8;
    f->channels = p[2] | p[3] << 8;
    f->rate = gan_get_le32(p + 4);
    f->block_align = p[12] | p[13] << 8;
    f->bits = p[14] | p[15] << 8;
    if (f->tag == FMT_EXTENSIBLE) {
        if (n < 40) return gan_fail(GAN_ERR_FORMAT, "%s: extensible fmt chunk of %u bytes (40 expected)", name, n);
        if (memcmp(p + 26, ksdata_tail, sizeof ksdata_tail) != 0)
            return gan_fail(GAN_ERR_FORMAT, "%s: extensible format with an unknown sub-format GUID "
                            "not supported (16-bit PCM only)", name);
        f->tag = p[24] | p[25] << 8;
    }
    if (f->tag != FMT_PCM) {
        if (f->tag == FMT_FLOAT)
            return gan_fail(GAN_ERR_FORMAT, "%s: %d-bit IEEE float not supported (16-bit PCM only)", name, f->bits);
        return gan_fail(GAN_ERR_FORMAT, "%s: %s audio (format 0x%04x) not supported (16-bit PCM only)",
                        name, tag_name(f->tag), (unsigned)f->tag);
    }
    if (f->bits != 16)
        return gan_fail(GAN_ERR_FORMAT, "%s: %d-bit PCM not supported (16-bit PCM only)", name, f->bits);
    if (f->channels != 1 && f->channels != 2)
        return gan_fail(GAN_ERR_FORMAT, "%s: %d channels not supported (mono or stereo only)", name, f->channels);
    if (f->rate == 0 || f->rate > INT32_MAX)
        return gan_fail(GAN_ERR_FORMAT, "%s: sample rate %u out of range", name, f->rate);
    if (f->block_align != 2 * f->channels)
        return gan_fail(GAN_ERR_FORMAT, "%s: block align %d, expected %d for 16-bit %s", name,
                        f->block_align, 2 * f->channels, f->channels == 1 ? "mono" : "stereo");
    return GAN_OK;
}

static gan_status take_data(const char *name, const uint8_t *p, uint32_t n, const wav_fmt *f,
                            gan_wav *out) {
    if (n % (uint32_t)f->block_align)
        return gan_fail(GAN_ERR_FORMAT, "%s: data chunk of %u bytes is not a whole number of "
                        "%d-byte frames", name, n, f->block_align);
    int16_t *pcm = malloc(n ? n : 1);
    if (!pcm) return gan_fail(GAN_ERR_NOMEM, "%s: out of memory for %u bytes of samples", name, n);
    for (uint32_t i = 0; i < n / 2; i++) pcm[i] = (int16_t)(uint16_t)(p[2 * i] | p[2 * i + 1] << 8);
    out->pcm = pcm;
    out->n_frames = n / (uint32_t)f->block_align;
    out->channels = f->channels;
    out->rate = (int)f->rate;
    return GAN_OK;
}

gan_status gan_wav_parse(const void *bytes, size_t n, const char *name, gan_wav *out) {
    memset(out, 0, sizeof *out);
    const uint8_t *b = bytes;
    if (!name) name = "(memory)";
    if (n < 12 || memcmp(b, "RIFF", 4) || memcmp(b + 8, "WAVE", 4))
        return gan_fail(GAN_ERR_FORMAT, "%s: not a WAV file (no RIFF/WAVE header)", name);
    /* Many writers get the RIFF size wrong (streams leave it 0 or ~0): trust the file's end. */
    size_t end = n, pos = 12;
    wav_fmt f = {0};
    int have_fmt = 0;
    while (end - pos >= 8) {
        const uint8_t *c = b + pos;
        uint32_t size = gan_get_le32(c + 4);
        size_t left = end - pos - 8;
        pos += 8;
        if (!memcmp(c, "data", 4)) {
            if (!have_fmt) return gan_fail(GAN_ERR_FORMAT, "%s: data chunk before the fmt chunk", name);
            if (size > left)
                return gan_fail(GAN_ERR_FORMAT, "%s: truncated: data chunk says %u bytes, file has %zu",
                                name, size, left);
            return take_data(name, b + pos, size, &f, out);
        }
        if (size > left)
            return gan_fail(GAN_ERR_FORMAT, "%s: truncated: '%.4s' chunk says %u bytes, file has %zu",
                            name, (const char *)c, size, left);
        if (!memcmp(c, "fmt ", 4)) {
            if (have_fmt) return gan_fail(GAN_ERR_FORMAT, "%s: two fmt chunks", name);
            gan_status s = parse_fmt(name, b + pos, size, &f);
            if (s != GAN_OK) return s;
            have_fmt = 1;
        }
        /* anything else (LIST, fact, cue ...) is skipped; chunks are padded to even sizes */
        pos += size;
        if ((size & 1) && pos < end) pos++;
    }
    return gan_fail(GAN_ERR_FORMAT, "%s: %s", name, have_fmt ? "no data chunk" : "no fmt chunk");
}

gan_status gan_wav_read(const char *path, gan_wav *out) {
    memset(out, 0, sizeof *out);
    FILE *fp = fopen(path, "rb");
    if (!fp) return gan_fail(GAN_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fileno(fp), &st) != 0 || !S_ISREG(st.st_mode)) {
        fclose(fp);
        return gan_fail(GAN_ERR_IO, "%s: not a regular file", path);
    }
    size_t n = (size_t)st.st_size;
    uint8_t *buf = malloc(n ? n : 1);
    if (!buf) {
        fclose(fp);
        return gan_fail(GAN_ERR_NOMEM, "%s: out of memory for %zu bytes", path, n);
    }
    size_t got = fread(buf, 1, n, fp);
    fclose(fp);
    gan_status s = got == n ? gan_wav_parse(buf, n, path, out)
                            : gan_fail(GAN_ERR_IO, "%s: read %zu of %zu bytes", path, got, n);
    free(buf);
    return s;
}

static void put_le32(uint8_t *p, uint32_t v) {
    gan_put_le16(p, (uint16_t)(v & 0xFFFF));
    gan_put_le16(p + 2, (uint16_t)(v >> 16));
}

gan_status gan_wav_write(const char *path, const int16_t *pcm, int64_t n_frames, int channels,
                         int rate) {
    if (channels != 1 && channels != 2)
        return gan_fail(GAN_ERR_ARG, "%s: %d channels (WAV writer: 1 or 2)", path, channels);
    if (rate <= 0 || (uint64_t)rate * 2u * (unsigned)channels > UINT32_MAX)
        return gan_fail(GAN_ERR_ARG, "%s: sample rate %d out of range (1 .. %u for %d channel(s))",
                        path, rate, UINT32_MAX / (2u * (unsigned)channels), channels);
    uint64_t bytes = (uint64_t)(n_frames < 0 ? 0 : n_frames) * 2u * (unsigned)channels;
    if (n_frames < 0 || bytes > UINT32_MAX - 36)
        return gan_fail(GAN_ERR_ARG, "%s: %lld frames do not fit a WAV file (4 GiB)", path,
                        (long long)n_frames);
    uint8_t h[44];
    memcpy(h, "RIFF", 4);
    put_le32(h + 4, (uint32_t)(36 + bytes));
    memcpy(h + 8, "WAVEfmt ", 8);
    put_le32(h + 16, 16);
    gan_put_le16(h + 20, FMT_PCM);
    gan_put_le16(h + 22, (uint16_t)channels);
    put_le32(h + 24, (uint32_t)rate);
    put_le32(h + 28, (uint32_t)((uint64_t)rate * 2u * (unsigned)channels));
    gan_put_le16(h + 32, (uint16_t)(2 * channels));
    gan_put_le16(h + 34, 16);
    memcpy(h + 36, "data", 4);
    put_le32(h + 40, (uint32_t)bytes);
    gan_atomic_file *f;
    gan_status s = gan_atomic_open(path, &f);
    if (s != GAN_OK) return s;
    gan_atomic_write(f, h, sizeof h);
    uint8_t chunk[8192];
    int64_t n = n_frames * channels;
    for (int64_t i = 0; i < n;) {
        size_t k = 0;
        for (; k < sizeof chunk && i < n; k += 2, i++) gan_put_le16(chunk + k, (uint16_t)pcm[i]);
        gan_atomic_write(f, chunk, k);
    }
    return gan_atomic_commit(f);
}

void gan_pcm16_to_f32(const int16_t *in, int64_t n, float *out) {
    for (int64_t i = 0; i < n; i++) out[i] = (float)in[i] / 32768.0f;
}

/* Round half away from zero, clamp to [-32768, 32767], NaN -> 0: x/32768 of any int16 maps
 * back to that int16 exactly (the product is exact in float). */
void gan_f32_to_pcm16(const float *in, int64_t n, int16_t *out) {
    for (int64_t i = 0; i < n; i++) {
        float v = in[i] * 32768.0f;
        if (!(v == v)) v = 0;
        v = v < -32768.0f ? -32768.0f : v > 32767.0f ? 32767.0f : v;
        out[i] = (int16_t)lrintf(roundf(v));
    }
}

gan_status gan_wav_write_f32(const char *path, const float *x, int64_t n_frames, int channels,
                             int rate) {
    if (n_frames < 0 || channels < 1 || channels > 2)
        return gan_wav_write(path, NULL, n_frames, channels, rate);   /* its message */
    int16_t *pcm = malloc((size_t)(n_frames * channels) * 2 + 2);
    if (!pcm) return gan_fail(GAN_ERR_NOMEM, "%s: out of memory", path);
    gan_f32_to_pcm16(x, n_frames * channels, pcm);
    gan_status s = gan_wav_write(path, pcm, n_frames, channels, rate);
    free(pcm);
    return s;
}

void gan_wav_channel_f32(const gan_wav *w, int channel, float *out) {
    GAN_ASSERT(channel >= -1 && channel < w->channels);
    for (int64_t i = 0; i < w->n_frames; i++) {
        const int16_t *fr = w->pcm + i * w->channels;
        if (channel >= 0) out[i] = (float)fr[channel] / 32768.0f;
        else {
            float s = 0;
            for (int c = 0; c < w->channels; c++) s += (float)fr[c] / 32768.0f;
            out[i] = s / (float)w->channels;
        }
    }
}

gan_status gan_wav_loader(const char *path, void *ud, float **samples, int64_t *n, int *rate) {
    (void)ud;
    *samples = NULL;
    gan_wav w = {0};
    gan_status st = gan_wav_read(path, &w);
    if (st) return st;
    *samples = malloc(sizeof(float) * (size_t)(w.n_frames > 0 ? w.n_frames : 1));
    if (!*samples) st = gan_fail(GAN_ERR_NOMEM, "%s: out of memory", path);
    else gan_wav_channel_f32(&w, -1, *samples);
    *n = w.n_frames;
    *rate = w.rate;
    gan_wav_free(&w);
    return st;
}
