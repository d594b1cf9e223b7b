/* game.c — players stepping in turn, each on the weighted sum of its terms: the one training
 * step of the library (GANs of every family, the ring example, bench, the classifier). */
#include "internal.h"

void gan_game_init(gan_game *g, uint64_t seed) {
    memset(g, 0, sizeof *g);
    g->seed = seed;
}

void gan_game_free(gan_game *g) {
    for (int i = 0; i < g->n_players; i++)
        for (int j = 0; j < g->player[i].n_nets; j++) {
            gan_ema_free(g->player[i].ema[j]);
            g->player[i].ema[j] = NULL;
        }
}

gan_player *gan_game_add_player(gan_game *g, const char *name, int every) {
    GAN_ASSERT_MSG(g->n_players < GAN_GAME_MAX_PLAYERS, "more than GAN_GAME_MAX_PLAYERS players");
    GAN_ASSERT(every >= 1);
    gan_player *p = &g->player[g->n_players++];
    memset(p, 0, sizeof *p);
    p->name = name;
    p->every = every;
    return p;
}

void gan_player_add_net(gan_player *p, gan_net *net, const char *prefix, gan_optim optim) {
    GAN_ASSERT_MSG(p->n_nets < GAN_PLAYER_MAX_NETS, "more than GAN_PLAYER_MAX_NETS nets");
    p->net[p->n_nets] = net;
    p->prefix[p->n_nets] = prefix;
    p->optim[p->n_nets++] = optim;
}

void gan_player_add_term(gan_player *p, gan_term term) {
    GAN_ASSERT_MSG(p->n_terms < GAN_PLAYER_MAX_TERMS, "more than GAN_PLAYER_MAX_TERMS terms");
    GAN_ASSERT(term.name && term.fn);
    p->term[p->n_terms++] = term;
}

void gan_player_set_ema(gan_player *p, float decay) {
    p->ema_decay = decay;
    for (int j = 0; j < p->n_nets; j++)
        if (!p->ema[j]) p->ema[j] = gan_ema_new(p->net[j]);
}

gan_player *gan_game_player(gan_game *g, const char *name) {
    for (int i = 0; i < g->n_players; i++)
        if (!strcmp(g->player[i].name, name)) return &g->player[i];
    return NULL;
}

int gan_player_steps_at(const gan_player *p, int64_t step) { return (step + 1) % p->every == 0; }

static void player_grad(gan_player *p, int on) {
    for (int j = 0; j < p->n_nets; j++) gan_net_requires_grad(p->net[j], on);
}

/* The terms in order, each weighted: sum = t0 [+ w1 t1 [+ w2 t2 ...]] (NULL: none applied). */
static gan_tensor *sum_terms(gan_ctx *ctx, gan_player *p, gan_step_io *io) {
    gan_tensor *total = NULL;
    for (int i = 0; i < p->n_terms; i++) {
        const gan_term *t = &p->term[i];
        if (t->every > 1 && io->step % t->every) continue;
        gan_tensor *v = t->fn(ctx, t, io);
        if (!v) continue;
        gan_stats_put(io->stats, t->name, v->data[0]);
        if (t->weight != 1.0f) v = gan_mul_scalar(ctx, v, t->weight);
        total = total ? gan_add(ctx, total, v) : v;
    }
    return total;
}

static void player_step(gan_ctx *ctx, gan_player *p, gan_step_io *io) {
    for (int j = 0; j < p->n_nets; j++) gan_net_zero_grad(p->net[j]);
    gan_tensor *total = sum_terms(ctx, p, io);
    if (total) gan_backward(ctx, total);
    for (int j = 0; j < p->n_nets; j++) gan_optim_step(&p->optim[j], p->net[j]);
    if (p->clip > 0)
        for (int j = 0; j < p->n_nets; j++) gan_net_clip(p->net[j], p->clip);
    /* the player's steps before this one follow from the step counter, so a resumed run
     * warms up exactly as an uninterrupted one */
    float decay = gan_ema_warmup_decay(p->ema_decay, io->step / p->every);
    for (int j = 0; j < p->n_nets; j++)
        if (p->ema[j]) gan_ema_update(p->ema[j], p->net[j], decay);
}

void gan_game_step(gan_game *g, gan_ctx *ctx, gan_batch *batch, gan_stats *stats) {
    stats->n = 0;
    gan_step_io io = {.batch = batch, .stats = stats, .step = g->step, .seed = g->seed};
    gan_ctx_set_training(ctx, 1);
    /* a player that does not step at this iteration needs no graph through its nets */
    for (int i = 0; i < g->n_players; i++)
        player_grad(&g->player[i], gan_player_steps_at(&g->player[i], g->step));
    if (g->prepare) g->prepare(ctx, g, &io);
    for (int i = 0; i < g->n_players; i++) {
        gan_player *p = &g->player[i];
        if (!gan_player_steps_at(p, g->step)) continue;
        for (int k = 0; k < g->n_players; k++) player_grad(&g->player[k], k == i);
        player_step(ctx, p, &io);
    }
    for (int i = 0; i < g->n_players; i++) player_grad(&g->player[i], 1);
    g->step++;
}
