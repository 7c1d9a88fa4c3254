/*
 * The Gemma 4 chat template in C: OpenAI-style messages (and tool declarations) to the exact prompt
 * text that google-gemma-4-31B-it.jinja renders under Jinja2, byte for byte (the expectations are
 * tests/data/chat/golden.json, made by tests/data/chat/make_golden.py with the template itself).
 *
 * The template is emulated together with the Python semantics it relies on: str() of values
 * (None, True, 2.0, 1e+20, repr of lists), Unicode-aware trim, case-insensitive dictsort, Jinja's
 * undefined values. Inputs the template itself cannot render (no messages, a tool without
 * "function", a message without role, ...) fail with GEMMA4_ERR_INVALID_ARG. Known approximations,
 * all outside what real conversations contain: upper/lower-casing and repr's "printable" test are
 * exact for ASCII only.
 *
 * The renderer is chat_template.c; the Python rules it prints by are py_value.h, the Gemma value
 * syntax of tool calls and responses is gemma_value.h, and the JSON reader for the text entry
 * point is chat_json.h (included here: trees from it render exactly as the template would).
 */
#ifndef G4_TEXT_CHAT_TEMPLATE_H
#define G4_TEXT_CHAT_TEMPLATE_H

#include <cjson/cJSON.h>
#include <stddef.h>

#include "core/error.h"
#include "text/chat_json.h"

/* Rendering flags (the public GEMMA4_CHAT_* flags have the same values). */
enum {
    G4_CHAT_ADD_GENERATION_PROMPT = 1u << 0, /* end with the opening of the model's turn */
    G4_CHAT_ENABLE_THINKING = 1u << 1,       /* <|think|> in the system turn; no empty thought in the prompt */
    G4_CHAT_OMIT_BOS = 1u << 2,              /* leave out the leading "<bos>" (the tokenizer adds BOS) */
    /* What llama.cpp's server does around this template: role "tool" results that follow an
     * assistant's tool_calls become that message's structured "tool_responses" (content parsed as
     * JSON when it is JSON, so the model sees response:NAME{key:value,...}), the next plain assistant
     * answer joins that message, and "<|turn>model\n" is appended when a generation prompt is asked
     * for and the text ends with "<turn|>\n". */
    G4_CHAT_LLAMA_COMPAT = 1u << 3,
    /* OpenAI content parts {"type":"image_url"} / {"type":"input_audio"} count as image / audio
     * (the template itself only knows "image", "audio", "video" and drops other parts). */
    G4_CHAT_MEDIA_ALIASES = 1u << 4,
};

/*
 * Renders messages (a JSON array of message objects) with optional tools (a JSON array of
 * {"type":"function","function":{...}} or NULL). *out is malloc'd and NUL-terminated (*out_len, if
 * not NULL, its length). Tool-call arguments given as a string holding a JSON object are decoded
 * first (as llama.cpp does); other strings are pasted verbatim, as the template does.
 * Trees may come from cJSON_Parse (a number prints as an int when it is integral and below 2^53)
 * or from g4_chat_json_parse (a number prints exactly as Python would print the JSON literal).
 */
gemma4_status g4_chat_render(const cJSON *messages, const cJSON *tools, unsigned flags, char **out, size_t *out_len,
                             g4_error *err);

/* The same from JSON text (tools_json NULL or "" for none). */
gemma4_status g4_chat_render_json(const char *messages_json, const char *tools_json, unsigned flags, char **out,
                                  size_t *out_len, g4_error *err);

#endif
