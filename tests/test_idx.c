/* test_idx.c — IDX loaders: round trips of files written here (plain and gzipped), every kind
 * of malformed file (each must give the right status and a message naming the file), and the
 * real Fashion-MNIST files against counts and checksums computed independently with Python. */
#include "harness.h"
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

static char dir[64];

static const char *path_in_dir(const char *name) {
    static char buf[8][256];
    static int k;
    char *p = buf[k++ % 8];
    snprintf(p, 256, "%s/%s", dir, name);
    return p;
}

static void put_be32(uint8_t *p, uint32_t v) {
    p[0] = (uint8_t)(v >> 24), p[1] = (uint8_t)(v >> 16), p[2] = (uint8_t)(v >> 8), p[3] = (uint8_t)v;
}

static void write_raw(const char *path, const void *data, size_t n) {
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(data, 1, n, f) != n) {
        fprintf(stderr, "cannot write %s\n", path);
        abort();
    }
    fclose(f);
}

static void write_gz(const char *path, const void *data, size_t n) {
    gzFile g = gzopen(path, "wb");
    if (!g || gzwrite(g, data, (unsigned)n) != (int)n) {
        fprintf(stderr, "cannot write %s\n", path);
        abort();
    }
    gzclose(g);
}

/* An images file: header (magic, n, h, w) then `npix` bytes of pattern (i * 7 + 3) & 255. */
static size_t make_images(uint8_t *buf, uint32_t magic, uint32_t n, uint32_t h, uint32_t w,
                          size_t npix) {
    put_be32(buf, magic);
    put_be32(buf + 4, n);
    put_be32(buf + 8, h);
    put_be32(buf + 12, w);
    for (size_t i = 0; i < npix; i++) buf[16 + i] = (uint8_t)(i * 7 + 3);
    return 16 + npix;
}

/* A failure must carry the expected status and a one-line message naming the file. */
static void expect_fail(const char *what, gan_status got, gan_status want, const char *path,
                        const char *needle) {
    const char *m = gan_last_error();
    int ok = got == want && strstr(m, path) != NULL && (!needle || strstr(m, needle)) &&
             !strchr(m, '\n');
    th_check(ok, what, "status '%s' (want '%s'), message \"%s\"", gan_status_to_string(got),
             gan_status_to_string(want), m);
}

static void test_round_trip(void) {
    enum { N = 3, H = 4, W = 5 };
    uint8_t buf[16 + N * H * W];
    size_t len = make_images(buf, 0x00000803, N, H, W, N * H * W);
    const char *plain = path_in_dir("img-images-idx3-ubyte"), *gz = path_in_dir("img-images-idx3-ubyte.gz");
    write_raw(plain, buf, len);
    write_gz(gz, buf, len);
    const char *paths[2] = {plain, gz};
    for (int k = 0; k < 2; k++) {
        gan_u8_images im;
        gan_status s = gan_idx_load_images(paths[k], &im);
        int same = s == GAN_OK && im.n == N && im.h == H && im.w == W && im.c == 1 &&
                   memcmp(im.data, buf + 16, N * H * W) == 0;
        th_check(same, k ? "images round trip (gzip)" : "images round trip (plain)",
                 "status %s, dims %d x %d x %d", gan_status_to_string(s), im.n, im.h, im.w);
        gan_u8_images_free(&im);
        th_check(im.data == NULL && im.n == 0, "images free zeroes", "%s", "");
        gan_u8_images_free(&im);                      /* twice is harmless */
    }
    uint8_t lb[8 + 6] = {0, 0, 8, 1, 0, 0, 0, 6, 3, 0, 7, 1, 3, 2};
    const char *lp = path_in_dir("img-labels-idx1-ubyte.gz");
    write_gz(lp, lb, sizeof lb);
    gan_u8_labels l;
    gan_status s = gan_idx_load_labels(lp, &l);
    th_check(s == GAN_OK && l.n == 6 && l.num_classes == 8 && memcmp(l.data, lb + 8, 6) == 0,
             "labels round trip", "status %s, n %d, classes %d", gan_status_to_string(s), l.n,
             l.num_classes);
    gan_u8_labels_free(&l);

    /* labels beside images: gz images find gz labels; plain images find them too (.gz added) */
    char found[256];
    int has = gan_idx_labels_path(gz, found, sizeof found);
    th_check(has && strcmp(found, lp) == 0, "labels path beside gz images", "%d '%s'", has, found);
    has = gan_idx_labels_path(plain, found, sizeof found);
    th_check(has && strcmp(found, lp) == 0, "labels path beside plain images", "%d '%s'", has, found);
    has = gan_idx_labels_path(path_in_dir("other-images-idx3-ubyte"), found, sizeof found);
    th_check(!has && found[0] == '\0', "labels path absent", "%d '%s'", has, found);
    has = gan_idx_labels_path(path_in_dir("pictures.bin"), found, sizeof found);
    th_check(!has && found[0] == '\0', "labels path not derivable", "%d '%s'", has, found);

    /* a dataset: 6 labels for 3 images is a mismatch, and both structs come back empty */
    gan_u8_images im;
    s = gan_idx_load_dataset(gz, lp, &im, &l);
    expect_fail("dataset count mismatch", s, GAN_ERR_MISMATCH, lp, "3 images");
    th_check(im.data == NULL && l.data == NULL && im.n == 0 && l.n == 0,
             "mismatch leaves both empty", "%s", "");
    uint8_t lb3[8 + 3] = {0, 0, 8, 1, 0, 0, 0, 3, 2, 0, 1};
    const char *lp3 = path_in_dir("three-labels");
    write_raw(lp3, lb3, sizeof lb3);
    s = gan_idx_load_dataset(gz, lp3, &im, &l);
    th_check(s == GAN_OK && im.n == 3 && l.n == 3 && l.num_classes == 3, "dataset loads",
             "status %s", gan_status_to_string(s));
    gan_u8_images_free(&im);
    gan_u8_labels_free(&l);
    s = gan_idx_load_dataset(gz, NULL, &im, &l);
    th_check(s == GAN_OK && im.n == 3 && l.data == NULL && l.n == 0, "dataset without labels",
             "status %s", gan_status_to_string(s));
    gan_u8_images_free(&im);
}

