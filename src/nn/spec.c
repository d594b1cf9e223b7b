/* spec.c — model specs: parsing and checking the JSON, params, "let" values and "require"
 * checks. Building nets from a spec is in spec_build.c, the expression language in
 * spec_expr.c. Spec internals use libc's allocator (as cJSON does); what leaves the file
 * through the API comes from gan_malloc. */
#include "spec_internal.h"
#include "spec_tree.h"
#include <cJSON.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define MAX_SPEC_BYTES (4 << 20)

const char *gan_spec_name(const gan_spec *s) { return s->name; }
const char *gan_spec_origin(const gan_spec *s) { return s->origin; }

static gan_status bad(const gan_spec *s, const char *fmt, ...) {
    char msg[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return spec_fail(GAN_ERR_FORMAT, "%s: %s", s->origin, msg);
}

void gan_spec_free(gan_spec *s) {
    if (!s) return;
    for (int i = 0; i < s->n_params; i++) free(s->params[i].str);
    free(s->params);
    cJSON_Delete(s->root);
    free(s->origin);
    free(s->name);
    free(s);
}

/* ---------------------------------------------------------------- structure checks */

static int one_of(const char *k, const char *const *keys) {
    for (; *keys; keys++)
        if (!strcmp(k, *keys)) return 1;
    return 0;
}

/* cJSON keeps every copy of a repeated key and reads the first: a second one would be
 * silently ignored, so it is refused. */
static const cJSON *earlier_key(const cJSON *obj, const cJSON *c) {
    for (const cJSON *e = obj->child; e != c; e = e->next)
        if (!strcmp(e->string, c->string)) return e;
    return NULL;
}

static gan_status check_keys(const gan_spec *s, const cJSON *obj, const char *where,
                             const char *const *keys) {
    for (const cJSON *c = obj->child; c; c = c->next) {
        if (!one_of(c->string, keys)) return bad(s, "%s: unknown key '%s'", where, c->string);
        if (earlier_key(obj, c)) return bad(s, "%s: key '%s' is given twice", where, c->string);
    }
    return GAN_OK;
}

static int is_int_number(const cJSON *v) {
    /* the range first: converting a double past int64 to int64 is undefined */
    return cJSON_IsNumber(v) && fabs(v->valuedouble) < 9.0e15 &&
           v->valuedouble == (double)(int64_t)v->valuedouble;
}

/* expression-valued fields: integers or strings */
static int is_expr(const cJSON *v) { return is_int_number(v) || cJSON_IsString(v) || cJSON_IsBool(v); }

static gan_status parse_params(gan_spec *s) {
    const cJSON *p = cJSON_GetObjectItemCaseSensitive(s->root, "params");
    if (!p) return GAN_OK;
    int n = cJSON_GetArraySize(p);
    if (!cJSON_IsObject(p) || n > SPEC_MAX_PARAMS_DECLARED)
        return bad(s, "\"params\" must be an object of up to %d name: default value", SPEC_MAX_PARAMS_DECLARED);
    s->params = calloc((size_t)n + 1, sizeof *s->params);
    for (const cJSON *c = p->child; c; c = c->next) {
        spec_param *q = &s->params[s->n_params];
        q->name = c->string;
        if (!spec_is_ident(c->string)) return bad(s, "param '%s': not a name (letters, digits, _)", c->string);
        if (spec_find_param(s, c->string)) return bad(s, "param '%s' is declared twice", c->string);
        if (cJSON_IsBool(c)) q->type = SPEC_BOOL, q->i = cJSON_IsTrue(c);
        else if (is_int_number(c)) q->type = SPEC_INT, q->i = (int64_t)c->valuedouble;
        else if (cJSON_IsString(c)) q->type = SPEC_STR, q->str = strdup(c->valuestring);
        else return bad(s, "param '%s': the default must be an integer, a boolean or a string", c->string);
        s->n_params++;
    }
    return GAN_OK;
}

static gan_status check_shape_list(const gan_spec *s, const cJSON *shape, const char *where) {
    if (!cJSON_IsArray(shape) || cJSON_GetArraySize(shape) > GAN_MAX_DIMS - 1)
        return bad(s, "%s: a shape is an array of up to %d sizes", where, GAN_MAX_DIMS - 1);
    for (const cJSON *d = shape->child; d; d = d->next)
        if (!is_expr(d)) return bad(s, "%s: sizes are integers or expressions", where);
    return GAN_OK;
}

static gan_status check_net(const gan_spec *s, const cJSON *net, int idx) {
    static const char *const keys[] = {"name", "doc", "inputs", "blocks", "output", "init", NULL};
    char where[96];
    snprintf(where, sizeof where, "net %d", idx);
    if (!cJSON_IsObject(net)) return bad(s, "%s: must be an object", where);
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(net, "name");
    if (!cJSON_IsString(name) || !spec_is_ident(name->valuestring))
        return bad(s, "%s: needs a \"name\" (e.g. \"G\")", where);
    snprintf(where, sizeof where, "net %s", name->valuestring);
    gan_status st = check_keys(s, net, where, keys);
    if (st) return st;
    const cJSON *in = cJSON_GetObjectItemCaseSensitive(net, "inputs");
    if (!cJSON_IsObject(in) || !in->child || cJSON_GetArraySize(in) > GAN_BATCH_MAX)
        return bad(s, "%s: needs \"inputs\": {name: [per-sample sizes], ...} (1 to %d)", where, GAN_BATCH_MAX);
    for (const cJSON *c = in->child; c; c = c->next) {
        char w2[160];
        snprintf(w2, sizeof w2, "%s, input '%s'", where, c->string);
        if (!spec_is_ident(c->string)) return bad(s, "%s: not a name", w2);
        if (earlier_key(in, c)) return bad(s, "%s: declared twice", w2);
        if ((st = check_shape_list(s, c, w2))) return st;
    }
    const cJSON *blocks = cJSON_GetObjectItemCaseSensitive(net, "blocks");
    if (!cJSON_IsArray(blocks) || !blocks->child)
        return bad(s, "%s: needs \"blocks\": [ ... ] with at least one block", where);
    const cJSON *init = cJSON_GetObjectItemCaseSensitive(net, "init");
    if (init && (!cJSON_IsString(init) || (strcmp(init->valuestring, "default") &&
                                           strcmp(init->valuestring, "dcgan"))))
        return bad(s, "%s: \"init\" is \"default\" (PyTorch's) or \"dcgan\"", where);
    const cJSON *out = cJSON_GetObjectItemCaseSensitive(net, "output");
    if (out && !cJSON_IsString(out)) return bad(s, "%s: \"output\" names a value", where);
    return GAN_OK;
}

static gan_status check_top(gan_spec *s) {
    static const char *const keys[] = {"name", "doc", "params", "let", "require", "nets", NULL};
    if (!cJSON_IsObject(s->root)) return bad(s, "a model spec is a JSON object");
    gan_status st = check_keys(s, s->root, "top level", keys);
    if (st) return st;
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(s->root, "name");
    if (name && !cJSON_IsString(name)) return bad(s, "\"name\" must be a string");
    if ((st = parse_params(s))) return st;
    const cJSON *let = cJSON_GetObjectItemCaseSensitive(s->root, "let");
    if (let) {
        if (!cJSON_IsObject(let) || cJSON_GetArraySize(let) > SPEC_MAX_LETS)
            return bad(s, "\"let\" must be an object of up to %d name: expression", SPEC_MAX_LETS);
        for (const cJSON *c = let->child; c; c = c->next) {
            if (!spec_is_ident(c->string)) return bad(s, "let '%s': not a name", c->string);
            if (earlier_key(let, c)) return bad(s, "let '%s' is given twice", c->string);
            if (!is_expr(c)) return bad(s, "let '%s': must be an integer or an expression string", c->string);
        }
    }
    const cJSON *req = cJSON_GetObjectItemCaseSensitive(s->root, "require");
    if (req) {
        if (!cJSON_IsArray(req) || cJSON_GetArraySize(req) > SPEC_MAX_REQUIRES)
            return bad(s, "\"require\" must be an array of up to %d [condition, message]", SPEC_MAX_REQUIRES);
        for (const cJSON *r = req->child; r; r = r->next)
            if (!cJSON_IsArray(r) || cJSON_GetArraySize(r) != 2 ||
                !is_expr(cJSON_GetArrayItem(r, 0)) || !cJSON_IsString(cJSON_GetArrayItem(r, 1)))
                return bad(s, "\"require\": each entry is [\"condition\", \"message\"]");
    }
    const cJSON *nets = cJSON_GetObjectItemCaseSensitive(s->root, "nets");
    if (!cJSON_IsArray(nets) || !nets->child) return bad(s, "needs \"nets\": [ {\"name\": \"G\", ...}, ... ]");
    if (cJSON_GetArraySize(nets) > SPEC_MAX_NETS) return bad(s, "more than %d nets", SPEC_MAX_NETS);
    int i = 0;
    for (const cJSON *n = nets->child; n; n = n->next, i++) {
        if ((st = check_net(s, n, i))) return st;
        for (const cJSON *m = nets->child; m != n; m = m->next)
            if (!strcmp(cJSON_GetObjectItemCaseSensitive(m, "name")->valuestring,
                        cJSON_GetObjectItemCaseSensitive(n, "name")->valuestring))
                return bad(s, "two nets are named '%s'", cJSON_GetObjectItemCaseSensitive(n, "name")->valuestring);
    }
    return GAN_OK;
}

/* ---------------------------------------------------------------- loading */

static char *base_name(const char *origin) {
    const char *b = strrchr(origin, '/');
    b = b ? b + 1 : origin;
    char *n = strdup(b);
    char *dot = strrchr(n, '.');
    if (dot && !strcmp(dot, ".json")) *dot = 0;
    return n;
}

gan_status gan_spec_parse(const char *text, size_t len, const char *origin, gan_spec **out) {
    *out = NULL;
    gan_spec *s = calloc(1, sizeof *s);
    s->origin = strdup(origin ? origin : "spec");
    const char *end = NULL;
    s->root = cJSON_ParseWithLengthOpts(text, len, &end, 0);
    if (!s->root) {
        size_t off = end && end >= text ? (size_t)(end - text) : 0;
        int line = 1;
        for (size_t i = 0; i < off && i < len; i++) line += text[i] == '\n';
        gan_status st = bad(s, "not valid JSON (line %d)", line);
        gan_spec_free(s);
        return st;
    }
    gan_status st = check_top(s);
    if (!st) {
        const cJSON *name = cJSON_GetObjectItemCaseSensitive(s->root, "name");
        s->name = name ? strdup(name->valuestring) : base_name(s->origin);
        st = gan_spec_check_lets(s);
    }
    if (st) {
        gan_spec_free(s);
        return st;
    }
    *out = s;
    return GAN_OK;
}

gan_status gan_spec_load(const char *path, gan_spec **out) {
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (!f) return spec_fail(GAN_ERR_IO, "%s: cannot open model spec (%s)", path, strerror(errno));
    char *buf = malloc(MAX_SPEC_BYTES + 1);
    size_t n = fread(buf, 1, MAX_SPEC_BYTES + 1, f);
    int err = ferror(f);
    fclose(f);
    gan_status st;
    if (err) st = gan_fail(GAN_ERR_IO, "%s: read error", path);
    else if (n > MAX_SPEC_BYTES) st = gan_fail(GAN_ERR_FORMAT, "%s: larger than %d MiB: not a model spec", path, MAX_SPEC_BYTES >> 20);
    else st = gan_spec_parse(buf, n, path, out);
    free(buf);
    return st;
}

static int try_dir(const char *dir, const char *name, char *path, size_t n) {
    snprintf(path, n, "%s/%s.json", dir, name);
    return access(path, R_OK) == 0;
}

gan_status gan_spec_open(const char *name, gan_spec **out) {
    *out = NULL;
    size_t len = strlen(name);
    if (len > 5 && !strcmp(name + len - 5, ".json")) return gan_spec_load(name, out);
    if (!spec_is_ident(name) && strchr(name, '/'))
        return spec_fail(GAN_ERR_ARG, "model '%s': a zoo name or a file ending in .json", name);
    char path[8192], exe[2048], dir[4096];
    const char *env = getenv("GAN_MODELS_DIR");
    if (env && *env && try_dir(env, name, path, sizeof path)) return gan_spec_load(path, out);
    ssize_t k = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (k > 0) {
        exe[k] = 0;
        char *slash = strrchr(exe, '/');
        if (slash) *slash = 0;
        static const char *const rel[] = {"models", "../models", "../../models", "../share/gan/models"};
        for (int i = 0; i < 4; i++) {
            snprintf(dir, sizeof dir, "%s/%s", exe, rel[i]);
            if (try_dir(dir, name, path, sizeof path)) return gan_spec_load(path, out);
        }
    }
    if (try_dir("models", name, path, sizeof path)) return gan_spec_load(path, out);
    return spec_fail(GAN_ERR_IO, "model '%s': no models/%s.json next to the gan binary or in "
                    "$GAN_MODELS_DIR (zoo: mlp, dcgan28, dcgan, resnet; or pass a .json file)", name, name);
}

/* ---------------------------------------------------------------- params */

int gan_spec_has_param(const gan_spec *s, const char *param) { return spec_find_param(s, param) != NULL; }

gan_status gan_spec_set_int(gan_spec *s, const char *param, int64_t value) {
    spec_param *p = spec_find_param((gan_spec *)s, param);
    if (!p) return spec_fail(GAN_ERR_ARG, "%s: model %s has no param '%s'", s->origin, s->name, param);
    if (p->type == SPEC_STR) return spec_fail(GAN_ERR_ARG, "%s: param '%s' is a string", s->origin, param);
    p->i = p->type == SPEC_BOOL ? value != 0 : value;
    return GAN_OK;
}

gan_status gan_spec_set(gan_spec *s, const char *param, const char *value) {
    spec_param *p = spec_find_param(s, param);
    if (!p) return spec_fail(GAN_ERR_ARG, "%s: model %s has no param '%s'", s->origin, s->name, param);
    if (p->type == SPEC_STR) {
        free(p->str);
        p->str = strdup(value);
        return GAN_OK;
    }
    if (p->type == SPEC_BOOL) {
        if (!strcmp(value, "1") || !strcmp(value, "true") || !strcmp(value, "yes")) p->i = 1;
        else if (!strcmp(value, "0") || !strcmp(value, "false") || !strcmp(value, "no")) p->i = 0;
        else return spec_fail(GAN_ERR_ARG, "param '%s': '%s' is not a boolean (true/false)", param, value);
        return GAN_OK;
    }
    char *end;
    errno = 0;
    long long v = strtoll(value, &end, 10);
    if (errno || end == value || *end)
        return spec_fail(GAN_ERR_ARG, "param '%s': '%s' is not an integer", param, value);
    p->i = v;
    return GAN_OK;
}

char *gan_spec_to_json(const gan_spec *s) {
    cJSON *copy = cJSON_Duplicate(s->root, 1);
    cJSON *params = cJSON_CreateObject();
    for (int i = 0; i < s->n_params; i++) {
        const spec_param *p = &s->params[i];
        if (p->type == SPEC_STR) cJSON_AddStringToObject(params, p->name, p->str);
        else if (p->type == SPEC_BOOL) cJSON_AddBoolToObject(params, p->name, (int)p->i);
        else cJSON_AddNumberToObject(params, p->name, (double)p->i);
    }
    if (cJSON_GetObjectItemCaseSensitive(copy, "params")) cJSON_ReplaceItemInObjectCaseSensitive(copy, "params", params);
    else cJSON_AddItemToObject(copy, "params", params);
    if (!cJSON_GetObjectItemCaseSensitive(copy, "name")) cJSON_AddStringToObject(copy, "name", s->name);
    char *txt = cJSON_PrintUnformatted(copy);
    cJSON_Delete(copy);
    size_t n = strlen(txt) + 1;
    char *out = gan_malloc(n);
    memcpy(out, txt, n);
    free(txt);
    return out;
}
