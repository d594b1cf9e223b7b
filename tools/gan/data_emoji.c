/* data_emoji.c — `gan data emoji`: five emoji styles as folders of RGB PNGs on white, named
 * by code point key, plus one index. Sources: the npm packages scripts/fetch-emoji.sh puts in
 * the cache, and two Debian packages. Built in DIR.tmp-XXXXXX and renamed to DIR at the end,
 * so DIR is either complete or absent. docs/DATA.md describes the result. */
#include "cli.h"
#include "data_emoji.h"
#include "progress.h"
#include <errno.h>
#ifdef _OPENMP
#include <omp.h>
#endif
#include <ftw.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CMD "data emoji"
#define GEMOJIONE_PNG "/usr/share/rubygems-integration/all/gems/gemojione-3.3.0/assets/png"
#define CLDR_DIR "/usr/share/unicode/cldr/common"

typedef struct {
    const char *out, *grid, *cache, *emojione, *cldr;
    int size, threads;
} emoji_opts;

static int rm_entry(const char *p, const struct stat *sb, int flag, struct FTW *f) {
    (void)sb, (void)flag, (void)f;
    return remove(p);
}
static void rm_tree(const char *dir) { nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS); }

/* The three npm packages, each unpacked by fetch-emoji.sh with a .complete marker. */
static int find_cache(const emoji_opts *o, char pkg[3][1024]) {
    static const char *const names[3] = {"emoji-datasource-google-16.0.0",
                                         "emoji-datasource-twitter-16.0.0", "openmoji-17.0.0"};
    for (int i = 0; i < 3; i++) {
        char mark[1100];
        snprintf(pkg[i], 1024, "%s/npm/%s/package", o->cache, names[i]);
        snprintf(mark, sizeof mark, "%s/npm/%s/.complete", o->cache, names[i]);
        if (access(mark, R_OK))
            return cli_error(CMD, CLI_RUNTIME, "%s/npm/%s: not in the npm cache: run "
                             "scripts/fetch-emoji.sh (GAN_CACHE=%s)", o->cache, names[i], o->cache);
    }
    return CLI_OK;
}

/* Reads every source's index into one set, sorted by code point. */
static int read_sources(const emoji_opts *o, char pkg[3][1024], gan_emoji_set *set) {
    char a[4200], b[4200], c[4200], d[4200], e[4200];
    snprintf(a, sizeof a, "%s/data/openmoji.json", pkg[2]);
    snprintf(b, sizeof b, "%s/emoji.json", pkg[0]);
    snprintf(c, sizeof c, "%s/img/google/64", pkg[0]);
    snprintf(d, sizeof d, "%s/emoji.json", pkg[1]);
    snprintf(e, sizeof e, "%s/img/twitter/64", pkg[1]);
    /* OpenMoji first: its annotations and groups are CLDR's and Unicode's spellings */
    gan_status s = gan_emoji_read_openmoji(set, a, pkg[2]);
    if (!s) s = gan_emoji_read_datasource(set, b, c, GAN_EMOJI_GOOGLE);
    if (!s) s = gan_emoji_read_datasource(set, d, e, GAN_EMOJI_TWITTER);
    if (!s) s = gan_emoji_read_emojione(set, o->emojione);
    snprintf(a, sizeof a, "%s/annotations/en.xml", o->cldr);
    snprintf(b, sizeof b, "%s/annotationsDerived/en.xml", o->cldr);
    if (!s) s = gan_emoji_read_cldr(set, a);
    if (!s) s = gan_emoji_read_cldr(set, b);
    if (s) return cli_error(CMD, CLI_RUNTIME, "%s", gan_last_error());
    gan_emoji_set_sort(set);
    return CLI_OK;
}

gan_status emoji_render(const gan_emoji_entry *e, int style, int size, uint8_t *rgb) {
    if (style == GAN_EMOJI_OPENMOJI || style == GAN_EMOJI_OPENMOJI_OUTLINE)
        return gan_svg_render_file(e->file[style], size, rgb);
    uint8_t *rgba;
    int h, w;
    gan_status s = gan_png_read_rgba(e->file[style], &rgba, &h, &w);
    if (s) return s;
    s = gan_emoji_resize_rgba(rgba, h, w, size, rgb);
    if (s) gan_fail(s, "%s: %s", e->file[style], gan_last_error());
    free(rgba);
    return s;
}

