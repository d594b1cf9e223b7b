/* spec_scope.c — evaluating a spec's expressions: the names they see (loop variables, "let"
 * values, params), templates ("main.{3*i}"), and the "require" checks. */
#include "spec_tree.h"
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>

gan_status spec_fail(gan_status code, const char *fmt, ...) {
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    for (char *c = msg; *c; c++)
        if ((unsigned char)*c < 0x20 || *c == 0x7f) *c = '?';
    return gan_fail(code, "%s", msg);
}

int spec_is_ident(const char *s) {
    if (!s || !(isalpha((unsigned char)*s) || *s == '_')) return 0;
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && *s != '_') return 0;
    return 1;
}

spec_param *spec_find_param(const gan_spec *s, const char *name) {
    for (int i = 0; i < s->n_params; i++)
        if (!strcmp(s->params[i].name, name)) return &s->params[i];
    return NULL;
}

static int name_is(const char *a, const char *name, size_t len) {
    return strlen(a) == len && !strncmp(a, name, len);
}

static int lookup(void *ud, const char *name, size_t len, spec_val *out) {
    const spec_scope *sc = ud;
    for (int i = sc->n_loop - 1; i >= 0; i--)
        if (name_is(sc->loop_name[i], name, len)) {
            *out = (spec_val){0, sc->loop_val[i], NULL, 0};
            return 1;
        }
    for (int i = sc->n_lets - 1; i >= 0; i--)
        if (name_is(sc->let_name[i], name, len)) {
            *out = sc->let_val[i];
            return 1;
        }
    for (int i = 0; i < sc->spec->n_params; i++) {
        const spec_param *p = &sc->spec->params[i];
        if (!name_is(p->name, name, len)) continue;
        if (p->type == SPEC_STR) *out = (spec_val){1, 0, p->str, strlen(p->str)};
        else *out = (spec_val){0, p->i, NULL, 0};
        return 1;
    }
    return 0;
}

int spec_scope_eval_str(const spec_scope *sc, const char *expr, spec_val *out, char *err, size_t n) {
    char e[600];
    if (!spec_eval(expr, lookup, (void *)sc, out, e, sizeof e)) {
        snprintf(err, n, "'%s': %s", expr, e);
        return 0;
    }
    return 1;
}

int spec_scope_eval(const spec_scope *sc, const cJSON *v, spec_val *out, char *err, size_t n) {
    if (cJSON_IsBool(v)) {
        *out = (spec_val){0, cJSON_IsTrue(v), NULL, 0};
        return 1;
    }
    if (cJSON_IsNumber(v)) {
        if (!(fabs(v->valuedouble) < 9.0e15) || v->valuedouble != (double)(int64_t)v->valuedouble) {
            snprintf(err, n, "%g is not an integer", v->valuedouble);
            return 0;
        }
        *out = (spec_val){0, (int64_t)v->valuedouble, NULL, 0};
        return 1;
    }
    if (cJSON_IsString(v)) return spec_scope_eval_str(sc, v->valuestring, out, err, n);
    snprintf(err, n, "expected an integer or an expression string");
    return 0;
}

int spec_expand(const spec_scope *sc, const char *t, char *buf, size_t n, char *err, size_t errn) {
    size_t o = 0;
    while (*t) {
        if (*t != '{') {
            if (o + 1 >= n) goto too_long;
            buf[o++] = *t++;
            continue;
        }
        const char *close = strchr(t, '}');
        if (!close) {
            snprintf(err, errn, "'%s': '{' without '}'", t);
            return 0;
        }
        char expr[256];
        size_t len = (size_t)(close - t - 1);
        if (len >= sizeof expr) goto too_long;
        memcpy(expr, t + 1, len);
        expr[len] = 0;
        spec_val v;
        if (!spec_scope_eval_str(sc, expr, &v, err, errn)) return 0;
        int w = v.is_str ? snprintf(buf + o, n - o, "%.*s", (int)v.len, v.s)
                         : snprintf(buf + o, n - o, "%lld", (long long)v.i);
        if (w < 0 || (size_t)w >= n - o) goto too_long;
        o += (size_t)w;
        t = close + 1;
    }
    buf[o] = 0;
    return 1;
too_long:
    snprintf(err, errn, "a name or message longer than %zu bytes", n - 1);
    return 0;
}

gan_status spec_scope_init(spec_scope *sc, const gan_spec *s) {
    memset(sc, 0, sizeof *sc);
    sc->spec = s;
    const cJSON *let = cJSON_GetObjectItemCaseSensitive(s->root, "let");
    for (const cJSON *c = let ? let->child : NULL; c; c = c->next) {
        char err[700];
        spec_val v;
        if (!spec_scope_eval(sc, c, &v, err, sizeof err))
            return spec_fail(GAN_ERR_FORMAT, "%s: let '%s': %s", s->origin, c->string, err);
        sc->let_name[sc->n_lets] = c->string;
        sc->let_val[sc->n_lets++] = v;
    }
    return GAN_OK;
}

gan_status gan_spec_check_lets(const gan_spec *s) {
    spec_scope sc;
    return spec_scope_init(&sc, s);
}

gan_status gan_spec_eval_int(const gan_spec *s, const char *expr, int64_t *out) {
    spec_scope sc;
    gan_status st = spec_scope_init(&sc, s);
    if (st) return st;
    char err[700];
    spec_val v;
    if (!spec_scope_eval_str(&sc, expr, &v, err, sizeof err))
        return spec_fail(GAN_ERR_ARG, "%s: %s", s->origin, err);
    if (v.is_str) return spec_fail(GAN_ERR_ARG, "%s: '%s' is a string, not an integer", s->origin, expr);
    *out = v.i;
    return GAN_OK;
}

/* The "require" checks in scope sc. With `params_only` (a scope without the lets), a check that
 * cannot be evaluated is skipped: it reads a let, and comes again in the full scope. */
static gan_status check_requires(const gan_spec *s, const spec_scope *sc, int params_only) {
    const cJSON *req = cJSON_GetObjectItemCaseSensitive(s->root, "require");
    for (const cJSON *r = req ? req->child : NULL; r; r = r->next) {
        char err[700], msg[512];
        spec_val v;
        if (!spec_scope_eval(sc, cJSON_GetArrayItem(r, 0), &v, err, sizeof err)) {
            if (params_only) continue;
            return spec_fail(GAN_ERR_FORMAT, "%s: require: %s", s->origin, err);
        }
        if (v.is_str) return spec_fail(GAN_ERR_FORMAT, "%s: require: a condition, not a string", s->origin);
        if (v.i) continue;
        if (!spec_expand(sc, cJSON_GetArrayItem(r, 1)->valuestring, msg, sizeof msg, err, sizeof err)) {
            if (params_only) continue;
            return spec_fail(GAN_ERR_FORMAT, "%s: require message: %s", s->origin, err);
        }
        return spec_fail(GAN_ERR_ARG, "model %s: %s", s->name, msg);
    }
    return GAN_OK;
}

/* Requires over the params come first: a size the model does not support is reported as the
 * spec words it, not as whatever a let computed from it fails with ("log2(12)"). */
gan_status gan_spec_check(const gan_spec *s) {
    spec_scope sc = {.spec = s};
    gan_status st = check_requires(s, &sc, 1);
    if (!st) st = spec_scope_init(&sc, s);
    if (!st) st = check_requires(s, &sc, 0);
    return st;
}
