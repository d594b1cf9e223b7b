/* test_cli.c — the gan command end to end on a tiny IDX dataset written here:
 *  - bad input: exit codes (2 usage, 1 runtime) and one-line messages naming the flag/file;
 *  - resume: a run killed (SIGKILL, at random instants) and resumed until done ends with
 *    exactly the bits of a run that never stopped;
 *  - kill at any instant: after every kill the latest checkpoint loads;
 *  - sample: PNG grid, .npy and folder outputs.
 * The gan binary is found next to the tests folder: <build>/gan. */
#include <stdarg.h>
#include "harness.h"
#include <errno.h>
#include <math.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static char gan_bin[4096], tmp[256];

#define run_gan(err, n, ...) th_run_gan(gan_bin, tmp, err, n, __VA_ARGS__)

/* A 64-image IDX file (28x28 smooth blobs) with labels, in dir. */
static void write_idx(const char *dir) {
    char im[512], lb[512];
    snprintf(im, sizeof im, "%s/tiny-images-idx3-ubyte", dir);
    snprintf(lb, sizeof lb, "%s/tiny-labels-idx1-ubyte", dir);
    th_write_blob_idx(im, lb);
}

#define file_exists th_exists

/* All tensors of two checkpoints equal bit for bit? Returns the number of differing tensors. */
static int compare_ckpts(const char *a, const char *b, int *n_tensors) {
    gan_st_file *fa, *fb;
    if (gan_st_open(a, &fa) || gan_st_open(b, &fb)) return -1;
    int diff = 0;
    *n_tensors = gan_st_count(fa);
    if (gan_st_count(fb) != *n_tensors) diff++;
    for (int i = 0; i < gan_st_count(fa); i++) {
        const gan_st_info *ti = gan_st_tensor_info(fa, i);
        /* raw bytes of whatever dtype (BN counters are I64) */
        void *x = malloc(ti->nbytes + 1), *y = malloc(ti->nbytes + 1);
        if (gan_st_read(fa, ti->name, ti->dtype, ti->ndim, ti->shape, x) ||
            gan_st_read(fb, ti->name, ti->dtype, ti->ndim, ti->shape, y) ||
            memcmp(x, y, ti->nbytes)) {
            printf("      differs: %s\n", ti->name);
            diff++;
        }
        free(x);
        free(y);
    }
    gan_st_close(fa);
    gan_st_close(fb);
    return diff;
}

static void bad_input(void) {
    char err[2048];
    int rc = run_gan(err, sizeof err, "train --data %s/tiny-images-idx3-ubyte --out %s/r --steps abc", tmp, tmp);
    th_check(rc == 2 && strstr(err, "--steps"), "usage error names the flag", "exit %d: %s", rc, err);
    rc = run_gan(err, sizeof err, "train --data %s/tiny-images-idx3-ubyte --out %s/r --bogus 1", tmp, tmp);
    th_check(rc == 2 && strstr(err, "--bogus"), "unknown flag", "exit %d: %s", rc, err);
    rc = run_gan(err, sizeof err, "train --data %s/missing.idx --out %s/r", tmp, tmp);
    th_check(rc == 1 && strstr(err, "missing.idx"), "missing data file named", "exit %d: %s", rc, err);
    char rdir[512];
    snprintf(rdir, sizeof rdir, "%s/r", tmp);
    th_check(!file_exists(rdir), "nothing written for a failed start", "%s", rdir);
    /* wrong magic: the label file given as images */
    rc = run_gan(err, sizeof err, "train --data %s/tiny-labels-idx1-ubyte --out %s/r", tmp, tmp);
    th_check(rc == 1 && strstr(err, "tiny-labels-idx1-ubyte") && strstr(err, "magic"), "wrong magic named", "exit %d: %s", rc, err);
    /* truncated file */
    char p[512], q[512];
    snprintf(p, sizeof p, "%s/tiny-images-idx3-ubyte", tmp);
    snprintf(q, sizeof q, "%s/trunc-images-idx3-ubyte", tmp);
    FILE *in = fopen(p, "rb"), *out = fopen(q, "wb");
    for (int i = 0; i < 16 + 28 * 28 * 10; i++) fputc(fgetc(in), out);
    fclose(in);
    fclose(out);
    rc = run_gan(err, sizeof err, "train --data %s --out %s/r", q, tmp);
    th_check(rc == 1 && strstr(err, "trunc-images"), "truncated file named", "exit %d: %s", rc, err);
    rc = run_gan(err, sizeof err, "sample %s --out %s/x.png", p, tmp);
    th_check(rc == 1 && strstr(err, "tiny-images"), "sample of a non-checkpoint", "exit %d: %s", rc, err);
    rc = run_gan(err, sizeof err, "frobnicate");
    th_check(rc == 2, "unknown command", "exit %d", rc);
    rc = run_gan(NULL, 0, "train --help");
    th_check(rc == 0, "train --help", "exit %d", rc);
}

