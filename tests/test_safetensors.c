/* test_safetensors.c — checkpoint files: the exact bytes of a small file (checked at
 * development time with Python's json + struct and torch.frombuffer), round trips of every
 * dtype and shape kind, files written the way other tools write them, every malformed header
 * we can think of, and atomic writing (a failed write leaves the old file and no temp file). */
#include "harness.h"
#include <dirent.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

static char dir[64];

static const char *path_in_dir(const char *name) {
    static char buf[8][256];
    static int k;
    char *p = buf[k++ % 8];
    snprintf(p, 256, "%s/%s", dir, name);
    return p;
}

static void expect_fail(const char *what, gan_status got, gan_status want, const char *path,
                        const char *needle) {
    const char *m = gan_last_error();
    int ok = got == want && strstr(m, path) != NULL && (!needle || strstr(m, needle)) &&
             !strchr(m, '\n');
    th_check(ok, what, "status '%s' (want '%s'), message \"%s\"", gan_status_to_string(got),
             gan_status_to_string(want), m);
}

/* Whole file into a malloc'd buffer (NULL if absent). */
static uint8_t *slurp(const char *path, size_t *n) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *b = malloc((size_t)len + 1);
    *n = fread(b, 1, (size_t)len, f);
    fclose(f);
    return b;
}

static void write_raw(const char *path, const void *data, size_t n) {
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(data, 1, n, f) != n) abort();
    fclose(f);
}

/* A safetensors file from a header string and `data_len` data bytes (value i & 255). */
static const char *craft(const char *name, const char *json, size_t data_len) {
    const char *p = path_in_dir(name);
    size_t hl = strlen(json);
    uint8_t *b = malloc(8 + hl + data_len + 1);
    for (int i = 0; i < 8; i++) b[i] = (uint8_t)((uint64_t)hl >> (8 * i));
    memcpy(b + 8, json, hl);
    for (size_t i = 0; i < data_len; i++) b[8 + hl + i] = (uint8_t)i;
    write_raw(p, b, 8 + hl + data_len);
    free(b);
    return p;
}

static int count_temp_files(void) {
    DIR *d = opendir(dir);
    int n = 0;
    for (struct dirent *e; d && (e = readdir(d));) n += strstr(e->d_name, ".tmp.") != NULL;
    if (d) closedir(d);
    return n;
}

static void test_golden(void) {
    /* verified with Python: json.loads(header) == {"__metadata__": {"k": "v"}, "a": {"dtype":
     * "F32", "shape": [2], "data_offsets": [0, 8]}}, torch.frombuffer(data) == [1., 2.];
     * the header is padded with one space so the data starts 8-byte aligned */
    static const char want_hdr[] =
        "{\"__metadata__\":{\"k\":\"v\"},\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}} ";
    const char *p = path_in_dir("tiny.safetensors");
    gan_st_writer *w = gan_st_writer_new();
    gan_st_add_f32(w, "a", GAN_SHAPE(2), (const float[]){1.0f, 2.0f});
    gan_st_set_meta(w, "k", "v");
    gan_status s = gan_st_write(w, p);
    gan_st_writer_free(w);
    size_t n = 0;
    uint8_t *b = slurp(p, &n);
    const size_t hl = sizeof want_hdr - 1;
    int ok = s == GAN_OK && b && n == 8 + hl + 8 && b[0] == hl && !b[1] && !b[2] && !b[3] &&
             !b[4] && !b[5] && !b[6] && !b[7] && memcmp(b + 8, want_hdr, hl) == 0 &&
             memcmp(b + 8 + hl, "\x00\x00\x80\x3f\x00\x00\x00\x40", 8) == 0;
    th_check(ok, "golden bytes of a small file", "status %s, %zu bytes", gan_status_to_string(s), n);
    free(b);
}

