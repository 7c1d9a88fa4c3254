/* The Gemma 4 output parser: valid outputs to OpenAI messages, malformed ones to errors that say
 * where and what was expected; streaming gives the same result as one piece; the prefix queries. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testkit.h"
#include "toolcall/tc_message.h"
#include "toolcall/tc_parser.h"

#define Q "<|\"|>"
#define CALL(name, args) "<|tool_call>call:" name args "<tool_call|>"
#define NULL_CONTENT ((const char *)1)

typedef struct valid_case {
    const char *input;
    const char *content;   /* NULL_CONTENT: JSON null */
    const char *reasoning; /* NULL: no reasoning_content member */
    const char *calls[4];  /* "name" then "arguments JSON", pairs... flattened as name, args */
    unsigned flags;
} valid_case;

static const valid_case k_valid[] = {
    {"Hello there.", "Hello there.", NULL, {NULL}, 0},
    {"", "", NULL, {NULL}, 0},
    {"  \n\t ", "", NULL, {NULL}, 0},
    {"<|channel>thought\nLet me think.<channel|>The answer is 4.", "The answer is 4.", "Let me think.", {NULL}, 0},
    {"<|channel>thought\n<channel|>Hi", "Hi", NULL, {NULL}, 0},
    {CALL("get_weather", "{location:" Q "Tokyo" Q "}"),
     NULL_CONTENT,
     NULL,
     {"get_weather", "{\"location\":\"Tokyo\"}"},
     0},
    {CALL("get_weather", "{location:" Q "Tokyo" Q ",unit:" Q "celsius" Q "}") "<|tool_response>",
     NULL_CONTENT,
     NULL,
     {"get_weather", "{\"location\":\"Tokyo\",\"unit\":\"celsius\"}"},
     0},
    {CALL("f", "{}") "<turn|>", NULL_CONTENT, NULL, {"f", "{}"}, 0},
    {"Let me check.\n" CALL("f", "{a:1}"), "Let me check.", NULL, {"f", "{\"a\":1}"}, 0},
    {"<|channel>thought\nNeed the tool.\n<channel|>" CALL("f", "{a:true}"),
     NULL_CONTENT,
     "Need the tool.",
     {"f", "{\"a\":true}"},
     0},
    {CALL("a", "{x:1}") CALL("b", "{y:2}"), NULL_CONTENT, NULL, {"a", "{\"x\":1}", "b", "{\"y\":2}"}, 0},
    {"A" CALL("a", "{}") " B " CALL("b", "{}"), "A B", NULL, {"a", "{}", "b", "{}"}, 0},
    {CALL("search", "{route:{from:" Q "MUC" Q ",to:" Q "LHR" Q "},passengers:2}"),
     NULL_CONTENT,
     NULL,
     {"search", "{\"route\":{\"from\":\"MUC\",\"to\":\"LHR\"},\"passengers\":2}"},
     0},
    {CALL("f", "{dates:[" Q "a" Q "," Q "b" Q "],n:[1,2,3],e:[]}"),
     NULL_CONTENT,
     NULL,
     {"f", "{\"dates\":[\"a\",\"b\"],\"n\":[1,2,3],\"e\":[]}"},
     0},
    {CALL("f", "{f:[{a:1},{b:[true,false,null]}]}"),
     NULL_CONTENT,
     NULL,
     {"f", "{\"f\":[{\"a\":1},{\"b\":[true,false,null]}]}"},
     0},
    {CALL("f", "{a:-1,b:0,c:3.25,d:-0.5,e:1e10,f:2E-3,g:1.5e+7,h:-0}"),
     NULL_CONTENT,
     NULL,
     {"f", "{\"a\":-1,\"b\":0,\"c\":3.25,\"d\":-0.5,\"e\":1e10,\"f\":2E-3,\"g\":1.5e+7,\"h\":-0}"},
     0},
    {CALL("f", "{n:12345678901234567890,x:1.50}"),
     NULL_CONTENT,
     NULL,
     {"f", "{\"n\":12345678901234567890,\"x\":1.50}"},
     0},
    {CALL("f", "{t:true,f:false,n:null,p:None}"),
     NULL_CONTENT,
     NULL,
     {"f", "{\"t\":true,\"f\":false,\"n\":null,\"p\":null}"},
     0},
    {CALL("f", "{s:" Q "a{b}c,d:e]f[" Q "}"), NULL_CONTENT, NULL, {"f", "{\"s\":\"a{b}c,d:e]f[\"}"}, 0},
    {CALL("f", "{s:" Q "say \"hi\" \\ there" Q "}"),
     NULL_CONTENT,
     NULL,
     {"f", "{\"s\":\"say \\\"hi\\\" \\\\ there\"}"},
     0},
    {CALL("f", "{s:" Q "line1\nline2\ttab\r" Q "}"),
     NULL_CONTENT,
     NULL,
     {"f", "{\"s\":\"line1\\nline2\\ttab\\r\"}"},
     0},
    {CALL("f", "{s:" Q "東京 ☀️ é" Q "}"), NULL_CONTENT, NULL, {"f", "{\"s\":\"東京 ☀️ é\"}"}, 0},
    {CALL("f", "{s:" Q "a<|b<|\"c<|\"|x" Q "}"), NULL_CONTENT, NULL, {"f", "{\"s\":\"a<|b<|\\\"c<|\\\"|x\"}"}, 0},
    {CALL("f", "{s:" Q "<" Q ",t:" Q "<<|" Q "}"), NULL_CONTENT, NULL, {"f", "{\"s\":\"<\",\"t\":\"<<|\"}"}, 0},
    {CALL("f", "{s:" Q Q ",t:" Q "  " Q "}"), NULL_CONTENT, NULL, {"f", "{\"s\":\"\",\"t\":\"  \"}"}, 0},
    {CALL("f", "{ a : 1 , b : [ 1 , 2 ] }"), NULL_CONTENT, NULL, {"f", "{\"a\":1,\"b\":[1,2]}"}, 0},
    {CALL("f", "{\n  a: 1,\n  b: {\n    c: " Q "x" Q "\n  }\n}"),
     NULL_CONTENT,
     NULL,
     {"f", "{\"a\":1,\"b\":{\"c\":\"x\"}}"},
     0},
    {CALL("f", "{" Q "my key" Q ":1," Q "a:b" Q " :2," Q Q ":3}"),
     NULL_CONTENT,
     NULL,
     {"f", "{\"my key\":1,\"a:b\":2,\"\":3}"},
     0},
    {CALL("f", "{first name:" Q "Ada" Q ",x  y :1}"),
     NULL_CONTENT,
     NULL,
     {"f", "{\"first name\":\"Ada\",\"x  y\":1}"},
     0},
    {CALL("f", "{$ref:1,a-b.c_d:2,ключ:3,@at#:4}"),
     NULL_CONTENT,
     NULL,
     {"f", "{\"$ref\":1,\"a-b.c_d\":2,\"ключ\":3,\"@at#\":4}"},
     0},
    {CALL("mcp.server-tool_1", "{}"), NULL_CONTENT, NULL, {"mcp.server-tool_1", "{}"}, 0},
    {CALL("ns:天気", "{}"), NULL_CONTENT, NULL, {"ns:天気", "{}"}, 0},
    {"<|turn>model\nHello", "Hello", NULL, {NULL}, 0},
    {"I think so.<channel|>Answer.", "Answer.", "I think so.", {NULL}, G4_TC_START_IN_THOUGHT},
    {"<channel|>" CALL("f", "{}"), NULL_CONTENT, NULL, {"f", "{}"}, G4_TC_START_IN_THOUGHT},
    {"Use <b>bold</b>, a <|image|> tag and x<y.", "Use <b>bold</b>, a <|image|> tag and x<y.", NULL, {NULL}, 0},
    {"a <", "a <", NULL, {NULL}, 0},
    {"ends with <|tool_", "ends with <|tool_", NULL, {NULL}, 0},
    {"<<|tool_call>call:f{}<tool_call|>", "<", NULL, {"f", "{}"}, 0},
    {"Done.<channel|>", "Done.", NULL, {NULL}, 0},
    {"Done.<channel|>\n<turn|>\n", "Done.", NULL, {NULL}, 0},
    {"<|channel>thought\nA<channel|>x<|channel>thought\nB<channel|>y", "xy", "A\nB", {NULL}, 0},
    {"<|channel>thought\nmaybe <|tool_call>call:x{} or <tool_call|><channel|>no",
     "no",
     "maybe <|tool_call>call:x{} or <tool_call|>",
     {NULL},
     0},
    {"<|channel>thought\n a <channel <channel| <<channel|>ok", "ok", "a <channel <channel| <", {NULL}, 0},
    {CALL("f", "{s:" Q "x<tool_call|>y<turn|>" Q "}"),
     NULL_CONTENT,
     NULL,
     {"f", "{\"s\":\"x<tool_call|>y<turn|>\"}"},
     0},
    {CALL("f", "{}") "Done<turn|>\n\n", "Done", NULL, {"f", "{}"}, 0},
    {CALL("f", "{a:{a:1},b:{a:2}}"), NULL_CONTENT, NULL, {"f", "{\"a\":{\"a\":1},\"b\":{\"a\":2}}"}, 0},
    {CALL("f", "{a:[[[],[[]]],{}]}"), NULL_CONTENT, NULL, {"f", "{\"a\":[[[],[[]]],{}]}"}, 0},
    {CALL("f", "{a:1e-7,b:-0.0,c:0.000}"), NULL_CONTENT, NULL, {"f", "{\"a\":1e-7,\"b\":-0.0,\"c\":0.000}"}, 0},
    {CALL("f", "{k:" Q "{\"json\": [1, 2]}" Q "}"), NULL_CONTENT, NULL, {"f", "{\"k\":\"{\\\"json\\\": [1, 2]}\"}"}, 0},
};

