/* emoji_json.c — the two JSON indexes of the npm packages: emoji-datasource's emoji.json
 * (Google and Twitter images) and OpenMoji's data/openmoji.json. cJSON parses; this file
 * decides what an entry must hold. A field of the wrong type is treated as absent, except the
 * code point and the file name, without which an entry means nothing: those are errors. */
#include "emoji/emoji_internal.h"
#include <cjson/cJSON.h>
#include <ctype.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#define JSON_MAX ((size_t)256 << 20)

static const char *str_of(const cJSON *o, const char *k) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsString(v) && v->valuestring ? v->valuestring : NULL;
}

/* "Smileys & Emotion" -> "smileys-emotion": emoji-datasource's category in the spelling of
 * Unicode's emoji-test.txt groups, which OpenMoji uses. */
static int set_group(char **field, const char *cat) {
    char buf[128];
    size_t k = 0;
    for (const char *p = cat; *p && k + 1 < sizeof buf; p++) {
        if (*p == '&') continue;
        char c = (char)tolower((unsigned char)*p);
        if (c == ' ') c = '-';
        if (c == '-' && (k == 0 || buf[k - 1] == '-')) continue;
        buf[k++] = c;
    }
    while (k && buf[k - 1] == '-') k--;
    return gan_emoji_field_set(field, buf, k);
}

static int set_lower(char **field, const char *s) {
    char buf[256];
    size_t k = 0;
    for (; s[k] && k + 1 < sizeof buf; k++) buf[k] = (char)tolower((unsigned char)s[k]);
    return gan_emoji_field_set(field, buf, k);
}

/* A file name from an index must stay inside its folder. */
static int safe_name(const char *s) { return *s && !strchr(s, '/') && strcmp(s, "..") && strcmp(s, "."); }

typedef struct {
    gan_emoji_set *s;
    const char *name, *img_dir, *flag;
    gan_emoji_style style;
} ds_ctx;

/* One emoji-datasource record (an entry or one of its skin variations); base: the entry a
 * variation belongs to (its name and category), or NULL. */
static gan_status ds_record(ds_ctx *c, const cJSON *r, const cJSON *base, int i) {
    const char *uni = str_of(r, "unified"), *image = str_of(r, "image");
    if (!uni || !image || !safe_name(image))
        return gan_fail(GAN_ERR_FORMAT, "%s: entry %d: no \"unified\" code point or no usable "
                        "\"image\" file name", c->name, i);
    if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r, c->flag))) return GAN_OK;
    char key[GAN_EMOJI_KEY_MAX];
    if (gan_emoji_key_from_hex(uni, key) != GAN_OK)
        return gan_fail(GAN_ERR_FORMAT, "%s: entry %d: %s", c->name, i, gan_last_error());
    gan_emoji_entry *e = gan_emoji_set_add(c->s, key);
    const cJSON *meta = base ? base : r;
    const char *nm = str_of(meta, "name"), *cat = str_of(meta, "category"),
               *sub = str_of(meta, "subcategory");
    int ok = e && gan_emoji_file_set(e, c->style, c->img_dir, image);
    if (ok && nm && !base) ok = set_lower(&e->name, nm);   /* a variation's name is the base's */
    if (ok && cat) ok = set_group(&e->group, cat);
    if (ok && sub) ok = gan_emoji_field_set(&e->subgroup, sub, strlen(sub));
    return ok ? GAN_OK : gan_fail(GAN_ERR_NOMEM, "%s: out of memory", c->name);
}

gan_status gan_emoji_parse_datasource(gan_emoji_set *s, const char *name, const char *data,
                                      size_t n, const char *img_dir, gan_emoji_style style) {
    if (style != GAN_EMOJI_GOOGLE && style != GAN_EMOJI_TWITTER)
        return gan_fail(GAN_ERR_ARG, "%s: emoji-datasource holds google and twitter, not %s",
                        name, gan_emoji_style_name(style));
    cJSON *root = cJSON_ParseWithLength(data, n);
    if (!cJSON_IsArray(root)) {
        cJSON_Delete(root);
        return gan_fail(GAN_ERR_FORMAT, "%s: not a JSON array of emoji", name);
    }
    ds_ctx c = {s, name, img_dir, style == GAN_EMOJI_GOOGLE ? "has_img_google" : "has_img_twitter",
                style};
    gan_status st = GAN_OK;
    int i = 0;
    for (const cJSON *r = root->child; r && st == GAN_OK; r = r->next, i++) {
        if (!cJSON_IsObject(r)) {
            st = gan_fail(GAN_ERR_FORMAT, "%s: entry %d is not an object", name, i);
            break;
        }
        st = ds_record(&c, r, NULL, i);
        const cJSON *sv = cJSON_GetObjectItemCaseSensitive(r, "skin_variations");
        for (const cJSON *v = cJSON_IsObject(sv) ? sv->child : NULL; v && st == GAN_OK; v = v->next)
            st = cJSON_IsObject(v) ? ds_record(&c, v, r, i)
                 : gan_fail(GAN_ERR_FORMAT, "%s: entry %d: a skin variation is not an object",
                            name, i);
    }
    cJSON_Delete(root);
    return st;
}

