/* JSON Schema validation, keyword by keyword, and tool calls checked against declared tools. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testkit.h"
#include "toolcall/schema.h"
#include "toolcall/tc_message.h"
#include "toolcall/validate.h"

/* Validates instance against schema and compares the violations, as "pointer: message" lines, with
 * the expected ones (NULL-terminated; none for a valid instance). */
static void expect(const char *schema_json, const char *instance_json, ...) {
    cJSON *schema = cJSON_Parse(schema_json), *inst = cJSON_Parse(instance_json), *out = cJSON_CreateArray();
    if (!schema || !inst) fail_msg("bad test JSON: %s / %s", schema_json, instance_json);
    int n = g4_schema_validate(schema, inst, out);
    assert_int_equal(n, cJSON_GetArraySize(out));
    va_list ap;
    va_start(ap, instance_json);
    int i = 0;
    const char *want;
    while ((want = va_arg(ap, const char *)) != NULL) {
        const cJSON *v = cJSON_GetArrayItem(out, i++);
        if (!v) fail_msg("%s vs %s: missing violation '%s'", schema_json, instance_json, want);
        char got[700];
        snprintf(got, sizeof got, "%s: %s", cJSON_GetObjectItemCaseSensitive(v, "pointer")->valuestring,
                 cJSON_GetObjectItemCaseSensitive(v, "message")->valuestring);
        if (strcmp(got, want))
            fail_msg("%s vs %s:\n  got      %s\n  expected %s", schema_json, instance_json, got, want);
    }
    va_end(ap);
    if (n != i) {
        char *all = cJSON_PrintUnformatted(out);
        fail_msg("%s vs %s: %d violations, expected %d: %s", schema_json, instance_json, n, i, all);
    }
    cJSON_Delete(schema);
    cJSON_Delete(inst);
    cJSON_Delete(out);
}

static void test_type(void **state) {
    (void)state;
    expect("{\"type\":\"string\"}", "\"x\"", NULL);
    expect("{\"type\":\"string\"}", "5", ": expected string, got number 5", NULL);
    expect("{\"type\":\"integer\"}", "5", NULL);
    expect("{\"type\":\"integer\"}", "5.0", NULL);
    expect("{\"type\":\"integer\"}", "3.5", ": expected integer, got number 3.5", NULL);
    expect("{\"type\":\"number\"}", "\"3\"", ": expected number, got string \"3\"", NULL);
    expect("{\"type\":\"boolean\"}", "0", ": expected boolean, got number 0", NULL);
    expect("{\"type\":\"null\"}", "null", NULL);
    expect("{\"type\":\"object\"}", "[]", ": expected object, got array []", NULL);
    expect("{\"type\":\"array\"}", "{}", ": expected array, got object {}", NULL);
    expect("{\"type\":\"STRING\"}", "\"upper-case type names work\"", NULL);
    expect("{\"type\":[\"string\",\"null\"]}", "null", NULL);
    expect("{\"type\":[\"string\",\"null\"]}", "true", ": expected one of [\"string\",\"null\"], got boolean true",
           NULL);
    expect("{\"type\":\"string\",\"nullable\":true}", "null", NULL);
    expect("{\"type\":\"string\",\"nullable\":false}", "null", ": expected string, got null null", NULL);
    expect("{\"type\":\"date\"}", "1", NULL); /* unknown type names do not reject */
    expect("true", "1", NULL);
    expect("false", "1", ": no value is allowed here (the schema is false)", NULL);
}

static void test_enum_const(void **state) {
    (void)state;
    expect("{\"enum\":[\"celsius\",\"fahrenheit\"]}", "\"celsius\"", NULL);
    expect(
        "{\"type\":\"object\",\"properties\":{\"unit\":{\"type\":\"string\",\"enum\":[\"celsius\",\"fahrenheit\"]}}}",
        "{\"unit\":\"kelvin\"}", "/unit: \"kelvin\" is not one of [\"celsius\",\"fahrenheit\"]", NULL);
    expect("{\"enum\":[1,\"two\",null,[1,2],{\"a\":1}]}", "1.0", NULL);
    expect("{\"enum\":[1,\"two\",null,[1,2],{\"a\":1}]}", "{\"a\":1}", NULL);
    expect("{\"enum\":[1,\"two\",null,[1,2],{\"a\":1}]}", "[2,1]",
           ": [2,1] is not one of [1,\"two\",null,[1,2],{\"a\":1}]", NULL);
    expect("{\"enum\":[true]}", "1", ": 1 is not one of [true]", NULL);
    expect("{\"const\":4}", "4", NULL);
    expect("{\"const\":4}", "3", ": 3 is not the constant 4", NULL);
    expect("{\"const\":{\"k\":[1]}}", "{\"k\":[1]}", NULL);
}

