/* safetensors.c — checkpoints in Hugging Face's safetensors format: an 8-byte little-endian
 * header length, a JSON header (cJSON), then the tensors' bytes back to back. The reader
 * checks everything the reference (Rust) implementation checks, so a file we accept is one
 * PyTorch tools accept too, and a file we write is one they read. */
#include "io/io_internal.h"
#include <cjson/cJSON.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define ST_MAX_HEADER 100000000ull      /* the reference reader's limit */
#define ST_MAX_JSON_INT 9007199254740992.0 /* 2^53: larger integers are not exact in a double */

const char *gan_dtype_name(gan_dtype t) {
    switch (t) {
    case GAN_DTYPE_F32: return "F32";
    case GAN_DTYPE_I64: return "I64";
    case GAN_DTYPE_U8: return "U8";
    case GAN_DTYPE_OTHER: break;
    }
    return "other";
}

/* Every dtype the format defines, with its size, so files holding types we do not read can
 * still be validated and listed. */
static const struct { const char *name; int size; gan_dtype t; } st_dtypes[] = {
    {"F32", 4, GAN_DTYPE_F32}, {"I64", 8, GAN_DTYPE_I64}, {"U8", 1, GAN_DTYPE_U8},
    {"F64", 8, GAN_DTYPE_OTHER}, {"F16", 2, GAN_DTYPE_OTHER}, {"BF16", 2, GAN_DTYPE_OTHER},
    {"I32", 4, GAN_DTYPE_OTHER}, {"I16", 2, GAN_DTYPE_OTHER}, {"I8", 1, GAN_DTYPE_OTHER},
    {"U64", 8, GAN_DTYPE_OTHER}, {"U32", 4, GAN_DTYPE_OTHER}, {"U16", 2, GAN_DTYPE_OTHER},
    {"BOOL", 1, GAN_DTYPE_OTHER}, {"F8_E4M3", 1, GAN_DTYPE_OTHER}, {"F8_E5M2", 1, GAN_DTYPE_OTHER},
};
#define ST_N_DTYPES (int)(sizeof st_dtypes / sizeof st_dtypes[0])

/* ================================================================== writer */

typedef struct {
    char *name;
    gan_dtype dtype;
    int ndim;
    int shape[GAN_FILE_MAX_DIMS];
    uint64_t nbytes;
    const void *data;
    void *owned;              /* data copied by the writer (gan_st_add_i64_value), or NULL */
} st_entry;

struct gan_st_writer {
    st_entry *t;
    int n, cap;
    char **key, **val;
    int nmeta, metacap;
    gan_status st;            /* first refused add, sticky */
    char err[512];
};

gan_st_writer *gan_st_writer_new(void) { return calloc(1, sizeof(gan_st_writer)); }

void gan_st_writer_free(gan_st_writer *w) {
    if (!w) return;
    for (int i = 0; i < w->n; i++) {
        free(w->t[i].name);
        free(w->t[i].owned);
    }
    for (int i = 0; i < w->nmeta; i++) {
        free(w->key[i]);
        free(w->val[i]);
    }
    free(w->t);
    free(w->key);
    free(w->val);
    free(w);
}

static gan_status st_refuse(gan_st_writer *w, gan_status s, const char *fmt, const char *name) {
    char msg[400];
    snprintf(msg, sizeof msg, fmt, name);
    if (w->st == GAN_OK) {
        w->st = s;
        snprintf(w->err, sizeof w->err, "safetensors writer: %s", msg);
    }
    return gan_fail(s, "safetensors writer: %s", msg);
}

/* Grows a pointer array of element size sz to hold one more. */
static int grow(void **arr, int *cap, int n, size_t sz) {
    if (n < *cap) return 1;
    int ncap = *cap ? *cap * 2 : 16;
    void *p = realloc(*arr, (size_t)ncap * sz);
    if (!p) return 0;
    *arr = p;
    *cap = ncap;
    return 1;
}

