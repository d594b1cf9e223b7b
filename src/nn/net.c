/* net.c — a network's parameters and buffers, llm.c style.
 *
 * Parameters are declared one by one (shape, init, fan_in) and get their storage only in
 * gan_net_finalize: one block each for weights, grads, Adam m and Adam v, all in the same
 * order, so parameter i lives at the same offset in every block and optimizers, zeroing and
 * (later) all-reduce are single flat loops. Buffers (BN running stats) get a fifth block.
 * Tensor structs and names are heap-owned by the net, never by an arena. */
#include "internal.h"
#include <omp.h>
#include <math.h>

typedef struct decl {
    gan_tensor *t;
    gan_init init;
    int fan_in;
    float value;                 /* buffers: initial value */
} decl;

struct gan_net {
    char *name;
    decl *params, *bufs;
    int n_params, n_bufs, cap_params, cap_bufs;
    int64_t n_weights, n_buf_floats;
    float *weights, *grads, *m, *v, *buffers;
    int finalized;
    int frozen;                  /* gan_net_requires_grad(net, 0) may come before finalize */
};

static char *dup_str(const char *s) {
    size_t n = strlen(s) + 1;
    char *d = gan_malloc(n);
    memcpy(d, s, n);
    return d;
}

gan_net *gan_net_new(const char *name) {
    gan_net *net = gan_calloc(1, sizeof *net);
    net->name = dup_str(name ? name : "");
    return net;
}

void gan_net_free(gan_net *net) {
    if (!net) return;
    decl *lists[2] = {net->params, net->bufs};
    int counts[2] = {net->n_params, net->n_bufs};
    for (int l = 0; l < 2; l++) {
        for (int i = 0; i < counts[l]; i++) {
            gan_free((void *)lists[l][i].t->name);
            gan_free(lists[l][i].t);
        }
        gan_free(lists[l]);
    }
    gan_free(net->weights);
    gan_free(net->grads);
    gan_free(net->m);
    gan_free(net->v);
    gan_free(net->buffers);
    gan_free(net->name);
    gan_free(net);
}

/* Declaration happens once per model build, so growing by copy is fine here. */
static decl *push(decl **list, int *n, int *cap) {
    if (*n == *cap) {
        int nc = *cap ? *cap * 2 : 16;
        decl *nl = gan_malloc(sizeof(decl) * (size_t)nc);
        if (*n) memcpy(nl, *list, sizeof(decl) * (size_t)*n);
        gan_free(*list);
        *list = nl;
        *cap = nc;
    }
    decl *d = &(*list)[(*n)++];
    memset(d, 0, sizeof *d);
    return d;
}

static gan_tensor *declare(gan_net *net, decl *d, const char *name, int ndim, const int *shape) {
    GAN_ASSERT_MSG(!net->finalized, "declare parameters and buffers before gan_net_finalize");
    GAN_ASSERT(ndim >= 1 && ndim <= GAN_MAX_DIMS);
    gan_tensor *t = gan_calloc(1, sizeof *t);
    t->ndim = ndim;
    t->numel = 1;
    for (int i = 0; i < ndim; i++) {
        GAN_ASSERT(shape[i] >= 0);
        t->shape[i] = shape[i];
        t->numel *= shape[i];
    }
    t->name = dup_str(name);
    d->t = t;
    return t;
}

static void assert_new_name(gan_net *net, const char *name) {
    GAN_ASSERT(name && *name);
    GAN_ASSERT_MSG(!gan_net_find(net, name), name);
}

gan_tensor *gan_net_param(gan_net *net, const char *name, int ndim, const int *shape,
                          gan_init init, int fan_in) {
    assert_new_name(net, name);
    GAN_ASSERT_MSG(fan_in > 0 || (init != GAN_INIT_KAIMING_UNIFORM &&
                                  init != GAN_INIT_FAN_IN_UNIFORM), "uniform init needs fan_in > 0");
    decl *d = push(&net->params, &net->n_params, &net->cap_params);
    d->init = init;
    d->fan_in = fan_in;
    gan_tensor *t = declare(net, d, name, ndim, shape);
    net->n_weights += t->numel;
    return t;
}

gan_tensor *gan_net_buffer(gan_net *net, const char *name, int ndim, const int *shape,
                           float value) {
    assert_new_name(net, name);
    decl *d = push(&net->bufs, &net->n_bufs, &net->cap_bufs);
    d->value = value;
    gan_tensor *t = declare(net, d, name, ndim, shape);
    net->n_buf_floats += t->numel;
    return t;
}

/* Each parameter draws from its own Philox stream (its index), so adding a parameter at the
 * end never changes the values of the ones before it. */
