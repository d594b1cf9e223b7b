/* test_gan_losses.c — the GAN losses (bce, lsgan, wgan, hinge) for D and G: values and
 * gradients against PyTorch (tests/fixtures/gan.bin, make_gan_fixtures.py), gradients against
 * finite differences, and the name/parse helpers. */
#include "harness.h"
#include <math.h>
#include <stdio.h>
#include <string.h>

#define FIX "tests/fixtures/gan.bin"
#define TOL 1e-4   /* relative, against PyTorch float32 values */

static gan_loss_kind fd_kind;
static gan_tensor *fd_d_loss(gan_ctx *ctx, gan_tensor **in, void *ud) {
    return gan_d_loss(ctx, fd_kind, in[0], in[1]);
}
static gan_tensor *fd_g_loss(gan_ctx *ctx, gan_tensor **in, void *ud) {
    return gan_g_loss(ctx, fd_kind, in[0]);
}

static gan_tensor *leaf(gan_ctx *ctx, th_fixture *f, const char *name) {
    gan_tensor *t = th_fixture_get(f, ctx, name);
    gan_set_requires_grad(t, 1);
    return t;
}

int main(void) {
    /* names and parsing */
    const gan_loss_kind kinds[] = {GAN_LOSS_BCE, GAN_LOSS_LSGAN, GAN_LOSS_WGAN, GAN_LOSS_HINGE};
    const char *names[] = {"bce", "lsgan", "wgan", "hinge"};
    for (int k = 0; k < 4; k++) {
        gan_loss_kind got = (gan_loss_kind)-1;
        gan_status st = gan_loss_kind_parse(names[k], &got);
        th_check(st == GAN_OK && got == kinds[k] && !strcmp(gan_loss_kind_name(kinds[k]), names[k]),
                 "loss kind parse/name round trip", "%s", names[k]);
    }
    {
        gan_loss_kind got = GAN_LOSS_WGAN;
        gan_status st = gan_loss_kind_parse("wgan-gp", &got);
        th_check(st == GAN_ERR_ARG && got == GAN_LOSS_WGAN && strstr(gan_last_error(), "hinge"),
                 "loss kind parse rejects unknown", "%s", gan_last_error());
    }

    th_fixture *f = th_fixture_load(FIX);
    if (!f) return th_done("test_gan_losses");
    gan_ctx *ctx = gan_ctx_new(0);
    char nm[64];
    for (int k = 0; k < 4; k++) {
        gan_ctx_reset(ctx);
        gan_tensor *real = leaf(ctx, f, "loss.real"), *fake = leaf(ctx, f, "loss.fake");
        gan_tensor *in[2] = {real, fake}, *g[2];

        gan_tensor *d = gan_d_loss(ctx, kinds[k], real, fake);
        th_check(d->numel == 1, "d loss is a scalar", "%s", names[k]);
        gan_grad(ctx, 1, &d, NULL, 2, in, g, 0);
        snprintf(nm, sizeof nm, "%s.d", names[k]);
        th_fixture_compare(f, nm, d->data, 1, TOL);
        snprintf(nm, sizeof nm, "%s.d.greal", names[k]);
        th_fixture_compare(f, nm, g[0]->data, g[0]->numel, TOL);
        snprintf(nm, sizeof nm, "%s.d.gfake", names[k]);
        th_fixture_compare(f, nm, g[1]->data, g[1]->numel, TOL);

        gan_tensor *gl = gan_g_loss(ctx, kinds[k], fake);
        gan_grad(ctx, 1, &gl, NULL, 1, &fake, g, 0);
        snprintf(nm, sizeof nm, "%s.g", names[k]);
        th_fixture_compare(f, nm, gl->data, 1, TOL);
        snprintf(nm, sizeof nm, "%s.g.gfake", names[k]);
        th_fixture_compare(f, nm, g[0]->data, g[0]->numel, TOL);

        /* finite differences too (the hinge kinks are kept away from the fixture's values),
         * and second order: the losses sit under gradient penalties' graphs */
        fd_kind = kinds[k];
        snprintf(nm, sizeof nm, "%s d loss", names[k]);
        th_gradcheck(nm, fd_d_loss, 2, in, NULL, 1e-3, 1e-2);
        th_gradcheck2(nm, fd_d_loss, 2, in, NULL, 1e-3, 2e-2);
        snprintf(nm, sizeof nm, "%s g loss", names[k]);
        th_gradcheck(nm, fd_g_loss, 1, &fake, NULL, 1e-3, 1e-2);
    }

    /* batch sizes may differ between real and fake: each term is its own mean */
    {
        gan_ctx_reset(ctx);
        gan_tensor *r = gan_from_data(ctx, GAN_SHAPE(2, 1), (float[]){1, 3});
        gan_tensor *fk = gan_from_data(ctx, GAN_SHAPE(4, 1), (float[]){-1, 0, 2, 3});
        float w = gan_d_loss(ctx, GAN_LOSS_WGAN, r, fk)->data[0];       /* 1 - 2 */
        float h = gan_d_loss(ctx, GAN_LOSS_HINGE, r, fk)->data[0];      /* 0 + (0+1+3+4)/4 */
        float l = gan_d_loss(ctx, GAN_LOSS_LSGAN, r, fk)->data[0];      /* (0+4)/4 + (1+0+4+9)/8 */
        th_check(w == -1.0f && h == 2.0f && fabsf(l - 2.75f) < 1e-6f,
                 "losses with unequal batch sizes (closed form)", "wgan %g hinge %g lsgan %g", w, h, l);
    }
    gan_ctx_free(ctx);
    th_fixture_free(f);
    return th_done("test_gan_losses");
}
