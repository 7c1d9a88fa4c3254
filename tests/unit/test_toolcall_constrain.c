/*
 * Schema-constrained decoding: the allowed-token set the trie walk computes equals the brute-force
 * set (each token's piece fed to a fresh copy of the state) at every state of many random
 * generations over a hand-made vocabulary; no state reached that way is a dead end; every
 * generation that ends parses and its calls validate against their schemas. Plus the language
 * itself on hand-written texts (what is accepted, where it is refused) and the compile errors.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testkit.h"
#include "toolcall/constrain.h"
#include "toolcall/tc_message.h"
#include "toolcall/token_trie.h"
#include "toolcall/validate.h"

#define Q "<|\"|>"

/* ---------------------------------------------------------------------------------------------- */
/* A small vocabulary with what makes the walk hard: markers as single tokens and in pieces, tokens
 * that cross from a string into the next key or out of the call, partial UTF-8, '<' in text. */

typedef struct piece {
    const char *s;
    size_t n;
} piece;

static const char *const k_words[] = {
    "<|tool_call>",
    "<tool_call|>",
    Q,
    "<|channel>",
    "<channel|>",
    "<|turn>",
    "<|tool_response>",
    "call",
    ":",
    "call:",
    "get_weather",
    "get_time",
    "get",
    "_weather",
    "_time",
    "book_flight",
    "book",
    "_flight",
    "{",
    "}",
    "[",
    "]",
    ",",
    "location",
    "location:",
    "loc",
    "ation",
    "unit",
    "unit:",
    "days",
    "days:",
    "zone:",
    "celsius",
    "fahrenheit",
    "cel",
    "sius",
    "UTC",
    "Asia/Tokyo",
    "Asia",
    "/",
    "Tokyo",
    "Paris",
    "Europe/Paris",
    "To",
    "kyo",
    " ",
    "  ",
    "\n",
    "\t",
    "the",
    " weather",
    "Hello",
    "1",
    "2",
    "3",
    "4",
    "9",
    "0",
    "10",
    "14",
    "15",
    "-",
    ".",
    "e",
    "E",
    "+",
    "true",
    "false",
    "null",
    "None",
    "tr",
    "ue",
    "nu",
    "ll",
    "<",
    "|",
    "\"",
    ">",
    "<|",
    "\"|>",
    "<|\"",
    "|>",
    "<tool",
    "_call",
    "|>call:",
    "<|tool",
    "_call>",
    "thought",
    "\xC3\xA9",
    "\xC3",
    "\xA9",
    "\xE6\x97\xA5\xE6\x9C\xAC",
    "\xE6\x97",
    "\xA5",
    "a<b",
    "<b>",
    Q ",",
    Q "}",
    "}"
    "<tool_call|>",
    "\"}",
    Q ",unit:" Q,
    "celsius" Q "}",
    "}}",
    "]}",
    "},",
    "route:{from:",
    "from:",
    "to:",
    "MUC",
    "LHR",
    "passengers:",
    "class:",
    "economy",
    "business",
    "first",
    "flexible:",
    "budget:",
    "dates:",
    "seat:",
    "tags:",
    "coords:",
    "2026",
    "-01",
    "x",
    "y",
    "z",
    "_",
    "A",
    "B",
    "ab",
    "a1",
    "00",
    "0.5",
    "1e5",
    "12.5",
    "-3",
    "<|\"|",
    "<|\"|>x",
    "xyz",
    "route",
    "\xF0\x9F\x98\x80",
    "\xF0\x9F",
    "\x98\x80",
    "\xED\xA0\x80",
    "\xC0\xAF",
};

static piece *g_pieces;
static int32_t g_n;

static void vocab_init(void) {
    if (g_pieces) return;
    int32_t nw = (int32_t)(sizeof k_words / sizeof k_words[0]);
    g_pieces = calloc((size_t)nw + 128, sizeof *g_pieces);
    g_n = 0;
    for (int32_t i = 0; i < nw; i++) g_pieces[g_n++] = (piece){k_words[i], strlen(k_words[i])};
    static char bytes[128];
    for (int c = 0x20; c < 0x7F; c++) {
        bytes[c] = (char)c;
        g_pieces[g_n++] = (piece){&bytes[c], 1};
    }
    static const char nul = 0;
    g_pieces[g_n++] = (piece){&nul, 1}; /* <0x00> */
    g_pieces[g_n++] = (piece){"", 0};   /* an empty piece is never allowed */
}

