/* tape.c — define-by-run autodiff: recording nodes, gan_grad and gan_backward.
 *
 * Each op records a node pointing at its inputs; the tape is simply the graph reachable from
 * the outputs. gan_grad sorts it topologically (iterative DFS, generation marks instead of a
 * visited set) and walks it backwards calling each node's rule. Rules are written with ops,
 * so with create_graph the gradient computation itself is recorded and can be differentiated
 * again (WGAN-GP, R1). */
#include "internal.h"

gan_node *gan_record(gan_ctx *ctx, gan_tensor *out, const char *op, gan_backward_fn bw,
                     int n_in, gan_tensor **in) {
    GAN_ASSERT(n_in <= GAN_NODE_MAX_IN);
    if (!gan_ctx_grad_enabled(ctx)) return NULL;
    int any = 0;   /* requires_grad, not gan_needs_grad: see internal.h */
    for (int i = 0; i < n_in; i++) any |= in[i] && in[i]->requires_grad;
    if (!any) return NULL;
    gan_node *n = gan_ctx_alloc(ctx, sizeof *n);
    memset(n, 0, sizeof *n);
    n->op = op;
    n->backward = bw;
    n->out = out;
    n->n_in = n_in;
    for (int i = 0; i < n_in; i++) n->in[i] = in[i];
    out->node = n;
    out->requires_grad = 1;
    return n;
}

/* Appends the nodes reachable from `root` in topological order (inputs before outputs). */
static int topo_sort(gan_ctx *ctx, int n_out, gan_tensor **outs, gan_node ***order_out) {
    uint32_t gen = gan_ctx_next_visit(ctx);
    /* capacity grows by arena reallocation; graphs are a few thousand nodes */
    int cap = 1024, n = 0, sp = 0, stack_cap = 1024;
    gan_node **order = gan_ctx_alloc(ctx, (size_t)cap * sizeof *order);
    struct frame { gan_tensor *t; int next; } *stack =
        gan_ctx_alloc(ctx, (size_t)stack_cap * sizeof *stack);
    for (int o = 0; o < n_out; o++) {
        if (!outs[o] || outs[o]->visit == gen) continue;
        outs[o]->visit = gen;
        stack[sp++] = (struct frame){outs[o], 0};
        while (sp) {
            struct frame *f = &stack[sp - 1];
            gan_node *nd = f->t->node;
            if (nd && f->next < nd->n_in) {
                gan_tensor *c = nd->in[f->next++];
                if (c && c->requires_grad && c->visit != gen) {
                    c->visit = gen;
                    if (sp == stack_cap) {
                        struct frame *ns = gan_ctx_alloc(ctx, (size_t)stack_cap * 2 * sizeof *ns);
                        memcpy(ns, stack, (size_t)stack_cap * sizeof *ns);
                        stack = ns;
                        stack_cap *= 2;
                    }
                    stack[sp++] = (struct frame){c, 0};
                }
                continue;
            }
            if (nd) {
                if (n == cap) {
                    gan_node **no = gan_ctx_alloc(ctx, (size_t)cap * 2 * sizeof *no);
                    memcpy(no, order, (size_t)cap * sizeof *no);
                    order = no;
                    cap *= 2;
                }
                order[n++] = nd;
            }
            sp--;
        }
    }
    *order_out = order;
    return n;
}

gan_tensor gan_grad_sunk;   /* a rule's "added into t->grad already" (gan_grad_sink) */

static void accumulate(gan_ctx *ctx, gan_tensor *t, gan_tensor *g) {
    GAN_ASSERT_MSG(gan_same_shape(t, g), "backward rule returned a gradient of the wrong shape");
    t->acc = t->acc ? gan_add(ctx, t->acc, g) : g;
}

/* Accumulates a node's input gradients like accumulate(), then hands the buffers that just
 * died back to the arena: the node's output gradient (its rule has run) and, where a sum
 * replaced them, an input's previous gradient and the rule's term. A buffer survives when an
 * input's gradient still uses it: rules may return their g or a view of it (reshape, sum_to
 * of the same shape, add_scalar), and such a gradient then owns the buffer. When two inputs'
 * gradients would share one buffer (add of two same-shaped tensors returns g for both), both
 * are marked acc_shared and neither is ever recycled, and the mark follows views of them.
 * Only the memory is reused: every value is computed exactly as without recycling. */
