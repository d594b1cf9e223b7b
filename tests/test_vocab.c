/* test_vocab.c — character and word vocabularies against token lists and ids worked out by
 * hand: order by count, min-count and <unk>, bos/eos, padding and lengths, decode round
 * trips, the file round trip, and the refusals (invalid UTF-8 in texts and in files). Also
 * the UTF-8 decoder on the classic malformed sequences. */
#include "harness.h"
#include "text/utf8.h"
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char dir[64];

static void test_utf8(void) {
    /* "a", U+00E9, U+20AC, U+1F600 */
    const char *s = "a\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80";
    uint32_t want[4] = {0x61, 0xE9, 0x20AC, 0x1F600}, cp;
    size_t pos = 0;
    int ok = 1;
    for (int i = 0; i < 4; i++) ok &= gan_utf8_next(s, strlen(s), &pos, &cp) == 1 && cp == want[i];
    ok &= gan_utf8_next(s, strlen(s), &pos, &cp) == 0;
    th_check(ok, "utf8_decode", "four code points of 1, 2, 3, 4 bytes");
    char buf[4];
    ok = gan_utf8_put(0x1F600, buf) == 4 && !memcmp(buf, "\xF0\x9F\x98\x80", 4) &&
         gan_utf8_put(0xD800, buf) == 0 && gan_utf8_put(0x110000, buf) == 0;
    th_check(ok, "utf8_encode", "U+1F600 -> F0 9F 98 80; surrogate and >U+10FFFF refused");
    static const char *bad[] = {"\x80", "\xC0\xAF", "\xE0\x80\xAF", "\xED\xA0\x80",
                                "\xF4\x90\x80\x80", "\xC3", "\xE2\x82", "\xF8\x88\x80\x80\x80",
                                "\xC3\x28"};
    int refused = 0;
    for (int i = 0; i < 9; i++) {
        size_t at = 99;
        refused += !gan_utf8_check(bad[i], strlen(bad[i]), &at) && at == 0;
    }
    th_check(refused == 9, "utf8_refuses", "%d of 9 malformed sequences refused at byte 0", refused);
    size_t at = 0;
    int refused_at = !gan_utf8_check("ab\xC3", 3, &at);
    th_check(refused_at && at == 2, "utf8_bad_offset",
             "truncated sequence reported at byte %zu (want 2)", at);
}

static int tok_eq(const gan_vocab *v, int id, const char *want) {
    const char *t = gan_vocab_token(v, id);
    return t && !strcmp(t, want);
}

static void test_char_vocab(void) {
    /* counts: a 4, b 2, c 1, U+00E9 2 -> order a(4), b(2), U+00E9(2) ("b" < 0xC3 bytes), c(1) */
    const char *texts[] = {"aab", "ab\xC3\xA9", "ca\xC3\xA9"};
    gan_vocab_opts o = {GAN_VOCAB_CHAR, 1, 0};
    gan_vocab *v;
    gan_status s = gan_vocab_build(texts, 3, &o, &v);
    int ok = s == GAN_OK && gan_vocab_size(v) == 6 && tok_eq(v, 0, "<pad>") &&
             tok_eq(v, 1, "<unk>") && tok_eq(v, 2, "a") && tok_eq(v, 3, "b") &&
             tok_eq(v, 4, "\xC3\xA9") && tok_eq(v, 5, "c");
    th_check(ok, "char_vocab_order", "size %d: <pad> <unk> a b \xC3\xA9 c",
             s == GAN_OK ? gan_vocab_size(v) : -1);
    gan_vocab_free(v);

    o.min_count = 2;         /* c (1) drops out and becomes <unk> */
    gan_vocab_build(texts, 3, &o, &v);
    int ids[8];
    int n = gan_vocab_tokenize(v, "cab\xC3\xA9z", ids, 8);
    int want[5] = {1, 2, 3, 4, 1};
    ok = gan_vocab_size(v) == 5 && n == 5 && !memcmp(ids, want, sizeof want);
    th_check(ok, "char_min_count_unk", "\"cab\xC3\xA9z\" -> %d ids: %d %d %d %d %d (want 1 2 3 4 1)",
             n, ids[0], ids[1], ids[2], ids[3], ids[4]);
    gan_vocab_free(v);
}

