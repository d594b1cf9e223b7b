/* data_internal.h — what the files of src/data share: folder listings, the image list
 * loader, the tab-separated index parsers and the pieces a source kind is built from.
 *
 * Like src/io, sizes that come from files use plain malloc and check for NULL (a bad file is
 * GAN_ERR_NOMEM, never an abort); gan_free is free(), so either releases them. */
#ifndef GAN_DATA_INTERNAL_H
#define GAN_DATA_INTERNAL_H

#include "internal.h"
#include <stddef.h>
#include <stdint.h>

/* ------------------------------------------------------------------ listing (listing.c) */

typedef struct gan_name_list {
    char **v;           /* owned strings */
    size_t n, cap;
} gan_name_list;

void gan_name_list_free(gan_name_list *l);
/* Takes ownership of s (freed on failure); 0 when out of memory (or s is NULL). */
int gan_name_list_push(gan_name_list *l, char *s);
/* strdup with malloc; NULL when out of memory. */
char *gan_strdup(const char *s);
/* dir + "/" + name (no double slash); NULL when out of memory. */
char *gan_path_join(const char *dir, const char *name);
/* The sorted (strcmp) names in dir, without "." entries (hidden files counted in *skipped). */
gan_status gan_list_sorted(const char *dir, gan_name_list *out, int *skipped);
/* The sorted names of the subfolders (dirs = 1) or regular files (dirs = 0) of dir. */
gan_status gan_list_kind(const char *dir, int dirs, gan_name_list *out, int *skipped);
/* Regular files of dir and (depth 0) of its subfolders, in load order (full paths). */
gan_status gan_collect_files(const char *dir, int depth, gan_name_list *files, int *skipped);
int gan_has_image_extension(const char *path);
int gan_is_dir(const char *path);

/* ------------------------------------------------------------------ images (image_folder.c) */

/* 0: white. Otherwise 0xFF000000 | 0xRRGGBB (GAN_RGB in gan.h). */
void gan_background_rgb(uint32_t background, uint8_t rgb[3]);

typedef struct gan_image_opts {
    int size;              /* output side, > 0 */
    uint32_t background;   /* alpha is composited onto it (gan_background_rgb) */
    int split_ab;          /* each file is A | B side by side: left half -> out, right -> out_b */
    int skip_non_images;   /* files without PNG/JPEG magic (and no image extension) skipped */
} gan_image_opts;

/* Loads paths[0..n) as (N, H, W, C) bytes (src/data/image_folder.c says how). kept (may be
 * NULL, n entries) receives, for image i, the index of its path: only differs from i when
 * skip_non_images skipped some. *n_skipped (may be NULL) is increased by the files skipped.
 * On failure out (and out_b) are zeroed. */
gan_status gan_image_files_load(const char *what, char *const *paths, size_t n,
                                const gan_image_opts *o, gan_u8_images *out,
                                gan_u8_images *out_b, size_t *kept, int *n_skipped);

/* ------------------------------------------------------------------ indexes (index.c) */

/* One line "FILE<TAB>VALUE" of an index; VALUE is everything after the first tab. */
typedef struct gan_index_entry {
    const char *file;   /* into the index's buffer */
    const char *value;
    int line;           /* 1-based line in the index file */
} gan_index_entry;

typedef struct gan_index {
    gan_index_entry *e;
    size_t n;
    char *buf;          /* the text, lines cut into strings */
} gan_index;

/* 1 when s[0..n) is well-formed UTF-8 (no overlongs, surrogates or code points past
 * U+10FFFF); else 0 and *bad = the offset of the first bad byte. */
int gan_utf8_valid(const char *s, size_t n, size_t *bad);
/* Parses an index held in memory; `name` is what messages call it (the file's path). Rules:
 * a UTF-8 byte-order mark at the start is skipped; lines end in \n (a \r before it is
 * dropped); empty lines are skipped; every other line must be valid UTF-8 without NUL bytes
 * and hold a tab after a non-empty file name. At least one entry. On failure *out is zeroed
 * and the message names `name`, the line and what is wrong. */
