/* res_down.c — block "res_down": SNGAN's discriminator residual block,
 *   h = avgpool2(conv3x3(relu(conv3x3(relu(x))))) + shortcut(x)
 * options out, down (true: the 2x2 average pools), first (false: SNGAN's "optimized" first
 * block, with no leading ReLU and the pool before its shortcut conv), sn, sn_stream (its three
 * convs draw from sn_stream, +2, +4). The shortcut is conv1x1 (then pooled) when the block
 * downsamples or changes the width, else x itself. Params <name>.c1, .c2, .c_sc. */
#include "nn/spec_internal.h"
#include <stdio.h>

typedef struct dconv {
    gan_conv_layer c;
    gan_spectral_norm sn;
    int has_sn;
} dconv;

typedef struct res_down_block {
    dconv c1, c2, sc;
    int down, first, has_sc;
} res_down_block;

static gan_status conv_init(gan_block_build *b, dconv *l, const char *part, int slot, int in,
                            int out, int k, int pad) {
    char nm[160];
    snprintf(nm, sizeof nm, "%s.%s", gan_block_prefix(b), part);
    l->c = gan_conv2d_layer_init(gan_block_net(b), nm, in, out, k, 1, pad, 1);
    return gan_block_spectral_norm(b, &l->sn, l->c.weight, slot, &l->has_sn);
}

static gan_status build(gan_block_build *b, void *state) {
    res_down_block *s = state;
    int x[GAN_MAX_DIMS], nd = gan_block_input_shape(b, 0, x), out;
    gan_status st;
    if ((st = gan_block_int(b, "out", 1, 0, &out)) || (st = gan_block_bool(b, "down", 1, &s->down)) ||
        (st = gan_block_bool(b, "first", 0, &s->first)))
        return st;
    if (nd != 3) return gan_block_fail(b, "needs an input [C, H, W] per sample");
    if (out < 1) return gan_block_fail(b, "option 'out' must be >= 1");
    if (s->down && (x[1] < 2 || x[2] < 2 || x[1] % 2 || x[2] % 2))
        return gan_block_fail(b, "cannot pool a %dx%d input by 2 (down: true needs even sizes)", x[1], x[2]);
    if ((st = spec_block_tensor(b, "c1's weight", 4, (int64_t[]){out, x[0], 3, 3})) ||
        (st = spec_block_tensor(b, "c2's weight", 4, (int64_t[]){out, out, 3, 3})))
        return st;
    s->has_sc = s->down || x[0] != out;
    if ((st = conv_init(b, &s->c1, "c1", 0, x[0], out, 3, 1)) || (st = conv_init(b, &s->c2, "c2", 1, out, out, 3, 1)))
        return st;
    if (s->has_sc && (st = conv_init(b, &s->sc, "c_sc", 2, x[0], out, 1, 0))) return st;
    int k = s->down ? 2 : 1;
    gan_block_set_output(b, 3, (int[]){out, x[1] / k, x[2] / k});
    return GAN_OK;
}

static gan_tensor *conv(gan_ctx *ctx, const dconv *l, gan_tensor *x) {
    if (!l->has_sn) return gan_conv2d_layer_forward(ctx, &l->c, x);
    return gan_conv2d(ctx, x, gan_spectral_norm_forward(ctx, &l->sn), l->c.bias, l->c.stride, l->c.pad);
}

static gan_tensor *forward(gan_ctx *ctx, void *state, gan_tensor *const *in, int n) {
    const res_down_block *s = state;
    gan_tensor *x = in[0];
    gan_tensor *h = s->first ? x : gan_relu(ctx, x);
    h = conv(ctx, &s->c2, gan_relu(ctx, conv(ctx, &s->c1, h)));
    if (s->down) h = gan_avg_pool2d(ctx, h, 2);
    gan_tensor *sc = x;
    if (s->has_sc) {
        if (s->first) {
            sc = conv(ctx, &s->sc, s->down ? gan_avg_pool2d(ctx, x, 2) : x);
        } else {
            sc = conv(ctx, &s->sc, x);
            if (s->down) sc = gan_avg_pool2d(ctx, sc, 2);
        }
    }
    return gan_add(ctx, h, sc);
}

const gan_block_type gan_block_res_down = {"res_down", sizeof(res_down_block), 1, 1, build, forward};