static const char *vocab_piece(void *user, int32_t id, size_t *len) {
    (void)user;
    *len = g_pieces[id].n;
    return g_pieces[id].s;
}

static g4_token_trie *make_trie(void) {
    vocab_init();
    g4_token_trie *t = NULL;
    g4_error err = {0};
    if (g4_token_trie_build(g_n, vocab_piece, NULL, &t, &err) != GEMMA4_OK) fail_msg("trie: %s", err.msg);
    return t;
}

static cJSON *tools_from(const char *rel_or_json) {
    cJSON *t;
    if (rel_or_json[0] == '[') {
        t = cJSON_Parse(rel_or_json);
    } else {
        char path[1024];
        size_t size = 0;
        char *text = g4t_read_file(g4t_data_path(path, sizeof path, rel_or_json), &size);
        if (!text) fail_msg("cannot read %s", path);
        t = cJSON_ParseWithLength(text, size);
        free(text);
    }
    if (!t) fail_msg("bad tools JSON %s", rel_or_json);
    return t;
}

static g4_tcc *compile(const cJSON *tools) {
    g4_tcc *g = NULL;
    g4_error err = {0};
    if (g4_tcc_compile(tools, &g, &err) != GEMMA4_OK) fail_msg("compile: %s", err.msg);
    return g;
}

/* Feeds the whole text from the start of the output. */
static bool accepts(const g4_tcc *g, const char *text, g4_tcc_state *out) {
    g4_tcc_state st;
    g4_tcc_start(g, &st, 0);
    bool ok = g4_tcc_feed(g, &st, text, strlen(text));
    if (out) *out = st;
    return ok;
}

/* The same text fed in every split into two pieces gives the same answer. */
static bool accepts_split(const g4_tcc *g, const char *text) {
    bool whole = accepts(g, text, NULL);
    size_t n = strlen(text);
    for (size_t k = 1; k < n; k++) {
        g4_tcc_state st;
        g4_tcc_start(g, &st, 0);
        bool ok = g4_tcc_feed(g, &st, text, k) && g4_tcc_feed(g, &st, text + k, n - k);
        if (ok != whole) fail_msg("'%s' split at %zu: %d, whole: %d", text, k, ok, whole);
    }
    return whole;
}

/* ---------------------------------------------------------------------------------------------- */

static void brute_force(const g4_tcc *g, const g4_tcc_state *st, uint64_t *bits, int32_t n_vocab) {
    memset(bits, 0, sizeof *bits * (((size_t)n_vocab + 63) / 64));
    for (int32_t id = 0; id < n_vocab; id++) {
        if (g_pieces[id].n == 0) continue;
        g4_tcc_state copy = *st;
        if (g4_tcc_feed(g, &copy, g_pieces[id].s, g_pieces[id].n)) g4_bitset_set(bits, id);
    }
}

static void show(char *out, size_t cap, const char *s, size_t n) {
    size_t o = 0;
    for (size_t i = 0; i < n && o + 5 < cap; i++) {
        unsigned char c = (unsigned char)s[i];
        o += (size_t)snprintf(out + o, cap - o, c >= 0x20 && c < 0x7F ? "%c" : "\\x%02X", c);
    }
    out[o] = '\0';
}

static int weight(const piece *p) {
    for (size_t i = 0; i < p->n; i++)
        if (strchr("<>,}]:", p->s[i])) return 20;
    return 1;
}

typedef struct walk_result {
    int steps, ended, calls;
} walk_result;

/* One random generation: at every step the walk's allowed set must equal the brute-force set and
 * must not be empty unless the output may end. Ends when the output may end and at least `calls`
 * calls are complete (with some probability), or after max_steps. */