typedef struct error_case {
    const char *input;
    const char *message; /* the exact error text */
    unsigned flags;
} error_case;

static const error_case k_errors[] = {
    {"<|tool_call>call:get_weather{location" Q "Tokyo" Q "}<tool_call|>",
     "byte 37: expected ':' after key 'location', got '<'", 0},
    {"<|tool_call>call:get_weather{location:" Q "Tok",
     "byte 46: the text ends inside tool call 'get_weather' (truncated output?): expected '<|\"|>' to close the string "
     "value of key 'location'",
     0},
    {"<|tool_call>call:get_weather{location:" Q "Tokyo" Q "}",
     "byte 54: the text ends inside tool call 'get_weather' (truncated output?): expected '<tool_call|>' after the "
     "arguments of 'get_weather'",
     0},
    {"<|tool_call>call:get_weather{location:" Q "Tokyo" Q "<tool_call|>",
     "byte 53: expected ',' or '}' after the value of key 'location', got '<'", 0},
    {CALL("f", "{unit:celsius}"),
     "byte 24: expected a value for key 'unit' (<|\"|>text<|\"|>, a number, true, false, null, {...} or [...]), got a "
     "bare word "
     "starting with 'c' (strings are written <|\"|>...<|\"|>)",
     0},
    {CALL("f", "{unit:\"celsius\"}"),
     "byte 24: expected a value for key 'unit' (<|\"|>text<|\"|>, a number, true, false, null, {...} or [...]), got "
     "'\"' "
     "(strings are written <|\"|>...<|\"|>)",
     0},
    {CALL("f", "{a:1,}"), "byte 23: expected a key after ',', got '}'", 0},
    {CALL("f", "{a:01}"), "byte 22: a number cannot have leading zeros", 0},
    {CALL("f", "{a:1.}"), "byte 23: expected a digit after '.', got '}'", 0},
    {CALL("f", "{a:-}"), "byte 22: expected a digit after '-', got '}'", 0},
    {CALL("f", "{a:1e}"), "byte 23: expected a digit or a sign in the exponent, got '}'", 0},
    {CALL("f", "{a:1e+}"), "byte 24: expected a digit in the exponent, got '}'", 0},
    {CALL("f", "{a:tru}"),
     "byte 21: expected a value for key 'a' (<|\"|>text<|\"|>, a number, true, false, null, {...} or [...]), got a "
     "bare word "
     "starting with 't' (strings are written <|\"|>...<|\"|>)",
     0},
    {CALL("f", "{a:truex}"), "byte 25: expected ',' or '}' after the value of key 'a', got 'x'", 0},
    {"<|tool_call>get_weather{}", "byte 12: expected 'call:' after '<|tool_call>', got 'g'", 0},
    {"<|tool_call>call:{}", "byte 17: expected a function name after 'call:', got '{'", 0},
    {"<|tool_call>call:get weather{}", "byte 20: expected '{' after the function name 'get', got ' '", 0},
    {"<|tool_call>call:f {}", "byte 18: expected '{' after the function name 'f', got ' '", 0},
    {CALL("f", "{a:[1,2}"), "byte 25: expected ',' or ']' after an array item, got '}'", 0},
    {CALL("f", "{a:{b:1]}"), "byte 25: expected ',' or '}' after the value of key 'b', got ']'", 0},
    {CALL("f", "{a:{b:1} x}"), "byte 27: expected ',' or '}', got 'x'", 0},
    {"<|channel>thought\nhmm",
     "byte 21: the text ends inside the thought channel: expected '<channel|>' to close the thought", 0},
    {"<|channel>other", "byte 10: expected 'thought' after '<|channel>', got 'o'", 0},
    {"text <tool_call|> more", "byte 5: '<tool_call|>' without an opening '<|tool_call>'", 0},
    {"reasoning<channel|>answer",
     "byte 9: '<channel|>' closes a thought that was never opened (and text follows it; if the prompt ended inside the "
     "thought channel, parse with the thought open)",
     0},
    {"Done.<channel|>" CALL("f", "{}"),
     "byte 5: '<channel|>' closes a thought that was never opened (and text follows it; if the prompt ended inside the "
     "thought channel, parse with the thought open)",
     0},
    {"Bye<turn|>\nextra", "byte 11: text after the end of the turn (marker at byte 3), got 'e'", 0},
    {"Sure<|turn>user\nmore", "byte 4: unexpected '<|turn>': the model started a new turn", 0},
    {"a<tool_response|>", "byte 1: unexpected '<tool_response|>' (tool responses come from the caller)", 0},
    {"caf\xff", "byte 3: invalid UTF-8 (byte 0xFF)", 0},
    {CALL("f", "{s:" Q "\xc3\x28" Q "}"), "byte 27: invalid UTF-8 (byte 0x28)", 0},
    {"caf\xc3", "byte 4: the text ends in the middle of a UTF-8 character", 0},
    {"\xed\xa0\x80", "byte 1: invalid UTF-8 (byte 0xA0)", 0},
    {"\xc0\xaf", "byte 0: invalid UTF-8 (byte 0xC0)", 0},
    {CALL("f", "{a:1,a:2}"), "byte 23: key 'a' appears twice in the arguments of 'f'", 0},
    {CALL("f", "{:1}"), "byte 19: expected a key or '}', got ':'", 0},
    {CALL("f", "{\"a\":1}"), "byte 19: expected a key or '}', got '\"'", 0},
    {CALL("f", "{a:}"),
     "byte 21: expected a value for key 'a' (<|\"|>text<|\"|>, a number, true, false, null, {...} or [...]), got '}'",
     0},
    {CALL("f", "{a:,b:1}"),
     "byte 21: expected a value for key 'a' (<|\"|>text<|\"|>, a number, true, false, null, {...} or [...]), got ','",
     0},
    {"<|tool_call>call:f{} <tool_call|>", "byte 20: expected '<tool_call|>' after the arguments of 'f', got ' '", 0},
    {"<|tool_call>call:f{a:1}<|tool_call>call:g{}<tool_call|>",
     "byte 24: expected '<tool_call|>' after the arguments of 'f', got '|'", 0},
    {"<|tool_call>call:f{" Q "abc",
     "byte 27: the text ends inside tool call 'f' (truncated output?): expected '<|\"|>' to close key 'abc'", 0},
    {"<|tool_call>call:f{a:1",
     "byte 22: the text ends inside tool call 'f' (truncated output?): expected more of the number, ',' or '}'", 0},
    {"<|tool_call>call:f{a:[",
     "byte 22: the text ends inside tool call 'f' (truncated output?): expected an array item or ']'", 0},
    {"<|tool_call>call:f{}<tool_ca",
     "byte 28: the text ends inside tool call 'f' (truncated output?): expected '<tool_call|>' after the arguments of "
     "'f'",
     0},
    {"<|tool_call>cal", "byte 15: the text ends inside a tool call: expected 'call:' after '<|tool_call>'", 0},
    {CALL("f", "{a:<|x|>}"), "byte 23: expected '<|\"|>' to open a string, got 'x'", 0},
    {CALL("f", "{a:inf}"),
     "byte 21: expected a value for key 'a' (<|\"|>text<|\"|>, a number, true, false, null, {...} or [...]), got a "
     "bare word "
     "starting with 'i' (strings are written <|\"|>...<|\"|>)",
     0},
    {CALL("f", "{a:NaN}"),
     "byte 21: expected a value for key 'a' (<|\"|>text<|\"|>, a number, true, false, null, {...} or [...]), got a "
     "bare word "
     "starting with 'N' (strings are written <|\"|>...<|\"|>)",
     0},
    {"<|turn>user\nhi", "byte 7: expected 'model' after '<|turn>', got 'u'", 0},
    {CALL("f", "{a:+1}"),
     "byte 21: expected a value for key 'a' (<|\"|>text<|\"|>, a number, true, false, null, {...} or [...]), got '+'",
     0},
    {CALL("f", "{a:1 2}"), "byte 23: expected ',' or '}' after the value of key 'a', got '2'", 0},
    {CALL("f", "{a 1}"), "byte 22: expected ':' after key 'a 1', got '}'", 0},
    {CALL("f", "{a\tb:1}"), "byte 20: expected ':' after key 'a', got a tab", 0},
    {CALL("f", "{a:[1,]}"),
     "byte 24: expected an array item (<|\"|>text<|\"|>, a number, true, false, null, {...} or [...]), got ']'", 0},
    {"x\0y", "byte 1: NUL byte in the text", 0},
    {"<|channel>thought\nunfinished",
     "byte 28: the text ends inside the thought channel: expected '<channel|>' to close the thought",
     G4_TC_START_IN_THOUGHT},
};

