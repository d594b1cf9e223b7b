/* dataset.c — resolves --data: a named dataset, an IDX file or an image folder. */
#include "internal.h"
#include <stdio.h>
#include <sys/stat.h>

gan_status gan_dataset_load(const char *spec, int size, gan_u8_images *images,
                            gan_u8_labels *labels) {
    memset(images, 0, sizeof *images);
    memset(labels, 0, sizeof *labels);
    char img[4096], lab[4096];
    struct stat st;
    if (!strcmp(spec, "fashion-mnist") || !strcmp(spec, "fashion-mnist:train") ||
        !strcmp(spec, "fashion-mnist:test")) {
        const char *split = strstr(spec, ":test") ? "t10k" : "train";
        snprintf(img, sizeof img, "%s/%s-images-idx3-ubyte.gz", GAN_FASHION_MNIST_DIR, split);
        snprintf(lab, sizeof lab, "%s/%s-labels-idx1-ubyte.gz", GAN_FASHION_MNIST_DIR, split);
        if (stat(img, &st) != 0)
            return gan_fail(GAN_ERR_IO, "--data fashion-mnist: %s not found (install Debian's "
                            "dataset-fashion-mnist: sudo scripts/install-deps.sh)", img);
    } else if (stat(spec, &st) != 0) {
        return gan_fail(GAN_ERR_IO, "--data %s: no such file or folder (expected fashion-mnist, "
                        "an IDX image file or a folder of PNG/JPEG images)", spec);
    } else if (S_ISDIR(st.st_mode)) {
        return gan_image_folder_load(spec, size > 0 ? size : 64, images);
    } else {
        snprintf(img, sizeof img, "%s", spec);
        if (!gan_idx_labels_path(spec, lab, sizeof lab)) lab[0] = 0;
    }
    gan_status s = gan_idx_load_dataset(img, lab[0] ? lab : NULL, images, labels);
    if (s) return s;
    if (size > 0 && (images->h != size || images->w != size)) {
        int h = images->h, w = images->w;
        gan_u8_images_free(images);
        gan_u8_labels_free(labels);
        return gan_fail(GAN_ERR_MISMATCH, "%s: images are %dx%d but the model needs %dx%d", img,
                        h, w, size, size);
    }
    return GAN_OK;
}

void gan_u8_images_to_nchw(gan_u8_images *im) {
    if (im->c == 1) return; /* (N,H,W,1) and (N,1,H,W) are the same bytes */
    int64_t per = (int64_t)im->h * im->w * im->c;
    uint8_t *tmp = gan_malloc((size_t)per);
    for (int n = 0; n < im->n; n++) {
        uint8_t *p = im->data + per * n;
        for (int y = 0; y < im->h; y++)
            for (int x = 0; x < im->w; x++)
                for (int c = 0; c < im->c; c++)
                    tmp[((int64_t)c * im->h + y) * im->w + x] = p[((int64_t)y * im->w + x) * im->c + c];
        memcpy(p, tmp, (size_t)per);
    }
    gan_free(tmp);
}