static walk_result random_walk(const g4_tcc *g, const cJSON *tools, g4_tcc_walker *w, int32_t n_vocab, g4t_rng *rng,
                               const char *prefill, int want_calls, int max_steps) {
    size_t words = ((size_t)n_vocab + 63) / 64;
    uint64_t *fast = malloc(words * 8), *slow = malloc(words * 8);
    size_t cap = 1 << 16, len = strlen(prefill);
    char *text = malloc(cap);
    memcpy(text, prefill, len);
    g4_tcc_state st;
    g4_tcc_start(g, &st, 0);
    assert_true(g4_tcc_feed(g, &st, prefill, len));
    walk_result r = {0};
    for (; r.steps < max_steps; r.steps++) {
        g4_tcc_allowed(g, &st, w, fast);
        brute_force(g, &st, slow, n_vocab);
        for (int32_t id = 0; id < n_vocab; id++) {
            if (g4_bitset_get(fast, id) == g4_bitset_get(slow, id)) continue;
            char ctx[600], tok[64];
            show(ctx, sizeof ctx, text, len);
            show(tok, sizeof tok, g_pieces[id].s, g_pieces[id].n);
            fail_msg("after '%s': token %d '%s' is %s by the walk but %s by brute force", ctx, id, tok,
                     g4_bitset_get(fast, id) ? "allowed" : "refused", g4_bitset_get(slow, id) ? "allowed" : "refused");
        }
        bool can_end = g4_tcc_can_end(g, &st);
        int total = 0;
        for (int32_t id = 0; id < n_vocab; id++)
            if (g4_bitset_get(fast, id)) total += weight(&g_pieces[id]);
        if (total == 0 && !can_end) {
            char ctx[600];
            show(ctx, sizeof ctx, text, len);
            fail_msg("dead end after '%s'", ctx);
        }
        /* without a call to wait for, end rarely so that calls (spelled in pieces) happen */
        if (can_end && (int)st.ncalls >= want_calls && (total == 0 || g4t_rng_u64(rng) % (want_calls ? 4 : 200) == 0)) {
            r.ended = 1;
            break;
        }
        int pick = (int)(g4t_rng_u64(rng) % (uint64_t)total);
        int32_t id = 0;
        for (; id < n_vocab; id++) {
            if (!g4_bitset_get(fast, id)) continue;
            pick -= weight(&g_pieces[id]);
            if (pick < 0) break;
        }
        assert_true(g4_tcc_feed(g, &st, g_pieces[id].s, g_pieces[id].n));
        if (len + g_pieces[id].n >= cap) break;
        memcpy(text + len, g_pieces[id].s, g_pieces[id].n);
        len += g_pieces[id].n;
    }
    r.calls = (int)st.ncalls;
    if (r.ended) {
        /* what the constraint let through parses, and every call validates */
        cJSON *msg = NULL, *violations = cJSON_CreateArray();
        g4_error err = {0};
        char ctx[2000];
        show(ctx, sizeof ctx, text, len);
        if (g4_tc_parse(text, len, 0, &msg, &err) != GEMMA4_OK) fail_msg("'%s' does not parse: %s", ctx, err.msg);
        assert_int_equal(g4_tc_validate(msg, tools, violations, &err), GEMMA4_OK);
        if (cJSON_GetArraySize(violations) != 0) {
            char *v = cJSON_PrintUnformatted(violations);
            fail_msg("'%s' has violations: %s", ctx, v);
        }
        assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(msg, "tool_calls")), r.calls);
        cJSON_Delete(msg);
        cJSON_Delete(violations);
    }
    free(text);
    free(fast);
    free(slow);
    return r;
}

static void property_run(const char *tools_src, int walks, uint64_t seed, const char *prefill, int want_calls) {
    g4_token_trie *t = make_trie();
    cJSON *tools = tools_from(tools_src);
    g4_tcc *g = compile(tools);
    g4_tcc_walker *w = g4_tcc_walker_new(t);
    g4t_rng rng;
    g4t_rng_seed(&rng, seed);
    int ended = 0, calls = 0;
    for (int i = 0; i < walks; i++) {
        walk_result r = random_walk(g, tools, w, g_n, &rng, prefill, want_calls, want_calls ? 400 : 2000);
        ended += r.ended;
        calls += r.calls;
    }
    /* most generations get through a call and end: the property was checked on complete calls */
    if (ended < walks / 2) fail_msg("%s: only %d of %d random generations ended", tools_src, ended, walks);
    if (want_calls && calls == 0) fail_msg("%s: none of %d random generations wrote a call", tools_src, walks);
    g4_tcc_walker_free(w);
    g4_tcc_free(g);
    cJSON_Delete(tools);
    g4_token_trie_free(t);
}