static void test_malformed(void) {
    static uint8_t buf[16 + 4096];
    gan_u8_images im;
    gan_u8_labels lb;
    gan_status s;
    const char *p;

    p = path_in_dir("does-not-exist.gz");
    s = gan_idx_load_images(p, &im);
    expect_fail("missing file", s, GAN_ERR_IO, p, "No such file");
    th_check(im.data == NULL, "failure leaves the struct zeroed", "%s", "");

    p = dir;
    s = gan_idx_load_images(p, &im);
    expect_fail("a folder", s, GAN_ERR_IO, p, "folder");

    p = path_in_dir("empty");
    write_raw(p, buf, 0);
    s = gan_idx_load_images(p, &im);
    expect_fail("empty file", s, GAN_ERR_FORMAT, p, "empty");

    p = path_in_dir("short-header");
    make_images(buf, 0x00000803, 2, 2, 2, 0);
    write_raw(p, buf, 9);
    s = gan_idx_load_images(p, &im);
    expect_fail("truncated header", s, GAN_ERR_FORMAT, p, "truncated");

    p = path_in_dir("labels-as-images");
    make_images(buf, 0x00000801, 2, 2, 2, 8);
    write_raw(p, buf, 24);
    s = gan_idx_load_images(p, &im);
    expect_fail("label magic given to the image loader", s, GAN_ERR_FORMAT, p, "0x00000801");

    p = path_in_dir("png-as-idx");
    write_raw(p, "\x89PNG\r\n\x1a\n", 8);
    s = gan_idx_load_images(p, &im);
    expect_fail("not an IDX file", s, GAN_ERR_FORMAT, p, "bad magic");

    p = path_in_dir("float-idx");
    make_images(buf, 0x00000D03, 1, 1, 1, 4);
    write_raw(p, buf, 20);
    s = gan_idx_load_images(p, &im);
    expect_fail("float element type", s, GAN_ERR_FORMAT, p, "element type 0x0d");

    p = path_in_dir("images-as-labels");
    make_images(buf, 0x00000803, 1, 1, 1, 1);
    write_raw(p, buf, 17);
    s = gan_idx_load_labels(p, &lb);
    expect_fail("image magic given to the label loader", s, GAN_ERR_FORMAT, p, "expected 0x00000801");

    p = path_in_dir("n-overflow");
    make_images(buf, 0x00000803, 0xFFFFFFFFu, 28, 28, 16);
    write_raw(p, buf, 32);
    s = gan_idx_load_images(p, &im);
    expect_fail("image count over INT_MAX", s, GAN_ERR_FORMAT, p, "out of range");

    p = path_in_dir("zero-height");
    make_images(buf, 0x00000803, 1, 0, 28, 0);
    write_raw(p, buf, 16);
    s = gan_idx_load_images(p, &im);
    expect_fail("zero height", s, GAN_ERR_FORMAT, p, "out of range");

    p = path_in_dir("lbl-zero");
    write_raw(p, "\0\0\x08\x01\0\0\0\0", 8);
    s = gan_idx_load_labels(p, &lb);
    expect_fail("zero labels", s, GAN_ERR_FORMAT, p, "out of range");

    /* claims INT_MAX images of 65535 x 65535 (9 exabytes): must fail as truncated after
     * reading the few bytes there are, not try to allocate */
    p = path_in_dir("huge-claim.gz");
    make_images(buf, 0x00000803, INT_MAX, 65535, 65535, 100);
    write_gz(p, buf, 116);
    s = gan_idx_load_images(p, &im);
    expect_fail("huge dims, tiny file", s, GAN_ERR_FORMAT, p, "truncated");

    p = path_in_dir("truncated-pixels");
    size_t len = make_images(buf, 0x00000803, 4, 8, 8, 4 * 64);
    write_raw(p, buf, len - 10);
    s = gan_idx_load_images(p, &im);
    expect_fail("truncated pixels (plain)", s, GAN_ERR_FORMAT, p, "246 of 256");

    p = path_in_dir("truncated-pixels.gz");
    write_gz(p, buf, len - 1);
    s = gan_idx_load_images(p, &im);
    expect_fail("truncated pixels (gzip)", s, GAN_ERR_FORMAT, p, "truncated");

    p = path_in_dir("trailing");
    memset(buf + len, 0, 5);
    write_raw(p, buf, len + 5);
    s = gan_idx_load_images(p, &im);
    expect_fail("trailing data", s, GAN_ERR_FORMAT, p, "trailing");

    p = path_in_dir("labels-truncated.gz");
    uint8_t l10[8 + 10] = {0, 0, 8, 1, 0, 0, 0, 10};
    write_gz(p, l10, 15);
    s = gan_idx_load_labels(p, &lb);
    expect_fail("truncated labels", s, GAN_ERR_FORMAT, p, "7 of 10");

    /* a gzip file cut in half, and one with a corrupted body: zlib's own checks must surface */
    const char *good = path_in_dir("good.gz");
    write_gz(good, buf, len);
    FILE *f = fopen(good, "rb");
    static uint8_t z[8192];
    size_t zn = fread(z, 1, sizeof z, f);
    fclose(f);
    p = path_in_dir("cut.gz");
    write_raw(p, z, zn / 2);
    s = gan_idx_load_images(p, &im);
    expect_fail("gzip stream cut in half", s, GAN_ERR_FORMAT, p, NULL);
    p = path_in_dir("crc.gz");
    z[zn - 6] ^= 0x5A;                              /* inside the CRC-32 of the trailer */
    write_raw(p, z, zn);
    s = gan_idx_load_images(p, &im);
    expect_fail("gzip CRC mismatch", s, GAN_ERR_FORMAT, p, "gzip");
    th_check(im.data == NULL, "nothing returned on failure", "%s", "");
}

