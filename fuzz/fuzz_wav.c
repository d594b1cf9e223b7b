/* fuzz_wav.c — gan_wav_parse on arbitrary bytes: no crash, no sanitizer report, and on success
 * the struct is consistent (frames * channels samples, each readable; channels 1 or 2). */
#include "gan.h"
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    gan_wav w;
    if (gan_wav_parse(data, size, "fuzz.wav", &w) == GAN_OK) {
        if (w.channels < 1 || w.channels > 2 || w.rate < 1 || w.n_frames < 0) abort();
        if ((size_t)(w.n_frames * w.channels * 2) > size) abort();   /* memory bounded by input */
        volatile int64_t s = 0;
        for (int64_t i = 0; i < w.n_frames * w.channels; i++) s += w.pcm[i];
        gan_wav_free(&w);
    } else if (w.pcm) {
        abort();   /* a failure leaves the struct zeroed */
    }
    return 0;
}
