/* data_emoji_grid.c — the picture of `gan data emoji --grid`: the same 16 code points in
 * every style, so a reader sees at once whether backgrounds are white, edges are clean and
 * OpenMoji's outline sits on its colour drawing. Grey gaps make a white background visible. */
#include "data_emoji.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ROWS 16
#define GAP 4
#define GAP_GREY 150

/* Well-known emoji first (faces, a heart, a flag, a ZWJ-free skin tone); the rest of the 16
 * evenly spaced over the code points in all five styles. */
static int pick(gan_emoji_set *set, const uint8_t (*have)[GAN_EMOJI_STYLES], int *rows) {
    static const char *const want[] = {"1f600", "1f602", "1f60d", "2764", "1f44d", "1f431",
                                       "1f34e", "1f355", "1f680", "2600", "1f308", "26bd",
                                       "1f1ef-1f1f5", "1f44b-1f3fd", "1f525", "1f3b8"};
    int n = gan_emoji_set_count(set), k = 0, all = 0;
    for (int w = 0; w < ROWS; w++)
        for (int i = 0; i < n; i++) {
            int in = 1;
            for (int st = 0; st < GAN_EMOJI_STYLES; st++) in &= have[i][st];
            if (in && !strcmp(gan_emoji_set_entry(set, i)->key, want[w])) rows[k++] = i;
        }
    for (int i = 0; i < n; i++) {
        int in = 1;
        for (int st = 0; st < GAN_EMOJI_STYLES; st++) in &= have[i][st];
        all += in;
    }
    for (int step = 0, i = 0; k < ROWS && i < n; i++) {
        int in = 1, dup = 0;
        for (int st = 0; st < GAN_EMOJI_STYLES; st++) in &= have[i][st];
        if (!in || step++ % (all / ROWS + 1)) continue;
        for (int r = 0; r < k; r++) dup |= rows[r] == i;
        if (!dup) rows[k++] = i;
    }
    return k;
}

gan_status emoji_grid_write(gan_emoji_set *set, const uint8_t (*have)[GAN_EMOJI_STYLES],
                            int size, const char *path) {
    int rows[ROWS], nr = pick(set, have, rows);
    if (nr < 1) return gan_fail(GAN_ERR_ARG, "%s: no code point is in all five styles", path);
    int gw = GAN_EMOJI_STYLES * (size + GAP) + GAP, gh = nr * (size + GAP) + GAP;
    uint8_t *grid = malloc((size_t)gw * gh * 3), *cell = malloc((size_t)size * size * 3);
    gan_status s = grid && cell ? GAN_OK : gan_fail(GAN_ERR_NOMEM, "%s: out of memory", path);
    if (grid) memset(grid, GAP_GREY, (size_t)gw * gh * 3);
    for (int r = 0; !s && r < nr; r++)
        for (int st = 0; !s && st < GAN_EMOJI_STYLES; st++) {
            s = emoji_render(gan_emoji_set_entry(set, rows[r]), st, size, cell);
            int y0 = GAP + r * (size + GAP), x0 = GAP + st * (size + GAP);
            for (int y = 0; !s && y < size; y++)
                memcpy(grid + ((size_t)(y0 + y) * gw + x0) * 3, cell + (size_t)y * size * 3,
                       (size_t)size * 3);
        }
    if (!s) s = gan_png_write_u8(path, grid, gh, gw, 3);
    if (!s) {
        printf("grid %s: rows", path);
        for (int r = 0; r < nr; r++) printf(" %s", gan_emoji_set_entry(set, rows[r])->key);
        printf("; columns google twitter openmoji openmoji-outline emojione\n");
    }
    free(grid);
    free(cell);
    return s;
}
