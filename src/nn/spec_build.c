/* spec_build.c — building a net from a spec, and running it.
 *
 * Building walks the net's blocks once: `when` skips, `repeat` unrolls, each block's type
 * builds its state (declaring parameters in order) and its output's per-sample shape from its
 * inputs' shapes. What comes out is flat: a list of block instances, each reading values by
 * index and writing one. Running it is a loop over that list.
 *
 * Memory: when an instance records no graph node (sampling, G during the D step), the values
 * it consumed for the last time are handed back to the arena at once, so the next layer reuses
 * their buffers. Views (reshape, in-place activations) share their input's buffer: the buffer
 * goes back only when every value on it is dead. */
#include "spec_tree.h"
#include <float.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#define MAX_REPEAT 4096
#define MAX_KEYS 32
#define NAME_LEN 128

typedef struct inst {
    const gan_block_type *type;
    void *state;
    int n_in, in[GAN_BLOCK_MAX_INPUTS];
    int out;
    char prefix[NAME_LEN];          /* its parameters' prefix */
    int declares;                   /* 1 when it declared parameters or buffers */
} inst;

typedef struct value {
    char name[NAME_LEN];            /* "" when unnamed */
    int ndim, shape[GAN_MAX_DIMS];  /* per sample */
    int producer;                   /* instance index; -1 for the net's inputs */
    int last_use;                   /* last instance reading it; INT_MAX for the output */
} value;

typedef struct sn_entry {
    gan_spectral_norm *sn;
    uint64_t stream;
} sn_entry;

struct gan_module {
    gan_net *net;
    char *net_name, *origin;
    int init_dcgan, mixes_batch;
    int n_inputs, input_val[GAN_BATCH_MAX];
    char input_name[GAN_BATCH_MAX][NAME_LEN];
    inst *insts;
    int n_insts, cap_insts;
    value *vals;
    int n_vals, cap_vals;
    int output;
    sn_entry *sns;
    int n_sns, cap_sns;
    uint64_t sn_next;
    /* forward scratch, one slot per value */
    gan_tensor **t;
    int *owner, *group_last;
    char *released;
    int busy;
};

typedef struct builder {
    gan_module *m;
    const gan_spec *spec;
    spec_scope sc;
    int prev;                       /* the value a block reads when it names no input */
    int visited;                    /* blocks walked so far, skipped ones included */
} builder;

struct gan_block_build {
    builder *bd;
    const cJSON *obj;
    const char *type_name;
    char where[320];                /* "block 3" / "block 3 (i=1) > block 0" */
    char prefix[NAME_LEN];
    int n_in, in[GAN_BLOCK_MAX_INPUTS];
    int out_ndim, out_shape[GAN_MAX_DIMS], out_set;
    const cJSON *keys[MAX_KEYS];
    int n_keys;
    uint32_t used;
    int sn_slots, sn_explicit;
    uint64_t sn_base;
    int id;
};

static void *grow(void *p, int *cap, int need, size_t elem) {
    if (need <= *cap) return p;
    int c = *cap ? *cap * 2 : 16;
    while (c < need) c *= 2;
    p = realloc(p, (size_t)c * elem);
    GAN_ASSERT(p);
    memset((char *)p + (size_t)*cap * elem, 0, (size_t)(c - *cap) * elem);
    *cap = c;
    return p;
}

/* ---------------------------------------------------------------- messages */

static gan_status vfail_at(const builder *bd, const char *where, const char *type,
                           const char *prefix, const char *fmt, va_list ap) {
    char msg[600];
    vsnprintf(msg, sizeof msg, fmt, ap);
    if (type)
        return spec_fail(GAN_ERR_FORMAT, "%s: net %s, %s (%s%s%s): %s", bd->spec->origin,
                        bd->m->net_name, where, type, prefix && *prefix ? " " : "",
                        prefix ? prefix : "", msg);
    return spec_fail(GAN_ERR_FORMAT, "%s: net %s, %s: %s", bd->spec->origin, bd->m->net_name,
                    where, msg);
}

static gan_status fail_at(const builder *bd, const char *where, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    gan_status s = vfail_at(bd, where, NULL, NULL, fmt, ap);
    va_end(ap);
    return s;
}

gan_status gan_block_fail(gan_block_build *b, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    gan_status s = vfail_at(b->bd, b->where, b->type_name, b->prefix, fmt, ap);
    va_end(ap);
    return s;
}

