/* The model-free JSON calls of the public API: template rendering and tool-call parsing. */
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "api/json_api.h"
#include "gemma4.h"
#include "text/chat_template.h"
#include "toolcall/tc_message.h"
#include "toolcall/validate.h"

_Static_assert(GEMMA4_CHAT_ADD_GENERATION_PROMPT == G4_CHAT_ADD_GENERATION_PROMPT &&
                   GEMMA4_CHAT_ENABLE_THINKING == G4_CHAT_ENABLE_THINKING && GEMMA4_CHAT_OMIT_BOS == G4_CHAT_OMIT_BOS &&
                   GEMMA4_CHAT_LLAMA_COMPAT == G4_CHAT_LLAMA_COMPAT &&
                   GEMMA4_CHAT_MEDIA_ALIASES == G4_CHAT_MEDIA_ALIASES,
               "public and internal chat flags must agree");
_Static_assert(GEMMA4_TOOLCALL_THOUGHT_OPEN == G4_TC_START_IN_THOUGHT, "public and internal parser flags must agree");

static gemma4_status finish(gemma4_status st, const g4_error *err, char *errbuf, size_t errbuf_size) {
    g4_error_copy_out(st == GEMMA4_OK ? NULL : err, errbuf, errbuf_size);
    return st;
}

/* cJSON text handed out for gemma4_free (plain free), whatever allocator cJSON was set up with. */
static char *print_json(const cJSON *v) {
    char *text = cJSON_PrintUnformatted(v);
    if (!text) return NULL;
    char *copy = strdup(text);
    cJSON_free(text);
    return copy;
}

GEMMA4_API gemma4_status gemma4_chat_render(const char *messages_json, const char *tools_json, unsigned flags,
                                            char **prompt_out, char *errbuf, size_t errbuf_size) {
    g4_error err = {0};
    if (prompt_out) *prompt_out = NULL;
    if (!messages_json || !prompt_out) {
        g4_fail(&err, GEMMA4_ERR_INVALID_ARG, "gemma4_chat_render: messages_json and prompt_out must not be NULL");
        return finish(err.status, &err, errbuf, errbuf_size);
    }
    gemma4_status st = g4_chat_render_json(messages_json, tools_json, flags, prompt_out, NULL, &err);
    return finish(st, &err, errbuf, errbuf_size);
}

gemma4_status g4_toolcall_parse_json(const char *text, size_t text_len, const char *tools_json, unsigned flags,
                                     char **message_json, char **violations_json, g4_error *err) {
    *message_json = NULL;
    if (violations_json) *violations_json = NULL;
    cJSON *tools = NULL;
    if (tools_json) {
        tools = cJSON_Parse(tools_json);
        if (!cJSON_IsArray(tools)) {
            cJSON_Delete(tools);
            return g4_fail(err, GEMMA4_ERR_INVALID_ARG, "gemma4_toolcall_parse: tools_json is not a JSON array");
        }
    }
    cJSON *message = NULL, *violations = cJSON_CreateArray();
    gemma4_status st = violations ? g4_tc_parse(text, text_len, flags, &message, err)
                                  : g4_fail(err, GEMMA4_ERR_NOMEM, "out of memory");
    if (st == GEMMA4_OK && tools) st = g4_tc_validate(message, tools, violations, err);
    if (st == GEMMA4_OK) {
        *message_json = print_json(message);
        if (violations_json) *violations_json = print_json(violations);
        if (!*message_json || (violations_json && !*violations_json)) {
            free(*message_json);
            *message_json = NULL;
            if (violations_json) {
                free(*violations_json);
                *violations_json = NULL;
            }
            st = g4_fail(err, GEMMA4_ERR_NOMEM, "out of memory");
        }
    }
    int n = cJSON_GetArraySize(violations);
    if (st == GEMMA4_OK && n > 0) {
        char *first = g4_tc_violation_text(cJSON_GetArrayItem(violations, 0));
        st = g4_fail(err, GEMMA4_ERR_VALIDATION, "%d tool-call violation%s: %s%s", n, n == 1 ? "" : "s",
                     first ? first : "", n > 1 ? " (and more)" : "");
        free(first);
    }
    cJSON_Delete(message);
    cJSON_Delete(violations);
    cJSON_Delete(tools);
    return st;
}

GEMMA4_API gemma4_status gemma4_toolcall_parse(const char *text, size_t text_len, const char *tools_json,
                                               unsigned flags, char **message_json, char **violations_json,
                                               char *errbuf, size_t errbuf_size) {
    g4_error err = {0};
    if (message_json) *message_json = NULL;
    if (violations_json) *violations_json = NULL;
    gemma4_status st;
    if ((!text && text_len) || !message_json)
        st = g4_fail(&err, GEMMA4_ERR_INVALID_ARG, "gemma4_toolcall_parse: text and message_json must not be NULL");
    else
        st = g4_toolcall_parse_json(text ? text : "", text_len, tools_json, flags, message_json, violations_json, &err);
    return finish(st, &err, errbuf, errbuf_size);
}
