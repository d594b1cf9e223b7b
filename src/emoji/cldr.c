/* cldr.c — keywords and short names from CLDR's annotation files (Debian unicode-cldr-core:
 * common/annotations/en.xml, common/annotationsDerived/en.xml). Only one element matters:
 *     <annotation cp="😀">face | grin | grinning face</annotation>
 *     <annotation cp="😀" type="tts">grinning face</annotation>
 * so this reads those with a small scanner instead of a general XML parser: comments are
 * skipped, the five predefined entities and numeric references are decoded, anything else
 * between '<' and '>' is passed over. What it cannot read is an error naming the line. */
#include "emoji/emoji_internal.h"
#include "text/utf8.h"
#include <stdlib.h>
#include <string.h>

#define CLDR_MAX ((size_t)64 << 20)

typedef struct {
    const char *name, *p, *end;
    int line;
} scan;

/* Moves to q, counting newlines. */
static void advance(scan *s, const char *q) {
    for (; s->p < q; s->p++) s->line += *s->p == '\n';
}

static const char *find(const scan *s, const char *from, const char *needle) {
    size_t n = strlen(needle);
    for (const char *q = from; q + n <= s->end; q++)
        if (*q == needle[0] && !memcmp(q, needle, n)) return q;
    return NULL;
}

/* Decodes [a, b) with XML entities into out (cap bytes); returns its length, -1 if bad. */
static long decode_text(const char *a, const char *b, char *out, size_t cap) {
    static const struct { const char *e; char c; } ents[] = {
        {"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&quot;", '"'}, {"&apos;", '\''}};
    size_t k = 0;
    while (a < b) {
        if (k + 5 > cap) return -1;
        if (*a != '&') {
            out[k++] = *a++;
            continue;
        }
        int done = 0;
        for (int i = 0; i < 5 && !done; i++) {
            size_t n = strlen(ents[i].e);
            if ((size_t)(b - a) >= n && !memcmp(a, ents[i].e, n)) out[k++] = ents[i].c, a += n, done = 1;
        }
        if (done) continue;
        if (b - a < 3 || a[1] != '#') return -1;
        const char *q = a + 2;
        int hex = *q == 'x';
        q += hex;
        uint32_t v = 0;
        int digits = 0;
        for (; q < b && *q != ';' && digits < 8; q++, digits++) {
            int d = *q >= '0' && *q <= '9' ? *q - '0'
                    : hex && *q >= 'a' && *q <= 'f' ? *q - 'a' + 10
                    : hex && *q >= 'A' && *q <= 'F' ? *q - 'A' + 10 : -1;
            if (d < 0) return -1;
            v = v * (hex ? 16 : 10) + (uint32_t)d;
        }
        int len = q < b && *q == ';' && digits ? gan_utf8_put(v, out + k) : 0;
        if (!len || v == 0) return -1;
        k += (size_t)len;
        a = q + 1;
    }
    return (long)k;
}

/* The value of attribute `attr` inside the tag [a, b), decoded; -1 absent, -2 malformed. */
static long attribute(const char *a, const char *b, const char *attr, char *out, size_t cap) {
    size_t n = strlen(attr);
    for (const char *q = a; q + n + 2 <= b; q++) {
        if (memcmp(q, attr, n) || q[n] != '=' || (q[n + 1] != '"' && q[n + 1] != '\'') ||
            (q > a && q[-1] != ' ' && q[-1] != '\t' && q[-1] != '\n'))
            continue;
        char quote = q[n + 1];
        const char *v = q + n + 2, *e = memchr(v, quote, (size_t)(b - v));
        if (!e) return -2;
        long len = decode_text(v, e, out, cap);
        return len < 0 ? -2 : len;
    }
    return -1;
}

static gan_status bad(const scan *s, const char *what) {
    return gan_fail(GAN_ERR_FORMAT, "%s:%d: %s", s->name, s->line, what);
}