#define TRAIN_ARGS "--data %s/tiny-images-idx3-ubyte --batch 8 --seed 7 --threads 2 --ckpt-every 2 --sample-every 5 --log-every 1"

static void resume_exact(void) {
    char err[2048], a[512], b[512];
    int rc = run_gan(err, sizeof err, "train " TRAIN_ARGS " --out %s/full --steps 16", tmp, tmp);
    th_check(rc == 0, "uninterrupted run", "exit %d %s", rc, err);
    /* the same run, killed with SIGKILL at random instants and resumed each time */
    char cmd[8192];
    snprintf(cmd, sizeof cmd, "%s train " TRAIN_ARGS " --out %s/killed --steps 16", gan_bin, tmp, tmp);
    srand(12345);
    int kills = 0, loads_ok = 0, resumes = 0;
    snprintf(a, sizeof a, "%s/killed/checkpoints/latest.safetensors", tmp);
    for (int attempt = 0; attempt < 25; attempt++) {
        pid_t pid = fork();
        if (pid == 0) {
            int devnull = open("/dev/null", O_WRONLY);
            dup2(devnull, 1);
            dup2(devnull, 2);
            if (attempt == 0) execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
            char r[8192];
            snprintf(r, sizeof r, "exec %s train --resume %s/killed", gan_bin, tmp);
            execl("/bin/sh", "sh", "-c", r, (char *)NULL);
            _exit(127);
        }
        if (attempt > 0) resumes++;
        /* kill somewhere in the first ~0.6 s of this life (loading data, training, writing) */
        struct timespec d = {0, (long)(rand() % 400) * 1000000L};
        nanosleep(&d, NULL);
        int st;
        if (waitpid(pid, &st, WNOHANG) == pid) { /* it finished before the kill */
            if (WIFEXITED(st) && WEXITSTATUS(st) == 0) break;
            continue;
        }
        kill(pid, SIGKILL);
        waitpid(pid, &st, 0);
        kills++;
        if (file_exists(a)) {
            gan_st_file *f;
            if (gan_st_open(a, &f) == GAN_OK) {
                loads_ok++;
                gan_st_close(f);
            } else {
                printf("      after kill %d: %s\n", kills, gan_last_error());
            }
        } else {
            loads_ok++; /* killed before the first checkpoint: nothing to load, nothing broken */
            /* a run killed before config.json exists must start over, not resume */
            char cfg[512];
            snprintf(cfg, sizeof cfg, "%s/killed/config.json", tmp);
            if (!file_exists(cfg)) attempt = -1;
        }
    }
    th_check(kills >= 3 && loads_ok == kills, "checkpoint readable after every SIGKILL", "%d kills, %d readable, %d resumes", kills, loads_ok, resumes);
    /* finish whatever is left */
    rc = run_gan(err, sizeof err, "train --resume %s/killed", tmp);
    th_check(rc == 0, "final resume", "exit %d %s", rc, err);
    snprintf(a, sizeof a, "%s/full/checkpoints/step_000016.safetensors", tmp);
    snprintf(b, sizeof b, "%s/killed/checkpoints/step_000016.safetensors", tmp);
    int n = 0, diff = compare_ckpts(a, b, &n);
    th_check(diff == 0 && n > 0, "killed+resumed run is bit-identical", "%d of %d tensors differ", diff, n);
    /* resuming a finished run with more steps continues it */
    rc = run_gan(err, sizeof err, "train --resume %s/full --steps 18", tmp);
    th_check(rc == 0, "extend a finished run", "exit %d %s", rc, err);
    rc = run_gan(err, sizeof err, "train " TRAIN_ARGS " --out %s/full --steps 16", tmp, tmp);
    th_check(rc == 2 && strstr(err, "--resume"), "refuses to overwrite a run", "exit %d: %s", rc, err);
    /* no stale temp files are visible as checkpoints */
    snprintf(a, sizeof a, "%s/full/metrics.jsonl", tmp);
    FILE *f = fopen(a, "r");
    int lines = 0;
    char line[1024];
    while (f && fgets(line, sizeof line, f)) lines++;
    if (f) fclose(f);
    th_check(lines == 18, "metrics.jsonl has one line per logged step", "%d lines", lines);
}

