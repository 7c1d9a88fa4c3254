/* Render -> parse round trips. The rendered side is the Jinja template's own output
 * (tests/data/chat/golden.json, which the C renderer matches byte for byte in test_text_chat), and
 * the Gemma value writer (text/gemma_value.h) on random values. Either way the parser must give back the same
 * arguments. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testkit.h"
#include "text/chat_json.h"
#include "text/gemma_value.h"
#include "toolcall/tc_message.h"

/* JSON equality with numbers compared by value and objects by members (order-free). */
static bool same(const cJSON *a, const cJSON *b) {
    if (cJSON_IsNumber(a) && cJSON_IsNumber(b)) return a->valuedouble == b->valuedouble;
    if (cJSON_IsArray(a) && cJSON_IsArray(b)) {
        const cJSON *x = a->child, *y = b->child;
        for (; x && y; x = x->next, y = y->next)
            if (!same(x, y)) return false;
        return !x && !y;
    }
    if (cJSON_IsObject(a) && cJSON_IsObject(b)) {
        if (cJSON_GetArraySize(a) != cJSON_GetArraySize(b)) return false;
        for (const cJSON *x = a->child; x; x = x->next) {
            const cJSON *y = cJSON_GetObjectItemCaseSensitive(b, x->string);
            if (!y || !same(x, y)) return false;
        }
        return true;
    }
    return cJSON_Compare(a, b, true);
}

static bool has_sentinel(const cJSON *v) {
    if (cJSON_IsString(v) && !strcmp(v->valuestring, "\x01non-finite")) return true;
    for (const cJSON *c = v ? v->child : NULL; c; c = c->next)
        if (has_sentinel(c)) return true;
    return false;
}

/* golden.json holds Python's NaN/Infinity tokens, which cJSON does not read: they become a
 * sentinel string (outside strings only), marking arguments the template prints as inf/nan. */
static char *replace_non_finite(const char *s, size_t n) {
    char *out = malloc(n * 3 + 1);
    size_t o = 0;
    bool in_str = false;
    for (size_t i = 0; i < n; i++) {
        if (in_str) {
            out[o++] = s[i];
            if (s[i] == '\\')
                out[o++] = s[++i];
            else if (s[i] == '"')
                in_str = false;
            continue;
        }
        const char *tok = NULL;
        if (!strncmp(s + i, "-Infinity", 9))
            tok = "-Infinity";
        else if (!strncmp(s + i, "Infinity", 8))
            tok = "Infinity";
        else if (!strncmp(s + i, "NaN", 3))
            tok = "NaN";
        if (tok) {
            static const char sent[] = "\"\\u0001non-finite\"";
            memcpy(out + o, sent, sizeof sent - 1);
            o += sizeof sent - 1;
            i += strlen(tok) - 1;
            continue;
        }
        if (s[i] == '"') in_str = true;
        out[o++] = s[i];
    }
    out[o] = '\0';
    return out;
}

static cJSON *load_golden(void) {
    char path[1024];
    size_t n = 0;
    char *text = g4t_read_file(g4t_data_path(path, sizeof path, "chat/golden.json"), &n);
    if (!text) fail_msg("cannot read %s (regenerate with python3 tests/data/chat/make_golden.py)", path);
    char *fixed = replace_non_finite(text, n);
    free(text);
    cJSON *doc = cJSON_Parse(fixed);
    free(fixed);
    if (!doc) fail_msg("golden.json does not parse");
    return doc;
}

/* The k-th "<|tool_call>...<tool_call|>" span of text (NULL if there are fewer). */
static char *nth_call(const char *text, int k) {
    const char *p = text;
    for (;;) {
        const char *a = strstr(p, "<|tool_call>");
        if (!a) return NULL;
        const char *z = strstr(a, "<tool_call|>");
        if (!z) return NULL;
        z += strlen("<tool_call|>");
        if (k-- == 0) return strndup(a, (size_t)(z - a));
        p = z;
    }
}

/* Calls f for every tool call of every rendered case in doc (golden.json's tree): the case's name,
 * the call's "function" object and the "<|tool_call>...<tool_call|>" text the template made of it. */
typedef void (*golden_call_fn)(const char *name, const cJSON *fn, const char *span, void *user);

