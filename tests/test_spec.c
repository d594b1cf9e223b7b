/* test_spec.c — model specs refused and accepted:
 *  - a malformed spec (not JSON, unknown block or option, missing or wrong-typed option,
 *    expression errors, shapes that do not chain, an input nothing produces, limits) is
 *    GAN_ERR_FORMAT with one line naming the file, the block at fault and what is wrong;
 *  - the expression language (lazy ?:, && and ||, min/max/log2), templates, "$param" options
 *    and "when" give the nets they promise, each checked against names and counts worked out
 *    here by hand;
 *  - gan_spec_to_json rebuilds the same nets; gan_spec_set refuses what it cannot set. */
#include "harness.h"
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define ORIGIN "my.json"
/* the smallest net, for specs about their params */
#define NETS "\"nets\": [{\"name\": \"D\", \"inputs\": {\"x\": [2]}, \"blocks\": [{\"block\": \"relu\"}]}]"

/* Parses json and, when net is not NULL, builds that net: the first failure's status. */
static gan_status parse_build(const char *json, const char *net) {
    gan_spec *s;
    gan_status st = gan_spec_parse(json, strlen(json), ORIGIN, &s);
    if (st || !net) {
        gan_spec_free(s);
        return st;
    }
    gan_net *n = gan_net_new(net);
    gan_module *m;
    st = gan_build(n, s, net, &m);
    gan_module_free(m);
    gan_net_free(n);
    gan_spec_free(s);
    return st;
}

/* The spec must be refused with GAN_ERR_FORMAT and one line holding the origin and each of
 * the NULL-terminated words. */
static void refused(const char *what, const char *json, const char *net, ...) {
    gan_status st = parse_build(json, net);
    const char *e = gan_last_error();
    int ok = st == GAN_ERR_FORMAT && !strchr(e, '\n') && !strncmp(e, ORIGIN ": ", strlen(ORIGIN) + 2);
    const char *missing = NULL;
    va_list ap;
    va_start(ap, net);
    for (const char *w; (w = va_arg(ap, const char *));)
        if (!strstr(e, w) && !missing) missing = w;
    va_end(ap);
    if (missing) th_check(0, what, "status %d, without '%s': %s", st, missing, e);
    else th_check(ok, what, "status %d: %s", st, e);
}

/* A D over one 1x8x8 image, its blocks given. */
static char *d_spec(const char *params, const char *blocks) {
    static char buf[8192];
    snprintf(buf, sizeof buf,
             "{\"params\": {%s}, \"nets\": [{\"name\": \"D\", \"inputs\": {\"image\": [1, 8, 8]},\n"
             " \"blocks\": [%s]}]}", params, blocks);
    return buf;
}

static void not_json(void) {
    refused("not JSON: the line is named", "{\n  \"nets\": [\n    {oops}\n  ]\n}", NULL,
            "not valid JSON", "line 3", NULL);
    refused("empty file", "", NULL, "not valid JSON", NULL);
    refused("top level not an object", "[1, 2]", NULL, "JSON object", NULL);
    refused("missing nets", "{\"name\": \"x\"}", NULL, "needs \"nets\"", NULL);
    refused("unknown top-level key", "{\"nets\": [], \"nest\": 1}", NULL, "unknown key 'nest'", NULL);
    refused("a key with a newline stays one line", "{\"ne\\nts\": 1}", NULL, "unknown key 'ne?ts'", NULL);
    refused("duplicate net names",
            "{\"nets\": [{\"name\": \"D\", \"inputs\": {\"x\": [2]}, \"blocks\": [{\"block\": \"relu\"}]},"
            " {\"name\": \"D\", \"inputs\": {\"x\": [2]}, \"blocks\": [{\"block\": \"relu\"}]}]}", NULL,
            "two nets are named 'D'", NULL);
    refused("a top-level key given twice", "{" NETS ", " NETS "}", NULL, "top level", "key 'nets' is given twice", NULL);
    refused("an input declared twice",
            "{\"nets\": [{\"name\": \"D\", \"inputs\": {\"x\": [2], \"x\": [3]}, \"blocks\": [{\"block\": \"relu\"}]}]}", NULL,
            "net D, input 'x': declared twice", NULL);
    refused("a let given twice", "{\"let\": {\"a\": 1, \"a\": 2}, " NETS "}", NULL, "let 'a' is given twice", NULL);
    refused("a net without inputs", "{\"nets\": [{\"name\": \"D\", \"blocks\": [{\"block\": \"relu\"}]}]}", NULL,
            "net D", "needs \"inputs\"", NULL);
    refused("the net asked for is missing", d_spec("", "{\"block\": \"relu\"}"), "G", "no net 'G'", NULL);
    char deep[5000];
    memset(deep, '[', 4000);
    deep[4000] = 0;
    refused("JSON nested 4000 deep", deep, NULL, "not valid JSON", NULL);
}