static void test_numbers(void **state) {
    (void)state;
    expect("{\"minimum\":0,\"maximum\":10}", "0", NULL);
    expect("{\"minimum\":0,\"maximum\":10}", "10", NULL);
    expect("{\"minimum\":0,\"maximum\":10}", "-5", ": -5 is less than minimum 0", NULL);
    expect("{\"minimum\":0,\"maximum\":10}", "10.5", ": 10.5 is greater than maximum 10", NULL);
    expect("{\"exclusiveMinimum\":0}", "0", ": 0 is not greater than exclusiveMinimum 0", NULL);
    expect("{\"exclusiveMinimum\":0}", "0.001", NULL);
    expect("{\"exclusiveMaximum\":1.5}", "1.5", ": 1.5 is not less than exclusiveMaximum 1.5", NULL);
    expect("{\"minimum\":1,\"exclusiveMinimum\":true}", "1", ": 1 is not greater than 1 (exclusive minimum)", NULL);
    expect("{\"maximum\":1,\"exclusiveMaximum\":true}", "1", ": 1 is not less than 1 (exclusive maximum)", NULL);
    expect("{\"maximum\":1,\"exclusiveMaximum\":false}", "1", NULL);
    expect("{\"multipleOf\":0.5}", "2.5", NULL);
    expect("{\"multipleOf\":3}", "10", ": 10 is not a multiple of 3", NULL);
    expect("{\"minimum\":5}", "\"strings are not numbers\"", NULL); /* bounds only concern numbers */
}

static void test_strings(void **state) {
    (void)state;
    expect("{\"minLength\":2,\"maxLength\":3}", "\"ab\"", NULL);
    expect("{\"minLength\":2,\"maxLength\":3}", "\"a\"", ": string has 1 character, fewer than minLength 2", NULL);
    expect("{\"minLength\":2,\"maxLength\":3}", "\"abcd\"", ": string has 4 characters, more than maxLength 3", NULL);
    expect("{\"maxLength\":3}", "\"東京都\"", NULL); /* 9 bytes, 3 characters */
    expect("{\"minLength\":2}", "\"😀\"", ": string has 1 character, fewer than minLength 2", NULL);
    expect("{\"pattern\":\"^[A-Z]{3}$\"}", "\"MUC\"", NULL);
    expect("{\"pattern\":\"^[A-Z]{3}$\"}", "\"Munich\"", ": \"Munich\" does not match pattern '^[A-Z]{3}$'", NULL);
    expect("{\"pattern\":\"^\\\\d{4}-\\\\d{2}-\\\\d{2}$\"}", "\"2025-01-31\"", NULL);
    expect("{\"pattern\":\"^\\\\d{4}-\\\\d{2}-\\\\d{2}$\"}", "\"2025-1-31\"",
           ": \"2025-1-31\" does not match pattern '^\\d{4}-\\d{2}-\\d{2}$'", NULL);
    expect("{\"pattern\":\"^(?:ab)+[\\\\w.]*$\"}", "\"ababx_1.\"", NULL);
    expect("{\"pattern\":\"wor\"}", "\"hello world\"", NULL);  /* unanchored, as JSON Schema says */
    expect("{\"pattern\":\"(?<=x)y\"}", "\"anything\"", NULL); /* lookbehind: POSIX cannot compile it, not checked */
}