static void for_each_golden_call(const cJSON *doc, golden_call_fn f, void *user) {
    const cJSON *c;
    cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(doc, "cases")) {
        const cJSON *expected = cJSON_GetObjectItemCaseSensitive(c, "expected");
        if (!cJSON_IsString(expected)) continue;
        const char *name = cJSON_GetObjectItemCaseSensitive(c, "name")->valuestring;
        int k = 0;
        const cJSON *m;
        cJSON_ArrayForEach(m, cJSON_GetObjectItemCaseSensitive(c, "messages")) {
            const cJSON *call;
            cJSON_ArrayForEach(call, cJSON_GetObjectItemCaseSensitive(m, "tool_calls")) {
                char *span = nth_call(expected->valuestring, k++);
                if (!span) fail_msg("%s: tool call %d is not in the rendered text", name, k - 1);
                f(name, cJSON_GetObjectItemCaseSensitive(call, "function"), span, user);
                free(span);
            }
        }
    }
}

typedef struct parse_back_counts {
    int checked, non_finite;
} parse_back_counts;

static void parse_back(const char *name, const cJSON *fn, const char *span, void *user) {
    parse_back_counts *counts = user;
    const cJSON *args = cJSON_GetObjectItemCaseSensitive(fn, "arguments");
    cJSON *decoded = cJSON_IsString(args) ? cJSON_Parse(args->valuestring) : NULL;
    const cJSON *want = decoded ? decoded : args;
    cJSON *msg = NULL;
    g4_error err = {0};
    gemma4_status st = g4_tc_parse(span, strlen(span), 0, &msg, &err);
    if (has_sentinel(want)) {
        /* Python prints inf/nan, which neither JSON nor the tool-call syntax has */
        if (st != GEMMA4_ERR_FORMAT || !strstr(err.msg, "bare word starting with 'i'"))
            fail_msg("%s: %s should not parse (%s)", name, span, err.msg);
        counts->non_finite++;
    } else {
        if (st != GEMMA4_OK) fail_msg("%s: %s: %s", name, span, err.msg);
        const cJSON *got_fn = cJSON_GetObjectItemCaseSensitive(
            cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(msg, "tool_calls"), 0), "function");
        assert_string_equal(cJSON_GetObjectItemCaseSensitive(got_fn, "name")->valuestring,
                            cJSON_GetObjectItemCaseSensitive(fn, "name")->valuestring);
        cJSON *got = cJSON_Parse(cJSON_GetObjectItemCaseSensitive(got_fn, "arguments")->valuestring);
        assert_non_null(got);
        /* arguments the template pasted verbatim (a string that is not a JSON object) only need to parse */
        if (cJSON_IsObject(want) && !same(got, want)) {
            char *a = cJSON_PrintUnformatted(got), *b = cJSON_PrintUnformatted(want);
            fail_msg("%s: %s\n  parsed   %s\n  rendered %s", name, span, a, b);
        }
        cJSON_Delete(got);
        counts->checked++;
    }
    cJSON_Delete(msg);
    cJSON_Delete(decoded);
}

static void test_golden_tool_calls_parse_back(void **state) {
    (void)state;
    cJSON *doc = load_golden();
    parse_back_counts counts = {0};
    for_each_golden_call(doc, parse_back, &counts);
    cJSON_Delete(doc);
    assert_true(counts.checked >= 15);
    assert_int_equal(counts.non_finite, 1);
}

/* The call as the Gemma value writer writes it from the arguments read the way the template reads
 * them (g4_chat_json_parse keeps number literals) is the template's text to the byte. */
static void write_back(const char *name, const cJSON *fn, const char *span, void *user) {
    const cJSON *args = cJSON_GetObjectItemCaseSensitive(fn, "arguments");
    g4_error err = {0};
    cJSON *decoded =
        cJSON_IsString(args) ? g4_chat_json_parse(args->valuestring, strlen(args->valuestring), "args", &err) : NULL;
    char *mine =
        g4_gemma_format_call(cJSON_GetObjectItemCaseSensitive(fn, "name")->valuestring, decoded ? decoded : args);
    if (mine) { /* NULL: arguments that are no JSON object, which the template pastes verbatim */
        if (strcmp(mine, span)) fail_msg("%s:\n  template %s\n  writer   %s", name, span, mine);
        (*(int *)user)++;
    }
    free(mine);
    cJSON_Delete(decoded);
}

/* Every tool call in golden.json comes out of the Gemma value writer exactly as the Jinja template
 * rendered it: constrained decoding forces values through this writer, so it must never spell a
 * value differently. */
static void test_writer_matches_golden_calls(void **state) {
    (void)state;
    char path[1024];
    size_t n = 0;
    char *text = g4t_read_file(g4t_data_path(path, sizeof path, "chat/golden.json"), &n);
    if (!text) fail_msg("cannot read %s", path);
    g4_error err = {0};
    cJSON *doc = g4_chat_json_parse(text, n, "golden.json", &err); /* the template's reading: literals kept */
    free(text);
    if (!doc) fail_msg("golden.json: %s", err.msg);
    int compared = 0;
    for_each_golden_call(doc, write_back, &compared);
    cJSON_Delete(doc);
    assert_true(compared >= 15);
}

