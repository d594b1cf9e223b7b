/* progress.c — step/total, it/s, ETA. */
#define _POSIX_C_SOURCE 200809L
#include "progress.h"
#include <stdio.h>
#include <time.h>
#include <unistd.h>

double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

void progress_start(progress *p, const char *label, int64_t start, int64_t total) {
    p->tty = isatty(STDERR_FILENO);
    p->t0 = now_seconds();
    p->last_print = 0;
    p->start = start;
    p->total = total;
    p->label = label;
    p->time_limit = 0;
}

static void fmt_time(double s, char *buf, size_t n) {
    if (s < 0 || s != s || s > 1e7) snprintf(buf, n, "?");
    else if (s >= 3600) snprintf(buf, n, "%dh%02dm", (int)(s / 3600), (int)(s / 60) % 60);
    else snprintf(buf, n, "%dm%02ds", (int)(s / 60), (int)s % 60);
}

void progress_update(progress *p, int64_t done, const char *extra, int force) {
    double t = now_seconds();
    double interval = p->tty ? 0.2 : 5.0;
    if (!force && t - p->last_print < interval) return;
    p->last_print = t;
    double el = t - p->t0;
    double rate = el > 0 ? (double)(done - p->start) / el : 0;
    char eta[32], elapsed[32];
    double left = rate > 0 ? (double)(p->total - done) / rate : -1;
    if (p->time_limit > 0 && (left < 0 || left > p->time_limit - el)) left = p->time_limit - el;
    fmt_time(left, eta, sizeof eta);
    fmt_time(el, elapsed, sizeof elapsed);
    fprintf(stderr, "%s%s %lld/%lld  %.1f it/s  elapsed %s  ETA %s  %s%s", p->tty ? "\r\033[K" : "",
            p->label, (long long)done, (long long)p->total, rate, elapsed, eta, extra ? extra : "",
            p->tty ? "" : "\n");
    fflush(stderr);
}

void progress_end(progress *p) {
    if (p->tty) fputc('\n', stderr);
}