static char *parse_ok(const char *input, size_t len, unsigned flags, cJSON **msg) {
    g4_error err = {0};
    gemma4_status st = g4_tc_parse(input, len, flags, msg, &err);
    if (st != GEMMA4_OK) return strdup(err.msg);
    return NULL;
}

static void check_message(const valid_case *c, const cJSON *m, size_t index) {
    const cJSON *content = cJSON_GetObjectItemCaseSensitive(m, "content");
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(m, "role")->valuestring, "assistant");
    if (c->content == NULL_CONTENT) {
        if (!cJSON_IsNull(content)) fail_msg("valid case %zu: content should be null", index);
    } else {
        if (!cJSON_IsString(content)) fail_msg("valid case %zu: content is not a string", index);
        if (strcmp(content->valuestring, c->content))
            fail_msg("valid case %zu: content '%s', expected '%s'", index, content->valuestring, c->content);
    }
    const cJSON *r = cJSON_GetObjectItemCaseSensitive(m, "reasoning_content");
    if (!c->reasoning) {
        if (r) fail_msg("valid case %zu: unexpected reasoning_content '%s'", index, r->valuestring);
    } else if (!cJSON_IsString(r) || strcmp(r->valuestring, c->reasoning)) {
        fail_msg("valid case %zu: reasoning '%s', expected '%s'", index, r ? r->valuestring : "(none)", c->reasoning);
    }
    const cJSON *calls = cJSON_GetObjectItemCaseSensitive(m, "tool_calls");
    int n = 0;
    while (n < 2 && c->calls[2 * n]) n++;
    if (n == 0) {
        if (calls) fail_msg("valid case %zu: unexpected tool_calls", index);
        return;
    }
    if (cJSON_GetArraySize(calls) != n)
        fail_msg("valid case %zu: %d calls, expected %d", index, cJSON_GetArraySize(calls), n);
    for (int i = 0; i < n; i++) {
        const cJSON *call = cJSON_GetArrayItem(calls, i);
        char id[16];
        snprintf(id, sizeof id, "call_%d", i);
        assert_string_equal(cJSON_GetObjectItemCaseSensitive(call, "id")->valuestring, id);
        assert_string_equal(cJSON_GetObjectItemCaseSensitive(call, "type")->valuestring, "function");
        const cJSON *fn = cJSON_GetObjectItemCaseSensitive(call, "function");
        const char *name = cJSON_GetObjectItemCaseSensitive(fn, "name")->valuestring;
        const char *args = cJSON_GetObjectItemCaseSensitive(fn, "arguments")->valuestring;
        if (strcmp(name, c->calls[2 * i]))
            fail_msg("valid case %zu: name '%s', expected '%s'", index, name, c->calls[2 * i]);
        if (strcmp(args, c->calls[2 * i + 1]))
            fail_msg("valid case %zu: arguments %s, expected %s", index, args, c->calls[2 * i + 1]);
        cJSON *parsed = cJSON_Parse(args);
        if (!cJSON_IsObject(parsed)) fail_msg("valid case %zu: arguments are not a JSON object: %s", index, args);
        cJSON_Delete(parsed);
    }
}