static void sampling(void) {
    char err[2048], p[512];
    int rc = run_gan(err, sizeof err, "sample %s/full/checkpoints/latest.safetensors --n 20 --seed 2 --out %s/s.npy", tmp, tmp);
    snprintf(p, sizeof p, "%s/s.npy", tmp);
    gan_npy_array arr;
    int ok = rc == 0 && gan_npy_read(p, &arr) == GAN_OK;
    th_check(ok && arr.ndim == 3 && arr.shape[0] == 20 && arr.shape[1] == 28 && arr.dtype == GAN_DTYPE_U8,
             "sample --out .npy (N,H,W) uint8", "exit %d", rc);
    /* the same seed gives the same samples whatever the batch */
    rc = run_gan(err, sizeof err, "sample %s/full/checkpoints/latest.safetensors --n 20 --seed 2 --batch 7 --out %s/s2.npy", tmp, tmp);
    snprintf(p, sizeof p, "%s/s2.npy", tmp);
    gan_npy_array arr2;
    int same = ok && rc == 0 && gan_npy_read(p, &arr2) == GAN_OK && !memcmp(arr.data, arr2.data, (size_t)arr.numel);
    th_check(same, "samples independent of --batch", "%s", "");
    if (ok) gan_npy_free(&arr);
    if (same) gan_npy_free(&arr2);
    rc = run_gan(err, sizeof err, "sample %s/full/checkpoints/latest.safetensors --n 9 --out %s/grid.png", tmp, tmp);
    snprintf(p, sizeof p, "%s/grid.png", tmp);
    th_check(rc == 0 && file_exists(p), "sample --out grid.png", "exit %d", rc);
    rc = run_gan(err, sizeof err, "sample %s/full/checkpoints/latest.safetensors --n 3 --out %s/dir", tmp, tmp);
    snprintf(p, sizeof p, "%s/dir/000002.png", tmp);
    th_check(rc == 0 && file_exists(p), "sample --out folder", "exit %d", rc);
    snprintf(p, sizeof p, "%s/full/samples/latest.png", tmp);
    th_check(file_exists(p), "run folder has samples/latest.png", "%s", "");
    rc = run_gan(err, sizeof err, "info %s/full/checkpoints/latest.safetensors", tmp);
    th_check(rc == 0, "info", "exit %d", rc);
}

/* gan eval trains and caches the dataset's classifier (tiny here), then judges samples;
 * train --eval-every keeps the lowest-FID checkpoint as best.safetensors. */