gan_status gan_st_add(gan_st_writer *w, const char *name, gan_dtype dtype, int ndim,
                      const int *shape, const void *data) {
    if (!name || !*name) return st_refuse(w, GAN_ERR_ARG, "%s", "empty tensor name");
    if (strcmp(name, "__metadata__") == 0)
        return st_refuse(w, GAN_ERR_ARG, "'%s' is reserved, not a tensor name", name);
    if (!gan_io_utf8_valid(name))
        return st_refuse(w, GAN_ERR_ARG, "%s", "a tensor name is not valid UTF-8");
    if (gan_dtype_size(dtype) == 0)
        return st_refuse(w, GAN_ERR_ARG, "tensor '%s': only F32, I64 and U8 can be written", name);
    if (ndim < 0 || ndim > GAN_FILE_MAX_DIMS || (ndim && !shape))
        return st_refuse(w, GAN_ERR_ARG, "tensor '%s': ndim must be 0..8", name);
    int64_t numel = gan_io_numel(ndim, shape);
    if (numel < 0 || (uint64_t)numel > UINT64_MAX / 8)
        return st_refuse(w, GAN_ERR_ARG, "tensor '%s': negative or overflowing shape", name);
    if (numel > 0 && !data) return st_refuse(w, GAN_ERR_ARG, "tensor '%s': no data", name);
    for (int i = 0; i < w->n; i++)
        if (strcmp(w->t[i].name, name) == 0)
            return st_refuse(w, GAN_ERR_ARG, "duplicate tensor name '%s'", name);
    if (!grow((void **)&w->t, &w->cap, w->n, sizeof(st_entry)))
        return st_refuse(w, GAN_ERR_NOMEM, "out of memory adding '%s'", name);
    st_entry *e = &w->t[w->n];
    memset(e, 0, sizeof *e);
    if (!(e->name = strdup(name))) return st_refuse(w, GAN_ERR_NOMEM, "out of memory adding '%s'", name);
    e->dtype = dtype;
    e->ndim = ndim;
    for (int i = 0; i < ndim; i++) e->shape[i] = shape[i];
    e->nbytes = (uint64_t)numel * (uint64_t)gan_dtype_size(dtype);
    e->data = data;
    w->n++;
    return GAN_OK;
}

gan_status gan_st_add_f32(gan_st_writer *w, const char *name, int ndim, const int *shape,
                          const float *data) {
    return gan_st_add(w, name, GAN_DTYPE_F32, ndim, shape, data);
}

gan_status gan_st_add_i64_value(gan_st_writer *w, const char *name, int64_t v) {
    int64_t *copy = malloc(sizeof v);
    if (!copy) return st_refuse(w, GAN_ERR_NOMEM, "out of memory adding '%s'", name);
    *copy = v;
    gan_status s = gan_st_add(w, name, GAN_DTYPE_I64, 0, NULL, copy);
    if (s) {
        free(copy);
        return s;
    }
    w->t[w->n - 1].owned = copy;
    return GAN_OK;
}

gan_status gan_st_add_tensor(gan_st_writer *w, const gan_tensor *t) {
    if (!t || !t->name) return st_refuse(w, GAN_ERR_ARG, "%s", "tensor without a name");
    return gan_st_add(w, t->name, GAN_DTYPE_F32, t->ndim, t->shape, t->data);
}

gan_status gan_st_set_meta(gan_st_writer *w, const char *key, const char *value) {
    if (!key || !value) return st_refuse(w, GAN_ERR_ARG, "%s", "NULL metadata key or value");
    if (!gan_io_utf8_valid(key) || !gan_io_utf8_valid(value))
        return st_refuse(w, GAN_ERR_ARG, "%s", "a metadata key or value is not valid UTF-8");
    char *v = strdup(value);
    if (!v) return st_refuse(w, GAN_ERR_NOMEM, "out of memory setting metadata '%s'", key);
    for (int i = 0; i < w->nmeta; i++)
        if (strcmp(w->key[i], key) == 0) {
            free(w->val[i]);
            w->val[i] = v;
            return GAN_OK;
        }
    int cap = w->metacap;
    char *k = strdup(key);
    if (!k || !grow((void **)&w->key, &cap, w->nmeta, sizeof(char *)) ||
        !grow((void **)&w->val, &w->metacap, w->nmeta, sizeof(char *))) {
        free(k);
        free(v);
        return st_refuse(w, GAN_ERR_NOMEM, "out of memory setting metadata '%s'", key);
    }
    w->key[w->nmeta] = k;
    w->val[w->nmeta] = v;
    w->nmeta++;
    return GAN_OK;
}