static void test_arrays(void **state) {
    (void)state;
    expect("{\"type\":\"array\",\"items\":{\"type\":\"string\"},\"minItems\":1,\"maxItems\":2}", "[\"a\"]", NULL);
    expect("{\"type\":\"array\",\"items\":{\"type\":\"string\"},\"minItems\":1,\"maxItems\":2}", "[]",
           ": array has 0 items, fewer than minItems 1", NULL);
    expect("{\"type\":\"array\",\"items\":{\"type\":\"string\"},\"minItems\":1,\"maxItems\":2}", "[\"a\",2,null]",
           ": array has 3 items, more than maxItems 2", "/1: expected string, got number 2",
           "/2: expected string, got null null", NULL);
    expect("{\"uniqueItems\":true}", "[1,2,1.0]", ": items 0 and 2 are equal (uniqueItems)", NULL);
    expect("{\"uniqueItems\":true}", "[[1],[2],{\"a\":1},{\"a\":2}]", NULL);
    expect("{\"items\":[{\"type\":\"string\"},{\"type\":\"integer\"}],\"additionalItems\":false}", "[\"a\",1]", NULL);
    expect("{\"items\":[{\"type\":\"string\"},{\"type\":\"integer\"}],\"additionalItems\":false}", "[1,\"a\",true]",
           "/0: expected string, got number 1", "/1: expected integer, got string \"a\"",
           "/2: no value is allowed here (the schema is false)", NULL);
    expect("{\"prefixItems\":[{\"const\":\"x\"}],\"items\":{\"type\":\"number\"}}", "[\"x\",1,2,\"no\"]",
           "/3: expected number, got string \"no\"", NULL);
    expect("{\"items\":{\"type\":\"object\",\"properties\":{\"airline\":{\"enum\":[\"LH\",\"BA\"]}},\"required\":["
           "\"airline\"]}}",
           "[{\"airline\":\"LH\"},{\"airline\":\"XX\"},{}]", "/1/airline: \"XX\" is not one of [\"LH\",\"BA\"]",
           "/2/airline: required property is missing", NULL);
}

static void test_objects(void **state) {
    (void)state;
    const char *weather = "{\"type\":\"object\",\"properties\":{\"location\":{\"type\":\"string\"},"
                          "\"unit\":{\"type\":\"string\",\"enum\":[\"celsius\",\"fahrenheit\"]}},"
                          "\"required\":[\"location\"],\"additionalProperties\":false}";
    expect(weather, "{\"location\":\"Tokyo\"}", NULL);
    /* every violation is reported, not just the first */
    expect(weather, "{\"unit\":\"kelvin\",\"extra\":1}", "/unit: \"kelvin\" is not one of [\"celsius\",\"fahrenheit\"]",
           "/extra: property is not allowed (additionalProperties is false; allowed: [\"location\",\"unit\"])",
           "/location: required property is missing", NULL);
    expect("{\"additionalProperties\":false}", "{\"a\":1}",
           "/a: property is not allowed (additionalProperties is false)", NULL);
    expect("{\"properties\":{\"a\":{}},\"additionalProperties\":{\"type\":\"integer\"}}",
           "{\"a\":\"s\",\"b\":2,\"c\":\"x\"}", "/c: expected integer, got string \"x\"", NULL);
    expect("{\"patternProperties\":{\"^x_\":{\"type\":\"integer\"}},\"additionalProperties\":false}",
           "{\"x_1\":1,\"x_2\":\"a\",\"y\":0}", "/x_2: expected integer, got string \"a\"",
           "/y: property is not allowed (additionalProperties is false)", NULL);
    expect("{\"minProperties\":1,\"maxProperties\":2}", "{}", ": object has 0 properties, fewer than minProperties 1",
           NULL);
    expect("{\"minProperties\":1,\"maxProperties\":2}", "{\"a\":1,\"b\":2,\"c\":3}",
           ": object has 3 properties, more than maxProperties 2", NULL);
    /* pointers escape / and ~ (RFC 6901) */
    expect("{\"properties\":{\"a/b\":{\"type\":\"string\"},\"m~n\":{\"type\":\"string\"}}}", "{\"a/b\":1,\"m~n\":2}",
           "/a~1b: expected string, got number 1", "/m~0n: expected string, got number 2", NULL);
    const char *nested =
        "{\"type\":\"object\",\"properties\":{\"route\":{\"type\":\"object\",\"properties\":{\"from\":{\"type\":"
        "\"string\",\"minLength\":3}},\"required\":[\"from\",\"to\"]}}}";
    expect(nested, "{\"route\":{\"from\":\"MU\"}}", "/route/from: string has 2 characters, fewer than minLength 3",
           "/route/to: required property is missing", NULL);
}

