/* test_emoji.c — the emoji pieces that need no npm cache: code point keys from each source's
 * spelling, compositing against the closed forms (straight and premultiplied), box and
 * bilinear resizing against hand-computed values, librsvg on a tiny SVG with known pixels,
 * the JSON/CLDR readers on small inline indexes, and the TSV index. */
#include "harness.h"
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void test_keys(void) {
    char a[GAN_EMOJI_KEY_MAX], b[GAN_EMOJI_KEY_MAX], c[GAN_EMOJI_KEY_MAX], d[GAN_EMOJI_KEY_MAX];
    gan_emoji_key_from_hex("2764-FE0F", a);                  /* OpenMoji */
    gan_emoji_key_from_hex("2764-fe0f", b);                  /* emoji-datasource */
    gan_emoji_key_from_hex("2764", c);                       /* EmojiOne */
    gan_emoji_key_from_utf8("\xE2\x9D\xA4\xEF\xB8\x8F", 6, d); /* the emoji in CLDR */
    th_check(!strcmp(a, "2764") && !strcmp(b, "2764") && !strcmp(c, "2764") && !strcmp(d, "2764"),
             "key_fe0f_stripped", "%s %s %s %s (want 2764 x4)", a, b, c, d);
    gan_emoji_key_from_hex("1F468-200D-1F469-200D-1F467", a);
    gan_emoji_key_from_hex("U+1f468_200d_1f469_200d_1f467", b);
    th_check(!strcmp(a, "1f468-200d-1f469-200d-1f467") && !strcmp(a, b), "key_zwj", "%s / %s", a, b);
    uint32_t cps[GAN_EMOJI_MAX_CPS];
    int n = gan_emoji_key_cps(a, cps);
    th_check(n == 5 && cps[0] == 0x1F468 && cps[1] == 0x200D && cps[4] == 0x1F467, "key_cps",
             "%d code points", n);
    int bad = (gan_emoji_key_from_hex("", a) == GAN_ERR_ARG) + (gan_emoji_key_from_hex("12G4", a) == GAN_ERR_ARG) +
              (gan_emoji_key_from_hex("110000", a) == GAN_ERR_ARG) + (gan_emoji_key_from_hex("D800", a) == GAN_ERR_ARG) +
              (gan_emoji_key_from_hex("FE0F", a) == GAN_ERR_ARG) + (gan_emoji_key_from_utf8("\xC3", 1, a) == GAN_ERR_ARG);
    th_check(bad == 6, "key_refusals", "%d of 6 refused (empty, non-hex, >10FFFF, surrogate, only FE0F, bad UTF-8)", bad);
}

static void test_composite(void) {
    /* straight: round((a*c + (255-a)*255)/255); (128,200): 57985/255 = 227.39 -> 227;
     * (0, 0): 255 (colour under alpha 0 ignored); (255, 17): 17; (1, 0): 254 (64770/255 = 254) */
    uint8_t in[16] = {200, 200, 200, 128, 0, 0, 0, 0, 17, 17, 17, 255, 0, 0, 0, 1}, out[12];
    gan_composite_straight(in, 4, out);
    th_check(out[0] == 227 && out[3] == 255 && out[6] == 17 && out[9] == 254, "composite_straight",
             "%d %d %d %d (want 227 255 17 254)", out[0], out[3], out[6], out[9]);
    /* premultiplied: c + 255 - a; a=128 c=64 -> 191; a=0 -> 255; a=255 c=10 -> 10 */
    uint32_t pm[3] = {128u << 24 | 64u << 16 | 32u << 8 | 0u, 0, 255u << 24 | 10u << 16 | 20u << 8 | 30u};
    gan_composite_premul(pm, 3, out);
    th_check(out[0] == 191 && out[1] == 159 && out[2] == 127 && out[3] == 255 && out[6] == 10 &&
             out[8] == 30, "composite_premul", "%d %d %d, %d, %d %d", out[0], out[1], out[2], out[3],
             out[6], out[8]);
}