static void evaluation(void) {
    char err[2048], p[1024], cache[512];
    snprintf(cache, sizeof cache, "%s/cache", tmp);
    setenv("GAN_CACHE", cache, 1);
    int rc = run_gan(err, sizeof err, "eval %s/s.npy --data %s/tiny-images-idx3-ubyte --metrics fid,kid --json", tmp, tmp);
    snprintf(p, sizeof p, "%s/classifier-tiny-images-idx3-ubyte.safetensors", cache);
    th_check(rc == 0 && file_exists(p), "eval trains and caches a classifier", "exit %d %s", rc, err);
    rc = run_gan(err, sizeof err, "eval %s/s.npy --data %s/tiny-images-idx3-ubyte --metrics fid --json", tmp, tmp);
    th_check(rc == 0, "eval with the cached classifier", "exit %d %s", rc, err);
    rc = run_gan(err, sizeof err, "eval %s/s.npy --data %s/tiny-images-idx3-ubyte --metrics fud", tmp, tmp);
    th_check(rc == 2 && strstr(err, "--metrics"), "eval names a bad metric", "exit %d: %s", rc, err);
    rc = run_gan(err, sizeof err, "train " TRAIN_ARGS " --out %s/ev --steps 8 --eval-every 2 --eval-n 16", tmp, tmp);
    th_check(rc == 0, "train --eval-every", "exit %d %s", rc, err);
    /* the best checkpoint holds the lowest FID of metrics.jsonl */
    snprintf(p, sizeof p, "%s/ev/metrics.jsonl", tmp);
    FILE *f = fopen(p, "r");
    double best = 1e300;
    int n_fid = 0;
    char line[1024];
    while (f && fgets(line, sizeof line, f)) {
        char *q = strstr(line, "\"fid\": ");
        if (!q) continue;
        double v = atof(q + 7);
        n_fid++;
        if (v < best) best = v;
    }
    if (f) fclose(f);
    char v[64] = "";
    snprintf(p, sizeof p, "%s/ev/checkpoints/best.safetensors", tmp);
    int ok = file_exists(p) && gan_checkpoint_meta(p, "gan.fid", v, sizeof v) == GAN_OK;
    th_check(ok && n_fid == 4 && fabs(atof(v) - best) <= 1e-6 * fabs(best), "best.safetensors has the lowest FID",
             "%d evaluations, best %g, file says %s", n_fid, best, v);
    unsetenv("GAN_CACHE");
}

/* --time-limit stops cleanly with a step checkpoint; a resume keeps the training clock going. */
static double last_seconds(const char *path) {
    FILE *f = fopen(path, "r");
    double sec = -1;
    char line[1024];
    while (f && fgets(line, sizeof line, f)) {
        char *q = strstr(line, "\"seconds\": ");
        if (q) sec = atof(q + 11);
    }
    if (f) fclose(f);
    return sec;
}

static void time_limit(void) {
    char err[4096], p[600];
    int rc = run_gan(err, sizeof err, "train " TRAIN_ARGS " --out %s/tl --steps 1000000 --time-limit 0.3", tmp, tmp);
    char *q = strstr(err, "reached at step ");
    long k = q ? atol(q + 16) : -1;
    snprintf(p, sizeof p, "%s/tl/checkpoints/step_%06ld.safetensors", tmp, k);
    th_check(rc == 0 && k > 0 && k < 1000000 && file_exists(p), "--time-limit stops with a step checkpoint",
             "exit %d, step %ld: %s", rc, k, err);
    snprintf(p, sizeof p, "%s/tl/metrics.jsonl", tmp);
    double s1 = last_seconds(p);
    th_check(s1 >= 0.3, "--time-limit: the last metrics line is the stop", "seconds %.3f", s1);
    rc = run_gan(err, sizeof err, "train --resume %s/tl --steps %ld", tmp, k + 2);
    double s2 = last_seconds(p);
    th_check(rc == 0 && s2 > s1, "resume: the training clock goes on", "exit %d, seconds %.3f then %.3f", rc, s1, s2);
    rc = run_gan(err, sizeof err, "train --resume %s/tl --steps %ld --time-limit -1", tmp, k + 4);
    th_check(rc == 2 && strstr(err, "--time-limit"), "--time-limit -1 is refused", "exit %d: %s", rc, err);
}

/* The integer after "key": in a JSON file (-1 when missing). */
static long json_int(const char *path, const char *key) {
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    char buf[8192], want[64];
    size_t got = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[got] = 0;
    snprintf(want, sizeof want, "\"%s\":", key);
    char *q = strstr(buf, want);
    return q ? strtol(q + strlen(want), NULL, 10) : -1;
}

/* The ResNet on 28x28 data: natively 28x28 by default, padded to 32 with --size 32 (what runs
 * made before the native model recorded). Either run resumes bit for bit on the same 28x28
 * files, and its checkpoint samples at its own size and is judged by gan eval (the 32x32
 * samples on their 28x28 centre). Runs after evaluation(), whose classifier is cached. */