static void test_property_weather(void **state) {
    (void)state;
    property_run("tools/weather.json", 150, 1, "<|tool_call>", 1);
}

static void test_property_flight(void **state) {
    (void)state;
    property_run("tools/flight.json", 150, 2, "<|tool_call>", 1);
}

static void test_property_from_text(void **state) {
    (void)state;
    /* from the start of the output: text, thoughts and markers spelled in pieces */
    property_run("tools/weather.json", 40, 3, "", 0);
    property_run("tools/weather.json", 40, 4, "<|channel>thought\nhmm<channel|>", 0);
}

static void test_property_free_and_refs(void **state) {
    (void)state;
    property_run(
        "[{\"type\":\"function\",\"function\":{\"name\":\"get\",\"parameters\":{\"type\":\"object\","
        "\"properties\":{\"a\":{\"$ref\":\"#/$defs/small\"},\"b\":{\"type\":\"object\",\"maxProperties\":2,"
        "\"additionalProperties\":{\"type\":\"boolean\"}},\"c\":{\"allOf\":[{\"type\":\"integer\"},"
        "{\"minimum\":-5,\"maximum\":5}]},\"d\":{\"type\":[\"number\",\"null\"],\"exclusiveMinimum\":-1,"
        "\"exclusiveMaximum\":1},\"e\":{\"type\":\"string\",\"minLength\":2,\"maxLength\":3},"
        "\"f\":{\"const\":[1,\"x\"]}},"
        "\"required\":[\"a\",\"e\"],\"$defs\":{\"small\":{\"type\":\"string\",\"enum\":[\"x\",\"xy\",\"y\"]}}}}},"
        "{\"name\":\"get_time\",\"parameters\":{\"type\":\"object\",\"additionalProperties\":true,"
        "\"maxProperties\":1}}]",
        200, 5, "<|tool_call>", 1);
}

/* ---------------------------------------------------------------------------------------------- */
/* The language on hand-written texts                                                              */

#define CALL(x) "<|tool_call>call:" x "<tool_call|>"

