/* batch.c — a batch is a handful of tensors looked up by name; a linear scan over at most
 * GAN_BATCH_MAX names is cheaper than anything cleverer. */
#include "internal.h"

gan_tensor *gan_batch_get(const gan_batch *b, const char *name) {
    for (int i = 0; i < b->n; i++)
        if (strcmp(b->name[i], name) == 0) return b->t[i];
    return NULL;
}

void gan_batch_put(gan_batch *b, const char *name, gan_tensor *t) {
    for (int i = 0; i < b->n; i++)
        if (strcmp(b->name[i], name) == 0) {
            b->t[i] = t;
            return;
        }
    GAN_ASSERT(b->n < GAN_BATCH_MAX);
    b->name[b->n] = name;
    b->t[b->n++] = t;
}
