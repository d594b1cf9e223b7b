/* test_model_examples.c — the hand-written specs of models/examples/ and the doc that teaches
 * them (docs/MODELS.md):
 *  - dcgan_wide.json (dcgan28 with its own width and an extra conv in D): G and D parameter
 *    counts against the closed form of the architecture, at its defaults and with params set
 *    (width, spectral norm, layer norm), output shapes through gan_model_new;
 *  - cdcgan.json (class-conditional): parameter counts, G(z, label) and D(image, label) shapes,
 *    and that the label really enters both nets; gan_model_new refuses it (the trainer is
 *    unconditional today, as the doc says);
 *  - docs/MODELS.md: its cdcgan example is the file byte for byte, and every built-in block has
 *    a section (the list comes from the library's own "known blocks" message).
 * Files are found from the test binary (<repo>/build/tests/ -> <repo>/), else from the cwd. */
#include "harness.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char repo[4096];

static void find_repo(void) {
    char exe[4096];
    ssize_t k = readlink("/proc/self/exe", exe, sizeof exe - 1);
    snprintf(repo, sizeof repo, ".");
    if (k <= 0) return;
    exe[k] = 0;
    for (int up = 0; up < 3; up++) {       /* strip test name, tests/, build/ */
        char *s = strrchr(exe, '/');
        if (!s) return;
        *s = 0;
    }
    char probe[4200];
    snprintf(probe, sizeof probe, "%s/models/examples/cdcgan.json", exe);
    if (access(probe, R_OK) == 0) snprintf(repo, sizeof repo, "%s", exe);
}

static void path_of(char *buf, size_t n, const char *rel) { snprintf(buf, n, "%s/%s", repo, rel); }

static char *read_all(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = malloc((size_t)n + 1);
    size_t got = fread(s, 1, (size_t)n, f);
    fclose(f);
    s[got] = 0;
    return s;
}

/* Builds net `name` of spec into a fresh net; NULL (and a FAIL) when it does not build. */
static gan_module *build(const gan_spec *s, const char *name, gan_net **net) {
    *net = gan_net_new(name);
    gan_module *m = NULL;
    if (gan_build(*net, s, name, &m)) {
        th_check(0, name, "does not build: %s", gan_last_error());
        gan_net_free(*net);
        *net = NULL;
        return NULL;
    }
    gan_net_finalize(*net, 11);
    gan_module_init(m, 11);
    return m;
}

/* ---------------------------------------------------------------- dcgan_wide */

/* By hand from the architecture: G Linear(nz, 2w*7*7), BN(2w), ConvT(2w, w, 4), BN(w),
 * ConvT(w, C, 4); D Conv(C, w, 4), Conv(w, 2w, 4), norm(2w at 7x7), Conv(2w, 2w, 3) (the extra
 * layer), norm(2w at 7x7), Linear(2w*49, 1). Batch norm has 2 trainable tensors of the channel
 * count, layer norm 2 of the whole [2w, 7, 7]; spectral norm adds buffers, not parameters. */
static int64_t wide_g(int64_t nz, int64_t C, int64_t w) {
    int64_t w2 = 2 * w;
    return nz * w2 * 49 + w2 * 49 + 2 * w2 + w2 * w * 16 + w + 2 * w + w * C * 16 + C;
}

static int64_t wide_d(int64_t C, int64_t w, int layer_norm) {
    int64_t w2 = 2 * w, norm = layer_norm ? 2 * w2 * 49 : 2 * w2;
    return C * w * 16 + w + w * w2 * 16 + w2 + norm + w2 * w2 * 9 + w2 + norm + w2 * 49 + 1;
}