/* Integers go in as raw JSON text: cJSON prints doubles, and "1e+15" is not an integer to
 * the reference reader. */
static cJSON *json_uint(uint64_t v) {
    char buf[32];
    snprintf(buf, sizeof buf, "%llu", (unsigned long long)v);
    return cJSON_CreateRaw(buf);
}

/* Element size descending keeps every tensor aligned to its size in the data section (the
 * header is padded to 8 bytes); ties keep the order of adding. */
static int *st_order(const gan_st_writer *w) {
    int *ord = malloc((size_t)(w->n ? w->n : 1) * sizeof *ord);
    if (!ord) return NULL;
    int k = 0;
    for (int size = 8; size >= 1; size /= 2)
        for (int i = 0; i < w->n; i++)
            if (gan_dtype_size(w->t[i].dtype) == size) ord[k++] = i;
    return ord;
}

static char *st_header(const gan_st_writer *w, const int *ord) {
    cJSON *root = cJSON_CreateObject();
    int ok = root != NULL;
    if (ok && w->nmeta) {
        cJSON *m = cJSON_AddObjectToObject(root, "__metadata__");
        ok = m != NULL;
        for (int i = 0; ok && i < w->nmeta; i++)
            ok = cJSON_AddStringToObject(m, w->key[i], w->val[i]) != NULL;
    }
    uint64_t off = 0;
    for (int k = 0; ok && k < w->n; k++) {
        const st_entry *e = &w->t[ord[k]];
        cJSON *o = cJSON_AddObjectToObject(root, e->name), *sh = NULL, *offs = NULL;
        ok = o && cJSON_AddStringToObject(o, "dtype", gan_dtype_name(e->dtype)) &&
             (sh = cJSON_AddArrayToObject(o, "shape")) &&
             (offs = cJSON_AddArrayToObject(o, "data_offsets"));
        for (int i = 0; ok && i < e->ndim; i++)
            ok = cJSON_AddItemToArray(sh, json_uint((uint64_t)e->shape[i]));
        ok = ok && cJSON_AddItemToArray(offs, json_uint(off)) &&
             cJSON_AddItemToArray(offs, json_uint(off + e->nbytes));
        off += e->nbytes;
    }
    char *s = ok ? cJSON_PrintUnformatted(root) : NULL;
    cJSON_Delete(root);
    return s;
}

/* Tensor bytes in little-endian order; a big-endian host converts through a small buffer. */
static gan_status st_write_data(gan_atomic_file *af, const st_entry *e) {
    int size = gan_dtype_size(e->dtype);
    if (size == 1 || gan_host_is_le()) return gan_atomic_write(af, e->data, (size_t)e->nbytes);
    uint8_t buf[1 << 16];
    const uint8_t *p = e->data;
    gan_status s = GAN_OK;
    for (uint64_t done = 0; done < e->nbytes && s == GAN_OK;) {
        size_t k = e->nbytes - done < sizeof buf ? (size_t)(e->nbytes - done) : sizeof buf;
        memcpy(buf, p + done, k);
        gan_swap_bytes(buf, (int64_t)(k / (size_t)size), size);
        s = gan_atomic_write(af, buf, k);
        done += k;
    }
    return s;
}

gan_status gan_st_write(gan_st_writer *w, const char *path) {
    if (w->st != GAN_OK) return gan_fail(w->st, "%s: not written: %s", path, w->err);
    int *ord = st_order(w);
    char *json = ord ? st_header(w, ord) : NULL;
    if (!json) {
        free(ord);
        return gan_fail(GAN_ERR_NOMEM, "%s: out of memory building the header", path);
    }
    size_t len = strlen(json), padded = (len + 8 + 7) / 8 * 8 - 8;
    uint8_t pre[8];
    gan_put_le64(pre, padded);
    gan_atomic_file *af;
    gan_status s = gan_atomic_open(path, &af);
    if (s == GAN_OK) {
        static const char spaces[8] = "        ";
        gan_atomic_write(af, pre, 8);
        gan_atomic_write(af, json, len);
        gan_atomic_write(af, spaces, padded - len);
        for (int k = 0; k < w->n; k++) st_write_data(af, &w->t[ord[k]]);
        s = gan_atomic_commit(af);
    }
    cJSON_free(json);
    free(ord);
    return s;
}

