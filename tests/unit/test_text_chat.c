/* The chat template renderer against the Jinja original (tests/data/chat/golden.json), plus the
 * Python-value details the golden file cannot cover one by one. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testkit.h"
#include "text/chat_template.h"

static cJSON *load_golden(void) {
    char path[1024];
    size_t n = 0;
    char *text = g4t_read_file(g4t_data_path(path, sizeof path, "chat/golden.json"), &n);
    if (!text) fail_msg("cannot read %s (regenerate with python3 tests/data/chat/make_golden.py)", path);
    g4_error err = {0};
    cJSON *doc = g4_chat_json_parse(text, n, "golden.json", &err);
    free(text);
    if (!doc) fail_msg("golden.json: %s", err.msg);
    return doc;
}

static unsigned flags_of(const cJSON *options) {
    unsigned f = 0;
    if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(options, "add_generation_prompt")))
        f |= G4_CHAT_ADD_GENERATION_PROMPT;
    if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(options, "enable_thinking"))) f |= G4_CHAT_ENABLE_THINKING;
    if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(options, "llama_compat"))) f |= G4_CHAT_LLAMA_COMPAT;
    return f;
}

static void report_diff(const char *name, const char *want, const char *got) {
    size_t i = 0;
    while (want[i] && want[i] == got[i]) i++;
    size_t from = i > 40 ? i - 40 : 0;
    print_error("case %s: first difference at byte %zu\n  expected: ...%.80s\n  got:      ...%.80s\n", name, i,
                want + from, got + from);
}

static void test_golden(void **state) {
    (void)state;
    cJSON *doc = load_golden();
    const cJSON *cases = cJSON_GetObjectItemCaseSensitive(doc, "cases");
    assert_true(cJSON_GetArraySize(cases) >= 25);
    int failures = 0, n_ok = 0, n_err = 0;
    const cJSON *c;
    cJSON_ArrayForEach(c, cases) {
        const char *name = cJSON_GetObjectItemCaseSensitive(c, "name")->valuestring;
        const cJSON *messages = cJSON_GetObjectItemCaseSensitive(c, "messages");
        const cJSON *tools = cJSON_GetObjectItemCaseSensitive(c, "tools");
        unsigned flags = flags_of(cJSON_GetObjectItemCaseSensitive(c, "options"));
        const cJSON *expected = cJSON_GetObjectItemCaseSensitive(c, "expected");
        char *out = NULL;
        size_t len = 0;
        g4_error err = {0};
        gemma4_status st = g4_chat_render(messages, tools, flags, &out, &len, &err);
        if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(c, "error"))) {
            if (st == GEMMA4_OK) {
                print_error("case %s: the template fails here but we rendered:\n%s\n", name, out);
                failures++;
            } else {
                assert_int_equal(st, GEMMA4_ERR_INVALID_ARG);
                assert_true(strncmp(err.msg, "chat template: ", 15) == 0);
                n_err++;
            }
        } else if (st != GEMMA4_OK) {
            print_error("case %s: %s\n", name, err.msg);
            failures++;
        } else if (len != strlen(expected->valuestring) || strcmp(out, expected->valuestring) != 0) {
            report_diff(name, expected->valuestring, out);
            failures++;
        } else {
            n_ok++;
        }
        free(out);
    }
    cJSON_Delete(doc);
    assert_int_equal(failures, 0);
    assert_true(n_ok >= 25);
    assert_true(n_err >= 3);
}

/* Renders one assistant tool call whose arguments are the JSON text args and returns what sits
 * between "call:f{" and "}<tool_call|>". */
static char *render_args(const char *args_json) {
    char messages[2048];
    snprintf(messages, sizeof messages,
             "[{\"role\":\"user\",\"content\":\"x\"},{\"role\":\"assistant\",\"tool_calls\":[{\"function\":"
             "{\"name\":\"f\",\"arguments\":%s}}]}]",
             args_json);
    char *out = NULL;
    g4_error err = {0};
    if (g4_chat_render_json(messages, NULL, G4_CHAT_OMIT_BOS, &out, NULL, &err) != GEMMA4_OK) fail_msg("%s", err.msg);
    const char *a = strstr(out, "call:f{");
    const char *z = strstr(out, "}<tool_call|>");
    assert_non_null(a);
    assert_non_null(z);
    a += 7;
    char *r = strndup(a, (size_t)(z - a));
    free(out);
    return r;
}