static void test_valid_outputs(void **state) {
    (void)state;
    size_t n = sizeof k_valid / sizeof *k_valid;
    for (size_t i = 0; i < n; i++) {
        cJSON *m = NULL;
        char *e = parse_ok(k_valid[i].input, strlen(k_valid[i].input), k_valid[i].flags, &m);
        if (e) fail_msg("valid case %zu (%s): %s", i, k_valid[i].input, e);
        check_message(&k_valid[i], m, i);
        cJSON_Delete(m);
    }
}

static size_t error_input_len(const error_case *c) {
    /* the one case with an embedded NUL spells its length out */
    return strcmp(c->input, "x") == 0 ? 3 : strlen(c->input);
}

static void test_malformed_outputs(void **state) {
    (void)state;
    size_t n = sizeof k_errors / sizeof *k_errors;
    int mismatches = 0;
    for (size_t i = 0; i < n; i++) {
        cJSON *m = (cJSON *)1;
        g4_error err = {0};
        gemma4_status st = g4_tc_parse(k_errors[i].input, error_input_len(&k_errors[i]), k_errors[i].flags, &m, &err);
        if (st == GEMMA4_OK) fail_msg("error case %zu (%s): parsed", i, k_errors[i].input);
        assert_int_equal(st, GEMMA4_ERR_FORMAT);
        assert_null(m);
        if (strcmp(err.msg, k_errors[i].message)) {
            print_error("error case %zu (%s):\n  got      %s\n  expected %s\n", i, k_errors[i].input, err.msg,
                        k_errors[i].message);
            mismatches++;
        }
    }
    assert_int_equal(mismatches, 0);
}