/* ================================================================== reader */

struct gan_st_file {
    FILE *fp;
    char *path;
    uint64_t data_start, data_len;
    gan_st_info *t;             /* sorted by offset */
    int n;
    char **key, **val;
    int nmeta;
};

void gan_st_close(gan_st_file *f) {
    if (!f) return;
    if (f->fp) fclose(f->fp);
    for (int i = 0; i < f->n; i++) free((char *)f->t[i].name);
    for (int i = 0; i < f->nmeta; i++) {
        free(f->key[i]);
        free(f->val[i]);
    }
    free(f->t);
    free(f->key);
    free(f->val);
    free(f->path);
    free(f);
}

/* A JSON number that is a non-negative integer no larger than `max`. */
static int json_to_u64(const cJSON *j, double max, uint64_t *out) {
    if (!cJSON_IsNumber(j)) return 0;
    double d = j->valuedouble;
    if (!(d >= 0 && d <= max) || d != (double)(uint64_t)d) return 0;
    *out = (uint64_t)d;
    return 1;
}

static int cmp_offset(const void *a, const void *b) {
    const gan_st_info *x = a, *y = b;
    if (x->offset != y->offset) return x->offset < y->offset ? -1 : 1;
    return x->nbytes < y->nbytes ? -1 : x->nbytes > y->nbytes;
}

/* Parses one tensor entry; fills ti (name set by the caller). */
static gan_status st_parse_entry(const char *path, const cJSON *o, uint64_t data_len,
                                 gan_st_info *ti) {
    const char *name = o->string;
    if (!cJSON_IsObject(o))
        return gan_fail(GAN_ERR_FORMAT, "%s: tensor '%s': entry is not a JSON object", path, name);
    const cJSON *dt = cJSON_GetObjectItemCaseSensitive(o, "dtype");
    const cJSON *sh = cJSON_GetObjectItemCaseSensitive(o, "shape");
    const cJSON *of = cJSON_GetObjectItemCaseSensitive(o, "data_offsets");
    if (!cJSON_IsString(dt) || !cJSON_IsArray(sh) || !cJSON_IsArray(of))
        return gan_fail(GAN_ERR_FORMAT, "%s: tensor '%s': needs \"dtype\" (string), \"shape\" "
                        "and \"data_offsets\" (arrays)", path, name);
    int size = 0;
    for (int i = 0; i < ST_N_DTYPES; i++)
        if (strcmp(dt->valuestring, st_dtypes[i].name) == 0) {
            ti->dtype_name = st_dtypes[i].name;
            ti->dtype = st_dtypes[i].t;
            size = st_dtypes[i].size;
        }
    if (!size)
        return gan_fail(GAN_ERR_FORMAT, "%s: tensor '%s': unknown dtype '%.32s'", path, name,
                        dt->valuestring);
    int nd = cJSON_GetArraySize(sh);
    if (nd > GAN_FILE_MAX_DIMS)
        return gan_fail(GAN_ERR_FORMAT, "%s: tensor '%s': %d dimensions (at most %d)", path,
                        name, nd, GAN_FILE_MAX_DIMS);
    ti->ndim = nd;
    int i = 0;
    for (const cJSON *d = sh->child; d; d = d->next, i++) {
        uint64_t v;
        if (!json_to_u64(d, INT_MAX, &v))
            return gan_fail(GAN_ERR_FORMAT, "%s: tensor '%s': shape[%d] is not an integer in "
                            "0..%d", path, name, i, INT_MAX);
        ti->shape[i] = (int)v;
    }
    int64_t numel = gan_io_numel(nd, ti->shape);
    if (numel < 0 || (uint64_t)numel > UINT64_MAX / (uint64_t)size)
        return gan_fail(GAN_ERR_FORMAT, "%s: tensor '%s': shape overflows", path, name);
    ti->numel = numel;
    uint64_t b, e;
    if (cJSON_GetArraySize(of) != 2 || !json_to_u64(of->child, ST_MAX_JSON_INT, &b) ||
        !json_to_u64(of->child->next, ST_MAX_JSON_INT, &e) || b > e)
        return gan_fail(GAN_ERR_FORMAT, "%s: tensor '%s': data_offsets must be [begin, end] "
                        "with 0 <= begin <= end", path, name);
    if (e > data_len)
        return gan_fail(GAN_ERR_FORMAT, "%s: tensor '%s': data_offsets [%llu, %llu] run past "
                        "the data section (%llu bytes)", path, name, (unsigned long long)b,
                        (unsigned long long)e, (unsigned long long)data_len);
    if (e - b != (uint64_t)numel * (uint64_t)size) {
        char shs[160];
        gan_io_shape_str(nd, ti->shape, shs, sizeof shs);
        return gan_fail(GAN_ERR_FORMAT, "%s: tensor '%s': data_offsets [%llu, %llu] hold %llu "
                        "bytes, but %s %s needs %llu", path, name, (unsigned long long)b,
                        (unsigned long long)e, (unsigned long long)(e - b), ti->dtype_name, shs,
                        (unsigned long long)numel * (unsigned long long)size);
    }
    ti->offset = b;
    ti->nbytes = e - b;
    return GAN_OK;
}