static void blocks_and_options(void) {
    refused("unknown block type", d_spec("", "{\"block\": \"relu\"}, {\"block\": \"convv\"}"), "D",
            "net D, block 1", "unknown block 'convv'", "known: linear, conv", NULL);
    refused("a block without a type", d_spec("", "{\"out\": 3}"), "D", "block 0", "needs \"block\"", NULL);
    refused("unknown option (typo)", d_spec("", "{\"block\": \"conv\", \"out\": 2, \"k\": 3, \"kernal\": 4}"), "D",
            "block 0 (conv D.0)", "unknown option 'kernal'", NULL);
    refused("missing required option", d_spec("", "{\"block\": \"conv\", \"name\": \"c\", \"k\": 3}"), "D",
            "block 0 (conv c)", "missing option 'out'", NULL);
    refused("an option given twice", d_spec("", "{\"block\": \"relu\", \"in\": \"image\", \"in\": \"image\"}"), "D",
            "block 0", "'in' is given twice", NULL);
    refused("a string where a bool is needed",
            d_spec("", "{\"block\": \"conv\", \"out\": 2, \"k\": 3, \"bias\": \"'yes'\"}"), "D",
            "block 0 (conv", "option 'bias'", "expected an integer, got the string 'yes'", NULL);
    refused("a bare word where a bool is needed",
            d_spec("", "{\"block\": \"conv\", \"out\": 2, \"k\": 3, \"bias\": \"yes\"}"), "D",
            "block 0 (conv", "option 'bias'", "unknown name 'yes'", NULL);
    refused("an array where an int is needed", d_spec("", "{\"block\": \"conv\", \"out\": [2], \"k\": 3}"), "D",
            "block 0 (conv", "option 'out'", "expected an integer", NULL);
    refused("a number where a string is needed", d_spec("", "{\"block\": \"norm\", \"kind\": 3}"), "D",
            "block 0 (norm", "option 'kind'", "expected a string", NULL);
    refused("an unknown choice", d_spec("", "{\"block\": \"norm\", \"kind\": \"btach\"}"), "D",
            "block 0 (norm", "unknown value 'btach'", "batch, layer", NULL);
    refused("a fraction where an int is needed", d_spec("", "{\"block\": \"conv\", \"out\": 2.5, \"k\": 3}"), "D",
            "option 'out'", "2.5 is not an integer", NULL);
    refused("1e300 where an int is needed", d_spec("", "{\"block\": \"conv\", \"out\": 1e300, \"k\": 3}"), "D",
            "option 'out'", "is not an integer", NULL);
    refused("1e300 where a float is needed", d_spec("", "{\"block\": \"leaky_relu\", \"slope\": 1e300}"), "D",
            "block 0 (leaky_relu", "option 'slope'", "out of range", NULL);
    refused("a name clashing with another block's parameters",
            d_spec("", "{\"block\": \"conv\", \"name\": \"c\", \"out\": 2, \"k\": 3},"
                       "{\"block\": \"conv\", \"name\": \"c\", \"out\": 2, \"k\": 3}"), "D",
            "block 1 (conv c)", "clashes", NULL);
    refused("a name extending another block's",
            d_spec("", "{\"block\": \"res_down\", \"name\": \"r\", \"out\": 2},"
                       "{\"block\": \"conv\", \"name\": \"r.c1\", \"out\": 2, \"k\": 1}"), "D",
            "block 1 (conv r.c1)", "clashes with the parameters of block 'r' (res_down)", NULL);
    refused("a name equal to a default name",
            d_spec("", "{\"block\": \"conv\", \"out\": 2, \"k\": 3}, {\"block\": \"conv\", \"name\": \"D.0\", \"out\": 2, \"k\": 3}"),
            "D", "block 1 (conv D.0)", "clashes", NULL);
}

