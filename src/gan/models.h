/* models.h — the model zoo's declarations (moved into gan.h once the io section lands). */
#ifndef GAN_MODELS_H
#define GAN_MODELS_H
#include "gan.h"

/* ------------------------------------------------------------------ model zoo (src/gan) */

typedef enum gan_model_kind {
    GAN_MODEL_MLP,     /* G nz-256-512-1024-C*H*W, D C*H*W-512-256-1, LeakyReLU 0.2, tanh */
    GAN_MODEL_DCGAN28, /* the 28x28 DCGAN: linear->128x7x7, two conv-transposes; conv D */
    GAN_MODEL_DCGAN,   /* pytorch/examples' DCGAN for 32/64/128 pixels, --ngf/--ndf */
} gan_model_kind;

typedef struct gan_model_config {
    gan_model_kind kind;
    int nz;           /* noise dimension (100) */
    int channels;     /* image channels */
    int size;         /* image height = width */
    int ngf, ndf;     /* DCGAN widths (64) */
} gan_model_config;

typedef struct gan_model gan_model;

/* Checks the configuration (GAN_ERR_ARG with a message naming the bad value), builds G and D
 * and initialises them from `seed` (DCGAN init: conv and BN weights N(0,0.02)/N(1,0.02)). */
gan_status gan_model_new(const gan_model_config *cfg, uint64_t seed, gan_model **out);
void gan_model_free(gan_model *m);
const char *gan_model_kind_name(gan_model_kind k);
gan_status gan_model_kind_parse(const char *s, gan_model_kind *out);
const gan_model_config *gan_model_cfg(const gan_model *m);
gan_net *gan_model_G(gan_model *m);
gan_net *gan_model_D(gan_model *m);
/* z (N, nz) -> images (N, C, size, size) in [-1, 1] */
gan_tensor *gan_model_generate(gan_ctx *ctx, gan_model *m, gan_tensor *z);
/* images (N, C, size, size) -> logits (N, 1) */
gan_tensor *gan_model_discriminate(gan_ctx *ctx, gan_model *m, gan_tensor *x);

#endif