static void test_resize(void) {
    /* 2x2 -> 1x1 box: opaque 0, opaque 255, transparent (255), alpha 128 of 0 (127/255*255 = 127)
     * numerators 0, 65025, 65025, 32385: sum 162435 / (4*255) = 159.25 -> 159 */
    uint8_t px[16] = {0, 0, 0, 255, 255, 255, 255, 255, 9, 9, 9, 0, 0, 0, 0, 128}, out[12];
    gan_emoji_resize_rgba(px, 2, 2, 1, out);
    th_check(out[0] == 159, "resize_box", "%d (want 159)", out[0]);
    /* 2x2 -> 4x4 bilinear, opaque greys 0, 100 / 200, 40: output (0,0) clamps to 0; (0,1):
     * src x = 0.25 -> 25; (1,1): x = y = 0.25 -> 0.5625*0 + 0.1875*100 + 0.1875*200 + 0.0625*40
     * = 58.75 -> 59; (3,3) clamps to 40 */
    uint8_t g[16] = {0, 0, 0, 255, 100, 100, 100, 255, 200, 200, 200, 255, 40, 40, 40, 255};
    uint8_t up[48];
    gan_emoji_resize_rgba(g, 2, 2, 4, up);
    th_check(up[0] == 0 && up[3] == 25 && up[3 * 5] == 59 && up[3 * 15] == 40, "resize_bilinear",
             "%d %d %d %d (want 0 25 59 40)", up[0], up[3], up[15], up[45]);
    th_check(gan_emoji_resize_rgba(g, 2, 1, 4, up) == GAN_ERR_ARG, "resize_non_square", "refused");
}

static void test_svg(void) {
    /* 8x8 viewport: the left half opaque red, the right half 50% blue (premultiplied 128 or
     * 127 from cairo's rounding); outside nothing: white */
    const char *svg = "<svg xmlns='http://www.w3.org/2000/svg' width='8' height='8' viewBox='0 0 8 8'>"
                      "<rect x='0' y='0' width='4' height='8' fill='#ff0000'/>"
                      "<rect x='4' y='0' width='4' height='4' fill='#0000ff' fill-opacity='0.5'/></svg>";
    uint8_t rgb[8 * 8 * 3];
    gan_status s = gan_svg_render_data("rect.svg", svg, strlen(svg), 8, rgb);
    const uint8_t *l = rgb + (2 * 8 + 1) * 3, *r = rgb + (1 * 8 + 6) * 3, *w = rgb + (6 * 8 + 6) * 3;
    int ok = s == GAN_OK && l[0] == 255 && l[1] == 0 && l[2] == 0 && w[0] == 255 && w[1] == 255 &&
             w[2] == 255 && r[2] == 255 && (r[0] == 127 || r[0] == 128) && r[0] == r[1];
    th_check(ok, "svg_rects", "red %d %d %d, half blue %d %d %d, empty %d %d %d", l[0], l[1], l[2],
             r[0], r[1], r[2], w[0], w[1], w[2]);
    s = gan_svg_render_data("broken.svg", "<svg", 4, 8, rgb);
    th_check(s == GAN_ERR_FORMAT && strstr(gan_last_error(), "broken.svg: librsvg refused it") &&
             !strchr(gan_last_error(), '\n'), "svg_refused", "%s", gan_last_error());
}