static void test_weather_language(void **state) {
    (void)state;
    cJSON *tools = tools_from("tools/weather.json");
    g4_tcc *g = compile(tools);
    assert_true(accepts_split(g, CALL("get_weather{location:" Q "Tokyo" Q ",unit:" Q "celsius" Q "}")));
    assert_true(accepts_split(g, CALL("get_weather{unit:" Q "fahrenheit" Q ",days:14,location:" Q "Paris" Q "}")));
    assert_true(accepts_split(
        g, "Sure." CALL("get_time{zone:" Q "Asia/Tokyo" Q "}") "\n" CALL("get_time{zone:" Q "UTC" Q "}")));
    assert_true(accepts(g, "<|channel>thought\nA <b>tag</b> is fine in a thought<channel|>Hi <there>", NULL));
    /* required keys before '}' */
    assert_false(accepts(g, CALL("get_weather{location:" Q "Tokyo" Q "}"), NULL));
    assert_false(accepts(g, "<|tool_call>call:get_weather{}", NULL));
    /* enum, key and name spelling */
    assert_false(accepts(g, "<|tool_call>call:get_weather{unit:" Q "kelvin", NULL));
    assert_false(accepts(g, "<|tool_call>call:get_weather{unit:" Q "cel" Q, NULL));
    assert_false(accepts(g, "<|tool_call>call:get_weather{city:", NULL));
    assert_false(accepts(g, "<|tool_call>call:get_weather{loc:", NULL));
    assert_false(accepts(g, "<|tool_call>call:get_weathe{", NULL));
    assert_false(accepts(g, "<|tool_call>call:set_weather", NULL));
    assert_false(accepts(g, "<|tool_call>call: get_weather", NULL));
    assert_false(accepts(g, "<|tool_call>call:get_weather{ location:", NULL));
    /* each key once */
    assert_false(accepts(g, "<|tool_call>call:get_weather{days:2,days:", NULL));
    /* integers in [1, 14]: refused at the first digit that cannot lead there */
    assert_true(accepts(g, "<|tool_call>call:get_weather{days:1", NULL));
    assert_false(accepts(g, "<|tool_call>call:get_weather{days:15", NULL));
    assert_false(accepts(g, "<|tool_call>call:get_weather{days:0", NULL));
    assert_false(accepts(g, "<|tool_call>call:get_weather{days:-", NULL));
    assert_false(accepts(g, "<|tool_call>call:get_weather{days:1.", NULL));
    assert_false(accepts(g, "<|tool_call>call:get_weather{days:1e", NULL));
    assert_false(accepts(g, "<|tool_call>call:get_weather{days:" Q, NULL));
    /* maxLength 16 characters (not bytes) */
    assert_true(accepts(g, "<|tool_call>call:get_weather{location:" Q "\xE6\x97\xA5\xE6\x9C\xAC abcdefghijklm", NULL));
    assert_false(
        accepts(g, "<|tool_call>call:get_weather{location:" Q "\xE6\x97\xA5\xE6\x9C\xAC abcdefghijklmn", NULL));
    /* '<' inside a string is content unless it becomes the quote */
    assert_true(accepts(g, "<|tool_call>call:get_weather{location:" Q "a<b<|x" Q ",", NULL));
    assert_false(accepts(g, "<|tool_call>call:get_weather{location:" Q "a\xC3" Q, NULL));
    /* the output may only end outside calls */
    g4_tcc_state st;
    assert_true(accepts(g, "<|tool_call>call:get_time{zone:" Q "UTC" Q "}", &st));
    assert_true(g4_tcc_in_call(&st));
    assert_false(g4_tcc_can_end(g, &st));
    assert_true(accepts(g, CALL("get_time{zone:" Q "UTC" Q "}"), &st));
    assert_false(g4_tcc_in_call(&st));
    assert_true(g4_tcc_can_end(g, &st));
    assert_int_equal(st.ncalls, 1);
    assert_true(accepts(g, CALL("get_time{zone:" Q "UTC" Q "}") "<turn|>", &st));
    assert_false(accepts(g, CALL("get_time{zone:" Q "UTC" Q "}") "<turn|>x", NULL));
    /* outside calls the format still holds: no stray closers, no new turn */
    assert_false(accepts(g, "Hi <tool_call|>", NULL));
    assert_false(accepts(g, "Hi <|turn>user", NULL));
    g4_tcc_free(g);
    cJSON_Delete(tools);
}

static void test_flight_language(void **state) {
    (void)state;
    cJSON *tools = tools_from("tools/flight.json");
    g4_tcc *g = compile(tools);
    const char *ok = CALL("book_flight{route:{from:" Q "MUC" Q ",to:" Q "LHR" Q "},passengers:2,dates:[" Q
                          "2026-01-01" Q "],class:" Q "business" Q ",flexible:false,budget:0.5,seat:None,tags:{"
                          "a:1,b_2:99},coords:[-90,180.0]}");
    assert_true(accepts_split(g, ok));
    cJSON *msg = NULL, *violations = cJSON_CreateArray();
    assert_int_equal(g4_tc_parse(ok, strlen(ok), 0, &msg, NULL), GEMMA4_OK);
    assert_int_equal(g4_tc_validate(msg, tools, violations, NULL), GEMMA4_OK);
    assert_int_equal(cJSON_GetArraySize(violations), 0);
    cJSON_Delete(msg);
    cJSON_Delete(violations);
#define PRE "<|tool_call>call:book_flight{"
    assert_false(accepts(g, PRE "route:{from:" Q "MU" Q, NULL));           /* minLength 3 */
    assert_false(accepts(g, PRE "route:{from:" Q "MUCX", NULL));           /* maxLength 3 */
    assert_false(accepts(g, PRE "route:{from:" Q "MUC" Q "}", NULL));      /* required "to" */
    assert_false(accepts(g, PRE "route:{from:" Q "MUC" Q ",via:", NULL));  /* additionalProperties false */
    assert_false(accepts(g, PRE "dates:[]", NULL));                        /* minItems 1 */
    assert_false(accepts(g, PRE "dates:[" Q "a" Q "," Q "b" Q ",", NULL)); /* maxItems 2 */
    assert_false(accepts(g, PRE "budget:0,", NULL));                       /* exclusiveMinimum 0 */
    assert_true(accepts(g, PRE "budget:0.", NULL));
    assert_true(accepts(g, PRE "budget:5000,", NULL));
    assert_false(accepts(g, PRE "budget:5000.1", NULL));
    assert_false(accepts(g, PRE "budget:1e", NULL)); /* no exponent in a bounded number */
    assert_false(accepts(g, PRE "budget:-", NULL));
    assert_false(accepts(g, PRE "class:" Q "eco" Q, NULL));
    assert_true(accepts(g, PRE "seat:null", NULL));
    assert_false(accepts(g, PRE "seat:true", NULL));
    assert_false(accepts(g, PRE "tags:{a:100", NULL));
    assert_false(accepts(g, PRE "tags:{a:1,a:", NULL));       /* an undeclared key once too */
    assert_false(accepts(g, PRE "tags:{a:1,b:2,c:3,", NULL)); /* maxProperties 3 */
    assert_false(accepts(g, PRE "tags:{a-b:", NULL));
    assert_false(accepts(g, PRE "coords:[1,2,", NULL)); /* no items past the tuple */
    assert_false(accepts(g, PRE "coords:[91", NULL));
    assert_false(accepts(g, PRE "flexible:1", NULL));
    assert_false(accepts(g, PRE "passengers:0", NULL));
    assert_true(accepts(g, PRE "passengers:9", NULL));
    assert_false(accepts(g, PRE "passengers:10", NULL));
#undef PRE
    g4_tcc_free(g);
    cJSON_Delete(tools);
}

