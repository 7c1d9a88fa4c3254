/*
 * JSON text to a cJSON tree the way Python's json.loads reads it, for the chat template.
 *
 * The template's output depends on details that cJSON_Parse throws away: whether a number was
 * written 2 or 2.0 (Python prints "2" or "2.0"), the exact digits of an integer beyond 2^53 (Python's
 * ints are exact), NaN and Infinity (json.loads accepts them), and which of two equal keys wins (a
 * Python dict keeps the first one's place and the last one's value). This reader keeps all of that:
 * numbers become cJSON_Raw items holding their literal text, which py_value.h prints the Python way.
 * It is also strict where json.loads is: strings must be valid UTF-8 (core/utf8.h), and \u0000 is
 * refused because a C string cannot carry it.
 */
#ifndef G4_TEXT_CHAT_JSON_H
#define G4_TEXT_CHAT_JSON_H

#include <cjson/cJSON.h>
#include <stddef.h>

#include "core/error.h"

/* Parses text[0..len). `what` names the text in error messages ("messages JSON: byte 12: expected
 * ..."); NULL (with err set) on failure. Nesting deeper than 256 levels is refused. */
cJSON *g4_chat_json_parse(const char *text, size_t len, const char *what, g4_error *err);

#endif