/* Metadata: an object of strings. */
static gan_status st_parse_meta(gan_st_file *f, const cJSON *m) {
    if (!cJSON_IsObject(m))
        return gan_fail(GAN_ERR_FORMAT, "%s: __metadata__ is not a JSON object", f->path);
    int n = cJSON_GetArraySize(m);
    f->key = calloc((size_t)(n ? n : 1), sizeof(char *));
    f->val = calloc((size_t)(n ? n : 1), sizeof(char *));
    if (!f->key || !f->val) return gan_fail(GAN_ERR_NOMEM, "%s: out of memory", f->path);
    for (const cJSON *c = m->child; c; c = c->next) {
        if (!cJSON_IsString(c))
            return gan_fail(GAN_ERR_FORMAT, "%s: __metadata__ value of '%s' is not a string",
                            f->path, c->string);
        for (int i = 0; i < f->nmeta; i++)
            if (strcmp(f->key[i], c->string) == 0)
                return gan_fail(GAN_ERR_FORMAT, "%s: __metadata__ key '%s' appears twice",
                                f->path, c->string);
        f->key[f->nmeta] = strdup(c->string);
        f->val[f->nmeta] = strdup(c->valuestring);
        f->nmeta++;
        if (!f->key[f->nmeta - 1] || !f->val[f->nmeta - 1])
            return gan_fail(GAN_ERR_NOMEM, "%s: out of memory", f->path);
    }
    return GAN_OK;
}