static void test_word_vocab(void) {
    /* "Don't stop!" -> don ' t stop ! ; "don't STOP now" -> don ' t stop now
     * counts: don 2, ' 2, t 2, stop 2, ! 1, now 1; ties in byte order: ' (0x27) don stop t,
     * then ! (0x21) now */
    const char *texts[] = {"Don't stop!", "don't\tSTOP\xC2\xA0now"};
    gan_vocab_opts o = {GAN_VOCAB_WORD, 1, 1};
    gan_vocab *v;
    gan_status s = gan_vocab_build(texts, 2, &o, &v);
    const char *want[] = {"<pad>", "<unk>", "<bos>", "<eos>", "'", "don", "stop", "t", "!", "now"};
    int ok = s == GAN_OK && gan_vocab_size(v) == 10;
    for (int i = 0; ok && i < 10; i++) ok = tok_eq(v, i, want[i]);
    th_check(ok, "word_vocab_order", "size %d; lower-cased, punctuation split, NBSP is space",
             s == GAN_OK ? gan_vocab_size(v) : -1);
    gan_vocab_free(v);
}

static void test_encode_decode(void) {
    const char *texts[] = {"Don't stop!", "don't\tSTOP\xC2\xA0now"};
    gan_vocab_opts o = {GAN_VOCAB_WORD, 1, 1};
    gan_vocab *v;
    gan_vocab_build(texts, 2, &o, &v);
    gan_ctx *ctx = gan_ctx_new(0);
    const char *in[] = {"stop now", "", "Stop, don't!"};
    gan_tensor *tok, *len;
    gan_status s = gan_vocab_encode(v, ctx, in, 3, 0, &tok, &len);
    /* stop now -> bos 6 9 eos ; "" -> bos eos ; "Stop, don't!" -> bos 6 unk 5 4 7 8 eos (8) */
    float want[3][8] = {{2, 6, 9, 3, 0, 0, 0, 0}, {2, 3, 0, 0, 0, 0, 0, 0},
                        {2, 6, 1, 5, 4, 7, 8, 3}};
    float wlen[3] = {4, 2, 8};
    int ok = s == GAN_OK && tok->ndim == 2 && tok->shape[0] == 3 && tok->shape[1] == 8 &&
             !memcmp(tok->data, want, sizeof want) && !memcmp(len->data, wlen, sizeof wlen);
    th_check(ok, "encode_pad_lengths", "(3, %d) tokens, lengths %g %g %g (want 4 2 8)",
             s == GAN_OK ? tok->shape[1] : -1, s == GAN_OK ? len->data[0] : -1.0,
             s == GAN_OK ? len->data[1] : -1.0, s == GAN_OK ? len->data[2] : -1.0);
    char *back = NULL;
    s = gan_vocab_decode(v, tok->data + 16, 8, &back);
    th_check(s == GAN_OK && !strcmp(back, "stop <unk> don ' t !"), "decode_words",
             "\"%s\"", back ? back : "(null)");
    free(back);
    s = gan_vocab_encode(v, ctx, in, 3, 3, &tok, &len);   /* cut: eos lost */
    float cut[3][3] = {{2, 6, 9}, {2, 3, 0}, {2, 6, 1}};
    ok = s == GAN_OK && tok->shape[1] == 3 && !memcmp(tok->data, cut, sizeof cut) &&
         len->data[0] == 3 && len->data[1] == 2 && len->data[2] == 3;
    th_check(ok, "encode_max_len", "max_len 3 cuts to (3, 3), lengths 3 2 3");
    float badid[2] = {2, 4.5f};
    s = gan_vocab_decode(v, badid, 2, &back);
    th_check(s == GAN_ERR_ARG && strstr(gan_last_error(), "position 1"), "decode_bad_id", "%s", gan_last_error());
    const char *inv[] = {"ok", "bad \xFF"};
    s = gan_vocab_encode(v, ctx, inv, 2, 0, &tok, &len);
    th_check(s == GAN_ERR_ARG && strstr(gan_last_error(), "text 1") &&
             strstr(gan_last_error(), "byte 4"), "encode_invalid_utf8", "%s", gan_last_error());
    gan_vocab_free(v);

    /* char round trip: decode(encode(x)) == x when every character is in the vocabulary */
    const char *ct[] = {"h\xC3\xA9llo\n w\xF0\x9F\x98\x80rld\t\\"};
    gan_vocab_opts co = {GAN_VOCAB_CHAR, 1, 0};
    gan_vocab_build(ct, 1, &co, &v);
    s = gan_vocab_encode(v, ctx, ct, 1, 0, &tok, &len);
    gan_vocab_decode(v, tok->data, tok->shape[1], &back);
    th_check(s == GAN_OK && back && !strcmp(back, ct[0]) && len->data[0] == 14, "char_round_trip",
             "length %g (want 14)", s == GAN_OK ? len->data[0] : -1.0);
    free(back);

    /* file round trip: same size, same tokens, same ids */
    char path[128];
    snprintf(path, sizeof path, "%s/char.vocab", dir);
    gan_vocab *w = NULL;
    s = gan_vocab_save(v, path);
    if (s == GAN_OK) s = gan_vocab_load(path, &w);
    ok = s == GAN_OK && gan_vocab_size(w) == gan_vocab_size(v) &&
         gan_vocab_get_kind(w) == GAN_VOCAB_CHAR && !gan_vocab_has_bos_eos(w);
    for (int i = 0; ok && i < gan_vocab_size(v); i++)
        ok = !strcmp(gan_vocab_token(v, i), gan_vocab_token(w, i));
    th_check(ok, "file_round_trip", "%d tokens (newline, tab, backslash escaped): %s",
             gan_vocab_size(v), s == GAN_OK ? "same" : gan_last_error());
    gan_vocab_free(w);
    gan_vocab_free(v);
    gan_ctx_free(ctx);
}