static void test_round_trip(void) {
    static float x[3 * 4 * 5];
    for (int i = 0; i < 60; i++) x[i] = (float)i * 0.25f - 3.0f;
    const int64_t step = 123456789012345LL;
    const uint8_t u[5] = {1, 2, 3, 250, 255};
    const float sc = 3.5f;
    const char *cfg = "{\"model\": \"dcgan\", \"z\": 100}\n\xc3\xa9\t\"q\"\\";
    const char *p = path_in_dir("ckpt.safetensors");
    gan_st_writer *w = gan_st_writer_new();
    gan_status s = GAN_OK;
    s |= gan_st_add(w, "u8", GAN_DTYPE_U8, GAN_SHAPE(5), u);
    s |= gan_st_add_f32(w, "main.0.weight", GAN_SHAPE(3, 4, 5), x);
    s |= gan_st_add(w, "step", GAN_DTYPE_I64, 0, NULL, &step);
    s |= gan_st_add_f32(w, "scalar", 0, NULL, &sc);
    s |= gan_st_add_f32(w, "empty", GAN_SHAPE(0, 3), NULL);
    s |= gan_st_set_meta(w, "config", cfg);
    s |= gan_st_set_meta(w, "seed", "1");
    s |= gan_st_set_meta(w, "seed", "42");            /* replaces */
    s |= gan_st_write(w, p);
    gan_st_writer_free(w);
    th_check(s == GAN_OK, "write a checkpoint", "%s", s ? gan_last_error() : "ok");

    gan_st_file *f;
    s = gan_st_open(p, &f);
    if (!th_check(s == GAN_OK, "open it again", "%s", s ? gan_last_error() : "ok")) return;
    /* file order: 8-byte types first, then 4-byte in the order added, then bytes */
    const char *order[5] = {"step", "main.0.weight", "scalar", "empty", "u8"};
    int ok = gan_st_count(f) == 5;
    for (int i = 0; ok && i < 5; i++) {
        const gan_st_info *t = gan_st_tensor_info(f, i);
        ok = strcmp(t->name, order[i]) == 0 && t->offset % (uint64_t)(t->dtype == GAN_DTYPE_I64 ? 8 : 4) == 0;
    }
    th_check(ok, "tensors listed in file order, aligned", "count %d", gan_st_count(f));
    const gan_st_info *wi = gan_st_find(f, "main.0.weight");
    th_check(wi && wi->dtype == GAN_DTYPE_F32 && strcmp(wi->dtype_name, "F32") == 0 &&
             wi->ndim == 3 && wi->shape[0] == 3 && wi->shape[2] == 5 && wi->numel == 60 &&
             wi->nbytes == 240, "tensor info", "%s", wi ? wi->name : "absent");
    th_check(gan_st_find(f, "nope") == NULL, "find absent", "%s", "");
    th_check(gan_st_meta_count(f) == 2 && strcmp(gan_st_meta(f, "config"), cfg) == 0 &&
             strcmp(gan_st_meta(f, "seed"), "42") == 0 && gan_st_meta(f, "x") == NULL &&
             strcmp(gan_st_meta_key(f, 1), "seed") == 0,
             "metadata round trip (quotes, newline, tab, UTF-8, backslash)", "%d keys",
             gan_st_meta_count(f));
    float y[60] = {0}, ysc = 0;
    int64_t st = 0;
    uint8_t uu[5] = {0};
    s = gan_st_read_f32(f, "main.0.weight", GAN_SHAPE(3, 4, 5), y);
    th_check(s == GAN_OK && memcmp(x, y, sizeof y) == 0, "F32 values bit-exact", "max diff %g",
             th_max_abs_diff(x, y, 60));
    s = gan_st_read(f, "step", GAN_DTYPE_I64, 0, NULL, &st);
    th_check(s == GAN_OK && st == step, "I64 scalar", "%lld", (long long)st);
    s = gan_st_read_f32(f, "scalar", 0, NULL, &ysc);
    th_check(s == GAN_OK && ysc == sc, "F32 scalar", "%g", ysc);
    s = gan_st_read(f, "u8", GAN_DTYPE_U8, GAN_SHAPE(5), uu);
    th_check(s == GAN_OK && memcmp(u, uu, 5) == 0, "U8 values", "%d %d", uu[3], uu[4]);
    s = gan_st_read_f32(f, "empty", GAN_SHAPE(0, 3), y);
    th_check(s == GAN_OK, "empty tensor", "%s", s ? gan_last_error() : "ok");

    s = gan_st_read_f32(f, "main.1.weight", GAN_SHAPE(3, 4, 5), y);
    expect_fail("absent tensor", s, GAN_ERR_MISMATCH, p, "no tensor 'main.1.weight'");
    s = gan_st_read_f32(f, "main.0.weight", GAN_SHAPE(3, 4, 6), y);
    expect_fail("wrong shape", s, GAN_ERR_MISMATCH, p, "has shape (3, 4, 5), expected (3, 4, 6)");
    s = gan_st_read_f32(f, "main.0.weight", GAN_SHAPE(60), y);
    expect_fail("wrong rank", s, GAN_ERR_MISMATCH, p, "expected (60)");
    s = gan_st_read_f32(f, "step", 0, NULL, y);
    expect_fail("wrong dtype", s, GAN_ERR_MISMATCH, p, "is I64, expected F32");
    gan_st_close(f);

    /* through gan_tensor: names and shapes come from the tensors */
    gan_ctx *ctx = gan_ctx_new(0);
    gan_tensor *a = gan_empty(ctx, GAN_SHAPE(2, 3)), *b = gan_zeros(ctx, GAN_SHAPE(2, 3));
    th_fill_randn(a, 7, 1.0f);
    a->name = b->name = "net.fc.weight";
    const char *p2 = path_in_dir("tensor.safetensors");
    w = gan_st_writer_new();
    gan_st_add_tensor(w, a);
    s = gan_st_write(w, p2);
    gan_st_writer_free(w);
    if (s == GAN_OK) s = gan_st_open(p2, &f);
    if (s == GAN_OK) {
        s = gan_st_read_tensor(f, b);
        gan_st_close(f);
    }
    th_check(s == GAN_OK && th_max_abs_diff(a->data, b->data, 6) == 0, "gan_tensor round trip",
             "%s", s ? gan_last_error() : "ok");
    gan_ctx_free(ctx);
}