/* " | "-separated keywords into the entry */
static int add_keywords(gan_emoji_entry *e, const char *t, size_t n) {
    const char *p = t, *end = t + n;
    while (p < end) {
        while (p < end && (*p == ' ' || *p == '|')) p++;
        const char *q = p;
        while (q < end && *q != '|') q++;
        const char *last = q;
        while (last > p && last[-1] == ' ') last--;
        if (last > p && !gan_emoji_field_append(&e->keywords, p, (size_t)(last - p))) return 0;
        p = q;
    }
    return 1;
}

/* One <annotation ...>text</annotation> starting at s->p. */
static gan_status annotation(scan *s, gan_emoji_set *set) {
    const char *gt = find(s, s->p, ">");
    if (!gt) return bad(s, "unterminated <annotation> tag");
    char cp[256], type[32], text[4096];
    long cpn = attribute(s->p, gt, "cp", cp, sizeof cp);
    long tn = attribute(s->p, gt, "type", type, sizeof type);
    if (cpn < 0) return bad(s, cpn == -1 ? "<annotation> without a cp attribute"
                                         : "bad cp attribute");
    if (tn == -2) return bad(s, "bad type attribute");
    if (gt > s->p && gt[-1] == '/') {       /* <annotation cp="x"/>: nothing to add */
        advance(s, gt + 1);
        return GAN_OK;
    }
    const char *close = find(s, gt + 1, "</annotation>");
    if (!close) return bad(s, "<annotation> without </annotation>");
    long n = decode_text(gt + 1, close, text, sizeof text);
    if (n < 0) return bad(s, "bad or too long annotation text");
    if (!gan_utf8_check(cp, (size_t)cpn, NULL) || !gan_utf8_check(text, (size_t)n, NULL))
        return bad(s, "invalid UTF-8");
    char key[GAN_EMOJI_KEY_MAX];
    gan_emoji_entry *e = NULL;
    if (gan_emoji_key_from_utf8(cp, (size_t)cpn, key) == GAN_OK) e = gan_emoji_set_find(set, key);
    int ok = 1;
    if (e && tn == 3 && !memcmp(type, "tts", 3)) ok = gan_emoji_field_set(&e->name, text, (size_t)n);
    else if (e && tn < 0) ok = add_keywords(e, text, (size_t)n);
    advance(s, close + strlen("</annotation>"));
    return ok ? GAN_OK : gan_fail(GAN_ERR_NOMEM, "%s: out of memory", s->name);
}

gan_status gan_emoji_parse_cldr(gan_emoji_set *set, const char *name, const char *data, size_t n) {
    scan s = {name, data, data + n, 1};
    while (s.p < s.end) {
        const char *lt = memchr(s.p, '<', (size_t)(s.end - s.p));
        if (!lt) break;
        advance(&s, lt);
        size_t left = (size_t)(s.end - s.p);
        if (left >= 4 && !memcmp(s.p, "<!--", 4)) {
            const char *e = find(&s, s.p + 4, "-->");
            if (!e) return bad(&s, "unterminated comment");
            advance(&s, e + 3);
        } else if (left >= 12 && !memcmp(s.p, "<annotation", 11) &&
                   (s.p[11] == ' ' || s.p[11] == '\t' || s.p[11] == '\n')) {
            gan_status st = annotation(&s, set);
            if (st != GAN_OK) return st;
        } else {
            const char *gt = memchr(s.p, '>', left);
            if (!gt) return bad(&s, "unterminated tag");
            advance(&s, gt + 1);
        }
    }
    return GAN_OK;
}

gan_status gan_emoji_read_cldr(gan_emoji_set *set, const char *xml_path) {
    char *buf;
    size_t n;
    gan_status st = gan_emoji_slurp(xml_path, CLDR_MAX, &buf, &n);
    if (st != GAN_OK) return st;
    st = gan_emoji_parse_cldr(set, xml_path, buf, n);
    free(buf);
    return st;
}
