/* test_data_speech.c — `gan data speech` end to end: the WAVs and the index agree (every file
 * named exists, reads back with the index's sample count, phonemes inside it), and bad input
 * (invalid UTF-8, unknown voice, out-of-range pitch, missing texts) exits with one line
 * naming the problem and writes nothing. The gan binary is <build>/gan. */
#include "harness.h"
#include <cJSON.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static char gan_bin[4096], tmp[64];

#define run_gan(err, n, ...) th_run_gan(gan_bin, tmp, err, n, __VA_ARGS__)

static void write_file(const char *path, const char *text) {
    FILE *f = fopen(path, "wb");
    fputs(text, f);
    fclose(f);
}

#define exists th_exists

/* Checks each index line against its WAV; returns the number of lines that agree. */
static int check_index(const char *dir, int *lines) {
    char p[256];
    snprintf(p, sizeof p, "%s/index.jsonl", dir);
    FILE *f = fopen(p, "r");
    char line[65536];
    int good = 0;
    *lines = 0;
    while (f && fgets(line, sizeof line, f)) {
        (*lines)++;
        cJSON *j = cJSON_Parse(line);
        const char *file = cJSON_GetStringValue(cJSON_GetObjectItem(j, "file"));
        double ns = cJSON_GetNumberValue(cJSON_GetObjectItem(j, "n_samples"));
        cJSON *ph = cJSON_GetObjectItem(j, "phonemes");
        gan_wav w = {0};
        snprintf(p, sizeof p, "%s/%s", dir, file ? file : "?");
        int ok = file && gan_wav_read(p, &w) == GAN_OK && w.n_frames == (int64_t)ns && w.rate == 22050 &&
                 w.channels == 1 && cJSON_GetArraySize(ph) > 3;
        double prev_end = 0;
        for (int i = 0; ok && i < cJSON_GetArraySize(ph); i++) {
            cJSON *e = cJSON_GetArrayItem(ph, i);
            double s = cJSON_GetNumberValue(cJSON_GetArrayItem(e, 1)), en = cJSON_GetNumberValue(cJSON_GetArrayItem(e, 2));
            ok = s >= prev_end && en >= s && en <= ns;
            prev_end = en;
        }
        good += ok;
        gan_wav_free(&w);
        cJSON_Delete(j);
    }
    if (f) fclose(f);
    return good;
}

static void test_build(void) {
    char texts[128], out[128], err[2048];
    snprintf(texts, sizeof texts, "%s/texts.txt", tmp);
    snprintf(out, sizeof out, "%s/set", tmp);
    write_file(texts, "Hello world.\n# not spoken\n\nA café, naïvely.\n");
    int rc = run_gan(err, sizeof err, "data speech --texts %s --voices en-us,en-us+f3 --pitch 30,70 --out %s", texts, out);
    int lines, good = check_index(out, &lines);
    th_check(rc == 0 && lines == 8 && good == 8, "data speech builds", "exit %d, %d index lines, %d agree "
             "with their WAVs (2 texts x 2 voices x 2 pitches)", rc, lines, good);
    char p[256];
    snprintf(p, sizeof p, "%s/000008.wav", out);
    th_check(!exists(p), "no extra files", "000008.wav absent");
}

static void refuse(const char *what, int want_rc, const char *want_msg, const char *texts_content,
                   const char *flags) {
    char texts[128], out[128], err[2048];
    snprintf(texts, sizeof texts, "%s/bad.txt", tmp);
    snprintf(out, sizeof out, "%s/never", tmp);
    if (texts_content) write_file(texts, texts_content);
    else unlink(texts);
    int rc = run_gan(err, sizeof err, "data speech --texts %s --out %s %s", texts, out, flags);
    th_check(rc == want_rc && strstr(err, want_msg) && !exists(out), what, "exit %d: %s", rc, err);
}

int main(int argc, char **argv) {
    (void)argc;
    if (!th_gan_find(argv[0], gan_bin, sizeof gan_bin)) {
        th_check(0, "gan binary", "not found at %s", gan_bin);
        return th_done("test_data_speech");
    }
    snprintf(tmp, sizeof tmp, "/tmp/gan_test_speech_XXXXXX");
    if (!mkdtemp(tmp)) return 1;
    test_build();
    refuse("invalid UTF-8 refused", 1, "bad.txt:2: invalid UTF-8", "fine\nbad \xff line\n", "");
    refuse("unknown voice refused", 2, "unknown voice 'zz-nope'", "Hello.\n", "--voices en-us,zz-nope");
    refuse("pitch out of range refused", 2, "--pitch: speech: pitch 140 out of range", "Hello.\n", "--pitch 50,140");
    refuse("bad list refused", 2, "--rate: '1x0' is not a comma-separated list", "Hello.\n", "--rate 1x0");
    refuse("missing texts refused", 1, "bad.txt: cannot open", NULL, "");
    refuse("no texts refused", 1, "bad.txt: no texts", "# only a comment\n\n", "");
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmp);
    if (system(cmd)) {}
    return th_done("test_data_speech");
}
