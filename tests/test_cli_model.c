/* test_cli_model.c — a model that is not in the zoo, written by hand as a spec file
 * (models/examples/dcgan_wide.json, copied to a temporary my.json), goes through the gan command
 * like a zoo model, with no C change: `gan train --model my.json` on a tiny IDX dataset written
 * here, then — with my.json deleted, so everything comes from the run folder and the
 * checkpoint — `gan info` names the model, `gan sample` writes a PNG grid and a (N, 1, 28, 28)
 * .npy, `gan train --resume` goes on from step 20 to 40, and the result equals an uninterrupted
 * 40-step run bit for bit. The gan binary is <build>/gan, next to this program's folder. */
#include "harness.h"
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static char gan_bin[PATH_MAX + 16], repo[PATH_MAX + 16], tmp[256];

#define file_exists th_exists
#define run_gan(err, n, ...) th_run_gan(gan_bin, tmp, err, n, __VA_ARGS__)

static int out_has(const char *needle) {
    char p[512], line[8192];
    snprintf(p, sizeof p, "%s/out.txt", tmp);
    FILE *f = fopen(p, "r");
    int found = 0;
    while (f && !found && fgets(line, sizeof line, f)) found = strstr(line, needle) != NULL;
    if (f) fclose(f);
    return found;
}

#define write_idx(path) th_write_blob_idx(path, NULL)

