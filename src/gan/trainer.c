/* trainer.c — one alternating D/G step. */
#include "internal.h"
#include <math.h>

gan_train_opts gan_train_opts_default(void) {
    return (gan_train_opts){.batch = 64, .n_critic = 1, .lr_g = 2e-4f, .lr_d = 2e-4f,
                            .beta1 = 0.5f, .beta2 = 0.999f, .seed = 1};
}

void gan_trainer_init(gan_trainer *t, gan_model *m, const gan_train_opts *o) {
    t->model = m;
    t->opts = *o;
    t->opt_g = gan_adam_default(o->lr_g);
    t->opt_g.beta1 = o->beta1;
    t->opt_g.beta2 = o->beta2;
    t->opt_d = gan_adam_default(o->lr_d);
    t->opt_d.beta1 = o->beta1;
    t->opt_d.beta2 = o->beta2;
    t->step = 0;
}

static float mean_sigmoid(const gan_tensor *logits) {
    double s = 0;
    for (int64_t i = 0; i < logits->numel; i++) s += 1.0 / (1.0 + exp(-(double)logits->data[i]));
    return (float)(s / (double)logits->numel);
}

void gan_trainer_step(gan_trainer *t, gan_ctx *ctx, gan_tensor *real, gan_step_stats *st) {
    gan_model *m = t->model;
    gan_net *G = gan_model_G(m), *D = gan_model_D(m);
    int B = real->shape[0];
    int do_g = (t->step + 1) % t->opts.n_critic == 0;
    gan_ctx_set_training(ctx, 1);

    gan_tensor *z = gan_randn(ctx, GAN_SHAPE(B, gan_model_cfg(m)->nz), t->opts.seed,
                              2 * (uint64_t)t->step + 1);
    /* without a G step this iteration, G's graph is not needed at all */
    gan_net_requires_grad(G, do_g);
    gan_tensor *fake = gan_model_generate(ctx, m, z);

    /* D step: G's output is a constant here */
    gan_net_zero_grad(D);
    gan_tensor *d_real = gan_model_discriminate(ctx, m, real);
    gan_tensor *d_fake = gan_model_discriminate(ctx, m, gan_detach(ctx, fake));
    gan_tensor *loss_d = gan_add(ctx, gan_bce_with_logits_const(ctx, d_real, 1.0f),
                                 gan_bce_with_logits_const(ctx, d_fake, 0.0f));
    gan_backward(ctx, loss_d);
    gan_adam_step(&t->opt_d, D);
    st->loss_d = loss_d->data[0];
    st->d_real = mean_sigmoid(d_real);
    st->d_fake = mean_sigmoid(d_fake);
    st->loss_g = NAN;

    if (do_g) {
        /* G step through the updated, frozen D */
        gan_net_requires_grad(D, 0);
        gan_net_zero_grad(G);
        gan_tensor *loss_g = gan_bce_with_logits_const(ctx, gan_model_discriminate(ctx, m, fake), 1.0f);
        gan_backward(ctx, loss_g);
        gan_adam_step(&t->opt_g, G);
        gan_net_requires_grad(D, 1);
        st->loss_g = loss_g->data[0];
    }
    gan_net_requires_grad(G, 1);
    t->step++;
}