/* The writer writes what the template writes (spot checks against golden.json texts). */
static void test_encoder_matches_template(void **state) {
    (void)state;
    cJSON *resp = cJSON_Parse("{\"temperature\": 21, \"sky\": \"clear\", \"wind\": [3, 5.5]}");
    char *s = g4_gemma_format_response("get_weather", resp);
    assert_string_equal(
        s, "<|tool_response>response:get_weather{sky:<|\"|>clear<|\"|>,temperature:21,wind:[3,5.5]}<tool_response|>");
    free(s);
    cJSON_Delete(resp);
    cJSON *text = cJSON_CreateString("plain text");
    s = g4_gemma_format_response("unknown", text);
    assert_string_equal(s, "<|tool_response>response:unknown{value:<|\"|>plain text<|\"|>}<tool_response|>");
    free(s);
    cJSON_Delete(text);
    cJSON *nested = cJSON_Parse("{\"K\": \"v\", \"a\": [1, 2]}");
    s = g4_gemma_format_value(nested, true);
    assert_string_equal(s, "{<|\"|>a<|\"|>:[1,2],<|\"|>K<|\"|>:<|\"|>v<|\"|>}");
    free(s);
    cJSON_Delete(nested);
    cJSON *args =
        cJSON_Parse("{\"b\":1,\"B\":2,\"a\":3,\"_x\":4,\"Ab\":5,\"aB\":6,\"Z\":8,\"z\":9,\"n\":null,\"f\":0.1}");
    s = g4_gemma_format_call("f", args);
    assert_string_equal(s, "<|tool_call>call:f{_x:4,a:3,Ab:5,aB:6,b:1,B:2,f:0.1,n:None,Z:8,z:9}<tool_call|>");
    free(s);
    cJSON_Delete(args);
    assert_null(g4_gemma_format_call("f", NULL));
    /* numbers are spelled as Python prints them: a literal kept as cJSON_Raw (the parser's output)
     * by what json.loads makes of it, a double as the float it is once it is past 2^53 */
    cJSON *nums = cJSON_CreateArray();
    cJSON_AddItemToArray(nums, cJSON_CreateRaw("2.50"));
    cJSON_AddItemToArray(nums, cJSON_CreateRaw("1E5"));
    cJSON_AddItemToArray(nums, cJSON_CreateRaw("-0"));
    cJSON_AddItemToArray(nums, cJSON_CreateRaw("12345678901234567890"));
    cJSON_AddItemToArray(nums, cJSON_CreateNumber(9007199254740994.0));
    cJSON_AddItemToArray(nums, cJSON_CreateNumber(-3));
    s = g4_gemma_format_value(nums, false);
    assert_string_equal(s, "[2.5,100000.0,0,12345678901234567890,9007199254740994.0,-3]");
    free(s);
    cJSON_Delete(nums);
}

/* ---------------------------------------------------------------------------------------------- */
/* Random values                                                                                   */

static const char *const k_pieces[] = {"a",    "Z",    "0",    " ",  "{",  "}",  "[", "]",
                                       ",",    ":",    "\"",   "'",  "\\", "<",  ">", "|",
                                       "<|",   "\"|>", "\n",   "\t", "é",  "中", "😀", "<tool_call|>",
                                       "null", "-1e5", "<|\"|"};
static const char *const k_key_pieces[] = {"a", "b", "Q", "9", "_", "-", ".", "$", "é", "名"};

static char *random_text(g4t_rng *r, const char *const *pool, size_t pool_n, int max_pieces) {
    char buf[512];
    size_t n = 0;
    int pieces = (int)(g4t_rng_u64(r) % (uint64_t)(max_pieces + 1));
    for (int i = 0; i < pieces; i++) {
        const char *p = pool[g4t_rng_u64(r) % pool_n];
        size_t l = strlen(p);
        if (n + l >= sizeof buf) break;
        memcpy(buf + n, p, l);
        n += l;
    }
    buf[n] = '\0';
    if (strstr(buf, "<|\"|>")) buf[0] = '\0'; /* the one sequence a string cannot hold */
    return strdup(buf);
}

