/* emoji_internal.h — what the emoji set and its readers (src/emoji) share. */
#ifndef GAN_EMOJI_INTERNAL_H
#define GAN_EMOJI_INTERNAL_H
#include "gan.h"

/* The entry for key, created (all strings "", no files) when absent; NULL: out of memory. */
gan_emoji_entry *gan_emoji_set_add(gan_emoji_set *s, const char *key);
/* Sets *field to a copy of n bytes of value when *field is still "" (the first source to
 * know a field wins). Returns 0 when out of memory. */
int gan_emoji_field_set(char **field, const char *value, size_t n);
/* Appends value to *field with "|" between (skipped when already one of its items).
 * Returns 0 when out of memory. */
int gan_emoji_field_append(char **field, const char *value, size_t n);
/* Sets the entry's source file for style (first one wins); 0 when out of memory. */
int gan_emoji_file_set(gan_emoji_entry *e, gan_emoji_style style, const char *dir,
                       const char *name);
/* Reads a whole file (at most max bytes) into a NUL-terminated heap buffer. */
gan_status gan_emoji_slurp(const char *path, size_t max, char **buf, size_t *n);

#endif
