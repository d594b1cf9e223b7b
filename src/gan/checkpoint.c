/* checkpoint.c — full-state checkpoints as safetensors. */
#include "internal.h"
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#define FORMAT "gan.c-checkpoint-1"

/* PyTorch keeps BN's num_batches_tracked as a 0-d int64; so do our files, so that
 * load_state_dict takes them as they are (in memory it is a 1-element float buffer). */
static int is_counter(const gan_tensor *t) {
    size_t n = strlen(t->name);
    return t->numel == 1 && n >= 19 && !strcmp(t->name + n - 19, "num_batches_tracked");
}

static gan_status add_net(gan_st_writer *w, gan_net *net, const char *prefix, int moments,
                          char (*names)[160], int64_t *counters, int *k) {
    float *base = gan_net_weights(net);
    int n = gan_net_num_tensors(net);
    for (int i = 0; i < n; i++) {
        gan_tensor *t = gan_net_tensor(net, i);
        snprintf(names[*k], 160, "%s.%s", prefix, t->name);
        gan_status s;
        if (is_counter(t)) {
            counters[*k] = (int64_t)t->data[0];
            s = gan_st_add(w, names[*k], GAN_DTYPE_I64, 0, NULL, &counters[*k]);
            (*k)++;
        } else {
            s = gan_st_add_f32(w, names[(*k)++], t->ndim, t->shape, t->data);
        }
        if (s) return s;
        if (!moments || gan_net_tensor_is_buffer(net, i)) continue;
        int64_t off = t->data - base;
        snprintf(names[*k], 160, "optim.%s.exp_avg.%s", prefix, t->name);
        s = gan_st_add_f32(w, names[(*k)++], t->ndim, t->shape, gan_net_adam_m(net) + off);
        if (s) return s;
        snprintf(names[*k], 160, "optim.%s.exp_avg_sq.%s", prefix, t->name);
        s = gan_st_add_f32(w, names[(*k)++], t->ndim, t->shape, gan_net_adam_v(net) + off);
        if (s) return s;
    }
    return GAN_OK;
}

static void meta_i64(gan_st_writer *w, const char *key, int64_t v) {
    char buf[32];
    snprintf(buf, sizeof buf, "%" PRId64, v);
    gan_st_set_meta(w, key, buf);
}

gan_status gan_checkpoint_save(const char *path, gan_model *m, const gan_trainer *t,
                               const char *config_json) {
    return gan_checkpoint_save_ex(path, m, t, config_json, 0, NULL, NULL);
}

gan_status gan_checkpoint_save_ex(const char *path, gan_model *m, const gan_trainer *t,
                                  const char *config_json, int n_extra,
                                  const char *const *keys, const char *const *values) {
    gan_st_writer *w = gan_st_writer_new();
    if (!w) return gan_fail(GAN_ERR_NOMEM, "%s: out of memory", path);
    int total = 4 * (gan_net_num_tensors(gan_model_G(m)) + gan_net_num_tensors(gan_model_D(m)));
    char (*names)[160] = gan_malloc(sizeof *names * (size_t)total);
    int64_t *counters = gan_malloc(sizeof(int64_t) * (size_t)total);
    int k = 0;
    gan_status s = add_net(w, gan_model_G(m), "G", t != NULL, names, counters, &k);
    if (!s) s = add_net(w, gan_model_D(m), "D", t != NULL, names, counters, &k);
    if (!s && t && t->ema) {
        /* G's moving average, under the same names: "ema.G.<name>" */
        gan_net *G = gan_model_G(m);
        for (int i = 0; i < gan_net_num_tensors(G) && !s; i++) {
            gan_tensor *gt = gan_net_tensor(G, i);
            if (is_counter(gt)) continue;
            snprintf(names[k], 160, "ema.G.%s", gt->name);
            s = gan_st_add_f32(w, names[k++], gt->ndim, gt->shape, gan_ema_tensor(t->ema, G, i));
        }
    }
    const gan_model_config *c = gan_model_cfg(m);
    gan_st_set_meta(w, "format", FORMAT);
    gan_st_set_meta(w, "gan.model", gan_model_kind_name(c->kind));
    meta_i64(w, "gan.nz", c->nz);
    meta_i64(w, "gan.channels", c->channels);
    meta_i64(w, "gan.size", c->size);
    meta_i64(w, "gan.ngf", c->ngf);
    meta_i64(w, "gan.ndf", c->ndf);
    gan_st_set_meta(w, "gan.d_norm", gan_d_norm_name(c->d_norm));
    meta_i64(w, "gan.sn", c->sn);
    if (c->pyramid) meta_i64(w, "gan.pyramid", c->pyramid);
    if (t) {
        meta_i64(w, "gan.step", t->step);
        meta_i64(w, "gan.seed", (int64_t)t->opts.seed);
        meta_i64(w, "gan.adam_t_g", t->opt_g.t);
        meta_i64(w, "gan.adam_t_d", t->opt_d.t);
        if (t->ema) meta_i64(w, "gan.ema_updates", gan_ema_num_updates(t->ema));
    }
    if (config_json) gan_st_set_meta(w, "gan.config", config_json);
    for (int i = 0; i < n_extra; i++) gan_st_set_meta(w, keys[i], values[i]);
    if (!s) s = gan_st_write(w, path);
    gan_st_writer_free(w);
    gan_free(names);
    gan_free(counters);
    return s;
}

