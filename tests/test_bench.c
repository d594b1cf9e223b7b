/* test_bench.c — `gan bench`: its JSON line (fields present, times positive and ordered), its
 * FLOP count against the PyTorch twin's (bench/torch_bench.py counts them with forward hooks
 * on the same models: the numbers below are its output for batch 2), --winograd ab's paired
 * medians, and bad flags.
 * The gan binary is found next to the tests folder: <build>/gan. */
#include "harness.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

static char gan_bin[4096];

/* Runs gan bench with args; stdout into out; returns the exit code. */
static int run_bench(const char *args, char *out, size_t n) {
    char cmd[8192];
    snprintf(cmd, sizeof cmd, "%s bench %s 2>/dev/null", gan_bin, args);
    FILE *p = popen(cmd, "r");
    if (!p) return -1;
    size_t got = fread(out, 1, n - 1, p);
    out[got] = 0;
    int st = pclose(p);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

/* the number after "key": in a one-line JSON object, or NAN */
static double field(const char *json, const char *key) {
    char pat[64];
    snprintf(pat, sizeof pat, "\"%s\": ", key);
    const char *s = strstr(json, pat);
    return s ? strtod(s + strlen(pat), NULL) : NAN;
}

int main(int argc, char **argv) {
    (void)argc;
    snprintf(gan_bin, sizeof gan_bin, "%s", argv[0]);
    char *slash = strrchr(gan_bin, '/');
    if (slash) *slash = 0;
    slash = strrchr(gan_bin, '/');
    if (slash) snprintf(slash, sizeof gan_bin - (size_t)(slash - gan_bin), "/gan");
    else snprintf(gan_bin, sizeof gan_bin, "../gan");

    /* GFLOP per iteration of the PyTorch twin at batch 2 (9 F_D + 3 F_G) */
    const struct { const char *model; double gflop; } ref[] = {
        {"mlp", 0.036983808}, {"dcgan28", 0.325667328}, {"dcgan64", 4.992958464}};
    for (int i = 0; i < 3; i++) {
        char args[256], out[4096];
        snprintf(args, sizeof args, "--model %s --batch 2 --iters 2 --warmup 1 --threads 1 --json", ref[i].model);
        int rc = run_bench(args, out, sizeof out);
        double med = field(out, "median_ms"), mn = field(out, "min_ms"), gf = field(out, "gflop_per_iter");
        double rss = field(out, "peak_rss_mb");
        th_check(rc == 0 && strstr(out, "\"impl\": \"gan.c\"") && med > 0 && mn > 0 && mn <= med && rss > 0,
                 ref[i].model, "exit %d, median %.3f ms, min %.3f ms, peak RSS %.1f MB", rc, med, mn, rss);
        th_check(fabs(gf - ref[i].gflop) < 1e-6, ref[i].model, "GFLOP/iter %.9f (PyTorch twin %.9f)", gf, ref[i].gflop);
    }
    char out[4096];
    /* --winograd ab: Winograd on and off every other iteration, both medians reported (batch 64:
     * DCGAN-28's 64 <-> 128 convs take the Winograd path there) */
    int rc = run_bench("--model dcgan28 --batch 64 --iters 2 --warmup 1 --threads 1 --winograd ab --json",
                       out, sizeof out);
    double on = field(out, "median_ms"), off = field(out, "off_median_ms");
    th_check(rc == 0 && strstr(out, "\"winograd\": \"ab\"") && on > 0 && off > 0 && field(out, "off_iters") == 1,
             "--winograd ab", "exit %d, on %.1f ms, off %.1f ms", rc, on, off);
    th_check(run_bench("--winograd x", out, sizeof out) == 2, "--winograd x: exit 2", "%s", "");
    th_check(run_bench("--model resnet", out, sizeof out) == 2, "unknown model: exit 2", "%s", "");
    th_check(run_bench("--iters 0", out, sizeof out) == 2, "--iters 0: exit 2", "%s", "");
    th_check(run_bench("--batch x", out, sizeof out) == 2, "--batch x: exit 2", "%s", "");
    return th_done("test_bench");
}