static void shape_str(const int *shape, int ndim, char *buf, size_t n) {
    size_t o = (size_t)snprintf(buf, n, "[");
    for (int i = 0; i < ndim && o < n; i++)
        o += (size_t)snprintf(buf + o, n - o, i ? ", %d" : "%d", shape[i]);
    if (o < n) snprintf(buf + o, n - o, "]");
}

/* ---------------------------------------------------------------- the block API */

gan_net *gan_block_net(gan_block_build *b) { return b->bd->m->net; }
const char *gan_block_prefix(gan_block_build *b) { return b->prefix; }
int gan_block_num_inputs(gan_block_build *b) { return b->n_in; }
void gan_block_mixes_batch(gan_block_build *b) { b->bd->m->mixes_batch = 1; }
uint64_t gan_block_id(gan_block_build *b) { return (uint64_t)b->id; }

int gan_block_input_shape(gan_block_build *b, int i, int *shape) {
    GAN_ASSERT(i >= 0 && i < b->n_in);
    const value *v = &b->bd->m->vals[b->in[i]];
    memcpy(shape, v->shape, sizeof(int) * (size_t)v->ndim);
    return v->ndim;
}

void gan_block_set_output(gan_block_build *b, int ndim, const int *shape) {
    GAN_ASSERT(ndim >= 0 && ndim < GAN_MAX_DIMS);
    b->out_ndim = ndim;
    memcpy(b->out_shape, shape, sizeof(int) * (size_t)ndim);
    b->out_set = 1;
}

static const cJSON *option(gan_block_build *b, const char *key) {
    for (int i = 0; i < b->n_keys; i++)
        if (!strcmp(b->keys[i]->string, key)) {
            b->used |= 1u << i;
            return b->keys[i];
        }
    return NULL;
}

gan_status gan_block_int(gan_block_build *b, const char *key, int required, int def, int *out) {
    const cJSON *v = option(b, key);
    if (!v) {
        if (required) return gan_block_fail(b, "missing option '%s'", key);
        *out = def;
        return GAN_OK;
    }
    char err[700];
    spec_val x;
    if (!spec_scope_eval(&b->bd->sc, v, &x, err, sizeof err)) return gan_block_fail(b, "option '%s': %s", key, err);
    if (x.is_str) return gan_block_fail(b, "option '%s': expected an integer, got the string '%.*s'", key, (int)x.len, x.s);
    if (x.i < INT_MIN || x.i > INT_MAX) return gan_block_fail(b, "option '%s': %lld is out of range", key, (long long)x.i);
    *out = (int)x.i;
    return GAN_OK;
}

gan_status gan_block_bool(gan_block_build *b, const char *key, int def, int *out) {
    int v;
    gan_status s = gan_block_int(b, key, 0, def, &v);
    if (!s) *out = v != 0;
    return s;
}

gan_status gan_block_ints(gan_block_build *b, const char *key, int max, int *out, int *n) {
    const cJSON *v = option(b, key);
    if (!v) return gan_block_fail(b, "missing option '%s'", key);
    if (!cJSON_IsArray(v)) return gan_block_fail(b, "option '%s': expected an array", key);
    *n = 0;
    for (const cJSON *e = v->child; e; e = e->next) {
        char err[700];
        spec_val x;
        if (*n == max) return gan_block_fail(b, "option '%s': more than %d entries", key, max);
        if (!spec_scope_eval(&b->bd->sc, e, &x, err, sizeof err)) return gan_block_fail(b, "option '%s': %s", key, err);
        if (x.is_str || x.i < INT_MIN || x.i > INT_MAX) return gan_block_fail(b, "option '%s': entries are integers", key);
        out[(*n)++] = (int)x.i;
    }
    return GAN_OK;
}

gan_status gan_block_float(gan_block_build *b, const char *key, int required, float def, float *out) {
    const cJSON *v = option(b, key);
    if (!v) {
        if (required) return gan_block_fail(b, "missing option '%s'", key);
        *out = def;
        return GAN_OK;
    }
    if (cJSON_IsNumber(v)) {
        if (!(fabs(v->valuedouble) <= FLT_MAX)) return gan_block_fail(b, "option '%s': %g is out of range", key, v->valuedouble);
        *out = (float)v->valuedouble;
        return GAN_OK;
    }
    if (!cJSON_IsString(v)) return gan_block_fail(b, "option '%s': expected a number", key);
    int i;
    gan_status s = gan_block_int(b, key, 1, 0, &i);
    if (!s) *out = (float)i;
    return s;
}

