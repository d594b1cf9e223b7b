/*
 * gan.h — the one public header of libgan.
 *
 * A worked example: one step of a tiny network, with gradients.
 *
 *     gan_ctx *ctx = gan_ctx_new(0);                 // an arena for per-step tensors
 *     gan_net *net = gan_net_new("D");
 *     gan_linear_layer l1 = gan_linear_layer_init(net, "fc1", 2, 16, 1);
 *     gan_linear_layer l2 = gan_linear_layer_init(net, "fc2", 16, 1, 1);
 *     gan_net_finalize(net, 1234);                    // one buffer: weights, grads, m, v
 *     gan_adam opt = gan_adam_default(1e-3f);
 *     for (int step = 0; step < 100; step++) {
 *         gan_tensor *x = gan_randn(ctx, GAN_SHAPE(64, 2), 1234, step);
 *         gan_tensor *h = gan_leaky_relu(ctx, gan_linear_layer_forward(ctx, &l1, x), 0.2f);
 *         gan_tensor *y = gan_linear_layer_forward(ctx, &l2, h);
 *         gan_tensor *loss = gan_mse_loss(ctx, y, gan_zeros(ctx, y->ndim, y->shape));
 *         gan_net_zero_grad(net);
 *         gan_backward(ctx, loss);                   // grads land in net's flat grad buffer
 *         gan_adam_step(&opt, net);
 *         gan_ctx_reset(ctx);                        // frees every per-step tensor at once
 *     }
 *
 * Conventions.
 *  - float32, NCHW, contiguous, up to GAN_MAX_DIMS dimensions.
 *  - Every op takes the context first, returns a new tensor allocated in the context's arena,
 *    and (when grad mode is on and an input requires a gradient) records a node on the tape.
 *    Arena tensors live until gan_ctx_reset(); never free them.
 *  - Parameters live in a gan_net (weights, grads, Adam m/v each one contiguous buffer).
 *  - Every backward rule is written with ops, so gan_grad(..., create_graph=1) gives exact
 *    gradients of gradients (WGAN-GP, R1).
 *  - Shapes built by library code are asserted (GAN_ASSERT, file:line). Input that comes from
 *    users (files, flags) is checked by the loaders and returns a gan_status.
 */
#ifndef GAN_H
#define GAN_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------ status and errors */

typedef enum gan_status {
    GAN_OK = 0,        /* success */
    GAN_ERR_IO,        /* a file could not be opened, read or written */
    GAN_ERR_FORMAT,    /* a file's contents are malformed (bad magic, truncated, ...) */
    GAN_ERR_ARG,       /* a caller-supplied value is out of range or inconsistent */
    GAN_ERR_NOMEM,     /* an allocation failed */
    GAN_ERR_MISMATCH,  /* e.g. a checkpoint that belongs to another model */
} gan_status;

