/*
 * libFuzzer target for the Gemma 4 output parser (src/toolcall). Besides "no crash, no leak, no UB"
 * it checks the parser's promises on every input:
 *   - fed in pieces (sizes taken from the input) it reaches the same verdict and the same message;
 *   - a failure is reported with a position inside the text and a message;
 *   - every prefix that feed() accepted is one g4_tc_parser_next_bytes() allowed byte by byte;
 *   - a parsed call's arguments are a JSON object, and written back in Gemma syntax they parse
 *     to the same value;
 *   - the chat template renderer (src/text) writes the call in a way that parses back to the same
 *     arguments, whenever the keys can be written bare (as the template writes them);
 *   - the arguments can be validated against a schema without trouble.
 * Build: clang -fsanitize=fuzzer,address,undefined with the toolcall, text and core sources.
 */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "text/chat_template.h"
#include "text/gemma_value.h"
#include "toolcall/tc_message.h"
#include "toolcall/tc_parser.h"
#include "toolcall/validate.h"

#define CHECK(cond)                                                                                                    \
    do {                                                                                                               \
        if (!(cond)) {                                                                                                 \
            fprintf(stderr, "fuzz_toolcall: check failed at line %d: %s\n", __LINE__, #cond);                          \
            abort();                                                                                                   \
        }                                                                                                              \
    } while (0)

static const char k_tools[] =
    "[{\"type\":\"function\",\"function\":{\"name\":\"f\",\"parameters\":{\"type\":\"object\",\"properties\":{"
    "\"a\":{\"type\":\"integer\",\"minimum\":0},\"s\":{\"type\":\"string\",\"maxLength\":3,\"pattern\":\"^[a-z]*$\"},"
    "\"l\":{\"type\":\"array\",\"items\":{\"anyOf\":[{\"type\":\"number\"},{\"type\":\"null\"}]},\"uniqueItems\":true},"
    "\"o\":{\"type\":\"object\",\"additionalProperties\":{\"enum\":[true,false]}}},\"required\":[\"a\"],"
    "\"additionalProperties\":false}}}]";

static bool all_finite(const cJSON *v) {
    if (cJSON_IsNumber(v) && !isfinite(v->valuedouble)) return false;
    for (const cJSON *c = v->child; c; c = c->next)
        if (!all_finite(c)) return false;
    return true;
}

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

/* A byte is accepted exactly when next_bytes announced it (checked at 16 points spread over the
 * text: the query tries all 256 bytes, too slow for every position). */
static void check_next_bytes(const uint8_t *data, size_t size, unsigned flags) {
    g4_tc_parser p;
    g4_tc_parser_init(&p, flags, NULL, NULL);
    size_t stride = size / 16 + 1;
    for (size_t i = 0; i < size; i++) {
        bool checked = i % stride == 0, allowed = true;
        if (checked) {
            uint8_t set[32];
            g4_tc_parser_next_bytes(&p, set);
            allowed = set[data[i] / 8] & (1u << (data[i] % 8));
        }
        bool fed = g4_tc_parser_feed(&p, (const char *)data + i, 1);
        if (checked) CHECK(allowed == fed);
        if (!fed) break;
    }
    if (!g4_tc_parser_failed(&p)) {
        g4_tc_parser copy = p;
        CHECK(g4_tc_parser_can_end(&p) == g4_tc_parser_finish(&copy));
    }
}

/* Keys the template can write bare (it never quotes tool-call keys) and the parser reads back. */
static bool bare_keys(const cJSON *v) {
    for (const cJSON *c = v->child; c; c = c->next) {
        if (cJSON_IsObject(v)) {
            const char *k = c->string;
            size_t n = strlen(k);
            if (n == 0 || k[0] == ' ' || k[n - 1] == ' ') return false;
            for (const char *q = k; *q; q++)
                if ((unsigned char)*q < 0x20 || *q == 0x7F || strchr(":{}[],<\"", *q)) return false;
        }
        if (!bare_keys(c)) return false;
    }
    return true;
}

/* The call rendered by the chat template renderer parses back to the same arguments. */
static void check_rendered(const char *name, const cJSON *args) {
    cJSON *messages = cJSON_CreateArray(), *user = cJSON_CreateObject(), *asst = cJSON_CreateObject();
    cJSON *calls = cJSON_CreateArray(), *call = cJSON_CreateObject(), *fn = cJSON_CreateObject();
    cJSON_AddStringToObject(user, "role", "user");
    cJSON_AddStringToObject(user, "content", "x");
    cJSON_AddItemToArray(messages, user);
    cJSON_AddStringToObject(asst, "role", "assistant");
    cJSON_AddStringToObject(fn, "name", name);
    cJSON_AddItemToObject(fn, "arguments", cJSON_Duplicate(args, true));
    cJSON_AddItemToObject(call, "function", fn);
    cJSON_AddItemToArray(calls, call);
    cJSON_AddItemToObject(asst, "tool_calls", calls);
    cJSON_AddItemToArray(messages, asst);
    char *prompt = NULL;
    g4_error err = {0};
    CHECK(g4_chat_render(messages, NULL, G4_CHAT_OMIT_BOS, &prompt, NULL, &err) == GEMMA4_OK);
    /* the prompt ends "...<|turn>model\n<|tool_call>call:NAME{...}<tool_call|><|tool_response>": from the
     * call on it is model output (a string may contain "}<tool_call|>", so no searching for the end) */
    const char *a = strstr(prompt, "<|tool_call>");
    CHECK(a);
    cJSON *m = NULL;
    CHECK(g4_tc_parse(a, strlen(a), 0, &m, &err) == GEMMA4_OK);
    const cJSON *fn2 = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(m, "tool_calls"), 0), "function");
    cJSON *back = cJSON_Parse(cJSON_GetObjectItemCaseSensitive(fn2, "arguments")->valuestring);
    CHECK(same(back, args));
    cJSON_Delete(back);
    cJSON_Delete(m);
    free(prompt);
    cJSON_Delete(messages);
}