gan_status gan_block_choice(gan_block_build *b, const char *key, const char *const *choices,
                            int def, int *out) {
    const cJSON *v = option(b, key);
    if (!v) {
        if (def < 0) return gan_block_fail(b, "missing option '%s'", key);
        *out = def;
        return GAN_OK;
    }
    if (!cJSON_IsString(v)) return gan_block_fail(b, "option '%s': expected a string", key);
    const char *s = v->valuestring;
    if (s[0] == '$') {
        const spec_param *p = spec_find_param(b->bd->spec, s + 1);
        if (!p || p->type != SPEC_STR)
            return gan_block_fail(b, "option '%s': '%s' names no string param", key, s);
        s = p->str;
    }
    char known[256];
    size_t o = 0;
    known[0] = 0;
    for (int i = 0; choices[i]; i++) {
        if (!strcmp(s, choices[i])) {
            *out = i;
            return GAN_OK;
        }
        if (o < sizeof known) o += (size_t)snprintf(known + o, sizeof known - o, i ? ", %s" : "%s", choices[i]);
    }
    return gan_block_fail(b, "option '%s': unknown value '%s' (expected %s)", key, s, known);
}

gan_status gan_block_spectral_norm(gan_block_build *b, gan_spectral_norm *sn, gan_tensor *weight,
                                   int slot, int *on) {
    gan_status s = gan_block_bool(b, "sn", 0, on);
    if (!s && !*on) option(b, "sn_stream"); /* meaningful only with sn: not an unknown option */
    if (s || !*on) return s;
    if (!b->sn_slots && !b->sn_explicit) {
        int stream;
        const cJSON *v = option(b, "sn_stream");
        if (v) {
            if ((s = gan_block_int(b, "sn_stream", 1, 0, &stream))) return s;
            if (stream < 0) return gan_block_fail(b, "option 'sn_stream' must be >= 0");
            b->sn_base = (uint64_t)stream;
            b->sn_explicit = 1;
        } else {
            b->sn_base = b->bd->m->sn_next;
        }
    }
    if (slot + 1 > b->sn_slots) b->sn_slots = slot + 1;
    *sn = gan_spectral_norm_init(b->bd->m->net, weight);
    gan_module *m = b->bd->m;
    m->sns = grow(m->sns, &m->cap_sns, m->n_sns + 1, sizeof *m->sns);
    m->sns[m->n_sns++] = (sn_entry){sn, b->sn_base + 2 * (uint64_t)slot};
    return GAN_OK;
}

gan_status spec_block_tensor(gan_block_build *b, const char *what, int ndim, const int64_t *shape) {
    int64_t n = 1;
    for (int i = 0; i < ndim; i++) {
        GAN_ASSERT(shape[i] >= 1);
        /* n <= SPEC_MAX_TENSOR and a size <= INT_MAX: the product cannot overflow */
        if (shape[i] > INT_MAX || (n *= shape[i]) > SPEC_MAX_TENSOR)
            return gan_block_fail(b, "%s would hold more than 2^31 values", what);
    }
    gan_net *net = b->bd->m->net;
    if (gan_net_num_params(net) + n > SPEC_MAX_PARAMS)
        return gan_block_fail(b, "%s (%lld values) takes net %s past 2^31 parameters", what,
                              (long long)n, b->bd->m->net_name);
    return GAN_OK;
}

/* ---------------------------------------------------------------- registry */

#define MAX_USER_BLOCKS 64
static const gan_block_type *user_blocks[MAX_USER_BLOCKS];
static int n_user_blocks;

const gan_block_type *gan_block_find(const char *name) {
    for (int i = 0; gan_builtin_blocks[i]; i++)
        if (!strcmp(gan_builtin_blocks[i]->name, name)) return gan_builtin_blocks[i];
    for (int i = 0; i < n_user_blocks; i++)
        if (!strcmp(user_blocks[i]->name, name)) return user_blocks[i];
    return NULL;
}

gan_status gan_block_register(const gan_block_type *t) {
    if (!t || !t->name || !t->build || !t->forward || t->min_inputs < 0 ||
        t->max_inputs > GAN_BLOCK_MAX_INPUTS || t->min_inputs > t->max_inputs)
        return spec_fail(GAN_ERR_ARG, "gan_block_register: incomplete block type");
    if (gan_block_find(t->name) || !strcmp(t->name, "repeat"))
        return spec_fail(GAN_ERR_ARG, "gan_block_register: a block '%s' exists already", t->name);
    if (n_user_blocks == MAX_USER_BLOCKS) return spec_fail(GAN_ERR_ARG, "gan_block_register: too many blocks");
    user_blocks[n_user_blocks++] = t;
    return GAN_OK;
}