/* How many tensors of two checkpoints differ in their bytes (-1: one does not open). */
static int ckpt_diff(const char *a, const char *b, int *n_tensors) {
    gan_st_file *fa, *fb;
    if (gan_st_open(a, &fa)) return -1;
    if (gan_st_open(b, &fb)) {
        gan_st_close(fa);
        return -1;
    }
    int diff = gan_st_count(fa) != gan_st_count(fb);
    *n_tensors = gan_st_count(fa);
    for (int i = 0; i < gan_st_count(fa); i++) {
        const gan_st_info *ti = gan_st_tensor_info(fa, i);
        void *x = malloc(ti->nbytes + 1), *y = malloc(ti->nbytes + 1);
        if (gan_st_read(fa, ti->name, ti->dtype, ti->ndim, ti->shape, x) ||
            gan_st_read(fb, ti->name, ti->dtype, ti->ndim, ti->shape, y) || memcmp(x, y, ti->nbytes)) {
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

#define ARGS "--data %s/tiny-images-idx3-ubyte --batch 8 --seed 4 --threads 2 --ckpt-every 10 --sample-every 10 --log-every 5"

static void model_file(void) {
    char err[2048], my[512], p[8192], q[8192];
    snprintf(my, sizeof my, "%s/my.json", tmp);
    snprintf(p, sizeof p, "cp %s/models/examples/dcgan_wide.json %s", repo, my);
    if (system(p) || !file_exists(my)) {
        th_check(0, "copy dcgan_wide.json", "%s", p);
        return;
    }
    int rc = run_gan(err, sizeof err, "train --model %s " ARGS " --steps 20 --out %s/r", my, tmp, tmp);
    snprintf(p, sizeof p, "%s/r/checkpoints/latest.safetensors", tmp);
    th_check(rc == 0 && file_exists(p), "gan train --model my.json: 20 steps, a checkpoint", "exit %d: %s", rc, err);
    snprintf(q, sizeof q, "%s/r/model.json", tmp);
    th_check(file_exists(q), "the run folder keeps the spec as model.json", "%s", q);
    remove(my); /* from here on only the run folder and the checkpoint know the model */

    rc = run_gan(err, sizeof err, "info %s", p);
    th_check(rc == 0 && out_has("dcgan_wide") && out_has("gan.step         20"),
             "gan info names the model and step 20", "exit %d: %s", rc, err);
    snprintf(q, sizeof q, "%s/grid.png", tmp);
    rc = run_gan(err, sizeof err, "sample %s --n 9 --out %s", p, q);
    unsigned char sig[8] = {0};
    FILE *f = fopen(q, "rb");
    if (f) {
        if (fread(sig, 1, 8, f) != 8) sig[0] = 0;
        fclose(f);
    }
    th_check(rc == 0 && !memcmp(sig, "\x89PNG\r\n\x1a\n", 8), "gan sample (spec file gone) writes a PNG",
             "exit %d: %s", rc, err);
    snprintf(q, sizeof q, "%s/s.npy", tmp);
    rc = run_gan(err, sizeof err, "sample %s --n 4 --float --out %s", p, q);
    gan_npy_array a = {0};
    int ok = rc == 0 && !gan_npy_read(q, &a) && a.ndim == 4 && a.shape[0] == 4 && a.shape[1] == 1 &&
             a.shape[2] == 28 && a.shape[3] == 28;
    th_check(ok, "gan sample --float writes (4, 1, 28, 28)", "exit %d: %s", rc, err);
    gan_npy_free(&a);

    rc = run_gan(err, sizeof err, "train --resume %s/r --steps 40 --threads 2", tmp);
    th_check(rc == 0, "gan train --resume (spec file gone) to step 40", "exit %d: %s", rc, err);
    rc = run_gan(err, sizeof err, "info %s", p);
    th_check(rc == 0 && out_has("gan.step         40"), "the resumed run's checkpoint is at step 40",
             "exit %d: %s", rc, err);

    /* the same 40 steps in one go, from the same file put back */
    snprintf(q, sizeof q, "cp %s/models/examples/dcgan_wide.json %s", repo, my);
    if (system(q)) {}
    rc = run_gan(err, sizeof err, "train --model %s " ARGS " --steps 40 --out %s/full", my, tmp, tmp);
    snprintf(q, sizeof q, "%s/full/checkpoints/latest.safetensors", tmp);
    int nt = 0, diff = rc == 0 ? ckpt_diff(q, p, &nt) : -1;
    th_check(diff == 0 && nt > 0, "20 steps + resume to 40 = 40 steps straight, bit for bit",
             "exit %d, %d of %d tensors differ", rc, diff, nt);

    /* a model file that is not a GAN G(z)/D(x) is refused by name, nothing written */
    rc = run_gan(err, sizeof err, "train --model %s/models/examples/cdcgan.json " ARGS " --steps 2 --out %s/c",
                 repo, tmp, tmp);
    snprintf(q, sizeof q, "%s/c", tmp);
    th_check(rc == 1 && strstr(err, "cdcgan.json") && strstr(err, "net G") && !file_exists(q),
             "gan train refuses the conditional example with a message naming it", "exit %d: %s", rc, err);
}

int main(int argc, char **argv) {
    (void)argc;
    /* <repo>/<build>/tests/test_cli_model -> <repo>/<build>/gan and <repo> */
    snprintf(gan_bin, sizeof gan_bin, "%s", argv[0]);
    char *slash = strrchr(gan_bin, '/');
    if (slash) *slash = 0;
    else snprintf(gan_bin, sizeof gan_bin, ".");
    char dir[PATH_MAX];
    if (!realpath(gan_bin, dir)) snprintf(dir, sizeof dir, ".");
    snprintf(gan_bin, sizeof gan_bin, "%s/../gan", dir);
    snprintf(repo, sizeof repo, "%s/../..", dir);
    char probe[PATH_MAX + 64];
    snprintf(probe, sizeof probe, "%s/models/examples/dcgan_wide.json", repo);
    if (!file_exists(probe)) snprintf(repo, sizeof repo, ".");
    if (!file_exists(gan_bin)) {
        th_check(0, "gan binary", "not found at %s", gan_bin);
        return th_done("test_cli_model");
    }
    snprintf(tmp, sizeof tmp, "/tmp/gan_test_cli_model_XXXXXX");
    if (!mkdtemp(tmp)) return 1;
    char p[512];
    snprintf(p, sizeof p, "%s/tiny-images-idx3-ubyte", tmp);
    write_idx(p);
    model_file();
    snprintf(p, sizeof p, "rm -rf %s", tmp);
    if (system(p)) {}
    return th_done("test_cli_model");
}