static gan_status st_parse_header(gan_st_file *f, const char *json, size_t len) {
    const char *path = f->path;
    if (len == 0 || json[0] != '{')
        return gan_fail(GAN_ERR_FORMAT, "%s: header does not start with '{' (not a "
                        "safetensors file?)", path);
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(json, len, &end, 0);
    if (!root) {
        long at = end && end >= json && end <= json + len ? (long)(end - json) : -1;
        return gan_fail(GAN_ERR_FORMAT, "%s: header is not valid JSON (at byte %ld of %zu)",
                        path, at, len);
    }
    gan_status s = GAN_OK;
    /* the format pads the header with spaces; anything else after the JSON is corruption */
    for (const char *p = end; p < json + len && s == GAN_OK; p++)
        if (*p != ' ' && *p != '\t' && *p != '\n' && *p != '\r')
            s = gan_fail(GAN_ERR_FORMAT, "%s: header has data after the JSON object (at byte "
                         "%ld of %zu)", path, (long)(p - json), len);
    if (s == GAN_OK && !cJSON_IsObject(root))
        s = gan_fail(GAN_ERR_FORMAT, "%s: header is not a JSON object", path);
    int n = s == GAN_OK ? cJSON_GetArraySize(root) : 0;
    if (s == GAN_OK && !(f->t = calloc((size_t)(n ? n : 1), sizeof *f->t)))
        s = gan_fail(GAN_ERR_NOMEM, "%s: out of memory", path);
    int seen_meta = 0;
    for (const cJSON *c = s == GAN_OK ? root->child : NULL; c && s == GAN_OK; c = c->next) {
        if (strcmp(c->string, "__metadata__") == 0) {
            if (seen_meta++) s = gan_fail(GAN_ERR_FORMAT, "%s: __metadata__ appears twice", path);
            else s = st_parse_meta(f, c);
            continue;
        }
        for (int i = 0; i < f->n && s == GAN_OK; i++)
            if (strcmp(f->t[i].name, c->string) == 0)
                s = gan_fail(GAN_ERR_FORMAT, "%s: tensor '%s' appears twice", path, c->string);
        if (s != GAN_OK) break;
        gan_st_info *ti = &f->t[f->n];
        if ((s = st_parse_entry(path, c, f->data_len, ti)) != GAN_OK) break;
        if (!(ti->name = strdup(c->string))) s = gan_fail(GAN_ERR_NOMEM, "%s: out of memory", path);
        else f->n++;
    }
    cJSON_Delete(root);
    if (s != GAN_OK) return s;
    /* the reference reader wants the tensors to tile the data section exactly */
    qsort(f->t, (size_t)f->n, sizeof *f->t, cmp_offset);
    uint64_t at = 0;
    for (int i = 0; i < f->n; i++) {
        const gan_st_info *t = &f->t[i];
        if (t->offset < at)
            return gan_fail(GAN_ERR_FORMAT, "%s: tensors '%s' and '%s' overlap (bytes %llu..%llu)",
                            path, f->t[i - 1].name, t->name, (unsigned long long)t->offset,
                            (unsigned long long)at);
        if (t->offset > at)
            return gan_fail(GAN_ERR_FORMAT, "%s: bytes %llu..%llu of the data section belong to "
                            "no tensor", path, (unsigned long long)at,
                            (unsigned long long)t->offset);
        at = t->offset + t->nbytes;
    }
    if (at != f->data_len)
        return gan_fail(GAN_ERR_FORMAT, "%s: %llu bytes after the last tensor (data section %llu "
                        "bytes, tensors end at %llu)", path, (unsigned long long)(f->data_len - at),
                        (unsigned long long)f->data_len, (unsigned long long)at);
    return GAN_OK;
}

