/* spec_tree.h — a parsed spec and the scopes its expressions are evaluated in (spec.c,
 * spec_scope.c, spec_build.c). */
#ifndef GAN_SPEC_TREE_H
#define GAN_SPEC_TREE_H
#include "spec_internal.h"
#include <cJSON.h>
#include <math.h>

#define SPEC_MAX_LETS 64
/* params, nets and requires are looked up or compared linearly: a 4 MiB spec of a million
 * params must not take hours to refuse */
#define SPEC_MAX_PARAMS_DECLARED 256
#define SPEC_MAX_NETS 64
#define SPEC_MAX_REQUIRES 256
#define SPEC_MAX_LOOP 8

typedef enum { SPEC_INT, SPEC_BOOL, SPEC_STR } spec_type;

typedef struct spec_param {
    const char *name;    /* borrowed from the tree */
    spec_type type;
    int64_t i;
    char *str;           /* owned */
} spec_param;

struct gan_spec {
    cJSON *root;
    char *origin, *name;
    spec_param *params;
    int n_params;
};

/* Names visible to an expression: loop variables (innermost first), "let" values, params. */
typedef struct spec_scope {
    const gan_spec *spec;
    int n_lets;                     /* lets evaluated so far */
    const char *let_name[SPEC_MAX_LETS];
    spec_val let_val[SPEC_MAX_LETS];
    int n_loop;
    const char *loop_name[SPEC_MAX_LOOP];
    int64_t loop_val[SPEC_MAX_LOOP];
} spec_scope;

/* gan_fail for spec messages: they quote the spec's own strings, whose control characters
 * ("\n" in a key) become '?' so that the message stays one line. */
gan_status spec_fail(gan_status code, const char *fmt, ...);
int spec_is_ident(const char *s);
spec_param *spec_find_param(const gan_spec *s, const char *name);
/* Evaluates the lets into sc (GAN_ERR_FORMAT naming the let that fails). */
gan_status spec_scope_init(spec_scope *sc, const gan_spec *s);
/* v: a JSON integer, boolean or expression string. 0 with a message in err on failure. */
int spec_scope_eval(const spec_scope *sc, const cJSON *v, spec_val *out, char *err, size_t n);
int spec_scope_eval_str(const spec_scope *sc, const char *expr, spec_val *out, char *err, size_t n);
/* Expands "{expr}" parts of a template ("block{i+2}.c1") into buf. */
int spec_expand(const spec_scope *sc, const char *tmpl, char *buf, size_t n, char *err, size_t errn);
/* Evaluates the lets once at load, so that a spec whose lets fail on its defaults is refused. */
gan_status gan_spec_check_lets(const gan_spec *s);

#endif