static void test_combinators(void **state) {
    (void)state;
    const char *any = "{\"anyOf\":[{\"type\":\"string\"},{\"type\":\"integer\",\"minimum\":0}]}";
    expect(any, "\"x\"", NULL);
    expect(any, "3", NULL);
    expect(any, "-3", ": -3 does not match any of the 2 schemas in anyOf (closest, #0: expected string, got number -3)",
           NULL);
    expect("{\"properties\":{\"v\":{\"anyOf\":[{\"type\":\"object\",\"required\":[\"a\",\"b\"]},{\"type\":\"object\","
           "\"required\":[\"a\"]}]}}}",
           "{\"v\":{}}",
           "/v: {} does not match any of the 2 schemas in anyOf (closest, #1: /v/a: required property is missing)",
           NULL);
    const char *one = "{\"oneOf\":[{\"type\":\"integer\"},{\"type\":\"number\",\"minimum\":2}]}";
    expect(one, "1", NULL);
    expect(one, "2.5", NULL);
    expect(one, "3", ": 3 matches 2 of the schemas in oneOf, not exactly one", NULL);
    expect("{\"allOf\":[{\"type\":\"string\"},{\"maxLength\":2}]}", "\"abc\"",
           ": string has 3 characters, more than maxLength 2", NULL);
    expect("{\"not\":{\"type\":\"null\"}}", "null", ": null matches the schema in 'not'", NULL);
    expect("{\"not\":{\"type\":\"null\"}}", "0", NULL);
}

static void test_refs(void **state) {
    (void)state;
    const char *s = "{\"$defs\":{\"unit\":{\"enum\":[\"c\",\"f\"]}},\"properties\":{\"u\":{\"$ref\":\"#/$defs/unit\"},"
                    "\"list\":{\"type\":\"array\",\"items\":{\"$ref\":\"#/properties/u\"}}}}";
    expect(s, "{\"u\":\"c\",\"list\":[\"f\"]}", NULL);
    expect(s, "{\"u\":\"k\",\"list\":[\"c\",\"x\"]}", "/u: \"k\" is not one of [\"c\",\"f\"]",
           "/list/1: \"x\" is not one of [\"c\",\"f\"]", NULL);
    expect("{\"$ref\":\"other.json#/x\"}", "1",
           ": cannot resolve $ref 'other.json#/x' (only '#/...' inside the tool's schema is supported)", NULL);
    /* a cycle ends instead of recursing forever */
    cJSON *loop = cJSON_Parse("{\"$ref\":\"#\"}"), *inst = cJSON_Parse("1"), *out = cJSON_CreateArray();
    assert_int_equal(g4_schema_validate(loop, inst, out), 1);
    assert_non_null(strstr(cJSON_GetArrayItem(out, 0)->child->next->valuestring, "nested deeper than"));
    cJSON_Delete(loop);
    cJSON_Delete(inst);
    cJSON_Delete(out);
    /* counting only */
    cJSON *sch = cJSON_Parse("{\"type\":\"string\"}"), *v = cJSON_Parse("1");
    assert_int_equal(g4_schema_validate(sch, v, NULL), 1);
    cJSON_Delete(sch);
    cJSON_Delete(v);
}

static const char *k_tools =
    "[{\"type\":\"function\",\"function\":{\"name\":\"get_weather\",\"description\":\"Weather\",\"parameters\":{"
    "\"type\":"
    "\"object\",\"properties\":{\"location\":{\"type\":\"string\"},\"unit\":{\"type\":\"string\",\"enum\":[\"celsius\","
    "\"fahrenheit\"]},\"days\":{\"type\":\"integer\",\"minimum\":1,\"maximum\":7}},\"required\":[\"location\"]}}},"
    "{\"name\":\"get_time\",\"parameters\":{\"type\":\"object\",\"properties\":{},\"additionalProperties\":false}},"
    "{\"type\":\"function\",\"function\":{\"name\":\"free_form\"}}]";

static cJSON *validate_text(const char *text, cJSON **message) {
    g4_error err = {0};
    if (g4_tc_parse(text, strlen(text), 0, message, &err) != GEMMA4_OK) fail_msg("%s: %s", text, err.msg);
    cJSON *tools = cJSON_Parse(k_tools), *out = cJSON_CreateArray();
    assert_int_equal(g4_tc_validate(*message, tools, out, &err), GEMMA4_OK);
    cJSON_Delete(tools);
    return out;
}