static void known_blocks(char *buf, size_t n) {
    size_t o = 0;
    buf[0] = 0;
    for (int i = 0; gan_builtin_blocks[i] && o < n; i++)
        o += (size_t)snprintf(buf + o, n - o, "%s%s", i ? ", " : "", gan_builtin_blocks[i]->name);
}

/* ---------------------------------------------------------------- building */

static int find_value(const gan_module *m, const char *name) {
    for (int i = m->n_vals - 1; i >= 0; i--)
        if (!strcmp(m->vals[i].name, name)) return i;
    return -1;
}

static int add_value(gan_module *m, const char *name, int ndim, const int *shape, int producer) {
    m->vals = grow(m->vals, &m->cap_vals, m->n_vals + 1, sizeof *m->vals);
    value *v = &m->vals[m->n_vals];
    snprintf(v->name, sizeof v->name, "%s", name ? name : "");
    v->ndim = ndim;
    memcpy(v->shape, shape, sizeof(int) * (size_t)ndim);
    v->producer = producer;
    v->last_use = -1;
    return m->n_vals++;
}

static gan_status expand_key(gan_block_build *b, const char *key, char *buf, size_t n) {
    const cJSON *v = option(b, key);
    buf[0] = 0;
    if (!v) return GAN_OK;
    if (!cJSON_IsString(v)) return gan_block_fail(b, "'%s' must be a string", key);
    char err[700];
    if (!spec_expand(&b->bd->sc, v->valuestring, buf, n, err, sizeof err))
        return gan_block_fail(b, "'%s': %s", key, err);
    return GAN_OK;
}

static gan_status resolve_inputs(gan_block_build *b) {
    builder *bd = b->bd;
    const cJSON *in = option(b, "in");
    if (!in) {
        b->in[0] = bd->prev;
        b->n_in = 1;
        return GAN_OK;
    }
    const cJSON *one = in, *list = NULL;
    if (cJSON_IsArray(in)) list = in, one = in->child;
    else if (!cJSON_IsString(in)) return gan_block_fail(b, "'in' must be a name or a list of names");
    b->n_in = 0;
    for (; one; one = list ? one->next : NULL) {
        char name[NAME_LEN], err[700];
        if (!cJSON_IsString(one)) return gan_block_fail(b, "'in' must be a name or a list of names");
        if (b->n_in == GAN_BLOCK_MAX_INPUTS) return gan_block_fail(b, "more than %d inputs", GAN_BLOCK_MAX_INPUTS);
        if (!spec_expand(&bd->sc, one->valuestring, name, sizeof name, err, sizeof err))
            return gan_block_fail(b, "'in': %s", err);
        int id = find_value(bd->m, name);
        if (id < 0) return gan_block_fail(b, "input '%s': no earlier block or net input has that name", name);
        b->in[b->n_in++] = id;
        if (!list) break;
    }
    return GAN_OK;
}

/* Parameter names are "<prefix>.<part>": a prefix equal to another, or one that extends
 * another by ".x", could declare a name twice (gan_net_param asserts on that). */
static int prefixes_clash(const char *a, const char *b) {
    size_t la = strlen(a), lb = strlen(b);
    if (la > lb) {
        const char *t = a;
        a = b, b = t;
        la = lb;
    }
    return !strncmp(a, b, la) && (b[la] == 0 || b[la] == '.');
}

static gan_status check_prefix(gan_block_build *b) {
    const gan_module *m = b->bd->m;
    for (int i = 0; i < m->n_insts; i++)
        if (m->insts[i].declares && prefixes_clash(m->insts[i].prefix, b->prefix))
            return gan_block_fail(b, "name '%s' clashes with the parameters of block '%s' (%s): "
                                  "give each block its own \"name\"", b->prefix,
                                  m->insts[i].prefix, m->insts[i].type->name);
    return GAN_OK;
}

/* What every block's output must be, whoever wrote the block. */
static gan_status check_output(gan_block_build *b) {
    int64_t n = 1;
    for (int d = 0; d < b->out_ndim; d++) {
        int v = b->out_shape[d];
        if (v < 1 || v > SPEC_MAX_SIZE)
            return gan_block_fail(b, "output size %d is out of range 1..%d", v, SPEC_MAX_SIZE);
        n *= v;   /* n <= 2^28 and v <= 2^24 before: no overflow */
        if (n > SPEC_MAX_VALUES)
            return gan_block_fail(b, "output holds more than 2^28 values per sample");
    }
    if (gan_net_num_params(b->bd->m->net) > SPEC_MAX_PARAMS)
        return gan_block_fail(b, "takes net %s past 2^31 parameters", b->bd->m->net_name);
    return GAN_OK;
}

