/* rmsprop.c — RMSprop as torch.optim.RMSprop (1.13, single-tensor path, not centered, no
 * weight decay): eps is added outside the square root. */
#include "internal.h"
#include "hyper.h"
#include <math.h>

gan_rmsprop gan_rmsprop_default(float lr) {
    return (gan_rmsprop){.lr = lr, .alpha = 0.99f, .eps = 1e-8f, .momentum = 0.0f};
}

// w, g: the net's flat buffers; square average = adam_v, momentum buffer = adam_m
void gan_rmsprop_step(const gan_rmsprop *opt, gan_net *net) {
    float *w = gan_net_weights(net), *g = gan_net_grads(net);
    float *buf = gan_net_adam_m(net), *sq = gan_net_adam_v(net);
    GAN_ASSERT_MSG(w, "gan_net_finalize before stepping");
    int64_t n = gan_net_num_params(net);
    double alpha = gan_hyper_double(opt->alpha);
    const float a = (float)alpha, one_m_a = (float)(1.0 - alpha), eps = opt->eps;
    const float lr = opt->lr, neg_lr = -opt->lr, mom = opt->momentum;
#pragma omp parallel for schedule(static) if (n > GAN_PARALLEL_MIN)
    for (int64_t i = 0; i < n; i++) {
        float gi = g[i];
        float s = sq[i] * a;
        s = s + one_m_a * gi * gi;
        sq[i] = s;
        float avg = sqrtf(s) + eps;
        if (mom > 0.0f) {
            float b = buf[i] * mom;
            b = b + gi / avg;
            buf[i] = b;
            w[i] = w[i] + -lr * b;
        } else {
            w[i] = w[i] + neg_lr * gi / avg;
        }
    }
}