static void expect_parse_fail(const char *what, const char *text, const char *needle) {
    gan_vocab *v = NULL;
    gan_status s = gan_vocab_parse("x.vocab", text, strlen(text), &v);
    const char *m = gan_last_error();
    th_check(s == GAN_ERR_FORMAT && !v && strstr(m, needle) != NULL, what, "%s", m);
}

static void test_file_refusals(void) {
    expect_parse_fail("file_invalid_utf8", "gan-vocab char\n<pad>\n<unk>\na\n\xC3(\n",
                      "x.vocab:5: invalid UTF-8");
    expect_parse_fail("file_bad_header", "gan-vocab byte\n<pad>\n<unk>\n", "x.vocab:1:");
    expect_parse_fail("file_duplicate", "gan-vocab word\n<pad>\n<unk>\nab\ncd\nab\n",
                      "x.vocab:6: duplicate");
    expect_parse_fail("file_two_cps", "gan-vocab char\n<pad>\n<unk>\nab\n", "x.vocab:4: a character");
    expect_parse_fail("file_bad_escape", "gan-vocab word\n<pad>\n<unk>\na\\x\n", "x.vocab:4: bad escape");
    expect_parse_fail("file_empty_line", "gan-vocab word\n<pad>\n<unk>\n\n", "x.vocab:4: empty");
    expect_parse_fail("file_no_specials", "gan-vocab word\n<pad>\n", "special");
    expect_parse_fail("file_wrong_special", "gan-vocab word\n<unk>\n<pad>\n", "x.vocab:2:");
    gan_vocab *v = NULL;
    const char *ok = "gan-vocab word\n<pad>\n<unk>\n<bos>\n<eos>\nhi";
    gan_status s = gan_vocab_parse("y", ok, strlen(ok), &v);
    th_check(s == GAN_OK && gan_vocab_has_bos_eos(v) && gan_vocab_size(v) == 5 &&
             gan_vocab_id(v, "hi") == 4 && gan_vocab_id(v, "zz") == GAN_VOCAB_UNK,
             "file_bos_eos_no_final_newline", "size %d", v ? gan_vocab_size(v) : -1);
    gan_vocab_free(v);
    s = gan_vocab_load("/nonexistent/v.vocab", &v);
    th_check(s == GAN_ERR_IO && strstr(gan_last_error(), "/nonexistent/v.vocab"), "file_missing",
             "%s", gan_last_error());
}

int main(void) {
    snprintf(dir, sizeof dir, "/tmp/gan_test_vocab.%ld", (long)getpid());
    char cmd[128];
    snprintf(cmd, sizeof cmd, "mkdir -p %s", dir);
    if (system(cmd)) return 1;
    test_utf8();
    test_char_vocab();
    test_word_vocab();
    test_encode_decode();
    test_file_refusals();
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd)) return 1;
    return th_done("test_vocab");
}
