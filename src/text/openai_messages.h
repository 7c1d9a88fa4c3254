/*
 * OpenAI-style chat messages reshaped before the Gemma 4 template renders them, the way the
 * servers people use with these models do it, so that a conversation renders to the same prompt
 * here as there.
 *
 * The template itself takes tool-call arguments as an object and tool results as the assistant
 * message's "tool_responses"; OpenAI clients send arguments as a JSON string and results as
 * separate role "tool" messages. Transformers and llama.cpp decode the string arguments first;
 * llama.cpp's server (common/parsers/gemma4.cpp) also folds the tool messages into the assistant
 * message before rendering. Both steps live here, apart from the renderer, because they are not
 * part of the template: the renderer stays a one-to-one reading of the .jinja.
 */
#ifndef G4_TEXT_OPENAI_MESSAGES_H
#define G4_TEXT_OPENAI_MESSAGES_H

#include <cjson/cJSON.h>
#include <stdbool.h>

/* In place: each tool call's "arguments" that is a string holding a JSON object (read with
 * g4_chat_json_parse) becomes that object; any other string stays, and the template pastes it
 * verbatim. False only when memory ran out. */
bool g4_openai_decode_string_arguments(cJSON *messages);

/* llama.cpp's convert_tool_responses_gemma4: the role "tool" messages that follow an assistant
 * message with tool_calls become its "tool_responses" ({"name", "response"}: the content decoded
 * when it is JSON, the name of the call in the same position, or the tool_call_id when that call has
 * none), and the next plain assistant answer becomes its content. A new array (messages is not changed), NULL when
 * memory ran out. */
cJSON *g4_openai_fold_tool_responses(const cJSON *messages);

#endif