static void expressions(void) {
    refused("unknown name", d_spec("", "{\"block\": \"conv\", \"out\": \"ndf*2\", \"k\": 3}"), "D",
            "block 0 (conv", "option 'out'", "unknown name 'ndf'", NULL);
    refused("division by zero", d_spec("\"z\": 0", "{\"block\": \"conv\", \"out\": \"4/z\", \"k\": 3}"), "D",
            "block 0 (conv", "division by zero", NULL);
    refused("int64 overflow", d_spec("", "{\"block\": \"conv\", \"out\": \"4611686018427387904*4\", \"k\": 3}"), "D",
            "block 0 (conv", "integer overflow", NULL);
    refused("int overflow", d_spec("", "{\"block\": \"conv\", \"out\": \"1 << 40\", \"k\": 3}"), "D",
            "block 0 (conv", "1099511627776 is out of range", NULL);
    refused("log2 of a non-power", d_spec("", "{\"block\": \"conv\", \"out\": \"log2(12)\", \"k\": 3}"), "D",
            "block 0 (conv", "log2(12): not a power of two", NULL);
    refused("a syntax error", d_spec("", "{\"block\": \"conv\", \"out\": \"2 +\", \"k\": 3}"), "D",
            "block 0 (conv", "unexpected end of expression", NULL);
    char deep[400];
    memset(deep, '(', 150);
    snprintf(deep + 150, sizeof deep - 150, "1");
    memset(deep + 151, ')', 150);
    deep[301] = 0;
    char blocks[800];
    snprintf(blocks, sizeof blocks, "{\"block\": \"conv\", \"out\": \"%s\", \"k\": 3}", deep);
    refused("an expression nested 150 deep", d_spec("", blocks), "D", "block 0 (conv", "nested too deeply", NULL);
    refused("a let that fails at load", "{\"let\": {\"a\": \"1/0\"}, " NETS "}", NULL,
            "let 'a'", "division by zero", NULL);
    refused("an unknown function", d_spec("", "{\"block\": \"conv\", \"out\": \"sqrt(4)\", \"k\": 3}"), "D",
            "unknown function 'sqrt'", NULL);
}

static void shapes(void) {
    refused("linear after conv without flatten",
            d_spec("", "{\"block\": \"conv\", \"out\": 2, \"k\": 3}, {\"block\": \"linear\", \"out\": 1}"), "D",
            "block 1 (linear D.1)", "needs a flat input", "flatten", NULL);
    refused("conv kernel larger than the input", d_spec("", "{\"block\": \"conv\", \"out\": 2, \"k\": 9}"), "D",
            "block 0 (conv", "kernel 9 is larger than the padded input 8x8", NULL);
    refused("reshape to a wrong count", d_spec("", "{\"block\": \"reshape\", \"shape\": [3, 3]}"), "D",
            "block 0 (reshape", "shape holds 9 values per sample, the input has 64", NULL);
    refused("reshape to a huge count", d_spec("", "{\"block\": \"reshape\", \"shape\": [65536, 65536, 65536, 65536]}"), "D",
            "block 0 (reshape", "more values per sample than the input's 64", NULL);
    refused("concat of shapes that do not match",
            "{\"nets\": [{\"name\": \"D\", \"inputs\": {\"a\": [2, 4, 4], \"b\": [2, 5, 5]},"
            " \"blocks\": [{\"block\": \"concat\", \"in\": [\"a\", \"b\"]}]}]}", "D",
            "block 0 (concat", "input 1's shape does not match input 0's", NULL);
    refused("avg_pool of a size it does not divide",
            d_spec("", "{\"block\": \"conv\", \"out\": 2, \"k\": 2}, {\"block\": \"avg_pool\", \"k\": 2}"), "D",
            "block 1 (avg_pool", "window 2 does not divide 7x7", NULL);
    refused("res_down of an odd size",
            d_spec("", "{\"block\": \"conv\", \"out\": 2, \"k\": 2}, {\"block\": \"res_down\", \"out\": 2}"), "D",
            "block 1 (res_down", "cannot pool a 7x7 input", NULL);
    refused("an input nothing produces", d_spec("", "{\"block\": \"relu\", \"in\": \"nope\"}"), "D",
            "block 0 (relu", "input 'nope'", "no earlier block", NULL);
    refused("an output nothing produces",
            "{\"nets\": [{\"name\": \"D\", \"inputs\": {\"x\": [2]}, \"output\": \"y\", \"blocks\": [{\"block\": \"relu\"}]}]}",
            "D", "net D, output", "'y'", NULL);
    refused("an input never read",
            "{\"nets\": [{\"name\": \"D\", \"inputs\": {\"x\": [2], \"extra\": [3]}, \"blocks\": [{\"block\": \"relu\"}]}]}",
            "D", "net D", "input 'extra' is never read", NULL);
    refused("too few inputs for concat", d_spec("", "{\"block\": \"concat\"}"), "D",
            "block 0 (concat", "takes 2 to 8 inputs, given 1", NULL);
}

