/* optim.c — one optimizer of any kind, so a player can hold whichever its recipe asks for. */
#include "internal.h"
#include <string.h>

static const char *kind_names[] = {"adam", "rmsprop", "sgd"};
#define N_KINDS (int)(sizeof kind_names / sizeof kind_names[0])

gan_optim gan_optim_new(gan_optim_kind kind, float lr, float beta1, float beta2) {
    gan_optim o = {.kind = kind, .adam = gan_adam_default(lr), .rmsprop = gan_rmsprop_default(lr),
                   .sgd = {.lr = lr}};
    o.adam.beta1 = beta1;
    o.adam.beta2 = beta2;
    return o;
}

void gan_optim_step(gan_optim *o, gan_net *net) {
    switch (o->kind) {
    case GAN_OPTIM_ADAM: gan_adam_step(&o->adam, net); break;
    case GAN_OPTIM_RMSPROP: gan_rmsprop_step(&o->rmsprop, net); break;
    case GAN_OPTIM_SGD: gan_sgd_step(&o->sgd, net); break;
    }
}

float gan_optim_lr(const gan_optim *o) {
    return o->kind == GAN_OPTIM_ADAM ? o->adam.lr : o->kind == GAN_OPTIM_RMSPROP ? o->rmsprop.lr : o->sgd.lr;
}

void gan_optim_set_lr(gan_optim *o, float lr) {
    o->adam.lr = o->rmsprop.lr = o->sgd.lr = lr;
}

const char *gan_optim_kind_name(gan_optim_kind k) {
    GAN_ASSERT((int)k >= 0 && (int)k < N_KINDS);
    return kind_names[k];
}

gan_status gan_optim_kind_parse(const char *s, gan_optim_kind *out) {
    for (int i = 0; i < N_KINDS; i++)
        if (s && !strcmp(s, kind_names[i])) {
            *out = (gan_optim_kind)i;
            return GAN_OK;
        }
    return gan_fail(GAN_ERR_ARG, "optim: unknown optimizer '%s' (expected adam, rmsprop or sgd)",
                    s ? s : "(null)");
}
