/* trainer.h — the alternating GAN trainer (moves into gan.h with the zoo). */
#ifndef GAN_TRAINER_H
#define GAN_TRAINER_H
#include "models.h"

typedef struct gan_train_opts {
    int batch;            /* 64 */
    int n_critic;         /* D steps per G step (1) */
    float lr_g, lr_d;     /* 2e-4 */
    float beta1, beta2;   /* 0.5, 0.999 (DCGAN) */
    uint64_t seed;        /* noise and data order */
} gan_train_opts;

gan_train_opts gan_train_opts_default(void);

typedef struct gan_trainer {
    gan_model *model;     /* borrowed */
    gan_train_opts opts;
    gan_adam opt_g, opt_d;
    int64_t step;         /* D steps done; the noise of step k is stream 2k+1 of opts.seed */
} gan_trainer;

typedef struct gan_step_stats {
    float loss_d, loss_g;     /* loss_g is NaN on steps without a G update */
    float d_real, d_fake;     /* mean sigmoid(D(x)) and mean sigmoid(D(G(z))) before the D step */
} gan_step_stats;

void gan_trainer_init(gan_trainer *t, gan_model *m, const gan_train_opts *o);
/* One D step on `real` (B,C,H,W) and, every n_critic steps, one G step; as pytorch/examples'
 * DCGAN: fake = G(z) once, D sees real (label 1) and fake.detach() (label 0), then G is
 * trained through the updated, frozen D on the same fake (label 1). Resets nothing: the caller
 * owns the arena and resets it after the step. */
void gan_trainer_step(gan_trainer *t, gan_ctx *ctx, gan_tensor *real, gan_step_stats *st);
#endif
