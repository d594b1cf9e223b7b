/* stats.c — the named scalars a training step reports. */
#include "internal.h"
#include <math.h>
#include <string.h>

float gan_stats_get(const gan_stats *s, const char *name) {
    for (int i = 0; i < s->n; i++)
        if (!strcmp(s->name[i], name)) return s->value[i];
    return NAN;
}

void gan_stats_put(gan_stats *s, const char *name, float v) {
    for (int i = 0; i < s->n; i++)
        if (!strcmp(s->name[i], name)) {
            s->value[i] = v;
            return;
        }
    GAN_ASSERT_MSG(s->n < GAN_STATS_MAX, "more than GAN_STATS_MAX stats in one step");
    s->name[s->n] = name;
    s->value[s->n++] = v;
}