static void expect_lines(cJSON *violations, const char *const *lines) {
    int i = 0;
    for (; lines[i]; i++) {
        char *t = g4_tc_violation_text(cJSON_GetArrayItem(violations, i));
        if (!t || strcmp(t, lines[i])) fail_msg("violation %d: got '%s', expected '%s'", i, t ? t : "(none)", lines[i]);
        free(t);
    }
    assert_int_equal(cJSON_GetArraySize(violations), i);
}

static void test_tool_calls_against_tools(void **state) {
    (void)state;
    cJSON *m = NULL;
    cJSON *v = validate_text("<|tool_call>call:get_weather{location:<|\"|>Tokyo<|\"|>,days:3}<tool_call|>", &m);
    assert_int_equal(cJSON_GetArraySize(v), 0);
    cJSON_Delete(v);
    cJSON_Delete(m);

    v = validate_text("<|tool_call>call:get_weather{unit:<|\"|>kelvin<|\"|>,days:9.5}<tool_call|>"
                      "<|tool_call>call:get_time{tz:<|\"|>UTC<|\"|>}<tool_call|>"
                      "<|tool_call>call:send_email{}<tool_call|>"
                      "<|tool_call>call:free_form{anything:[1,{}]}<tool_call|>",
                      &m);
    static const char *const lines[] = {
        "call_0 get_weather /unit: \"kelvin\" is not one of [\"celsius\",\"fahrenheit\"]",
        "call_0 get_weather /days: expected integer, got number 9.5",
        "call_0 get_weather /days: 9.5 is greater than maximum 7",
        "call_0 get_weather /location: required property is missing",
        "call_1 get_time /tz: property is not allowed (additionalProperties is false)",
        "call_2 send_email 'send_email' is not a declared tool (declared: "
        "[\"get_weather\",\"get_time\",\"free_form\"])",
        NULL};
    expect_lines(v, lines);
    const cJSON *first = cJSON_GetArrayItem(v, 0);
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(first, "tool_call_id")->valuestring, "call_0");
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(first, "name")->valuestring, "get_weather");
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(first, "pointer")->valuestring, "/unit");
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(first, "message")->valuestring,
                        "\"kelvin\" is not one of [\"celsius\",\"fahrenheit\"]");
    cJSON_Delete(v);
    cJSON_Delete(m);

    /* a message a client sent: arguments that are not JSON, or not an object */
    cJSON *msg =
        cJSON_Parse("{\"role\":\"assistant\",\"tool_calls\":[{\"id\":\"x1\",\"function\":{\"name\":\"get_time\","
                    "\"arguments\":\"{bad\"}},{\"function\":{\"name\":\"get_time\",\"arguments\":\"[1]\"}},"
                    "{\"id\":\"x3\",\"function\":{\"arguments\":\"{}\"}}]}");
    cJSON *tools = cJSON_Parse(k_tools), *out = cJSON_CreateArray();
    g4_error err = {0};
    assert_int_equal(g4_tc_validate(msg, tools, out, &err), GEMMA4_OK);
    static const char *const client_lines[] = {"x1 get_time arguments are not valid JSON",
                                               "tool_calls[1] get_time arguments are not a JSON object",
                                               "x3 the call has no function name", NULL};
    expect_lines(out, client_lines);
    assert_int_equal(g4_tc_validate(msg, NULL, out, &err), GEMMA4_ERR_INVALID_ARG);
    assert_int_equal(g4_tc_validate(NULL, tools, out, &err), GEMMA4_ERR_INVALID_ARG);
    assert_non_null(g4_tc_find_tool(tools, "get_time"));
    assert_null(g4_tc_find_tool(tools, "nope"));
    cJSON_Delete(msg);
    cJSON_Delete(tools);
    cJSON_Delete(out);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_type),
        cmocka_unit_test(test_enum_const),
        cmocka_unit_test(test_numbers),
        cmocka_unit_test(test_strings),
        cmocka_unit_test(test_arrays),
        cmocka_unit_test(test_objects),
        cmocka_unit_test(test_combinators),
        cmocka_unit_test(test_refs),
        cmocka_unit_test(test_tool_calls_against_tools),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