static void wide_case(int width, int sn, const char *d_norm) {
    char p[4200], name[160], v[32];
    path_of(p, sizeof p, "models/examples/dcgan_wide.json");
    gan_spec *s;
    if (gan_spec_load(p, &s)) {
        th_check(0, "dcgan_wide.json loads", "%s", gan_last_error());
        return;
    }
    snprintf(v, sizeof v, "%d", width);
    if (width) GAN_ASSERT(gan_spec_set(s, "width", v) == GAN_OK);
    GAN_ASSERT(gan_spec_set(s, "sn", sn ? "true" : "false") == GAN_OK);
    if (d_norm) GAN_ASSERT(gan_spec_set(s, "d_norm", d_norm) == GAN_OK);
    int w = width ? width : 48, ln = d_norm && !strcmp(d_norm, "layer");
    gan_net *G, *D;
    gan_module *g = build(s, "G", &G), *d = build(s, "D", &D);
    if (g && d) {
        int64_t ng = gan_net_num_params(G), nd = gan_net_num_params(D);
        snprintf(name, sizeof name, "dcgan_wide width %d%s%s%s: G and D parameter counts", w,
                 sn ? " sn" : "", d_norm ? " d_norm " : "", d_norm ? d_norm : "");
        th_check(ng == wide_g(100, 1, w) && nd == wide_d(1, w, ln), name,
                 "G %lld (want %lld), D %lld (want %lld)", (long long)ng, (long long)wide_g(100, 1, w),
                 (long long)nd, (long long)wide_d(1, w, ln));
        snprintf(name, sizeof name, "dcgan_wide width %d%s: spectral norms in D", w, sn ? " sn" : "");
        th_check(gan_module_num_spectral_norms(d) == (sn ? 4 : 0), name, "%d",
                 gan_module_num_spectral_norms(d));
        /* the extra layer: a 3x3 conv 2w -> 2w named as the Sequential's index 5 */
        gan_tensor *x = gan_net_find(D, "main.5.weight");
        snprintf(name, sizeof name, "dcgan_wide width %d: D's extra conv main.5 is (2w, 2w, 3, 3)", w);
        th_check(x && x->ndim == 4 && x->shape[0] == 2 * w && x->shape[1] == 2 * w && x->shape[2] == 3,
                 name, "%s", x ? "" : "no main.5.weight");
    }
    gan_module_free(g);
    gan_module_free(d);
    gan_net_free(G);
    gan_net_free(D);
    gan_spec_free(s);
}

/* The public model API takes the file as it takes a zoo name. */
static void wide_model(void) {
    enum { N = 3 };
    char p[4200];
    path_of(p, sizeof p, "models/examples/dcgan_wide.json");
    gan_model_config mc = {.spec = p};
    gan_model *m = NULL;
    if (gan_model_new(&mc, 2, &m)) {
        th_check(0, "dcgan_wide: gan_model_new", "%s", gan_last_error());
        return;
    }
    const gan_model_info *in = gan_model_get_info(m);
    th_check(!strcmp(in->name, "dcgan_wide") && in->nz == 100 && in->channels == 1 && in->size == 28,
             "dcgan_wide: model info", "%s nz %d C %d size %d", in->name, in->nz, in->channels, in->size);
    gan_ctx *ctx = gan_ctx_new(0);
    gan_ctx_set_training(ctx, 1);
    gan_tensor *z = gan_randn(ctx, GAN_SHAPE(N, 100), 3, 1);
    gan_tensor *x = gan_model_generate(ctx, m, z);
    int ok = x->ndim == 4 && x->shape[0] == N && x->shape[1] == 1 && x->shape[2] == 28 && x->shape[3] == 28;
    for (int64_t i = 0; ok && i < x->numel; i++) ok = x->data[i] > -1.0f && x->data[i] < 1.0f;
    th_check(ok, "dcgan_wide: G(z) is (N, 1, 28, 28) in (-1, 1)", "ndim %d", x->ndim);
    gan_tensor *y = gan_model_discriminate(ctx, m, x);
    ok = y->ndim == 2 && y->shape[0] == N && y->shape[1] == 1;
    for (int64_t i = 0; ok && i < y->numel; i++) ok = isfinite(y->data[i]);
    th_check(ok, "dcgan_wide: D(x) is (N, 1), finite", "ndim %d", y->ndim);
    gan_ctx_free(ctx);
    gan_model_free(m);
}

/* ---------------------------------------------------------------- cdcgan */

/* G: Embedding(K, E), Linear(nz + E, 128*49), BN(128), ConvT(128, 64, 4), BN(64),
 * ConvT(64, C, 4). D: Embedding(K, 28*28), Conv(C + 1, 64, 4), Conv(64, 128, 4), BN(128),
 * Linear(128*49, 1). */
static int64_t cond_g(int64_t nz, int64_t C, int64_t K, int64_t E) {
    return K * E + (nz + E) * 6272 + 6272 + 256 + 128 * 64 * 16 + 64 + 128 + 64 * C * 16 + C;
}