static void limits(void) {
    refused("a repeat with a huge count",
            d_spec("", "{\"block\": \"repeat\", \"count\": 100000, \"blocks\": [{\"block\": \"relu\"}]}"), "D",
            "block 0", "100000 times is too many", NULL);
    refused("nested repeats unrolling to too many blocks",
            d_spec("", "{\"block\": \"repeat\", \"count\": 100, \"blocks\": [{\"block\": \"repeat\", \"count\": 100,"
                       " \"blocks\": [{\"block\": \"relu\", \"when\": false}]}]}"), "D",
            "block 0 (_=40) > block 0 (_=54) > block 0", "more than 4096 blocks", NULL);
    char blocks[4096] = "", tail[4096] = "";
    for (int i = 0; i < 9; i++) {
        strcat(blocks, "{\"block\": \"repeat\", \"count\": 1, \"blocks\": [");
        strcat(tail, "]}");
    }
    strcat(blocks, "{\"block\": \"relu\"}");
    strcat(blocks, tail);
    refused("repeats nested 9 deep", d_spec("", blocks), "D", "nested too deeply", NULL);
    static char many[16384];
    size_t o = (size_t)snprintf(many, sizeof many, "{\"params\": {");
    for (int i = 0; i < 300; i++) o += (size_t)snprintf(many + o, sizeof many - o, "%s\"p%d\": %d", i ? ", " : "", i, i);
    snprintf(many + o, sizeof many - o, "}, " NETS "}");
    refused("300 params", many, NULL, "\"params\"", "up to 256", NULL);
    refused("an input size out of range",
            "{\"nets\": [{\"name\": \"D\", \"inputs\": {\"x\": [100000000]}, \"blocks\": [{\"block\": \"relu\"}]}]}",
            "D", "input 'x'", "out of range", NULL);
    refused("an input over 2^28 values",
            "{\"nets\": [{\"name\": \"D\", \"inputs\": {\"x\": [65536, 65536]}, \"blocks\": [{\"block\": \"relu\"}]}]}",
            "D", "input 'x'", "more than 2^28 values", NULL);
    refused("a weight of 10^12 values",
            d_spec("", "{\"block\": \"flatten\"}, {\"block\": \"linear\", \"name\": \"big\", \"out\": 2000000000}"), "D",
            "block 1 (linear big)", "more than 2^31 values", NULL);
    refused("a net past 2^31 parameters",
            d_spec("", "{\"block\": \"flatten\", \"as\": \"f\"}, {\"block\": \"repeat\", \"count\": 3, \"blocks\": ["
                       "{\"block\": \"linear\", \"name\": \"l{_}\", \"out\": 16000000, \"in\": \"f\"}]}"), "D",
            "(_=2) > block 0 (linear l2)", "past 2^31 parameters", NULL);
    refused("an output over 2^28 values per sample",
            d_spec("", "{\"block\": \"upsample\", \"factor\": 64}, {\"block\": \"upsample\", \"factor\": 64}"), "D",
            "block 1 (upsample", "more than 2^28 values per sample", NULL);
    refused("a conv_transpose output out of range",
            d_spec("", "{\"block\": \"conv_transpose\", \"out\": 1, \"k\": 2000000000, \"stride\": 2000000000}"), "D",
            "block 0 (conv_transpose", "the output would be", NULL);
    refused("an embedding table of 10^18 values",
            "{\"nets\": [{\"name\": \"G\", \"inputs\": {\"y\": []}, \"blocks\": [{\"block\": \"embedding\", \"num\": 1000000000, \"dim\": 1000000000}]}]}",
            "G", "block 0 (embedding", "more than 2^31 values", NULL);
}

