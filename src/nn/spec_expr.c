/* spec_expr.c — the small integer expression language of model specs ("ngf*8",
 * "size == 28 ? 2 : log2(size/8)", "d_norm != 'none'"): a recursive-descent parser that
 * evaluates as it parses. Every integer operation is checked, so a spec cannot make UB out of
 * a huge width, and depth is bounded, so a fuzzed spec cannot exhaust the stack. */
#include "spec_internal.h"
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>

#define MAX_DEPTH 64

typedef struct parser {
    const char *p;
    spec_lookup_fn lookup;
    void *ud;
    char *err;
    size_t errn;
    int failed, depth;
    int dead;   /* > 0 while evaluating a branch that ?:, && or || will not use */
} parser;

/* The first error wins: later ones are consequences of it. */
static int vfail(parser *ps, const char *fmt, va_list ap) {
    if (!ps->failed) vsnprintf(ps->err, ps->errn, fmt, ap);
    ps->failed = 1;
    return 0;
}

static int fail(parser *ps, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vfail(ps, fmt, ap);
    va_end(ap);
    return 0;
}

/* An error of value (overflow, division by zero, log2 of a non-power) in a branch that is not
 * taken is no error: "size == 28 ? 2 : log2(size/8)" must work for size 28. Syntax errors and
 * unknown names are still reported there. */
static int value_fail(parser *ps, int64_t *r, const char *fmt, ...) {
    *r = 0;
    if (ps->dead) return 1;
    va_list ap;
    va_start(ap, fmt);
    vfail(ps, fmt, ap);
    va_end(ap);
    return 0;
}

static void skip(parser *ps) {
    while (isspace((unsigned char)*ps->p)) ps->p++;
}

static int eat(parser *ps, const char *tok) {
    skip(ps);
    size_t n = strlen(tok);
    if (strncmp(ps->p, tok, n)) return 0;
    ps->p += n;
    return 1;
}

static int need_int(parser *ps, const spec_val *v, const char *op) {
    if (v->is_str) return fail(ps, "'%s' needs integers, got the string '%.*s'", op, (int)v->len, v->s);
    return 1;
}

static spec_val ival(int64_t i) { return (spec_val){0, i, NULL, 0}; }

static int ternary(parser *ps, spec_val *v);

/* checked int64 arithmetic */
static int arith(parser *ps, char op, int64_t a, int64_t b, int64_t *r) {
    switch (op) {
    case '+': if (__builtin_add_overflow(a, b, r)) return value_fail(ps, r, "integer overflow in %lld + %lld", (long long)a, (long long)b); return 1;
    case '-': if (__builtin_sub_overflow(a, b, r)) return value_fail(ps, r, "integer overflow in %lld - %lld", (long long)a, (long long)b); return 1;
    case '*': if (__builtin_mul_overflow(a, b, r)) return value_fail(ps, r, "integer overflow in %lld * %lld", (long long)a, (long long)b); return 1;
    case '/': case '%':
        if (b == 0) return value_fail(ps, r, "division by zero");
        if (a == INT64_MIN && b == -1) return value_fail(ps, r, "integer overflow in division");
        *r = op == '/' ? a / b : a % b;
        return 1;
    case '<': case '>':
        if (b < 0 || b > 62) return value_fail(ps, r, "shift by %lld (allowed: 0..62)", (long long)b);
        if (op == '>') { *r = a >> b; return 1; }
        if (a < 0 || a > (INT64_MAX >> b)) return value_fail(ps, r, "integer overflow in %lld << %lld", (long long)a, (long long)b);
        *r = a << b;
        return 1;
    }
    return fail(ps, "internal: operator %c", op);
}

static int is_name(const char *name, size_t len, const char *want) {
    return len == strlen(want) && !strncmp(name, want, len);
}

static int call(parser *ps, const char *name, size_t len, spec_val *v) {
    spec_val a[2];
    int n = 0;
    if (!eat(ps, ")")) {
        do {
            if (n == 2) return fail(ps, "%.*s: too many arguments", (int)len, name);
            if (!ternary(ps, &a[n]) || !need_int(ps, &a[n], "function")) return 0;
            n++;
        } while (eat(ps, ","));
        if (!eat(ps, ")")) return fail(ps, "expected ')' after the arguments of %.*s", (int)len, name);
    }
    int is_min = is_name(name, len, "min"), is_max = is_name(name, len, "max");
    if (is_min || is_max) {
        if (n != 2) return fail(ps, "%.*s takes 2 arguments", (int)len, name);
        int first = is_min ? a[0].i <= a[1].i : a[0].i >= a[1].i;
        *v = ival(first ? a[0].i : a[1].i);
        return 1;
    }
    if (is_name(name, len, "log2")) {
        if (n != 1) return fail(ps, "log2 takes 1 argument");
        if (a[0].i <= 0 || (a[0].i & (a[0].i - 1))) {
            *v = ival(0);
            return value_fail(ps, &v->i, "log2(%lld): not a power of two", (long long)a[0].i);
        }
        int k = 0;
        while ((a[0].i >> k) > 1) k++;
        *v = ival(k);
        return 1;
    }
    return fail(ps, "unknown function '%.*s' (known: min, max, log2)", (int)len, name);
}