static int64_t cond_d(int64_t C, int64_t K) {
    return K * 784 + (C + 1) * 64 * 16 + 64 + 64 * 128 * 16 + 128 + 256 + 128 * 49 + 1;
}

static void cdcgan(void) {
    enum { N = 4, NZ = 100, K = 10, E = 10 };
    char p[4200];
    path_of(p, sizeof p, "models/examples/cdcgan.json");
    gan_spec *s;
    if (gan_spec_load(p, &s)) {
        th_check(0, "cdcgan.json loads", "%s", gan_last_error());
        return;
    }
    gan_net *G, *D;
    gan_module *g = build(s, "G", &G), *d = build(s, "D", &D);
    if (g && d) {
        int64_t ng = gan_net_num_params(G), nd = gan_net_num_params(D);
        th_check(ng == cond_g(NZ, 1, K, E) && nd == cond_d(1, K), "cdcgan: G and D parameter counts",
                 "G %lld (want %lld), D %lld (want %lld)", (long long)ng, (long long)cond_g(NZ, 1, K, E),
                 (long long)nd, (long long)cond_d(1, K));
        gan_tensor *eg = gan_net_find(G, "label_emb.weight"), *ed = gan_net_find(D, "label_emb.weight");
        th_check(eg && ed && eg->shape[0] == K && eg->shape[1] == E && ed->shape[0] == K && ed->shape[1] == 784,
                 "cdcgan: label_emb.weight is (10, 10) in G, (10, 784) in D", "%s", eg && ed ? "" : "missing");
        int sh[GAN_MAX_DIMS];
        th_check(gan_module_num_inputs(g) == 2 && !strcmp(gan_module_input_name(g, 1), "label") &&
                     gan_module_input_shape(g, 1, sh) == 0,
                 "cdcgan: G's inputs are z and a per-sample scalar label", "%d inputs", gan_module_num_inputs(g));

        gan_ctx *ctx = gan_ctx_new(0);
        gan_ctx_set_training(ctx, 0);
        gan_ctx_set_grad(ctx, 0);
        /* the same noise for every sample, labels 0, 3, 7, 9: any difference is the label's */
        float zs[N * NZ], lab[N] = {0, 3, 7, 9};
        gan_philox_normal(zs, NZ, 5, 0);
        for (int i = 1; i < N; i++) memcpy(zs + i * NZ, zs, sizeof(float) * NZ);
        gan_batch b = {0};
        gan_batch_put(&b, "z", gan_from_data(ctx, GAN_SHAPE(N, NZ), zs));
        gan_batch_put(&b, "label", gan_from_data(ctx, GAN_SHAPE(N), lab));
        gan_tensor *x = gan_module_forward(ctx, g, &b);
        int ok = x->ndim == 4 && x->shape[0] == N && x->shape[1] == 1 && x->shape[2] == 28 && x->shape[3] == 28;
        th_check(ok, "cdcgan: G(z, label) is (N, 1, 28, 28)", "ndim %d", x->ndim);
        double diff = 0;
        for (int i = 0; ok && i < 784; i++) diff = fmax(diff, fabs(x->data[i] - x->data[784 + i]));
        th_check(ok && diff > 1e-4, "cdcgan: G's image changes with the label alone", "max |diff| %.3g", diff);

        /* D on one image four times with the four labels */
        float *img = malloc(sizeof(float) * N * 784);
        for (int i = 0; i < N; i++) memcpy(img + i * 784, x->data, sizeof(float) * 784);
        gan_batch bd = {0};
        gan_batch_put(&bd, "image", gan_from_data(ctx, GAN_SHAPE(N, 1, 28, 28), img));
        gan_batch_put(&bd, "label", gan_from_data(ctx, GAN_SHAPE(N), lab));
        gan_tensor *y = gan_module_forward(ctx, d, &bd);
        ok = y->ndim == 2 && y->shape[0] == N && y->shape[1] == 1;
        th_check(ok, "cdcgan: D(image, label) is (N, 1)", "ndim %d", y->ndim);
        th_check(ok && isfinite(y->data[0]) && fabs(y->data[0] - y->data[1]) > 1e-6,
                 "cdcgan: D's logit changes with the label alone", "%g vs %g", y->data[0], y->data[1]);
        free(img);
        gan_ctx_free(ctx);
    }
    gan_module_free(g);
    gan_module_free(d);
    gan_net_free(G);
    gan_net_free(D);
    gan_spec_free(s);

    /* what docs/MODELS.md says: the unconditional model API (and gan train) refuse it */
    gan_model_config mc = {.spec = p};
    gan_model *m = NULL;
    gan_status st = gan_model_new(&mc, 1, &m);
    th_check(st == GAN_ERR_FORMAT && !m && strstr(gan_last_error(), "one input"),
             "cdcgan: gan_model_new (unconditional G(z)/D(x)) refuses it", "status %d: %s", (int)st,
             gan_last_error());
    gan_model_free(m);
}