static void test_quoted_keys_and_anyof(void **state) {
    (void)state;
    cJSON *tools = tools_from("[{\"name\":\"f\",\"parameters\":{\"type\":\"object\",\"properties\":{"
                              "\"a b\":{\"type\":\"boolean\"},\"x:y\":{\"type\":\"null\"},"
                              "\"v\":{\"oneOf\":[{\"type\":\"integer\",\"maximum\":3},{\"type\":\"string\","
                              "\"enum\":[\"auto\"]},{\"type\":\"array\",\"maxItems\":1}]}},"
                              "\"additionalProperties\":false}}]");
    g4_tcc *g = compile(tools);
    assert_true(accepts_split(g, CALL("f{" Q "a b" Q ":true," Q "x:y" Q ":null,v:3}")));
    assert_true(accepts(g, CALL("f{v:" Q "auto" Q "}"), NULL));
    assert_true(accepts(g, CALL("f{v:[{}]}"), NULL));
    assert_true(accepts(g, CALL("f{a b:false}"), NULL)); /* a bare key may hold inner spaces */
    assert_false(accepts(g, "<|tool_call>call:f{x:y:", NULL));
    assert_false(accepts(g, "<|tool_call>call:f{v:4", NULL));
    assert_false(accepts(g, "<|tool_call>call:f{v:" Q "x", NULL));
    assert_false(accepts(g, "<|tool_call>call:f{v:[1,", NULL));
    g4_tcc_free(g);
    cJSON_Delete(tools);
}

/* Undeclared keys near their 64-byte limit: the walk must agree with the automaton where the last
 * byte is checked against the keys already used. */
static void test_free_keys_at_the_limit(void **state) {
    (void)state;
    g4_token_trie *t = make_trie();
    cJSON *tools = tools_from("[{\"name\":\"f\",\"parameters\":{\"type\":\"object\",\"properties\":{"
                              "\"xy\":{\"type\":\"integer\"}},\"additionalProperties\":{\"type\":\"integer\"}}}]");
    g4_tcc *g = compile(tools);
    g4_tcc_walker *w = g4_tcc_walker_new(t);
    size_t words = ((size_t)g_n + 63) / 64;
    uint64_t *fast = calloc(words, 8), *slow = calloc(words, 8);
    char k63[64], text[512];
    memset(k63, 'a', 63);
    k63[63] = '\0';
    const char *cases[] = {"", "a", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", k63, "x", "xy"};
    for (int used = 0; used < 2; used++) {
        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
            /* with "aaa...a" (64) already used, its 63-byte prefix can no longer end in 'a' */
            snprintf(text, sizeof text, "<|tool_call>call:f{%s%s", used ? k63 : "", used ? "a:1," : "");
            strcat(text, cases[i]);
            g4_tcc_state st;
            assert_true(accepts(g, text, &st));
            g4_tcc_allowed(g, &st, w, fast);
            brute_force(g, &st, slow, g_n);
            if (memcmp(fast, slow, words * 8)) fail_msg("after '%s' the walk and brute force disagree", text);
        }
    }
    char dup[512];
    snprintf(dup, sizeof dup, "<|tool_call>call:f{%sa:1,%s", k63, k63);
    assert_true(accepts(g, dup, NULL));
    strcat(dup, "a");
    assert_false(accepts(g, dup, NULL));
    free(fast);
    free(slow);
    g4_tcc_walker_free(w);
    g4_tcc_free(g);
    cJSON_Delete(tools);
    g4_token_trie_free(t);
}

