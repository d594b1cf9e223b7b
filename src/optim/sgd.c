/* sgd.c — SGD with momentum (dampening 0) and Nesterov, as torch.optim.SGD (1.13,
 * single-tensor path). PyTorch starts the momentum buffer as a copy of the first gradient;
 * our buffer starts at zero, and 0 * momentum + d_p == d_p exactly, so the first step is
 * the same without keeping a step count. */
#include "internal.h"

// w, g: the net's flat buffers; buf = its adam_m block (n floats)
void gan_sgd_step(const gan_sgd *opt, gan_net *net) {
    float *w = gan_net_weights(net), *g = gan_net_grads(net), *buf = gan_net_adam_m(net);
    GAN_ASSERT_MSG(w, "gan_net_finalize before stepping");
    int64_t n = gan_net_num_params(net);
    const float lr = opt->lr, mom = opt->momentum, wd = opt->weight_decay;
    const int nesterov = opt->nesterov;
    GAN_ASSERT_MSG(!nesterov || mom > 0, "nesterov needs momentum > 0");
#pragma omp parallel for schedule(static) if (n > GAN_PARALLEL_MIN)
    for (int64_t i = 0; i < n; i++) {
        float d = g[i];
        if (wd != 0.0f) d = d + wd * w[i];
        if (mom != 0.0f) {
            float b = buf[i] * mom;
            b = b + d;
            buf[i] = b;
            d = nesterov ? d + mom * b : b;
        }
        w[i] = w[i] + -lr * d;
    }
}