/* ---------------------------------------------------------------- the doc */

#define DOC_MARK "<!-- the file models/examples/cdcgan.json -->"

static void doc_example(const char *doc) {
    char p[4200];
    path_of(p, sizeof p, "models/examples/cdcgan.json");
    char *file = read_all(p);
    const char *m = doc ? strstr(doc, DOC_MARK) : NULL;
    const char *start = m ? strstr(m, "```json\n") : NULL;
    const char *end = start ? strstr(start + 8, "\n```") : NULL;
    int ok = file && end;
    if (ok) {
        start += 8;
        size_t n = (size_t)(end - start) + 1; /* with the block's last newline */
        ok = n == strlen(file) && !memcmp(start, file, n);
    }
    th_check(ok, "docs/MODELS.md's cdcgan example is models/examples/cdcgan.json byte for byte", "%s",
             !file ? "no cdcgan.json" : !end ? "no marked ```json block in the doc" : ok ? "" : "they differ");
    free(file);
}

/* Every block the library knows is named in a "### " heading ("### `relu`, `tanh`"); the list of known blocks is the
 * one the library prints for an unknown block, so a new block without a section fails here. */
static void doc_blocks(const char *doc) {
    static const char spec[] = "{\"params\": {}, \"nets\": [{\"name\": \"G\", \"inputs\": {\"x\": [2]},"
                               " \"blocks\": [{\"block\": \"no_such_block\"}]}]}";
    gan_spec *s;
    GAN_ASSERT(gan_spec_parse(spec, sizeof spec - 1, "probe", &s) == GAN_OK);
    gan_net *net = gan_net_new("G");
    gan_module *m = NULL;
    gan_status st = gan_build(net, s, "G", &m);
    const char *known = strstr(gan_last_error(), "(known: ");
    th_check(st == GAN_ERR_FORMAT && known, "an unknown block's message lists the known blocks", "%s", gan_last_error());
    int n = 0, missing = 0;
    char miss[512] = "";
    if (known && doc) {
        char list[1024];
        snprintf(list, sizeof list, "%s", known + 8);
        char *close = strchr(list, ')');
        if (close) *close = 0;
        for (char *tok = strtok(list, ", "); tok; tok = strtok(NULL, ", ")) {
            char want[96];
            snprintf(want, sizeof want, "`%s`", tok);
            n++;
            int found = 0;
            for (const char *h = strstr(doc, "\n### "); h && !found; h = strstr(h + 1, "\n### ")) {
                const char *eol = strchr(h + 1, '\n'), *w = strstr(h, want);
                found = w && (!eol || w < eol);
            }
            if (!found) {
                missing++;
                strncat(miss, tok, sizeof miss - strlen(miss) - 2);
                strcat(miss, " ");
            }
        }
    }
    th_check(doc && n >= 18 && !missing, "docs/MODELS.md has a section for every built-in block",
             "%d blocks, %d without a section: %s", n, missing, miss);
    gan_module_free(m);
    gan_net_free(net);
    gan_spec_free(s);
}

int main(void) {
    find_repo();
    wide_case(0, 0, NULL);
    wide_case(16, 1, NULL);
    wide_case(8, 0, "layer");
    wide_model();
    cdcgan();
    char p[4200];
    path_of(p, sizeof p, "docs/MODELS.md");
    char *doc = read_all(p);
    th_check(doc != NULL, "docs/MODELS.md is there", "%s", p);
    doc_example(doc);
    doc_blocks(doc);
    free(doc);
    return th_done("test_model_examples");
}
