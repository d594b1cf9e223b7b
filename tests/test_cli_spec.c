/* test_cli_spec.c — `gan train --model FILE.json` with a user's spec, on the built-in ring8
 * points (no dataset needed): a malformed spec exits 1 with one line on stderr naming the file
 * and the block, and creates no run folder; a setting the spec's "require" refuses exits 2;
 * a good spec trains and writes its model.json.
 * The gan binary is found next to the tests folder: <build>/gan. */
#include "harness.h"
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

static char gan_bin[4096], tmp[256];

#define exists th_exists

/* Writes tmp/<name> with a G for ring8 (channels 2, size 1) and D's blocks as given. */
static void write_spec(const char *name, const char *d_blocks) {
    char p[512];
    snprintf(p, sizeof p, "%s/%s", tmp, name);
    FILE *f = fopen(p, "w");
    fprintf(f, "{\"params\": {\"nz\": 4, \"channels\": 1, \"size\": 28},\n"
               " \"require\": [[\"nz <= 1000\", \"nz {nz} is too big for this model\"]],\n"
               " \"nets\": [\n"
               "  {\"name\": \"G\", \"inputs\": {\"z\": [\"nz\"]}, \"blocks\": [\n"
               "    {\"block\": \"linear\", \"name\": \"l0\", \"out\": 16}, {\"block\": \"relu\"},\n"
               "    {\"block\": \"linear\", \"name\": \"l1\", \"out\": \"channels*size*size\"}, {\"block\": \"tanh\"},\n"
               "    {\"block\": \"reshape\", \"shape\": [\"channels\", \"size\", \"size\"]}]},\n"
               "  {\"name\": \"D\", \"inputs\": {\"image\": [\"channels\", \"size\", \"size\"]}, \"blocks\": [\n"
               "    %s]}]}\n", d_blocks);
    fclose(f);
}

/* Runs `gan train --model tmp/<spec> --data ring8 --out tmp/<out> extra`: the exit code, and
 * stderr (all of it) in err. */
static int train(const char *spec, const char *out, const char *extra, char *err, size_t n) {
    char cmd[8192], p[512];
    snprintf(p, sizeof p, "%s/err.txt", tmp);
    snprintf(cmd, sizeof cmd, "%s train --model %s/%s --data ring8 --out %s/%s --threads 1 %s 2>%s >/dev/null",
             gan_bin, tmp, spec, tmp, out, extra, p);
    int st = system(cmd);
    FILE *f = fopen(p, "r");
    size_t k = f ? fread(err, 1, n - 1, f) : 0;
    err[k] = 0;
    if (f) fclose(f);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* One refused spec: exit code want, one line naming the file and each word, no run folder. */
static void refused(const char *what, const char *file, const char *d_blocks, const char *extra, int want, ...) {
    char err[4096], out[600];
    if (d_blocks) write_spec(file, d_blocks);
    int rc = train(file, "run", extra, err, sizeof err);
    size_t len = strlen(err);
    int one_line = len > 0 && err[len - 1] == '\n' && strchr(err, '\n') == err + len - 1;
    if (one_line) err[len - 1] = 0;
    /* a setting refused (exit 2) is worded by the spec's "require", which names the model */
    const char *missing = want == 2 || strstr(err, file) ? NULL : file;
    va_list ap;
    va_start(ap, want);
    for (const char *w; (w = va_arg(ap, const char *));)
        if (!missing && !strstr(err, w)) missing = w;
    va_end(ap);
    snprintf(out, sizeof out, "%s/run", tmp);
    th_check(rc == want && one_line && !missing && !exists(out), what, "exit %d, %s%s%s, run folder %s: %s",
             rc, one_line ? "one line" : "not one line", missing ? ", without " : "", missing ? missing : "",
             exists(out) ? "made" : "absent", err);
}

int main(int argc, char **argv) {
    (void)argc;
    if (!th_gan_find(argv[0], gan_bin, sizeof gan_bin)) {
        th_check(0, "gan binary", "not found at %s", gan_bin);
        return th_done("test_cli_spec");
    }
    snprintf(tmp, sizeof tmp, "/tmp/gan_test_cli_spec_XXXXXX");
    if (!mkdtemp(tmp)) return 1;

    char p[512];
    snprintf(p, sizeof p, "%s/broken.json", tmp);
    FILE *f = fopen(p, "w");
    fputs("{\n  \"nets\": [\n    {oops}\n  ]\n}\n", f);
    fclose(f);
    refused("not JSON: exit 1, the file and line", "broken.json", NULL, "--steps 2", 1, "not valid JSON", "line 3", NULL);
    refused("unknown block: exit 1, the block named", "unknown.json",
            "{\"block\": \"flatten\"}, {\"block\": \"lineer\", \"out\": 1}", "--steps 2", 1, "net D, block 1", "unknown block 'lineer'", NULL);
    refused("a misspelt required option", "option.json",
            "{\"block\": \"flatten\"}, {\"block\": \"linear\", \"otu\": 1}", "--steps 2", 1, "block 1 (linear D.1)", "missing option 'out'", NULL);
    refused("an unknown option", "unknown_option.json",
            "{\"block\": \"flatten\"}, {\"block\": \"linear\", \"out\": 1, \"bais\": false}", "--steps 2", 1,
            "block 1 (linear D.1)", "unknown option 'bais'", NULL);
    refused("wrong-typed option", "typed.json",
            "{\"block\": \"flatten\"}, {\"block\": \"linear\", \"out\": 1, \"bias\": [true]}", "--steps 2", 1,
            "block 1 (linear D.1)", "option 'bias'", NULL);
    refused("shapes that do not chain", "shapes.json", "{\"block\": \"linear\", \"out\": 1}", "--steps 2", 1,
            "block 0 (linear D.0)", "needs a flat input", NULL);
    refused("an input nothing produces", "input.json",
            "{\"block\": \"flatten\"}, {\"block\": \"linear\", \"out\": 1, \"in\": \"nope\"}", "--steps 2", 1,
            "block 1 (linear D.1)", "input 'nope'", NULL);
    refused("10^12 parameters: refused, not allocated", "huge.json",
            "{\"block\": \"flatten\"}, {\"block\": \"linear\", \"name\": \"big\", \"out\": 1000000},"
            "{\"block\": \"linear\", \"name\": \"huge\", \"out\": 1000000}", "--steps 2", 1,
            "block 2 (linear huge)", "more than 2^31 values", NULL);
    refused("a setting the spec's require refuses: exit 2", "setting.json",
            "{\"block\": \"flatten\"}, {\"block\": \"linear\", \"out\": 1}", "--steps 2 --nz 2000", 2,
            "nz 2000 is too big", NULL);
    /* ring8 is 2 channels of 1x1 */
    write_spec("good.json", "{\"block\": \"flatten\"}, {\"block\": \"linear\", \"name\": \"l0\", \"out\": 8},"
                            "{\"block\": \"leaky_relu\"}, {\"block\": \"linear\", \"name\": \"l1\", \"out\": 1}");
    char err[4096];
    int rc = train("good.json", "good", "--steps 2 --log-every 1", err, sizeof err);
    snprintf(p, sizeof p, "%s/good/model.json", tmp);
    th_check(rc == 0 && exists(p), "a good user spec trains on ring8 and writes model.json", "exit %d: %s", rc, err);

    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmp);
    if (system(cmd)) {}
    return th_done("test_cli_spec");
}
