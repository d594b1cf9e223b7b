/* hyper.h — hyperparameters as PyTorch sees them.
 *
 * PyTorch takes hyperparameters as Python doubles (0.999) and derives scalars like 1 - beta2
 * in double before rounding them to float. Our structs hold floats, and (double)0.999f is
 * not 0.999: 1 - (double)0.999f differs from 1 - 0.999 by about 1e-5 relative, far more than
 * float rounding. So we recover the shortest decimal that rounds to the float, which is the
 * number the user wrote. */
#ifndef GAN_OPTIM_HYPER_H
#define GAN_OPTIM_HYPER_H
#include <stdio.h>
#include <stdlib.h>

static inline double gan_hyper_double(float x) {
    char buf[32];
    for (int prec = 1; prec <= 9; prec++) {
        snprintf(buf, sizeof buf, "%.*g", prec, (double)x);
        double d = strtod(buf, NULL);
        if ((float)d == x) return d;
    }
    return (double)x;
}
#endif
