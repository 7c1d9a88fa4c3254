/* OpenAI messages to the shape the template renders (openai_messages.h). */
#include "text/openai_messages.h"

#include <string.h>

#include "core/error.h"
#include "text/chat_json.h"
#include "text/py_value.h"

bool g4_openai_decode_string_arguments(cJSON *messages) {
    for (cJSON *m = messages->child; m; m = m->next) {
        cJSON *calls = g4_py_is_obj(m) ? cJSON_GetObjectItemCaseSensitive(m, "tool_calls") : NULL;
        if (!g4_py_is_arr(calls)) continue;
        for (cJSON *tc = calls->child; tc; tc = tc->next) {
            cJSON *fn = g4_py_is_obj(tc) ? cJSON_GetObjectItemCaseSensitive(tc, "function") : NULL;
            cJSON *args = g4_py_is_obj(fn) ? cJSON_GetObjectItemCaseSensitive(fn, "arguments") : NULL;
            if (!g4_py_is_str(args)) continue;
            g4_error e = {0};
            cJSON *decoded = g4_chat_json_parse(args->valuestring, strlen(args->valuestring), "arguments", &e);
            if (!decoded && e.status == GEMMA4_ERR_NOMEM) return false;
            if (g4_py_is_obj(decoded))
                cJSON_ReplaceItemInObjectCaseSensitive(fn, "arguments", decoded);
            else
                cJSON_Delete(decoded);
        }
    }
    return true;
}

static bool has_nonempty_calls(const cJSON *m) {
    const cJSON *tc = g4_py_get(m, "tool_calls");
    return g4_py_is_arr(tc) && tc->child;
}

static bool has_content(const cJSON *m) {
    const cJSON *c = g4_py_get(m, "content");
    return (g4_py_is_str(c) && c->valuestring[0]) || (g4_py_is_arr(c) && c->child);
}

static bool role_is(const cJSON *m, const char *role) {
    return g4_py_str_eq(g4_py_get(m, "role"), role);
}

/* Adds item to a container, taking ownership; false (and item freed) if either is missing. */
static bool put_item(cJSON *container, const char *key, cJSON *item) {
    if (!container || !item) {
        cJSON_Delete(item);
        return false;
    }
    bool ok = key ? cJSON_AddItemToObject(container, key, item) : cJSON_AddItemToArray(container, item);
    if (!ok) cJSON_Delete(item);
    return ok;
}

/* One role "tool" message as llama.cpp passes it on: {"name", "response"} with JSON content decoded. */
static cJSON *folded_response(const cJSON *m, const cJSON *calls, int idx) {
    cJSON *response;
    const cJSON *content = g4_py_get(m, "content");
    if (!content)
        response = cJSON_CreateNull();
    else if (g4_py_is_str(content)) {
        g4_error e = {0};
        response = g4_chat_json_parse(content->valuestring, strlen(content->valuestring), "tool content", &e);
        if (!response && e.status != GEMMA4_ERR_NOMEM) response = cJSON_CreateString(content->valuestring);
    } else
        response = cJSON_Duplicate(content, true);
    const char *name = "";
    const cJSON *nm = g4_py_get(g4_py_get(cJSON_GetArrayItem(calls, idx), "function"), "name");
    if (g4_py_is_str(nm)) name = nm->valuestring;
    if (!name[0] && g4_py_is_str(g4_py_get(m, "tool_call_id"))) name = g4_py_get(m, "tool_call_id")->valuestring;
    cJSON *r = cJSON_CreateObject();
    bool ok = put_item(r, "name", cJSON_CreateString(name));
    ok = put_item(r, "response", response) && ok;
    if (!ok) {
        cJSON_Delete(r);
        return NULL;
    }
    return r;
}

/* llama.cpp's convert_tool_responses_gemma4, step by step. */
cJSON *g4_openai_fold_tool_responses(const cJSON *messages) {
    cJSON *out = cJSON_CreateArray();
    bool ok = out != NULL;
    const cJSON *m = messages->child;
    while (ok && m) {
        if (!role_is(m, "assistant") || !has_nonempty_calls(m)) {
            ok = put_item(out, NULL, cJSON_Duplicate(m, true));
            m = m->next;
            continue;
        }
        const cJSON *calls = g4_py_get(m, "tool_calls");
        const cJSON *reasoning = g4_py_get(m, "reasoning_content");
        cJSON *msg = cJSON_CreateObject(), *responses = cJSON_CreateArray();
        ok = put_item(msg, "role", cJSON_CreateString("assistant"));
        ok = put_item(msg, "tool_calls", cJSON_Duplicate(calls, true)) && ok;
        int idx = 0;
        for (m = m->next; ok && m && role_is(m, "tool"); m = m->next, idx++)
            ok = put_item(responses, NULL, folded_response(m, calls, idx));
        if (ok && m && role_is(m, "assistant") && !has_nonempty_calls(m) && has_content(m)) {
            ok = put_item(msg, "content", cJSON_Duplicate(g4_py_get(m, "content"), true));
            m = m->next;
        }
        if (ok && responses && responses->child)
            ok = put_item(msg, "tool_responses", responses);
        else
            cJSON_Delete(responses);
        if (ok && g4_py_is_str(reasoning))
            ok = put_item(msg, "reasoning_content", cJSON_CreateString(reasoning->valuestring));
        ok = put_item(out, NULL, msg) && ok;
    }
    if (!ok) {
        cJSON_Delete(out);
        return NULL;
    }
    return out;
}
