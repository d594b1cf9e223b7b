/* progress.h — one updating line on a terminal, a plain line every few seconds otherwise. */
#ifndef GAN_PROGRESS_H
#define GAN_PROGRESS_H
#include <stdint.h>

typedef struct progress {
    int tty;
    double t0, last_print;
    int64_t start, total;
    const char *label;
    double time_limit;   /* > 0: the run stops this many seconds after start; the ETA says so */
} progress;

double now_seconds(void);
void progress_start(progress *p, const char *label, int64_t start, int64_t total);
/* done = units finished so far; extra = text appended (losses...) */
void progress_update(progress *p, int64_t done, const char *extra, int force);
void progress_end(progress *p);
#endif
