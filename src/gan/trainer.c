/* trainer.c — one alternating D/G step, with the losses, penalties, clipping and EMA that make
 * GANs trainable (WGAN, WGAN-GP, LSGAN, hinge, R1). */
#include "internal.h"
#include <math.h>

gan_train_opts gan_train_opts_default(void) {
    return (gan_train_opts){.batch = 64, .n_critic = 1, .lr_g = 2e-4f, .lr_d = 2e-4f,
                            .beta1 = 0.5f, .beta2 = 0.999f, .seed = 1, .loss = GAN_LOSS_BCE,
                            .optim = GAN_OPTIM_ADAM, .r1_every = 1};
}

gan_status gan_train_opts_check(const gan_train_opts *o, const gan_model_config *mc) {
    int d_has_bn = (mc->kind == GAN_MODEL_DCGAN28 || mc->kind == GAN_MODEL_DCGAN) &&
                   mc->d_norm == GAN_D_NORM_BATCH;
    if ((o->gp > 0 || o->r1 > 0) && d_has_bn)
        return gan_fail(GAN_ERR_ARG, "%s: D uses batch norm, which mixes the samples of a batch, so "
                        "the per-sample input gradients of the penalty are wrong; use --d-norm layer "
                        "(as the WGAN-GP paper) or --d-norm none", o->gp > 0 ? "--gp" : "--r1");
    if (o->gp < 0 || o->r1 < 0 || o->clip < 0) return gan_fail(GAN_ERR_ARG, "--gp, --r1 and --clip must be >= 0");
    if (o->r1_every < 1) return gan_fail(GAN_ERR_ARG, "--r1-every must be at least 1");
    if (o->ema < 0 || o->ema >= 1) return gan_fail(GAN_ERR_ARG, "--ema must be in [0, 1) (e.g. 0.999)");
    if (o->loss == GAN_LOSS_WGAN && o->gp == 0 && o->clip == 0 && o->r1 == 0 && !mc->sn)
        return gan_fail(GAN_ERR_ARG, "--loss wgan needs a Lipschitz constraint on D: --gp 10, --clip 0.01 or --sn");
    return GAN_OK;
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
    t->rms_g = gan_rmsprop_default(o->lr_g);
    t->rms_d = gan_rmsprop_default(o->lr_d);
    t->ema = o->ema > 0 ? gan_ema_new(gan_model_G(m)) : NULL;
    t->step = 0;
}

void gan_trainer_free(gan_trainer *t) {
    gan_ema_free(t->ema);
    t->ema = NULL;
}

static float mean_output(const gan_tensor *d, int probability) {
    double s = 0;
    for (int64_t i = 0; i < d->numel; i++)
        s += probability ? 1.0 / (1.0 + exp(-(double)d->data[i])) : (double)d->data[i];
    return (float)(s / (double)d->numel);
}

static void optim_step(gan_trainer *t, gan_net *net, int is_g) {
    if (t->opts.optim == GAN_OPTIM_RMSPROP) gan_rmsprop_step(is_g ? &t->rms_g : &t->rms_d, net);
    else gan_adam_step(is_g ? &t->opt_g : &t->opt_d, net);
}

void gan_trainer_step(gan_trainer *t, gan_ctx *ctx, gan_tensor *real, gan_step_stats *st) {
    gan_model *m = t->model;
    const gan_train_opts *o = &t->opts;
    gan_net *G = gan_model_G(m), *D = gan_model_D(m);
    int B = real->shape[0];
    int do_g = (t->step + 1) % o->n_critic == 0;
    int prob = o->loss == GAN_LOSS_BCE;
    gan_ctx_set_training(ctx, 1);

    gan_tensor *z = gan_randn(ctx, GAN_SHAPE(B, gan_model_cfg(m)->nz), o->seed,
                              2 * (uint64_t)t->step + 1);
    /* without a G step this iteration, G's graph is not needed at all */
    gan_net_requires_grad(G, do_g);
    gan_tensor *fake = gan_model_generate(ctx, m, z);

    /* D step: G's output is a constant here */
    gan_net_zero_grad(D);
    gan_tensor *fake_c = gan_detach(ctx, fake);
    gan_tensor *d_real = gan_model_discriminate(ctx, m, real);
    gan_tensor *d_fake = gan_model_discriminate(ctx, m, fake_c);
    gan_tensor *loss_d = gan_d_loss(ctx, o->loss, d_real, d_fake);
    gan_tensor *total = loss_d;
    st->penalty = NAN;
    if (o->gp > 0) {
        /* the interpolation weights of step k: stream 2k+2 (the noise uses 2k+1) */
        gan_tensor *gp = gan_gradient_penalty(ctx, gan_model_d_forward, m, real, fake_c, o->seed,
                                              2 * (uint64_t)t->step + 2);
        st->penalty = gp->data[0];
        total = gan_add(ctx, total, gan_mul_scalar(ctx, gp, o->gp));
    }
    if (o->r1 > 0 && t->step % o->r1_every == 0) {
        gan_tensor *r1 = gan_r1_penalty(ctx, gan_model_d_forward, m, real);
        st->penalty = r1->data[0];
        total = gan_add(ctx, total, gan_mul_scalar(ctx, r1, 0.5f * o->r1 * (float)o->r1_every));
    }
    gan_backward(ctx, total);
    optim_step(t, D, 0);
    if (o->clip > 0) gan_net_clip(D, o->clip);
    st->loss_d = loss_d->data[0];
    st->d_real = mean_output(d_real, prob);
    st->d_fake = mean_output(d_fake, prob);
    st->loss_g = NAN;

    if (do_g) {
        /* G step through the updated, frozen D */
        gan_net_requires_grad(D, 0);
        gan_net_zero_grad(G);
        gan_tensor *loss_g = gan_g_loss(ctx, o->loss, gan_model_discriminate(ctx, m, fake));
        gan_backward(ctx, loss_g);
        optim_step(t, G, 1);
        gan_net_requires_grad(D, 1);
        /* the G steps before this one follow from the step counter, so a resumed run warms
         * up exactly as an uninterrupted one */
        if (t->ema) gan_ema_update(t->ema, G, gan_ema_warmup_decay(o->ema, t->step / o->n_critic));
        st->loss_g = loss_g->data[0];
    }
    gan_net_requires_grad(G, 1);
    t->step++;
}

gan_tensor *gan_trainer_sample(gan_trainer *t, gan_ctx *ctx, gan_tensor *z) {
    int old_grad = gan_ctx_set_grad(ctx, 0), old_train = gan_ctx_training(ctx);
    gan_ctx_set_training(ctx, 0); /* running BN stats: sampling never changes the state */
    if (t->ema) gan_ema_swap(t->ema, gan_model_G(t->model));
    gan_tensor *x = gan_model_generate(ctx, t->model, z);
    if (t->ema) gan_ema_swap(t->ema, gan_model_G(t->model));
    gan_ctx_set_training(ctx, old_train);
    gan_ctx_set_grad(ctx, old_grad);
    return x;
}