static void test_depth_limit(void **state) {
    (void)state;
    char text[512];
    for (int depth = G4_TC_MAX_DEPTH - 1; depth <= G4_TC_MAX_DEPTH; depth++) {
        /* the arguments object is level 1; depth-1 nested arrays below it */
        int n = snprintf(text, sizeof text, "<|tool_call>call:f{a:");
        for (int i = 1; i < depth; i++) text[n++] = '[';
        for (int i = 1; i < depth; i++) text[n++] = ']';
        n += snprintf(text + n, sizeof text - (size_t)n, "}<tool_call|>");
        cJSON *m = NULL;
        g4_error err = {0};
        gemma4_status st = g4_tc_parse(text, (size_t)n, 0, &m, &err);
        if (st != GEMMA4_OK) fail_msg("depth %d: %s", depth, err.msg);
        cJSON_Delete(m);
    }
    int n = snprintf(text, sizeof text, "<|tool_call>call:f{a:");
    for (int i = 0; i < G4_TC_MAX_DEPTH; i++) text[n++] = '[';
    text[n] = '\0';
    cJSON *m = NULL;
    g4_error err = {0};
    assert_int_equal(g4_tc_parse(text, (size_t)n, 0, &m, &err), GEMMA4_ERR_FORMAT);
    assert_string_equal(err.msg, "byte 84: arguments of 'f' nested deeper than 64 levels");
}

