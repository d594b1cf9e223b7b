/* checkpoint.c — full-state checkpoints as safetensors: the model's metadata, then the game's
 * players walked net by net (weights, buffers, optimizer moments, EMA) and their counters. */
#include "internal.h"
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>

#define FORMAT "gan.c-checkpoint-1"

static gan_status meta_int(gan_st_file *f, const char *path, const char *key, int64_t *out);

static gan_status meta_int_as(gan_st_file *f, const char *path, const char *key, int *out) {
    int64_t v = 0;
    gan_status s = meta_int(f, path, key, &v);
    if (!s && (v < INT32_MIN || v > INT32_MAX)) s = gan_fail(GAN_ERR_FORMAT, "%s: metadata '%s' is out of range", path, key);
    *out = (int)v;
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

/* ---------------------------------------------------------------- the model's metadata */

/* The model's keys: gan.spec (the spec as JSON with its resolved params: enough to rebuild the
 * model from the file alone), gan.model (its name), gan.nz, gan.channels, gan.size. */
static void write_model_meta(gan_st_writer *w, gan_model *m) {
    const gan_model_info *in = gan_model_get_info(m);
    char *spec = gan_spec_to_json(gan_model_spec(m));
    gan_st_set_meta(w, "gan.spec", spec);
    gan_free(spec);
    gan_st_set_meta(w, "gan.model", in->name);
    gan_st_set_meta_i64(w, "gan.nz", in->nz);
    gan_st_set_meta_i64(w, "gan.channels", in->channels);
    gan_st_set_meta_i64(w, "gan.size", in->size);
}

static gan_status optional_int(gan_st_file *f, const char *path, const char *key, int *out) {
    int64_t v = 0;  /* absent in files written before the option existed */
    gan_status s = gan_st_meta(f, key) ? meta_int(f, path, key, &v) : GAN_OK;
    *out = (int)v;
    return s;
}

/* Files written before gan.spec: the zoo model and the settings gan.c had then. */
static gan_status legacy_spec(gan_st_file *f, const char *path, gan_spec **out) {
    static const char *const kinds[] = {"mlp", "dcgan28", "dcgan", "resnet", NULL};
    const char *kind = gan_st_meta(f, "gan.model");
    int k = 0;
    while (kind && kinds[k] && strcmp(kinds[k], kind)) k++;
    if (!kind || !kinds[k]) return gan_fail(GAN_ERR_FORMAT, "%s: unknown model '%s'", path, kind ? kind : "(none)");
    gan_model_config c = {.spec = kind, .d_norm = gan_st_meta(f, "gan.d_norm")};
    int sn = 0, pyramid = 0;
    gan_status s = meta_int_as(f, path, "gan.nz", &c.nz);
    if (!s) s = meta_int_as(f, path, "gan.channels", &c.channels);
    if (!s) s = meta_int_as(f, path, "gan.size", &c.size);
    if (!s) s = meta_int_as(f, path, "gan.ngf", &c.ngf);
    if (!s) s = meta_int_as(f, path, "gan.ndf", &c.ndf);
    if (!s) s = optional_int(f, path, "gan.sn", &sn);
    if (!s) s = optional_int(f, path, "gan.pyramid", &pyramid);
    if (s) return s;
    c.sn = sn ? 1 : -1;
    c.pyramid = pyramid ? 1 : -1;
    gan_model *m;
    if ((s = gan_model_new(&c, 0, &m))) return gan_fail(GAN_ERR_FORMAT, "%s: %s", path, gan_last_error());
    char *json = gan_spec_to_json(gan_model_spec(m));
    s = gan_spec_parse(json, strlen(json), path, out);
    gan_free(json);
    gan_model_free(m);
    return s;
}

/* The spec the file's model was built from (the other half of write_model_meta). */
static gan_status read_spec(gan_st_file *f, const char *path, gan_spec **out) {
    *out = NULL;
    const char *fmt = gan_st_meta(f, "format");
    if (!fmt || strcmp(fmt, FORMAT))
        return gan_fail(GAN_ERR_FORMAT, "%s: not a gan.c checkpoint (format '%s', expected '%s')",
                        path, fmt ? fmt : "(none)", FORMAT);
    const char *spec = gan_st_meta(f, "gan.spec");
    if (!spec) return legacy_spec(f, path, out);
    return gan_spec_parse(spec, strlen(spec), path, out);
}

/* Same spec, same resolved params: the JSON of both is the same text. */
static gan_status check_same_model(gan_st_file *f, const char *path, gan_model *m) {
    gan_spec *spec;
    gan_status s = read_spec(f, path, &spec);
    if (s) return s;
    char *a = gan_spec_to_json(spec), *b = gan_spec_to_json(gan_model_spec(m));
    if (strcmp(a, b))
        s = gan_fail(GAN_ERR_MISMATCH, "%s: holds another model (%s) than the %s being trained "
                     "(different spec or params)", path, gan_spec_name(spec),
                     gan_model_get_info(m)->name);
    gan_free(a);
    gan_free(b);
    gan_spec_free(spec);
    return s;
}

/* ---------------------------------------------------------------- the players */

/* "gan.adam_t_" + the prefix in lower case: "gan.adam_t_g" for "G" */
static void counter_key(char *out, size_t n, const char *stem, const char *prefix) {
    int k = snprintf(out, n, "%s", stem);
    for (const char *c = prefix; *c && (size_t)k + 1 < n; c++) out[k++] = (char)tolower((unsigned char)*c);
    out[k] = 0;
}

/* "ema.<prefix>.<name>" for every tensor but the counters; into dst = the shadow when reading */
static gan_status ema_tensors(gan_st_writer *w, gan_st_file *f, gan_net *net, const char *prefix,
                              gan_ema *ema) {
    char name[256];
    for (int i = 0; i < gan_net_num_tensors(net); i++) {
        gan_tensor *t = gan_net_tensor(net, i);
        if (gan_st_is_counter(t)) continue;
        snprintf(name, sizeof name, "ema.%s.%s", prefix, t->name);
        float *data = ema ? gan_ema_tensor(ema, net, i) : t->data;
        gan_status s = w ? gan_st_add_f32(w, name, t->ndim, t->shape, data)
                         : gan_st_read_f32(f, name, t->ndim, t->shape, data);
        if (s) return s;
    }
    return GAN_OK;
}

/* Every net of every player with its moments, then the EMAs; the step counters as metadata.
 * The first EMA's update count is "gan.ema_updates", any later one's "gan.ema_updates_<prefix>". */
static gan_status write_game(gan_st_writer *w, const gan_game *g) {
    char key[64];
    gan_status s = GAN_OK;
    for (int i = 0; i < g->n_players && !s; i++)
        for (int j = 0; j < g->player[i].n_nets && !s; j++) {
            const gan_player *p = &g->player[i];
            s = gan_st_add_net(w, p->net[j], p->prefix[j], 1);
            counter_key(key, sizeof key, "gan.adam_t_", p->prefix[j]);
            gan_st_set_meta_i64(w, key, p->optim[j].adam.t);
        }
    int emas = 0;
    for (int i = 0; i < g->n_players && !s; i++)
        for (int j = 0; j < g->player[i].n_nets && !s; j++) {
            const gan_player *p = &g->player[i];
            if (!p->ema[j]) continue;
            s = ema_tensors(w, NULL, p->net[j], p->prefix[j], p->ema[j]);
            if (emas++) counter_key(key, sizeof key, "gan.ema_updates_", p->prefix[j]);
            else snprintf(key, sizeof key, "gan.ema_updates");
            gan_st_set_meta_i64(w, key, gan_ema_num_updates(p->ema[j]));
        }
    gan_st_set_meta_i64(w, "gan.step", g->step);
    gan_st_set_meta_i64(w, "gan.seed", (int64_t)g->seed);
    return s;
}

static gan_status read_game(gan_st_file *f, const char *path, gan_game *g) {
    char key[64];
    int64_t step = 0, seed = 0, t[GAN_GAME_MAX_PLAYERS][GAN_PLAYER_MAX_NETS];
    gan_status s = meta_int(f, path, "gan.step", &step);
    if (!s) s = meta_int(f, path, "gan.seed", &seed);
    for (int i = 0; i < g->n_players && !s; i++)
        for (int j = 0; j < g->player[i].n_nets && !s; j++) {
            gan_player *p = &g->player[i];
            counter_key(key, sizeof key, "gan.adam_t_", p->prefix[j]);
            s = meta_int(f, path, key, &t[i][j]);
            if (!s) s = gan_st_read_net(f, p->net[j], p->prefix[j], 1);
            if (!s && p->ema[j]) s = ema_tensors(NULL, f, p->net[j], p->prefix[j], p->ema[j]);
        }
    if (s) return s;
    for (int i = 0; i < g->n_players; i++)
        for (int j = 0; j < g->player[i].n_nets; j++) g->player[i].optim[j].adam.t = t[i][j];
    g->step = step;
    g->seed = (uint64_t)seed;
    return GAN_OK;
}

/* ---------------------------------------------------------------- the files */

gan_status gan_checkpoint_save(const char *path, gan_model *m, const gan_trainer *t,
                               const char *config_json) {
    return gan_checkpoint_save_ex(path, m, t, config_json, 0, NULL, NULL);
}

gan_status gan_checkpoint_save_ex(const char *path, gan_model *m, const gan_trainer *t,
                                  const char *config_json, int n_extra,
                                  const char *const *keys, const char *const *values) {
    gan_st_writer *w = gan_st_writer_new();
    if (!w) return gan_fail(GAN_ERR_NOMEM, "%s: out of memory", path);
    gan_st_set_meta(w, "format", FORMAT);
    write_model_meta(w, m);
    gan_status s;
    if (t) {
        s = write_game(w, &t->game);
    } else { /* weights only */
        s = gan_st_add_net(w, gan_model_G(m), "G", 0);
        if (!s) s = gan_st_add_net(w, gan_model_D(m), "D", 0);
    }
    if (config_json) gan_st_set_meta(w, "gan.config", config_json);
    for (int i = 0; i < n_extra; i++) gan_st_set_meta(w, keys[i], values[i]);
    if (!s) s = gan_st_write(w, path);
    gan_st_writer_free(w);
    return s;
}

static int has_ema(gan_st_file *f) {
    for (int i = 0; i < gan_st_count(f); i++)
        if (!strncmp(gan_st_tensor_info(f, i)->name, "ema.G.", 6)) return 1;
    return 0;
}

int gan_checkpoint_has_ema(const char *path) {
    gan_st_file *f;
    if (gan_st_open(path, &f)) return 0;
    int has = has_ema(f);
    gan_st_close(f);
    return has;
}

gan_status gan_checkpoint_load_model(const char *path, int use_ema, gan_model **out) {
    *out = NULL;
    gan_st_file *f;
    gan_status s = gan_st_open(path, &f);
    if (s) return s;
    gan_spec *spec;
    s = read_spec(f, path, &spec);
    gan_model *m = NULL;
    if (!s) s = gan_model_from_spec(spec, 0, &m);
    if (!s) s = gan_st_read_net(f, gan_model_G(m), "G", 0);
    if (!s) s = gan_st_read_net(f, gan_model_D(m), "D", 0);
    if (!s && use_ema && has_ema(f)) s = ema_tensors(NULL, f, gan_model_G(m), "G", NULL);
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
    s = check_same_model(f, path, m);
    if (!s) s = read_game(f, path, &t->game);
    gan_st_close(f);
    return s;
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
