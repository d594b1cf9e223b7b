/* espeak.c — eSpeak NG into memory: AUDIO_OUTPUT_SYNCHRONOUS hands each block of samples and
 * the events inside it to a callback; with espeakINITIALIZE_PHONEME_EVENTS the events include
 * every phoneme, whose `sample` field is its first sample counted from the start of the
 * message (checked: it resets for each espeak_Synth call). eSpeak NG is one global
 * synthesiser, so every entry point takes the lock. */
#include "gan.h"
#include <espeak-ng/speak_lib.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static int rate_hz;   /* 0: not initialised */

typedef struct synth_buf {
    int16_t *pcm;
    int64_t n, cap;
    gan_phoneme *ph;
    int n_ph, cap_ph;
    int oom;
} synth_buf;

gan_speech_opts gan_speech_opts_default(void) {
    gan_speech_opts o = {"en-us", 50, espeakRATE_NORMAL, 100};
    return o;
}

void gan_speech_free(gan_speech *s) {
    if (!s) return;
    free(s->pcm);
    free(s->phonemes);
    memset(s, 0, sizeof *s);
}

static int grow(void **p, int64_t *cap, int64_t need, size_t size) {
    if (need <= *cap) return 1;
    int64_t c = *cap ? *cap : 4096;
    while (c < need) c *= 2;
    void *q = realloc(*p, (size_t)c * size);
    if (!q) return 0;
    *p = q;
    *cap = c;
    return 1;
}

static void add_phoneme(synth_buf *b, const espeak_EVENT *e) {
    int64_t cap = b->cap_ph;
    if (!grow((void **)&b->ph, &cap, b->n_ph + 1, sizeof *b->ph)) {
        b->oom = 1;
        return;
    }
    b->cap_ph = (int)cap;
    gan_phoneme *p = &b->ph[b->n_ph++];
    memset(p, 0, sizeof *p);
    memcpy(p->name, e->id.string, sizeof e->id.string);   /* not terminated when 8 bytes */
    p->start = e->sample;
}

/* eSpeak calls this with n samples (n = 0 at the end) and the events up to that point. */
static int on_synth(short *wav, int n, espeak_EVENT *ev) {
    synth_buf *b = ev ? ev->user_data : NULL;
    if (!b) return 0;
    for (; ev->type != espeakEVENT_LIST_TERMINATED; ev++)
        if (ev->type == espeakEVENT_PHONEME) add_phoneme(b, ev);
    if (n > 0 && wav) {
        if (!grow((void **)&b->pcm, &b->cap, b->n + n, sizeof *b->pcm)) {
            b->oom = 1;
            return 1;   /* non-zero: stop synthesis */
        }
        memcpy(b->pcm + b->n, wav, sizeof(short) * (size_t)n);
        b->n += n;
    }
    return b->oom;
}

/* Called with the lock held. espeakINITIALIZE_DONT_EXIT: without it eSpeak exit()s when its
 * data is missing. */
static gan_status ensure_init(void) {
    if (rate_hz > 0) return GAN_OK;
    int r = espeak_Initialize(AUDIO_OUTPUT_SYNCHRONOUS, 200, NULL,
                              espeakINITIALIZE_PHONEME_EVENTS | espeakINITIALIZE_DONT_EXIT);
    if (r <= 0) return gan_fail(GAN_ERR_IO, "espeak-ng: cannot initialise (is espeak-ng-data installed?)");
    espeak_SetSynthCallback(on_synth);
    rate_hz = r;
    return GAN_OK;
}

static gan_status unknown_voice(const char *voice) {
    return gan_fail(GAN_ERR_ARG, "speech: unknown voice '%s' (espeak-ng --voices lists them; "
                    "a variant is added as \"en-us+f3\")", voice);
}

int gan_speech_voice_exists(const char *voice) {
    pthread_mutex_lock(&lock);
    int ok = voice && *voice && ensure_init() == GAN_OK && espeak_SetVoiceByName(voice) == EE_OK;
    pthread_mutex_unlock(&lock);
    return ok;
}

