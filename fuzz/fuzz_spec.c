/* fuzz_spec.c — model specs on arbitrary bytes: gan_spec_parse, then for a spec that parses
 * gan_spec_to_json (which must parse again), and every net built (gan_build), initialised and,
 * when small, run forward once on a batch of two zero samples. No crash, no sanitizer report,
 * no leak; every refusal is one line, and a malformed spec's names the file. */
#include "gan.h"
#include "nn/spec_internal.h"
#include <cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ORIGIN "fuzz.json"
/* a forward costs about B * values * (weights per output): keep it well under a second */
#define MAX_PARAMS (1 << 15)
#define MAX_VALUES (1 << 13)

static void check_message(gan_status st) {
    const char *e = gan_last_error();
    if (!e || !*e || strchr(e, '\n')) abort();
    if (st == GAN_ERR_FORMAT && strncmp(e, ORIGIN ": ", strlen(ORIGIN) + 2)) abort();
}

static void run_forward(gan_module *m) {
    gan_ctx *ctx = gan_ctx_new(0);
    gan_batch in = {0};
    for (int i = 0; i < gan_module_num_inputs(m); i++) {
        int shape[GAN_MAX_DIMS];
        shape[0] = 2;
        int nd = gan_module_input_shape(m, i, shape + 1);
        gan_batch_put(&in, gan_module_input_name(m, i), gan_zeros(ctx, nd + 1, shape));
    }
    gan_tensor *y = gan_module_forward(ctx, m, &in);
    int want[GAN_MAX_DIMS], nd = gan_module_output_shape(m, want);
    if (y->ndim != nd + 1 || y->shape[0] != 2) abort();
    for (int d = 0; d < nd; d++)
        if (y->shape[d + 1] != want[d]) abort();
    gan_ctx_free(ctx);
}

static void build_net(const gan_spec *spec, const char *name) {
    gan_net *net = gan_net_new(name);
    gan_module *m;
    gan_status st = gan_build(net, spec, name, &m);
    if (st) {
        check_message(st);
        if (m) abort();
        gan_net_free(net);
        return;
    }
    if (gan_net_num_params(net) <= MAX_PARAMS && spec_module_values(m) <= MAX_VALUES) {
        gan_net_finalize(net, 7);
        gan_module_init(m, 7);
        run_forward(m);
    }
    gan_module_free(m);
    gan_net_free(net);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    gan_spec *spec;
    gan_status st = gan_spec_parse((const char *)data, size, ORIGIN, &spec);
    if (st) {
        check_message(st);
        if (spec) abort();
        return 0;
    }
    char *json = gan_spec_to_json(spec);
    gan_spec *again;
    if (gan_spec_parse(json, strlen(json), ORIGIN, &again)) abort();   /* its own output parses */
    gan_spec_free(again);
    gan_free(json);
    /* the nets by name: a parsed spec's "nets" is an array of objects with string names */
    cJSON *root = cJSON_ParseWithLength((const char *)data, size);
    const cJSON *nets = cJSON_GetObjectItemCaseSensitive(root, "nets");
    for (const cJSON *n = nets ? nets->child : NULL; n; n = n->next)
        build_net(spec, cJSON_GetObjectItemCaseSensitive(n, "name")->valuestring);
    build_net(spec, "no_such_net");
    cJSON_Delete(root);
    gan_spec_free(spec);
    return 0;
}
