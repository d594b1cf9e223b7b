/* source_images.c — labelled images: what gan_dataset_load reads (Fashion-MNIST, an IDX file
 * with the labels beside it, a plain folder without labels), and "classes:DIR", one subfolder
 * per class as torchvision's ImageFolder lays them out. */
#include "data_internal.h"
#include <stdlib.h>

/* Fashion-MNIST's classes, from its README (zalandoresearch/fashion-mnist). */
static const char *const fmnist_classes[10] = {
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
};

/* An INT field "label" over n labels (floats), with optional class names (copied). */
static gan_status add_labels(gan_source *s, const float *labels, int64_t n, int classes,
                             const char *const *names) {
    gan_src_field *f = gan_source_add_field(s, "label", GAN_FIELD_INT, 0, 0, NULL);
    if (!f) return GAN_ERR_ARG;
    f->info.classes = classes;
    f->f32 = malloc(sizeof(float) * (size_t)n);
    f->names = names ? calloc((size_t)classes, sizeof *f->names) : NULL;
    if (!f->f32 || (names && !f->names)) return gan_fail(GAN_ERR_NOMEM, "out of memory for labels");
    memcpy(f->f32, labels, sizeof(float) * (size_t)n);
    for (int k = 0; names && k < classes; k++)
        if (!(f->names[k] = gan_strdup(names[k]))) return gan_fail(GAN_ERR_NOMEM, "out of memory");
    return GAN_OK;
}

static gan_status add_index(gan_source *s, const char *name, int domain) {
    return gan_source_add_field(s, name, GAN_FIELD_INDEX, domain, 0, NULL) ? GAN_OK : GAN_ERR_ARG;
}

gan_status gan_source_open_dataset(const char *spec, const gan_source_opts *o, gan_source **out) {
    gan_u8_images im;
    gan_u8_labels lb;
    gan_status st = gan_dataset_load(spec, o->size, &im, &lb);
    if (st) return st;
    gan_source *s = gan_source_alloc(lb.n ? "labelled images" : "images");
    float *fl = lb.n ? malloc(sizeof(float) * (size_t)lb.n) : NULL;
    if (!s || (lb.n && !fl)) {
        st = gan_fail(GAN_ERR_NOMEM, "%s: out of memory", spec);
    } else {
        for (int i = 0; i < lb.n; i++) fl[i] = lb.data[i];
        int fm = !strncmp(spec, "fashion-mnist", 13) && lb.num_classes <= 10;
        st = gan_source_add_images(s, "image", 0, &im);
        if (!st && lb.n) st = add_labels(s, fl, lb.n, lb.num_classes, fm ? fmnist_classes : NULL);
        if (!st) st = add_index(s, "index", 0);
    }
    free(fl);
    gan_u8_images_free(&im);
    gan_u8_labels_free(&lb);
    if (st) {
        gan_source_free(s);
        return st;
    }
    return gan_source_finish(s, o->seed, out);
}

/* Every file of every class folder, class by class; label[i] = class of file i. */
static gan_status list_classes(const char *dir, gan_name_list *classes, gan_name_list *files,
                               int **label) {
    int skipped = 0;
    gan_status st = gan_list_kind(dir, 1, classes, &skipped);
    if (st) return st;
    if (classes->n == 0)
        return gan_fail(GAN_ERR_FORMAT, "%s: no class subfolders (expected DIR/<class>/<images>)", dir);
    if (classes->n > (1u << 24))
        return gan_fail(GAN_ERR_FORMAT, "%s: more than 2^24 classes", dir);
    size_t cap = 0;
    for (size_t k = 0; k < classes->n && !st; k++) {
        char *sub = gan_path_join(dir, classes->v[k]);
        gan_name_list names = {0};
        size_t before = files->n;
        st = sub ? gan_list_kind(sub, 0, &names, &skipped) : gan_fail(GAN_ERR_NOMEM, "out of memory");
        for (size_t i = 0; i < names.n && !st; i++)
            if (!gan_name_list_push(files, gan_path_join(sub, names.v[i])))
                st = gan_fail(GAN_ERR_NOMEM, "%s: out of memory listing", dir);
        if (!st && files->n == before)
            st = gan_fail(GAN_ERR_FORMAT, "%s: class folder holds no files", sub);
        if (!st && files->n > cap) {
            cap = files->n * 2;
            int *l = realloc(*label, cap * sizeof *l);
            if (!l) st = gan_fail(GAN_ERR_NOMEM, "%s: out of memory listing", dir);
            else *label = l;
        }
        for (size_t i = before; i < files->n && !st; i++) (*label)[i] = (int)k;
        gan_name_list_free(&names);
        free(sub);
    }
    return st;
}

gan_status gan_source_open_classes(const char *dir, const gan_source_opts *o, gan_source **out) {
    gan_name_list classes = {0}, files = {0};
    int *label = NULL;
    size_t *kept = NULL;
    float *fl = NULL;
    gan_u8_images im = {0};
    gan_source *s = NULL;
    gan_status st = list_classes(dir, &classes, &files, &label);
    gan_image_opts io = {.size = gan_source_image_size(o), .background = o->background,
                         .skip_non_images = 1};
    if (!st && !(kept = malloc(files.n * sizeof *kept)))
        st = gan_fail(GAN_ERR_NOMEM, "%s: out of memory", dir);
    if (!st) st = gan_image_files_load(dir, files.v, files.n, &io, &im, NULL, kept, NULL);
    /* a class whose files were all skipped as non-images has no samples: torchvision refuses */
    int *seen = st ? NULL : calloc(classes.n, sizeof *seen);
    if (!st && !seen) st = gan_fail(GAN_ERR_NOMEM, "%s: out of memory", dir);
    if (!st && !(fl = malloc(sizeof(float) * (size_t)im.n)))
        st = gan_fail(GAN_ERR_NOMEM, "%s: out of memory", dir);
    for (int i = 0; !st && i < im.n; i++) seen[label[kept[i]]] = 1, fl[i] = (float)label[kept[i]];
    for (size_t k = 0; !st && k < classes.n; k++)
        if (!seen[k]) st = gan_fail(GAN_ERR_FORMAT, "%s/%s: class folder holds no PNG or JPEG "
                                    "images", dir, classes.v[k]);
    if (!st && !(s = gan_source_alloc("classes"))) st = gan_fail(GAN_ERR_NOMEM, "out of memory");
    if (!st) st = gan_source_add_images(s, "image", 0, &im);
    if (!st) st = add_labels(s, fl, gan_source_len(s, 0), (int)classes.n,
                             (const char *const *)classes.v);
    if (!st) st = add_index(s, "index", 0);
    free(seen), free(fl), free(kept), free(label);
    gan_u8_images_free(&im);
    gan_name_list_free(&classes);
    gan_name_list_free(&files);
    if (st) {
        gan_source_free(s);
        return st;
    }
    return gan_source_finish(s, o->seed, out);
}
