/* listing.c — folder listings in a fixed order (strcmp, as Python sorts str), so a dataset's
 * sample order, and with it every batch, is the same on every machine. Names starting with
 * '.' are skipped (.DS_Store, macOS "._x.jpg" companions). */
#include "data_internal.h"
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

void gan_name_list_free(gan_name_list *l) {
    for (size_t i = 0; i < l->n; i++) free(l->v[i]);
    free(l->v);
    memset(l, 0, sizeof *l);
}

int gan_name_list_push(gan_name_list *l, char *s) {
    if (!s) return 0;
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 64;
        char **v = realloc(l->v, cap * sizeof *v);
        if (!v) {
            free(s);
            return 0;
        }
        l->v = v, l->cap = cap;
    }
    l->v[l->n++] = s;
    return 1;
}

char *gan_strdup(const char *s) {
    size_t n = strlen(s) + 1;
    char *p = malloc(n);
    if (p) memcpy(p, s, n);
    return p;
}

static int cmp_names(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

char *gan_path_join(const char *dir, const char *name) {
    size_t a = strlen(dir), b = strlen(name);
    char *p = malloc(a + b + 2);
    if (!p) return NULL;
    memcpy(p, dir, a);
    size_t k = a;
    if (a && dir[a - 1] != '/') p[k++] = '/';
    memcpy(p + k, name, b + 1);
    return p;
}

gan_status gan_list_sorted(const char *dir, gan_name_list *out, int *skipped) {
    DIR *d = opendir(dir);
    if (!d) return gan_fail(GAN_ERR_IO, "%s: cannot open folder: %s", dir, strerror(errno));
    struct dirent *e;
    errno = 0;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.') {
            if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..") && e->d_type != DT_DIR)
                (*skipped)++;
            continue;
        }
        if (!gan_name_list_push(out, gan_strdup(e->d_name))) {
            closedir(d);
            gan_name_list_free(out);
            return gan_fail(GAN_ERR_NOMEM, "%s: out of memory listing the folder", dir);
        }
        errno = 0;
    }
    int err = errno;
    closedir(d);
    if (err) {
        gan_name_list_free(out);
        return gan_fail(GAN_ERR_IO, "%s: cannot read folder: %s", dir, strerror(err));
    }
    if (out->n) qsort(out->v, out->n, sizeof *out->v, cmp_names);
    return GAN_OK;
}

gan_status gan_list_kind(const char *dir, int dirs, gan_name_list *out, int *skipped) {
    gan_name_list all = {0};
    gan_status s = gan_list_sorted(dir, &all, skipped);
    for (size_t i = 0; i < all.n && s == GAN_OK; i++) {
        char *p = gan_path_join(dir, all.v[i]);
        struct stat st;
        if (!p) {
            s = gan_fail(GAN_ERR_NOMEM, "%s: out of memory listing the folder", dir);
        } else if (stat(p, &st) == 0 && (dirs ? S_ISDIR(st.st_mode) : S_ISREG(st.st_mode))) {
            if (!gan_name_list_push(out, all.v[i]))
                s = gan_fail(GAN_ERR_NOMEM, "%s: out of memory listing the folder", dir);
            all.v[i] = NULL;
        } else if (!dirs) {
            (*skipped)++;          /* listing folders, files are someone else's business */
        }
        free(p);
    }
    gan_name_list_free(&all);
    if (s) gan_name_list_free(out);
    return s;
}

gan_status gan_collect_files(const char *dir, int depth, gan_name_list *files, int *skipped) {
    gan_name_list names = {0};
    gan_status s = gan_list_sorted(dir, &names, skipped);
    if (s) return s;
    for (size_t i = 0; i < names.n && s == GAN_OK; i++) {
        char *p = gan_path_join(dir, names.v[i]);
        struct stat st;
        if (!p) {
            s = gan_fail(GAN_ERR_NOMEM, "%s: out of memory listing the folder", dir);
        } else if (stat(p, &st) != 0) {           /* a dangling link, or gone since readdir */
            (*skipped)++;
            free(p);
        } else if (S_ISREG(st.st_mode)) {
            if (!gan_name_list_push(files, p))
                s = gan_fail(GAN_ERR_NOMEM, "%s: out of memory listing the folder", dir);
        } else if (S_ISDIR(st.st_mode) && depth == 0) {
            s = gan_collect_files(p, 1, files, skipped);
            free(p);
        } else {
            if (!S_ISDIR(st.st_mode)) (*skipped)++;
            free(p);
        }
    }
    gan_name_list_free(&names);
    return s;
}

int gan_has_image_extension(const char *path) {
    const char *slash = strrchr(path, '/');
    const char *dot = strrchr(slash ? slash : path, '.');
    return dot && (!strcasecmp(dot, ".png") || !strcasecmp(dot, ".jpg") ||
                   !strcasecmp(dot, ".jpeg") || !strcasecmp(dot, ".jpe"));
}

int gan_is_dir(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}