typedef struct {
    gan_emoji_set *set;
    const char *tmp;
    int size, threads;
    uint8_t (*have)[GAN_EMOJI_STYLES];
    int64_t total, count[GAN_EMOJI_STYLES];
    char err[1024];
} build_job;

/* Renders and writes every image of the set; on failure job->err holds the first message. */
static int render_all(build_job *j) {
    atomic_llong done = 0;
    atomic_int failed = 0;
    progress p;
    progress_start(&p, "emoji", 0, j->total);
    int n = gan_emoji_set_count(j->set), sz = j->size;
#pragma omp parallel num_threads(j->threads > 0 ? j->threads : 2)
    {
        uint8_t *rgb = malloc((size_t)sz * sz * 3);
#pragma omp for schedule(dynamic, 16)
        for (int i = 0; i < n; i++) {
            gan_emoji_entry *e = gan_emoji_set_entry(j->set, i);
            for (int st = 0; st < GAN_EMOJI_STYLES && !atomic_load(&failed); st++) {
                if (!e->file[st]) continue;
                char path[1400];
                snprintf(path, sizeof path, "%s/%s/%s.png", j->tmp,
                         gan_emoji_style_name((gan_emoji_style)st), e->key);
                gan_status s = rgb ? emoji_render(e, st, sz, rgb)
                                   : gan_fail(GAN_ERR_NOMEM, "out of memory");
                if (!s) s = gan_png_write_u8(path, rgb, sz, sz, 3);
                if (s) {
                    if (!atomic_exchange(&failed, 1))
                        snprintf(j->err, sizeof j->err, "%s", gan_last_error());
                    continue;
                }
                j->have[i][st] = 1;
                long long k = atomic_fetch_add(&done, 1) + 1;
#ifdef _OPENMP
                if (omp_get_thread_num() == 0)
#endif
                    progress_update(&p, k, NULL, 0);
            }
        }
        free(rgb);
    }
    progress_update(&p, atomic_load(&done), NULL, 1);
    progress_end(&p);
    for (int i = 0; i < n; i++)
        for (int st = 0; st < GAN_EMOJI_STYLES; st++) j->count[st] += j->have[i][st];
    return atomic_load(&failed) ? CLI_RUNTIME : CLI_OK;
}

static int make_dirs(const char *tmp) {
    for (int st = 0; st < GAN_EMOJI_STYLES; st++) {
        char d[1200];
        snprintf(d, sizeof d, "%s/%s", tmp, gan_emoji_style_name((gan_emoji_style)st));
        if (mkdir(d, 0755))
            return cli_error(CMD, CLI_RUNTIME, "%s: cannot create: %s", d, strerror(errno));
    }
    return CLI_OK;
}

static void report(const build_job *j, double secs) {
    int n = gan_emoji_set_count(j->set), all = 0;
    for (int i = 0; i < n; i++) {
        int k = 0;
        for (int st = 0; st < GAN_EMOJI_STYLES; st++) k += j->have[i][st];
        all += k == GAN_EMOJI_STYLES;
    }
    for (int st = 0; st < GAN_EMOJI_STYLES; st++)
        printf("%-17s %6lld images\n", gan_emoji_style_name((gan_emoji_style)st),
               (long long)j->count[st]);
    printf("code points: %d in the index, %d in all five styles; %.1f s at %dx%d\n", n, all,
           secs, j->size, j->size);
}

/* Builds into tmp; 0 on success. */
static int build(const emoji_opts *o, gan_emoji_set *set, const char *tmp) {
    int rc = make_dirs(tmp);
    if (rc) return rc;
    int n = gan_emoji_set_count(set);
    build_job j = {set, tmp, o->size, o->threads, calloc((size_t)n + 1, GAN_EMOJI_STYLES), 0, {0}, ""};
    if (!j.have) return cli_error(CMD, CLI_RUNTIME, "out of memory");
    for (int i = 0; i < n; i++)
        for (int st = 0; st < GAN_EMOJI_STYLES; st++) j.total += gan_emoji_set_entry(set, i)->file[st] != NULL;
    double t0 = now_seconds();
    rc = render_all(&j);
    if (rc) cli_error(CMD, rc, "%s", j.err);
    char idx[1200];
    snprintf(idx, sizeof idx, "%s/index.tsv", tmp);
    if (!rc && gan_emoji_index_write(set, idx, (const uint8_t (*)[GAN_EMOJI_STYLES])j.have))
        rc = cli_error(CMD, CLI_RUNTIME, "%s", gan_last_error());
    if (!rc && o->grid && emoji_grid_write(set, (const uint8_t (*)[GAN_EMOJI_STYLES])j.have,
                                           o->size, o->grid))
        rc = cli_error(CMD, CLI_RUNTIME, "%s", gan_last_error());
    if (!rc) report(&j, now_seconds() - t0);
    free(j.have);
    return rc;
}

