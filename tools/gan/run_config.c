/* run_config.c — config.json in and out (cJSON). */
#include "run_config.h"
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

char *run_config_to_json(const run_config *c, int pretty) {
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "format", "gan.c-run-1");
    cJSON_AddStringToObject(j, "model", c->model);
    cJSON_AddStringToObject(j, "data", c->data);
    cJSON_AddNumberToObject(j, "steps", (double)c->steps);
    cJSON_AddNumberToObject(j, "batch", c->batch);
    cJSON_AddNumberToObject(j, "n_critic", c->n_critic);
    cJSON_AddNumberToObject(j, "nz", c->nz);
    cJSON_AddNumberToObject(j, "ngf", c->ngf);
    cJSON_AddNumberToObject(j, "ndf", c->ndf);
    cJSON_AddNumberToObject(j, "size", c->size);
    cJSON_AddNumberToObject(j, "channels", c->channels);
    cJSON_AddNumberToObject(j, "lr_g", c->lr_g);
    cJSON_AddNumberToObject(j, "lr_d", c->lr_d);
    cJSON_AddNumberToObject(j, "beta1", c->beta1);
    cJSON_AddNumberToObject(j, "beta2", c->beta2);
    cJSON_AddNumberToObject(j, "seed", (double)c->seed);
    cJSON_AddNumberToObject(j, "threads", c->threads);
    cJSON_AddNumberToObject(j, "sample_every", c->sample_every);
    cJSON_AddNumberToObject(j, "ckpt_every", c->ckpt_every);
    cJSON_AddNumberToObject(j, "log_every", c->log_every);
    cJSON_AddStringToObject(j, "loss", c->loss);
    cJSON_AddStringToObject(j, "optim", c->optim);
    cJSON_AddStringToObject(j, "d_norm", c->d_norm);
    cJSON_AddNumberToObject(j, "gp", c->gp);
    cJSON_AddNumberToObject(j, "r1", c->r1);
    cJSON_AddNumberToObject(j, "r1_every", c->r1_every);
    cJSON_AddNumberToObject(j, "clip", c->clip);
    cJSON_AddNumberToObject(j, "ema", c->ema);
    cJSON_AddNumberToObject(j, "sn", c->sn);
    cJSON_AddNumberToObject(j, "pyramid", c->pyramid);
    cJSON_AddNumberToObject(j, "eval_every", c->eval_every);
    cJSON_AddNumberToObject(j, "eval_n", c->eval_n);
    char *s = pretty ? cJSON_Print(j) : cJSON_PrintUnformatted(j);
    cJSON_Delete(j);
    return s;
}

static int get_num(const cJSON *j, const char *key, double *out) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, key);
    if (!cJSON_IsNumber(v)) return 0;
    *out = v->valuedouble;
    return 1;
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
    const char *skeys[5] = {"model", "data", "loss", "optim", "d_norm"};
    for (int i = 0; i < 5; i++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, skeys[i]);
        if (!cJSON_IsString(v)) {
            cJSON_Delete(j);
            return gan_fail(GAN_ERR_FORMAT, "%s: missing string \"%s\"", path, skeys[i]);
        }
        snprintf(c->strings[i], sizeof c->strings[i], "%s", v->valuestring);
    }
    c->model = c->strings[0];
    c->data = c->strings[1];
    c->loss = c->strings[2];
    c->optim = c->strings[3];
    c->d_norm = c->strings[4];
    struct { const char *k; int kind; void *p; } nums[] = {
        {"steps", 2, &c->steps}, {"batch", 0, &c->batch}, {"n_critic", 0, &c->n_critic},
        {"nz", 0, &c->nz}, {"ngf", 0, &c->ngf}, {"ndf", 0, &c->ndf}, {"size", 0, &c->size},
        {"channels", 0, &c->channels}, {"lr_g", 1, &c->lr_g}, {"lr_d", 1, &c->lr_d},
        {"beta1", 1, &c->beta1}, {"beta2", 1, &c->beta2}, {"seed", 2, &c->seed},
        {"threads", 0, &c->threads}, {"sample_every", 0, &c->sample_every},
        {"ckpt_every", 0, &c->ckpt_every}, {"log_every", 0, &c->log_every},
        {"gp", 1, &c->gp}, {"r1", 1, &c->r1}, {"r1_every", 0, &c->r1_every},
        {"clip", 1, &c->clip}, {"ema", 1, &c->ema}, {"sn", 0, &c->sn},
        {"eval_every", 0, &c->eval_every}, {"eval_n", 0, &c->eval_n}};
    for (size_t i = 0; i < sizeof nums / sizeof nums[0]; i++) {
        double v;
        if (!get_num(j, nums[i].k, &v)) {
            cJSON_Delete(j);
            return gan_fail(GAN_ERR_FORMAT, "%s: missing number \"%s\"", path, nums[i].k);
        }
        if (nums[i].kind == 0) *(int *)nums[i].p = (int)v;
        else if (nums[i].kind == 1) *(float *)nums[i].p = (float)v;
        else *(int64_t *)nums[i].p = (int64_t)v;
    }
    double pyramid = 0;   /* runs made before the option existed have none */
    get_num(j, "pyramid", &pyramid);
    c->pyramid = (int)pyramid;
    cJSON_Delete(j);
    return GAN_OK;
}
