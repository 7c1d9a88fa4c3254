/*
 * JSON values written in Gemma 4's value syntax, the one writer of it in the library.
 *
 * The syntax is what the chat template's format_argument macro prints: strings between <|"|>
 * quotes (raw, nothing escaped), true/false, None for null, numbers as Python prints them
 * (py_value.h: 2.0, 1e+20, an int literal of any size), lists as [a,b], objects as {k:v,...} with
 * the members in dictsort order (keys lower-cased for comparison, ties in their original order)
 * and keys bare, or between <|"|> quotes with quote_keys (the template's escape_keys, used in tool
 * declarations). Tool calls and tool responses wrap it in their markers.
 *
 * Two readers depend on it being exactly the template's text: the model, which saw that text in
 * training and answers in it, and the constrained decoder (src/toolcall), which forces enum values
 * through these functions and so must write what the template writes. Both the renderer
 * (chat_template.c) and the tool-call layer therefore call this file; its inverse is the tool-call
 * parser (toolcall/tc_parser.h), which reads all of it back except Python's inf and nan.
 */
#ifndef G4_TEXT_GEMMA_VALUE_H
#define G4_TEXT_GEMMA_VALUE_H

#include <cjson/cJSON.h>
#include <stdbool.h>

#include "core/strbuf.h"

/* format_argument(v, quote_keys) appended to b. NULL (Jinja's Undefined) is written "[]", as the
 * template's sequence test lets it through as an empty list. False (and b->oom set) when memory ran
 * out. */
bool g4_gemma_write_value(g4_strbuf *b, const cJSON *v, bool quote_keys);

/* An object's members, k:v joined by ',' in dictsort order, without the braces. */
bool g4_gemma_write_members(g4_strbuf *b, const cJSON *obj, bool quote_keys);

/* "<|tool_call>call:NAME{...}<tool_call|>" as the template writes a call: arguments that are an
 * object give their members, a string is pasted verbatim (arguments the caller could not decode),
 * anything else leaves the braces empty. */
bool g4_gemma_write_call(g4_strbuf *b, const char *name, const cJSON *arguments);

/* "<|tool_response>response:NAME{...}<tool_response|>": an object's members, any other value as
 * {value:...}. */
bool g4_gemma_write_response(g4_strbuf *b, const char *name, const cJSON *response);

/* The same as malloc'd strings (free with free()), NULL when memory ran out. format_call also
 * returns NULL unless arguments is an object, and the last two NULL for a NULL name. */
char *g4_gemma_format_value(const cJSON *v, bool quote_keys);
char *g4_gemma_format_call(const char *name, const cJSON *arguments);
char *g4_gemma_format_response(const char *name, const cJSON *response);

#endif
