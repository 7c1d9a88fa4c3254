/* Tool calls against their declarations (validate.h). */
#include "toolcall/validate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "toolcall/schema.h"

static const char *str_of(const cJSON *obj, const char *key) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* A tool entry's function object: {"type":"function","function":{...}} or the bare function. */
static const cJSON *function_of(const cJSON *tool) {
    const cJSON *fn = cJSON_GetObjectItemCaseSensitive(tool, "function");
    return cJSON_IsObject(fn) ? fn : tool;
}

const cJSON *g4_tc_find_tool(const cJSON *tools, const char *name) {
    const cJSON *t;
    if (!cJSON_IsArray(tools) || !name) return NULL;
    cJSON_ArrayForEach(t, tools) {
        const char *n = str_of(function_of(t), "name");
        if (n && !strcmp(n, name)) return function_of(t);
    }
    return NULL;
}

/* Adds {"tool_call_id","name","pointer","message"}; false on NOMEM. */
static bool add(cJSON *out, const char *id, const char *name, const char *pointer, const char *message) {
    cJSON *v = cJSON_CreateObject();
    if (v && cJSON_AddStringToObject(v, "tool_call_id", id ? id : "") &&
        cJSON_AddStringToObject(v, "name", name ? name : "") && cJSON_AddStringToObject(v, "pointer", pointer) &&
        cJSON_AddStringToObject(v, "message", message) && cJSON_AddItemToArray(out, v))
        return true;
    cJSON_Delete(v);
    return false;
}

static gemma4_status check_call(const cJSON *call, int index, const cJSON *tools, cJSON *out, g4_error *err) {
    char idbuf[32], msg[512];
    const char *id = str_of(call, "id");
    if (!id) {
        snprintf(idbuf, sizeof idbuf, "tool_calls[%d]", index);
        id = idbuf;
    }
    const cJSON *fn = cJSON_GetObjectItemCaseSensitive(call, "function");
    const char *name = str_of(fn, "name");
    bool ok = true;
    if (!name)
        return add(out, id, "", "", "the call has no function name") ? GEMMA4_OK
                                                                     : g4_fail(err, GEMMA4_ERR_NOMEM, "out of memory");
    const cJSON *decl = g4_tc_find_tool(tools, name);
    if (!decl) {
        cJSON *names = cJSON_CreateArray();
        const cJSON *t;
        cJSON_ArrayForEach(t, tools) {
            const char *n = str_of(function_of(t), "name");
            if (n && names) cJSON_AddItemToArray(names, cJSON_CreateString(n));
        }
        char *list = names ? cJSON_PrintUnformatted(names) : NULL;
        snprintf(msg, sizeof msg, "'%.100s' is not a declared tool (declared: %.300s)", name, list ? list : "[]");
        cJSON_free(list);
        cJSON_Delete(names);
        return add(out, id, name, "", msg) ? GEMMA4_OK : g4_fail(err, GEMMA4_ERR_NOMEM, "out of memory");
    }
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(fn, "arguments");
    cJSON *parsed = cJSON_IsString(a) ? cJSON_Parse(a->valuestring) : NULL;
    const cJSON *args = cJSON_IsString(a) ? parsed : a;
    if (!a)
        ok = add(out, id, name, "", "the call has no arguments");
    else if (!args)
        ok = add(out, id, name, "", "arguments are not valid JSON");
    else if (!cJSON_IsObject(args))
        ok = add(out, id, name, "", "arguments are not a JSON object");
    else {
        const cJSON *params = cJSON_GetObjectItemCaseSensitive(decl, "parameters");
        if (params) {
            cJSON *found = cJSON_CreateArray();
            int n = found ? g4_schema_validate(params, args, found) : -1;
            const cJSON *f;
            if (n < 0) ok = false;
            cJSON_ArrayForEach(f, found) {
                if (!ok) break;
                ok = add(out, id, name, str_of(f, "pointer"), str_of(f, "message"));
            }
            cJSON_Delete(found);
        }
    }
    cJSON_Delete(parsed);
    return ok ? GEMMA4_OK : g4_fail(err, GEMMA4_ERR_NOMEM, "out of memory");
}

gemma4_status g4_tc_validate(const cJSON *message, const cJSON *tools, cJSON *violations, g4_error *err) {
    if (!message || !violations) return g4_fail(err, GEMMA4_ERR_INVALID_ARG, "tool-call validation: NULL argument");
    if (!cJSON_IsArray(tools))
        return g4_fail(err, GEMMA4_ERR_INVALID_ARG, "tool-call validation: tools is not a JSON array");
    const cJSON *calls = cJSON_GetObjectItemCaseSensitive(message, "tool_calls");
    const cJSON *call;
    int i = 0;
    cJSON_ArrayForEach(call, calls) {
        gemma4_status st = check_call(call, i++, tools, violations, err);
        if (st != GEMMA4_OK) return st;
    }
    return GEMMA4_OK;
}

char *g4_tc_violation_text(const cJSON *v) {
    const char *parts[] = {str_of(v, "tool_call_id"), str_of(v, "name"), str_of(v, "pointer"), str_of(v, "message")};
    size_t n = 8;
    for (int i = 0; i < 4; i++) n += parts[i] ? strlen(parts[i]) : 0;
    char *s = malloc(n);
    if (!s) return NULL;
    /* "id name /pointer: message", leaving out what is empty */
    size_t o = 0;
    for (int i = 0; i < 4; i++) {
        if (!parts[i] || !parts[i][0]) continue;
        if (o) s[o++] = ' ';
        size_t l = strlen(parts[i]);
        memcpy(s + o, parts[i], l);
        o += l;
        if (i == 2) s[o++] = ':';
    }
    s[o] = '\0';
    return s;
}