static void expect_args(const char *args_json, const char *want) {
    char *got = render_args(args_json);
    if (strcmp(got, want) != 0) fail_msg("arguments %s: expected '%s', got '%s'", args_json, want, got);
    free(got);
}

/* Python's repr(float) and int(), as the template prints numbers. */
static void test_python_numbers(void **state) {
    (void)state;
    expect_args("{\"a\":1e16}", "a:1e+16");
    expect_args("{\"a\":1e15}", "a:1000000000000000.0");
    expect_args("{\"a\":123456789012345678}", "a:123456789012345678");
    expect_args("{\"a\":0.0001}", "a:0.0001");
    expect_args("{\"a\":0.00001}", "a:1e-05");
    expect_args("{\"a\":-2.5E-3}", "a:-0.0025");
    expect_args("{\"a\":5e-324}", "a:5e-324");
    expect_args("{\"a\":1.7976931348623157e308}", "a:1.7976931348623157e+308");
    expect_args("{\"a\":1e400}", "a:inf");
    expect_args("{\"a\":-1e400}", "a:-inf");
    expect_args("{\"a\":NaN}", "a:nan");
    expect_args("{\"a\":-0}", "a:0");
    expect_args("{\"a\":0.1}", "a:0.1");
    expect_args("{\"a\":100.0}", "a:100.0");
    expect_args("{\"a\":1.5e300}", "a:1.5e+300");
    expect_args("{\"a\":3.14159}", "a:3.14159");
    /* A repeated key keeps its first place and its last value (Python dict). */
    expect_args("{\"b\":1,\"a\":2,\"b\":3}", "a:2,b:3");
    /* Arguments given as a string are decoded when they hold an object, pasted otherwise. */
    expect_args("\"{\\\"x\\\": [true, null, \\\"s\\\"]}\"", "x:[true,None,<|\"|>s<|\"|>]");
    expect_args("\"not json\"", "not json");
    expect_args("\"[1,2]\"", "[1,2]");
}

/* Trees built with cJSON_Parse have no literal: integral values print as ints. */
static void test_cjson_tree_numbers(void **state) {
    (void)state;
    cJSON *m =
        cJSON_Parse("[{\"role\":\"user\",\"content\":\"x\"},{\"role\":\"assistant\",\"tool_calls\":[{\"function\":"
                    "{\"name\":\"f\",\"arguments\":{\"i\":2.0,\"f\":0.5,\"big\":1e300,\"neg\":-3}}}]}]");
    assert_non_null(m);
    char *out = NULL;
    g4_error err = {0};
    assert_int_equal(g4_chat_render(m, NULL, G4_CHAT_OMIT_BOS, &out, NULL, &err), GEMMA4_OK);
    assert_non_null(strstr(out, "call:f{big:1e+300,f:0.5,i:2,neg:-3}<tool_call|>"));
    free(out);
    cJSON_Delete(m);
}

static void test_flags(void **state) {
    (void)state;
    const char *msgs = "[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"see\"},{\"type\":\"image_url\","
                       "\"image_url\":{\"url\":\"x\"}},{\"type\":\"input_audio\"}]}]";
    char *out = NULL;
    g4_error err = {0};
    assert_int_equal(g4_chat_render_json(msgs, NULL, 0, &out, NULL, &err), GEMMA4_OK);
    assert_string_equal(out, "<bos><|turn>user\nsee<turn|>\n");
    free(out);
    assert_int_equal(g4_chat_render_json(msgs, NULL,
                                         G4_CHAT_MEDIA_ALIASES | G4_CHAT_OMIT_BOS | G4_CHAT_ADD_GENERATION_PROMPT, &out,
                                         NULL, &err),
                     GEMMA4_OK);
    assert_string_equal(out, "<|turn>user\nsee<|image|><|audio|><turn|>\n<|turn>model\n<|channel>thought\n<channel|>");
    free(out);
    /* An empty tools list is "no tools": no system turn. */
    assert_int_equal(g4_chat_render_json("[{\"role\":\"user\",\"content\":\"hi\"}]", "[]", 0, &out, NULL, &err),
                     GEMMA4_OK);
    assert_string_equal(out, "<bos><|turn>user\nhi<turn|>\n");
    free(out);
}

