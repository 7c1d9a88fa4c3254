/*
 * JSON values (cJSON trees) as the Gemma 4 chat template sees them under Jinja2: Python objects.
 *
 * The template is Jinja code run by Python, so what it prints depends on Python's rules, not on
 * JSON's: str(2.0) is "2.0", str(None) is "None", str() of a list is its repr with single quotes,
 * strip() removes Unicode whitespace, and the dictsort filter orders keys case-insensitively. The
 * renderer (chat_template.c) and the Gemma value writer (gemma_value.c) both need these rules, and
 * must agree on them byte for byte, so they live here once.
 *
 * Conventions: NULL stands for Jinja's Undefined (a missing key), which prints as "" and is falsy;
 * JSON null is None. A number may be a cJSON_Number (from cJSON_Parse: printed as an int when it is
 * integral and below 2^53, since the literal is gone) or a cJSON_Raw holding the literal (from
 * g4_chat_json_parse: printed exactly as Python prints what json.loads made of it, so 2.0 stays a
 * float and big integers stay exact). Upper/lower-casing and repr's "printable" test are exact for
 * ASCII only (outside what tool schemas and conversations contain).
 */
#ifndef G4_TEXT_PY_VALUE_H
#define G4_TEXT_PY_VALUE_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include "core/strbuf.h"

/* v's cJSON type without the flag bits; cJSON_Invalid for Undefined. */
static inline int g4_py_type(const cJSON *v) {
    return v ? (v->type & 0xFF) : cJSON_Invalid;
}
static inline bool g4_py_is_num(const cJSON *v) {
    return g4_py_type(v) == cJSON_Number || g4_py_type(v) == cJSON_Raw;
}
static inline bool g4_py_is_str(const cJSON *v) {
    return g4_py_type(v) == cJSON_String;
}
static inline bool g4_py_is_obj(const cJSON *v) {
    return g4_py_type(v) == cJSON_Object;
}
static inline bool g4_py_is_arr(const cJSON *v) {
    return g4_py_type(v) == cJSON_Array;
}
static inline bool g4_py_is_none(const cJSON *v) {
    return g4_py_type(v) == cJSON_NULL;
}

/* Jinja's obj[key]: the member if obj is a mapping that has it, otherwise Undefined. */
static inline const cJSON *g4_py_get(const cJSON *obj, const char *key) {
    return g4_py_is_obj(obj) ? cJSON_GetObjectItemCaseSensitive(obj, key) : NULL;
}

/* v == s for a string s (false for anything that is not a string). */
static inline bool g4_py_str_eq(const cJSON *v, const char *s) {
    return g4_py_is_str(v) && strcmp(v->valuestring, s) == 0;
}

/* Python's bool(v): false for Undefined, None, False, 0, 0.0, "" and empty containers. */
bool g4_py_truthy(const cJSON *v);

/* Python's a == b for the values the template compares (tool call ids); Undefined equals None. */
bool g4_py_eq(const cJSON *a, const cJSON *b);

/* Appends str(v): "" for Undefined, None/True/False, numbers as Python prints them, strings as they
 * are, lists and mappings as their repr ("['a', 1]", "{'k': None}"). */
void g4_py_str(g4_strbuf *b, const cJSON *v);

/* str.strip(): the range [*start, *start + *len) of s[0..n) without Unicode whitespace at either end. */
void g4_py_strip(const char *s, size_t n, size_t *start, size_t *len);

/* Appends s[0..n) stripped (the template's "| trim"). */
void g4_py_put_stripped(g4_strbuf *b, const char *s, size_t n);

/* str.upper() in place, for ASCII letters. */
void g4_py_upper_ascii(char *s, size_t n);

/* The members of obj in the order of Jinja's "obj | dictsort": keys compared lower-cased (ASCII),
 * byte by byte, ties kept in their original order (Python's sort is stable). A malloc'd array of
 * *count members (free with free()), NULL when memory ran out. */
const cJSON **g4_py_dictsort(const cJSON *obj, size_t *count);

#endif