/* Damaged copies of a small IDX file, plain and gzipped: load or fail naming the file. */
static void test_fuzz(void) {
    static uint8_t orig[16 + 120], b[16 + 120];
    size_t n = make_images(orig, 0x00000803, 2, 6, 10, 120);
    const char *p = path_in_dir("fuzz-images"), *pz = path_in_dir("fuzz-images.gz");
    uint64_t rng = 0xD1B54A32D192ED03ull;
    int loaded = 0, refused = 0, bad = 0;
    for (int it = 0; it < 2000; it++) {
        memcpy(b, orig, n);
        size_t len = n;
        for (int e = 0; e < 1 + it % 3; e++) {
            rng = rng * 6364136223846793005ull + 1442695040888963407ull;
            size_t at = (size_t)(rng >> 33) % (it % 2 ? len : 16);   /* half hit the header */
            switch ((rng >> 20) % 3) {
            case 0: b[at] ^= (uint8_t)(1u << ((rng >> 8) % 8)); break;
            case 1: b[at] = (uint8_t)(rng >> 40); break;
            case 2: len = at + 1; break;
            }
        }
        const char *q = it % 4 < 2 ? p : pz;
        if (q == p) write_raw(q, b, len);
        else write_gz(q, b, len);
        gan_u8_images im;
        gan_status s = gan_idx_load_images(q, &im);
        if (s == GAN_OK) {
            loaded++;
            bad += (int64_t)im.n * im.h * im.w + 16 != (int64_t)len;
        } else {
            refused++;
            bad += strstr(gan_last_error(), q) == NULL || im.data != NULL;
        }
        gan_u8_images_free(&im);
    }
    th_check(bad == 0, "fuzz: 2000 damaged IDX files", "%d loaded, %d refused, %d bad", loaded,
             refused, bad);
}