/* Files as other writers make them: no padding, metadata last, keys out of offset order,
 * dtypes we can list but not read. */
static void test_foreign(void) {
    const char *p = craft("foreign.safetensors",
                          "{\"b\":{\"dtype\":\"BF16\",\"shape\":[2],\"data_offsets\":[4,8]},"
                          "\"a\":{\"shape\":[1],\"dtype\":\"F32\",\"data_offsets\":[0,4]},"
                          "\"__metadata__\":{\"format\":\"pt\"}}", 8);
    gan_st_file *f;
    gan_status s = gan_st_open(p, &f);
    if (!th_check(s == GAN_OK, "open a file written elsewhere", "%s", s ? gan_last_error() : "ok"))
        return;
    const gan_st_info *b = gan_st_find(f, "b");
    float a = 0;
    uint8_t raw[4] = {0, 1, 2, 3};
    float want;
    memcpy(&want, raw, 4);
    th_check(gan_st_count(f) == 2 && strcmp(gan_st_tensor_info(f, 0)->name, "a") == 0 && b &&
             b->dtype == GAN_DTYPE_OTHER && strcmp(b->dtype_name, "BF16") == 0 &&
             strcmp(gan_st_meta(f, "format"), "pt") == 0,
             "foreign file listed", "%d tensors", gan_st_count(f));
    s = gan_st_read_f32(f, "a", GAN_SHAPE(1), &a);
    th_check(s == GAN_OK && memcmp(&a, &want, 4) == 0, "foreign F32 value", "%s", "");
    s = gan_st_read_f32(f, "b", GAN_SHAPE(2), &a);
    expect_fail("BF16 read as F32", s, GAN_ERR_MISMATCH, p, "is BF16");
    gan_st_close(f);
    p = craft("empty.safetensors", "{}", 0);
    s = gan_st_open(p, &f);
    th_check(s == GAN_OK && gan_st_count(f) == 0 && gan_st_meta_count(f) == 0,
             "empty header is valid", "%s", s ? gan_last_error() : "ok");
    gan_st_close(f);
}

