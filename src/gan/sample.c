/* sample.c — the one sampling loop: G over fixed noise in chunks, in eval mode, optionally on
 * the EMA's weights. `gan sample`, `gan eval`, the sample grids and the run's evaluations all
 * come through here, so the same (seed, stream) gives the same images everywhere. */
#include "internal.h"
#include <string.h>

float *gan_model_noise(const gan_model *m, int n, uint64_t seed, uint64_t stream) {
    int64_t len = (int64_t)n * gan_model_get_info(m)->nz;
    float *z = gan_malloc(sizeof(float) * (size_t)len);
    gan_philox_normal(z, len, seed, stream);
    return z;
}

gan_status gan_model_sample(gan_model *m, gan_ema *ema, gan_ctx *ctx, const float *z, int n,
                            int batch, float *out, void (*progress)(void *ud, int done, int n),
                            void *ud) {
    const gan_model_info *in = gan_model_get_info(m);
    int64_t per = (int64_t)in->channels * in->size * in->size;
    if (batch <= 0) batch = 256;
    gan_ctx *own = ctx ? NULL : gan_ctx_new(0);
    if (own) ctx = own;
    int old_grad = gan_ctx_set_grad(ctx, 0), old_train = gan_ctx_training(ctx);
    gan_ctx_set_training(ctx, 0); /* running BN stats: sampling never changes the state */
    if (ema) gan_ema_swap(ema, gan_model_G(m));
    for (int i = 0; i < n; i += batch) {
        int b = n - i < batch ? n - i : batch;
        gan_tensor *zt = gan_from_data(ctx, GAN_SHAPE(b, in->nz), (float *)z + (int64_t)i * in->nz);
        gan_tensor *x = gan_model_generate(ctx, m, zt);
        memcpy(out + per * i, x->data, sizeof(float) * (size_t)(per * b));
        gan_ctx_reset(ctx);
        if (progress) progress(ud, i + b, n);
    }
    if (ema) gan_ema_swap(ema, gan_model_G(m));
    gan_ctx_set_training(ctx, old_train);
    gan_ctx_set_grad(ctx, old_grad);
    gan_ctx_free(own);
    return GAN_OK;
}
