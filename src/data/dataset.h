/* dataset.h — resolving --data to images in memory (moves into gan.h with the data section). */
#ifndef GAN_DATASET_H
#define GAN_DATASET_H
#include "gan.h"

#define GAN_FASHION_MNIST_DIR "/usr/share/datasets/fashion-mnist"

/* spec: "fashion-mnist" (Debian's dataset-fashion-mnist, train split, or "fashion-mnist:test"),
 * an IDX image file (its label file is loaded too when it sits beside it), or a folder of
 * PNG/JPEG images. Images come back as (N, H, W, C) bytes; labels zeroed when there are none.
 * size > 0 asks for square size x size images (folders are resized and centre-cropped; IDX
 * images must already have that size, else GAN_ERR_MISMATCH). */
gan_status gan_dataset_load(const char *spec, int size, gan_u8_images *images,
                            gan_u8_labels *labels);
/* (N, H, W, C) bytes -> (N, C, H, W) bytes, as the batcher wants (in place through a copy). */
void gan_u8_images_to_nchw(gan_u8_images *im);
/* A folder of PNG/JPEG images (and its subfolders, one level down), sorted by name, each
 * resized (shorter side = size) and centre-cropped to size x size as torchvision's
 * Resize + CenterCrop on PIL images; C = 1 when every image is grey, else 3; alpha dropped.
 * size must be > 0. *n_skipped (may be NULL): files that are not PNG/JPEG (src/data/image_folder.c). */
gan_status gan_image_folder_load(const char *dir, int size, gan_u8_images *out);
gan_status gan_image_folder_load_ex(const char *dir, int size, gan_u8_images *out,
                                    int *n_skipped);
#endif
