/* terms.c — the adversarial terms and the penalties as a player's terms: each reads the batch
 * by name and D through a gan_d_forward_fn, so any recipe can weigh them in. */
#include "internal.h"
#include <math.h>

static float mean_output(const gan_tensor *d, int probability) {
    double s = 0;
    for (int64_t i = 0; i < d->numel; i++)
        s += probability ? 1.0 / (1.0 + exp(-(double)d->data[i])) : (double)d->data[i];
    return (float)(s / (double)d->numel);
}

static gan_tensor *need(const gan_step_io *io, const char *name, const char *term) {
    gan_tensor *t = gan_batch_get(io->batch, name);
    GAN_ASSERT_MSG(t, "a term found no tensor of that name in the batch");
    (void)term;
    return t;
}

gan_tensor *gan_term_adv_d(gan_ctx *ctx, const gan_term *term, gan_step_io *io) {
    const gan_adv_term *a = term->ud;
    gan_tensor *fake = gan_detach(ctx, need(io, a->fake, term->name));
    gan_tensor *d_real = a->d(ctx, a->d_ud, need(io, a->real, term->name));
    gan_tensor *d_fake = a->d(ctx, a->d_ud, fake);
    gan_tensor *loss = gan_d_loss(ctx, a->loss, d_real, d_fake);
    gan_stats_put(io->stats, "d_real", mean_output(d_real, a->loss == GAN_LOSS_BCE));
    gan_stats_put(io->stats, "d_fake", mean_output(d_fake, a->loss == GAN_LOSS_BCE));
    return loss;
}

gan_tensor *gan_term_adv_g(gan_ctx *ctx, const gan_term *term, gan_step_io *io) {
    const gan_adv_term *a = term->ud;
    return gan_g_loss(ctx, a->loss, a->d(ctx, a->d_ud, need(io, a->fake, term->name)));
}

gan_tensor *gan_term_gp(gan_ctx *ctx, const gan_term *term, gan_step_io *io) {
    const gan_adv_term *a = term->ud;
    gan_tensor *fake = gan_detach(ctx, need(io, a->fake, term->name));
    /* the interpolation weights of step k: stream 2k+2 (the noise uses 2k+1) */
    return gan_gradient_penalty(ctx, a->d, a->d_ud, need(io, a->real, term->name), fake,
                                io->seed, 2 * (uint64_t)io->step + 2);
}

gan_tensor *gan_term_r1(gan_ctx *ctx, const gan_term *term, gan_step_io *io) {
    const gan_adv_term *a = term->ud;
    return gan_r1_penalty(ctx, a->d, a->d_ud, need(io, a->real, term->name));
}