gan_status gan_index_parse(const char *name, const char *text, size_t len, gan_index *out);
/* Reads the file at path (at most GAN_INDEX_MAX_BYTES) and parses it. */
#define GAN_INDEX_MAX_BYTES ((size_t)1 << 30)
gan_status gan_index_read(const char *path, gan_index *out);
void gan_index_free(gan_index *ix);

/* Second columns that are paths (the audio index): non-empty, no further tab. */
gan_status gan_index_check_paths(const char *name, const gan_index *ix);

/* Multi-label sets: VALUE is "tag1,tag2,..." (spaces around a tag are trimmed; no empty
 * tags; an empty VALUE is the empty set; a tag repeated on one line counts once). */
typedef struct gan_tag_sets {
    char **vocab;       /* k tags sorted by strcmp; owned */
    int k;
    float *hot;         /* n x k: 1 where sample i has tag j, else 0; owned */
    size_t n;
} gan_tag_sets;
gan_status gan_tag_sets_build(const char *name, const gan_index *ix, gan_tag_sets *out);
void gan_tag_sets_free(gan_tag_sets *t);

/* ------------------------------------------------------------------ sources (source.c) */

typedef struct gan_src_field {
    gan_field_info info;
    char name[24];
    int64_t per;        /* numbers per sample (prod of info.shape) */
    uint8_t *u8;        /* GAN_FIELD_IMAGE: n x per bytes, (C, H, W) each; owned */
    float *f32;         /* other kinds except INDEX: n x per floats; owned */
    char **names;       /* class / tag names (info.classes of them) or NULL; owned */
} gan_src_field;

/* A new empty source of `kind` (a static string); NULL when out of memory. */
gan_source *gan_source_alloc(const char *kind);
/* Adds a field; NULL (message set) when the source has GAN_BATCH_MAX fields. shape: ndim
 * per-sample dimensions. */
gan_src_field *gan_source_add_field(gan_source *s, const char *name, gan_field_kind kind,
                                    int domain, int ndim, const int *shape);
/* Adds an IMAGE field that takes over im's bytes ((N, H, W, C) -> stored (N, C, H, W)) and
 * sets the domain's size to im->n (im is zeroed). */
gan_status gan_source_add_images(gan_source *s, const char *name, int domain, gan_u8_images *im);
/* Sets domain d's sample count; the first call for d fixes it, later ones must agree. */
void gan_source_set_size(gan_source *s, int domain, int64_t n);
/* Takes over a caption table of n strings. */
void gan_source_set_texts(gan_source *s, char **texts, int64_t n);
/* Final step of every constructor: orders per domain. On failure frees s. */
gan_status gan_source_finish(gan_source *s, uint64_t seed, gan_source **out);

/* The source kinds (one file each). `arg` is the spec after "KIND:". */
gan_status gan_source_open_dataset(const char *spec, const gan_source_opts *o, gan_source **out);
gan_status gan_source_open_classes(const char *dir, const gan_source_opts *o, gan_source **out);
gan_status gan_source_open_paired(const char *dir, const gan_source_opts *o, gan_source **out);
gan_status gan_source_open_ab(const char *dir, const gan_source_opts *o, gan_source **out);
gan_status gan_source_open_unpaired(const char *dir, const gan_source_opts *o, gan_source **out);
gan_status gan_source_open_captions(const char *path, const gan_source_opts *o, gan_source **out);
gan_status gan_source_open_tags(const char *path, const gan_source_opts *o, gan_source **out);
gan_status gan_source_open_audio(const char *path, const gan_source_opts *o, gan_source **out);

/* The images an index names, relative to the index's folder unless absolute; a missing or
 * unreadable one fails with "INDEX:LINE: FILE: why". */
gan_status gan_index_images_load(const char *index_path, const gan_index *ix,
                                 const gan_source_opts *o, gan_u8_images *out);
/* "INDEX's folder / file" (file unchanged when absolute); NULL when out of memory. */
char *gan_index_resolve(const char *index_path, const char *file);
/* opts->size, or 64 when it is <= 0. */
int gan_source_image_size(const gan_source_opts *o);

#endif