static gan_status build_block(builder *bd, const cJSON *obj, const char *where) {
    gan_module *m = bd->m;
    gan_block_build b = {.bd = bd, .obj = obj, .id = m->n_insts};
    snprintf(b.where, sizeof b.where, "%s", where);
    for (const cJSON *c = obj->child; c; c = c->next) {
        if (b.n_keys == MAX_KEYS) return fail_at(bd, where, "more than %d options", MAX_KEYS);
        for (int i = 0; i < b.n_keys; i++)
            if (!strcmp(b.keys[i]->string, c->string))
                return fail_at(bd, where, "option '%s' is given twice", c->string);
        b.keys[b.n_keys++] = c;
    }
    const cJSON *tn = option(&b, "block");
    const gan_block_type *type = gan_block_find(tn->valuestring);
    if (!type) {
        char known[600];
        known_blocks(known, sizeof known);
        return fail_at(bd, where, "unknown block '%s' (known: %s)", tn->valuestring, known);
    }
    b.type_name = type->name;
    option(&b, "when");
    gan_status s = expand_key(&b, "name", b.prefix, sizeof b.prefix);
    if (!s && !b.prefix[0]) snprintf(b.prefix, sizeof b.prefix, "%s.%d", m->net_name, m->n_insts);
    if (!s) s = check_prefix(&b);
    if (!s) s = resolve_inputs(&b);
    if (s) return s;
    if (b.n_in < type->min_inputs || b.n_in > type->max_inputs)
        return gan_block_fail(&b, "takes %d to %d inputs, given %d", type->min_inputs, type->max_inputs, b.n_in);
    char as[NAME_LEN];
    if ((s = expand_key(&b, "as", as, sizeof as))) return s;
    if (as[0] && !spec_is_ident(as)) return gan_block_fail(&b, "'as': '%s' is not a name", as);
    void *state = calloc(1, type->state_size ? type->state_size : 1);
    m->insts = grow(m->insts, &m->cap_insts, m->n_insts + 1, sizeof *m->insts);
    inst *it = &m->insts[m->n_insts];
    it->type = type;
    it->state = state;     /* owned by the module from here, even on failure */
    int tensors = gan_net_num_tensors(m->net);
    if ((s = type->build(&b, state))) return s;
    for (int i = 0; i < b.n_keys; i++)
        if (!(b.used >> i & 1)) return gan_block_fail(&b, "unknown option '%s'", b.keys[i]->string);
    GAN_ASSERT_MSG(b.out_set, "a block's build must call gan_block_set_output");
    if ((s = check_output(&b))) return s;
    memcpy(it->prefix, b.prefix, sizeof b.prefix);
    it->declares = gan_net_num_tensors(m->net) > tensors;
    if (b.sn_slots && !b.sn_explicit) m->sn_next += 2 * (uint64_t)b.sn_slots;
    it->n_in = b.n_in;
    memcpy(it->in, b.in, sizeof b.in);
    for (int i = 0; i < b.n_in; i++) m->vals[b.in[i]].last_use = m->n_insts;
    it->out = add_value(m, as, b.out_ndim, b.out_shape, m->n_insts);
    bd->prev = it->out;
    m->n_insts++;
    return GAN_OK;
}

static gan_status walk(builder *bd, const cJSON *blocks, const char *outer);

static gan_status eval_int(builder *bd, const char *where, const cJSON *v, const char *key, int64_t *out) {
    char err[700];
    spec_val x;
    if (!spec_scope_eval(&bd->sc, v, &x, err, sizeof err)) return fail_at(bd, where, "'%s': %s", key, err);
    if (x.is_str) return fail_at(bd, where, "'%s': expected an integer", key);
    *out = x.i;
    return GAN_OK;
}