/* Fed in pieces of every size (down to single bytes), the parser gives the same message. */
static void test_streaming_equals_one_shot(void **state) {
    (void)state;
    size_t n = sizeof k_valid / sizeof *k_valid;
    for (size_t i = 0; i < n; i++) {
        const char *in = k_valid[i].input;
        size_t len = strlen(in);
        cJSON *whole = NULL;
        assert_null(parse_ok(in, len, k_valid[i].flags, &whole));
        char *want = cJSON_PrintUnformatted(whole);
        for (size_t piece = 1; piece <= 7; piece++) {
            g4_tc_builder *b = g4_tc_builder_new();
            g4_tc_parser p;
            g4_tc_parser_init(&p, k_valid[i].flags, g4_tc_builder_sink, b);
            for (size_t at = 0; at < len; at += piece) {
                size_t k = len - at < piece ? len - at : piece;
                assert_true(g4_tc_parser_feed(&p, in + at, k));
            }
            assert_true(g4_tc_parser_finish(&p));
            cJSON *m = g4_tc_builder_message(b);
            char *got = cJSON_PrintUnformatted(m);
            if (strcmp(got, want)) fail_msg("case %zu in pieces of %zu:\n  %s\n  %s", i, piece, got, want);
            free(got);
            cJSON_Delete(m);
            g4_tc_builder_free(b);
        }
        free(want);
        cJSON_Delete(whole);
    }
    /* errors carry absolute positions across pieces */
    g4_tc_parser p;
    g4_tc_parser_init(&p, 0, NULL, NULL);
    assert_true(g4_tc_parser_feed(&p, "<|tool_call>call:get_", 21));
    assert_true(g4_tc_parser_feed(&p, "weather{loca", 12));
    assert_false(g4_tc_parser_feed(&p, "tion<|\"|>", 9));
    char msg[256];
    g4_tc_parser_error(&p, msg, sizeof msg);
    assert_string_equal(msg, "byte 37: expected ':' after key 'location', got '<'");
    assert_false(g4_tc_parser_feed(&p, "x", 1)); /* stays failed */
}

