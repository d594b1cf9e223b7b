/* sample.c — `gan sample CKPT --n N --seed S --out X.png | X.npy | DIR`. */
#include "gan.h"
#include "cli.h"
#include "progress.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define CMD "sample"

static int ends_with(const char *s, const char *suf) {
    size_t a = strlen(s), b = strlen(suf);
    return a >= b && !strcmp(s + a - b, suf);
}

static void sample_progress(void *ud, int done, int n) { progress_update(ud, done, NULL, done == n); }

int cmd_sample(int argc, char **argv) {
    int n = 64, threads = 0, nrow = 0, batch = 256;
    int64_t seed = 1;
    const char *out = NULL, *save_z = NULL;
    int raw = 0, no_ema = 0;
    cli_flag flags[] = {
        {"--n", FLAG_INT, &n, "number of samples [64]", 0},
        {"--seed", FLAG_I64, &seed, "noise seed [1]", 0},
        {"--out", FLAG_STR, &out, "X.png (one grid), X.npy (uint8 N,H,W[,C]) or a folder (one PNG each)", 0},
        {"--nrow", FLAG_INT, &nrow, "grid columns [sqrt(n)]", 0},
        {"--batch", FLAG_INT, &batch, "samples generated at once [256]", 0},
        {"--threads", FLAG_INT, &threads, "threads (0 = all cores) [0]", 0},
        {"--float", FLAG_BOOL, &raw, "with .npy: write G's raw float32 output (N,C,H,W) in [-1,1]", 0},
        {"--save-z", FLAG_STR, &save_z, "also write the noise used, float32 (N, nz), to this .npy", 0},
        {"--no-ema", FLAG_BOOL, &no_ema, "use G's own weights even when the checkpoint has EMA weights", 0},
    };
    const char *pos[1];
    int npos;
    int rc = cli_parse(CMD, "CKPT --out X.png|X.npy|DIR [--n N --seed S]", argc, argv, flags,
                       (int)(sizeof flags / sizeof flags[0]), pos, 1, &npos);
    if (rc) return rc < 0 ? CLI_OK : rc;
    if (npos != 1) return cli_error(CMD, CLI_USAGE, "give one checkpoint (e.g. RUN/checkpoints/latest.safetensors)");
    if (!out) return cli_error(CMD, CLI_USAGE, "--out is required (X.png, X.npy or a folder)");
    if (n < 1 || n > 10000000) return cli_error(CMD, CLI_USAGE, "--n must be in 1..10000000 (got %d)", n);
    if (batch < 1) return cli_error(CMD, CLI_USAGE, "--batch must be at least 1");
    if (nrow < 0) return cli_error(CMD, CLI_USAGE, "--nrow must be positive");
    if (raw && !ends_with(out, ".npy")) return cli_error(CMD, CLI_USAGE, "--float needs --out X.npy");
    int to_png = ends_with(out, ".png"), to_npy = ends_with(out, ".npy");
    gan_set_threads(threads);

    gan_model *m;
    if (gan_checkpoint_load_model(pos[0], !no_ema, &m)) return cli_error(CMD, CLI_RUNTIME, "%s", gan_last_error());
    const gan_model_info *c = gan_model_get_info(m);
    int64_t per = (int64_t)c->channels * c->size * c->size;
    float *all = malloc(sizeof(float) * (size_t)per * (size_t)n);
    if (!all) {
        gan_model_free(m);
        return cli_error(CMD, CLI_RUNTIME, "out of memory for %d samples", n);
    }
    /* the noise of sample i is row i of one draw keyed by (seed, stream 0): the same
     * samples come out whatever --batch is */
    float *z = gan_model_noise(m, n, (uint64_t)seed, 0);
    progress pr;
    progress_start(&pr, "sample", 0, n);
    gan_model_sample(m, NULL, NULL, z, n, batch, all, sample_progress, &pr);
    progress_end(&pr);
    gan_status s = GAN_OK;
    if (save_z) s = gan_npy_write_f32(save_z, z, 2, (const int[]){n, c->nz});
    gan_free(z);
    if (s) {
        free(all);
        gan_model_free(m);
        return cli_error(CMD, CLI_RUNTIME, "%s", gan_last_error());
    }
    if (to_png) {
        int cols = nrow;
        if (!cols) while ((cols + 1) * (cols + 1) <= n) cols++;
        s = gan_png_write_grid(out, all, n, c->channels, c->size, c->size, cols, 2);
    } else if (to_npy && raw) {
        s = gan_npy_write_f32(out, all, 4, (const int[]){n, c->channels, c->size, c->size});
    } else if (to_npy) {
        s = gan_npy_write_images(out, all, n, c->channels, c->size, c->size);
    } else {
        s = GAN_OK;
        if (mkdir(out, 0777) && errno != EEXIST) s = gan_fail(GAN_ERR_IO, "--out %s: cannot create folder: %s", out, strerror(errno));
        char path[4200];
        for (int i = 0; i < n && !s; i++) {
            snprintf(path, sizeof path, "%s/%06d.png", out, i);
            s = gan_png_write_image(path, all + per * i, c->channels, c->size, c->size);
        }
    }
    free(all);
    gan_model_free(m);
    if (s) return cli_error(CMD, CLI_RUNTIME, "%s", gan_last_error());
    fprintf(stderr, "gan sample: wrote %d samples to %s\n", n, out);
    return CLI_OK;
}
