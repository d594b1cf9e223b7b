/* clip.c — WGAN weight clipping (Arjovsky et al.): every parameter into [-c, c]. */
#include "internal.h"

// w: the net's flat weight buffer (n floats)
void gan_net_clip(gan_net *net, float c) {
    GAN_ASSERT(c >= 0);
    float *w = gan_net_weights(net);
    GAN_ASSERT_MSG(w, "gan_net_finalize before clipping");
    int64_t n = gan_net_num_params(net);
#pragma omp parallel for schedule(static) if (n > GAN_PARALLEL_MIN)
    for (int64_t i = 0; i < n; i++) {
        float x = w[i];
        w[i] = x < -c ? -c : x > c ? c : x;  /* NaN stays NaN: clipping must not hide divergence */
    }
}
