/* source.c — a data source: named fields per sample, stacked into the batch of a step.
 *
 * The order of domain 0 is gan_batcher's (a gan_batcher over the same n and seed, used only
 * for its permutation), so the "image" field of a source over the same images is bit for bit
 * what gan_batcher_get returns and training results do not move. Domain 1 (the second domain
 * of an unpaired source) has its own gan_batcher keyed by seed ^ GAN_SOURCE_DOMAIN_SALT: an
 * independent order over its own count. Nothing else keeps state, so the batch of step k is a
 * pure function of (seed, k). */
#include "data_internal.h"
#include <stdio.h>
#include <stdlib.h>

struct gan_source {
    const char *kind;
    int n_fields;
    gan_src_field f[GAN_BATCH_MAX];
    int n_domains;
    int64_t n[2];                 /* samples per domain */
    gan_batcher *order[2];
    char **texts;                 /* captions: n[0] strings, or NULL */
    int64_t n_texts;
};

gan_source *gan_source_alloc(const char *kind) {
    gan_source *s = calloc(1, sizeof *s);
    if (s) s->kind = kind;
    return s;
}

void gan_source_free(gan_source *s) {
    if (!s) return;
    for (int i = 0; i < s->n_fields; i++) {
        gan_src_field *f = &s->f[i];
        free(f->u8), free(f->f32);
        for (int k = 0; f->names && k < f->info.classes; k++) free(f->names[k]);
        free(f->names);
    }
    for (int64_t i = 0; s->texts && i < s->n_texts; i++) free(s->texts[i]);
    free(s->texts);
    gan_batcher_free(s->order[0]);
    gan_batcher_free(s->order[1]);
    free(s);
}

gan_src_field *gan_source_add_field(gan_source *s, const char *name, gan_field_kind kind,
                                    int domain, int ndim, const int *shape) {
    GAN_ASSERT(ndim >= 0 && ndim < GAN_MAX_DIMS && domain >= 0 && domain < 2);
    GAN_ASSERT(strlen(name) < sizeof s->f[0].name);
    if (s->n_fields == GAN_BATCH_MAX) {
        gan_fail(GAN_ERR_ARG, "%s source: more than %d fields", s->kind, GAN_BATCH_MAX);
        return NULL;
    }
    gan_src_field *f = &s->f[s->n_fields++];
    memset(f, 0, sizeof *f);
    snprintf(f->name, sizeof f->name, "%s", name);
    f->info.name = f->name;
    f->info.kind = kind;
    f->info.domain = domain;
    f->info.ndim = ndim;
    f->per = 1;
    for (int d = 0; d < ndim; d++) f->per *= f->info.shape[d] = shape[d];
    if (domain + 1 > s->n_domains) s->n_domains = domain + 1;
    return f;
}

void gan_source_set_size(gan_source *s, int domain, int64_t n) {
    GAN_ASSERT(!s->n[domain] || s->n[domain] == n);
    s->n[domain] = n;
    if (domain + 1 > s->n_domains) s->n_domains = domain + 1;
}

gan_status gan_source_add_images(gan_source *s, const char *name, int domain, gan_u8_images *im) {
    gan_src_field *f = gan_source_add_field(s, name, GAN_FIELD_IMAGE, domain, 3,
                                            (const int[]){im->c, im->h, im->w});
    if (!f) {
        gan_u8_images_free(im);
        return GAN_ERR_ARG;
    }
    gan_u8_images_to_nchw(im);
    f->u8 = im->data;
    gan_source_set_size(s, domain, im->n);
    memset(im, 0, sizeof *im);
    return GAN_OK;
}

void gan_source_set_texts(gan_source *s, char **texts, int64_t n) {
    s->texts = texts;
    s->n_texts = n;
}

gan_status gan_source_finish(gan_source *s, uint64_t seed, gan_source **out) {
    *out = NULL;
    for (int d = 0; d < s->n_domains; d++) {
        if (s->n[d] < 1 || s->n[d] > INT32_MAX) {
            gan_status st = gan_fail(GAN_ERR_FORMAT, "%s source: %lld samples in domain %d",
                                     s->kind, (long long)s->n[d], d);
            gan_source_free(s);
            return st;
        }
        uint64_t key = d ? seed ^ GAN_SOURCE_DOMAIN_SALT : seed;
        s->order[d] = gan_batcher_new(NULL, (int)s->n[d], 1, 1, 1, key);
    }
    *out = s;
    return GAN_OK;
}

/* ------------------------------------------------------------------ opening */