/* ---------------------------------------------------------------- what works */

static int64_t eval(gan_spec *s, const char *expr, gan_status *st) {
    int64_t v = -999;
    *st = gan_spec_eval_int(s, expr, &v);
    return v;
}

static void language(void) {
    const char *json = "{\"params\": {\"size\": 28, \"d_norm\": \"layer\", \"sn\": false}, " NETS "}";
    gan_spec *s;
    gan_status st = gan_spec_parse(json, strlen(json), ORIGIN, &s);
    th_check(!st, "a spec without nets' blocks parses", "%s", st ? gan_last_error() : "");
    if (st) return;
    /* lazy ?: — log2(28/8) = log2(3) would fail, but that branch is not taken for 28 */
    const char *lazy = "size == 28 ? 2 : log2(size / 8)";
    int64_t v = eval(s, lazy, &st);
    th_check(!st && v == 2, "?: skips the untaken log2 for size 28", "%lld %s", (long long)v, st ? gan_last_error() : "");
    gan_spec_set_int(s, "size", 64);
    v = eval(s, lazy, &st);
    th_check(!st && v == 3, "?: takes log2(64/8) = 3 for size 64", "%lld", (long long)v);
    gan_spec_set_int(s, "size", 24);
    v = eval(s, lazy, &st);
    th_check(st == GAN_ERR_ARG && strstr(gan_last_error(), "log2(3)"), "?: reports log2(24/8) when taken", "%s", gan_last_error());
    gan_spec_set_int(s, "size", 0);
    v = eval(s, "size == 0 || 8 / size == 1", &st);
    th_check(!st && v == 1, "|| does not evaluate its decided right side", "%lld %s", (long long)v, st ? gan_last_error() : "");
    v = eval(s, "size != 0 && 8 / size", &st);
    th_check(!st && v == 0, "&& does not evaluate its decided right side", "%lld", (long long)v);
    v = eval(s, "size != 0 && nope", &st);
    th_check(st && strstr(gan_last_error(), "unknown name 'nope'"), "an unknown name is reported in a skipped side", "%s", gan_last_error());
    v = eval(s, "min(3, 5) + max(3, 5) * 10 + log2(64)", &st);
    th_check(!st && v == 3 + 50 + 6, "min, max, log2", "%lld", (long long)v);
    v = eval(s, "-7 / 2 * 2 + -7 % 2 + (1 << 10) - (1024 >> 3)", &st);
    th_check(!st && v == -6 - 1 + 1024 - 128, "C's integer division, shifts, precedence", "%lld", (long long)v);
    v = eval(s, "d_norm == 'layer' && !sn", &st);
    th_check(!st && v == 1, "strings compare, booleans are 0/1", "%lld", (long long)v);
    v = eval(s, "d_norm + 1", &st);
    th_check(st && strstr(gan_last_error(), "needs integers"), "a string in arithmetic is refused", "%s", gan_last_error());
    gan_spec_free(s);
}

/* Builds net of spec json; returns the module (NULL on failure, with a FAIL line). */
static gan_module *build(const char *what, const char *json, const char *netname, gan_spec **sp, gan_net **np) {
    gan_status st = gan_spec_parse(json, strlen(json), ORIGIN, sp);
    gan_module *m = NULL;
    *np = gan_net_new(netname);
    if (!st) st = gan_build(*np, *sp, netname, &m);
    th_check(!st, what, "%s", st ? gan_last_error() : "builds");
    return m;
}

static void done(gan_spec *s, gan_net *n, gan_module *m) {
    gan_module_free(m);
    gan_net_free(n);
    gan_spec_free(s);
}

static int has(gan_net *n, const char *name, int64_t numel) {
    gan_tensor *t = gan_net_find(n, name);
    return t && t->numel == numel;
}