static void test_compile_errors(void **state) {
    (void)state;
    static const char *const bad[] = {
        "{}",
        "[]",
        "[{\"function\":{\"name\":\"has space\"}}]",
        "[{\"function\":{\"description\":\"no name\"}}]",
        "[{\"function\":{\"name\":\"f\",\"parameters\":{\"type\":\"string\"}}}]",
        "[{\"function\":{\"name\":\"f\",\"parameters\":false}}]",
        ("[{\"function\":{\"name\":\"f\",\"parameters\":{\"type\":\"object\",\"required\":[\"a\"],"
         "\"properties\":{\"a\":{\"enum\":[]}}}}}]"),
        "[{\"function\":{\"name\":\"f\",\"parameters\":{\"$ref\":\"#/nowhere\"}}}]",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cJSON *tools = cJSON_Parse(bad[i]);
        g4_tcc *g = (g4_tcc *)1;
        g4_error err = {0};
        gemma4_status st = g4_tcc_compile(tools, &g, &err);
        if (st == GEMMA4_OK) fail_msg("%s compiled", bad[i]);
        assert_null(g);
        assert_true(err.msg[0] != '\0');
        cJSON_Delete(tools);
    }
    /* a tool without parameters takes {} only */
    cJSON *tools = cJSON_Parse("[{\"function\":{\"name\":\"now\"}},{\"function\":{\"name\":\"bad name\"}}]");
    g4_tcc *g = compile(tools);
    assert_true(accepts(g, CALL("now{}"), NULL));
    assert_false(accepts(g, "<|tool_call>call:now{a", NULL));
    assert_false(accepts(g, "<|tool_call>call:bad", NULL));
    g4_tcc_free(g);
    cJSON_Delete(tools);
}

/* The walk visits the subtrees of the few non-plain tokens, not the whole vocabulary, in content
 * states: a big random vocabulary of plain words must not make the walk of a free string slow. */
