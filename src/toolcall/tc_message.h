/*
 * Model output to an OpenAI-style assistant message:
 *   {"role":"assistant",
 *    "content": text outside thoughts and calls (trimmed; null when empty and there are calls),
 *    "reasoning_content": the thought channel's text (only when there was some),
 *    "tool_calls": [{"id":"call_0","type":"function","function":{"name":...,"arguments":"<JSON text>"}}]}
 * Arguments keep each number's literal (12345678901234567890 and 1.50 are passed on as written);
 * None becomes null; a key repeated in one object is an error. Ids are "call_<index in the text>".
 */
#ifndef G4_TOOLCALL_TC_MESSAGE_H
#define G4_TOOLCALL_TC_MESSAGE_H

#include <cjson/cJSON.h>

#include "core/error.h"
#include "toolcall/tc_parser.h"

/* Builds the message from parser events; usable while streaming (feed the parser chunk by chunk). */
typedef struct g4_tc_builder g4_tc_builder;

g4_tc_builder *g4_tc_builder_new(void);
void g4_tc_builder_free(g4_tc_builder *b);

/* The sink to give g4_tc_parser_init (user = the builder). */
int g4_tc_builder_sink(void *user, g4_tc_event ev, const char *bytes, size_t len, uint64_t pos);

/* The message so far (after g4_tc_parser_finish succeeded: the whole message). NULL on NOMEM. */
cJSON *g4_tc_builder_message(const g4_tc_builder *b);

/* Why the builder stopped the parser (duplicate key, out of memory); status GEMMA4_OK if it did not. */
const g4_error *g4_tc_builder_error(const g4_tc_builder *b);

/*
 * The whole job: parses text[0..len) (flags: G4_TC_START_IN_THOUGHT) into *message (cJSON_Delete it).
 * GEMMA4_ERR_FORMAT with "byte N: expected ..., got ..." when the text breaks the format (a call
 * that is cut short or malformed is never dropped silently), GEMMA4_ERR_NOMEM.
 */
gemma4_status g4_tc_parse(const char *text, size_t len, unsigned flags, cJSON **message, g4_error *err);

#endif
