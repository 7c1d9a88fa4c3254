/*
 * JSON values written in Gemma 4's tool-call syntax, as the chat template writes them:
 * strings between <|"|> quotes (raw, no escapes), object members in the template's order
 * (keys compared case-insensitively, ties in their original order), keys bare (or quoted with
 * quote_keys, as in declarations' nested values), numbers as JSON literals, null as None.
 * The inverse is the parser (tc_parser.h), which reads all of these back.
 */
#ifndef G4_TOOLCALL_GEMMA_VALUE_H
#define G4_TOOLCALL_GEMMA_VALUE_H

#include <cjson/cJSON.h>
#include <stdbool.h>

/* The value's text (malloc'd), NULL when memory ran out. A cJSON_Raw item is written as is (the
 * tool-call parser keeps number literals that way). */
char *g4_tc_format_value(const cJSON *value, bool quote_keys);

/* "<|tool_call>call:NAME{k:v,...}<tool_call|>" for an arguments object (NULL if not an object). */
char *g4_tc_format_call(const char *name, const cJSON *arguments);

/* "<|tool_response>response:NAME{k:v,...}<tool_response|>"; a response that is not an object is
 * written as {value:...}. */
char *g4_tc_format_response(const char *name, const cJSON *response);

#endif
