/* ring8.c — the ring of 8 Gaussians and its mode-collapse meter. */
#include "internal.h"
#include <math.h>

static void mode_centre(int k, float *cx, float *cy) {
    double a = 2.0 * M_PI * k / GAN_RING8_MODES;
    *cx = (float)(GAN_RING8_RADIUS * cos(a));
    *cy = (float)(GAN_RING8_RADIUS * sin(a));
}

void gan_ring8_sample(float *xy, int n, uint64_t seed, uint64_t stream) {
    float *u = gan_malloc(sizeof(float) * (size_t)n);
    gan_philox_uniform(u, n, seed, stream);
    gan_philox_normal(xy, 2 * (int64_t)n, seed, stream + 1);
    for (int i = 0; i < n; i++) {
        int k = (int)(u[i] * GAN_RING8_MODES) % GAN_RING8_MODES;
        float cx, cy;
        mode_centre(k, &cx, &cy);
        xy[2 * i] = cx + GAN_RING8_STD * xy[2 * i];
        xy[2 * i + 1] = cy + GAN_RING8_STD * xy[2 * i + 1];
    }
    gan_free(u);
}

gan_ring8_meter gan_ring8_measure(const float *xy, int n) {
    gan_ring8_meter m = {.n = n};
    float r2 = (3 * GAN_RING8_STD) * (3 * GAN_RING8_STD);
    int hq = 0;
    for (int i = 0; i < n; i++)
        for (int k = 0; k < GAN_RING8_MODES; k++) {
            float cx, cy;
            mode_centre(k, &cx, &cy);
            float dx = xy[2 * i] - cx, dy = xy[2 * i + 1] - cy;
            if (dx * dx + dy * dy <= r2) { /* the 3-std discs are disjoint */
                m.per_mode[k]++;
                hq++;
                break;
            }
        }
    for (int k = 0; k < GAN_RING8_MODES; k++) m.covered += m.per_mode[k] >= 0.01 * n;
    m.high_quality = n ? (float)hq / (float)n : 0;
    return m;
}

static void put(uint8_t *img, int size, int x, int y, uint8_t r, uint8_t g, uint8_t b) {
    if (x < 0 || y < 0 || x >= size || y >= size) return;
    uint8_t *p = img + 3 * ((int64_t)y * size + x);
    p[0] = r;
    p[1] = g;
    p[2] = b;
}

gan_status gan_ring8_plot(const char *path, const float *xy, int n, int size) {
    uint8_t *img = gan_malloc((size_t)size * size * 3);
    memset(img, 255, (size_t)size * size * 3);
    float scale = size / 6.0f; /* [-3, 3] */
    for (int k = 0; k < GAN_RING8_MODES; k++) { /* 3-std circles */
        float cx, cy;
        mode_centre(k, &cx, &cy);
        for (int a = 0; a < 360; a++) {
            float px = cx + 3 * GAN_RING8_STD * cosf(a * (float)M_PI / 180);
            float py = cy + 3 * GAN_RING8_STD * sinf(a * (float)M_PI / 180);
            put(img, size, (int)((px + 3) * scale), (int)((3 - py) * scale), 220, 0, 0);
        }
    }
    for (int i = 0; i < n; i++) {
        int x = (int)((xy[2 * i] + 3) * scale), y = (int)((3 - xy[2 * i + 1]) * scale);
        put(img, size, x, y, 20, 40, 160);
        put(img, size, x + 1, y, 20, 40, 160);
        put(img, size, x, y + 1, 20, 40, 160);
        put(img, size, x + 1, y + 1, 20, 40, 160);
    }
    gan_status s = gan_png_write_u8(path, img, size, size, 3);
    gan_free(img);
    return s;
}