const char *gan_status_to_string(gan_status s);
/* The message of the last failure on this thread ("file.idx: bad magic 0x1234"). */
const char *gan_last_error(void);
/* Sets the message (printf-style) and returns `s`, so loaders can `return gan_fail(...)`. */
gan_status gan_fail(gan_status s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Programmer errors: print file:line and the condition, then abort. */
void gan_assert_fail(const char *cond, const char *file, int line, const char *msg);
#define GAN_ASSERT(c) ((c) ? (void)0 : gan_assert_fail(#c, __FILE__, __LINE__, NULL))
#define GAN_ASSERT_MSG(c, m) ((c) ? (void)0 : gan_assert_fail(#c, __FILE__, __LINE__, (m)))

/* ------------------------------------------------------------------ memory */

/* All heap allocations of libgan go through these, so tests can count them
 * (a steady-state training step must not allocate). */
void *gan_malloc(size_t n);          /* aborts on failure: only for sizes the library chose */
void *gan_calloc(size_t n, size_t sz);
void gan_free(void *p);
uint64_t gan_alloc_count(void);      /* number of gan_malloc/gan_calloc calls so far */

/* ------------------------------------------------------------------ threads */

/* Sets OpenMP and BLAS thread counts (0 = all cores). Same seed + same count = same bits. */
void gan_set_threads(int n);
int gan_get_threads(void);

/* Convolutions with 4x4 kernels, stride 2 and pad 1 (DCGAN's) run by Winograd's F(4x4, 2x2)
 * where that was measured to be faster (on by default). Off: the direct products, whose sums
 * differ from Winograd's by float rounding (about 1e-6 of the output's scale). */
void gan_set_winograd(int on);
int gan_get_winograd(void);

/* ------------------------------------------------------------------ tensors */

#define GAN_MAX_DIMS 5

typedef struct gan_node gan_node;
typedef struct gan_tensor gan_tensor;

struct gan_tensor {
    float *data;                 /* numel floats, contiguous row-major */
    int ndim;
    int shape[GAN_MAX_DIMS];
    int64_t numel;
    gan_node *node;              /* the op that produced it; NULL for leaves and constants */
    float *grad;                 /* leaves owned by a gan_net: their slot in the grad buffer */
    int requires_grad;           /* leaf parameter, input of gan_grad, or result of such */
    const char *name;            /* parameters: the PyTorch-style name ("main.0.weight") */
    /* autodiff scratch, owned by gan_grad */
    gan_tensor *acc;             /* accumulated gradient during one gan_grad call */
    uint32_t visit;              /* generation mark for the topological sort */
    int grad_skip;               /* set by gan_grad while no requested input flows through it:
                                    rules then leave its gradient out (see gan_needs_grad) */
    int acc_shared;              /* gan_backward: this gradient's buffer backs another tensor's
                                    gradient too, so it is never recycled */
};

/* Shapes as compound literals: gan_zeros(ctx, GAN_SHAPE(2, 3)) */
#define GAN_SHAPE(...) (int)(sizeof((int[]){__VA_ARGS__}) / sizeof(int)), (const int[]){__VA_ARGS__}

/* ------------------------------------------------------------------ context (arena + tape) */

typedef struct gan_ctx gan_ctx;

/* arena_bytes = 0 picks a default; the arena grows by chaining blocks and keeps them across
 * resets, so after the first step a training loop does no malloc. */
gan_ctx *gan_ctx_new(size_t arena_bytes);
void gan_ctx_free(gan_ctx *ctx);
void gan_ctx_reset(gan_ctx *ctx);                   /* drops every arena tensor and node */
size_t gan_ctx_used(const gan_ctx *ctx);            /* bytes in use in the arena */
size_t gan_ctx_capacity(const gan_ctx *ctx);        /* bytes held by the arena */
/* (gan_ctx_used is the high-water mark since the last reset: released buffers still count.) */
void *gan_ctx_alloc(gan_ctx *ctx, size_t bytes);    /* 64-byte aligned, zeroed: no */
/* Hands a dead buffer from gan_ctx_alloc (p and the size asked for) back to the arena, for
 * later allocations to reuse until the next reset; buffers under 64 KiB are left alone. The
 * caller guarantees nothing reads or writes it any more, views of it included. The tape does
 * this for consumed gradients in gan_backward. */
void gan_ctx_release(gan_ctx *ctx, void *p, size_t bytes);
/* Grad mode: when off, ops record nothing (inference, first-order backward). Returns old. */
int gan_ctx_set_grad(gan_ctx *ctx, int enabled);
int gan_ctx_grad_enabled(const gan_ctx *ctx);
/* Training flag, read by batch norm and dropout. */
void gan_ctx_set_training(gan_ctx *ctx, int training);
int gan_ctx_training(const gan_ctx *ctx);

/* ------------------------------------------------------------------ tensor creation */

gan_tensor *gan_empty(gan_ctx *ctx, int ndim, const int *shape);        /* uninitialised */
gan_tensor *gan_zeros(gan_ctx *ctx, int ndim, const int *shape);
gan_tensor *gan_full(gan_ctx *ctx, int ndim, const int *shape, float v);
gan_tensor *gan_from_data(gan_ctx *ctx, int ndim, const int *shape, const float *src); /* copies */
gan_tensor *gan_empty_like(gan_ctx *ctx, const gan_tensor *t);
gan_tensor *gan_zeros_like(gan_ctx *ctx, const gan_tensor *t);
gan_tensor *gan_copy(gan_ctx *ctx, const gan_tensor *t);           /* data copy, no graph */
/* A view of the same data with no history: gradients stop here. */
gan_tensor *gan_detach(gan_ctx *ctx, gan_tensor *t);
/* Marks an arena tensor as a leaf whose gradient gan_grad can return (e.g. WGAN-GP's x̂). */
void gan_set_requires_grad(gan_tensor *t, int on);
int gan_same_shape(const gan_tensor *a, const gan_tensor *b);
void gan_shape_str(const gan_tensor *t, char *buf, size_t n);      /* "(64, 1, 28, 28)" */

/* ------------------------------------------------------------------ random numbers */

/* Counter-based (Philox-4x32-10): element i of a draw keyed by (seed, stream) is a pure
 * function of (seed, stream, i), so results never depend on thread scheduling. */
void gan_philox_uniform(float *out, int64_t n, uint64_t seed, uint64_t stream); /* [0,1) */
void gan_philox_normal(float *out, int64_t n, uint64_t seed, uint64_t stream);  /* N(0,1) */
gan_tensor *gan_randn(gan_ctx *ctx, int ndim, const int *shape, uint64_t seed, uint64_t stream);
gan_tensor *gan_rand(gan_ctx *ctx, int ndim, const int *shape, uint64_t seed, uint64_t stream);

/* A stateful generator for training loops: each draw consumes a new stream number, and the
 * state (seed, next stream) is two integers, saved in checkpoints for exact resume. */
typedef struct gan_rng { uint64_t seed, stream; } gan_rng;
gan_rng gan_rng_init(uint64_t seed);
gan_tensor *gan_rng_randn(gan_ctx *ctx, gan_rng *r, int ndim, const int *shape);
gan_tensor *gan_rng_rand(gan_ctx *ctx, gan_rng *r, int ndim, const int *shape);
uint64_t gan_rng_next(gan_rng *r);                   /* a fresh 64-bit value (e.g. shuffles) */

/* ------------------------------------------------------------------ autodiff */

/* Accumulates d(loss)/d(p) into the grad buffer slot of every parameter that requires a
 * gradient (loss must hold one element). First-order: records nothing new. */
void gan_backward(gan_ctx *ctx, gan_tensor *loss);
/* Returns d(sum of outputs[i] * grad_outputs[i])/d(inputs[j]) in grads[j] (zeros when an input
 * does not influence the outputs). grad_outputs may be NULL (ones). With create_graph the
 * backward ops are recorded, so the returned gradients can be differentiated again. Does not
 * touch parameter grad buffers. */
void gan_grad(gan_ctx *ctx, int n_out, gan_tensor **outputs, gan_tensor **grad_outputs,
              int n_in, gan_tensor **inputs, gan_tensor **grads, int create_graph);

/* ------------------------------------------------------------------ ops: elementwise */
/* Binary ops broadcast numpy-style (trailing dimensions aligned, size-1 dims stretch). */
gan_tensor *gan_add(gan_ctx *ctx, gan_tensor *a, gan_tensor *b);
gan_tensor *gan_sub(gan_ctx *ctx, gan_tensor *a, gan_tensor *b);
gan_tensor *gan_mul(gan_ctx *ctx, gan_tensor *a, gan_tensor *b);
gan_tensor *gan_div(gan_ctx *ctx, gan_tensor *a, gan_tensor *b);
gan_tensor *gan_add_scalar(gan_ctx *ctx, gan_tensor *a, float s);
gan_tensor *gan_mul_scalar(gan_ctx *ctx, gan_tensor *a, float s);
gan_tensor *gan_neg(gan_ctx *ctx, gan_tensor *a);
gan_tensor *gan_rsub_scalar(gan_ctx *ctx, float s, gan_tensor *a);  /* s - a */
gan_tensor *gan_exp(gan_ctx *ctx, gan_tensor *a);
gan_tensor *gan_log(gan_ctx *ctx, gan_tensor *a);
gan_tensor *gan_sqrt(gan_ctx *ctx, gan_tensor *a);
gan_tensor *gan_rsqrt(gan_ctx *ctx, gan_tensor *a);
gan_tensor *gan_pow_scalar(gan_ctx *ctx, gan_tensor *a, float p);   /* a^p */
gan_tensor *gan_abs(gan_ctx *ctx, gan_tensor *a);
gan_tensor *gan_square(gan_ctx *ctx, gan_tensor *a);
/* Non-differentiable helpers (results never require a gradient). */
gan_tensor *gan_sign(gan_ctx *ctx, gan_tensor *a);
gan_tensor *gan_gt_scalar(gan_ctx *ctx, gan_tensor *a, float s);    /* 1.0f where a > s else 0 */
/* where(mask, a, b): mask is a constant 0/1 tensor; a, b broadcast to mask's shape. */
gan_tensor *gan_where(gan_ctx *ctx, gan_tensor *mask, gan_tensor *a, gan_tensor *b);
/* Broadcast `a` to `shape` / sum `a` down to `shape` (each is the other's gradient). */
gan_tensor *gan_expand(gan_ctx *ctx, gan_tensor *a, int ndim, const int *shape);
gan_tensor *gan_sum_to(gan_ctx *ctx, gan_tensor *a, int ndim, const int *shape);

/* ------------------------------------------------------------------ ops: activations */
gan_tensor *gan_relu(gan_ctx *ctx, gan_tensor *a);
gan_tensor *gan_leaky_relu(gan_ctx *ctx, gan_tensor *a, float slope);
gan_tensor *gan_tanh(gan_ctx *ctx, gan_tensor *a);
gan_tensor *gan_sigmoid(gan_ctx *ctx, gan_tensor *a);
gan_tensor *gan_softplus(gan_ctx *ctx, gan_tensor *a);              /* log(1 + e^a), stable */

/* ------------------------------------------------------------------ ops: reductions */
/* axes: a bitmask of dimensions to reduce (bit d = dim d); keepdim keeps them as size 1. */
gan_tensor *gan_sum(gan_ctx *ctx, gan_tensor *a, unsigned axes, int keepdim);
gan_tensor *gan_mean(gan_ctx *ctx, gan_tensor *a, unsigned axes, int keepdim);
gan_tensor *gan_sum_all(gan_ctx *ctx, gan_tensor *a);               /* shape (1) */
gan_tensor *gan_mean_all(gan_ctx *ctx, gan_tensor *a);              /* shape (1) */
gan_tensor *gan_max(gan_ctx *ctx, gan_tensor *a, unsigned axes, int keepdim); /* no gradient */
#define GAN_AXIS(d) (1u << (d))

/* ------------------------------------------------------------------ ops: matmul */
/* a (M,K) @ b (K,N) -> (M,N); trans_a / trans_b use a^T / b^T. 2-D only. */
gan_tensor *gan_matmul(gan_ctx *ctx, gan_tensor *a, gan_tensor *b, int trans_a, int trans_b);
/* x (N, in) , w (out, in), b (out) or NULL -> (N, out), as torch.nn.functional.linear. */
gan_tensor *gan_linear(gan_ctx *ctx, gan_tensor *x, gan_tensor *w, gan_tensor *b);

/* ------------------------------------------------------------------ ops: convolution */
/* x (N,C,H,W), w (OC,C,KH,KW), b (OC) or NULL -> (N,OC,HO,WO),
 * HO = (H + 2*pad - KH)/stride + 1. Cross-correlation, as PyTorch. */
gan_tensor *gan_conv2d(gan_ctx *ctx, gan_tensor *x, gan_tensor *w, gan_tensor *b,
                       int stride, int pad);
/* x (N,C,H,W), w (C,OC,KH,KW) [PyTorch's layout], b (OC) or NULL -> (N,OC,HO,WO),
 * HO = (H-1)*stride - 2*pad + KH + output_padding. */
gan_tensor *gan_conv_transpose2d(gan_ctx *ctx, gan_tensor *x, gan_tensor *w, gan_tensor *b,
                                 int stride, int pad, int output_padding);
/* The weight gradient of conv2d as an op of its own (so it has a rule too):
 * x (N,C,H,W), dy (N,OC,HO,WO) -> dw (OC,C,KH,KW). */
gan_tensor *gan_conv2d_weight_grad(gan_ctx *ctx, gan_tensor *x, gan_tensor *dy, int kh, int kw,
                                   int stride, int pad);

/* ------------------------------------------------------------------ ops: pooling, padding */
gan_tensor *gan_avg_pool2d(gan_ctx *ctx, gan_tensor *x, int k);      /* kernel = stride = k */
gan_tensor *gan_sum_pool2d(gan_ctx *ctx, gan_tensor *x, int k);      /* kernel = stride = k */
gan_tensor *gan_upsample_nearest2d(gan_ctx *ctx, gan_tensor *x, int k); /* H*k, W*k */
gan_tensor *gan_pad2d(gan_ctx *ctx, gan_tensor *x, int top, int bottom, int left, int right);
gan_tensor *gan_reflection_pad2d(gan_ctx *ctx, gan_tensor *x, int pad);
/* Adjoint of reflection padding (sums the mirrored border back): its gradient rule. */
gan_tensor *gan_reflection_unpad2d(gan_ctx *ctx, gan_tensor *x, int pad);

/* ------------------------------------------------------------------ ops: shape */
gan_tensor *gan_reshape(gan_ctx *ctx, gan_tensor *a, int ndim, const int *shape); /* -1 ok once */
gan_tensor *gan_permute(gan_ctx *ctx, gan_tensor *a, const int *perm);
gan_tensor *gan_concat(gan_ctx *ctx, int n, gan_tensor **ts, int axis);
/* a[..., start:start+len, ...] along axis. */
gan_tensor *gan_slice(gan_ctx *ctx, gan_tensor *a, int axis, int start, int len);
/* Places a inside zeros of size `size` along axis at offset start (the adjoint of slice). */
gan_tensor *gan_slice_pad(gan_ctx *ctx, gan_tensor *a, int axis, int start, int size);

/* ------------------------------------------------------------------ ops: normalisation */
/* batch norm over (N,H,W) per channel for (N,C,H,W) or over N for (N,C). In training it uses
 * batch statistics and updates running_mean/var (biased var for normalising, unbiased for the
 * running estimate, as PyTorch); in eval it uses the running stats. gamma/beta may be NULL. */
gan_tensor *gan_batch_norm(gan_ctx *ctx, gan_tensor *x, gan_tensor *gamma, gan_tensor *beta,
                           float *running_mean, float *running_var, float momentum, float eps,
                           int training);
/* leaky_relu(gan_batch_norm(x, ...), slope) as one op with one output tensor (slope 0: ReLU):
 * the same values and gradients, one full-size tensor fewer kept for backward */
gan_tensor *gan_batch_norm_act(gan_ctx *ctx, gan_tensor *x, gan_tensor *gamma, gan_tensor *beta,
                               float *running_mean, float *running_var, float momentum,
                               float eps, int training, float slope);
/* leaky_relu(x, slope) written over x's data (the same bits; the result views x's buffer).
 * Only for an x that nothing else reads afterwards, forward or backward: e.g. a conv's output,
 * whose backward rule needs only the conv's inputs. Keeps one full-size tensor fewer. */
gan_tensor *gan_leaky_relu_inplace(gan_ctx *ctx, gan_tensor *x, float slope);
/* per (n, c) over (H, W) */
gan_tensor *gan_instance_norm(gan_ctx *ctx, gan_tensor *x, gan_tensor *gamma,
                              gan_tensor *beta, float eps);
/* over the last `norm_dims` dimensions; gamma/beta have those dims' shape (or NULL) */
gan_tensor *gan_layer_norm(gan_ctx *ctx, gan_tensor *x, int norm_dims, gan_tensor *gamma,
                           gan_tensor *beta, float eps);

/* ------------------------------------------------------------------ ops: misc */
/* Inverted dropout: zeroes with probability p and scales the rest by 1/(1-p); identity when
 * not training. The mask comes from (seed, stream). */
gan_tensor *gan_dropout(gan_ctx *ctx, gan_tensor *x, float p, uint64_t seed, uint64_t stream);
/* idx: n indices in [0, V); w (V, D) -> (n, D) */
gan_tensor *gan_embedding(gan_ctx *ctx, const int *idx, int n, gan_tensor *w);
/* Scatter-add of rows (the adjoint of embedding): g (n, D) -> (V, D). */
gan_tensor *gan_embedding_scatter(gan_ctx *ctx, const int *idx, int n, gan_tensor *g, int V);
/* softmax / log-softmax over the last dimension */
gan_tensor *gan_softmax(gan_ctx *ctx, gan_tensor *a);
gan_tensor *gan_log_softmax(gan_ctx *ctx, gan_tensor *a);
/* Gumbel-softmax over the last dim at temperature tau; hard = straight-through one-hot. */
gan_tensor *gan_gumbel_softmax(gan_ctx *ctx, gan_tensor *logits, float tau, int hard,
                               uint64_t seed, uint64_t stream);

/* ------------------------------------------------------------------ losses (mean-reduced) */
gan_tensor *gan_bce_with_logits(gan_ctx *ctx, gan_tensor *logits, gan_tensor *target);
/* BCE against a constant label (1 = real, 0 = fake), the GAN case. */
gan_tensor *gan_bce_with_logits_const(gan_ctx *ctx, gan_tensor *logits, float target);
gan_tensor *gan_mse_loss(gan_ctx *ctx, gan_tensor *a, gan_tensor *b);
gan_tensor *gan_l1_loss(gan_ctx *ctx, gan_tensor *a, gan_tensor *b);
/* mean(relu(1 - sign * x)): sign = +1 for real scores, -1 for fake (the hinge D loss). */
gan_tensor *gan_hinge_loss(gan_ctx *ctx, gan_tensor *scores, float sign);
/* logits (N, K), labels N ints in [0, K) */
gan_tensor *gan_cross_entropy(gan_ctx *ctx, gan_tensor *logits, const int *labels);

/* ------------------------------------------------------------------ networks (parameters) */

typedef struct gan_net gan_net;

/* A network owns its parameters. Declare them (gan_net_param / the layer inits), then
 * gan_net_finalize allocates one buffer each for weights, grads, Adam m and v, and buffers
 * (BN running stats), and initialises the weights deterministically from `seed`. */
gan_net *gan_net_new(const char *name);
void gan_net_free(gan_net *net);
typedef enum gan_init {
    GAN_INIT_ZERO, GAN_INIT_ONE,
    GAN_INIT_KAIMING_UNIFORM,    /* PyTorch's default for Linear/Conv weights (a = sqrt(5)) */
    GAN_INIT_FAN_IN_UNIFORM,     /* PyTorch's default for biases: U(-1/sqrt(fan_in), ..) */
    GAN_INIT_NORMAL_002,         /* DCGAN: N(0, 0.02) */
    GAN_INIT_NORMAL_1_002,       /* DCGAN BN weight: N(1, 0.02) */
    GAN_INIT_NORMAL,             /* N(0, 1): PyTorch's default for Embedding */
} gan_init;
/* fan_in is used by the uniform inits. Returns a tensor whose data is valid after finalize. */
gan_tensor *gan_net_param(gan_net *net, const char *name, int ndim, const int *shape,
                          gan_init init, int fan_in);
/* Non-trainable state saved in checkpoints (running_mean, ...), initialised to `value`. */
gan_tensor *gan_net_buffer(gan_net *net, const char *name, int ndim, const int *shape,
                           float value);
void gan_net_finalize(gan_net *net, uint64_t seed);
void gan_net_zero_grad(gan_net *net);
/* Turns gradient tracking of all parameters on or off (freeze D during the G step). */
void gan_net_requires_grad(gan_net *net, int on);
int64_t gan_net_num_params(const gan_net *net);
int gan_net_num_tensors(const gan_net *net);       /* params then buffers */
gan_tensor *gan_net_tensor(gan_net *net, int i);
int gan_net_tensor_is_buffer(const gan_net *net, int i);
gan_tensor *gan_net_find(gan_net *net, const char *name);
/* Flat views (llm.c style): n floats each, same order. */
float *gan_net_weights(gan_net *net);
float *gan_net_grads(gan_net *net);
float *gan_net_adam_m(gan_net *net);
float *gan_net_adam_v(gan_net *net);
const char *gan_net_name(const gan_net *net);

/* ------------------------------------------------------------------ layers (src/nn) */

typedef struct gan_linear_layer { gan_tensor *weight, *bias; } gan_linear_layer;
gan_linear_layer gan_linear_layer_init(gan_net *net, const char *prefix, int in, int out, int bias);
gan_tensor *gan_linear_layer_forward(gan_ctx *ctx, const gan_linear_layer *l, gan_tensor *x);

typedef struct gan_conv_layer {
    gan_tensor *weight, *bias;
    int stride, pad, output_padding;
} gan_conv_layer;
gan_conv_layer gan_conv2d_layer_init(gan_net *net, const char *prefix, int in, int out, int k, int stride,
                         int pad, int bias);
gan_tensor *gan_conv2d_layer_forward(gan_ctx *ctx, const gan_conv_layer *c, gan_tensor *x);
gan_conv_layer gan_conv_transpose2d_layer_init(gan_net *net, const char *prefix, int in, int out, int k,
                                   int stride, int pad, int output_padding, int bias);
gan_tensor *gan_conv_transpose2d_layer_forward(gan_ctx *ctx, const gan_conv_layer *c, gan_tensor *x);

typedef struct gan_bn_layer {
    gan_tensor *weight, *bias, *running_mean, *running_var, *num_batches_tracked;
    float momentum, eps;
} gan_bn_layer;
gan_bn_layer gan_batch_norm_layer_init(gan_net *net, const char *prefix, int channels);
gan_tensor *gan_batch_norm_layer_forward(gan_ctx *ctx, const gan_bn_layer *bn, gan_tensor *x);

/* ------------------------------------------------------------------ optimizers (src/optim) */

typedef struct gan_adam {
    float lr, beta1, beta2, eps, weight_decay; /* weight_decay: decoupled (AdamW) if adamw */
    int adamw;
    int64_t t;                                  /* steps taken (bias correction) */
} gan_adam;
gan_adam gan_adam_default(float lr);            /* betas 0.9/0.999, eps 1e-8 */
void gan_adam_step(gan_adam *opt, gan_net *net);

typedef struct gan_sgd { float lr, momentum, weight_decay; int nesterov; } gan_sgd;
void gan_sgd_step(const gan_sgd *opt, gan_net *net);     /* momentum buffer = net's adam_m */

typedef struct gan_rmsprop { float lr, alpha, eps, momentum; } gan_rmsprop;
gan_rmsprop gan_rmsprop_default(float lr);      /* alpha 0.99, eps 1e-8, as PyTorch */
void gan_rmsprop_step(const gan_rmsprop *opt, gan_net *net); /* square avg = adam_v, buf = m */

/* WGAN weight clipping: every parameter to [-c, c]. */
void gan_net_clip(gan_net *net, float c);

/* Any of the three, as a player holds it (src/optim/optim.c): `kind` picks which settings
 * are used. The setting is called "optim" (adam | rmsprop | sgd). */
typedef enum gan_optim_kind { GAN_OPTIM_ADAM, GAN_OPTIM_RMSPROP, GAN_OPTIM_SGD } gan_optim_kind;
typedef struct gan_optim {
    gan_optim_kind kind;
    gan_adam adam;
    gan_rmsprop rmsprop;
    gan_sgd sgd;
} gan_optim;
/* Adam with these betas (eps 1e-8), RMSprop (alpha 0.99) or plain SGD, at learning rate lr. */
gan_optim gan_optim_new(gan_optim_kind kind, float lr, float beta1, float beta2);
void gan_optim_step(gan_optim *o, gan_net *net);
float gan_optim_lr(const gan_optim *o);
void gan_optim_set_lr(gan_optim *o, float lr);
const char *gan_optim_kind_name(gan_optim_kind k);           /* "adam", "rmsprop", "sgd" */
gan_status gan_optim_kind_parse(const char *s, gan_optim_kind *out); /* names setting "optim" */

/* ---- data and files (src/data, src/io) */
/*
 * Loaders and writers for the files gan.c reads and writes. Shared rules:
 *  - Every call that touches a file returns a gan_status. On failure gan_last_error() holds one
 *    line that starts with the file's path and says what is wrong, e.g.
 *    "data/train.gz: bad magic 0x00000801 (IDX labels), expected 0x00000803 (IDX images)".
 *    Malformed input never crashes or aborts, and a header that lies about sizes cannot make
 *    a loader allocate much more than the file really holds.
 *  - Loaders fill a caller-owned struct. On success its arrays are heap memory owned by that
 *    struct: release them with the matching *_free (safe on a zeroed or already freed struct).
 *    On failure the struct is left zeroed and there is nothing to free.
 *  - Writers are atomic: bytes go to "<path>.tmp.<pid>", are flushed and fsync'ed, renamed over
 *    `path`, then the folder is fsync'ed. A failed write leaves no new file and an existing
 *    `path` untouched; a killed process leaves at most a stale .tmp file beside a good one.
 *  - Float images are NCHW in [-1, 1]. They map to bytes as torchvision's
 *    save_image(x, normalize=True, value_range=(-1, 1)) does, in float32:
 *    u8 = (uint8)(clamp((clamp(x, -1, 1) + 1) / 2 * 255 + 0.5, 0, 255)); NaN maps to 0.
 *  - Multi-byte values in files are little-endian (IDX: big-endian, as its format says).
 */

#define GAN_FILE_MAX_DIMS 8            /* most dimensions a safetensors/.npy tensor may have */

/* Element types of tensors in files. */
typedef enum gan_dtype {
    GAN_DTYPE_F32,     /* float32 ("F32", "<f4") */
    GAN_DTYPE_I64,     /* int64 ("I64", "<i8"): step counters, RNG state */
    GAN_DTYPE_U8,      /* uint8 ("U8", "|u1"): pixels, labels */
    GAN_DTYPE_OTHER,   /* a valid type gan.c does not read (F16, BF16, ...): listable only */
} gan_dtype;
const char *gan_dtype_name(gan_dtype t);             /* "F32", "I64", "U8", "other" */

/* The pixel mapping above, n values / its inverse as ToTensor + Normalize(0.5, 0.5):
 * x = (v / 255 - 0.5) / 0.5 in float32. */
void gan_image_to_u8(const float *x, int64_t n, uint8_t *out);
void gan_image_from_u8(const uint8_t *v, int64_t n, float *out);

/* -- atomic files (src/io/atomic_file.c): every writer in the project goes through these. */
typedef struct gan_atomic_file gan_atomic_file;
/* Creates "<path>.tmp.<pid>". On success *out belongs to the caller until it passes it to
 * gan_atomic_commit or gan_atomic_abort (exactly one of them). */
gan_status gan_atomic_open(const char *path, gan_atomic_file **out);
/* Appends n bytes. Errors are sticky: after a failure further writes do nothing and commit
 * returns the first error (and removes the temp file). */
gan_status gan_atomic_write(gan_atomic_file *f, const void *data, size_t n);
/* fflush + fsync + close + rename over path + fsync of the folder. Frees f whatever happens;
 * on failure the temp file is removed and path is untouched. */
gan_status gan_atomic_commit(gan_atomic_file *f);
/* Removes the temp file and frees f (NULL: no-op). */
void gan_atomic_abort(gan_atomic_file *f);
/* open + write + commit of one buffer. */
gan_status gan_write_file_atomic(const char *path, const void *data, size_t n);

/* -- IDX datasets (src/data/idx.c): MNIST, Fashion-MNIST; gzipped or plain (zlib reads both).
 * Images: magic 0x00000803, dims N, H, W (big-endian u32), then N*H*W bytes.
 * Labels: magic 0x00000801, dim N, then N bytes. Limits: 1 <= N <= INT_MAX, 1 <= H, W <= 65535;
 * the file must hold exactly the declared bytes (truncation and trailing data are errors). */

/* 8-bit images, (N, H, W, C) row-major; IDX gives C = 1, i.e. (N, H, W). */
typedef struct gan_u8_images {
    uint8_t *data;     /* n*h*w*c bytes; owned, release with gan_u8_images_free */
    int n, h, w, c;
} gan_u8_images;
/* Class labels. */
typedef struct gan_u8_labels {
    uint8_t *data;     /* n class indices; owned, release with gan_u8_labels_free */
    int n;
    int num_classes;   /* largest label + 1 */
} gan_u8_labels;
void gan_u8_images_free(gan_u8_images *im);          /* frees data, zeroes the struct */
void gan_u8_labels_free(gan_u8_labels *lb);
gan_status gan_idx_load_images(const char *path, gan_u8_images *out);
gan_status gan_idx_load_labels(const char *path, gan_u8_labels *out);
/* Images plus (when labels_path is not NULL) their labels; GAN_ERR_MISMATCH when the counts
 * differ. labels_path NULL leaves *labels zeroed. On any failure both are zeroed. */
gan_status gan_idx_load_dataset(const char *images_path, const char *labels_path,
                                gan_u8_images *images, gan_u8_labels *labels);
/* The label file that conventionally sits beside an image file ("x-images-idx3-ubyte.gz" ->
 * "x-labels-idx1-ubyte.gz"; with or without .gz). Writes its path into buf (n bytes) and
 * returns 1 when that file exists; returns 0 (buf = "") when there is none. */
int gan_idx_labels_path(const char *images_path, char *buf, size_t n);

/* -- safetensors (src/io/safetensors.c), the Hugging Face format that PyTorch tools read:
 * u64 header length, a JSON header {"name": {"dtype": "F32", "shape": [..],
 * "data_offsets": [begin, end]}, ..., "__metadata__": {"key": "value", ...}}, then the raw
 * tensor bytes (offsets are relative to the end of the header). */

/* Writing: collect tensors and metadata, then write the file once, atomically. */
typedef struct gan_st_writer gan_st_writer;
gan_st_writer *gan_st_writer_new(void);              /* NULL only when out of memory */
void gan_st_writer_free(gan_st_writer *w);           /* NULL: no-op */
/* Adds a tensor (dtype F32, I64 or U8; ndim 0..GAN_FILE_MAX_DIMS; 0-d = a scalar). The name
 * is copied; `data` is borrowed: it must stay valid and unchanged until gan_st_write returns.
 * GAN_ERR_ARG for an empty, duplicate, non-UTF-8 or "__metadata__" name or a bad shape.
 * Errors are sticky: a writer that refused a tensor also fails gan_st_write. */
gan_status gan_st_add(gan_st_writer *w, const char *name, gan_dtype dtype, int ndim,
                      const int *shape, const void *data);
gan_status gan_st_add_f32(gan_st_writer *w, const char *name, int ndim, const int *shape,
                          const float *data);
gan_status gan_st_add_tensor(gan_st_writer *w, const gan_tensor *t);  /* t->name, F32 */
/* String metadata (key and value copied, UTF-8); setting a key again replaces its value. */
gan_status gan_st_set_meta(gan_st_writer *w, const char *key, const char *value);
/* Writes every tensor (ordered by element size, then as added, so all data is aligned) and
 * the metadata. The writer stays usable (write again, or free it). */
gan_status gan_st_write(gan_st_writer *w, const char *path);

/* Reading: open validates the whole header (length vs file size, JSON, dtypes, shapes,
 * offsets inside the data section and equal to dtype size x shape, no overlaps, no gaps);
 * tensor bytes are read on demand. A gan_st_file is not thread-safe. */
typedef struct gan_st_file gan_st_file;
typedef struct gan_st_info {
    const char *name;        /* owned by the file */
    const char *dtype_name;  /* as written: "F32", "BF16", ...; owned by the file */
    gan_dtype dtype;
    int ndim;
    int shape[GAN_FILE_MAX_DIMS];
    int64_t numel;
    uint64_t offset, nbytes; /* within the data section */
} gan_st_info;
/* On success *out belongs to the caller: close it with gan_st_close. */
gan_status gan_st_open(const char *path, gan_st_file **out);
void gan_st_close(gan_st_file *f);                   /* NULL: no-op */
int gan_st_count(const gan_st_file *f);              /* tensors, in file (offset) order */
const gan_st_info *gan_st_tensor_info(const gan_st_file *f, int i);   /* owned by f */
const gan_st_info *gan_st_find(const gan_st_file *f, const char *name); /* NULL if absent */
int gan_st_meta_count(const gan_st_file *f);
const char *gan_st_meta_key(const gan_st_file *f, int i);             /* owned by f */
const char *gan_st_meta_value(const gan_st_file *f, int i);           /* owned by f */
const char *gan_st_meta(const gan_st_file *f, const char *key);       /* NULL if absent */
/* Copies tensor `name` into dst, which holds numel elements of the expected dtype and shape.
 * GAN_ERR_MISMATCH (the message names the file, the tensor and both shapes or dtypes) when
 * it is absent or has another dtype or shape; GAN_ERR_IO when reading fails. */
gan_status gan_st_read(gan_st_file *f, const char *name, gan_dtype dtype, int ndim,
                       const int *shape, void *dst);
gan_status gan_st_read_f32(gan_st_file *f, const char *name, int ndim, const int *shape,
                           float *dst);
gan_status gan_st_read_tensor(gan_st_file *f, gan_tensor *t);   /* by t->name into t->data */

/* -- a net's tensors in a safetensors file (src/io/net_file.c): the one writer of checkpoints
 * and classifier files. A tensor is stored as "<prefix>.<name>" ("<name>" when prefix is NULL),
 * F32, except BN's num_batches_tracked: a 0-d I64, as PyTorch's state dicts keep it. With
 * moments, each parameter (not buffer) also gets "optim.<prefix>.exp_avg.<name>" and
 * "optim.<prefix>.exp_avg_sq.<name>" (the net's adam_m and adam_v blocks, which RMSprop and
 * SGD use too). The net's buffers are borrowed until gan_st_write. */
int gan_st_is_counter(const gan_tensor *t);
gan_status gan_st_add_net(gan_st_writer *w, gan_net *net, const char *prefix, int moments);
/* Reads them back into the finalized net (GAN_ERR_MISMATCH naming a missing or misshapen one). */
gan_status gan_st_read_net(gan_st_file *f, gan_net *net, const char *prefix, int moments);
/* A 0-d I64 tensor holding v (copied). */
gan_status gan_st_add_i64_value(gan_st_writer *w, const char *name, int64_t v);
/* Metadata value as a decimal integer. */
gan_status gan_st_set_meta_i64(gan_st_writer *w, const char *key, int64_t v);

/* -- PNG (src/io/png_grid.c), written with libpng, atomically. */
/* n images (NCHW floats in [-1, 1], c = 1 or 3) tiled as torchvision's
 * save_image(x, nrow=nrow, padding=padding, normalize=True, value_range=(-1, 1)):
 * min(n, nrow) columns, ceil(n / nrow) rows, `padding` black pixels between and around the
 * tiles. Two differences: n = 1 is padded too (make_grid returns a lone image bare), and
 * c = 1 gives a gray PNG (torchvision writes the same values as RGB). */
gan_status gan_png_write_grid(const char *path, const float *images, int n, int c, int h,
                              int w, int nrow, int padding);
/* One image (C,H,W) in [-1, 1], no padding. */
gan_status gan_png_write_image(const char *path, const float *image, int c, int h, int w);
/* One 8-bit image, (H, W, C) interleaved: c = 1 gray, 2 gray+alpha, 3 RGB, 4 RGBA. */
gan_status gan_png_write_u8(const char *path, const uint8_t *pixels, int h, int w, int c);

/* -- .npy (src/io/npy.c): NumPy format 1.0 (header padded to 64 bytes), C order. */
gan_status gan_npy_write_u8(const char *path, const uint8_t *data, int ndim, const int *shape);
gan_status gan_npy_write_f32(const char *path, const float *data, int ndim, const int *shape);
/* n float images (NCHW, [-1, 1]) as uint8 (N, H, W) when c = 1, (N, H, W, C) otherwise. */
gan_status gan_npy_write_images(const char *path, const float *images, int n, int c, int h,
                                int w);
typedef struct gan_npy_array {
    void *data;              /* numel elements, C order; owned, release with gan_npy_free */
    gan_dtype dtype;         /* GAN_DTYPE_U8 or GAN_DTYPE_F32 */
    int ndim;
    int shape[GAN_FILE_MAX_DIMS];
    int64_t numel;
} gan_npy_array;
/* Reads format 1.x/2.x/3.x files holding uint8 ("|u1") or little-endian float32 ("<f4") in
 * C order; anything else is GAN_ERR_FORMAT with a message saying which. */
gan_status gan_npy_read(const char *path, gan_npy_array *out);
void gan_npy_free(gan_npy_array *a);

/* -- datasets (src/data/dataset.c, src/data/image_folder.c) */

#define GAN_FASHION_MNIST_DIR "/usr/share/datasets/fashion-mnist"

/* spec: "fashion-mnist" (Debian's dataset-fashion-mnist, train split, or "fashion-mnist:test"),
 * an IDX image file (its label file is loaded too when it sits beside it), or a folder of
 * PNG/JPEG images. Images come back as (N, H, W, C) bytes; labels zeroed when there are none.
 * size > 0 asks for square size x size images (folders are resized and centre-cropped, to 64
 * when size <= 0; IDX images must already have that size, else GAN_ERR_MISMATCH). */
gan_status gan_dataset_load(const char *spec, int size, gan_u8_images *images,
                            gan_u8_labels *labels);
/* (N, H, W, C) bytes -> (N, C, H, W) bytes, as the batcher wants (in place through a copy). */
void gan_u8_images_to_nchw(gan_u8_images *im);
/* A folder of PNG/JPEG images (and its subfolders, one level down), sorted by name, each
 * resized (shorter side = size) and centre-cropped to size x size as torchvision's
 * Resize + CenterCrop on PIL images; C = 1 when every image is grey, else 3. Alpha (and PNG
 * tRNS) is composited onto white, as PIL's alpha_composite(white, im.convert("RGBA"))
 * .convert("RGB") in its 8-bit arithmetic, before resizing. size must be > 0. *n_skipped (may
 * be NULL): how many files were not PNG/JPEG. Details: src/data/image_folder.c. */
gan_status gan_image_folder_load(const char *dir, int size, gan_u8_images *out);
gan_status gan_image_folder_load_ex(const char *dir, int size, gan_u8_images *out,
                                    int *n_skipped);
/* An opaque background colour for alpha compositing; 0 stands for the default, white. */
#define GAN_RGB(r, g, b) (0xFF000000u | (uint32_t)(r) << 16 | (uint32_t)(g) << 8 | (uint32_t)(b))
/* The same onto `background` (0 or GAN_RGB(...)). A background that is not grey makes every
 * image colour (C = 3), since grey + alpha over it is colour. */
gan_status gan_image_folder_load_bg(const char *dir, int size, uint32_t background,
                                    gan_u8_images *out, int *n_skipped);

/* -- batches of named tensors (src/data/batch.c) */

/* What a data source yields and what models and loss terms read: a few tensors by name
 * ("image", "label", "z", "fake", later "text", "audio", "image_b"). The batch borrows the
 * tensors (they live in the step's arena) and copies nothing; names are borrowed too (string
 * literals or strings that outlive the batch). Putting a name that is there replaces it. */
#define GAN_BATCH_MAX 16
typedef struct gan_batch {
    int n;
    const char *name[GAN_BATCH_MAX];
    gan_tensor *t[GAN_BATCH_MAX];
} gan_batch;

/* The tensor named `name`, or NULL. */
gan_tensor *gan_batch_get(const gan_batch *b, const char *name);
/* Adds or replaces; asserts when the batch already holds GAN_BATCH_MAX other names. */
void gan_batch_put(gan_batch *b, const char *name, gan_tensor *t);

/* -- mini-batches (src/data/batcher.c) */

typedef struct gan_batcher gan_batcher;
/* images: n samples of c*h*w bytes, borrowed (must outlive the batcher). */
gan_batcher *gan_batcher_new(const uint8_t *images, int n, int c, int h, int w, uint64_t seed);
/* The same over float samples (e.g. 2-D points), used as they are. */
gan_batcher *gan_batcher_new_f32(const float *samples, int n, int c, int h, int w, uint64_t seed);
void gan_batcher_free(gan_batcher *b);
/* The dataset index of sample j of the batch for `step`. */
int gan_batcher_index(gan_batcher *b, int64_t step, int batch, int j);
/* The batch for `step` as (batch, c, h, w) floats: bytes mapped to [-1, 1] as
 * gan_image_from_u8, float samples copied. */
gan_tensor *gan_batcher_get(gan_batcher *b, gan_ctx *ctx, int64_t step, int batch);


/* -- data sources (src/data/source.c, one src/data/source_<kind>.c per kind)
 *
 * A source is a dataset that yields named fields per sample, each with a fixed per-sample
 * shape; gan_source_batch stacks the fields of the B samples of a step into a gan_batch of
 * (B, ...) tensors. Tensors are float32 only: integer data (class labels, sample indices,
 * lengths) is stored as floats holding exact integers, exact up to 2^24 (so labels are not
 * limited to 256 classes; a source refuses counts past 2^24).
 *
 *     gan_source *src;
 *     gan_source_opts o = {.size = 64, .seed = 7};
 *     if (gan_source_open("classes:data/pets", &o, &src)) puts(gan_last_error());
 *     gan_batch b;
 *     gan_source_batch(src, ctx, step, 64, &b);        // tensors in ctx's arena
 *     gan_tensor *x = gan_batch_get(&b, "image"), *y = gan_batch_get(&b, "label");
 *     printf("%s\n", gan_source_class_name(src, "label", (int)y->data[0]));
 *
 * Specs (paths of index files' entries are relative to the index's folder unless absolute):
 *   "fashion-mnist", "fashion-mnist:test", an IDX image file (labels beside it are loaded),
 *   a folder of images (gan_dataset_load: no labels) -> "image" [+ "label"], "index"
 *   "classes:DIR"   DIR/<class>/<images> (torchvision's ImageFolder): classes = the sorted
 *                   subfolder names, label = the class's position -> "image", "label", "index"
 *   "paired:DIR"    DIR/A/x.png with DIR/B/x.png, matched by file name (every image needs its
 *                   partner) -> "image" (A), "image_b" (B), "index"
 *   "ab:DIR"        junyanz's aligned format: each image is A | B side by side (even width);
 *                   split, then each half resized -> "image" (left), "image_b" (right), "index"
 *   "unpaired:DIR"  DIR/trainA/ and DIR/trainB/ (junyanz's layout): "image", "index" in domain
 *                   0 and "image_b", "index_b" in domain 1, sampled independently (below)
 *   "captions:F"    F: lines FILE<TAB>CAPTION (UTF-8) -> "image", "index"; the caption of
 *                   sample i is gan_source_text(s, i): tokenize the batch's "index" with it
 *   "tags:F"        F: lines FILE<TAB>tag1,tag2,... -> "image", "labels" (B, K) multi-hot
 *                   over the K distinct tags sorted by strcmp (gan_source_class_name), "index"
 *   "audio:F"       F: lines FILE<TAB>SOUND -> "image", "audio" (B, L) samples zero-padded
 *                   to L, "audio_length" (true lengths, at most L), "index"; sounds are read
 *                   by opts.audio_loader
 * Index files: see src/data/index.c (empty lines skipped, a \r before \n dropped, invalid
 * UTF-8 or a missing tab is an error naming the file and line). Image folders and the images
 * an index names are loaded as gan_image_folder_load_bg does (resized and centre-cropped to
 * opts.size, alpha composited onto opts.background); each image field has its own C (1 when
 * all its images are grey). Opening reads every sample into memory; any error (a missing or
 * broken file, an empty folder, A and B names that do not match, an AB image of odd width)
 * returns a status, sets a one-line message naming the file (and line) and builds nothing.
 *
 * Determinism: sample j of the batch of step k in domain 0 is gan_batcher_index of a
 * gan_batcher over the domain's n samples with opts.seed, so "image" is bit for bit what
 * gan_batcher_get gives over the same images (same permutation, same [-1, 1] mapping).
 * Domain 1 uses the same rule with seed ^ GAN_SOURCE_DOMAIN_SALT over its own count: its
 * order is independent of domain 0's. The batch of step k is a pure function of (seed, k);
 * a source keeps no other state (resuming needs only the step). Not thread-safe (it caches
 * the current epoch's permutation). */
typedef struct gan_source gan_source;
#define GAN_SOURCE_DOMAIN_SALT 0x9e3779b97f4a7c15ull

typedef enum gan_field_kind {
    GAN_FIELD_IMAGE,       /* (C, H, W) bytes mapped to [-1, 1] as gan_image_from_u8 */
    GAN_FIELD_INT,         /* () an integer as an exact float: a class label, a length */
    GAN_FIELD_FLOAT,       /* floats as stored */
    GAN_FIELD_MULTI_HOT,   /* (K) 1 for each class the sample has, else 0 */
    GAN_FIELD_AUDIO,       /* (L) samples, zero past the sample's length */
    GAN_FIELD_INDEX,       /* () the sample's index in its domain (0..n-1) */
} gan_field_kind;

typedef struct gan_field_info {
    const char *name;      /* "image", "label", ...; owned by the source */
    gan_field_kind kind;
    int domain;            /* 0; 1 for the second domain of an unpaired source */
    int ndim;              /* per-sample dimensions (0: one number); the batch adds B in front */
    int shape[GAN_MAX_DIMS - 1];
    int classes;           /* labels: number of classes; MULTI_HOT: K; else 0 */
    int rate;              /* AUDIO: samples per second; else 0 */
} gan_field_info;

/* Reads the sound file `path` (the lead plugs the WAV reader in here): on success *samples
 * is a malloc'd array of *n mono samples (the source frees it with free()) at *rate Hz; on
 * failure it returns a status with a message from gan_fail naming the file. */
typedef gan_status (*gan_audio_loader)(const char *path, void *ud, float **samples, int64_t *n,
                                       int *rate);

typedef struct gan_source_opts {
    int size;                    /* image side; <= 0: 64 for folders and indexes, and IDX
                                    files as they are (> 0: IDX must already have it) */
    uint64_t seed;               /* the batch order's seed */
    uint32_t background;         /* alpha composited onto it: 0 = white, or GAN_RGB(r, g, b) */
    gan_audio_loader audio_loader; /* "audio:" sources: required */
    void *audio_ud;              /* passed to audio_loader */
    int64_t audio_samples;       /* L; <= 0: the longest sound (longer ones are cut to L) */
} gan_source_opts;

/* opts NULL: all zero (size 64, seed 0, white). On success *out belongs to the caller (free
 * with gan_source_free); on failure *out = NULL. */
gan_status gan_source_open(const char *spec, const gan_source_opts *opts, gan_source **out);
void gan_source_free(gan_source *s);                  /* NULL: no-op */
/* Fills *out (its previous contents dropped) with one (B, ...) tensor per field, allocated
 * in ctx's arena (valid until gan_ctx_reset); names are the source's (valid while it lives).
 * GAN_ERR_ARG for batch < 1 or step < 0. No malloc: a steady-state step stays allocation-free. */
gan_status gan_source_batch(gan_source *s, gan_ctx *ctx, int64_t step, int batch,
                            gan_batch *out);
const char *gan_source_kind(const gan_source *s);     /* "images", "classes", "paired", ... */
int gan_source_num_fields(const gan_source *s);
const gan_field_info *gan_source_field(const gan_source *s, int i);       /* owned by s */
const gan_field_info *gan_source_find(const gan_source *s, const char *name); /* or NULL */
int gan_source_num_domains(const gan_source *s);      /* 1, or 2 for unpaired sources */
int64_t gan_source_len(const gan_source *s, int domain);  /* samples (0: no such domain) */
/* The sample index of batch row j for `step` in `domain` (what the batch's "index" holds). */
int64_t gan_source_index(gan_source *s, int domain, int64_t step, int batch, int j);
/* The name of class k of a label field ("label": a class folder's name, Fashion-MNIST's
 * class names; "labels": tag k), owned by s; NULL when it has none or k is out of range. */
const char *gan_source_class_name(const gan_source *s, const char *field, int k);
/* The caption of sample `index` of a "captions:" source (valid UTF-8, owned by s); NULL for
 * other sources or an index out of range. */
const char *gan_source_text(const gan_source *s, int64_t index);
/* ---- audio (src/audio) and speech (src/speech) */
/* -- audio
 * Conventions (docs/AUDIO.md has the librosa / torchaudio correspondence):
 *  - Samples are float in [-1, 1]; spectrograms are (bins, frames) row-major with
 *    bins = n_fft / 2 + 1, as librosa's and torchaudio's (freq, time); complex values are
 *    interleaved (re, im), so a complex STFT is (bins, frames, 2).
 *  - Every function here is reentrant: FFT plans are made once per size and shared, their
 *    making serialised by a lock (FFTW's planner is not thread-safe). Scratch memory comes
 *    from malloc, so a huge input is GAN_ERR_NOMEM, not an abort. Outputs are caller-owned
 *    buffers of the sizes given. */

/* WAV (src/audio/wav.c): RIFF WAVE, 16-bit PCM, mono or stereo, any rate; WAVE_FORMAT_
 * EXTENSIBLE holding 16-bit PCM is read too. Other encodings (24/32-bit, float, A-law,
 * ADPCM ...), more channels, a missing fmt or data chunk, a data chunk larger than the file
 * ("x.wav: truncated: data chunk says 88200 bytes, file has 1024") are GAN_ERR_FORMAT with one
 * line naming the file. Unknown chunks (LIST, fact ...) are skipped; the RIFF size is not
 * trusted (streams leave it wrong), the file's end is. Memory is bounded by the file size. */
typedef struct gan_wav {
    int16_t *pcm;      /* n_frames * channels samples, interleaved; owned, gan_wav_free */
    int64_t n_frames;
    int channels;      /* 1 or 2 */
    int rate;          /* frames per second */
} gan_wav;
gan_status gan_wav_read(const char *path, gan_wav *out);
/* The same from n bytes in memory; `name` (NULL: "(memory)") starts the messages. */
gan_status gan_wav_parse(const void *bytes, size_t n, const char *name, gan_wav *out);
void gan_wav_free(gan_wav *w);                       /* zeroes; safe on a zeroed struct */
/* A 44-byte canonical header + samples, atomically. channels 1 or 2, rate >= 1. */
gan_status gan_wav_write(const char *path, const int16_t *pcm, int64_t n_frames, int channels,
                         int rate);
/* The same from floats, through gan_f32_to_pcm16. */
gan_status gan_wav_write_f32(const char *path, const float *x, int64_t n_frames, int channels,
                             int rate);
/* int16 -> float: x / 32768 (so -32768 -> -1 exactly, 32767 -> 0.99997). */
void gan_pcm16_to_f32(const int16_t *in, int64_t n, float *out);
/* float -> int16: round(x * 32768) half away from zero, clamped to [-32768, 32767], NaN -> 0.
 * It inverts gan_pcm16_to_f32 exactly, so write -> read -> write is bit-identical. */
void gan_f32_to_pcm16(const float *in, int64_t n, int16_t *out);
/* One channel of w as n_frames floats (channel -1: the mean of the channels). */
void gan_wav_channel_f32(const gan_wav *w, int channel, float *out);
/* A gan_audio_loader for "audio:" sources: the WAV file as mono floats (the mean of its
 * channels), malloc'd; ud unused. */
gan_status gan_wav_loader(const char *path, void *ud, float **samples, int64_t *n, int *rate);

/* STFT (src/audio/stft.c), as torch.stft(x, n_fft, hop, win_length, window, center=True,
 * pad_mode="reflect", onesided=True, return_complex=True) and librosa.stft(...,
 * pad_mode="reflect") (librosa >= 0.10 pads with zeros by default). Windows are periodic
 * (torch.hann_window(N), scipy get_window(..., fftbins=True)) of win_length samples centred
 * in n_fft. center: the signal is reflect-padded by n_fft / 2 on each side ("reflect" does
 * not repeat the edge sample, so it needs n > n_fft / 2); frames = 1 + n / hop. Without
 * center, frames = 1 + (n - n_fft) / hop. No normalisation. */
typedef enum gan_window { GAN_WINDOW_HANN, GAN_WINDOW_HAMMING } gan_window;
typedef struct gan_stft_opts {
    int n_fft;          /* FFT size = frame length, 2 .. 2^20 */
    int hop;            /* samples between frames */
    int win_length;     /* <= n_fft; 0 means n_fft */
    gan_window window;
    int center;         /* 1: reflect-pad by n_fft / 2 (torch's and librosa's default) */
} gan_stft_opts;
gan_stft_opts gan_stft_opts_default(int n_fft);      /* hop n_fft/4, hann, win n_fft, center */
/* Frames of an n-sample signal, or -1 when opts are invalid or n is too short. */
int64_t gan_stft_frames(const gan_stft_opts *o, int64_t n);
/* out: (n_fft/2 + 1, frames, 2) complex STFT of x (n,). */
gan_status gan_stft(const float *x, int64_t n, const gan_stft_opts *o, float *out);
/* out: (n_fft/2 + 1, frames) |STFT|^power (1: magnitude, 2: power; torchaudio's Spectrogram). */
gan_status gan_spectrogram(const float *x, int64_t n, const gan_stft_opts *o, float power,
                           float *out);
/* out: `length` samples from a (bins, frames, 2) STFT, as torch.istft(..., length=length):
 * overlap-add of windowed inverse FFTs divided by the summed squared window (samples whose
 * envelope is below 1e-11 are 0). The imaginary parts of DC and Nyquist are ignored. */
gan_status gan_istft(const float *spec, int64_t frames, const gan_stft_opts *o, int64_t length,
                     float *out);

/* Mel features (src/audio/mel.c), as librosa.filters.mel(sr, n_fft, n_mels, fmin, fmax, htk,
 * norm) (bins at k * sr / n_fft as np.fft.rfftfreq; torchaudio's melscale_fbanks gives the
 * same bank for norm "slaney"/None and mel_scale "slaney"/"htk" at even n_fft). */
typedef enum gan_mel_scale { GAN_MEL_SLANEY, GAN_MEL_HTK } gan_mel_scale;
typedef enum gan_mel_norm {
    GAN_MEL_NORM_NONE,      /* triangles peak at 1 (torchaudio's default) */
    GAN_MEL_NORM_SLANEY,    /* each scaled by 2 / (its width in Hz): librosa's default */
} gan_mel_norm;
typedef struct gan_mel_opts {
    int sample_rate;
    int n_mels;
    float fmin, fmax;       /* Hz; fmax <= 0 means sample_rate / 2 */
    gan_mel_scale scale;
    gan_mel_norm norm;
} gan_mel_opts;
gan_mel_opts gan_mel_opts_default(int sample_rate, int n_mels);  /* librosa's: Slaney, slaney */
double gan_hz_to_mel(double hz, gan_mel_scale scale);
double gan_mel_to_hz(double mel, gan_mel_scale scale);
/* out: the (n_mels, n_fft/2 + 1) filterbank. */
gan_status gan_mel_filterbank(const gan_mel_opts *o, int n_fft, float *out);
/* out (n_mels, frames) = bank (n_mels, n_bins) @ spec (n_bins, frames). */
void gan_mel_apply(const float *bank, int n_mels, int n_bins, const float *spec, int64_t frames,
                   float *out);
/* out: (n_mels, frames) mel spectrogram of x (spectrogram with `power`, then the bank). */
gan_status gan_mel_spectrogram(const float *x, int64_t n, const gan_stft_opts *so,
                               const gan_mel_opts *mo, float power, float *out);
/* out = log(max(x, eps)) (the log-mel of most GAN vocoders, eps 1e-5 .. 1e-10). In place ok. */
void gan_log_clamp(const float *x, int64_t n, float eps, float *out);
/* Decibels as librosa.power_to_db (multiplier 10) / amplitude_to_db (20):
 * multiplier * log10(max(x, amin) / max(ref, amin)), floored at max - top_db when top_db > 0
 * (librosa: amin 1e-10, ref 1, top_db 80; torchaudio's AmplitudeToDB the same). In place ok. */
void gan_to_db(const float *x, int64_t n, float multiplier, float amin, float ref, float top_db,
               float *out);
/* out (n_mfcc, frames): DCT-II (orthonormal) of logmel (n_mels, frames) along the mels, first
 * n_mfcc rows: librosa.feature.mfcc(S=logmel, n_mfcc, dct_type=2, norm="ortho") and
 * torchaudio's MFCC (with logmel its AmplitudeToDB of the mel power). */
gan_status gan_mfcc(const float *logmel, int n_mels, int64_t frames, int n_mfcc, float *out);

/* Inversion (src/audio/mel_inverse.c, src/audio/griffin_lim.c). */
/* out (n_bins, frames) >= 0 with bank @ out ~ mel: the least-norm solution clipped at 0
 * (torchaudio's InverseMelScale), then n_iter projected-gradient rounds of non-negative least
 * squares (librosa's mel_to_stft solves the same problem). A mel of a power spectrogram gives
 * a power spectrogram back: take its square root for gan_griffin_lim. */
gan_status gan_mel_to_linear(const float *bank, int n_mels, int n_bins, const float *mel,
                             int64_t frames, int n_iter, float *out);
typedef struct gan_griffin_lim_opts {
    int n_iter;         /* rounds (torchaudio's default 32) */
    float momentum;     /* 0 .. <1: "fast Griffin-Lim" (torchaudio's default 0.99), 0 = plain */
    uint64_t seed;      /* 0: zero starting phase; else uniform random phase from Philox(seed) */
} gan_griffin_lim_opts;
gan_griffin_lim_opts gan_griffin_lim_default(void);  /* 32 rounds, momentum 0.99, seed 0 */
/* out: `length` samples whose STFT magnitude approaches mag (bins, frames); length must give
 * `frames` frames. sc (n_iter doubles, or NULL): the spectral convergence after each round. */
gan_status gan_griffin_lim(const float *mag, int64_t frames, const gan_stft_opts *o,
                           const gan_griffin_lim_opts *g, int64_t length, float *out, double *sc);
/* *sc = ||mag - |STFT(x)|||_F / ||mag||_F (x has n samples; its frames must match). */
gan_status gan_spectral_convergence(const float *mag, int64_t frames, const float *x, int64_t n,
                                    const gan_stft_opts *o, double *sc);

/* -- speech (src/speech/espeak.c): eSpeak NG synthesis into memory, with the phonemes' times.
 * Thread-safety: espeak-ng keeps one synthesiser per process (global state), so calls are
 * serialised by a lock: threads may call gan_speech_synth but run one at a time, and nothing
 * else in the process may use espeak-ng directly meanwhile. The library is initialised on
 * first use (22,050 Hz mono) and stays loaded until gan_speech_shutdown. */
typedef struct gan_phoneme {
    char name[16];      /* eSpeak's phoneme mnemonic ("h", "@", "oU", "_:" a pause), UTF-8 */
    int64_t start, end; /* samples [start, end): start from eSpeak's event, end = next start */
} gan_phoneme;
typedef struct gan_speech {
    int16_t *pcm;       /* n_samples mono samples; owned, gan_speech_free */
    int64_t n_samples;
    int rate;           /* 22050 */
    gan_phoneme *phonemes;   /* in time order, non-overlapping, within [0, n_samples]; owned */
    int n_phonemes;
} gan_speech;
typedef struct gan_speech_opts {
    const char *voice;  /* eSpeak voice name with an optional variant: "en-us", "en-us+f3" */
    int pitch;          /* base pitch 0 .. 100 (50 normal) */
    int rate;           /* words per minute 80 .. 450 (175 normal) */
    int amplitude;      /* volume 0 .. 200 (100 normal) */
} gan_speech_opts;
gan_speech_opts gan_speech_opts_default(void);      /* "en-us", 50, 175, 100 */
/* Synthesises UTF-8 text. GAN_ERR_ARG for an unknown voice or a setting out of range (the
 * message names it), GAN_ERR_IO when espeak-ng cannot start (its data missing). */
gan_status gan_speech_synth(const char *text, const gan_speech_opts *o, gan_speech *out);
void gan_speech_free(gan_speech *s);                 /* zeroes; safe on a zeroed struct */
/* GAN_OK when o would synthesise: settings in range and the voice known (else the message of
 * gan_speech_synth). */
gan_status gan_speech_opts_check(const gan_speech_opts *o);
/* 1 when espeak-ng knows the voice (variant included). */
int gan_speech_voice_exists(const char *voice);
/* Releases espeak-ng (it starts again on the next call). */
void gan_speech_shutdown(void);

/* The texts of `gan data speech` (src/speech/texts.c): one UTF-8 text per line; "\r\n" ends
 * are accepted, empty lines and lines that start with '#' are skipped, invalid UTF-8, a NUL
 * byte or a line over 4096 bytes is GAN_ERR_FORMAT naming file and line ("t.txt:3: invalid
 * UTF-8"). */
typedef struct gan_text_lines {
    char **text;        /* n strings; owned (all), gan_text_lines_free */
    int *line;          /* the 1-based line number of each */
    int n;
} gan_text_lines;
gan_status gan_text_lines_read(const char *path, gan_text_lines *out);
gan_status gan_text_lines_parse(const char *bytes, size_t n, const char *name, gan_text_lines *out);
void gan_text_lines_free(gan_text_lines *t);


/* ---- evaluation metrics (src/eval) */
/*
 * Sample-quality metrics computed on feature vectors (e.g. a classifier's penultimate layer on
 * real and on generated images). A feature set is a row-major (n, d) matrix of float or
 * double, passed as a gan_feats that borrows it. Shared rules:
 *  - All arithmetic is in double; results do not depend on the thread count (gan_set_threads).
 *  - Bad input returns GAN_ERR_ARG with a message in gan_last_error() and leaves the outputs
 *    untouched: NULL data, too few rows (each metric says how many it needs), feature sets of
 *    different d, NaN or infinite values, k or subset sizes out of range.
 *  - Nothing is kept between calls except what a caller-owned struct holds (gan_fid_stats).
 */

typedef struct gan_feats {
    const void *data;   /* n*d values, row-major; borrowed */
    int n, d;           /* rows (samples) and columns (feature dimension) */
    int is_f64;         /* 0: data is float, 1: data is double */
} gan_feats;
static inline gan_feats gan_feats_f32(const float *x, int n, int d) {
    gan_feats f = {x, n, d, 0};
    return f;
}
static inline gan_feats gan_feats_f64(const double *x, int n, int d) {
    gan_feats f = {x, n, d, 1};
    return f;
}

/* -- Fréchet Inception Distance (src/eval/fid.c): the Fréchet distance between Gaussians fitted
 * to two feature sets, as pytorch-fid computes it:
 *     FID = |mu1 - mu2|^2 + tr S1 + tr S2 - 2 tr sqrt(S1 S2)
 * with unbiased covariances (divided by n - 1, as numpy.cov). tr sqrt(S1 S2) is the sum of the
 * square roots of the eigenvalues of the symmetric PSD matrix sqrt(S1) S2 sqrt(S1), both found
 * with LAPACKE_dsyevd (eigenvalues below 0 from rounding count as 0), so singular covariances
 * (n <= d, features on a subspace) need no regularising offset. */

/* The Gaussian fitted to one feature set. Compute it once for the real data and reuse it. */
typedef struct gan_fid_stats {
    int d;              /* feature dimension */
    int64_t n;          /* rows it was computed from */
    double *mu;         /* (d) mean; owned */
    double *sigma;      /* (d, d) covariance, unbiased, symmetric; owned */
} gan_fid_stats;
/* Needs n >= 2. On success *out owns mu and sigma (gan_fid_stats_free); on failure it is
 * zeroed. */
gan_status gan_fid_stats_compute(gan_feats x, gan_fid_stats *out);
void gan_fid_stats_free(gan_fid_stats *s);           /* zeroes it; safe on a zeroed struct */
/* A cache file: "GANFID1\n", u32 d, i64 n, f64 mu[d], f64 sigma[d*d] (little-endian), written
 * atomically. Load checks the magic, d >= 1, n >= 2, the exact file size and that every value
 * is finite (GAN_ERR_FORMAT with the path otherwise). */
gan_status gan_fid_stats_save(const gan_fid_stats *s, const char *path);
gan_status gan_fid_stats_load(const char *path, gan_fid_stats *out);
/* FID between two fitted Gaussians (same d, else GAN_ERR_ARG). The eigen-solves run on one
 * BLAS thread (OpenBLAS's threaded solver changes the last bits with the thread count; the
 * count is restored after): seconds for d = 2048, milliseconds for d <= 256. */
gan_status gan_fid_from_stats(const gan_fid_stats *a, const gan_fid_stats *b, double *fid);
/* Both steps at once (each set needs n >= 2). */
gan_status gan_fid(gan_feats x, gan_feats y, double *fid);

/* -- Kernel Inception Distance (src/eval/kid.c; Bińkowski et al. 2018) as torch-fidelity and
 * clean-fid compute it: the unbiased MMD^2 estimate with the kernel k(x, y) = (x.y / d + 1)^3,
 * averaged over n_subsets random pairs of subsets (subset_size rows of each set, drawn without
 * replacement); std is the population standard deviation over subsets (numpy.std). */
typedef struct gan_kid_opts {
    int n_subsets;      /* 100; >= 1 */
    int subset_size;    /* 1000; clamped to min(x.n, y.n); needs >= 2 after clamping */
    uint64_t seed;      /* subsets drawn from gan_rng_init(seed), all of x's then all of y's
                         * (gan_kid_sample_subsets): same seed, same subsets */
} gan_kid_opts;
gan_kid_opts gan_kid_opts_default(void);
typedef struct gan_kid_result {
    double mean, std;
    int n_subsets, subset_size;   /* as used (subset_size after clamping) */
} gan_kid_result;
/* opts NULL: defaults. */
gan_status gan_kid(gan_feats x, gan_feats y, const gan_kid_opts *opts, gan_kid_result *out);
/* The subsets gan_kid draws: idx (n_subsets, m) row indices in [0, n), each row distinct
 * (a partial Fisher-Yates shuffle per subset, consuming r). Needs 1 <= m <= n. */
gan_status gan_kid_sample_subsets(int n, int m, int n_subsets, gan_rng *r, int *idx);
/* KID on given subsets: idx_x and idx_y are (n_subsets, m) row indices into x and y (checked
 * to be in range; repeats allowed). m >= 2. */
gan_status gan_kid_subsets(gan_feats x, gan_feats y, int n_subsets, int m, const int *idx_x,
                           const int *idx_y, gan_kid_result *out);

/* -- improved precision and recall (src/eval/prdc.c; Kynkäänniemi et al. 2019) plus density
 * and coverage (Naeem et al. 2020), from k-nearest-neighbour balls in Euclidean distance.
 * The radius of a sample is the distance to its k-th nearest neighbour in its own set (itself
 * excluded).
 *   precision = fraction of fake samples within (<=) the radius of some real sample
 *   recall    = fraction of real samples within (<=) the radius of some fake sample
 *   density   = (1 / (k * n_fake)) * sum over fakes of the number of real balls (<) holding it
 *   coverage  = fraction of real samples whose nearest fake sample is inside (<) its ball
 * Distances come from BLAS in tiles, so memory stays O((n_real + n_fake) * (d + k)). */
typedef struct gan_prdc_result { double precision, recall, density, coverage; } gan_prdc_result;
/* k = 3 is the paper's choice (prdc's is 5). Needs 1 <= k < n for each set. */
gan_status gan_prdc(gan_feats real, gan_feats fake, int k, gan_prdc_result *out);

/* -- class statistics for labelled data (src/eval/class_stats.c), from a classifier's (n, K)
 * outputs on generated samples: how evenly the samples spread over the classes and how sure
 * the classifier is about them. */
typedef enum gan_class_scores {
    GAN_CLASS_PROBS,    /* rows are probabilities: >= 0, summing to 1 (within 1e-3) */
    GAN_CLASS_LOGITS,   /* rows are logits: softmax is applied */
} gan_class_scores;
typedef struct gan_class_stats {
    double entropy;     /* of the histogram of predicted classes (argmax, first on ties), in
                         * nats: log K when every class is predicted equally often, 0 for one */
    double confidence;  /* mean over samples of the largest class probability */
} gan_class_stats;
/* scores (n, K) with n >= 1, K >= 2. counts: NULL or K slots for the histogram. */
gan_status gan_class_stats_compute(gan_feats scores, gan_class_scores kind, int64_t *counts,
                                   gan_class_stats *out);

/* -- feature networks (src/eval/classifier.c): a compact CNN trained on the labelled dataset
 * itself, whose pooled conv features feed the metrics above (ImageNet's Inception means little
 * on 28x28 greyscale clothes). For C x H x W inputs in [-1, 1]:
 *     blocks of [conv3x3 (no bias) -> batch norm -> ReLU] x depth -> avg_pool 2, block b with
 *         width << min(b, 2) channels; odd sides are zero-padded by one before pooling;
 *         at least 2 blocks, more until both sides are <= 4 (28x28: 28, 14, 7 -> 4x4)
 *     the features: the global average of the last block's ReLU output (before its pool),
 *         F = its channels (64 by default) -- the analogue of Inception's pool3
 *     flatten -> linear(hidden) -> ReLU -> dropout -> linear(K)   the logits, K = largest label + 1
 * Why not the hidden layer: trained to separate classes, its features put every class far
 * from the others, so uniform noise scored a better FID than real images of one class
 * (294 vs 568 on Fashion-MNIST); the pooled conv features rank floor < GAN < one class < noise.
 * Training: AdamW (lr with a cosine decay to 0 over the run, decoupled weight decay),
 * cross-entropy, shuffled batches (gan_batcher's order), augmentation by a left-right flip
 * and (when shift > 0) a shift of up to `shift` pixels (zero bytes come in at the border),
 * drawn per sample. Same seed, data and thread count: the same weights, bit for bit.
 * The defaults (width 16, depth 2, 6 epochs: 2,813 steps) reach 92.7% / 92.6% (seeds 1 / 2)
 * on Fashion-MNIST's test set in ~600 CPU-seconds. Inference uses batch norm's running
 * statistics, no dropout, and the classifier's own arena: a gan_classifier is not
 * thread-safe. */
typedef struct gan_classifier gan_classifier;
typedef struct gan_classifier_opts {
    int epochs;           /* passes over the data (6); ignored when steps > 0 */
    int64_t steps;        /* > 0: exactly this many batches instead */
    int batch;            /* 128; >= 2 */
    float lr;             /* peak AdamW learning rate (1e-3) */
    float weight_decay;   /* decoupled, as torch.optim.AdamW (5e-4) */
    uint64_t seed;        /* weights, batch order, augmentation, dropout (1) */
    int augment;          /* 1: the flips and shifts below; 0: none */
    int shift;            /* largest shift in pixels, each direction (0: none; 2 cost 0.9%
                           * test accuracy on Fashion-MNIST in 6 epochs) */
    int flip;             /* random left-right flips (1); off for digits and text */
    int width;            /* channels of the first block (16) */
    int depth;            /* convolutions per block (2) */
    int blocks;           /* pooling stages; 0: 2, more until both sides are <= 4 */
    int hidden;           /* width of the fully connected hidden layer (128) */
    float dropout;        /* before the last layer (0.3) */
} gan_classifier_opts;
gan_classifier_opts gan_classifier_opts_default(void);

/* What a classifier is, as saved in its file's __metadata__ ("gan.<field>"). */
typedef struct gan_classifier_info {
    int channels, height, width;   /* the input it takes */
    int classes;                   /* K */
    int base_width, depth, hidden;     /* opts.width, opts.depth, opts.hidden */
    int features;                  /* F: the last block's channels */
    int blocks;                    /* pooling stages (opts.blocks, resolved) */
    int64_t steps;                 /* batches it was trained for */
    uint64_t seed;
    char data[256];                /* the dataset spec it was trained on ("" unknown) */
    double test_accuracy;          /* measured on held-out data; < 0 when unknown */
} gan_classifier_info;

typedef struct gan_classifier_progress {
    int64_t step, total;           /* batches done, all batches */
    double epoch;                  /* passes done, fractional */
    float loss;                    /* this batch's cross-entropy */
    float batch_accuracy;          /* this batch's share of right answers (training mode) */
    float lr;                      /* the rate this step used */
    gan_classifier *classifier;    /* the network in training, after this step's update: the
                                    * callback may measure it (gan_classifier_accuracy) */
} gan_classifier_progress;
/* Called after every step. */
typedef void (*gan_classifier_progress_fn)(void *ud, const gan_classifier_progress *p);

/* Trains on images (N, H, W, C) as gan_dataset_load returns them and their labels (needs
 * >= 2 classes). opts NULL: defaults; progress may be NULL. GAN_ERR_ARG with a message for
 * bad options or data (and if training diverges); on success *out is the caller's
 * (gan_classifier_free). */
gan_status gan_classifier_train(const gan_classifier_opts *opts, const gan_u8_images *images,
                                const gan_u8_labels *labels, gan_classifier_progress_fn progress,
                                void *ud, gan_classifier **out);
void gan_classifier_free(gan_classifier *c);                       /* NULL: no-op */
const gan_classifier_info *gan_classifier_get_info(const gan_classifier *c);
/* The network's parameters and buffers (PyTorch-style names: "block0.conv0.weight",
 * "block0.bn0.running_mean", "fc1.weight", ...). */
gan_net *gan_classifier_net(gan_classifier *c);
/* Records where it was trained and how well it did (data NULL: unchanged), saved with it. */
void gan_classifier_set_provenance(gan_classifier *c, const char *data, double test_accuracy);

/* n images (n, ch, h, w) floats in [-1, 1] (e.g. G's samples) -> features (n, F) and, when
 * not NULL, class probabilities (n, K) (softmax of the logits); either output may be NULL.
 * Batches of 256. GAN_ERR_MISMATCH when (ch, h, w) is not the classifier's input. */
gan_status gan_classifier_features(gan_classifier *c, const float *images, int n, int ch, int h,
                                   int w, float *features, float *probs);
/* The same for bytes (N, H, W, C) as gan_dataset_load returns them (mapped as
 * gan_image_from_u8). */
gan_status gan_classifier_features_u8(gan_classifier *c, const gan_u8_images *images,
                                      float *features, float *probs);
/* Share of images whose most probable class (first on ties) is their label. */
gan_status gan_classifier_accuracy(gan_classifier *c, const gan_u8_images *images,
                                   const gan_u8_labels *labels, double *accuracy);

/* Safetensors, written atomically: every parameter and buffer under its net name (BN's
 * num_batches_tracked as a 0-d I64, as PyTorch), __metadata__ "format" = "gan.c-classifier-2"
 * and the info fields as "gan.channels", "gan.height", "gan.width", "gan.classes",
 * "gan.base_width", "gan.depth", "gan.blocks", "gan.hidden", "gan.features", "gan.steps", "gan.seed",
 * "gan.dropout", "gan.data", "gan.test_accuracy". Load checks the format, the metadata and every tensor's shape before
 * allocating (GAN_ERR_FORMAT / GAN_ERR_MISMATCH with the path); *out is the caller's. */
gan_status gan_classifier_save(const gan_classifier *c, const char *path);
gan_status gan_classifier_load(const char *path, gan_classifier **out);

/* ---- the ring of 8 Gaussians: data and the mode-collapse meter (src/eval/ring8.c) */

/* 8 isotropic Gaussians (std 0.02) on a circle of radius 2, the classic mode-collapse test
 * (Metz et al. 2017). Sample i comes from mode floor(8 u_i), all from Philox (seed, stream). */
#define GAN_RING8_MODES 8
#define GAN_RING8_RADIUS 2.0f
#define GAN_RING8_STD 0.02f
void gan_ring8_sample(float *xy, int n, uint64_t seed, uint64_t stream);   /* (n, 2) */
/* High quality: within 3 std of a mode's centre. A mode is covered when at least 1% of all
 * samples are high-quality samples of that mode (the definition used by VEEGAN/PacGAN-style
 * counts, with a threshold that ignores a few stray points). */
typedef struct gan_ring8_meter {
    int n;                               /* samples measured */
    int per_mode[GAN_RING8_MODES];       /* high-quality samples per mode */
    int covered;                         /* modes covered, 0..8 */
    float high_quality;                  /* share of samples within 3 std of some mode */
} gan_ring8_meter;
gan_ring8_meter gan_ring8_measure(const float *xy, int n);
/* A scatter plot (size x size pixels, the square [-3, 3]^2): samples as dark dots, the modes'
 * 3-std discs in red; atomic PNG. */
gan_status gan_ring8_plot(const char *path, const float *xy, int n, int size);

/* ---- GAN recipes (src/gan) */

/* -- losses, penalties, spectral norm, EMA (src/gan/losses.c, src/gan/penalty.c,
 *    src/nn/spectral_norm.c, src/optim/ema.c) */

/* The adversarial objectives, on D's raw outputs (logits for bce, scores otherwise) of any
 * shape; each term is a mean over its tensor's elements, so d_real and d_fake may hold different
 * batch sizes. Every loss returns shape (1) and is built from ops (second order included).
 *   bce    D: bce(real, 1) + bce(fake, 0)               G: bce(fake, 1) (non-saturating)
 *   lsgan  D: 1/2 mean((real-1)^2) + 1/2 mean(fake^2)   G: 1/2 mean((fake-1)^2)
 *          (Mao et al. 2017, eq. 2 with labels a = 0 fake, b = 1 real, c = 1 for G, and its
 *          1/2 factors: each term is 1/2 * MSE against the label)
 *   wgan   D: mean(fake) - mean(real)                    G: -mean(fake) (pair it with gp or clip)
 *   hinge  D: mean(relu(1 - real)) + mean(relu(1 + fake)) G: -mean(fake) (Lim & Ye 2017) */
typedef enum gan_loss_kind { GAN_LOSS_BCE, GAN_LOSS_LSGAN, GAN_LOSS_WGAN, GAN_LOSS_HINGE } gan_loss_kind;
const char *gan_loss_kind_name(gan_loss_kind k);    /* "bce", "lsgan", "wgan", "hinge" */
/* GAN_ERR_ARG (the message lists the names) for anything else. */
gan_status gan_loss_kind_parse(const char *s, gan_loss_kind *out);
gan_tensor *gan_d_loss(gan_ctx *ctx, gan_loss_kind kind, gan_tensor *d_real, gan_tensor *d_fake);
gan_tensor *gan_g_loss(gan_ctx *ctx, gan_loss_kind kind, gan_tensor *d_fake);

/* D as the penalties see it: x (N, ...) -> scores (N, 1) or any shape whose elements depend on
 * one sample each; the penalties differentiate the sum of the scores. Built with ops. */
typedef gan_tensor *(*gan_d_forward_fn)(gan_ctx *ctx, void *ud, gan_tensor *x);

/* WGAN-GP (Gulrajani et al. 2017): mean over samples of (||grad_x D(x^)||_2 - 1)^2 with
 * x^ = eps * real + (1 - eps) * fake, one eps ~ U(0,1) per sample from Philox (seed, stream).
 * real and fake (same shape, samples first) are read as constants (fake need not be detached).
 * The input gradient is taken with create_graph, so gan_backward of (d_loss + lambda * penalty)
 * reaches D's parameters through the double-backward graph. Returns shape (1); the caller
 * multiplies by lambda (10 in the paper). Grad mode is switched on for the call. The norm is
 * exact (no epsilon under the sqrt); a sample whose gradient is exactly zero gets a zero
 * gradient through the norm, as PyTorch's norm subgradient, instead of 0 * inf = NaN. A D with
 * batch norm in training mode also updates its running stats on x^. */
gan_tensor *gan_gradient_penalty(gan_ctx *ctx, gan_d_forward_fn d, void *ud, gan_tensor *real,
                                 gan_tensor *fake, uint64_t seed, uint64_t stream);
/* The same with a given eps: N values (any shape with N elements, N = real->shape[0]). */
gan_tensor *gan_gradient_penalty_eps(gan_ctx *ctx, gan_d_forward_fn d, void *ud,
                                     gan_tensor *real, gan_tensor *fake, gan_tensor *eps);
/* R1 (Mescheder et al. 2018): mean over samples of ||grad_x D(x)||^2 at the real data (read as
 * a constant). Returns (1); the caller multiplies by gamma/2, and by k when it applies it lazily
 * every k D steps (StyleGAN2). */
gan_tensor *gan_r1_penalty(gan_ctx *ctx, gan_d_forward_fn d, void *ud, gan_tensor *real);

/* Spectral normalisation (Miyato et al. 2018) as torch.nn.utils.spectral_norm: the weight
 * (out, ...) is read as a matrix W (out, K = numel/out) (PyTorch's dim 0: Linear and Conv2d;
 * ConvTranspose2d, which PyTorch reads along dim 1, is not supported); u (out) and v (K) are
 * unit vectors kept between calls. In training, n_power_iterations times
 * v = normalize(W^T u), u = normalize(W v), in place and outside the graph (torch.no_grad);
 * in eval u and v are used as they are. Then sigma = u^T W v is computed with ops and
 * weight / sigma returned, so the gradient flows through sigma into the weight with u, v
 * constants, as in PyTorch. normalize(x) = x / max(||x||, 1e-12). */
gan_tensor *gan_spectral_norm_weight(gan_ctx *ctx, gan_tensor *weight, float *u, float *v,
                                     int n_power_iterations, int training);
/* u^T W v, no graph (for logging and tests). */
float gan_spectral_norm_sigma(const gan_tensor *weight, const float *u, const float *v);
/* A layer's spectral norm: buffers "<weight name>_u" (out) and "<weight name>_v" (K) in the
 * weight's net, torch.nn.utils.spectral_norm's names (the parameter keeps its own name,
 * "<prefix>.weight", which PyTorch calls "<prefix>.weight_orig"), so checkpoints carry them.
 * They start as constant unit vectors; gan_spectral_norm_reset (after gan_net_finalize) draws
 * PyTorch-style random ones. n_power_iterations = 1, as PyTorch's default. */
typedef struct gan_spectral_norm {
    gan_tensor *weight, *u, *v;      /* borrowed from the net */
    int n_power_iterations;
} gan_spectral_norm;
gan_spectral_norm gan_spectral_norm_init(gan_net *net, gan_tensor *weight);
/* u, v = normalize(N(0, 1)) keyed by (seed, stream) and (seed, stream + 1). */
void gan_spectral_norm_reset(const gan_spectral_norm *sn, uint64_t seed, uint64_t stream);
/* weight / sigma, iterating when the context is in training mode. */
gan_tensor *gan_spectral_norm_forward(gan_ctx *ctx, const gan_spectral_norm *sn);

/* An exponential moving average of a network's weights, to sample G from (Yazici et al.
 * 2019): after each G step shadow = decay * shadow + (1 - decay) * w, one flat loop; buffers
 * (BN running stats) are copied as they are. The shadow has the net's layout: weights in
 * gan_net_weights order, then the buffers in declaration order. */
typedef struct gan_ema gan_ema;
gan_ema *gan_ema_new(gan_net *net);         /* shadow = the net's current weights and buffers */
void gan_ema_free(gan_ema *ema);            /* NULL: no-op */
void gan_ema_update(gan_ema *ema, gan_net *net, float decay);  /* decay in [0, 1] */
/* Writes the shadow into dst, a net of the same layout (asserted), e.g. a second G to sample. */
void gan_ema_copy_to(const gan_ema *ema, gan_net *dst);
/* Exchanges shadow and net contents: swap, sample with the net, swap back. */
void gan_ema_swap(gan_ema *ema, gan_net *net);
/* Loads the shadow from a net of the same layout (e.g. restored from a checkpoint). */
void gan_ema_load(gan_ema *ema, gan_net *src);
/* The shadow storage of net tensor i (as gan_net_tensor(net, i): same numel), for checkpoints. */
float *gan_ema_tensor(gan_ema *ema, gan_net *net, int i);
int64_t gan_ema_num_updates(const gan_ema *ema);
/* The decay to use for update number k (0-based) of an EMA with the given decay: the smaller of
 * decay and (1 + k) / (10 + k) (TensorFlow's num_updates warm-up), so the average follows G
 * closely at first instead of staying near the initial weights for ~1 / (1 - decay) updates. */
float gan_ema_warmup_decay(float decay, int64_t k);

/* -- model specs and blocks (src/nn/spec.c, src/nn/spec_expr.c, src/nn/blocks/) */
/*
 * A model is data: a JSON spec of named nets ("G", "D", ...), each a list of blocks from a
 * registry (linear, conv, conv_transpose, norm, relu, leaky_relu, tanh, sigmoid, reshape,
 * flatten, concat, upsample, avg_pool, global_sum_pool, res_up, res_down, embedding, dropout,
 * and whatever a user registers). docs/MODELS.md teaches the format; models/ holds the zoo.
 * Building a net evaluates the spec's integer expressions against its params, unrolls
 * `repeat`, skips blocks whose `when` is false, infers every per-sample shape from the net's
 * declared inputs and declares the parameters in the order the blocks come. Errors (bad JSON,
 * unknown block or option, wrong-typed option, shapes that do not chain, an input nothing
 * produces) are GAN_ERR_FORMAT with one line: "<file>: net D, block 3 (conv main.2): ...".
 */
typedef struct gan_spec gan_spec;

/* Parses a spec (text of len bytes; origin names it in messages: a file name). */
gan_status gan_spec_parse(const char *text, size_t len, const char *origin, gan_spec **out);
/* Reads and parses a file. */
gan_status gan_spec_load(const char *path, gan_spec **out);
/* name_or_path: a path ending in ".json", or a zoo name looked up as models/<name>.json in
 * $GAN_MODELS_DIR, then next to the running binary and up to two folders above it, then
 * <prefix>/share/gan/models. */
gan_status gan_spec_open(const char *name_or_path, gan_spec **out);
void gan_spec_free(gan_spec *s);
const char *gan_spec_name(const gan_spec *s);     /* its "name", or the file's base name */
const char *gan_spec_origin(const gan_spec *s);   /* the file it came from */
/* Params are ints, booleans or strings, declared with their defaults in "params". Setting one
 * parses value by the declared type; GAN_ERR_ARG naming the param when it is not declared or
 * the value does not parse. */
int gan_spec_has_param(const gan_spec *s, const char *param);
gan_status gan_spec_set(gan_spec *s, const char *param, const char *value);
gan_status gan_spec_set_int(gan_spec *s, const char *param, int64_t value);
/* An integer expression over the params and "let" values (e.g. "size", "ngf*8"). */
gan_status gan_spec_eval_int(const gan_spec *s, const char *expr, int64_t *out);
/* Checks "require": GAN_ERR_ARG with the spec's message when one is false. */
gan_status gan_spec_check(const gan_spec *s);
/* The spec as JSON with the current param values written into "params": building it again
 * gives the same nets. The caller frees it with gan_free. */
char *gan_spec_to_json(const gan_spec *s);

/* A built net: its blocks, wired by name, over parameters declared in a gan_net. */
typedef struct gan_module gan_module;
/* Declares the parameters of spec's net `net_name` into `net` (before gan_net_finalize) and
 * returns the module that runs it. */
gan_status gan_build(gan_net *net, const gan_spec *spec, const char *net_name, gan_module **out);
/* After gan_net_finalize(net, seed): the spec's init scheme ("init": "dcgan" redraws conv
 * weights N(0, 0.02) and BN weights N(1, 0.02)) and the spectral-norm vectors. */
void gan_module_init(gan_module *m, uint64_t seed);
void gan_module_free(gan_module *m);
gan_net *gan_module_net(gan_module *m);
/* Runs the net on the batch's tensors named as its inputs ((B, per-sample shape) each; a
 * missing or misshapen input asserts). Returns the output (B, per-sample output shape). */
gan_tensor *gan_module_forward(gan_ctx *ctx, gan_module *m, const gan_batch *in);
/* The same for a net with one input. */
gan_tensor *gan_module_forward1(gan_ctx *ctx, gan_module *m, gan_tensor *x);
int gan_module_num_inputs(const gan_module *m);
const char *gan_module_input_name(const gan_module *m, int i);
/* Per-sample shapes (without the batch dimension); returns ndim and fills shape. */
int gan_module_input_shape(const gan_module *m, int i, int *shape);
int gan_module_output_shape(const gan_module *m, int *shape);
/* 1 when a block mixes the samples of a batch (batch norm in training): per-sample input
 * gradients, as gradient penalties need, are then wrong. */
int gan_module_mixes_batch(const gan_module *m);
/* How many weights of the net are spectrally normalised. */
int gan_module_num_spectral_norms(const gan_module *m);

/* Writing a block. A block type is registered once by name; its build reads options and input
 * shapes through gan_block_*, declares parameters in gan_block_net and sets the output shape;
 * its forward maps batched inputs to one output. Blocks of src/nn/blocks are registered in
 * src/nn/blocks.c; gan_block_register adds a user's (the name must be new). */
typedef struct gan_block_build gan_block_build;
typedef struct gan_block_type {
    const char *name;
    size_t state_size;    /* bytes of per-instance state, zeroed before build */
    int min_inputs, max_inputs;
    gan_status (*build)(gan_block_build *b, void *state);
    gan_tensor *(*forward)(gan_ctx *ctx, void *state, gan_tensor *const *in, int n_in);
} gan_block_type;
#define GAN_BLOCK_MAX_INPUTS 8
gan_status gan_block_register(const gan_block_type *t);
const gan_block_type *gan_block_find(const char *name);

gan_net *gan_block_net(gan_block_build *b);
const char *gan_block_prefix(gan_block_build *b);   /* "name" (templated): params' prefix */
int gan_block_num_inputs(gan_block_build *b);
int gan_block_input_shape(gan_block_build *b, int i, int *shape);   /* per sample; ndim */
void gan_block_set_output(gan_block_build *b, int ndim, const int *shape);
/* Options: def is used when absent unless required; wrong types are errors. Ints may be
 * expressions ("ngf*2"); strings starting with '$' name a string param ("$d_norm"). */
gan_status gan_block_int(gan_block_build *b, const char *key, int required, int def, int *out);
gan_status gan_block_float(gan_block_build *b, const char *key, int required, float def, float *out);
gan_status gan_block_bool(gan_block_build *b, const char *key, int def, int *out);
/* A required array of up to max integers (or expressions); *n says how many. */
gan_status gan_block_ints(gan_block_build *b, const char *key, int max, int *out, int *n);
/* One of `choices` (NULL-terminated); *out is its index. */
gan_status gan_block_choice(gan_block_build *b, const char *key, const char *const *choices,
                            int def, int *out);
/* The error for this block: "<file>: net D, block 3 (conv main.2): <message>". */
gan_status gan_block_fail(gan_block_build *b, const char *fmt, ...);
void gan_block_mixes_batch(gan_block_build *b);
/* Spectral norm on `weight` when the block's "sn" option is true (*on says whether): its power
 * iteration vectors are drawn by gan_module_init from stream sn_stream + 2 * slot, sn_stream
 * being the option's value or, without it, the next free pair of streams from 5000 on. */
gan_status gan_block_spectral_norm(gan_block_build *b, gan_spectral_norm *sn, gan_tensor *weight,
                                   int slot, int *on);
/* A per-instance key for blocks that draw random numbers (dropout): the block's place in the
 * net, unique within it (not keyed by the model's seed). */
uint64_t gan_block_id(gan_block_build *b);

/* -- models: a G and a D built from one spec (src/gan/models.c)
 *
 * The zoo is spec files under models/ (mlp, dcgan28, dcgan, resnet); a user's own spec file is
 * a model just the same. A GAN spec declares the params nz, channels and size and has nets
 * "G" (input z: (nz)) and "D" (input image: (channels, size, size), output (1)). */

typedef struct gan_model_config {
    const char *spec;     /* a zoo name ("dcgan") or a path ending in .json */
    int nz;               /* noise dimension; 0: the spec's default */
    int channels, size;   /* image channels and height = width; 0: the spec's default */
    int ngf, ndf;         /* widths, where the spec declares them; 0: the spec's default */
    const char *d_norm;   /* D's hidden norm "batch" | "layer" | "none", where declared; NULL: default */
    int sn;               /* spectral norm in D: 1 on, -1 off, 0 the spec's default */
    int pyramid;          /* ResNet widths double as the grid halves: 1 on, -1 off, 0 default */
} gan_model_config;

/* The resolved settings of a built model (the spec's params after every override). */
typedef struct gan_model_info {
    const char *name;     /* the spec's name ("resnet", or a user file's) */
    int nz, channels, size;
    int sn;               /* D has spectrally normalised weights */
} gan_model_info;

typedef struct gan_model gan_model;

/* Opens cfg->spec, applies the fields that are set (GAN_ERR_ARG naming the setting when the
 * spec does not declare it or the value is out of range), checks the spec's "require", builds
 * G and D and initialises them from `seed` (G from seed*2+1, D from seed*2+2; the spec's
 * init scheme; spectral-norm vectors). */
gan_status gan_model_new(const gan_model_config *cfg, uint64_t seed, gan_model **out);
/* The same from a spec whose params are already set; takes the spec (freed on failure too). */
gan_status gan_model_from_spec(gan_spec *spec, uint64_t seed, gan_model **out);
void gan_model_free(gan_model *m);
const gan_model_info *gan_model_get_info(const gan_model *m);
const gan_spec *gan_model_spec(const gan_model *m);
gan_net *gan_model_G(gan_model *m);
gan_net *gan_model_D(gan_model *m);
gan_module *gan_model_G_module(gan_model *m);
gan_module *gan_model_D_module(gan_model *m);
/* z (N, nz) -> images (N, C, size, size) in [-1, 1] */
gan_tensor *gan_model_generate(gan_ctx *ctx, gan_model *m, gan_tensor *z);
/* images (N, C, size, size) -> logits (N, 1) */
gan_tensor *gan_model_discriminate(gan_ctx *ctx, gan_model *m, gan_tensor *x);
/* gan_model_discriminate as a gan_d_forward_fn (ud = the model), for the penalties. */
gan_tensor *gan_model_d_forward(gan_ctx *ctx, void *model, gan_tensor *x);

/* -- players, terms and one training step (src/gan/game.c, src/gan/terms.c, src/gan/stats.c)
 *
 * A game is a few players stepping in turn each iteration. A player owns nothing but its
 * settings: its nets (borrowed, each with the prefix its tensors get in checkpoints), one
 * optimizer per net, how often it steps, weight clipping and an EMA after its step, and its
 * terms. A term is a named, weighted loss computed from the batch and the nets; a family adds
 * terms (and a recipe that picks them) without touching the step. gan_game_step does, for
 * each player that steps at this iteration in turn: freeze the other players' nets, zero its
 * grads, sum its terms in order, backward, optimizer step per net, clip, EMA. Tensors shared
 * across players within one iteration (z, fake = G(z) computed once) are put into the batch
 * by the game's `prepare` before the first player. No allocation: fixed arrays, the arena. */

/* Named scalars a step reports: each term's value (before its weight) under its name, and what
 * the terms add ("d_real", "d_fake"). Names are borrowed (string literals). */
#define GAN_STATS_MAX 32
typedef struct gan_stats {
    int n;
    const char *name[GAN_STATS_MAX];
    float value[GAN_STATS_MAX];
} gan_stats;
float gan_stats_get(const gan_stats *s, const char *name);   /* NaN when absent */
void gan_stats_put(gan_stats *s, const char *name, float v); /* adds or replaces */

/* What a term and `prepare` see of the iteration. */
typedef struct gan_step_io {
    gan_batch *batch;   /* "image" (B,C,H,W) in [-1, 1], ...; prepare adds "z", "fake" */
    gan_stats *stats;
    int64_t step;       /* iterations done before this one: keys the per-step random draws */
    uint64_t seed;      /* the game's */
} gan_step_io;

typedef struct gan_term gan_term;
/* A term's loss, shape (1), built with ops; NULL when it does not apply at this step. */
typedef gan_tensor *(*gan_term_fn)(gan_ctx *ctx, const gan_term *term, gan_step_io *io);
struct gan_term {
    const char *name;   /* stat name of its unweighted value (borrowed) */
    gan_term_fn fn;
    float weight;       /* 1: added as it is, no multiply */
    int every;          /* > 1: applied only at steps k with k % every == 0 (lazy R1) */
    void *ud;           /* the term's settings, borrowed */
};

#define GAN_PLAYER_MAX_NETS 4
#define GAN_PLAYER_MAX_TERMS 8
#define GAN_GAME_MAX_PLAYERS 4
typedef struct gan_player {
    const char *name;                          /* "D", "G" (borrowed) */
    int every;                                 /* steps at iterations k with (k + 1) % every == 0 */
    int n_nets;
    gan_net *net[GAN_PLAYER_MAX_NETS];         /* borrowed */
    const char *prefix[GAN_PLAYER_MAX_NETS];   /* checkpoint prefix ("G": "G.<name>"), borrowed */
    gan_optim optim[GAN_PLAYER_MAX_NETS];      /* one per net: each counts its own steps */
    gan_ema *ema[GAN_PLAYER_MAX_NETS];         /* owned by the game; NULL without an EMA */
    float ema_decay;                           /* warmed up by the player's steps before */
    float clip;                                /* > 0: weights to [-clip, clip] after the step */
    int n_terms;
    gan_term term[GAN_PLAYER_MAX_TERMS];
} gan_player;

typedef struct gan_game gan_game;
/* Puts the iteration's shared tensors into io->batch; the nets of the players that step at
 * this iteration require grad, the others are frozen. */
typedef void (*gan_prepare_fn)(gan_ctx *ctx, gan_game *g, gan_step_io *io);
struct gan_game {
    int n_players;
    gan_player player[GAN_GAME_MAX_PLAYERS];   /* stepping in this order */
    gan_prepare_fn prepare;                    /* NULL: none */
    void *prepare_ud;
    uint64_t seed;
    int64_t step;                              /* iterations done (checkpointed as gan.step) */
};

void gan_game_init(gan_game *g, uint64_t seed);
void gan_game_free(gan_game *g);               /* the EMAs; the nets are the caller's */
/* Players, nets and terms are added before the first step; each asserts on its array's size. */
gan_player *gan_game_add_player(gan_game *g, const char *name, int every);
void gan_player_add_net(gan_player *p, gan_net *net, const char *prefix, gan_optim optim);
void gan_player_add_term(gan_player *p, gan_term term);
/* An EMA of each of the player's nets (added before), updated after each of its steps with
 * gan_ema_warmup_decay(decay, the player's steps before), so a resumed run warms up exactly. */
void gan_player_set_ema(gan_player *p, float decay);
gan_player *gan_game_player(gan_game *g, const char *name);   /* NULL when there is none */
int gan_player_steps_at(const gan_player *p, int64_t step);
/* One iteration on `batch` (its tensors in ctx's arena); stats are reset, then filled. The
 * context is put in training mode. Resets nothing: the caller resets the arena afterwards. */
void gan_game_step(gan_game *g, gan_ctx *ctx, gan_batch *batch, gan_stats *stats);

/* The standard terms (src/gan/terms.c). Their ud is a gan_adv_term. */
typedef struct gan_adv_term {
    gan_loss_kind loss;
    gan_d_forward_fn d;           /* D: x -> scores, and its ud */
    void *d_ud;
    const char *real, *fake;      /* batch names of the data and the generated samples */
} gan_adv_term;
/* D's loss on D(real) and D(detach(fake)), two forwards in that order (batch norm's running
 * stats depend on it); reports "d_real" and "d_fake", the mean outputs (bce: mean sigmoid). */
gan_tensor *gan_term_adv_d(gan_ctx *ctx, const gan_term *term, gan_step_io *io);
/* G's loss on D(fake), through D (frozen by the step) into G. */
gan_tensor *gan_term_adv_g(gan_ctx *ctx, const gan_term *term, gan_step_io *io);
/* WGAN-GP's penalty at interpolates of real and fake; eps from Philox (seed, 2 k + 2). */
gan_tensor *gan_term_gp(gan_ctx *ctx, const gan_term *term, gan_step_io *io);
/* R1 at real; lazy with term->every, whose factor the recipe puts into the weight. */
gan_tensor *gan_term_r1(gan_ctx *ctx, const gan_term *term, gan_step_io *io);

/* -- the typical GAN recipe (src/gan/trainer.c): D and G players on noise -> image */

typedef struct gan_train_opts {
    int batch;            /* 64 */
    int n_critic;         /* D steps per G step (1) */
    float lr_g, lr_d;     /* 2e-4 */
    float beta1, beta2;   /* 0.5, 0.999 (DCGAN) */
    uint64_t seed;        /* noise and data order */
    gan_loss_kind loss;   /* bce */
    gan_optim_kind optim; /* adam (RMSprop: WGAN with clipping, as its paper) */
    float clip;           /* > 0: clip D's weights to [-clip, clip] after each D step (WGAN) */
    float gp;             /* > 0: lambda of WGAN-GP's gradient penalty (10) */
    float r1;             /* > 0: gamma of the R1 penalty on real data */
    int r1_every;         /* lazy R1: applied (scaled by r1_every) every r1_every D steps (1) */
    float ema;            /* > 0: decay of an EMA of G's weights, updated after each G step
                           * with gan_ema_warmup_decay(ema, G steps before it) */
} gan_train_opts;

gan_train_opts gan_train_opts_default(void);
/* GAN_ERR_ARG with a message naming the setting ("gp", "r1", ...) when the options
 * contradict the model (a gradient penalty through batch norm) or each other. */
gan_status gan_train_opts_check(const gan_train_opts *o, gan_model *m);

/* The game of players "D" (every iteration: loss_d [+ gp] [+ r1], clip) and "G" (every
 * n_critic iterations: loss_g, EMA), sharing z (randn stream 2k+1 of the seed) and fake = G(z)
 * through the batch. It points into itself: initialise it where it stays (do not copy it). */
typedef struct gan_trainer {
    gan_model *model;     /* borrowed */
    gan_train_opts opts;
    gan_game game;        /* game.step: D steps done */
    gan_adv_term adv;     /* the terms' settings */
} gan_trainer;

typedef struct gan_step_stats {
    float loss_d, loss_g;     /* loss_g is NaN on steps without a G update; loss_d has no penalty */
    float d_real, d_fake;     /* mean D output on real / fake (bce: mean sigmoid, a probability) */
    float penalty;            /* the gradient penalty or R1 value before scaling (NaN if none) */
} gan_step_stats;

void gan_trainer_init(gan_trainer *t, gan_model *m, const gan_train_opts *o);
void gan_trainer_free(gan_trainer *t);
/* One D step on the batch's "image" (B,C,H,W) and, every n_critic steps, one G step; as
 * pytorch/examples' DCGAN: fake = G(z) once, D sees real and fake.detach(), then G is trained
 * through the updated, frozen D on the same fake. st may be NULL. Resets nothing: the caller
 * owns the arena and resets it after the step. */
void gan_trainer_step(gan_trainer *t, gan_ctx *ctx, gan_batch *batch, gan_step_stats *st);
/* The same on one image tensor (a batch with only "image"). */
void gan_trainer_step_images(gan_trainer *t, gan_ctx *ctx, gan_tensor *real, gan_step_stats *st);
/* G's EMA (NULL without one). */
gan_ema *gan_trainer_ema(gan_trainer *t);
/* Sampling from a trainer's G: gan_model_sample(t->model, gan_trainer_ema(t), ...). */

/* -- checkpoints (src/gan/checkpoint.c) */

/* Writes, atomically, everything needed to continue bit-identically:
 *   "G.<name>", "D.<name>"                 weights and buffers (BN running stats), F32
 *   "optim.G.exp_avg.<name>", "optim.G.exp_avg_sq.<name>" (and D)   Adam moments
 *   __metadata__: format, model config (gan.model, gan.nz, ...), gan.step, gan.seed,
 *   gan.adam_t_g/d, and `config_json` (the run's config.json) under gan.config.
 * t may be NULL for a weights-only file (no optimizer state, step 0). */
gan_status gan_checkpoint_save(const char *path, gan_model *m, const gan_trainer *t,
                               const char *config_json);
/* The same with n extra metadata entries (e.g. "gan.fid" of checkpoints/best.safetensors). */
gan_status gan_checkpoint_save_ex(const char *path, gan_model *m, const gan_trainer *t,
                                  const char *config_json, int n_extra,
                                  const char *const *keys, const char *const *values);

/* Rebuilds the model described by the file's metadata and loads its weights and buffers
 * (G's EMA weights instead of G's own when the file has them and use_ema is set).
 * GAN_ERR_FORMAT/GAN_ERR_MISMATCH with the file name when it is not a gan.c checkpoint or a
 * tensor is missing or shaped differently. On success *out is the caller's (gan_model_free). */
gan_status gan_checkpoint_load_model(const char *path, int use_ema, gan_model **out);
/* 1 when the checkpoint holds EMA weights of G ("ema.G.<name>"). */
int gan_checkpoint_has_ema(const char *path);

/* Loads weights, buffers, optimizer moments, EMA weights and step counters into an existing
 * model + trainer (whose configuration must match the file's). */
gan_status gan_checkpoint_load_state(const char *path, gan_model *m, gan_trainer *t);

/* Reads one metadata value into buf ("" when absent). */
gan_status gan_checkpoint_meta(const char *path, const char *key, char *buf, size_t n);

/* -- sampling and runs (src/gan/sample.c, src/gan/preset.c, src/gan/run.c) */

/* The noise every sampler uses: n rows of nz from one Philox draw keyed by (seed, stream), so
 * row i is the same whatever the batch size (the caller frees it with gan_free). */
float *gan_model_noise(const gan_model *m, int n, uint64_t seed, uint64_t stream);
/* The one sampling loop: G on the n rows of z in chunks of `batch` (<= 0: 256), in eval mode
 * (batch norm on its running statistics) without a graph, with the EMA's weights when ema is
 * not NULL; out: n * C * H * W floats. progress (may be NULL) after each chunk. ctx: a
 * context to work in, reset after each chunk (a training loop passes its own, whose arena is
 * already grown), or NULL for one of its own. */
gan_status gan_model_sample(gan_model *m, gan_ema *ema, gan_ctx *ctx, const float *z, int n,
                            int batch, float *out, void (*progress)(void *ud, int done, int n),
                            void *ud);

/* The papers' settings for the typical recipe: "dcgan" (nothing changes), "wgan" (Arjovsky
 * et al.: RMSprop 5e-5, clip 0.01, 5 D steps), "wgan-gp" (Gulrajani et al.: gp 10, Adam 1e-4
 * (0, 0.9), 5 D steps, D's d_norm layer), "hinge-sn" (Miyato et al.: hinge, sn, Adam 2e-4
 * (0, 0.9), 5 D steps, d_norm none), "lsgan" (Mao et al.). mc may be NULL. GAN_ERR_ARG
 * naming the setting "preset" for another name. */
gan_status gan_preset_apply(const char *name, gan_train_opts *o, gan_model_config *mc);

/* A run is a folder: config.json (the caller's settings), model.json (the spec as built),
 * metrics.jsonl (one JSON object per logged step, evaluation and note), samples/ (a grid of
 * fixed-noise samples every sample_every steps: step_NNNNNN.png and latest.png),
 * checkpoints/ (latest.safetensors every ckpt_every steps, step_NNNNNN.safetensors at the end,
 * best.safetensors at the lowest FID). gan_run trains a model in it from where it stands to
 * `steps` and can be stopped at any point and resumed bit-identically. */
#define GAN_RUN_FIXED_STREAM 0xF17EDull   /* noise of the sample grids */
#define GAN_RUN_EVAL_STREAM 0xE7A1ull     /* noise of the evaluation samples */

/* The batch of `step` (a pure function of the step): gan_source_batch has this shape. */
typedef gan_status (*gan_batch_fn)(void *ud, gan_ctx *ctx, int64_t step, int batch,
                                   gan_batch *out);
/* Scores n samples (n, C, H, W) in [-1, 1]: FID (lower is better), KID and its spread. */
typedef gan_status (*gan_eval_fn)(void *ud, const float *x, int n, int c, int h, int w,
                                  double *fid, double *kid, double *kid_std);
/* Writes samples of `step` into the run folder (replaces the PNG grid). */
typedef gan_status (*gan_samples_fn)(void *ud, const char *dir, int64_t step, const float *x,
                                     int n, int c, int h, int w);

typedef struct gan_run_progress {
    int64_t step, steps;
    double seconds;               /* training time of the run, earlier invocations included */
    const gan_step_stats *stats;  /* the last step's; NULL in the first call, before any step */
    float loss_g;                 /* the last G loss (NaN before the first G step) */
} gan_run_progress;

typedef struct gan_run_opts {
    const char *dir;              /* the run folder (created unless resuming) */
    int resume;                   /* continue the run in dir from its latest checkpoint */
    int64_t steps;                /* D steps in all */
    int log_every, sample_every, ckpt_every;  /* <= 0: 50, 250, 500 */
    int eval_every, eval_n;       /* FID every eval_every steps on eval_n samples (0: never) */
    double time_limit;            /* > 0: stop after this many seconds of this call */
    const char *config;           /* the caller's settings as JSON (config.json, gan.config) */
    gan_batch_fn batch; void *batch_ud;
    gan_eval_fn eval; void *eval_ud;          /* needed for eval_every */
    gan_samples_fn samples; void *samples_ud; /* NULL: PNG grids */
    int n_samples;                /* fixed-noise samples per grid (<= 0: 64, an 8 x 8 grid) */
    void (*progress)(void *ud, const gan_run_progress *p); void *progress_ud; /* every step */
    void (*message)(void *ud, const char *line); void *message_ud; /* notes worth a line */
    volatile sig_atomic_t *stop;  /* set (e.g. by a signal handler): checkpoint and return */
} gan_run_opts;

typedef enum gan_run_end { GAN_RUN_DONE, GAN_RUN_TIME_LIMIT, GAN_RUN_STOPPED } gan_run_end;
typedef struct gan_run_result {
    int64_t step;                 /* where it stands (its latest checkpoint) */
    gan_run_end end;
    double seconds;               /* training time of this call */
    double best_fid;              /* the lowest FID so far (0 without evaluations) */
} gan_run_result;

/* Creates the run folder (refusing one that holds a run unless resuming) or, resuming, loads
 * checkpoints/latest.safetensors into m and t (a run stopped before its first checkpoint
 * starts over) and drops the metrics past it; then trains to o->steps with the cadence above.
 * A diverged loss or a failed write ends it with an error after saving what was learned. */
gan_status gan_run(gan_model *m, gan_trainer *t, const gan_run_opts *o, gan_run_result *r);
/* The model of a run: when resuming a run that saved model.json, that file (its params
 * resolved), so a run never depends on a spec file that changed since; otherwise mc. */
gan_status gan_run_model(const char *dir, int resume, const gan_model_config *mc, uint64_t seed,
                         gan_model **out);

/* ------------------------------------------------------------------ text (src/text) */
/*
 * Vocabularies turn UTF-8 strings into integer sequences and back. Two kinds:
 *  - GAN_VOCAB_CHAR: a token is one Unicode code point (a combining mark or a ZWJ is its own
 *    token; nothing is normalised).
 *  - GAN_VOCAB_WORD: a word is a maximal run of characters that are neither whitespace (ASCII
 *    space, \t \n \v \f \r, U+0085, U+00A0, U+1680, U+2000-U+200A, U+2028, U+2029, U+202F,
 *    U+205F, U+3000) nor ASCII punctuation (C's ispunct); each ASCII punctuation character is
 *    a token of its own; ASCII letters are lower-cased, other characters are kept as they are.
 *    "Don't stop!" -> "don" "'" "t" "stop" "!".
 * Ids: 0 = <pad>, 1 = <unk>, then (with bos_eos) 2 = <bos>, 3 = <eos>, then the tokens seen
 * at least min_count times, most frequent first, ties in byte order of the token: the same
 * texts always give the same vocabulary.
 * Strings must be valid UTF-8: anything else is GAN_ERR_ARG naming the string and the byte.
 */
typedef enum gan_vocab_kind { GAN_VOCAB_CHAR, GAN_VOCAB_WORD } gan_vocab_kind;
typedef struct gan_vocab gan_vocab;

#define GAN_VOCAB_PAD 0
#define GAN_VOCAB_UNK 1
#define GAN_VOCAB_BOS 2      /* only when the vocabulary has bos/eos */
#define GAN_VOCAB_EOS 3

typedef struct gan_vocab_opts {
    gan_vocab_kind kind;
    int min_count;           /* tokens seen fewer times map to <unk>; <= 1 keeps all */
    int bos_eos;             /* 1: ids 2 and 3 are <bos> and <eos>, and encode adds them */
} gan_vocab_opts;

/* Builds a vocabulary from n strings. On success *out is the caller's (gan_vocab_free). */
gan_status gan_vocab_build(const char *const *texts, int n, const gan_vocab_opts *opts,
                           gan_vocab **out);
void gan_vocab_free(gan_vocab *v);                       /* NULL: no-op */
int gan_vocab_size(const gan_vocab *v);                  /* specials included */
gan_vocab_kind gan_vocab_get_kind(const gan_vocab *v);
int gan_vocab_has_bos_eos(const gan_vocab *v);
const char *gan_vocab_token(const gan_vocab *v, int id); /* "<pad>"...; NULL out of range */
int gan_vocab_id(const gan_vocab *v, const char *token); /* GAN_VOCAB_UNK when absent */

/* Splits text into token ids (no bos/eos, no padding). Returns the count, or -1 (message set,
 * GAN_ERR_ARG) on invalid UTF-8; writes at most cap ids (the count may exceed cap). */
int gan_vocab_tokenize(const gan_vocab *v, const char *text, int *ids, int cap);
/* Encodes n strings as *tokens (n, T) and *lengths (n), float32 tensors in ctx holding exact
 * integers. A sequence is [<bos>] ids [<eos>], cut to max_len (its <eos> is then lost), and
 * padded with <pad> = 0; lengths count the ids before the padding. max_len <= 0: T is the
 * longest sequence. GAN_ERR_ARG for invalid UTF-8 (which string, which byte). */
gan_status gan_vocab_encode(const gan_vocab *v, gan_ctx *ctx, const char *const *texts, int n,
                            int max_len, gan_tensor **tokens, gan_tensor **lengths);
/* Decodes len ids (floats holding integers, as encode writes them) into a new string (the
 * caller frees it with free()). Stops at <pad> or <eos>, skips <bos>; <unk> decodes as
 * "<unk>"; word tokens are joined by single spaces, character tokens by nothing.
 * GAN_ERR_ARG for an id that is not an integer in [0, size). */
gan_status gan_vocab_decode(const gan_vocab *v, const float *ids, int len, char **out);

/* File: line 1 "gan-vocab char" or "gan-vocab word", then one token per line in id order,
 * specials included ("<pad>", "<unk>"[, "<bos>", "<eos>"]); "\\", "\n", "\r", "\t" escape a
 * backslash, a newline, a carriage return and a tab. Saved atomically. Load refuses (with
 * GAN_ERR_FORMAT and "path:line: what") invalid UTF-8, a bad escape, an empty line, a
 * duplicate token, a character token of more than one code point, missing specials, and
 * files over 64 MiB. */
gan_status gan_vocab_save(const gan_vocab *v, const char *path);
gan_status gan_vocab_load(const char *path, gan_vocab **out);
/* The same parser on n bytes in memory; `name` is used in messages in place of a path. */
gan_status gan_vocab_parse(const char *name, const char *data, size_t n, gan_vocab **out);

/* ------------------------------------------------------------------ emoji (src/emoji) */
/*
 * The pieces of `gan data emoji`: code point keys, the sources' indexes, RGBA PNG reading,
 * SVG rasterising (librsvg) and compositing onto white.
 *
 * Key: an emoji's code point sequence with every U+FE0F (variation selector 16) removed,
 * written as lowercase hex joined by '-': "1f600", "1f468-200d-1f469-200d-1f467", "2764".
 * The sources spell the same emoji differently (emoji-datasource "2764-fe0f.png", OpenMoji
 * "2764-FE0F.svg", EmojiOne "2764.png"); the key is what matches them, and the file name of
 * the built images.
 */
#define GAN_EMOJI_KEY_MAX 128   /* bytes of a key with its NUL: up to 16 code points */
#define GAN_EMOJI_MAX_CPS 16

/* Parses hex code points separated by '-', '_' or ' ' (any case; "U+" prefixes allowed) into
 * a key. GAN_ERR_ARG (message names the text) for no code points, a non-hex digit, a value
 * above U+10FFFF or a surrogate, or more than GAN_EMOJI_MAX_CPS code points. */
gan_status gan_emoji_key_from_hex(const char *hex, char key[GAN_EMOJI_KEY_MAX]);
/* The same from n bytes of UTF-8 text (the emoji itself). */
gan_status gan_emoji_key_from_utf8(const char *s, size_t n, char key[GAN_EMOJI_KEY_MAX]);
/* Key -> code points; returns the count (0 for a malformed key). */
int gan_emoji_key_cps(const char *key, uint32_t cps[GAN_EMOJI_MAX_CPS]);

typedef enum gan_emoji_style {
    GAN_EMOJI_GOOGLE,           /* npm emoji-datasource-google 16.0.0, 64x64 RGBA PNG */
    GAN_EMOJI_TWITTER,          /* npm emoji-datasource-twitter 16.0.0, 64x64 RGBA PNG */
    GAN_EMOJI_OPENMOJI,         /* npm openmoji 17.0.0 color/svg */
    GAN_EMOJI_OPENMOJI_OUTLINE, /* npm openmoji 17.0.0 black/svg: the same drawings' lines */
    GAN_EMOJI_EMOJIONE,         /* Debian ruby-gemojione 3.3.0, 64x64 PNG */
    GAN_EMOJI_STYLES
} gan_emoji_style;
const char *gan_emoji_style_name(gan_emoji_style s);  /* "google", ..., "openmoji-outline" */

/* One emoji of the union of the sources. Strings are owned by the set; "" when unknown. */
typedef struct gan_emoji_entry {
    char key[GAN_EMOJI_KEY_MAX];
    uint32_t cps[GAN_EMOJI_MAX_CPS];
    int n_cps;
    char *name;          /* OpenMoji's annotation, else emoji-datasource's name lower-cased,
                            else CLDR's tts name */
    char *group, *subgroup;   /* Unicode's emoji groups: "smileys-emotion", "face-smiling" */
    char *keywords;      /* CLDR annotation keywords, joined by "|" */
    char *tags;          /* OpenMoji tags and openmoji_tags, joined by "|" */
    char *file[GAN_EMOJI_STYLES];   /* source image per style (a path); NULL: not in it */
} gan_emoji_entry;

typedef struct gan_emoji_set gan_emoji_set;
gan_emoji_set *gan_emoji_set_new(void);
void gan_emoji_set_free(gan_emoji_set *s);           /* NULL: no-op */
int gan_emoji_set_count(const gan_emoji_set *s);
/* Entry i (0 <= i < count); after gan_emoji_set_sort, in code point order. */
gan_emoji_entry *gan_emoji_set_entry(gan_emoji_set *s, int i);
gan_emoji_entry *gan_emoji_set_find(gan_emoji_set *s, const char *key);  /* NULL: absent */
void gan_emoji_set_sort(gan_emoji_set *s);   /* by code point sequence, lexicographically */

/* Readers: each adds the source's emoji to the set (an entry per key; metadata already there
 * is kept; a key a source lists twice keeps its first file). JSON and XML errors are
 * GAN_ERR_FORMAT naming the file (and, for XML, the line); a missing file GAN_ERR_IO.
 *  - emoji-datasource emoji.json (`style` google or twitter): entries and skin_variations
 *    with has_img_<style> true; images at img_dir/<image>; name, category, subcategory.
 *  - OpenMoji data/openmoji.json: color/svg/<hexcode>.svg and black/svg/<hexcode>.svg under
 *    pkg_dir; annotation, group, subgroups, tags, openmoji_tags.
 *  - EmojiOne: every <HEX>[-<HEX>...].png in png_dir.
 *  - CLDR annotations (common/annotations/en.xml, annotationsDerived/en.xml): keywords and
 *    tts names of emoji already in the set (others are skipped).
 * The *_parse variants read n bytes in memory; `name` stands for the path in messages. */
gan_status gan_emoji_read_datasource(gan_emoji_set *s, const char *json_path,
                                     const char *img_dir, gan_emoji_style style);
gan_status gan_emoji_parse_datasource(gan_emoji_set *s, const char *name, const char *data,
                                      size_t n, const char *img_dir, gan_emoji_style style);
gan_status gan_emoji_read_openmoji(gan_emoji_set *s, const char *json_path, const char *pkg_dir);
gan_status gan_emoji_parse_openmoji(gan_emoji_set *s, const char *name, const char *data,
                                    size_t n, const char *pkg_dir);
gan_status gan_emoji_read_emojione(gan_emoji_set *s, const char *png_dir);
gan_status gan_emoji_read_cldr(gan_emoji_set *s, const char *xml_path);
gan_status gan_emoji_parse_cldr(gan_emoji_set *s, const char *name, const char *data, size_t n);

/* The index, a TSV file written atomically: a header line
 *   codepoint name group subgroup keywords openmoji_tags styles
 * then one line per entry in set order; styles lists the styles that have it, comma-separated
 * ("google,twitter,emojione"); tabs and newlines inside fields become spaces. have[i][style]
 * (NULL: use file[style] != NULL) says which styles were really built. */
gan_status gan_emoji_index_write(gan_emoji_set *s, const char *path,
                                 const uint8_t (*have)[GAN_EMOJI_STYLES]);

/* Images. All outputs are (size, size, 3) RGB bytes composited onto white.
 * Straight alpha (PNG): out = a*c + (1-a)*255, i.e. round((a*c + (255-a)*255) / 255) in
 * integers (exact; never a tie). Premultiplied alpha (cairo ARGB32, what librsvg renders):
 * out = c + (255 - a), exact in integers. */
void gan_composite_straight(const uint8_t *rgba, int64_t n_pixels, uint8_t *rgb);
void gan_composite_premul(const uint32_t *argb32, int64_t n_pixels, uint8_t *rgb);
/* Straight-alpha (h, w, 4) -> (size, size, 3) on white. Compositing happens first, at the
 * source size. Downscaling by an integer factor f is a box filter: the mean of f x f
 * composited values (exact integer sums, rounded half up). Anything else (64 -> 128) is
 * bilinear with half-pixel centres and clamped edges (PyTorch's align_corners=False), in
 * double, rounded half up. GAN_ERR_ARG for a non-square source or size < 1. */
gan_status gan_emoji_resize_rgba(const uint8_t *rgba, int h, int w, int size, uint8_t *rgb);
/* Reads a PNG of any colour type as straight-alpha RGBA8 (palette + tRNS, grey, 16-bit all
 * expanded). On success *rgba is the caller's (free()). GAN_ERR_IO / GAN_ERR_FORMAT with the
 * path. Refuses images over 4096 x 4096. */
gan_status gan_png_read_rgba(const char *path, uint8_t **rgba, int *h, int *w);
/* Renders an SVG (file, or n bytes in memory named `name`) into a size x size viewport with
 * librsvg (aspect ratio kept, centred, as rsvg-convert -w size -h size), composited onto white.
 * GAN_ERR_FORMAT "<file>: librsvg refused it: <why>" when librsvg cannot parse or render it. */
gan_status gan_svg_render_file(const char *path, int size, uint8_t *rgb);
gan_status gan_svg_render_data(const char *name, const void *data, size_t n, int size,
                               uint8_t *rgb);

#ifdef __cplusplus
}
#endif
#endif /* GAN_H */