static void test_malformed(void) {
    gan_st_file *f = (gan_st_file *)1;
    gan_status s;
    const char *p;
#define F32A(o) "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":" o "}}"
    static const struct { const char *name, *json; size_t data; const char *needle; } bad[] = {
        {"bad-json", "{\"a\":{\"dtype\":\"F32\",", 8, "not valid JSON"},
        {"not-object", "[1, 2]", 0, "start with '{'"},
        {"trailing-garbage", "{}  x", 0, "after the JSON"},
        {"entry-not-object", "{\"a\":1}", 0, "not a JSON object"},
        {"missing-offsets", "{\"a\":{\"dtype\":\"F32\",\"shape\":[2]}}", 8, "data_offsets"},
        {"unknown-dtype", "{\"a\":{\"dtype\":\"F31\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8,
         "unknown dtype 'F31'"},
        {"negative-dim", "{\"a\":{\"dtype\":\"F32\",\"shape\":[-2],\"data_offsets\":[0,8]}}", 8, "shape[0]"},
        {"fraction-dim", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1.5],\"data_offsets\":[0,8]}}", 8, "shape[0]"},
        {"string-dim", "{\"a\":{\"dtype\":\"F32\",\"shape\":[\"2\"],\"data_offsets\":[0,8]}}", 8, "shape[0]"},
        {"nine-dims", "{\"a\":{\"dtype\":\"U8\",\"shape\":[1,1,1,1,1,1,1,1,1],\"data_offsets\":[0,1]}}",
         1, "9 dimensions"},
        {"dims-overflow", "{\"a\":{\"dtype\":\"F32\",\"shape\":[2147483647,2147483647,2147483647],"
         "\"data_offsets\":[0,8]}}", 8, "overflows"},
        {"offsets-past-end", F32A("[0,400]"), 8, "run past the data section"},
        {"offsets-huge", F32A("[0,1e300]"), 8, "data_offsets must be"},
        {"offsets-reversed", F32A("[8,0]"), 8, "data_offsets must be"},
        {"offsets-one", F32A("[0]"), 8, "data_offsets must be"},
        {"offsets-vs-shape", F32A("[0,4]"), 4, "hold 4 bytes, but F32 (2) needs 8"},
        {"overlap", "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
         "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 12, "overlap"},
        {"gap", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
         "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]}}", 12, "belong to no tensor"},
        {"extra-data", F32A("[0,8]"), 16, "8 bytes after the last tensor"},
        {"duplicate", "{\"a\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]},"
         "\"a\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[1,2]}}", 2, "appears twice"},
        {"meta-not-string", "{\"__metadata__\":{\"step\":5}}", 0, "not a string"},
        {"meta-not-object", "{\"__metadata__\":\"x\"}", 0, "not a JSON object"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        p = craft(bad[i].name, bad[i].json, bad[i].data);
        f = (gan_st_file *)1;
        s = gan_st_open(p, &f);
        char what[64];
        snprintf(what, sizeof what, "malformed: %s", bad[i].name);
        expect_fail(what, s, GAN_ERR_FORMAT, p, bad[i].needle);
        th_check(f == NULL, "failed open returns NULL", "%s", bad[i].name);
    }

    p = path_in_dir("missing.safetensors");
    s = gan_st_open(p, &f);
    expect_fail("missing file", s, GAN_ERR_IO, p, "No such file");
    s = gan_st_open(dir, &f);
    expect_fail("a folder", s, GAN_ERR_IO, dir, "not a regular file");
    p = path_in_dir("five-bytes");
    write_raw(p, "\x10\0\0\0\0", 5);
    s = gan_st_open(p, &f);
    expect_fail("shorter than the length field", s, GAN_ERR_FORMAT, p, "truncated");
    p = path_in_dir("header-past-end");
    write_raw(p, "\xe8\x03\0\0\0\0\0\0{\"a\":{}}", 16);
    s = gan_st_open(p, &f);
    expect_fail("header length larger than the file", s, GAN_ERR_FORMAT, p, "exceeds the file size");
    p = path_in_dir("header-2-63");
    write_raw(p, "\0\0\0\0\0\0\0\x80{}", 10);
    s = gan_st_open(p, &f);
    expect_fail("header length 2^63", s, GAN_ERR_FORMAT, p, "exceeds the file size");
    /* a real checkpoint cut short: the offsets now run past the data */
    size_t n;
    uint8_t *b = slurp(path_in_dir("ckpt.safetensors"), &n);
    p = path_in_dir("cut.safetensors");
    if (b) write_raw(p, b, n - 3);
    free(b);
    s = gan_st_open(p, &f);
    expect_fail("truncated checkpoint", s, GAN_ERR_FORMAT, p, "run past the data section");
}

/* SQLite-style: thousands of damaged copies of a real checkpoint (bytes flipped, cut short,
 * bytes inserted). Each must open cleanly or fail with a message naming the file; what opens
 * must read back without a failure. Run under SAN=1 this finds any out-of-bounds access. */
static void test_fuzz(void) {
    size_t n;
    uint8_t *orig = slurp(path_in_dir("ckpt.safetensors"), &n);
    if (!th_check(orig != NULL, "fuzz: seed file", "%s", "")) return;
    uint8_t *b = malloc(n + 16);
    const char *p = path_in_dir("fuzz.safetensors");
    uint64_t rng = 0x9E3779B97F4A7C15ull;
    int opened = 0, failed = 0, bad = 0;
    for (int it = 0; it < 3000; it++) {
        memcpy(b, orig, n);
        size_t len = n;
        int edits = 1 + it % 4;
        for (int e = 0; e < edits; e++) {
            rng = rng * 6364136223846793005ull + 1442695040888963407ull;
            size_t at = (size_t)(rng >> 33) % len;
            switch ((rng >> 20) % 4) {
            case 0: b[at] ^= (uint8_t)(1u << ((rng >> 8) % 8)); break;
            case 1: b[at] = (uint8_t)(rng >> 40); break;
            case 2: len = at + 1; break;
            case 3: if (len < n + 16) { memmove(b + at + 1, b + at, len - at); b[at] = '"'; len++; } break;
            }
        }
        write_raw(p, b, len);
        gan_st_file *f;
        gan_status s = gan_st_open(p, &f);
        if (s != GAN_OK) {
            failed++;
            bad += strstr(gan_last_error(), p) == NULL;
            continue;
        }
        opened++;
        for (int i = 0; i < gan_st_count(f); i++) {
            const gan_st_info *t = gan_st_tensor_info(f, i);
            if (t->dtype == GAN_DTYPE_OTHER || t->nbytes > (1u << 20)) continue;
            void *dst = malloc(t->nbytes ? t->nbytes : 1);
            bad += gan_st_read(f, t->name, t->dtype, t->ndim, t->shape, dst) != GAN_OK;
            free(dst);
        }
        gan_st_close(f);
    }
    th_check(bad == 0, "fuzz: 3000 damaged checkpoints", "%d opened, %d refused, %d bad", opened,
             failed, bad);
    free(b);
    free(orig);
}

static void test_writer_errors(void) {
    const char *p = path_in_dir("refused.safetensors");
    float v[2] = {1, 2};
    gan_st_writer *w = gan_st_writer_new();
    gan_status s = gan_st_add_f32(w, "x", GAN_SHAPE(2), v);
    th_check(s == GAN_OK, "add", "%s", "");
    s = gan_st_add_f32(w, "x", GAN_SHAPE(2), v);
    expect_fail("duplicate name refused", s, GAN_ERR_ARG, "'x'", "duplicate");
    s = gan_st_add_f32(w, "__metadata__", GAN_SHAPE(2), v);
    expect_fail("__metadata__ refused", s, GAN_ERR_ARG, "__metadata__", "reserved");
    s = gan_st_add_f32(w, "bad\xff", GAN_SHAPE(2), v);
    expect_fail("invalid UTF-8 refused", s, GAN_ERR_ARG, "safetensors", "UTF-8");
    s = gan_st_add_f32(w, "neg", GAN_SHAPE(2, -1), v);
    expect_fail("negative dim refused", s, GAN_ERR_ARG, "'neg'", "shape");
    s = gan_st_add_f32(w, "deep", 9, (const int[]){1, 1, 1, 1, 1, 1, 1, 1, 1}, v);
    expect_fail("9 dims refused", s, GAN_ERR_ARG, "'deep'", "ndim");
    s = gan_st_add(w, "f16", GAN_DTYPE_OTHER, GAN_SHAPE(1), v);
    expect_fail("unwritable dtype refused", s, GAN_ERR_ARG, "'f16'", "only F32");
    s = gan_st_write(w, p);
    expect_fail("a writer that refused a tensor does not write", s, GAN_ERR_ARG, p, "duplicate");
    th_check(access(p, F_OK) != 0 && count_temp_files() == 0, "nothing written", "%s", "");
    gan_st_writer_free(w);
}

static void test_atomic(void) {
    float small[4] = {1, 2, 3, 4};
    const char *p = path_in_dir("atomic.safetensors");
    gan_st_writer *w = gan_st_writer_new();
    gan_st_add_f32(w, "w", GAN_SHAPE(4), small);
    gan_status s = gan_st_write(w, p);
    gan_st_writer_free(w);
    size_t n0 = 0, n1 = 0;
    uint8_t *before = slurp(p, &n0);
    th_check(s == GAN_OK && before, "first checkpoint", "%s", "");

    /* a folder that does not exist: an i/o error naming the file, nothing created */
    const char *q = path_in_dir("no/such/dir/x.safetensors");
    w = gan_st_writer_new();
    gan_st_add_f32(w, "w", GAN_SHAPE(4), small);
    s = gan_st_write(w, q);
    gan_st_writer_free(w);
    expect_fail("write into a missing folder", s, GAN_ERR_IO, q, "No such file");
    th_check(access(q, F_OK) != 0, "no file behind", "%s", "");

    /* the disk "fills up" half-way (RLIMIT_FSIZE): the old checkpoint must survive intact */
    static float big[1 << 18];
    for (int i = 0; i < (1 << 18); i++) big[i] = (float)i;
    w = gan_st_writer_new();
    gan_st_add_f32(w, "w", GAN_SHAPE(1 << 18), big);
    struct rlimit old, lim;
    getrlimit(RLIMIT_FSIZE, &old);
    lim = old;
    lim.rlim_cur = 64 * 1024;
    void (*prev)(int) = signal(SIGXFSZ, SIG_IGN);
    setrlimit(RLIMIT_FSIZE, &lim);
    s = gan_st_write(w, p);
    setrlimit(RLIMIT_FSIZE, &old);
    signal(SIGXFSZ, prev);
    expect_fail("write that runs out of space", s, GAN_ERR_IO, p, "File too large");
    uint8_t *after = slurp(p, &n1);
    th_check(after && n0 == n1 && memcmp(before, after, n0) == 0, "old checkpoint untouched",
             "%zu -> %zu bytes", n0, n1);
    th_check(count_temp_files() == 0, "no temp file left", "%d", count_temp_files());
    free(after);

    /* and a successful overwrite replaces it completely */
    s = gan_st_write(w, p);
    gan_st_writer_free(w);
    gan_st_file *f;
    if (s == GAN_OK) s = gan_st_open(p, &f);
    if (s == GAN_OK) {
        const gan_st_info *t = gan_st_find(f, "w");
        s = t && t->numel == (1 << 18) ? GAN_OK : GAN_ERR_MISMATCH;
        gan_st_close(f);
    }
    th_check(s == GAN_OK && count_temp_files() == 0, "overwrite replaces", "%s", "");
    free(before);

    /* the atomic-file API directly */
    const char *r = path_in_dir("raw.bin");
    s = gan_write_file_atomic(r, "hello", 5);
    size_t n;
    uint8_t *b = slurp(r, &n);
    th_check(s == GAN_OK && b && n == 5 && memcmp(b, "hello", 5) == 0, "gan_write_file_atomic",
             "%s", "");
    free(b);
    gan_atomic_file *af;
    s = gan_atomic_open(r, &af);
    gan_atomic_write(af, "bye", 3);
    th_check(s == GAN_OK && count_temp_files() == 1, "temp file while writing", "%d",
             count_temp_files());
    gan_atomic_abort(af);
    b = slurp(r, &n);
    th_check(b && n == 5 && count_temp_files() == 0, "abort keeps the old file, drops the temp",
             "%zu bytes", n);
    free(b);
}

int main(void) {
    snprintf(dir, sizeof dir, "/tmp/gan_test_st_XXXXXX");
    if (!mkdtemp(dir)) {
        th_check(0, "temp dir", "%s", "mkdtemp failed");
        return th_done("test_safetensors");
    }
    test_golden();
    test_round_trip();
    test_foreign();
    test_malformed();
    test_fuzz();
    test_writer_errors();
    test_atomic();
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", dir);
    return th_done("test_safetensors");
}