static void resnet_28(void) {
    const char *names[2] = {"rn28", "rn32"}, *size_flag[2] = {"", "--size 32"};
    const int sizes[2] = {28, 32};
    for (int k = 0; k < 2; k++) {
        char err[2048], p[600], q[600], name[96];
        const char *r = names[k];
        int rc = run_gan(err, sizeof err, "train --model resnet --ngf 8 --ndf 8 --preset hinge-sn %s --data "
                         "%s/tiny-images-idx3-ubyte --batch 8 --threads 1 --ckpt-every 2 --out %s/%s_full --steps 3",
                         size_flag[k], tmp, tmp, r);
        int rc1 = run_gan(err, sizeof err, "train --model resnet --ngf 8 --ndf 8 --preset hinge-sn %s --data "
                          "%s/tiny-images-idx3-ubyte --batch 8 --threads 1 --ckpt-every 2 --out %s/%s --steps 2",
                          size_flag[k], tmp, tmp, r);
        int rc2 = run_gan(err, sizeof err, "train --resume %s/%s --steps 3", tmp, r);
        snprintf(p, sizeof p, "%s/%s/config.json", tmp, r);
        long size = json_int(p, "size");
        snprintf(name, sizeof name, "resnet %d on 28x28 data: config.json says size %d", sizes[k], sizes[k]);
        th_check(rc == 0 && rc1 == 0 && size == sizes[k], name, "exit %d, %d, size %ld: %s", rc, rc1, size, err);
        snprintf(p, sizeof p, "%s/%s/checkpoints/latest.safetensors", tmp, r);
        snprintf(q, sizeof q, "%s/%s_full/checkpoints/latest.safetensors", tmp, r);
        int nt = 0, diff = rc2 == 0 ? compare_ckpts(p, q, &nt) : -1;
        snprintf(name, sizeof name, "resnet %d on 28x28 data resumes bit-exactly", sizes[k]);
        th_check(diff == 0 && nt > 0, name, "exit %d, %d of %d tensors differ: %s", rc2, diff, nt, err);
        snprintf(q, sizeof q, "%s/%s.npy", tmp, r);
        rc = run_gan(err, sizeof err, "sample %s --n 4 --float --out %s", p, q);
        gan_npy_array a = {0};
        int ok = rc == 0 && !gan_npy_read(q, &a) && a.ndim == 4 && a.shape[0] == 4 && a.shape[1] == 1 &&
                 a.shape[2] == sizes[k] && a.shape[3] == sizes[k];
        snprintf(name, sizeof name, "resnet %d: gan sample writes (4, 1, %d, %d)", sizes[k], sizes[k], sizes[k]);
        th_check(ok, name, "exit %d: %s", rc, err);
        gan_npy_free(&a);
        rc = run_gan(err, sizeof err, "eval %s --n 16 --data %s/tiny-images-idx3-ubyte --metrics fid --json", p, tmp);
        snprintf(name, sizeof name, "resnet %d: gan eval judges its checkpoint", sizes[k]);
        th_check(rc == 0, name, "exit %d: %s", rc, err);
    }
}

int main(int argc, char **argv) {
    (void)argc;
    /* <build>/tests/test_cli -> <build>/gan */
    snprintf(gan_bin, sizeof gan_bin, "%s", argv[0]);
    char *slash = strrchr(gan_bin, '/');
    if (slash) *slash = 0;
    else snprintf(gan_bin, sizeof gan_bin, ".");
    strncat(gan_bin, "/../gan", sizeof gan_bin - strlen(gan_bin) - 1);
    if (!file_exists(gan_bin)) {
        th_check(0, "gan binary", "not found at %s", gan_bin);
        return th_done("test_cli");
    }
    snprintf(tmp, sizeof tmp, "/tmp/gan_test_cli_XXXXXX");
    if (!mkdtemp(tmp)) return 1;
    write_idx(tmp);
    bad_input();
    resume_exact();
    sampling();
    evaluation();
    time_limit();
    resnet_28();
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmp);
    if (system(cmd)) {}
    return th_done("test_cli");
}