static void test_sources(const char *dir) {
    gan_emoji_set *set = gan_emoji_set_new();
    const char *om = "[{\"hexcode\":\"2764-FE0F\",\"annotation\":\"red heart\",\"group\":\"smileys-emotion\","
                     "\"subgroups\":\"heart\",\"tags\":\"love, heart\",\"openmoji_tags\":\"love\"}]";
    const char *ds = "[{\"unified\":\"2764-FE0F\",\"image\":\"2764-fe0f.png\",\"name\":\"HEAVY BLACK HEART\","
                     "\"category\":\"Smileys & Emotion\",\"subcategory\":\"heart\",\"has_img_google\":true},"
                     "{\"unified\":\"1F44B\",\"image\":\"1f44b.png\",\"name\":\"WAVING HAND SIGN\","
                     "\"category\":\"People & Body\",\"subcategory\":\"hand-fingers-open\",\"has_img_google\":true,"
                     "\"skin_variations\":{\"1F3FD\":{\"unified\":\"1F44B-1F3FD\",\"image\":\"1f44b-1f3fd.png\","
                     "\"has_img_google\":true}}},"
                     "{\"unified\":\"1F600\",\"image\":\"1f600.png\",\"has_img_google\":false}]";
    const char *xml = "<ldml><!-- <annotation cp=\"x\">no</annotation> -->\n<annotations>\n"
                      "<annotation cp=\"\xE2\x9D\xA4\">heart | love</annotation>\n"
                      "<annotation cp=\"&#x1F44B;\" type=\"tts\">waving hand</annotation>\n"
                      "<annotation cp=\"Z\">not an emoji here</annotation></annotations></ldml>";
    gan_status s = gan_emoji_parse_openmoji(set, "om.json", om, strlen(om), "/om");
    if (!s) s = gan_emoji_parse_datasource(set, "ds.json", ds, strlen(ds), "/g", GAN_EMOJI_GOOGLE);
    if (!s) s = gan_emoji_parse_cldr(set, "en.xml", xml, strlen(xml));
    gan_emoji_set_sort(set);
    gan_emoji_entry *h = gan_emoji_set_find(set, "2764"), *wv = gan_emoji_set_find(set, "1f44b"),
                    *sk = gan_emoji_set_find(set, "1f44b-1f3fd");
    int ok = s == GAN_OK && gan_emoji_set_count(set) == 3 && h && wv && sk &&
             !strcmp(h->name, "red heart") && !strcmp(h->tags, "love|heart") &&
             !strcmp(h->keywords, "heart|love") && !strcmp(h->file[GAN_EMOJI_GOOGLE], "/g/2764-fe0f.png") &&
             !strcmp(h->file[GAN_EMOJI_OPENMOJI_OUTLINE], "/om/black/svg/2764-FE0F.svg") &&
             !strcmp(wv->name, "waving hand sign") && !strcmp(wv->group, "people-body") &&
             !strcmp(sk->subgroup, "hand-fingers-open") && !gan_emoji_set_find(set, "1f600") &&
             gan_emoji_set_entry(set, 0) == h;
    th_check(ok, "sources_merged", "%s; %d entries", s ? gan_last_error() : "ok", gan_emoji_set_count(set));
    char path[256], buf[2048];
    snprintf(path, sizeof path, "%s/index.tsv", dir);
    s = gan_emoji_index_write(set, path, NULL);
    FILE *f = fopen(path, "r");
    size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
    if (f) fclose(f);
    buf[n] = 0;
    const char *want = "codepoint\tname\tgroup\tsubgroup\tkeywords\topenmoji_tags\tstyles\n"
                       "2764\tred heart\tsmileys-emotion\theart\theart|love\tlove|heart\tgoogle,openmoji,openmoji-outline\n"
                       "1f44b\twaving hand sign\tpeople-body\thand-fingers-open\t\t\tgoogle\n"
                       "1f44b-1f3fd\t\tpeople-body\thand-fingers-open\t\t\tgoogle\n";
    th_check(s == GAN_OK && !strcmp(buf, want), "index_tsv", "%zu bytes", n);
    s = gan_emoji_parse_cldr(set, "bad.xml", "<a>\n<annotation cp=\"x\">open", 30);
    th_check(s == GAN_ERR_FORMAT && strstr(gan_last_error(), "bad.xml:2:"), "cldr_bad_line", "%s", gan_last_error());
    s = gan_emoji_parse_datasource(set, "ds2.json", "[{\"image\":\"../x.png\",\"unified\":\"41\"}]", 38, "/g", GAN_EMOJI_TWITTER);
    th_check(s == GAN_ERR_FORMAT && strstr(gan_last_error(), "ds2.json: entry 0"), "datasource_bad_entry", "%s", gan_last_error());
    gan_emoji_set_free(set);
}

int main(void) {
    char dir[64], cmd[128];
    snprintf(dir, sizeof dir, "/tmp/gan_test_emoji.%ld", (long)getpid());
    snprintf(cmd, sizeof cmd, "mkdir -p %s", dir);
    if (system(cmd)) return 1;
    test_keys();
    test_composite();
    test_resize();
    test_svg();
    test_sources(dir);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd)) return 1;
    return th_done("test_emoji");
}
