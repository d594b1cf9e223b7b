/* source_audio.c — "audio:INDEX": lines IMAGE<TAB>SOUND, a picture and a sound per sample.
 * Sounds are read through the caller's gan_audio_loader (the WAV reader lives in src/audio),
 * so this file knows no sound format. Every sound must have the first one's rate. "audio" is
 * (B, L): a sound longer than L is cut, a shorter one padded with zeros; "audio_length" holds
 * min(length, L), exact as a float since L <= 2^24. */
#include "data_internal.h"
#include <stdlib.h>

#define AUDIO_MAX_SAMPLES ((int64_t)1 << 24)

typedef struct {
    float **v;
    int64_t *len;
    size_t n;
} sounds;

static void sounds_free(sounds *a) {
    for (size_t i = 0; a->v && i < a->n; i++) free(a->v[i]);
    free(a->v), free(a->len);
}

static gan_status read_sounds(const char *path, const gan_index *ix, const gan_source_opts *o,
                              sounds *a, int *rate) {
    a->v = calloc(ix->n, sizeof *a->v);
    a->len = calloc(ix->n, sizeof *a->len);
    a->n = ix->n;
    if (!a->v || !a->len) return gan_fail(GAN_ERR_NOMEM, "%s: out of memory", path);
    for (size_t i = 0; i < ix->n; i++) {
        int line = ix->e[i].line, r = 0;
        char *p = gan_index_resolve(path, ix->e[i].value);
        if (!p) return gan_fail(GAN_ERR_NOMEM, "%s: out of memory", path);
        gan_status st = o->audio_loader(p, o->audio_ud, &a->v[i], &a->len[i], &r);
        if (st) st = gan_fail(st, "%s:%d: %s", path, line, gan_last_error());
        else if (a->len[i] < 1) st = gan_fail(GAN_ERR_FORMAT, "%s:%d: %s: no samples", path, line, p);
        else if (i == 0 && r < 1) st = gan_fail(GAN_ERR_FORMAT, "%s:%d: %s: rate %d Hz", path, line, p, r);
        else if (i > 0 && r != *rate)
            st = gan_fail(GAN_ERR_MISMATCH, "%s:%d: %s: %d Hz, but the first sound is %d Hz",
                          path, line, p, r, *rate);
        if (i == 0) *rate = r;
        free(p);
        if (st) return st;
    }
    return GAN_OK;
}

static gan_status add_audio(gan_source *s, const char *path, const sounds *a, int64_t L, int rate) {
    gan_src_field *f = gan_source_add_field(s, "audio", GAN_FIELD_AUDIO, 0, 1, (const int[]){(int)L});
    gan_src_field *fl = f ? gan_source_add_field(s, "audio_length", GAN_FIELD_INT, 0, 0, NULL) : NULL;
    if (!fl) return GAN_ERR_ARG;
    f->info.rate = rate;
    f->f32 = (size_t)L <= SIZE_MAX / sizeof(float) / a->n ? calloc(a->n * (size_t)L, sizeof(float)) : NULL;
    fl->f32 = malloc(a->n * sizeof(float));
    if (!f->f32 || !fl->f32)
        return gan_fail(GAN_ERR_NOMEM, "%s: out of memory for %zu sounds of %lld samples", path,
                        a->n, (long long)L);
    for (size_t i = 0; i < a->n; i++) {
        int64_t keep = a->len[i] < L ? a->len[i] : L;
        memcpy(f->f32 + i * (size_t)L, a->v[i], sizeof(float) * (size_t)keep);
        fl->f32[i] = (float)keep;
    }
    return GAN_OK;
}

gan_status gan_source_open_audio(const char *path, const gan_source_opts *o, gan_source **out) {
    if (!o->audio_loader)
        return gan_fail(GAN_ERR_ARG, "%s: an audio source needs a sound loader (audio_loader)", path);
    gan_index ix;
    gan_status st = gan_index_read(path, &ix);
    if (st) return st;
    sounds a = {0};
    int rate = 0;
    gan_u8_images im = {0};
    gan_source *s = NULL;
    st = gan_index_check_paths(path, &ix);
    if (!st) st = read_sounds(path, &ix, o, &a, &rate);
    int64_t L = o->audio_samples;
    for (size_t i = 0; !st && o->audio_samples <= 0 && i < a.n; i++) L = a.len[i] > L ? a.len[i] : L;
    if (!st && L > AUDIO_MAX_SAMPLES)
        st = gan_fail(GAN_ERR_ARG, "%s: sounds of %lld samples: at most 2^24 per sample (set "
                      "audio_samples to cut them)", path, (long long)L);
    if (!st) st = gan_index_images_load(path, &ix, o, &im);
    if (!st && !(s = gan_source_alloc("audio"))) st = gan_fail(GAN_ERR_NOMEM, "out of memory");
    if (!st) st = gan_source_add_images(s, "image", 0, &im);
    if (!st) st = add_audio(s, path, &a, L, rate);
    if (!st && !gan_source_add_field(s, "index", GAN_FIELD_INDEX, 0, 0, NULL)) st = GAN_ERR_ARG;
    sounds_free(&a);
    gan_u8_images_free(&im);
    gan_index_free(&ix);
    if (st) {
        gan_source_free(s);
        return st;
    }
    return gan_source_finish(s, o->seed, out);
}
