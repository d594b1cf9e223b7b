/* run_config.c — config.json in and out (cJSON). */
#include "run_config.h"
#include <stddef.h>
#include <cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void run_config_defaults(run_config *c) {
    memset(c, 0, sizeof *c);
    c->model = "dcgan";
    c->steps = 3000;
    c->batch = 64;
    c->n_critic = 1;
    c->nz = 100;
    c->ngf = 64;
    c->ndf = 64;
    c->lr_g = c->lr_d = 2e-4f;
    c->beta1 = 0.5f;
    c->beta2 = 0.999f;
    c->seed = 1;
    c->sample_every = 250;
    c->ckpt_every = 500;
    c->log_every = 50;
    c->loss = "bce";
    c->optim = "adam";
    c->d_norm = "batch";
    c->r1_every = 1;
    c->eval_n = 5000;
}

/* Every field of config.json once, in the file's order: what to_json writes and load reads. */
enum { F_STR, F_INT, F_I64, F_FLOAT };
#define FIELD(name, kind) {#name, kind, offsetof(run_config, name), 0}
static const struct field {
    const char *key;
    int kind;
    size_t off;
    int optional;   /* absent in runs made before it existed: keeps its default */
} fields[] = {
    FIELD(model, F_STR), FIELD(data, F_STR), FIELD(steps, F_I64), FIELD(batch, F_INT),
    FIELD(n_critic, F_INT), FIELD(nz, F_INT), FIELD(ngf, F_INT), FIELD(ndf, F_INT),
    FIELD(size, F_INT), FIELD(channels, F_INT), FIELD(lr_g, F_FLOAT), FIELD(lr_d, F_FLOAT),
    FIELD(beta1, F_FLOAT), FIELD(beta2, F_FLOAT), FIELD(seed, F_I64), FIELD(threads, F_INT),
    FIELD(sample_every, F_INT), FIELD(ckpt_every, F_INT), FIELD(log_every, F_INT),
    FIELD(loss, F_STR), FIELD(optim, F_STR), FIELD(d_norm, F_STR), FIELD(gp, F_FLOAT),
    FIELD(r1, F_FLOAT), FIELD(r1_every, F_INT), FIELD(clip, F_FLOAT), FIELD(ema, F_FLOAT),
    FIELD(sn, F_INT), {"pyramid", F_INT, offsetof(run_config, pyramid), 1},
    FIELD(eval_every, F_INT), FIELD(eval_n, F_INT),
};
#define N_FIELDS (sizeof fields / sizeof fields[0])

char *run_config_to_json(const run_config *c, int pretty) {
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "format", "gan.c-run-1");
    for (size_t i = 0; i < N_FIELDS; i++) {
        const char *p = (const char *)c + fields[i].off;
        switch (fields[i].kind) {
        case F_STR: cJSON_AddStringToObject(j, fields[i].key, *(const char *const *)p); break;
        case F_INT: cJSON_AddNumberToObject(j, fields[i].key, *(const int *)p); break;
        case F_I64: cJSON_AddNumberToObject(j, fields[i].key, (double)*(const int64_t *)p); break;
        default: cJSON_AddNumberToObject(j, fields[i].key, *(const float *)p); break;
        }
    }
    char *s = pretty ? cJSON_Print(j) : cJSON_PrintUnformatted(j);
    cJSON_Delete(j);
    return s;
}

/* One field from the file into c; strings are copied into c->strings[*n_str]. */
static gan_status read_field(const cJSON *j, const struct field *f, run_config *c, int *n_str,
                             const char *path) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, f->key);
    char *p = (char *)c + f->off;
    if (!v && f->optional) return GAN_OK;
    if (f->kind == F_STR) {
        if (!cJSON_IsString(v)) return gan_fail(GAN_ERR_FORMAT, "%s: missing string \"%s\"", path, f->key);
        char *dst = c->strings[(*n_str)++];
        snprintf(dst, sizeof c->strings[0], "%s", v->valuestring);
        *(const char **)p = dst;
        return GAN_OK;
    }
    if (!cJSON_IsNumber(v)) return gan_fail(GAN_ERR_FORMAT, "%s: missing number \"%s\"", path, f->key);
    if (f->kind == F_INT) *(int *)p = (int)v->valuedouble;
    else if (f->kind == F_I64) *(int64_t *)p = (int64_t)v->valuedouble;
    else *(float *)p = (float)v->valuedouble;
    return GAN_OK;
}

gan_status run_config_load(const char *path, run_config *c) {
    FILE *f = fopen(path, "rb");
    if (!f) return gan_fail(GAN_ERR_IO, "%s: cannot open (is this a run folder?)", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    if (n <= 0 || n > (1 << 20)) {
        fclose(f);
        return gan_fail(GAN_ERR_FORMAT, "%s: empty or too large", path);
    }
    char *buf = malloc((size_t)n + 1);
    size_t got = fread(buf, 1, (size_t)n, f);
    fclose(f);
    buf[got] = 0;
    cJSON *j = cJSON_Parse(buf);
    free(buf);
    if (!j) return gan_fail(GAN_ERR_FORMAT, "%s: not valid JSON", path);
    run_config_defaults(c);
    int n_str = 0;
    gan_status s = GAN_OK;
    for (size_t i = 0; i < N_FIELDS && !s; i++) s = read_field(j, &fields[i], c, &n_str, path);
    cJSON_Delete(j);
    return s;
}
