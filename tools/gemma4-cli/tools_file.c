#include "tools_file.h"

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "files.h"

/* The function a declaration describes: {"type":"function","function":{...}}, or a bare function
 * object, which the library accepts too. */
static const cJSON *function_of(const cJSON *tool) {
    const cJSON *fn = cJSON_GetObjectItemCaseSensitive(tool, "function");
    return cJSON_IsObject(fn) ? fn : tool;
}

static bool declares(const cJSON *tools, const char *name) {
    const cJSON *tool;
    cJSON_ArrayForEach(tool, tools) {
        const cJSON *n = cJSON_GetObjectItemCaseSensitive(function_of(tool), "name");
        if (cJSON_IsString(n) && !strcmp(n->valuestring, name)) return true;
    }
    return false;
}

char *cli_read_tools(const char *cmd, const char *path, const char *tool_name) {
    char *text = NULL;
    cJSON *tools = cli_read_json(cmd, "--tools", path, &text);
    if (!tools) return NULL;
    const char *shown = strcmp(path, "-") ? path : "<stdin>";
    bool ok = false;
    if (!cJSON_IsArray(tools))
        fprintf(stderr,
                "gemma4-cli %s: --tools: '%s' holds a JSON %s; the tools are an array: "
                "[{\"type\":\"function\",\"function\":{\"name\":...,\"parameters\":{...}}}, ...]\n",
                cmd, shown, cJSON_IsObject(tools) ? "object" : "value that is not an array");
    else if (tool_name && !declares(tools, tool_name))
        fprintf(stderr, "gemma4-cli %s: --tool-choice: '%s' is not a tool that '%s' declares\n", cmd, tool_name, shown);
    else
        ok = true;
    cJSON_Delete(tools);
    if (!ok) {
        free(text);
        return NULL;
    }
    return text;
}

void cli_print_violations(const char *prefix, const char *violations_json) {
    cJSON *v = cJSON_Parse(violations_json);
    const cJSON *item;
    cJSON_ArrayForEach(item, v) {
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(item, "tool_call_id");
        const cJSON *name = cJSON_GetObjectItemCaseSensitive(item, "name");
        const cJSON *ptr = cJSON_GetObjectItemCaseSensitive(item, "pointer");
        const cJSON *msg = cJSON_GetObjectItemCaseSensitive(item, "message");
        bool has_ptr = cJSON_IsString(ptr) && ptr->valuestring[0];
        fprintf(stderr, "%s%s %s: %s%s%s\n", prefix, cJSON_IsString(id) ? id->valuestring : "?",
                cJSON_IsString(name) ? name->valuestring : "?", has_ptr ? ptr->valuestring : "", has_ptr ? ": " : "",
                cJSON_IsString(msg) ? msg->valuestring : "");
    }
    cJSON_Delete(v);
}
