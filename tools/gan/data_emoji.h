/* data_emoji.h — what data_emoji.c and data_emoji_grid.c share. */
#ifndef GAN_DATA_EMOJI_H
#define GAN_DATA_EMOJI_H
#include "gan.h"

/* Renders one entry's image of `style` as (size, size, 3) RGB on white. */
gan_status emoji_render(const gan_emoji_entry *e, int style, int size, uint8_t *rgb);
/* 16 code points present in all five styles (rows) x the styles (columns), grey gaps, as one
 * PNG at path (atomic). have[i][style]: built. */
gan_status emoji_grid_write(gan_emoji_set *set, const uint8_t (*have)[GAN_EMOJI_STYLES],
                            int size, const char *path);
#endif
