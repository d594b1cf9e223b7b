/* losses.c — the adversarial objectives (bce, lsgan, wgan, hinge) for D and G.
 *
 * Each is a few existing ops on D's outputs, so every one has exact first- and second-order
 * gradients for free. The formulas and their sources are in gan.h. */
#include "internal.h"
#include <string.h>

static const char *kind_names[] = {"bce", "lsgan", "wgan", "hinge"};
#define N_KINDS (int)(sizeof kind_names / sizeof kind_names[0])

const char *gan_loss_kind_name(gan_loss_kind k) {
    GAN_ASSERT((int)k >= 0 && (int)k < N_KINDS);
    return kind_names[k];
}

gan_status gan_loss_kind_parse(const char *s, gan_loss_kind *out) {
    for (int i = 0; i < N_KINDS; i++)
        if (s && !strcmp(s, kind_names[i])) {
            *out = (gan_loss_kind)i;
            return GAN_OK;
        }
    return gan_fail(GAN_ERR_ARG, "loss: unknown loss '%s' (expected bce, lsgan, wgan or hinge)",
                    s ? s : "(null)");
}

// x (...) -> (1): 1/2 mean((x - label)^2), LSGAN's term (Mao et al. keep the 1/2)
static gan_tensor *half_mse(gan_ctx *ctx, gan_tensor *x, float label) {
    gan_tensor *d = label != 0.0f ? gan_add_scalar(ctx, x, -label) : x;
    return gan_mul_scalar(ctx, gan_mean_all(ctx, gan_square(ctx, d)), 0.5f);
}

// d_real (...), d_fake (...) -> (1)
gan_tensor *gan_d_loss(gan_ctx *ctx, gan_loss_kind kind, gan_tensor *d_real, gan_tensor *d_fake) {
    switch (kind) {
    case GAN_LOSS_BCE:
        return gan_add(ctx, gan_bce_with_logits_const(ctx, d_real, 1.0f),
                       gan_bce_with_logits_const(ctx, d_fake, 0.0f));
    case GAN_LOSS_LSGAN:
        return gan_add(ctx, half_mse(ctx, d_real, 1.0f), half_mse(ctx, d_fake, 0.0f));
    case GAN_LOSS_WGAN:
        return gan_sub(ctx, gan_mean_all(ctx, d_fake), gan_mean_all(ctx, d_real));
    case GAN_LOSS_HINGE:
        return gan_add(ctx, gan_hinge_loss(ctx, d_real, 1.0f), gan_hinge_loss(ctx, d_fake, -1.0f));
    }
    GAN_ASSERT_MSG(0, "gan_d_loss: unknown gan_loss_kind");
    return NULL;
}

// d_fake (...) -> (1)
gan_tensor *gan_g_loss(gan_ctx *ctx, gan_loss_kind kind, gan_tensor *d_fake) {
    switch (kind) {
    case GAN_LOSS_BCE:   /* non-saturating: maximise log D(G(z)) rather than minimise log(1-D) */
        return gan_bce_with_logits_const(ctx, d_fake, 1.0f);
    case GAN_LOSS_LSGAN:
        return half_mse(ctx, d_fake, 1.0f);
    case GAN_LOSS_WGAN:
    case GAN_LOSS_HINGE:  /* hinge G loss is the WGAN one (Lim & Ye; Miyato et al.) */
        return gan_neg(ctx, gan_mean_all(ctx, d_fake));
    }
    GAN_ASSERT_MSG(0, "gan_g_loss: unknown gan_loss_kind");
    return NULL;
}
