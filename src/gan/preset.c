/* preset.c — the settings of the papers, as one table of edits to the typical recipe. */
#include "internal.h"
#include <string.h>

gan_status gan_preset_apply(const char *p, gan_train_opts *o, gan_model_config *mc) {
    gan_model_config ignored = {0};
    if (!mc) mc = &ignored;
    if (!strcmp(p, "dcgan")) return GAN_OK;
    if (!strcmp(p, "wgan")) { /* Arjovsky et al. 2017 */
        o->loss = GAN_LOSS_WGAN; o->optim = GAN_OPTIM_RMSPROP; o->lr_g = o->lr_d = 5e-5f;
        o->n_critic = 5; o->clip = 0.01f;
        return GAN_OK;
    }
    if (!strcmp(p, "wgan-gp")) { /* Gulrajani et al. 2017: no batch norm in the critic */
        o->loss = GAN_LOSS_WGAN; o->gp = 10; o->lr_g = o->lr_d = 1e-4f; o->beta1 = 0;
        o->beta2 = 0.9f; o->n_critic = 5; mc->d_norm = "layer";
        return GAN_OK;
    }
    if (!strcmp(p, "hinge-sn")) { /* Miyato et al. 2018 (SNGAN), n_dis = 5, Adam 2e-4, 0/0.9 */
        o->loss = GAN_LOSS_HINGE; mc->sn = 1; o->lr_g = o->lr_d = 2e-4f; o->beta1 = 0;
        o->beta2 = 0.9f; o->n_critic = 5; mc->d_norm = "none";
        return GAN_OK;
    }
    if (!strcmp(p, "lsgan")) { /* Mao et al. 2017 */
        o->loss = GAN_LOSS_LSGAN;
        return GAN_OK;
    }
    return gan_fail(GAN_ERR_ARG, "preset: unknown preset '%s' (expected dcgan, wgan, wgan-gp, hinge-sn or lsgan)", p);
}
