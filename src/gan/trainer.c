/* trainer.c — the typical GAN recipe as a game: a player D on loss_d [+ gp] [+ r1] with weight
 * clipping, a player G on loss_g every n_critic iterations with an EMA, sharing z and
 * fake = G(z) through the batch. The step itself is gan_game_step (game.c). */
#include "internal.h"
#include <math.h>

gan_train_opts gan_train_opts_default(void) {
    return (gan_train_opts){.batch = 64, .n_critic = 1, .lr_g = 2e-4f, .lr_d = 2e-4f,
                            .beta1 = 0.5f, .beta2 = 0.999f, .seed = 1, .loss = GAN_LOSS_BCE,
                            .optim = GAN_OPTIM_ADAM, .r1_every = 1};
}

gan_status gan_train_opts_check(const gan_train_opts *o, gan_model *m) {
    /* batch norm in D mixes the samples of a batch: per-sample input gradients, and a penalty
     * built on them, are wrong (asked of D's blocks) */
    if ((o->gp > 0 || o->r1 > 0) && gan_module_mixes_batch(gan_model_D_module(m)))
        return gan_fail(GAN_ERR_ARG, "%s: D uses batch norm, which mixes the samples of a batch, so "
                        "the per-sample input gradients of the penalty are wrong; use d_norm layer "
                        "(as the WGAN-GP paper) or d_norm none", o->gp > 0 ? "gp" : "r1");
    if (o->gp < 0) return gan_fail(GAN_ERR_ARG, "gp: must be >= 0 (got %g)", (double)o->gp);
    if (o->r1 < 0) return gan_fail(GAN_ERR_ARG, "r1: must be >= 0 (got %g)", (double)o->r1);
    if (o->clip < 0) return gan_fail(GAN_ERR_ARG, "clip: must be >= 0 (got %g)", (double)o->clip);
    if (o->r1_every < 1) return gan_fail(GAN_ERR_ARG, "r1_every: must be at least 1");
    if (o->ema < 0 || o->ema >= 1) return gan_fail(GAN_ERR_ARG, "ema: must be in [0, 1) (e.g. 0.999)");
    if (o->loss == GAN_LOSS_WGAN && o->gp == 0 && o->clip == 0 && o->r1 == 0 && !gan_model_get_info(m)->sn)
        return gan_fail(GAN_ERR_ARG, "loss: wgan needs a Lipschitz constraint on D: gp 10, clip 0.01 or sn");
    return GAN_OK;
}

/* z (B, nz): randn stream 2k+1 of the seed; fake = G(z) once, shared by both players */
static void prepare(gan_ctx *ctx, gan_game *g, gan_step_io *io) {
    gan_trainer *t = g->prepare_ud;
    int B = gan_batch_get(io->batch, "image")->shape[0];
    gan_tensor *z = gan_randn(ctx, GAN_SHAPE(B, gan_model_get_info(t->model)->nz), io->seed,
                              2 * (uint64_t)io->step + 1);
    gan_batch_put(io->batch, "z", z);
    gan_batch_put(io->batch, "fake", gan_model_generate(ctx, t->model, z));
}

void gan_trainer_init(gan_trainer *t, gan_model *m, const gan_train_opts *o) {
    t->model = m;
    t->opts = *o;
    t->adv = (gan_adv_term){.loss = o->loss, .d = gan_model_d_forward, .d_ud = m,
                            .real = "image", .fake = "fake"};
    gan_game *g = &t->game;
    gan_game_init(g, o->seed);
    g->prepare = prepare;
    g->prepare_ud = t;

    gan_player *D = gan_game_add_player(g, "D", 1);
    gan_player_add_net(D, gan_model_D(m), "D", gan_optim_new(o->optim, o->lr_d, o->beta1, o->beta2));
    D->clip = o->clip;
    gan_player_add_term(D, (gan_term){.name = "loss_d", .fn = gan_term_adv_d, .weight = 1, .ud = &t->adv});
    if (o->gp > 0)
        gan_player_add_term(D, (gan_term){.name = "gp", .fn = gan_term_gp, .weight = o->gp, .ud = &t->adv});
    if (o->r1 > 0) /* gamma / 2, times k when applied every k steps (StyleGAN2's lazy R1) */
        gan_player_add_term(D, (gan_term){.name = "r1", .fn = gan_term_r1, .every = o->r1_every,
                                          .weight = 0.5f * o->r1 * (float)o->r1_every, .ud = &t->adv});

    gan_player *G = gan_game_add_player(g, "G", o->n_critic);
    gan_player_add_net(G, gan_model_G(m), "G", gan_optim_new(o->optim, o->lr_g, o->beta1, o->beta2));
    gan_player_add_term(G, (gan_term){.name = "loss_g", .fn = gan_term_adv_g, .weight = 1, .ud = &t->adv});
    if (o->ema > 0) gan_player_set_ema(G, o->ema);
}

void gan_trainer_free(gan_trainer *t) { gan_game_free(&t->game); }

gan_ema *gan_trainer_ema(gan_trainer *t) { return gan_game_player(&t->game, "G")->ema[0]; }

void gan_trainer_step(gan_trainer *t, gan_ctx *ctx, gan_batch *batch, gan_step_stats *st) {
    gan_stats s;
    gan_game_step(&t->game, ctx, batch, &s);
    if (!st) return;
    float r1 = gan_stats_get(&s, "r1");
    *st = (gan_step_stats){.loss_d = gan_stats_get(&s, "loss_d"), .loss_g = gan_stats_get(&s, "loss_g"),
                           .d_real = gan_stats_get(&s, "d_real"), .d_fake = gan_stats_get(&s, "d_fake"),
                           .penalty = isnan(r1) ? gan_stats_get(&s, "gp") : r1};
}

void gan_trainer_step_images(gan_trainer *t, gan_ctx *ctx, gan_tensor *real, gan_step_stats *st) {
    gan_batch b = {0};
    gan_batch_put(&b, "image", real);
    gan_trainer_step(t, ctx, &b, st);
}
