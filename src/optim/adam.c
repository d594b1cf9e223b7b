/* adam.c — Adam and AdamW over a net's flat buffers, with PyTorch 1.13's single-tensor
 * arithmetic: the same scalars (derived in double, rounded to float) applied in the same
 * order, so results agree with torch.optim.Adam/AdamW to float rounding. */
#include "internal.h"
#include "hyper.h"
#include <math.h>
#if defined(__AVX2__)
#include <immintrin.h>
#endif

#define ADAM_BLOCK 4096   /* floats per work item (a multiple of 8) */

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
    /* 8 at a time with the same per-element arithmetic in the same order (vector sqrt and
     * division round exactly as the scalar ones; no fused multiply-adds) */
#pragma omp parallel for schedule(static) if (n > GAN_PARALLEL_MIN)
    for (int64_t b = 0; b < (n + ADAM_BLOCK - 1) / ADAM_BLOCK; b++) {
        int64_t i = b * ADAM_BLOCK, end = i + ADAM_BLOCK < n ? i + ADAM_BLOCK : n;
#if defined(__AVX2__)
        const __m256 vb1 = _mm256_set1_ps(beta1), vb2 = _mm256_set1_ps(beta2),
                     v1b1 = _mm256_set1_ps(one_m_b1), v1b2 = _mm256_set1_ps(one_m_b2),
                     vstep = _mm256_set1_ps(neg_step), vbc2 = _mm256_set1_ps(bc2_sqrt),
                     veps = _mm256_set1_ps(eps), vl2 = _mm256_set1_ps(l2), vdec = _mm256_set1_ps(decay);
        for (; i + 8 <= end; i += 8) {
            __m256 p = _mm256_loadu_ps(w + i), gi = _mm256_loadu_ps(g + i);
            if (l2_on) gi = _mm256_add_ps(gi, _mm256_mul_ps(vl2, p));
            if (adamw) p = _mm256_mul_ps(p, vdec);
            __m256 mi = _mm256_add_ps(_mm256_mul_ps(_mm256_loadu_ps(m + i), vb1), _mm256_mul_ps(v1b1, gi));
            __m256 vi = _mm256_add_ps(_mm256_mul_ps(_mm256_loadu_ps(v + i), vb2),
                                      _mm256_mul_ps(_mm256_mul_ps(v1b2, gi), gi));
            __m256 denom = _mm256_add_ps(_mm256_div_ps(_mm256_sqrt_ps(vi), vbc2), veps);
            _mm256_storeu_ps(w + i, _mm256_add_ps(p, _mm256_div_ps(_mm256_mul_ps(vstep, mi), denom)));
            _mm256_storeu_ps(m + i, mi);
            _mm256_storeu_ps(v + i, vi);
        }
#endif
        for (; i < end; i++) {
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
}