static const struct {
    const char *prefix;
    gan_status (*open)(const char *arg, const gan_source_opts *o, gan_source **out);
} kinds[] = {
    {"classes:", gan_source_open_classes},   {"paired:", gan_source_open_paired},
    {"ab:", gan_source_open_ab},             {"unpaired:", gan_source_open_unpaired},
    {"captions:", gan_source_open_captions}, {"tags:", gan_source_open_tags},
    {"audio:", gan_source_open_audio},
};

gan_status gan_source_open(const char *spec, const gan_source_opts *opts, gan_source **out) {
    if (out) *out = NULL;
    if (!spec || !out) return gan_fail(GAN_ERR_ARG, "gan_source_open: NULL argument");
    gan_source_opts o = opts ? *opts : (gan_source_opts){0};
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        size_t n = strlen(kinds[i].prefix);
        if (!strncmp(spec, kinds[i].prefix, n)) {
            if (!spec[n]) return gan_fail(GAN_ERR_ARG, "data source \"%s\": no path after the "
                                          "colon", spec);
            return kinds[i].open(spec + n, &o, out);
        }
    }
    return gan_source_open_dataset(spec, &o, out);
}

int gan_source_image_size(const gan_source_opts *o) { return o->size > 0 ? o->size : 64; }

/* ------------------------------------------------------------------ asking */

const char *gan_source_kind(const gan_source *s) { return s->kind; }
int gan_source_num_fields(const gan_source *s) { return s->n_fields; }
int gan_source_num_domains(const gan_source *s) { return s->n_domains; }

const gan_field_info *gan_source_field(const gan_source *s, int i) {
    return i >= 0 && i < s->n_fields ? &s->f[i].info : NULL;
}

const gan_field_info *gan_source_find(const gan_source *s, const char *name) {
    for (int i = 0; i < s->n_fields; i++)
        if (!strcmp(s->f[i].name, name)) return &s->f[i].info;
    return NULL;
}

int64_t gan_source_len(const gan_source *s, int domain) {
    return domain >= 0 && domain < s->n_domains ? s->n[domain] : 0;
}

const char *gan_source_class_name(const gan_source *s, const char *field, int k) {
    for (int i = 0; i < s->n_fields; i++)
        if (!strcmp(s->f[i].name, field))
            return s->f[i].names && k >= 0 && k < s->f[i].info.classes ? s->f[i].names[k] : NULL;
    return NULL;
}

const char *gan_source_text(const gan_source *s, int64_t index) {
    return s->texts && index >= 0 && index < s->n_texts ? s->texts[index] : NULL;
}

int64_t gan_source_index(gan_source *s, int domain, int64_t step, int batch, int j) {
    GAN_ASSERT(domain >= 0 && domain < s->n_domains && j >= 0 && j < batch && step >= 0);
    return gan_batcher_index(s->order[domain], step, batch, j);
}

/* ------------------------------------------------------------------ the batch */

// -> (B, shape...) of field f for the samples idx[0..B)
static gan_tensor *stack_field(gan_ctx *ctx, const gan_src_field *f, const int64_t *idx, int B) {
    int shape[GAN_MAX_DIMS] = {B};
    for (int d = 0; d < f->info.ndim; d++) shape[d + 1] = f->info.shape[d];
    gan_tensor *t = gan_empty(ctx, f->info.ndim + 1, shape);
    const int64_t per = f->per;
    for (int j = 0; j < B; j++) {
        float *dst = t->data + per * j;
        if (f->info.kind == GAN_FIELD_INDEX) dst[0] = (float)idx[j];
        else if (f->u8) gan_image_from_u8(f->u8 + per * idx[j], per, dst);
        else memcpy(dst, f->f32 + per * idx[j], sizeof(float) * (size_t)per);
    }
    return t;
}

gan_status gan_source_batch(gan_source *s, gan_ctx *ctx, int64_t step, int batch,
                            gan_batch *out) {
    if (batch < 1 || step < 0)
        return gan_fail(GAN_ERR_ARG, "%s source: batch %d at step %lld (need batch >= 1, step "
                        ">= 0)", s->kind, batch, (long long)step);
    out->n = 0;
    int64_t *idx[2] = {NULL, NULL};
    for (int d = 0; d < s->n_domains; d++) {
        idx[d] = gan_ctx_alloc(ctx, sizeof(int64_t) * (size_t)batch);
        for (int j = 0; j < batch; j++) idx[d][j] = gan_batcher_index(s->order[d], step, batch, j);
    }
    for (int i = 0; i < s->n_fields; i++)
        gan_batch_put(out, s->f[i].name, stack_field(ctx, &s->f[i], idx[s->f[i].info.domain], batch));
    return GAN_OK;
}
