/* ema.c — an exponential moving average of a network's weights (for sampling from G).
 *
 * The shadow mirrors the net's flat layout, so an update is one loop over the weight buffer,
 * and tensor i of the net finds its shadow at the same offset. Buffers (BN running stats) are
 * statistics of the live weights' activations, not weights: they are copied, not averaged. */
#include "internal.h"

struct gan_ema {
    float *w;              /* n_w weights, the net's order */
    float *b;              /* n_b buffer floats, buffers in declaration order */
    int64_t n_w, n_b;
    int64_t updates;
};

static int64_t buffer_floats(gan_net *net) {
    int64_t n = 0;
    for (int i = 0; i < gan_net_num_tensors(net); i++)
        if (gan_net_tensor_is_buffer(net, i)) n += gan_net_tensor(net, i)->numel;
    return n;
}

/* Copies the net's buffers into b (to_net = 0) or b into the net's buffers (to_net = 1),
 * or exchanges them (to_net = 2). */
static void move_buffers(float *b, gan_net *net, int to_net) {
    int64_t off = 0;
    for (int i = 0; i < gan_net_num_tensors(net); i++) {
        if (!gan_net_tensor_is_buffer(net, i)) continue;
        gan_tensor *t = gan_net_tensor(net, i);
        size_t bytes = sizeof(float) * (size_t)t->numel;
        if (to_net == 0) {
            memcpy(b + off, t->data, bytes);
        } else if (to_net == 1) {
            memcpy(t->data, b + off, bytes);
        } else {
            for (int64_t e = 0; e < t->numel; e++) {
                float x = t->data[e];
                t->data[e] = b[off + e];
                b[off + e] = x;
            }
        }
        off += t->numel;
    }
}

static void check_layout(const gan_ema *ema, gan_net *net) {
    GAN_ASSERT_MSG(gan_net_weights(net), "gan_net_finalize the net before using an EMA");
    GAN_ASSERT_MSG(gan_net_num_params(net) == ema->n_w && buffer_floats(net) == ema->n_b,
                   "EMA: the net's layout differs from the one the EMA was made for");
}

gan_ema *gan_ema_new(gan_net *net) {
    GAN_ASSERT_MSG(gan_net_weights(net), "gan_net_finalize the net before gan_ema_new");
    gan_ema *ema = gan_calloc(1, sizeof *ema);
    ema->n_w = gan_net_num_params(net);
    ema->n_b = buffer_floats(net);
    ema->w = gan_malloc(sizeof(float) * (size_t)(ema->n_w ? ema->n_w : 1));
    ema->b = gan_malloc(sizeof(float) * (size_t)(ema->n_b ? ema->n_b : 1));
    gan_ema_load(ema, net);
    return ema;
}

void gan_ema_free(gan_ema *ema) {
    if (!ema) return;
    gan_free(ema->w);
    gan_free(ema->b);
    gan_free(ema);
}

// shadow (n), w (n): shadow = decay * shadow + (1 - decay) * w
void gan_ema_update(gan_ema *ema, gan_net *net, float decay) {
    GAN_ASSERT(decay >= 0.0f && decay <= 1.0f);
    check_layout(ema, net);
    const float *w = gan_net_weights(net);
    float *s = ema->w;
    float a = decay, c = 1.0f - decay;
    int64_t n = ema->n_w;
#pragma omp parallel for simd schedule(static) if (n > GAN_PARALLEL_MIN)
    for (int64_t i = 0; i < n; i++) s[i] = a * s[i] + c * w[i];
    move_buffers(ema->b, net, 0);
    ema->updates++;
}

void gan_ema_copy_to(const gan_ema *ema, gan_net *dst) {
    check_layout(ema, dst);
    memcpy(gan_net_weights(dst), ema->w, sizeof(float) * (size_t)ema->n_w);
    move_buffers(ema->b, dst, 1);
}

void gan_ema_load(gan_ema *ema, gan_net *src) {
    check_layout(ema, src);
    memcpy(ema->w, gan_net_weights(src), sizeof(float) * (size_t)ema->n_w);
    move_buffers(ema->b, src, 0);
}

void gan_ema_swap(gan_ema *ema, gan_net *net) {
    check_layout(ema, net);
    float *w = gan_net_weights(net);
    int64_t n = ema->n_w;
#pragma omp parallel for schedule(static) if (n > GAN_PARALLEL_MIN)
    for (int64_t i = 0; i < n; i++) {
        float x = w[i];
        w[i] = ema->w[i];
        ema->w[i] = x;
    }
    move_buffers(ema->b, net, 2);
}

float *gan_ema_tensor(gan_ema *ema, gan_net *net, int i) {
    check_layout(ema, net);
    gan_tensor *t = gan_net_tensor(net, i);
    if (!gan_net_tensor_is_buffer(net, i)) return ema->w + (t->data - gan_net_weights(net));
    int64_t off = 0;
    for (int j = 0; j < i; j++)
        if (gan_net_tensor_is_buffer(net, j)) off += gan_net_tensor(net, j)->numel;
    return ema->b + off;
}

int64_t gan_ema_num_updates(const gan_ema *ema) { return ema->updates; }

float gan_ema_warmup_decay(float decay, int64_t k) {
    float w = (float)((1.0 + (double)k) / (10.0 + (double)k));
    return w < decay ? w : decay;
}