static gan_status build_repeat(builder *bd, const cJSON *obj, const char *where) {
    static const char *const keys[] = {"block", "var", "from", "to", "count", "blocks", "when", NULL};
    for (const cJSON *c = obj->child; c; c = c->next) {
        int ok = 0;
        for (int i = 0; keys[i]; i++) ok |= !strcmp(c->string, keys[i]);
        if (!ok) return fail_at(bd, where, "repeat: unknown option '%s'", c->string);
    }
    const cJSON *var = cJSON_GetObjectItemCaseSensitive(obj, "var");
    const cJSON *from = cJSON_GetObjectItemCaseSensitive(obj, "from");
    const cJSON *to = cJSON_GetObjectItemCaseSensitive(obj, "to");
    const cJSON *count = cJSON_GetObjectItemCaseSensitive(obj, "count");
    const cJSON *blocks = cJSON_GetObjectItemCaseSensitive(obj, "blocks");
    if (var && (!cJSON_IsString(var) || !spec_is_ident(var->valuestring)))
        return fail_at(bd, where, "repeat: 'var' must be a name");
    if (!cJSON_IsArray(blocks)) return fail_at(bd, where, "repeat: needs 'blocks': [ ... ]");
    if (!!to == !!count) return fail_at(bd, where, "repeat: give 'to' (with 'from', default 0) or 'count'");
    int64_t lo = 0, hi;
    gan_status s = from ? eval_int(bd, where, from, "from", &lo) : GAN_OK;
    if (!s) s = to ? eval_int(bd, where, to, "to", &hi) : eval_int(bd, where, count, "count", &hi);
    if (s) return s;
    if (count && __builtin_add_overflow(hi, lo, &hi)) return fail_at(bd, where, "repeat: count overflows");
    if (hi > lo && (uint64_t)hi - (uint64_t)lo > MAX_REPEAT) return fail_at(bd, where, "repeat: %lld times is too many", (long long)(hi - lo));
    if (bd->sc.n_loop == SPEC_MAX_LOOP) return fail_at(bd, where, "repeat: nested too deeply");
    int k = bd->sc.n_loop++;
    bd->sc.loop_name[k] = var ? var->valuestring : "_";
    for (int64_t i = lo; i < hi && !s; i++) {
        char w[320];
        bd->sc.loop_val[k] = i;
        snprintf(w, sizeof w, "%.200s (%.40s=%lld)", where, bd->sc.loop_name[k], (long long)i);
        s = walk(bd, blocks, w);
    }
    bd->sc.n_loop--;
    return s;
}

static gan_status walk(builder *bd, const cJSON *blocks, const char *outer) {
    int i = 0;
    for (const cJSON *obj = blocks->child; obj; obj = obj->next, i++) {
        char where[320];
        if (outer) snprintf(where, sizeof where, "%.280s > block %d", outer, i);
        else snprintf(where, sizeof where, "block %d", i);
        if (!cJSON_IsObject(obj)) return fail_at(bd, where, "a block is an object {\"block\": type, ...}");
        if (++bd->visited > SPEC_MAX_BLOCKS)
            return fail_at(bd, where, "the net unrolls to more than %d blocks", SPEC_MAX_BLOCKS);
        const cJSON *tn = cJSON_GetObjectItemCaseSensitive(obj, "block");
        if (!cJSON_IsString(tn)) return fail_at(bd, where, "needs \"block\": \"<type>\"");
        const cJSON *when = cJSON_GetObjectItemCaseSensitive(obj, "when");
        if (when) {
            int64_t on;
            gan_status s = eval_int(bd, where, when, "when", &on);
            if (s) return s;
            if (!on) continue;
        }
        gan_status s = !strcmp(tn->valuestring, "repeat") ? build_repeat(bd, obj, where)
                                                           : build_block(bd, obj, where);
        if (s) return s;
    }
    return GAN_OK;
}

static gan_status build_inputs(builder *bd, const cJSON *inputs) {
    gan_module *m = bd->m;
    for (const cJSON *c = inputs->child; c; c = c->next) {
        int shape[GAN_MAX_DIMS], nd = 0;
        int64_t n = 1;
        char where[160];
        snprintf(where, sizeof where, "input '%s'", c->string);
        for (const cJSON *d = c->child; d; d = d->next) {
            int64_t v;
            gan_status s = eval_int(bd, where, d, "size", &v);
            if (s) return s;
            if (v < 1 || v > SPEC_MAX_SIZE)
                return fail_at(bd, where, "size %lld is out of range 1..%d", (long long)v, SPEC_MAX_SIZE);
            shape[nd++] = (int)v;
            if ((n *= v) > SPEC_MAX_VALUES) return fail_at(bd, where, "more than 2^28 values per sample");
        }
        m->input_val[m->n_inputs] = add_value(m, c->string, nd, shape, -1);
        snprintf(m->input_name[m->n_inputs++], NAME_LEN, "%s", c->string);
    }
    bd->prev = m->input_val[0];
    return GAN_OK;
}

static const cJSON *find_net(const gan_spec *spec, const char *name) {
    const cJSON *nets = cJSON_GetObjectItemCaseSensitive(spec->root, "nets");
    for (const cJSON *n = nets->child; n; n = n->next)
        if (!strcmp(cJSON_GetObjectItemCaseSensitive(n, "name")->valuestring, name)) return n;
    return NULL;
}

