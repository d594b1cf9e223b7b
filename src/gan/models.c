/* models.c — a GAN model: one spec, its nets G and D built from it. The architectures live in
 * spec files (models/NAME.json: mlp, dcgan28, dcgan, resnet, or a user's own); this file only
 * applies the caller's settings to the spec's params, builds both nets with the seeds every
 * gan.c model uses, and checks that G and D fit together. */
#include "internal.h"
#include <stdio.h>
#include <string.h>

struct gan_model {
    gan_model_info info;
    gan_spec *spec;
    gan_net *G, *D;
    gan_module *g, *d;
};

const gan_model_info *gan_model_get_info(const gan_model *m) { return &m->info; }
const gan_spec *gan_model_spec(const gan_model *m) { return m->spec; }
gan_net *gan_model_G(gan_model *m) { return m->G; }
gan_net *gan_model_D(gan_model *m) { return m->D; }
gan_module *gan_model_G_module(gan_model *m) { return m->g; }
gan_module *gan_model_D_module(gan_model *m) { return m->d; }

/* ---------------------------------------------------------------- settings */

static gan_status need_param(const gan_spec *s, const char *param) {
    if (gan_spec_has_param(s, param)) return GAN_OK;
    return gan_fail(GAN_ERR_ARG, "%s: model %s (%s) has no param '%s'", param, gan_spec_name(s),
                    gan_spec_origin(s), param);
}

/* An int setting: 0 keeps the spec's default; where the spec has no such param it is ignored
 * unless `required` (widths mean nothing to the MLP, as they never did). */
static gan_status set_int(gan_spec *s, const char *param, int v, int required) {
    if (!v) return GAN_OK;
    if (!gan_spec_has_param(s, param)) return required ? need_param(s, param) : GAN_OK;
    return gan_spec_set_int(s, param, v);
}

/* A switch: 1 on, -1 off, 0 the default; turning on what the spec lacks is an error. */
static gan_status set_switch(gan_spec *s, const char *param, int v) {
    if (!v) return GAN_OK;
    if (!gan_spec_has_param(s, param)) return v > 0 ? need_param(s, param) : GAN_OK;
    return gan_spec_set(s, param, v > 0 ? "true" : "false");
}

static gan_status apply_config(gan_spec *s, const gan_model_config *c) {
    gan_status st = set_int(s, "nz", c->nz, 1);
    if (!st) st = set_int(s, "channels", c->channels, 1);
    if (!st) st = set_int(s, "size", c->size, 1);
    if (!st) st = set_int(s, "ngf", c->ngf, 0);
    if (!st) st = set_int(s, "ndf", c->ndf, 0);
    if (!st && c->d_norm && gan_spec_has_param(s, "d_norm")) st = gan_spec_set(s, "d_norm", c->d_norm);
    if (!st) st = set_switch(s, "sn", c->sn);
    if (!st) st = set_switch(s, "pyramid", c->pyramid);
    return st;
}

gan_status gan_model_new(const gan_model_config *cfg, uint64_t seed, gan_model **out) {
    *out = NULL;
    gan_spec *s;
    gan_status st = gan_spec_open(cfg->spec ? cfg->spec : "", &s);
    if (st) return st;
    if ((st = apply_config(s, cfg))) {
        gan_spec_free(s);
        return st;
    }
    return gan_model_from_spec(s, seed, out);
}

/* ---------------------------------------------------------------- building */

static gan_status read_info(const gan_spec *s, gan_model_info *info) {
    static const char *const keys[3] = {"nz", "channels", "size"};
    static const int max[3] = {4096, 16, 4096};
    int *dst[3] = {&info->nz, &info->channels, &info->size};
    for (int i = 0; i < 3; i++) {
        int64_t v;
        gan_status st = need_param(s, keys[i]);
        if (!st) st = gan_spec_eval_int(s, keys[i], &v);
        if (st) return st;
        if (v < 1 || v > max[i])
            return gan_fail(GAN_ERR_ARG, "%s: %lld is out of range 1..%d", keys[i], (long long)v, max[i]);
        *dst[i] = (int)v;
    }
    info->name = gan_spec_name(s);
    return GAN_OK;
}

/* G must map (nz) to (channels, size, size) and D that image to one logit. */
static gan_status check_shapes(const gan_model *m) {
    const gan_model_info *in = &m->info;
    int shape[GAN_MAX_DIMS], n;
    const char *origin = gan_spec_origin(m->spec);
    if (gan_module_num_inputs(m->g) != 1 || gan_module_input_shape(m->g, 0, shape) != 1 || shape[0] != in->nz)
        return gan_fail(GAN_ERR_FORMAT, "%s: net G must take one input of shape (nz) = (%d)", origin, in->nz);
    n = gan_module_output_shape(m->g, shape);
    if (n != 3 || shape[0] != in->channels || shape[1] != in->size || shape[2] != in->size)
        return gan_fail(GAN_ERR_FORMAT, "%s: net G must make (channels, size, size) = (%d, %d, %d) images",
                        origin, in->channels, in->size, in->size);
    n = gan_module_input_shape(m->d, 0, shape);
    if (gan_module_num_inputs(m->d) != 1 || n != 3 || shape[0] != in->channels || shape[1] != in->size ||
        shape[2] != in->size)
        return gan_fail(GAN_ERR_FORMAT, "%s: net D must take one input of shape (channels, size, size) = (%d, %d, %d)",
                        origin, in->channels, in->size, in->size);
    n = gan_module_output_shape(m->d, shape);
    if (n != 1 || shape[0] != 1) return gan_fail(GAN_ERR_FORMAT, "%s: net D must output one logit per image, shape (1)", origin);
    return GAN_OK;
}

gan_status gan_model_from_spec(gan_spec *spec, uint64_t seed, gan_model **out) {
    *out = NULL;
    gan_model *m = gan_calloc(1, sizeof *m);
    m->spec = spec;
    m->G = gan_net_new("G");
    m->D = gan_net_new("D");
    gan_status st = gan_spec_check(spec);
    if (!st) st = read_info(spec, &m->info);
    if (!st) st = gan_build(m->G, spec, "G", &m->g);
    if (!st) st = gan_build(m->D, spec, "D", &m->d);
    if (!st) st = check_shapes(m);
    if (st) {
        gan_model_free(m);
        return st;
    }
    m->info.sn = gan_module_num_spectral_norms(m->d) > 0;
    gan_net_finalize(m->G, seed * 2 + 1);
    gan_net_finalize(m->D, seed * 2 + 2);
    gan_module_init(m->g, seed * 2 + 1);
    gan_module_init(m->d, seed * 2 + 2);
    *out = m;
    return GAN_OK;
}

void gan_model_free(gan_model *m) {
    if (!m) return;
    gan_module_free(m->g);
    gan_module_free(m->d);
    gan_net_free(m->G);
    gan_net_free(m->D);
    gan_spec_free(m->spec);
    gan_free(m);
}

/* ---------------------------------------------------------------- forward */

gan_tensor *gan_model_generate(gan_ctx *ctx, gan_model *m, gan_tensor *z) {
    return gan_module_forward1(ctx, m->g, z);
}

gan_tensor *gan_model_discriminate(gan_ctx *ctx, gan_model *m, gan_tensor *x) {
    return gan_module_forward1(ctx, m->d, x);
}

gan_tensor *gan_model_d_forward(gan_ctx *ctx, void *model, gan_tensor *x) {
    return gan_model_discriminate(ctx, (gan_model *)model, x);
}