static void expect_error(const char *messages, const char *tools, const char *needle) {
    char *out = (char *)1;
    g4_error err = {0};
    gemma4_status st = g4_chat_render_json(messages, tools, 0, &out, NULL, &err);
    if (st == GEMMA4_OK) fail_msg("%s: expected an error, rendered %s", messages, out);
    assert_null(out);
    if (!strstr(err.msg, needle)) fail_msg("%s: message '%s' lacks '%s'", messages, err.msg, needle);
}

static void test_errors(void **state) {
    (void)state;
    expect_error("[", NULL, "messages JSON: byte 1: expected a value, got the end of the text");
    expect_error("[{\"role\":\"user\",\"content\":\"x\"}", NULL, "byte 30: expected ',' or ']'");
    expect_error("[{\"role\" \"user\"}]", NULL, "byte 9: expected ':' after a key, got '\"'");
    expect_error("[{\"role\":\"us\x01r\"}]", NULL, "control characters must be escaped");
    expect_error("[{\"role\":\"\\ud800\"}]", NULL, "low surrogate");
    expect_error("[{\"role\":\"\\u0000\"}]", NULL, "NUL is not supported");
    expect_error("[{\"role\":\"\xff\"}]", NULL, "byte 10: expected valid UTF-8");
    expect_error("[01]", NULL, "byte 2: expected ',' or ']'");
    expect_error("[] x", NULL, "byte 3: expected the end of the text");
    expect_error("{}", NULL, "messages is not a JSON array");
    expect_error("[]", NULL, "no messages");
    expect_error("[{\"content\":\"x\"}]", NULL, "messages[0] has no \"role\"");
    expect_error("[{\"role\":\"user\",\"content\":\"x\"}]", "[{\"name\":\"f\"}]", "tools[0] has no \"function\"");
    expect_error("[{\"role\":\"user\",\"content\":\"x\"}]", "{\"a\":1}", "tools is not a list");
    expect_error("[{\"role\":\"user\",\"content\":\"x\"}]", "[1,", "tools JSON: byte 3");
    expect_error(
        "[{\"role\":\"user\",\"content\":\"x\"},{\"role\":\"assistant\",\"tool_calls\":[{\"id\":\"a\",\"function\":"
        "{\"name\":\"f\"}}]},{\"role\":\"tool\",\"content\":\"r\"}]",
        NULL, "messages[2]: a tool response needs a \"name\"");
    char deep[700];
    memset(deep, '[', 600);
    deep[600] = '\0';
    expect_error(deep, NULL, "nested deeper than 256 levels");
}

static void test_null_arguments(void **state) {
    (void)state;
    char *out = NULL;
    g4_error err = {0};
    assert_int_equal(g4_chat_render(NULL, NULL, 0, &out, NULL, &err), GEMMA4_ERR_INVALID_ARG);
    assert_int_equal(g4_chat_render_json(NULL, NULL, 0, &out, NULL, &err), GEMMA4_ERR_INVALID_ARG);
    assert_int_equal(g4_chat_render_json("[]", NULL, 0, NULL, NULL, &err), GEMMA4_ERR_INVALID_ARG);
    assert_null(g4_chat_json_parse(NULL, 0, "x", &err));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_golden), cmocka_unit_test(test_python_numbers), cmocka_unit_test(test_cjson_tree_numbers),
        cmocka_unit_test(test_flags),  cmocka_unit_test(test_errors),         cmocka_unit_test(test_null_arguments),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