static gan_status finish(builder *bd, const cJSON *net) {
    gan_module *m = bd->m;
    const cJSON *out = cJSON_GetObjectItemCaseSensitive(net, "output");
    m->output = bd->prev;
    if (out) {
        m->output = find_value(m, out->valuestring);
        if (m->output < 0) return fail_at(bd, "output", "no block or input is named '%s'", out->valuestring);
    }
    if (m->vals[m->output].producer < 0) return fail_at(bd, "output", "the output is an input: the net has no blocks on its path");
    m->vals[m->output].last_use = INT_MAX;
    for (int i = 0; i < m->n_inputs; i++)
        if (m->vals[m->input_val[i]].last_use < 0)
            return fail_at(bd, "inputs", "input '%s' is never read", m->input_name[i]);
    const cJSON *init = cJSON_GetObjectItemCaseSensitive(net, "init");
    m->init_dcgan = init && !strcmp(init->valuestring, "dcgan");
    m->t = calloc((size_t)m->n_vals, sizeof *m->t);
    m->owner = calloc((size_t)m->n_vals, sizeof *m->owner);
    m->group_last = calloc((size_t)m->n_vals, sizeof *m->group_last);
    m->released = calloc((size_t)m->n_vals, 1);
    return GAN_OK;
}

gan_status gan_build(gan_net *net, const gan_spec *spec, const char *net_name, gan_module **out) {
    *out = NULL;
    const cJSON *nj = find_net(spec, net_name);
    if (!nj) return spec_fail(GAN_ERR_FORMAT, "%s: model %s has no net '%s'", spec->origin, spec->name, net_name);
    gan_status s = gan_spec_check(spec);
    if (s) return s;
    gan_module *m = calloc(1, sizeof *m);
    m->net = net;
    m->net_name = strdup(net_name);
    m->origin = strdup(spec->origin);
    m->sn_next = 5000;
    builder bd = {.m = m, .spec = spec};
    s = spec_scope_init(&bd.sc, spec);
    if (!s) s = build_inputs(&bd, cJSON_GetObjectItemCaseSensitive(nj, "inputs"));
    if (!s) s = walk(&bd, cJSON_GetObjectItemCaseSensitive(nj, "blocks"), NULL);
    if (!s) s = finish(&bd, nj);
    if (s) {
        gan_module_free(m);
        return s;
    }
    *out = m;
    return GAN_OK;
}

void gan_module_free(gan_module *m) {
    if (!m) return;
    for (int i = 0; i < m->cap_insts; i++) free(m->insts[i].state); /* incl. a failed build's */
    free(m->insts);
    free(m->vals);
    free(m->sns);
    free(m->t);
    free(m->owner);
    free(m->group_last);
    free(m->released);
    free(m->net_name);
    free(m->origin);
    free(m);
}

/* ---------------------------------------------------------------- init */

/* DCGAN init (Radford et al.): conv weights N(0, 0.02), BN weight N(1, 0.02), BN bias 0.
 * Over the net's tensors by shape, as the zoo always did: 4-D weights are convs, 1-D weights
 * norms (batch norm, affine instance norm, and a layer norm over a flat [F] input too: it is
 * 1-D); layer-norm weights over [C, H, W] stay at one. Tensor i draws from stream 1000 + i. */
static void dcgan_reinit(gan_net *net, uint64_t seed) {
    int n = gan_net_num_tensors(net);
    for (int i = 0; i < n; i++) {
        if (gan_net_tensor_is_buffer(net, i)) continue;
        gan_tensor *t = gan_net_tensor(net, i);
        size_t len = strlen(t->name);
        if (len <= 7 || strcmp(t->name + len - 7, ".weight") || (t->ndim != 4 && t->ndim != 1)) continue;
        gan_philox_normal(t->data, t->numel, seed, 1000 + (uint64_t)i);
        if (t->ndim == 4) for (int64_t e = 0; e < t->numel; e++) t->data[e] *= 0.02f;
        else for (int64_t e = 0; e < t->numel; e++) t->data[e] = 1.0f + 0.02f * t->data[e];
    }
}

void gan_module_init(gan_module *m, uint64_t seed) {
    if (m->init_dcgan) dcgan_reinit(m->net, seed);
    for (int i = 0; i < m->n_sns; i++) gan_spectral_norm_reset(m->sns[i].sn, seed, m->sns[i].stream);
}

