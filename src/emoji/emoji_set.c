/* emoji_set.c — the union of the emoji sources: one entry per key, found by hashing, so each
 * reader can add a style or a field to an emoji another reader created. */
#include "emoji/emoji_internal.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct gan_emoji_set {
    gan_emoji_entry **e;    /* pointers, so entries stay put while the array grows */
    int n, cap;
    int *slot, n_slots;     /* open addressing over e[], -1 empty */
};

static char empty_str[1];   /* the shared "" of unknown fields: never freed, never written */

static const char *const style_names[GAN_EMOJI_STYLES] = {
    "google", "twitter", "openmoji", "openmoji-outline", "emojione"};

const char *gan_emoji_style_name(gan_emoji_style s) {
    return (unsigned)s < GAN_EMOJI_STYLES ? style_names[s] : "?";
}

static uint64_t hash_str(const char *s) {
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

gan_emoji_set *gan_emoji_set_new(void) { return calloc(1, sizeof(gan_emoji_set)); }

static void entry_free(gan_emoji_entry *e) {
    char **f[] = {&e->name, &e->group, &e->subgroup, &e->keywords, &e->tags};
    for (int i = 0; i < 5; i++)
        if (*f[i] != empty_str) free(*f[i]);
    for (int i = 0; i < GAN_EMOJI_STYLES; i++) free(e->file[i]);
    free(e);
}

void gan_emoji_set_free(gan_emoji_set *s) {
    if (!s) return;
    for (int i = 0; i < s->n; i++) entry_free(s->e[i]);
    free(s->e);
    free(s->slot);
    free(s);
}

int gan_emoji_set_count(const gan_emoji_set *s) { return s->n; }
gan_emoji_entry *gan_emoji_set_entry(gan_emoji_set *s, int i) {
    return i >= 0 && i < s->n ? s->e[i] : NULL;
}

static int find_slot(const gan_emoji_set *s, const char *key) {
    if (!s->n_slots) return -1;
    size_t mask = (size_t)s->n_slots - 1;
    for (size_t i = hash_str(key) & mask;; i = (i + 1) & mask)
        if (s->slot[i] < 0 || !strcmp(s->e[s->slot[i]]->key, key)) return (int)i;
}

gan_emoji_entry *gan_emoji_set_find(gan_emoji_set *s, const char *key) {
    int i = find_slot(s, key);
    return i >= 0 && s->slot[i] >= 0 ? s->e[s->slot[i]] : NULL;
}

static int rehash(gan_emoji_set *s, int n_slots) {
    int *slot = malloc((size_t)n_slots * sizeof *slot);
    if (!slot) return 0;
    memset(slot, 0xff, (size_t)n_slots * sizeof *slot);
    free(s->slot);
    s->slot = slot;
    s->n_slots = n_slots;
    for (int k = 0; k < s->n; k++) s->slot[find_slot(s, s->e[k]->key)] = k;
    return 1;
}

gan_emoji_entry *gan_emoji_set_add(gan_emoji_set *s, const char *key) {
    gan_emoji_entry *have = gan_emoji_set_find(s, key);
    if (have) return have;
    if (2 * (s->n + 1) > s->n_slots && !rehash(s, s->n_slots ? 2 * s->n_slots : 1024)) return NULL;
    if (s->n == s->cap) {
        int cap = s->cap ? 2 * s->cap : 1024;
        gan_emoji_entry **e = realloc(s->e, (size_t)cap * sizeof *e);
        if (!e) return NULL;
        s->e = e;
        s->cap = cap;
    }
    gan_emoji_entry *e = calloc(1, sizeof *e);
    if (!e) return NULL;
    snprintf(e->key, sizeof e->key, "%s", key);
    e->n_cps = gan_emoji_key_cps(key, e->cps);
    e->name = e->group = e->subgroup = e->keywords = e->tags = empty_str;
    s->slot[find_slot(s, key)] = s->n;
    s->e[s->n++] = e;
    return e;
}

static int by_cps(const void *a, const void *b) {
    const gan_emoji_entry *x = *(gan_emoji_entry *const *)a, *y = *(gan_emoji_entry *const *)b;
    for (int i = 0; i < x->n_cps && i < y->n_cps; i++)
        if (x->cps[i] != y->cps[i]) return x->cps[i] < y->cps[i] ? -1 : 1;
    return (x->n_cps > y->n_cps) - (x->n_cps < y->n_cps);
}

void gan_emoji_set_sort(gan_emoji_set *s) {
    if (s->n) qsort(s->e, (size_t)s->n, sizeof *s->e, by_cps);
    if (s->n_slots) rehash(s, s->n_slots);    /* same size: cannot fail to matter (old kept) */
}

int gan_emoji_field_set(char **field, const char *value, size_t n) {
    if (**field || !n) return 1;
    char *c = malloc(n + 1);
    if (!c) return 0;
    memcpy(c, value, n);
    c[n] = 0;
    /* a value that starts with NUL (from a file) left a malloc'ed "" here: free it */
    if (*field != empty_str) free(*field);
    *field = c;
    return 1;
}

int gan_emoji_field_append(char **field, const char *value, size_t n) {
    if (!n) return 1;
    size_t have = strlen(*field);
    for (const char *p = *field; *p;) {              /* already an item? */
        const char *bar = strchr(p, '|');
        size_t len = bar ? (size_t)(bar - p) : strlen(p);
        if (len == n && !memcmp(p, value, n)) return 1;
        p += len + (bar != NULL);
    }
    char *c = malloc(have + n + 2);
    if (!c) return 0;
    memcpy(c, *field, have);
    if (have) c[have++] = '|';
    memcpy(c + have, value, n);
    c[have + n] = 0;
    if (*field != empty_str) free(*field);
    *field = c;
    return 1;
}

int gan_emoji_file_set(gan_emoji_entry *e, gan_emoji_style style, const char *dir,
                       const char *name) {
    if (e->file[style]) return 1;
    size_t n = strlen(dir) + strlen(name) + 2;
    if (!(e->file[style] = malloc(n))) return 0;
    snprintf(e->file[style], n, "%s/%s", dir, name);
    return 1;
}

gan_status gan_emoji_slurp(const char *path, size_t max, char **buf, size_t *n) {
    *buf = NULL;
    *n = 0;
    FILE *f = fopen(path, "rb");
    if (!f) return gan_fail(GAN_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    size_t cap = 1 << 16, len = 0, got;
    char *b = malloc(cap + 1);
    while (b && (got = fread(b + len, 1, cap - len, f)) > 0) {
        len += got;
        if (len > max) break;
        if (len == cap) {
            char *nb = realloc(b, (cap *= 2) + 1);
            if (!nb) free(b);
            b = nb;
        }
    }
    int err = ferror(f);
    fclose(f);
    if (!b) return gan_fail(GAN_ERR_NOMEM, "%s: out of memory", path);
    if (err || len > max) {
        free(b);
        return gan_fail(err ? GAN_ERR_IO : GAN_ERR_FORMAT, err ? "%s: read error"
                        : "%s: larger than the %zu bytes expected of it", path, max);
    }
    b[len] = 0;
    *buf = b;
    *n = len;
    return GAN_OK;
}
