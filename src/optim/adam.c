/* adam.c — Adam and AdamW over a net's flat buffers, with PyTorch 1.13's single-tensor
 * arithmetic: the same scalars (derived in double, rounded to float) applied in the same
 * order, so results agree with torch.optim.Adam/AdamW to float rounding. */
#include "internal.h"
#include "hyper.h"
#include <math.h>

gan_adam gan_adam_default(float lr) {
    return (gan_adam){.lr = lr, .beta1 = 0.9f, .beta2 = 0.999f, .eps = 1e-8f,
                      .weight_decay = 0.0f, .adamw = 0, .t = 0};
}

// w, g, m, v: the net's flat buffers, n floats each, same layout
void gan_adam_step(gan_adam *opt, gan_net *net) {
    float *w = gan_net_weights(net), *g = gan_net_grads(net);
    float *m = gan_net_adam_m(net), *v = gan_net_adam_v(net);
    GAN_ASSERT_MSG(w, "gan_net_finalize before stepping");
    int64_t n = gan_net_num_params(net);
    opt->t++;
    double lr = gan_hyper_double(opt->lr), b1 = gan_hyper_double(opt->beta1),
           b2 = gan_hyper_double(opt->beta2), wd = gan_hyper_double(opt->weight_decay);
    double bc1 = 1.0 - pow(b1, (double)opt->t), bc2 = 1.0 - pow(b2, (double)opt->t);
    /* Python scalars become floats when they meet a float tensor */
    const float beta1 = (float)b1, beta2 = (float)b2, one_m_b1 = (float)(1.0 - b1),
                one_m_b2 = (float)(1.0 - b2), eps = opt->eps;
    const float neg_step = (float)(-(lr / bc1)), bc2_sqrt = (float)sqrt(bc2);
    const float l2 = opt->adamw ? 0.0f : (float)wd;
    const float decay = (float)(1.0 - lr * wd);  /* AdamW: param.mul_(1 - lr * wd) */
    const int adamw = opt->adamw && wd != 0.0;
    const int l2_on = !opt->adamw && wd != 0.0;
#pragma omp parallel for schedule(static) if (n > GAN_PARALLEL_MIN)
    for (int64_t i = 0; i < n; i++) {
        float p = w[i], gi = g[i];
        if (l2_on) gi = gi + l2 * p;
        if (adamw) p = p * decay;
        float mi = m[i] * beta1;
        mi = mi + one_m_b1 * gi;
        float vi = v[i] * beta2;
        vi = vi + one_m_b2 * gi * gi;
        float denom = sqrtf(vi) / bc2_sqrt + eps;
        w[i] = p + neg_step * mi / denom;
        m[i] = mi;
        v[i] = vi;
    }
}
