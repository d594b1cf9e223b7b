/* run_config.h — a training run's settings, as flags and as RUN/config.json. */
#ifndef GAN_RUN_CONFIG_H
#define GAN_RUN_CONFIG_H
#include "gan.h"
#include <stdint.h>

typedef struct run_config {
    const char *model;     /* mlp | dcgan (dcgan28 is chosen for 28x28 data) */
    const char *data;
    const char *out;
    int64_t steps;
    int batch, n_critic, nz, ngf, ndf, size, channels, threads;
    float lr_g, lr_d, beta1, beta2;
    int64_t seed;
    int sample_every, ckpt_every, log_every;
    const char *loss, *optim, *d_norm;   /* bce|lsgan|wgan|hinge, adam|rmsprop, batch|layer|none */
    float gp, r1, clip, ema;
    int r1_every, sn;
    int pyramid;                          /* ResNet widths double as the grid halves */
    int eval_every, eval_n;               /* FID/KID every K steps on N samples (0: off) */
    char strings[6][4096]; /* storage for the strings when read from JSON */
} run_config;

void run_config_defaults(run_config *c);
/* Serialises to JSON (caller frees with free()). */
char *run_config_to_json(const run_config *c, int pretty);
/* Reads RUN/config.json; GAN_ERR_* with a message naming the file. */
gan_status run_config_load(const char *path, run_config *c);
#endif
