/* atomic_file.c — write-to-temp, fsync, rename: a reader (or a process killed mid-write)
 * sees either the old file or the complete new one, never a half-written file. */
#include "io/io_internal.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct gan_atomic_file {
    FILE *fp;
    char *path, *tmp;
    gan_status st;        /* first error, sticky */
    char err[512];
};

/* Remembers the first error so commit can report it after many silent writes. */
static gan_status atomic_error(gan_atomic_file *f, gan_status s, const char *what, int e) {
    if (f->st == GAN_OK) {
        f->st = s;
        snprintf(f->err, sizeof f->err, "%s: %s: %s", f->path, what, strerror(e));
    }
    return gan_fail(f->st, "%s", f->err);
}

static void atomic_release(gan_atomic_file *f) {
    free(f->path);
    free(f->tmp);
    free(f);
}

gan_status gan_atomic_open(const char *path, gan_atomic_file **out) {
    *out = NULL;
    if (!path || !*path) return gan_fail(GAN_ERR_ARG, "atomic write: empty file name");
    gan_atomic_file *f = calloc(1, sizeof *f);
    size_t n = strlen(path) + 32;
    if (f) {
        f->path = strdup(path);
        f->tmp = malloc(n);
    }
    if (!f || !f->path || !f->tmp) {
        if (f) atomic_release(f);
        return gan_fail(GAN_ERR_NOMEM, "%s: out of memory", path);
    }
    snprintf(f->tmp, n, "%s.tmp.%ld", path, (long)getpid());
    f->fp = fopen(f->tmp, "wb");
    if (!f->fp) {
        int e = errno;
        gan_status s = gan_fail(GAN_ERR_IO, "%s: cannot create temporary file %s: %s", path,
                                f->tmp, strerror(e));
        atomic_release(f);
        return s;
    }
    *out = f;
    return GAN_OK;
}

gan_status gan_atomic_write(gan_atomic_file *f, const void *data, size_t n) {
    if (f->st != GAN_OK) return gan_fail(f->st, "%s", f->err);
    if (n && fwrite(data, 1, n, f->fp) != n) return atomic_error(f, GAN_ERR_IO, "write failed", errno);
    return GAN_OK;
}

/* The rename is only durable once the folder's entry is on disk too. */
static int fsync_parent(const char *path) {
    char *dir = strdup(path);
    if (!dir) return ENOMEM;
    char *slash = strrchr(dir, '/');
    const char *d = dir;
    if (!slash) d = ".";
    else if (slash == dir) slash[1] = '\0';
    else *slash = '\0';
    int e = 0, fd = open(d, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) e = errno;
    else {
        /* some file systems cannot sync a folder; that is not a failed write */
        if (fsync(fd) != 0 && errno != EINVAL && errno != ENOTSUP) e = errno;
        close(fd);
    }
    free(dir);
    return e;
}

gan_status gan_atomic_commit(gan_atomic_file *f) {
    if (f->st == GAN_OK && fflush(f->fp) != 0) atomic_error(f, GAN_ERR_IO, "write failed", errno);
    if (f->st == GAN_OK && fsync(fileno(f->fp)) != 0) atomic_error(f, GAN_ERR_IO, "fsync failed", errno);
    if (fclose(f->fp) != 0 && f->st == GAN_OK) atomic_error(f, GAN_ERR_IO, "close failed", errno);
    f->fp = NULL;
    if (f->st == GAN_OK && rename(f->tmp, f->path) != 0)
        atomic_error(f, GAN_ERR_IO, "cannot rename the temporary file over it", errno);
    if (f->st != GAN_OK) {
        remove(f->tmp);
        gan_status s = gan_fail(f->st, "%s", f->err);
        atomic_release(f);
        return s;
    }
    int e = fsync_parent(f->path);
    gan_status s = GAN_OK;
    if (e) s = gan_fail(GAN_ERR_IO, "%s: written, but syncing its folder failed: %s", f->path,
                        strerror(e));
    atomic_release(f);
    return s;
}

void gan_atomic_abort(gan_atomic_file *f) {
    if (!f) return;
    if (f->fp) fclose(f->fp);
    remove(f->tmp);
    atomic_release(f);
}

gan_status gan_write_file_atomic(const char *path, const void *data, size_t n) {
    gan_atomic_file *f;
    gan_status s = gan_atomic_open(path, &f);
    if (s != GAN_OK) return s;
    gan_atomic_write(f, data, n);
    return gan_atomic_commit(f);
}
