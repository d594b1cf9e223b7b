/* composite.c — transparent emoji onto white, and their resizing. The emoji's pixels under
 * alpha 0 are not trustworthy (some sources leave black or colour there), so every path
 * weighs colour by alpha before anything else: straight alpha (PNG) multiplies by a,
 * premultiplied (cairo) already has. Compositing onto a constant is linear in premultiplied
 * values, so compositing first and filtering after equals filtering in premultiplied space
 * and compositing after; doing it first keeps the filters to three plain channels. */
#include "gan.h"
#include <math.h>
#include <stdlib.h>

/* a*c + (255-a)*255 over 255: the exact composited value times 255 */
static inline uint32_t straight_num(const uint8_t *px, int ch) {
    uint32_t a = px[3];
    return a * px[ch] + (255 - a) * 255;
}

void gan_composite_straight(const uint8_t *rgba, int64_t n, uint8_t *rgb) {
    for (int64_t i = 0; i < n; i++)
        for (int ch = 0; ch < 3; ch++)   /* (num + 127) / 255: round half up, never a tie */
            rgb[3 * i + ch] = (uint8_t)((straight_num(rgba + 4 * i, ch) + 127) / 255);
}

void gan_composite_premul(const uint32_t *argb32, int64_t n, uint8_t *rgb) {
    for (int64_t i = 0; i < n; i++) {
        uint32_t p = argb32[i], a = p >> 24;
        /* cairo keeps c <= a, so c + 255 - a <= 255; clamp anyway against a broken surface */
        for (int ch = 0; ch < 3; ch++) {
            uint32_t c = p >> (16 - 8 * ch) & 0xFF, v = c + 255 - a;
            rgb[3 * i + ch] = (uint8_t)(v > 255 ? 255 : v);
        }
    }
}

// (s, s, 4) straight -> (s/f, s/f, 3): the mean of f*f exact numerators, rounded half up
static void box_down(const uint8_t *rgba, int s, int f, uint8_t *rgb) {
    int t = s / f;
    uint64_t den = 255ull * (uint64_t)f * (uint64_t)f;
    for (int y = 0; y < t; y++)
        for (int x = 0; x < t; x++)
            for (int ch = 0; ch < 3; ch++) {
                uint64_t sum = 0;
                for (int dy = 0; dy < f; dy++)
                    for (int dx = 0; dx < f; dx++)
                        sum += straight_num(rgba + 4 * ((size_t)(y * f + dy) * s + x * f + dx), ch);
                rgb[3 * ((size_t)y * t + x) + ch] = (uint8_t)((2 * sum + den) / (2 * den));
            }
}

/* source coordinate of output index i (half-pixel centres), clamped, as PyTorch's
 * upsample_bilinear2d with align_corners=False */
static void bilinear_tap(int i, int s, int t, int *i0, int *i1, double *w1) {
    double src = ((double)i + 0.5) * (double)s / (double)t - 0.5;
    if (src < 0) src = 0;
    int lo = (int)src;
    if (lo > s - 1) lo = s - 1;
    *i0 = lo;
    *i1 = lo < s - 1 ? lo + 1 : lo;
    *w1 = src - lo;
}

static void bilinear(const uint8_t *rgba, int s, int t, uint8_t *rgb) {
    for (int y = 0; y < t; y++) {
        int y0, y1;
        double wy;
        bilinear_tap(y, s, t, &y0, &y1, &wy);
        for (int x = 0; x < t; x++) {
            int x0, x1;
            double wx;
            bilinear_tap(x, s, t, &x0, &x1, &wx);
            for (int ch = 0; ch < 3; ch++) {
                double v00 = straight_num(rgba + 4 * ((size_t)y0 * s + x0), ch) / 255.0;
                double v01 = straight_num(rgba + 4 * ((size_t)y0 * s + x1), ch) / 255.0;
                double v10 = straight_num(rgba + 4 * ((size_t)y1 * s + x0), ch) / 255.0;
                double v11 = straight_num(rgba + 4 * ((size_t)y1 * s + x1), ch) / 255.0;
                double v = (1 - wy) * ((1 - wx) * v00 + wx * v01) + wy * ((1 - wx) * v10 + wx * v11);
                v = floor(v + 0.5);
                rgb[3 * ((size_t)y * t + x) + ch] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
            }
        }
    }
}

gan_status gan_emoji_resize_rgba(const uint8_t *rgba, int h, int w, int size, uint8_t *rgb) {
    if (h != w || h < 1 || size < 1)
        return gan_fail(GAN_ERR_ARG, "emoji image %d x %d to %d x %d: need a square source "
                        "and size >= 1", h, w, size, size);
    if (h % size == 0) box_down(rgba, h, h / size, rgb);   /* factor 1 is plain compositing */
    else bilinear(rgba, h, size, rgb);
    return GAN_OK;
}