static gan_status meta_int(gan_st_file *f, const char *path, const char *key, int64_t *out) {
    const char *v = gan_st_meta(f, key);
    char *end;
    if (!v) return gan_fail(GAN_ERR_FORMAT, "%s: not a gan.c checkpoint (no '%s' in __metadata__)", path, key);
    long long x = strtoll(v, &end, 10);
    if (!*v || *end) return gan_fail(GAN_ERR_FORMAT, "%s: metadata '%s' = '%s' is not an integer", path, key, v);
    *out = x;
    return GAN_OK;
}

static gan_status read_config(gan_st_file *f, const char *path, gan_model_config *c) {
    const char *fmt = gan_st_meta(f, "format");
    if (!fmt || strcmp(fmt, FORMAT))
        return gan_fail(GAN_ERR_FORMAT, "%s: not a gan.c checkpoint (format '%s', expected '%s')",
                        path, fmt ? fmt : "(none)", FORMAT);
    const char *kind = gan_st_meta(f, "gan.model");
    if (!kind || gan_model_kind_parse(kind, &c->kind))
        return gan_fail(GAN_ERR_FORMAT, "%s: unknown model '%s'", path, kind ? kind : "(none)");
    int64_t v[5];
    const char *keys[5] = {"gan.nz", "gan.channels", "gan.size", "gan.ngf", "gan.ndf"};
    for (int i = 0; i < 5; i++) {
        gan_status s = meta_int(f, path, keys[i], &v[i]);
        if (s) return s;
    }
    c->nz = (int)v[0];
    c->channels = (int)v[1];
    c->size = (int)v[2];
    c->ngf = (int)v[3];
    c->ndf = (int)v[4];
    const char *norm = gan_st_meta(f, "gan.d_norm");
    if (norm && gan_d_norm_parse(norm, &c->d_norm))
        return gan_fail(GAN_ERR_FORMAT, "%s: unknown gan.d_norm '%s'", path, norm);
    int64_t sn = 0;
    if (gan_st_meta(f, "gan.sn")) {
        gan_status s = meta_int(f, path, "gan.sn", &sn);
        if (s) return s;
    }
    c->sn = sn != 0;
    int64_t pyramid = 0;  /* absent in checkpoints of constant-width models */
    if (gan_st_meta(f, "gan.pyramid")) {
        gan_status s = meta_int(f, path, "gan.pyramid", &pyramid);
        if (s) return s;
    }
    c->pyramid = pyramid != 0;
    return GAN_OK;
}

static gan_status load_net(gan_st_file *f, gan_net *net, const char *prefix, int moments) {
    float *base = gan_net_weights(net);
    int n = gan_net_num_tensors(net);
    char name[160];
    for (int i = 0; i < n; i++) {
        gan_tensor *t = gan_net_tensor(net, i);
        snprintf(name, sizeof name, "%s.%s", prefix, t->name);
        gan_status s;
        if (is_counter(t)) {
            int64_t v = 0;
            s = gan_st_read(f, name, GAN_DTYPE_I64, 0, NULL, &v);
            t->data[0] = (float)v;
        } else {
            s = gan_st_read_f32(f, name, t->ndim, t->shape, t->data);
        }
        if (s) return s;
        if (!moments || gan_net_tensor_is_buffer(net, i)) continue;
        int64_t off = t->data - base;
        snprintf(name, sizeof name, "optim.%s.exp_avg.%s", prefix, t->name);
        if ((s = gan_st_read_f32(f, name, t->ndim, t->shape, gan_net_adam_m(net) + off))) return s;
        snprintf(name, sizeof name, "optim.%s.exp_avg_sq.%s", prefix, t->name);
        if ((s = gan_st_read_f32(f, name, t->ndim, t->shape, gan_net_adam_v(net) + off))) return s;
    }
    return GAN_OK;
}