static gan_status check_ranges(const gan_speech_opts *o) {
    if (!o->voice || !*o->voice) return gan_fail(GAN_ERR_ARG, "speech: empty voice name");
    if (o->pitch < 0 || o->pitch > 100)
        return gan_fail(GAN_ERR_ARG, "speech: pitch %d out of range (0 .. 100)", o->pitch);
    if (o->rate < espeakRATE_MINIMUM || o->rate > espeakRATE_MAXIMUM)
        return gan_fail(GAN_ERR_ARG, "speech: rate %d out of range (%d .. %d words per minute)",
                        o->rate, espeakRATE_MINIMUM, espeakRATE_MAXIMUM);
    if (o->amplitude < 0 || o->amplitude > 200)
        return gan_fail(GAN_ERR_ARG, "speech: amplitude %d out of range (0 .. 200)", o->amplitude);
    return GAN_OK;
}

gan_status gan_speech_opts_check(const gan_speech_opts *o) {
    gan_status s = check_ranges(o);
    if (s == GAN_OK && !gan_speech_voice_exists(o->voice)) s = unknown_voice(o->voice);
    return s;
}

/* Ends from the next start; clamps starts into the utterance and into order (eSpeak's times
 * are already ordered; the clamps make the promise in gan.h hold whatever it reports). */
static void close_phonemes(synth_buf *b) {
    for (int i = 0; i < b->n_ph; i++) {
        gan_phoneme *p = &b->ph[i];
        if (p->start > b->n) p->start = b->n;
        if (i && p->start < b->ph[i - 1].start) p->start = b->ph[i - 1].start;
    }
    for (int i = 0; i < b->n_ph; i++) b->ph[i].end = i + 1 < b->n_ph ? b->ph[i + 1].start : b->n;
}

static gan_status synth_locked(const char *text, const gan_speech_opts *o, synth_buf *b) {
    gan_status s = ensure_init();
    if (s != GAN_OK) return s;
    if (espeak_SetVoiceByName(o->voice) != EE_OK) return unknown_voice(o->voice);
    espeak_SetParameter(espeakPITCH, o->pitch, 0);
    espeak_SetParameter(espeakRATE, o->rate, 0);
    espeak_SetParameter(espeakVOLUME, o->amplitude, 0);
    espeak_ERROR e = espeak_Synth(text, strlen(text) + 1, 0, POS_CHARACTER, 0, espeakCHARS_UTF8,
                                  NULL, b);
    if (b->oom) return gan_fail(GAN_ERR_NOMEM, "speech: out of memory");
    if (e != EE_OK) return gan_fail(GAN_ERR_IO, "speech: espeak-ng failed (error %d)", (int)e);
    return GAN_OK;
}

gan_status gan_speech_synth(const char *text, const gan_speech_opts *o, gan_speech *out) {
    memset(out, 0, sizeof *out);
    gan_status s = check_ranges(o);
    if (s != GAN_OK) return s;
    if (!text) return gan_fail(GAN_ERR_ARG, "speech: no text");
    synth_buf b = {0};
    pthread_mutex_lock(&lock);
    s = synth_locked(text, o, &b);
    int rate = rate_hz;
    pthread_mutex_unlock(&lock);
    if (s != GAN_OK) {
        free(b.pcm), free(b.ph);
        return s;
    }
    close_phonemes(&b);
    out->pcm = b.pcm ? b.pcm : calloc(1, sizeof(int16_t));
    out->n_samples = b.n;
    out->rate = rate;
    out->phonemes = b.ph;
    out->n_phonemes = b.n_ph;
    return GAN_OK;
}

void gan_speech_shutdown(void) {
    pthread_mutex_lock(&lock);
    if (rate_hz > 0) espeak_Terminate();
    rate_hz = 0;
    pthread_mutex_unlock(&lock);
}
