/* data_speech.c — `gan data speech`: every (text, voice, pitch, rate, amplitude) spoken by
 * espeak-ng into DIR/NNNNNN.wav, and DIR/index.jsonl, one JSON object per WAV. Everything the
 * run needs is checked before the first file is written; each WAV is written atomically and
 * the index last, so an index never names a file that is not complete. */
#include "cli.h"
#include "progress.h"
#include <cJSON.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define CMD "data speech"
#define MAX_LIST 64

static const char *usage_line =
    "--texts FILE --out DIR [--voices LIST] [--pitch LIST] [--rate LIST] [--amplitude LIST]\n\n"
    "Speaks every text with every combination of the listed settings (comma-separated lists)\n"
    "into DIR/000000.wav ... (16-bit PCM, 22,050 Hz mono) and writes DIR/index.jsonl last:\n"
    "  {\"file\", \"text\", \"voice\", \"pitch\", \"rate\", \"amplitude\", \"sample_rate\",\n"
    "   \"n_samples\", \"phonemes\": [[name, start, end], ...]}  (sample indices, end exclusive)\n"
    "FILE: one UTF-8 text per line; empty lines and lines starting with '#' are skipped.\n"
    "Voices: espeak-ng names with an optional variant (en-us, en-us+f3, en-gb+m2, de ...).";

typedef struct int_list {
    int v[MAX_LIST];
    int n;
} int_list;

static int parse_ints(const char *flag, const char *s, int_list *l) {
    l->n = 0;
    while (*s) {
        char *end;
        errno = 0;
        long x = strtol(s, &end, 10);
        if (end == s || errno || x < -100000 || x > 100000 || (*end && *end != ','))
            return cli_error(CMD, CLI_USAGE, "%s: '%s' is not a comma-separated list of integers", flag, s);
        if (l->n == MAX_LIST) return cli_error(CMD, CLI_USAGE, "%s: more than %d values", flag, MAX_LIST);
        l->v[l->n++] = (int)x;
        s = *end ? end + 1 : end;
    }
    return l->n ? 0 : cli_error(CMD, CLI_USAGE, "%s: empty list", flag);
}