static void features(void) {
    gan_spec *s;
    gan_net *n;
    /* templates: conv i reads 2 << i channels... main.{3*i} names 0, 3, 6 */
    const char *tmpl = "{\"params\": {\"w\": 2}, \"nets\": [{\"name\": \"D\", \"inputs\": {\"image\": [1, 8, 8]}, \"blocks\": ["
                       "{\"block\": \"repeat\", \"var\": \"i\", \"count\": 3, \"blocks\": ["
                       "{\"block\": \"conv\", \"name\": \"main.{3*i}\", \"out\": \"w << i\", \"k\": 3, \"pad\": 1, \"bias\": \"i == 2\"}]}]}]}";
    gan_module *m = build("templates and loop variables build", tmpl, "D", &s, &n);
    if (m) {
        /* weights (out, in, 3, 3): (2,1), (4,2), (8,4); only the last has a bias */
        int ok = has(n, "main.0.weight", 2 * 1 * 9) && has(n, "main.3.weight", 4 * 2 * 9) &&
                 has(n, "main.6.weight", 8 * 4 * 9) && has(n, "main.6.bias", 8) && !gan_net_find(n, "main.0.bias");
        th_check(ok && gan_net_num_params(n) == 18 + 72 + 288 + 8, "main.{3*i}: names and sizes",
                 "%lld params", (long long)gan_net_num_params(n));
        int shape[GAN_MAX_DIMS], nd = gan_module_output_shape(m, shape);
        th_check(nd == 3 && shape[0] == 8 && shape[1] == 8, "the output shape follows", "%d: %d", nd, shape[0]);
    }
    done(s, n, m);

    /* "$param" options and "when" */
    const char *norm = "{\"params\": {\"d_norm\": \"layer\", \"extra\": false}, \"nets\": [{\"name\": \"D\", \"inputs\": {\"x\": [3, 2, 2]},"
                       " \"blocks\": [{\"block\": \"norm\", \"name\": \"n\", \"kind\": \"$d_norm\"},"
                       " {\"block\": \"conv\", \"name\": \"c\", \"out\": 1, \"k\": 1, \"when\": \"extra\"}]}]}";
    m = build("a \"$param\" option builds", norm, "D", &s, &n);
    if (m) th_check(has(n, "n.weight", 12) && !gan_net_find(n, "c.weight") && gan_net_num_params(n) == 24,
                    "kind $d_norm = layer: weight and bias of the per-sample shape; when false: no conv",
                    "%lld params", (long long)gan_net_num_params(n));
    gan_module_free(m);
    gan_net_free(n);
    gan_spec_set(s, "d_norm", "batch");
    gan_spec_set(s, "extra", "true");
    n = gan_net_new("D");
    gan_status st = gan_build(n, s, "D", &m);
    th_check(!st && has(n, "n.weight", 3) && has(n, "c.weight", 3) && gan_module_mixes_batch(m),
             "kind $d_norm = batch: per channel; when true: the conv", "%s", st ? gan_last_error() : "");
    gan_module_free(m);
    gan_net_free(n);
    gan_spec_set(s, "d_norm", "bogus");
    n = gan_net_new("D");
    st = gan_build(n, s, "D", &m);
    th_check(st == GAN_ERR_FORMAT && strstr(gan_last_error(), "block 0 (norm n)") &&
             strstr(gan_last_error(), "unknown value 'bogus'"), "a string param with a value the option refuses",
             "%s", gan_last_error());
    done(s, n, m);

    /* a forward of a named-value graph: concat of an embedding and z */
    const char *cond = "{\"nets\": [{\"name\": \"G\", \"inputs\": {\"z\": [4], \"y\": []}, \"blocks\": ["
                       "{\"block\": \"embedding\", \"in\": \"y\", \"num\": 3, \"dim\": 2, \"as\": \"e\"},"
                       "{\"block\": \"concat\", \"in\": [\"z\", \"e\"]}, {\"block\": \"linear\", \"out\": 5}]}]}";
    m = build("named values (as / in) build", cond, "G", &s, &n);
    if (m) {
        int shape[GAN_MAX_DIMS], nd = gan_module_output_shape(m, shape);
        th_check(gan_net_num_params(n) == 6 + 6 * 5 + 5 && nd == 1 && shape[0] == 5 && gan_module_num_inputs(m) == 2,
                 "embedding (3, 2) + linear (5, 6)", "%lld", (long long)gan_net_num_params(n));
    }
    done(s, n, m);
}