/* True when p points into the n floats at base (a view of that buffer, wherever it starts). */
static int points_into(const float *p, const float *base, int64_t n) {
    return p >= base && p < base + n;
}

static void accumulate_recycling(gan_ctx *ctx, gan_node *nd, gan_tensor **din) {
    gan_tensor *g = nd->out->acc;
    gan_tensor *dead[2 * GAN_NODE_MAX_IN + 1];
    int n_dead = 0;
    for (int j = 0; j < nd->n_in; j++) {
        gan_tensor *t = nd->in[j];
        if (!gan_needs_grad(t) || din[j] == GAN_GRAD_SUNK) continue;
        GAN_ASSERT_MSG(din[j], nd->op);
        GAN_ASSERT_MSG(gan_same_shape(t, din[j]), "backward rule returned a gradient of the wrong shape");
        if (din[j]->data == g->data && g->acc_shared) din[j]->acc_shared = 1;
        for (int k = 0; k < j; k++)
            if (din[k] && din[k]->data == din[j]->data && nd->in[k] != t)
                din[k]->acc_shared = din[j]->acc_shared = 1;
        if (!t->acc) {
            t->acc = din[j];
        } else {
            dead[n_dead++] = t->acc;
            dead[n_dead++] = din[j];
            t->acc = gan_add(ctx, t->acc, din[j]);
        }
    }
    dead[n_dead++] = g;
    for (int a = 0; a < n_dead; a++) {
        gan_tensor *d = dead[a];
        int keep = d->acc_shared;
        for (int b = 0; b < a && !keep; b++) keep = dead[b]->data == d->data;  /* once */
        for (int j = 0; j < nd->n_in && !keep; j++)
            keep = gan_needs_grad(nd->in[j]) && nd->in[j]->acc &&
                   points_into(nd->in[j]->acc->data, d->data, d->numel);
        if (!keep) gan_tensor_release(ctx, d);
    }
}

/* A first-order rule's large temporaries (tanh's 1 - y^2, a mask, a product before sum_to)
 * are dead once it returns, except the buffers its results live in (a result may be a view).
 * Nothing else can hold them: without create_graph the rule recorded nothing. */
static void release_scratch(gan_ctx *ctx, gan_node *nd, gan_tensor **din) {
    void **p;
    size_t *bytes;
    int n = gan_ctx_scratch_end(ctx, &p, &bytes);
    for (int i = 0; i < n; i++) {
        int returned = 0;
        for (int j = 0; j < nd->n_in && !returned; j++)
            returned = din[j] && points_into(din[j]->data, p[i], (int64_t)(bytes[i] / sizeof(float)));
        if (!returned) gan_ctx_release(ctx, p[i], bytes[i]);
    }
}

/* gan_backward's last step: adds the gradient of every leaf with a grad slot into it. Each
 * leaf appears as some node's input; the visit mark adds it once. */
static void gan_backward_leaves(gan_ctx *ctx, gan_node **order, int n) {
    uint32_t gen = gan_ctx_next_visit(ctx);
    for (int i = 0; i < n; i++) {
        for (int k = 0; k < order[i]->n_in; k++) {
            gan_tensor *t = order[i]->in[k];
            if (!t || !t->grad || !t->acc || t->visit == gen) continue;
            t->visit = gen;
            const float *g = t->acc->data;
            float *dst = t->grad;
            int64_t numel = t->numel;
            /* elementwise, so any split gives the same bits; large layers are memory-bound */
#pragma omp parallel for simd schedule(static) if (numel > GAN_PARALLEL_MIN)
            for (int64_t e = 0; e < numel; e++) dst[e] += g[e];
        }
    }
}

/* Marks the tensors a requested input flows into (visit = a fresh generation) and returns
 * that generation. order is topological, so one forward sweep suffices: a node's output is
 * marked when any of its inputs is. */
static uint32_t mark_live(gan_ctx *ctx, gan_node **order, int n, int n_want, gan_tensor **want) {
    uint32_t live = gan_ctx_next_visit(ctx);
    for (int j = 0; j < n_want; j++) want[j]->visit = live;
    for (int i = 0; i < n; i++)
        for (int j = 0; j < order[i]->n_in; j++)
            if (order[i]->in[j] && order[i]->in[j]->visit == live) {
                order[i]->out->visit = live;
                break;
            }
    return live;
}