/* ---------------------------------------------------------------- queries */

gan_net *gan_module_net(gan_module *m) { return m->net; }
int gan_module_num_inputs(const gan_module *m) { return m->n_inputs; }
int gan_module_mixes_batch(const gan_module *m) { return m->mixes_batch; }
int gan_module_num_spectral_norms(const gan_module *m) { return m->n_sns; }

int64_t spec_module_values(const gan_module *m) {
    int64_t total = 0;
    for (int i = 0; i < m->n_vals; i++) {
        int64_t n = 1;
        for (int d = 0; d < m->vals[i].ndim; d++) n *= m->vals[i].shape[d];
        total += n;
    }
    return total;
}

const char *gan_module_input_name(const gan_module *m, int i) {
    GAN_ASSERT(i >= 0 && i < m->n_inputs);
    return m->input_name[i];
}

int gan_module_input_shape(const gan_module *m, int i, int *shape) {
    GAN_ASSERT(i >= 0 && i < m->n_inputs);
    const value *v = &m->vals[m->input_val[i]];
    memcpy(shape, v->shape, sizeof(int) * (size_t)v->ndim);
    return v->ndim;
}

int gan_module_output_shape(const gan_module *m, int *shape) {
    const value *v = &m->vals[m->output];
    memcpy(shape, v->shape, sizeof(int) * (size_t)v->ndim);
    return v->ndim;
}

/* ---------------------------------------------------------------- forward */

static void check_input(const gan_module *m, int i, const gan_tensor *t) {
    const value *v = &m->vals[m->input_val[i]];
    int ok = t && t->ndim == v->ndim + 1;
    for (int d = 0; ok && d < v->ndim; d++) ok = t->shape[d + 1] == v->shape[d];
    if (ok) return;
    char want[96], got[96] = "missing";
    shape_str(v->shape, v->ndim, want, sizeof want);
    if (t) shape_str(t->shape, t->ndim, got, sizeof got);
    char msg[400];
    snprintf(msg, sizeof msg, "net %s (%s): input '%s' must be (B, %s...), got %s", m->net_name,
             m->origin, m->input_name[i], want + 1, got);
    gan_assert_fail("input shape", __FILE__, __LINE__, msg);
}

/* After instance j, which recorded no node: hand back the buffers whose values are all dead. */
static void release_dead(gan_ctx *ctx, gan_module *m, int j, const inst *it) {
    int out_owner = m->owner[it->out];
    for (int k = 0; k < it->n_in; k++) {
        int o = m->owner[it->in[k]];
        if (o == out_owner || m->released[o] || m->vals[o].producer < 0 || m->group_last[o] > j) continue;
        gan_tensor_release(ctx, m->t[o]);
        m->released[o] = 1;
    }
}

gan_tensor *gan_module_forward(gan_ctx *ctx, gan_module *m, const gan_batch *in) {
    GAN_ASSERT_MSG(!m->busy, "gan_module_forward is not re-entrant for one module");
    m->busy = 1;
    for (int i = 0; i < m->n_inputs; i++) {
        int v = m->input_val[i];
        m->t[v] = gan_batch_get(in, m->input_name[i]);
        check_input(m, i, m->t[v]);
        m->owner[v] = v;
        m->group_last[v] = m->vals[v].last_use;
        m->released[v] = 0;
    }
    for (int j = 0; j < m->n_insts; j++) {
        const inst *it = &m->insts[j];
        gan_tensor *ins[GAN_BLOCK_MAX_INPUTS];
        for (int k = 0; k < it->n_in; k++) ins[k] = m->t[it->in[k]];
        gan_tensor *y = it->type->forward(ctx, it->state, ins, it->n_in);
        int o = it->out;
        m->t[o] = y;
        m->owner[o] = o;
        m->released[o] = 0;
        for (int k = 0; k < it->n_in; k++)
            if (ins[k]->data == y->data) m->owner[o] = m->owner[it->in[k]];
        m->group_last[o] = m->vals[o].last_use;
        int g = m->owner[o];
        if (m->group_last[g] < m->vals[o].last_use) m->group_last[g] = m->vals[o].last_use;
        if (!y->node) release_dead(ctx, m, j, it);
    }
    m->busy = 0;
    return m->t[m->output];
}

gan_tensor *gan_module_forward1(gan_ctx *ctx, gan_module *m, gan_tensor *x) {
    GAN_ASSERT(m->n_inputs == 1);
    gan_batch b = {0};
    gan_batch_put(&b, m->input_name[0], x);
    return gan_module_forward(ctx, m, &b);
}