static void init_param(float *w, int64_t n, gan_init init, int fan_in, uint64_t seed,
                       uint64_t stream) {
    switch (init) {
    case GAN_INIT_ZERO:
        memset(w, 0, sizeof(float) * (size_t)n);
        break;
    case GAN_INIT_ONE:
        for (int64_t i = 0; i < n; i++) w[i] = 1.0f;
        break;
    case GAN_INIT_KAIMING_UNIFORM: /* kaiming_uniform_(a=sqrt(5)): gain sqrt(1/3) -> 1/sqrt(fan_in) */
    case GAN_INIT_FAN_IN_UNIFORM: {
        float bound = (float)(1.0 / sqrt((double)fan_in));
        gan_philox_uniform(w, n, seed, stream);
        for (int64_t i = 0; i < n; i++) w[i] = (2.0f * w[i] - 1.0f) * bound;
        break;
    }
    case GAN_INIT_NORMAL_002:
    case GAN_INIT_NORMAL_1_002: {
        float mean = init == GAN_INIT_NORMAL_1_002 ? 1.0f : 0.0f;
        gan_philox_normal(w, n, seed, stream);
        for (int64_t i = 0; i < n; i++) w[i] = mean + 0.02f * w[i];
        break;
    }
    case GAN_INIT_NORMAL:
        gan_philox_normal(w, n, seed, stream);
        break;
    default:
        GAN_ASSERT_MSG(0, "unknown gan_init");
    }
}

void gan_net_finalize(gan_net *net, uint64_t seed) {
    GAN_ASSERT_MSG(!net->finalized, "gan_net_finalize called twice");
    size_t nw = (size_t)net->n_weights, nb = (size_t)net->n_buf_floats;
    net->weights = gan_calloc_huge(nw, sizeof(float));
    net->grads = gan_calloc_huge(nw, sizeof(float));
    net->m = gan_calloc_huge(nw, sizeof(float));
    net->v = gan_calloc_huge(nw, sizeof(float));
    net->buffers = gan_calloc(nb, sizeof(float));
    int64_t off = 0;
    for (int i = 0; i < net->n_params; i++) {
        decl *d = &net->params[i];
        d->t->data = net->weights + off;
        d->t->grad = net->grads + off;
        d->t->requires_grad = !net->frozen;
        init_param(d->t->data, d->t->numel, d->init, d->fan_in, seed, (uint64_t)i);
        off += d->t->numel;
    }
    off = 0;
    for (int i = 0; i < net->n_bufs; i++) {
        gan_tensor *t = net->bufs[i].t;
        t->data = net->buffers + off;
        for (int64_t e = 0; e < t->numel; e++) t->data[e] = net->bufs[i].value;
        off += t->numel;
    }
    net->finalized = 1;
}

/* Both cores write: one core's memset of a 6 MB grad buffer ran at ~12 GB/s, two halves in
 * parallel 1.5-1.9x faster (the MLP step ~2.5%, bench/NOTES.md). */
void gan_net_zero_grad(gan_net *net) {
    if (!net->grads) return;
    const int64_t n = net->n_weights;
    float *g = net->grads;
#pragma omp parallel if (n > 16 * GAN_PARALLEL_MIN)
    {
        const int64_t T = omp_get_num_threads(), t = omp_get_thread_num();
        /* 16-float (cache line) boundaries: no line written by two threads */
        const int64_t a = n * t / T / 16 * 16, b = t == T - 1 ? n : n * (t + 1) / T / 16 * 16;
        memset(g + a, 0, sizeof(float) * (size_t)(b - a));
    }
}

void gan_net_requires_grad(gan_net *net, int on) {
    net->frozen = !on;
    for (int i = 0; i < net->n_params; i++) net->params[i].t->requires_grad = on ? 1 : 0;
}

int64_t gan_net_num_params(const gan_net *net) { return net->n_weights; }
int gan_net_num_tensors(const gan_net *net) { return net->n_params + net->n_bufs; }

gan_tensor *gan_net_tensor(gan_net *net, int i) {
    GAN_ASSERT(i >= 0 && i < net->n_params + net->n_bufs);
    return i < net->n_params ? net->params[i].t : net->bufs[i - net->n_params].t;
}

int gan_net_tensor_is_buffer(const gan_net *net, int i) {
    GAN_ASSERT(i >= 0 && i < net->n_params + net->n_bufs);
    return i >= net->n_params;
}

gan_tensor *gan_net_find(gan_net *net, const char *name) {
    for (int i = 0; i < net->n_params; i++)
        if (!strcmp(net->params[i].t->name, name)) return net->params[i].t;
    for (int i = 0; i < net->n_bufs; i++)
        if (!strcmp(net->bufs[i].t->name, name)) return net->bufs[i].t;
    return NULL;
}

float *gan_net_weights(gan_net *net) { return net->weights; }
float *gan_net_grads(gan_net *net) { return net->grads; }
float *gan_net_adam_m(gan_net *net) { return net->m; }
float *gan_net_adam_v(gan_net *net) { return net->v; }
const char *gan_net_name(const gan_net *net) { return net->name; }