/* Reads "ema.G.<name>" into dst[i] = where(i) for every non-counter tensor of G. */
static gan_status load_ema(gan_st_file *f, gan_net *G, gan_ema *ema) {
    char name[160];
    for (int i = 0; i < gan_net_num_tensors(G); i++) {
        gan_tensor *t = gan_net_tensor(G, i);
        if (is_counter(t)) continue;
        snprintf(name, sizeof name, "ema.G.%s", t->name);
        gan_status s = gan_st_read_f32(f, name, t->ndim, t->shape,
                                       ema ? gan_ema_tensor(ema, G, i) : t->data);
        if (s) return s;
    }
    return GAN_OK;
}

int gan_checkpoint_has_ema(const char *path) {
    gan_st_file *f;
    if (gan_st_open(path, &f)) return 0;
    int has = 0;
    for (int i = 0; i < gan_st_count(f) && !has; i++)
        has = !strncmp(gan_st_tensor_info(f, i)->name, "ema.G.", 6);
    gan_st_close(f);
    return has;
}

gan_status gan_checkpoint_load_model(const char *path, int use_ema, gan_model **out) {
    *out = NULL;
    gan_st_file *f;
    gan_status s = gan_st_open(path, &f);
    if (s) return s;
    gan_model_config c = {0};
    s = read_config(f, path, &c);
    gan_model *m = NULL;
    if (!s) s = gan_model_new(&c, 0, &m);
    if (!s) s = load_net(f, gan_model_G(m), "G", 0);
    if (!s) s = load_net(f, gan_model_D(m), "D", 0);
    if (!s && use_ema) {
        int has = 0;
        for (int i = 0; i < gan_st_count(f) && !has; i++)
            has = !strncmp(gan_st_tensor_info(f, i)->name, "ema.G.", 6);
        if (has) s = load_ema(f, gan_model_G(m), NULL);
    }
    gan_st_close(f);
    if (s) {
        gan_model_free(m);
        return s;
    }
    *out = m;
    return GAN_OK;
}

gan_status gan_checkpoint_load_state(const char *path, gan_model *m, gan_trainer *t) {
    gan_st_file *f;
    gan_status s = gan_st_open(path, &f);
    if (s) return s;
    gan_model_config c = {0};
    s = read_config(f, path, &c);
    const gan_model_config *mc = gan_model_cfg(m);
    if (!s && (c.kind != mc->kind || c.nz != mc->nz || c.channels != mc->channels ||
               c.size != mc->size || c.ngf != mc->ngf || c.ndf != mc->ndf ||
               c.d_norm != mc->d_norm || c.sn != mc->sn || c.pyramid != mc->pyramid))
        s = gan_fail(GAN_ERR_MISMATCH, "%s: holds a %s model (%dx%dx%d, nz %d), not the %s being trained",
                     path, gan_model_kind_name(c.kind), c.channels, c.size, c.size, c.nz,
                     gan_model_kind_name(mc->kind));
    int64_t step = 0, seed = 0, tg = 0, td = 0;
    if (!s) s = meta_int(f, path, "gan.step", &step);
    if (!s) s = meta_int(f, path, "gan.seed", &seed);
    if (!s) s = meta_int(f, path, "gan.adam_t_g", &tg);
    if (!s) s = meta_int(f, path, "gan.adam_t_d", &td);
    if (!s) s = load_net(f, gan_model_G(m), "G", 1);
    if (!s) s = load_net(f, gan_model_D(m), "D", 1);
    if (!s && t->ema) s = load_ema(f, gan_model_G(m), t->ema);
    gan_st_close(f);
    if (s) return s;
    t->step = step;
    t->opts.seed = (uint64_t)seed;
    t->opt_g.t = tg;
    t->opt_d.t = td;
    return GAN_OK;
}

gan_status gan_checkpoint_meta(const char *path, const char *key, char *buf, size_t n) {
    gan_st_file *f;
    gan_status s = gan_st_open(path, &f);
    if (s) return s;
    const char *v = gan_st_meta(f, key);
    snprintf(buf, n, "%s", v ? v : "");
    gan_st_close(f);
    return GAN_OK;
}