gan_status gan_st_open(const char *path, gan_st_file **out) {
    *out = NULL;
    if (!path || !*path) return gan_fail(GAN_ERR_ARG, "safetensors: empty file name");
    gan_st_file *f = calloc(1, sizeof *f);
    if (!f || !(f->path = strdup(path))) {
        free(f);
        return gan_fail(GAN_ERR_NOMEM, "%s: out of memory", path);
    }
    gan_status s = GAN_OK;
    struct stat st;
    char *json = NULL;
    uint8_t pre[8];
    if (!(f->fp = fopen(path, "rb")))
        s = gan_fail(GAN_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    else if (fstat(fileno(f->fp), &st) != 0)
        s = gan_fail(GAN_ERR_IO, "%s: cannot stat: %s", path, strerror(errno));
    else if (!S_ISREG(st.st_mode))
        s = gan_fail(GAN_ERR_IO, "%s: not a regular file", path);
    else if (st.st_size < 8)
        s = gan_fail(GAN_ERR_FORMAT, "%s: truncated: %lld bytes, too short for a safetensors "
                     "header", path, (long long)st.st_size);
    else if (fread(pre, 1, 8, f->fp) != 8)
        s = gan_fail(GAN_ERR_IO, "%s: read failed: %s", path, strerror(errno));
    if (s == GAN_OK) {
        uint64_t hlen = gan_get_le64(pre), fsize = (uint64_t)st.st_size;
        if (hlen > fsize - 8)
            s = gan_fail(GAN_ERR_FORMAT, "%s: header length %llu exceeds the file size (%llu "
                         "bytes): truncated or not a safetensors file", path,
                         (unsigned long long)hlen, (unsigned long long)fsize);
        else if (hlen > ST_MAX_HEADER)
            s = gan_fail(GAN_ERR_FORMAT, "%s: header length %llu over the %llu-byte limit", path,
                         (unsigned long long)hlen, ST_MAX_HEADER);
        else if (!(json = malloc((size_t)hlen + 1)))
            s = gan_fail(GAN_ERR_NOMEM, "%s: out of memory", path);
        else if (fread(json, 1, (size_t)hlen, f->fp) != (size_t)hlen)
            s = gan_fail(GAN_ERR_IO, "%s: read failed: %s", path, strerror(errno));
        else {
            json[hlen] = '\0';
            f->data_start = 8 + hlen;
            f->data_len = fsize - 8 - hlen;
            s = st_parse_header(f, json, (size_t)hlen);
        }
    }
    free(json);
    if (s != GAN_OK) {
        gan_st_close(f);
        return s;
    }
    *out = f;
    return GAN_OK;
}

int gan_st_count(const gan_st_file *f) { return f->n; }

const gan_st_info *gan_st_tensor_info(const gan_st_file *f, int i) {
    return i >= 0 && i < f->n ? &f->t[i] : NULL;
}

const gan_st_info *gan_st_find(const gan_st_file *f, const char *name) {
    for (int i = 0; i < f->n; i++)
        if (strcmp(f->t[i].name, name) == 0) return &f->t[i];
    return NULL;
}

int gan_st_meta_count(const gan_st_file *f) { return f->nmeta; }
const char *gan_st_meta_key(const gan_st_file *f, int i) {
    return i >= 0 && i < f->nmeta ? f->key[i] : NULL;
}
const char *gan_st_meta_value(const gan_st_file *f, int i) {
    return i >= 0 && i < f->nmeta ? f->val[i] : NULL;
}
const char *gan_st_meta(const gan_st_file *f, const char *key) {
    for (int i = 0; i < f->nmeta; i++)
        if (strcmp(f->key[i], key) == 0) return f->val[i];
    return NULL;
}

gan_status gan_st_read(gan_st_file *f, const char *name, gan_dtype dtype, int ndim,
                       const int *shape, void *dst) {
    const gan_st_info *t = gan_st_find(f, name);
    if (!t) return gan_fail(GAN_ERR_MISMATCH, "%s: no tensor '%s'", f->path, name);
    if (t->dtype != dtype || dtype == GAN_DTYPE_OTHER)
        return gan_fail(GAN_ERR_MISMATCH, "%s: tensor '%s' is %s, expected %s", f->path, name,
                        t->dtype_name, gan_dtype_name(dtype));
    int same = t->ndim == ndim;
    for (int i = 0; same && i < ndim; i++) same = t->shape[i] == shape[i];
    if (!same) {
        char have[160], want[160];
        gan_io_shape_str(t->ndim, t->shape, have, sizeof have);
        gan_io_shape_str(ndim < 0 ? 0 : ndim > GAN_FILE_MAX_DIMS ? GAN_FILE_MAX_DIMS : ndim,
                         shape, want, sizeof want);
        return gan_fail(GAN_ERR_MISMATCH, "%s: tensor '%s' has shape %s, expected %s", f->path,
                        name, have, want);
    }
    if (t->nbytes == 0) return GAN_OK;
    if (fseeko(f->fp, (off_t)(f->data_start + t->offset), SEEK_SET) != 0)
        return gan_fail(GAN_ERR_IO, "%s: seek failed: %s", f->path, strerror(errno));
    size_t got = fread(dst, 1, (size_t)t->nbytes, f->fp);
    if (got != (size_t)t->nbytes)
        return gan_fail(GAN_ERR_IO, "%s: tensor '%s': read %zu of %llu bytes (%s)", f->path, name,
                        got, (unsigned long long)t->nbytes,
                        ferror(f->fp) ? strerror(errno) : "file shrank since it was opened");
    if (!gan_host_is_le()) gan_swap_bytes(dst, t->numel, gan_dtype_size(dtype));
    return GAN_OK;
}

gan_status gan_st_read_f32(gan_st_file *f, const char *name, int ndim, const int *shape,
                           float *dst) {
    return gan_st_read(f, name, GAN_DTYPE_F32, ndim, shape, dst);
}

gan_status gan_st_read_tensor(gan_st_file *f, gan_tensor *t) {
    if (!t->name) return gan_fail(GAN_ERR_ARG, "%s: tensor without a name", f->path);
    return gan_st_read(f, t->name, GAN_DTYPE_F32, t->ndim, t->shape, t->data);
}