static const char usage[] =
    "--out DIR [--size 32|64|128] [--grid FILE.png] [--threads N]\n"
    "\n"
    "Builds five emoji styles (google, twitter, openmoji, openmoji-outline, emojione), one\n"
    "folder each of <codepoint>.png (RGB, transparent pixels composited onto white), and\n"
    "DIR/index.tsv (code point, name, group, subgroup, CLDR keywords, OpenMoji tags, styles).\n"
    "Needs scripts/fetch-emoji.sh's npm cache ($GAN_CACHE or ~/.cache/gan) and the Debian\n"
    "packages ruby-gemojione and unicode-cldr-core. DIR must not exist; it appears complete\n"
    "or not at all. --grid also writes 16 code points (rows) in every style (columns).";

int cmd_data_emoji(int argc, char **argv) {
    const char *home = getenv("HOME"), *env = getenv("GAN_CACHE");
    char cache[1024];
    snprintf(cache, sizeof cache, "%s", env && *env ? env : "");
    if (!*cache) snprintf(cache, sizeof cache, "%s/.cache/gan", home ? home : ".");
    emoji_opts o = {NULL, NULL, cache, GEMOJIONE_PNG, CLDR_DIR, 64, 2};
    cli_flag flags[] = {
        {"--out", FLAG_STR, &o.out, "folder to create (must not exist)", 0},
        {"--size", FLAG_INT, &o.size, "image side: 32, 64 (default) or 128", 0},
        {"--grid", FLAG_STR, &o.grid, "also write this PNG: 16 code points x 5 styles", 0},
        {"--threads", FLAG_INT, &o.threads, "rendering threads (default 2)", 0},
        {"--emojione", FLAG_STR, &o.emojione, "EmojiOne PNG folder (default: ruby-gemojione's)", 0},
        {"--cldr", FLAG_STR, &o.cldr, "CLDR common/ folder (default: unicode-cldr-core's)", 0},
    };
    int npos, rc = cli_parse(CMD, usage, argc, argv, flags, 6, NULL, 0, &npos);
    if (rc) return rc < 0 ? CLI_OK : rc;
    if (!o.out) return cli_error(CMD, CLI_USAGE, "--out is required");
    if (o.size != 32 && o.size != 64 && o.size != 128)
        return cli_error(CMD, CLI_USAGE, "--size must be 32, 64 or 128 (got %d)", o.size);
    if (o.threads < 1 || o.threads > 256)
        return cli_error(CMD, CLI_USAGE, "--threads must be in 1..256 (got %d)", o.threads);
    char pkg[3][1024];
    if ((rc = find_cache(&o, pkg))) return rc;
    if (!access(o.out, F_OK))
        return cli_error(CMD, CLI_RUNTIME, "%s: already exists (remove it or pick another --out)", o.out);
    gan_emoji_set *set = gan_emoji_set_new();
    if (!set) return cli_error(CMD, CLI_RUNTIME, "out of memory");
    if ((rc = read_sources(&o, pkg, set))) {
        gan_emoji_set_free(set);
        return rc;
    }
    char tmp[1100];
    snprintf(tmp, sizeof tmp, "%s.tmp-XXXXXX", o.out);
    if (!mkdtemp(tmp)) {
        gan_emoji_set_free(set);
        return cli_error(CMD, CLI_RUNTIME, "%s: cannot create: %s", tmp, strerror(errno));
    }
    chmod(tmp, 0755);
    rc = build(&o, set, tmp);
    if (!rc && rename(tmp, o.out))
        rc = cli_error(CMD, CLI_RUNTIME, "%s -> %s: rename failed: %s", tmp, o.out, strerror(errno));
    if (rc) rm_tree(tmp);
    else printf("wrote %s\n", o.out);
    gan_emoji_set_free(set);
    return rc;
}