/* Splits a copy of s at commas into voices (pointers into *buf). */
static int parse_voices(const char *s, char **buf, const char **v, int *n) {
    *buf = strdup(s);
    *n = 0;
    for (char *save = NULL, *t = strtok_r(*buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        if (*n == MAX_LIST) return cli_error(CMD, CLI_USAGE, "--voices: more than %d voices", MAX_LIST);
        v[(*n)++] = t;
    }
    return *n ? 0 : cli_error(CMD, CLI_USAGE, "--voices: empty list");
}

/* The settings of one utterance, from its number k (texts vary slowest, amplitudes fastest). */
typedef struct plan {
    const gan_text_lines *texts;
    const char **voices;
    int n_voices;
    int_list pitch, rate, amp;
} plan;

static int64_t plan_size(const plan *p) {
    return (int64_t)p->texts->n * p->n_voices * p->pitch.n * p->rate.n * p->amp.n;
}

static const char *plan_item(const plan *p, int64_t k, gan_speech_opts *o) {
    o->amplitude = p->amp.v[k % p->amp.n], k /= p->amp.n;
    o->rate = p->rate.v[k % p->rate.n], k /= p->rate.n;
    o->pitch = p->pitch.v[k % p->pitch.n], k /= p->pitch.n;
    o->voice = p->voices[k % p->n_voices], k /= p->n_voices;
    return p->texts->text[k];
}

/* Every setting is tried (ranges, voice names) before anything is written. */
static int check_plan(const plan *p) {
    gan_speech_opts o = gan_speech_opts_default();
    for (int i = 0; i < p->n_voices; i++) {
        o.voice = p->voices[i];
        if (gan_speech_opts_check(&o) != GAN_OK) return cli_error(CMD, CLI_USAGE, "--voices: %s", gan_last_error());
    }
    const struct { const char *flag; const int_list *l; int *field; } lists[] = {
        {"--pitch", &p->pitch, &o.pitch}, {"--rate", &p->rate, &o.rate}, {"--amplitude", &p->amp, &o.amplitude}};
    for (int j = 0; j < 3; j++) {
        gan_speech_opts d = gan_speech_opts_default();
        o = d;
        for (int i = 0; i < lists[j].l->n; i++) {
            *lists[j].field = lists[j].l->v[i];
            if (gan_speech_opts_check(&o) != GAN_OK)
                return cli_error(CMD, CLI_USAGE, "%s: %s", lists[j].flag, gan_last_error());
        }
    }
    return 0;
}

static cJSON *index_line(const char *file, const char *text, const gan_speech_opts *o,
                         const gan_speech *s) {
    cJSON *j = cJSON_CreateObject(), *ph = cJSON_CreateArray();
    cJSON_AddStringToObject(j, "file", file);
    cJSON_AddStringToObject(j, "text", text);
    cJSON_AddStringToObject(j, "voice", o->voice);
    cJSON_AddNumberToObject(j, "pitch", o->pitch);
    cJSON_AddNumberToObject(j, "rate", o->rate);
    cJSON_AddNumberToObject(j, "amplitude", o->amplitude);
    cJSON_AddNumberToObject(j, "sample_rate", s->rate);
    cJSON_AddNumberToObject(j, "n_samples", (double)s->n_samples);
    for (int i = 0; i < s->n_phonemes; i++) {
        cJSON *e = cJSON_CreateArray();
        cJSON_AddItemToArray(e, cJSON_CreateString(s->phonemes[i].name));
        cJSON_AddItemToArray(e, cJSON_CreateNumber((double)s->phonemes[i].start));
        cJSON_AddItemToArray(e, cJSON_CreateNumber((double)s->phonemes[i].end));
        cJSON_AddItemToArray(ph, e);
    }
    cJSON_AddItemToObject(j, "phonemes", ph);
    return j;
}

/* Appends s and a newline to the growing buffer *b (length *n, capacity *cap). */
static int append(char **b, size_t *n, size_t *cap, const char *s) {
    size_t l = strlen(s);
    if (*n + l + 2 > *cap) {
        size_t c = (*cap ? *cap * 2 : 1 << 16) + l;
        char *nb = realloc(*b, c);
        if (!nb) return 0;
        *b = nb, *cap = c;
    }
    memcpy(*b + *n, s, l);
    (*b)[*n + l] = '\n';
    *n += l + 1;
    return 1;
}

static int run(const plan *p, const char *out) {
    int64_t total = plan_size(p);
    char *idx = NULL, path[4096];
    size_t n = 0, cap = 0;
    progress pr;
    progress_start(&pr, "speech", 0, total);
    for (int64_t k = 0; k < total; k++) {
        gan_speech_opts o;
        const char *text = plan_item(p, k, &o);
        gan_speech s;
        char file[32];
        snprintf(file, sizeof file, "%06lld.wav", (long long)k);
        snprintf(path, sizeof path, "%s/%s", out, file);
        if (gan_speech_synth(text, &o, &s) != GAN_OK || gan_wav_write(path, s.pcm, s.n_samples, 1, s.rate) != GAN_OK) {
            free(idx);
            return cli_error(CMD, CLI_RUNTIME, "%s", gan_last_error());
        }
        cJSON *j = index_line(file, text, &o, &s);
        char *line = cJSON_PrintUnformatted(j);
        int ok = line && append(&idx, &n, &cap, line);
        free(line);
        cJSON_Delete(j);
        gan_speech_free(&s);
        if (!ok) return free(idx), cli_error(CMD, CLI_RUNTIME, "out of memory for the index");
        progress_update(&pr, k + 1, NULL, k + 1 == total);
    }
    progress_end(&pr);
    snprintf(path, sizeof path, "%s/index.jsonl", out);
    gan_status st = gan_write_file_atomic(path, idx ? idx : "", n);
    free(idx);
    if (st != GAN_OK) return cli_error(CMD, CLI_RUNTIME, "%s", gan_last_error());
    printf("%lld utterances in %s, index %s\n", (long long)total, out, path);
    return CLI_OK;
}

int cmd_data_speech(int argc, char **argv) {
    const char *texts_path = NULL, *out = NULL, *voices = "en-us", *pitch = "50", *rate = "175",
               *amp = "100";
    cli_flag flags[] = {
        {"--texts", FLAG_STR, &texts_path, "text file, one utterance per line (required)", 0},
        {"--out", FLAG_STR, &out, "output folder, created if missing (required)", 0},
        {"--voices", FLAG_STR, &voices, "voices, comma-separated (default en-us)", 0},
        {"--pitch", FLAG_STR, &pitch, "base pitches 0..100 (default 50)", 0},
        {"--rate", FLAG_STR, &rate, "speeds 80..450 words per minute (default 175)", 0},
        {"--amplitude", FLAG_STR, &amp, "volumes 0..200 (default 100)", 0},
    };
    const char *pos[1];
    int npos, nf = (int)(sizeof flags / sizeof flags[0]);
    int rc = cli_parse(CMD, usage_line, argc, argv, flags, nf, pos, 0, &npos);
    if (rc) return rc < 0 ? CLI_OK : rc;
    if (!texts_path) return cli_error(CMD, CLI_USAGE, "--texts is required");
    if (!out) return cli_error(CMD, CLI_USAGE, "--out is required");
    plan p = {0};
    const char *vlist[MAX_LIST];
    char *vbuf = NULL;
    gan_text_lines texts = {0};
    p.texts = &texts;
    p.voices = vlist;
    rc = parse_voices(voices, &vbuf, vlist, &p.n_voices);
    if (!rc) rc = parse_ints("--pitch", pitch, &p.pitch);
    if (!rc) rc = parse_ints("--rate", rate, &p.rate);
    if (!rc) rc = parse_ints("--amplitude", amp, &p.amp);
    if (!rc && gan_text_lines_read(texts_path, &texts) != GAN_OK) rc = cli_error(CMD, CLI_RUNTIME, "%s", gan_last_error());
    if (!rc && texts.n == 0) rc = cli_error(CMD, CLI_RUNTIME, "%s: no texts", texts_path);
    if (!rc) rc = check_plan(&p);
    if (!rc && mkdir(out, 0777) != 0 && errno != EEXIST)
        rc = cli_error(CMD, CLI_RUNTIME, "%s: cannot create the folder: %s", out, strerror(errno));
    if (!rc) rc = run(&p, out);
    gan_text_lines_free(&texts);
    free(vbuf);
    gan_speech_shutdown();
    return rc;
}
