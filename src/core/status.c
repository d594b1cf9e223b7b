/* status.c — status codes, the per-thread last error, and assertions. */
#include "gan.h"
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

static _Thread_local char last_error[1024];

const char *gan_status_to_string(gan_status s) {
    switch (s) {
    case GAN_OK: return "ok";
    case GAN_ERR_IO: return "i/o error";
    case GAN_ERR_FORMAT: return "bad format";
    case GAN_ERR_ARG: return "bad argument";
    case GAN_ERR_NOMEM: return "out of memory";
    case GAN_ERR_MISMATCH: return "mismatch";
    }
    return "unknown status";
}

const char *gan_last_error(void) { return last_error; }

gan_status gan_fail(gan_status s, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(last_error, sizeof last_error, fmt, ap);
    va_end(ap);
    return s;
}

void gan_assert_fail(const char *cond, const char *file, int line, const char *msg) {
    fprintf(stderr, "%s:%d: gan assertion failed: %s%s%s\n", file, line, cond,
            msg ? " — " : "", msg ? msg : "");
    abort();
}