static void test_fashion_mnist(void) {
    const char *root = "/usr/share/datasets/fashion-mnist";
    struct stat st;
    if (stat(root, &st) != 0) {
        th_check(0, "fashion-mnist present", "%s is missing: install the dataset (CI does) to "
                 "run this test", root);
        return;
    }
    /* independent values: numpy over the gunzipped files (pixel sum, zlib.crc32) */
    const struct { const char *split; int n; uint64_t sum; uint32_t crc_im, crc_lb; int per_class; }
        want[2] = {{"train", 60000, 3431114169ull, 2925911245u, 785835114u, 6000},
                   {"t10k", 10000, 573469082ull, 309494841u, 606848831u, 1000}};
    for (int k = 0; k < 2; k++) {
        char ip[256], lp[256], guess[256];
        snprintf(ip, sizeof ip, "%s/%s-images-idx3-ubyte.gz", root, want[k].split);
        snprintf(lp, sizeof lp, "%s/%s-labels-idx1-ubyte.gz", root, want[k].split);
        int has = gan_idx_labels_path(ip, guess, sizeof guess);
        th_check(has && strcmp(guess, lp) == 0, "fashion-mnist label file found", "%s", guess);
        gan_u8_images im;
        gan_u8_labels lb;
        gan_status s = gan_idx_load_dataset(ip, lp, &im, &lb);
        if (!th_check(s == GAN_OK, "fashion-mnist loads", "%s: %s", want[k].split,
                      s == GAN_OK ? "ok" : gan_last_error()))
            continue;
        th_check(im.n == want[k].n && im.h == 28 && im.w == 28 && im.c == 1 && lb.n == want[k].n,
                 "fashion-mnist dims", "%s: %d x %d x %d, %d labels", want[k].split, im.n, im.h,
                 im.w, lb.n);
        uint64_t sum = 0;
        for (int64_t i = 0; i < (int64_t)im.n * 784; i++) sum += im.data[i];
        uint32_t ci = (uint32_t)crc32(0, im.data, (uInt)((int64_t)im.n * 784));
        uint32_t cl = (uint32_t)crc32(0, lb.data, (uInt)lb.n);
        th_check(sum == want[k].sum && ci == want[k].crc_im && cl == want[k].crc_lb,
                 "fashion-mnist contents", "%s: sum %llu crc %u/%u", want[k].split,
                 (unsigned long long)sum, ci, cl);
        int count[256] = {0}, ok = lb.num_classes == 10;
        for (int i = 0; i < lb.n; i++) count[lb.data[i]]++;
        for (int c = 0; c < 10; c++) ok &= count[c] == want[k].per_class;
        th_check(ok, "fashion-mnist labels 0-9, balanced", "%s: %d classes, class 0: %d",
                 want[k].split, lb.num_classes, count[0]);
        gan_u8_images_free(&im);
        gan_u8_labels_free(&lb);
    }
}

static void remove_dir(void) {
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", dir);
}

int main(void) {
    snprintf(dir, sizeof dir, "/tmp/gan_test_idx_XXXXXX");
    if (!mkdtemp(dir)) {
        th_check(0, "temp dir", "%s", "mkdtemp failed");
        return th_done("test_idx");
    }
    test_round_trip();
    test_malformed();
    test_fuzz();
    test_fashion_mnist();
    remove_dir();
    return th_done("test_idx");
}