static void check_calls(const cJSON *message) {
    const cJSON *call;
    cJSON_ArrayForEach(call, cJSON_GetObjectItemCaseSensitive(message, "tool_calls")) {
        const cJSON *fn = cJSON_GetObjectItemCaseSensitive(call, "function");
        const cJSON *name = cJSON_GetObjectItemCaseSensitive(fn, "name");
        const cJSON *args_text = cJSON_GetObjectItemCaseSensitive(fn, "arguments");
        CHECK(cJSON_IsString(name) && name->valuestring[0] && cJSON_IsString(args_text));
        cJSON *args = cJSON_Parse(args_text->valuestring);
        CHECK(cJSON_IsObject(args));
        if (all_finite(args)) {
            /* written back with quoted keys (any key text survives), the call parses to the same value */
            char *v = g4_gemma_format_value(args, true);
            CHECK(v);
            size_t len = strlen(v) + 64;
            char *text = malloc(len);
            CHECK(text);
            snprintf(text, len, "<|tool_call>call:f%s<tool_call|>", v);
            cJSON *again = NULL;
            g4_error err = {0};
            CHECK(g4_tc_parse(text, strlen(text), 0, &again, &err) == GEMMA4_OK);
            const cJSON *fn2 = cJSON_GetObjectItemCaseSensitive(
                cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(again, "tool_calls"), 0), "function");
            cJSON *args2 = cJSON_Parse(cJSON_GetObjectItemCaseSensitive(fn2, "arguments")->valuestring);
            CHECK(same(args, args2));
            cJSON_Delete(args2);
            cJSON_Delete(again);
            free(text);
            free(v);
            if (bare_keys(args)) check_rendered(name->valuestring, args);
        }
        cJSON_Delete(args);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    unsigned flags = (size && (data[0] & 0x80)) ? G4_TC_START_IN_THOUGHT : 0;
    size_t piece = size ? 1 + data[size - 1] % 13 : 1;

    cJSON *whole = NULL;
    g4_error err = {0};
    gemma4_status st = g4_tc_parse((const char *)data, size, flags, &whole, &err);
    CHECK(st == GEMMA4_OK || st == GEMMA4_ERR_FORMAT || st == GEMMA4_ERR_NOMEM);
    if (st != GEMMA4_OK) {
        CHECK(!whole && !strncmp(err.msg, "byte ", 5));
        unsigned long long at = strtoull(err.msg + 5, NULL, 10);
        CHECK(at <= size);
    }

    /* the same text in pieces */
    g4_tc_builder *b = g4_tc_builder_new();
    CHECK(b);
    g4_tc_parser p;
    g4_tc_parser_init(&p, flags, g4_tc_builder_sink, b);
    bool ok = true;
    for (size_t at = 0; ok && at < size; at += piece)
        ok = g4_tc_parser_feed(&p, (const char *)data + at, size - at < piece ? size - at : piece);
    ok = ok && g4_tc_parser_finish(&p);
    CHECK(ok == (st == GEMMA4_OK));
    if (ok) {
        cJSON *m = g4_tc_builder_message(b);
        char *x = cJSON_PrintUnformatted(m), *y = cJSON_PrintUnformatted(whole);
        CHECK(x && y && !strcmp(x, y));
        free(x);
        free(y);
        cJSON_Delete(m);
    } else {
        char a[G4_ERROR_MAX];
        g4_tc_parser_error(&p, a, sizeof a);
        if (g4_tc_parser_error_kind(&p) != G4_TC_ERR_SINK) CHECK(!strcmp(a, err.msg));
    }
    g4_tc_builder_free(b);

    check_next_bytes(data, size, flags);

    if (whole) {
        check_calls(whole);
        cJSON *tools = cJSON_Parse(k_tools), *violations = cJSON_CreateArray();
        CHECK(g4_tc_validate(whole, tools, violations, &err) == GEMMA4_OK);
        cJSON_Delete(violations);
        cJSON_Delete(tools);
    }
    cJSON_Delete(whole);
    return 0;
}