static bool has_byte(const uint8_t set[32], unsigned b) {
    return set[b / 8] & (1u << (b % 8));
}

static void feed_str(g4_tc_parser *p, const char *s) {
    assert_true(g4_tc_parser_feed(p, s, strlen(s)));
}

/* The prefix queries that constrained decoding will use. */
static void test_prefix_queries(void **state) {
    (void)state;
    g4_tc_parser p;
    uint8_t set[32];
    char want[256];
    g4_tc_parser_init(&p, 0, NULL, NULL);
    assert_true(g4_tc_parser_can_end(&p));
    assert_false(g4_tc_parser_in_call(&p));
    g4_tc_parser_next_bytes(&p, set);
    assert_true(has_byte(set, 'a') && has_byte(set, '<') && has_byte(set, 0xE4));
    assert_false(has_byte(set, 0) || has_byte(set, 0x80) || has_byte(set, 0xFF));

    feed_str(&p, "Sure. <|tool_call>ca");
    assert_true(g4_tc_parser_in_call(&p));
    assert_false(g4_tc_parser_can_end(&p));
    g4_tc_parser_next_bytes(&p, set);
    for (unsigned b = 0; b < 256; b++) assert_int_equal(has_byte(set, b), b == 'l');

    feed_str(&p, "ll:get_weather{location");
    g4_tc_parser_expected(&p, want, sizeof want);
    assert_string_equal(want, "':' after key 'location'");
    g4_tc_parser_next_bytes(&p, set);
    assert_true(has_byte(set, ':') && has_byte(set, 'x') && has_byte(set, ' '));
    assert_false(has_byte(set, '{') || has_byte(set, '<') || has_byte(set, ',') || has_byte(set, '\n'));

    feed_str(&p, ":");
    g4_tc_parser_next_bytes(&p, set);
    const char *starts = "<{[-0123456789tfnN \t\n\r";
    for (unsigned b = 0; b < 256; b++) assert_int_equal(has_byte(set, b), b && strchr(starts, (int)b) != NULL);

    feed_str(&p, "<|\"|>To");
    g4_tc_parser_next_bytes(&p, set);
    assert_true(has_byte(set, '}') && has_byte(set, '<') && has_byte(set, '\n'));
    feed_str(&p, "kyo<|\"|>}");
    g4_tc_parser_next_bytes(&p, set);
    for (unsigned b = 0; b < 256; b++) assert_int_equal(has_byte(set, b), b == '<');
    g4_tc_parser_expected(&p, want, sizeof want);
    assert_string_equal(want, "'<tool_call|>' after the arguments of 'get_weather'");
    feed_str(&p, "<tool_call|>");
    assert_false(g4_tc_parser_in_call(&p));
    assert_true(g4_tc_parser_can_end(&p));
    assert_int_equal(p.ncalls, 1);
    feed_str(&p, "<turn|>");
    g4_tc_parser_next_bytes(&p, set);
    for (unsigned b = 0; b < 256; b++)
        assert_int_equal(has_byte(set, b), b == ' ' || b == '\t' || b == '\n' || b == '\r');

    /* a number may end or go on */
    g4_tc_parser_init(&p, 0, NULL, NULL);
    feed_str(&p, "<|tool_call>call:f{n:1");
    g4_tc_parser_next_bytes(&p, set);
    assert_true(has_byte(set, '5') && has_byte(set, '.') && has_byte(set, 'e') && has_byte(set, ',') &&
                has_byte(set, '}'));
    assert_false(has_byte(set, ']') || has_byte(set, '-') || has_byte(set, 'x'));
    /* the grammatical position, step by step */
    static const struct {
        const char *bytes;
        g4_tc_position pos;
    } walk[] = {{"Hi ", G4_TC_POS_TEXT},
                {"<|channel>thought\nx", G4_TC_POS_THOUGHT},
                {"<channel|><|tool_call>c", G4_TC_POS_CALL_PREFIX},
                {"all:f", G4_TC_POS_NAME},
                {"{ke", G4_TC_POS_KEY},
                {":", G4_TC_POS_VALUE},
                {"<|\"|>s", G4_TC_POS_STRING},
                {"<|\"|>", G4_TC_POS_AFTER_VALUE},
                {",n:-1", G4_TC_POS_NUMBER},
                {",b:tr", G4_TC_POS_LITERAL},
                {"ue,l:[", G4_TC_POS_VALUE},
                {"]}<tool", G4_TC_POS_CALL_CLOSE},
                {"_call|>", G4_TC_POS_TEXT},
                {"<turn|>", G4_TC_POS_END},
                {"x", G4_TC_POS_FAILED}};
    g4_tc_parser_init(&p, 0, NULL, NULL);
    for (size_t i = 0; i < sizeof walk / sizeof *walk; i++) {
        g4_tc_parser_feed(&p, walk[i].bytes, strlen(walk[i].bytes));
        if (g4_tc_parser_position(&p) != walk[i].pos)
            fail_msg("after '%s': position %d, expected %d", walk[i].bytes, g4_tc_parser_position(&p), walk[i].pos);
    }
    /* the name so far is available to check against the declared tools */
    g4_tc_parser_init(&p, 0, NULL, NULL);
    feed_str(&p, "<|tool_call>call:get_wea");
    assert_int_equal(p.name_len, 7);
    assert_memory_equal(p.name, "get_wea", 7);
}

static void test_null_and_empty(void **state) {
    (void)state;
    cJSON *m = NULL;
    g4_error err = {0};
    assert_int_equal(g4_tc_parse(NULL, 0, 0, &m, &err), GEMMA4_OK);
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(m, "content")->valuestring, "");
    cJSON_Delete(m);
    assert_int_equal(g4_tc_parse(NULL, 3, 0, &m, &err), GEMMA4_ERR_INVALID_ARG);
    assert_int_equal(g4_tc_parse("x", 1, 0, NULL, &err), GEMMA4_ERR_INVALID_ARG);
}

int main(void) {
    printf("parser cases: %zu valid, %zu malformed\n", sizeof k_valid / sizeof *k_valid,
           sizeof k_errors / sizeof *k_errors);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid_outputs),  cmocka_unit_test(test_malformed_outputs),
        cmocka_unit_test(test_depth_limit),    cmocka_unit_test(test_streaming_equals_one_shot),
        cmocka_unit_test(test_prefix_queries), cmocka_unit_test(test_null_and_empty),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