static void test_walk_cost_scales_with_nonplain(void **state) {
    (void)state;
    enum { N = 60000 };
    static char store[N][12];
    piece *saved = g_pieces;
    int32_t saved_n = g_n;
    vocab_init();
    piece *big = calloc(N + (size_t)g_n, sizeof *big);
    for (int32_t i = 0; i < g_n; i++) big[i] = g_pieces[i];
    g4t_rng rng;
    g4t_rng_seed(&rng, 9);
    for (int32_t i = 0; i < N; i++) {
        int len = 1 + (int)(g4t_rng_u64(&rng) % 10);
        for (int k = 0; k < len; k++) store[i][k] = (char)('a' + g4t_rng_u64(&rng) % 26);
        big[g_n + i] = (piece){store[i], (size_t)len};
    }
    g_pieces = big;
    g_n += N;
    g4_token_trie *t = make_trie();
    cJSON *tools = tools_from("[{\"name\":\"f\",\"parameters\":{\"type\":\"object\",\"properties\":{\"s\":"
                              "{\"type\":\"string\"}}}}]");
    g4_tcc *g = compile(tools);
    g4_tcc_walker *w = g4_tcc_walker_new(t);
    uint64_t *bits = calloc(((size_t)g_n + 63) / 64, 8), *slow = calloc(((size_t)g_n + 63) / 64, 8);
    g4_tcc_state st;
    assert_true(accepts(g, "<|tool_call>call:f{s:" Q "abc", &st));
    g4_tcc_allowed(g, &st, w, bits);
    brute_force(g, &st, slow, g_n);
    assert_memory_equal(bits, slow, ((size_t)g_n + 63) / 64 * 8);
    uint64_t steps = g4_tcc_walker_steps(w);
    if (steps > 400) fail_msg("%llu trie steps in a string over %d tokens", (unsigned long long)steps, g_n);
    /* a pending '<' (quote or marker): after the first byte the state is plain again */
    static const char *const pending[] = {"<|tool_call>call:f{s:" Q "abc<", "<|tool_call>call:f{s:" Q "abc<|",
                                          "Hello <", "Hello <|tool"};
    for (size_t i = 0; i < sizeof pending / sizeof pending[0]; i++) {
        assert_true(accepts(g, pending[i], &st));
        g4_tcc_allowed(g, &st, w, bits);
        brute_force(g, &st, slow, g_n);
        assert_memory_equal(bits, slow, ((size_t)g_n + 63) / 64 * 8);
        steps = g4_tcc_walker_steps(w);
        if (steps > 800)
            fail_msg("%llu trie steps after '%s' over %d tokens", (unsigned long long)steps, pending[i], g_n);
    }
    free(bits);
    free(slow);
    g4_tcc_walker_free(w);
    g4_tcc_free(g);
    cJSON_Delete(tools);
    g4_token_trie_free(t);
    free(big);
    g_pieces = saved;
    g_n = saved_n;
}

static void test_trie_shape(void **state) {
    (void)state;
    g4_token_trie *t = make_trie();
    /* every non-empty piece is in the trie once, at the node its bytes lead to */
    assert_int_equal(t->n_tokens, (uint32_t)g_n - 1);
    uint32_t seen = 0;
    for (uint32_t i = 0; i < t->n_nodes; i++) seen += t->nodes[i].n_term;
    assert_int_equal(seen, t->n_tokens);
    for (int32_t id = 0; id < g_n; id++) {
        if (g_pieces[id].n == 0) continue;
        uint32_t ni = 0, at = 0;
        const char *s = g_pieces[id].s;
        size_t n = g_pieces[id].n;
        while (at < n) {
            const g4_trie_node *node = &t->nodes[ni];
            uint32_t next = UINT32_MAX;
            for (uint32_t k = 0; k < node->n_children; k++) {
                const g4_trie_node *c = &t->nodes[node->first_child + k];
                if (c->edge_len <= n - at && !memcmp(t->pool + c->edge, s + at, c->edge_len))
                    next = node->first_child + k;
            }
            if (next == UINT32_MAX) fail_msg("token %d not found in the trie", id);
            at += t->nodes[next].edge_len;
            ni = next;
        }
        bool found = false;
        for (uint32_t p = t->nodes[ni].lo; p < t->nodes[ni].lo + t->nodes[ni].n_term; p++) found |= t->ids[p] == id;
        assert_true(found);
        assert_int_equal(g4_bitset_get(t->class_bits[G4_PIECE_PLAIN], id), g4_piece_is_plain(s, n));
    }
    assert_true(g4_piece_is_plain("abc", 3));
    assert_false(g4_piece_is_plain("a<c", 3));
    assert_false(g4_piece_is_plain("\xC3", 1));
    assert_false(g4_piece_is_plain("\xED\xA0\x80", 3)); /* a surrogate */
    assert_false(g4_piece_is_plain("\xC0\xAF", 2));     /* overlong */
    assert_true(g4_piece_is_plain("\xF0\x9F\x98\x80", 4));
    g4_token_trie_free(t);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_trie_shape),
        cmocka_unit_test(test_weather_language),
        cmocka_unit_test(test_flight_language),
        cmocka_unit_test(test_quoted_keys_and_anyof),
        cmocka_unit_test(test_free_keys_at_the_limit),
        cmocka_unit_test(test_compile_errors),
        cmocka_unit_test(test_property_weather),
        cmocka_unit_test(test_property_flight),
        cmocka_unit_test(test_property_from_text),
        cmocka_unit_test(test_property_free_and_refs),
        cmocka_unit_test(test_walk_cost_scales_with_nonplain),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