/* Param names and sizes of net `name` of s, one string. */
static void net_signature(const gan_spec *s, const char *name, char *buf, size_t cap, int64_t *params) {
    gan_net *n = gan_net_new(name);
    gan_module *m;
    buf[0] = 0;
    *params = -1;
    if (!gan_build(n, s, name, &m)) {
        size_t o = 0;
        for (int i = 0; i < gan_net_num_tensors(n) && o < cap; i++) {
            gan_tensor *t = gan_net_tensor(n, i);
            o += (size_t)snprintf(buf + o, cap - o, "%s:%lld ", t->name, (long long)t->numel);
        }
        *params = gan_net_num_params(n);
        gan_module_free(m);
    }
    gan_net_free(n);
}

static void round_trip(void) {
    static const char *const zoo[] = {"mlp", "dcgan28", "dcgan", "resnet"};
    for (int z = 0; z < 4; z++) {
        char path[64];
        snprintf(path, sizeof path, "models/%s.json", zoo[z]);
        gan_spec *s, *t = NULL;
        gan_status st = gan_spec_load(path, &s);
        if (!th_check(!st, "zoo spec loads", "%s: %s", path, st ? gan_last_error() : "")) continue;
        /* a setting away from the defaults, so "params" must carry it */
        if (gan_spec_has_param(s, "nz")) gan_spec_set_int(s, "nz", 7);
        if (gan_spec_has_param(s, "sn")) gan_spec_set(s, "sn", "true");
        char *json = gan_spec_to_json(s);
        st = gan_spec_parse(json, strlen(json), "again.json", &t);
        th_check(!st, "gan_spec_to_json parses again", "%s: %s", zoo[z], st ? gan_last_error() : "");
        for (int k = 0; !st && k < 2; k++) {
            const char *net = k ? "D" : "G";
            static char a[32768], b[32768];
            int64_t pa, pb;
            net_signature(s, net, a, sizeof a, &pa);
            net_signature(t, net, b, sizeof b, &pb);
            th_check(pa > 0 && pa == pb && !strcmp(a, b), "round trip: same parameter names, sizes, count",
                     "%s %s: %lld vs %lld", zoo[z], net, (long long)pa, (long long)pb);
        }
        gan_free(json);
        gan_spec_free(t);
        gan_spec_free(s);
    }
}

static void setting(void) {
    const char *json = "{\"params\": {\"n\": 3, \"on\": true, \"kind\": \"batch\"}, " NETS "}";
    gan_spec *s;
    if (gan_spec_parse(json, strlen(json), ORIGIN, &s)) {
        th_check(0, "params spec parses", "%s", gan_last_error());
        return;
    }
    gan_status st = gan_spec_set(s, "ngf", "8");
    th_check(st == GAN_ERR_ARG && strstr(gan_last_error(), "no param 'ngf'") && strstr(gan_last_error(), ORIGIN),
             "set: an undeclared param", "%s", gan_last_error());
    st = gan_spec_set(s, "n", "eight");
    th_check(st == GAN_ERR_ARG && strstr(gan_last_error(), "'eight' is not an integer"), "set: not an integer", "%s", gan_last_error());
    st = gan_spec_set(s, "n", "8x");
    th_check(st == GAN_ERR_ARG, "set: trailing garbage", "%s", gan_last_error());
    st = gan_spec_set(s, "on", "maybe");
    th_check(st == GAN_ERR_ARG && strstr(gan_last_error(), "not a boolean"), "set: not a boolean", "%s", gan_last_error());
    st = gan_spec_set_int(s, "kind", 3);
    th_check(st == GAN_ERR_ARG && strstr(gan_last_error(), "is a string"), "set_int: a string param", "%s", gan_last_error());
    st = gan_spec_set_int(s, "nope", 3);
    th_check(st == GAN_ERR_ARG && strstr(gan_last_error(), "no param 'nope'"), "set_int: an undeclared param", "%s", gan_last_error());
    int64_t v = 0;
    th_check(!gan_spec_set(s, "n", "-12") && !gan_spec_eval_int(s, "n", &v) && v == -12, "set: a valid integer", "%lld", (long long)v);
    gan_spec_free(s);
    refused("params: a default of the wrong type", "{\"params\": {\"x\": [1]}, \"nets\": []}", NULL,
            "param 'x'", "integer, a boolean or a string", NULL);
}

int main(void) {
    not_json();
    blocks_and_options();
    expressions();
    shapes();
    limits();
    language();
    features();
    round_trip();
    setting();
    return th_done("test_spec");
}