static int primary(parser *ps, spec_val *v) {
    skip(ps);
    const char *s = ps->p;
    if (*s == '(') {
        ps->p++;
        if (!ternary(ps, v)) return 0;
        if (!eat(ps, ")")) return fail(ps, "expected ')'");
        return 1;
    }
    if (isdigit((unsigned char)*s)) {
        int64_t x = 0;
        while (isdigit((unsigned char)*ps->p)) {
            if (!arith(ps, '*', x, 10, &x) || !arith(ps, '+', x, *ps->p - '0', &x)) return 0;
            ps->p++;
        }
        *v = ival(x);
        return 1;
    }
    if (*s == '\'') {
        const char *e = strchr(s + 1, '\'');
        if (!e) return fail(ps, "unterminated string");
        *v = (spec_val){1, 0, s + 1, (size_t)(e - s - 1)};
        ps->p = e + 1;
        return 1;
    }
    if (isalpha((unsigned char)*s) || *s == '_') {
        while (isalnum((unsigned char)*ps->p) || *ps->p == '_') ps->p++;
        size_t len = (size_t)(ps->p - s);
        if (eat(ps, "(")) return call(ps, s, len, v);
        if (len == 4 && !strncmp(s, "true", 4)) { *v = ival(1); return 1; }
        if (len == 5 && !strncmp(s, "false", 5)) { *v = ival(0); return 1; }
        if (!ps->lookup(ps->ud, s, len, v)) return fail(ps, "unknown name '%.*s'", (int)len, s);
        return 1;
    }
    if (!*s) return fail(ps, "unexpected end of expression");
    return fail(ps, "unexpected '%c'", *s);
}

static int unary(parser *ps, spec_val *v) {
    if (++ps->depth > MAX_DEPTH) return fail(ps, "expression nested too deeply");
    int ok;
    if (eat(ps, "-")) {
        ok = unary(ps, v) && need_int(ps, v, "-") && arith(ps, '-', 0, v->i, &v->i);
    } else if (eat(ps, "!")) {
        ok = unary(ps, v) && need_int(ps, v, "!");
        if (ok) v->i = !v->i;
    } else {
        ok = primary(ps, v);
    }
    ps->depth--;
    return ok;
}

/* binary levels, loosest last; each entry lists its operators (longest first) */
static const char *const levels[][7] = {
    {"*", "/", "%", NULL},
    {"+", "-", NULL},
    {"<<", ">>", NULL},
    {"<=", ">=", "<", ">", NULL},
    {"==", "!=", NULL},
    {"&&", NULL},
    {"||", NULL},
};

static int match_op(parser *ps, int level, const char **op) {
    skip(ps);
    for (int k = 0; levels[level][k]; k++) {
        const char *o = levels[level][k];
        size_t n = strlen(o);
        if (strncmp(ps->p, o, n)) continue;
        /* "<" must not eat the start of "<<", nor "&" / "|" singles exist */
        if (n == 1 && (o[0] == '<' || o[0] == '>') && ps->p[1] == o[0]) continue;
        ps->p += n;
        *op = o;
        return 1;
    }
    return 0;
}

static int apply(parser *ps, const char *op, spec_val *a, const spec_val *b) {
    if (!strcmp(op, "==") || !strcmp(op, "!=")) {
        int eq;
        if (a->is_str != b->is_str) return fail(ps, "'%s' compares a string with an integer", op);
        eq = a->is_str ? a->len == b->len && !memcmp(a->s, b->s, a->len) : a->i == b->i;
        *a = ival(op[0] == '=' ? eq : !eq);
        return 1;
    }
    if (!need_int(ps, a, op) || !need_int(ps, b, op)) return 0;
    int64_t x = a->i, y = b->i, r;
    if (!strcmp(op, "&&")) r = x && y;
    else if (!strcmp(op, "||")) r = x || y;
    else if (!strcmp(op, "<")) r = x < y;
    else if (!strcmp(op, "<=")) r = x <= y;
    else if (!strcmp(op, ">")) r = x > y;
    else if (!strcmp(op, ">=")) r = x >= y;
    else if (!strcmp(op, "<<") || !strcmp(op, ">>")) {
        if (!arith(ps, op[0], x, y, &r)) return 0;
    } else if (!arith(ps, op[0], x, y, &r)) return 0;
    *a = ival(r);
    return 1;
}

static int binary(parser *ps, int level, spec_val *v) {
    if (level < 0) return unary(ps, v);
    if (!binary(ps, level - 1, v)) return 0;
    const char *op;
    while (match_op(ps, level, &op)) {
        spec_val b;
        /* the right side of a decided && or || is parsed but not used */
        int skip_rhs = !v->is_str && ((!strcmp(op, "&&") && !v->i) || (!strcmp(op, "||") && v->i));
        ps->dead += skip_rhs;
        int ok = binary(ps, level - 1, &b);
        ps->dead -= skip_rhs;
        if (!ok || !apply(ps, op, v, &b)) return 0;
    }
    return 1;
}

static int ternary(parser *ps, spec_val *v) {
    if (++ps->depth > MAX_DEPTH) return fail(ps, "expression nested too deeply");
    int ok = binary(ps, 6, v);
    if (ok && eat(ps, "?")) {
        spec_val a, b;
        ok = need_int(ps, v, "?");
        int cond = ok && v->i;
        ps->dead += ok && !cond;
        ok = ok && ternary(ps, &a);
        ps->dead -= ok ? !cond : 0;
        if (ok && !eat(ps, ":")) ok = fail(ps, "expected ':' in ?:");
        ps->dead += ok && cond;
        ok = ok && ternary(ps, &b);
        ps->dead -= ok ? cond : 0;
        if (ok) *v = v->i ? a : b;
    }
    ps->depth--;
    return ok;
}

int spec_eval(const char *expr, spec_lookup_fn lookup, void *ud, spec_val *out, char *err,
              size_t errn) {
    parser ps = {expr, lookup, ud, err, errn, 0, 0, 0};
    if (!ternary(&ps, out)) return 0;
    skip(&ps);
    if (*ps.p) return fail(&ps, "unexpected '%s' after the expression", ps.p);
    return 1;
}