static char *random_key(g4t_rng *r, bool quoted) {
    if (quoted) return random_text(r, k_pieces, sizeof k_pieces / sizeof *k_pieces, 5);
    char *k = random_text(r, k_key_pieces, sizeof k_key_pieces / sizeof *k_key_pieces, 6);
    if (!k[0]) {
        free(k);
        return strdup("k");
    }
    /* an inner space is fine in a bare key */
    if (g4t_rng_u64(r) % 4 == 0 && strlen(k) > 1 && (unsigned char)k[0] < 0x80) {
        size_t l = strlen(k);
        char *s = malloc(l + 3);
        snprintf(s, l + 3, "%c %s", k[0], k + 1);
        free(k);
        return s;
    }
    return k;
}

static cJSON *random_value(g4t_rng *r, int depth, bool quoted_keys) {
    unsigned kind = (unsigned)(g4t_rng_u64(r) % (depth > 3 ? 6 : 8));
    switch (kind) {
    case 0: {
        char *t = random_text(r, k_pieces, sizeof k_pieces / sizeof *k_pieces, 6);
        cJSON *v = cJSON_CreateString(t);
        free(t);
        return v;
    }
    case 1:
        return cJSON_CreateNumber((double)((int64_t)(g4t_rng_u64(r) % 2000001) - 1000000));
    case 2:
        return cJSON_CreateNumber(((double)((int64_t)(g4t_rng_u64(r) % 20001) - 10000)) / 64.0);
    case 3:
        return cJSON_CreateNumber(
            ldexp(1.0 + (double)(g4t_rng_u64(r) % 1000) / 1000.0, (int)(g4t_rng_u64(r) % 120) - 60));
    case 4:
        return cJSON_CreateBool(g4t_rng_u64(r) & 1);
    case 5:
        return cJSON_CreateNull();
    case 6: {
        cJSON *a = cJSON_CreateArray();
        int n = (int)(g4t_rng_u64(r) % 4);
        for (int i = 0; i < n; i++) cJSON_AddItemToArray(a, random_value(r, depth + 1, quoted_keys));
        return a;
    }
    default: {
        cJSON *o = cJSON_CreateObject();
        int n = (int)(g4t_rng_u64(r) % 4);
        for (int i = 0; i < n; i++) {
            char *k = random_key(r, quoted_keys);
            if (!cJSON_GetObjectItemCaseSensitive(o, k))
                cJSON_AddItemToObject(o, k, random_value(r, depth + 1, quoted_keys));
            free(k);
        }
        return o;
    }
    }
}

static void roundtrip(cJSON *args, const char *text, int iter) {
    cJSON *msg = NULL;
    g4_error err = {0};
    if (g4_tc_parse(text, strlen(text), 0, &msg, &err) != GEMMA4_OK)
        fail_msg("iteration %d: %s\n%s", iter, err.msg, text);
    const cJSON *fn = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(msg, "tool_calls"), 0), "function");
    cJSON *got = cJSON_Parse(cJSON_GetObjectItemCaseSensitive(fn, "arguments")->valuestring);
    if (!same(got, args)) {
        char *a = cJSON_PrintUnformatted(got), *b = cJSON_PrintUnformatted(args);
        fail_msg("iteration %d:\n  text   %s\n  parsed %s\n  given  %s", iter, text, a, b);
    }
    cJSON_Delete(got);
    cJSON_Delete(msg);
}

static void test_random_roundtrip(void **state) {
    (void)state;
    g4t_rng r;
    g4t_rng_seed(&r, 20250101);
    for (int iter = 0; iter < 2000; iter++) {
        bool quoted = iter % 2;
        cJSON *args = cJSON_CreateObject();
        int n = 1 + (int)(g4t_rng_u64(&r) % 5);
        for (int i = 0; i < n; i++) {
            char *k = random_key(&r, quoted);
            if (!cJSON_GetObjectItemCaseSensitive(args, k)) cJSON_AddItemToObject(args, k, random_value(&r, 1, quoted));
            free(k);
        }
        char *text;
        if (quoted) {
            /* keys of any text need the quoted form (the template's escape_keys), after some content */
            char *v = g4_gemma_format_value(args, true);
            size_t l = strlen(v) + 64;
            text = malloc(l);
            snprintf(text, l, "Text first. <|tool_call>call:f%s<tool_call|><turn|>", v);
            free(v);
        } else {
            text = g4_gemma_format_call("tool.name-1", args);
        }
        roundtrip(args, text, iter);
        free(text);
        cJSON_Delete(args);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_golden_tool_calls_parse_back),
        cmocka_unit_test(test_writer_matches_golden_calls),
        cmocka_unit_test(test_encoder_matches_template),
        cmocka_unit_test(test_random_roundtrip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