/* "cheerful, cheery, face" -> items appended to field */
static int append_list(char **field, const char *list) {
    for (const char *p = list; *p;) {
        while (*p == ' ' || *p == ',') p++;
        const char *end = p;
        while (*end && *end != ',') end++;
        const char *last = end;
        while (last > p && last[-1] == ' ') last--;
        if (last > p && !gan_emoji_field_append(field, p, (size_t)(last - p))) return 0;
        p = end;
    }
    return 1;
}

static gan_status om_record(gan_emoji_set *s, const char *name, const char *pkg_dir,
                            const cJSON *r, int i) {
    const char *hex = str_of(r, "hexcode");
    char key[GAN_EMOJI_KEY_MAX], file[GAN_EMOJI_KEY_MAX + 8];
    if (!hex) return gan_fail(GAN_ERR_FORMAT, "%s: entry %d: no \"hexcode\"", name, i);
    if (gan_emoji_key_from_hex(hex, key) != GAN_OK || strlen(hex) >= GAN_EMOJI_KEY_MAX)
        return gan_fail(GAN_ERR_FORMAT, "%s: entry %d: bad hexcode \"%.60s\"", name, i, hex);
    snprintf(file, sizeof file, "%s.svg", hex);   /* key_from_hex let only hex, '-', '_', ' ' by */
    gan_emoji_entry *e = gan_emoji_set_add(s, key);
    char color[1024], black[1024];
    snprintf(color, sizeof color, "%s/color/svg", pkg_dir);
    snprintf(black, sizeof black, "%s/black/svg", pkg_dir);
    const char *ann = str_of(r, "annotation"), *grp = str_of(r, "group"),
               *sub = str_of(r, "subgroups"), *tags = str_of(r, "tags"),
               *otags = str_of(r, "openmoji_tags");
    int ok = e && gan_emoji_file_set(e, GAN_EMOJI_OPENMOJI, color, file) &&
             gan_emoji_file_set(e, GAN_EMOJI_OPENMOJI_OUTLINE, black, file);
    if (ok && ann) ok = gan_emoji_field_set(&e->name, ann, strlen(ann));
    if (ok && grp) ok = gan_emoji_field_set(&e->group, grp, strlen(grp));
    if (ok && sub) ok = gan_emoji_field_set(&e->subgroup, sub, strlen(sub));
    if (ok && tags) ok = append_list(&e->tags, tags);
    if (ok && otags) ok = append_list(&e->tags, otags);
    return ok ? GAN_OK : gan_fail(GAN_ERR_NOMEM, "%s: out of memory", name);
}

gan_status gan_emoji_parse_openmoji(gan_emoji_set *s, const char *name, const char *data,
                                    size_t n, const char *pkg_dir) {
    cJSON *root = cJSON_ParseWithLength(data, n);
    if (!cJSON_IsArray(root)) {
        cJSON_Delete(root);
        return gan_fail(GAN_ERR_FORMAT, "%s: not a JSON array of emoji", name);
    }
    gan_status st = GAN_OK;
    int i = 0;
    for (const cJSON *r = root->child; r && st == GAN_OK; r = r->next, i++)
        st = cJSON_IsObject(r) ? om_record(s, name, pkg_dir, r, i)
             : gan_fail(GAN_ERR_FORMAT, "%s: entry %d is not an object", name, i);
    cJSON_Delete(root);
    return st;
}

gan_status gan_emoji_read_datasource(gan_emoji_set *s, const char *json_path,
                                     const char *img_dir, gan_emoji_style style) {
    char *buf;
    size_t n;
    gan_status st = gan_emoji_slurp(json_path, JSON_MAX, &buf, &n);
    if (st != GAN_OK) return st;
    st = gan_emoji_parse_datasource(s, json_path, buf, n, img_dir, style);
    free(buf);
    return st;
}

gan_status gan_emoji_read_openmoji(gan_emoji_set *s, const char *json_path, const char *pkg_dir) {
    char *buf;
    size_t n;
    gan_status st = gan_emoji_slurp(json_path, JSON_MAX, &buf, &n);
    if (st != GAN_OK) return st;
    st = gan_emoji_parse_openmoji(s, json_path, buf, n, pkg_dir);
    free(buf);
    return st;
}