/* Sets grad_skip on the inputs of the nodes to run that require grad but are not live. */
static void set_skip(gan_node **order, int n, uint32_t live, int on) {
    for (int i = 0; i < n; i++) {
        if (order[i]->out->visit != live) continue;
        for (int j = 0; j < order[i]->n_in; j++) {
            gan_tensor *t = order[i]->in[j];
            if (t && t->requires_grad && t->visit != live) t->grad_skip = on;
        }
    }
}

/* Runs the backward pass; leaves the gradient of every reached tensor in ->acc.
 * want == NULL (gan_backward): every tensor that requires grad gets its gradient. Otherwise
 * only the nodes on a path from some want[j] to an output run, and their rules are asked only
 * for the gradients of inputs on such a path (gan_needs_grad sees grad_skip on the others).
 * A live tensor's consumers are all live, so its gradient is summed from the same terms in the
 * same order as without pruning: the results are bit-identical. */
static void run_backward(gan_ctx *ctx, int n_out, gan_tensor **outs, gan_tensor **gouts,
                         int create_graph, int n_want, gan_tensor **want) {
    int old = gan_ctx_set_grad(ctx, create_graph);
    gan_node **order;
    int n = topo_sort(ctx, n_out, outs, &order);
    /* clear accumulators of everything reached, including leaves */
    for (int i = 0; i < n; i++) {
        order[i]->out->acc = NULL;
        for (int j = 0; j < order[i]->n_in; j++)
            if (order[i]->in[j]) order[i]->in[j]->acc = NULL;
    }
    for (int o = 0; o < n_out; o++) outs[o]->acc = NULL;
    uint32_t live = want ? mark_live(ctx, order, n, n_want, want) : 0;
    if (want) set_skip(order, n, live, 1);
    for (int o = 0; o < n_out; o++) {
        if (!outs[o]->requires_grad || (want && outs[o]->visit != live)) continue;
        gan_tensor *g = gouts && gouts[o] ? gouts[o] : gan_full(ctx, outs[o]->ndim, outs[o]->shape, 1.0f);
        accumulate(ctx, outs[o], g);
    }
    /* recycling needs to know every holder of a gradient buffer: only the plain first-order
     * pass (gan_backward) qualifies; gan_grad hands gradients to its caller */
    int recycle = !create_graph && !want;
    gan_ctx_set_recycling(ctx, recycle);
    for (int i = n - 1; i >= 0; i--) {
        gan_node *nd = order[i];
        if (!nd->out->acc || (want && nd->out->visit != live)) continue;
        gan_tensor *din[GAN_NODE_MAX_IN] = {0};
        if (recycle) {
            gan_ctx_scratch_begin(ctx);
            nd->backward(ctx, nd, nd->out->acc, din);
            release_scratch(ctx, nd, din);
            accumulate_recycling(ctx, nd, din);
            continue;
        }
        nd->backward(ctx, nd, nd->out->acc, din);
        for (int j = 0; j < nd->n_in; j++) {
            if (!gan_needs_grad(nd->in[j])) continue;
            GAN_ASSERT_MSG(din[j], nd->op);
            accumulate(ctx, nd->in[j], din[j]);
        }
    }
    gan_ctx_set_recycling(ctx, 0);
    if (want) set_skip(order, n, live, 0);
    gan_ctx_set_grad(ctx, old);
    if (!want) gan_backward_leaves(ctx, order, n);
}

void gan_grad(gan_ctx *ctx, int n_out, gan_tensor **outputs, gan_tensor **grad_outputs,
              int n_in, gan_tensor **inputs, gan_tensor **grads, int create_graph) {
    for (int j = 0; j < n_in; j++) inputs[j]->acc = NULL;
    run_backward(ctx, n_out, outputs, grad_outputs, create_graph, n_in, inputs);
    /* accumulators were cleared first, so an input the outputs don't depend on has none */
    for (int j = 0; j < n_in; j++)
        grads[j] = inputs[j]->acc ? inputs[j]->acc : gan_zeros_like(ctx, inputs[j]);
}

void gan_backward(gan_ctx *ctx, gan_tensor *loss) {
    GAN_ASSERT_MSG(loss->numel == 1, "gan_backward needs a scalar loss");
    if (!loss->requires_grad) return;
    run_backward(ctx, 1, &loss, NULL, 0, 0, NULL);
}
