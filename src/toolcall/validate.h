/*
 * Tool calls checked against the tools that were declared: the function must be one of them and
 * its arguments must satisfy its "parameters" schema (schema.h). Violations are collected, never
 * just the first.
 */
#ifndef G4_TOOLCALL_VALIDATE_H
#define G4_TOOLCALL_VALIDATE_H

#include <cjson/cJSON.h>

#include "core/error.h"

/* The declaration of tool `name` in tools (OpenAI {"type":"function","function":{...}} entries or
 * bare {"name","parameters"} ones); NULL if there is none. */
const cJSON *g4_tc_find_tool(const cJSON *tools, const char *name);

/*
 * Checks every entry of message.tool_calls (the OpenAI assistant message from g4_tc_parse, or one
 * a client sent). Appends to violations one object per problem:
 *   {"tool_call_id":"call_0","name":"get_weather","pointer":"/unit",
 *    "message":"\"kelvin\" is not one of [\"celsius\",\"fahrenheit\"]"}
 * (pointer "" for the call as a whole: an undeclared tool, arguments that are not a JSON object).
 * GEMMA4_OK whether or not anything was found; GEMMA4_ERR_INVALID_ARG when tools is not a JSON
 * array; GEMMA4_ERR_NOMEM.
 */
gemma4_status g4_tc_validate(const cJSON *message, const cJSON *tools, cJSON *violations, g4_error *err);

/* One violation as a line: "call_0 get_weather /unit: \"kelvin\" is not one of [...]". malloc'd. */
char *g4_tc_violation_text(const cJSON *violation);

#endif
