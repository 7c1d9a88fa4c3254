#include "args.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool cli_parse_int(const char *cmd, const char *flag, const char *text, long min, long max, long *out) {
    char *end = NULL;
    errno = 0;
    long v = strtol(text, &end, 10);
    if (errno || end == text || *end || v < min || v > max) {
        fprintf(stderr, "gemma4-cli %s: %s wants a whole number from %ld to %ld, got '%s'\n", cmd, flag, min, max, text);
        return false;
    }
    *out = v;
    return true;
}

bool cli_parse_float(const char *cmd, const char *flag, const char *text, double min, double max, double *out) {
    char *end = NULL;
    errno = 0;
    double v = strtod(text, &end);
    if (errno || end == text || *end || isnan(v) || v < min || v > max) {
        fprintf(stderr, "gemma4-cli %s: %s wants a number from %g to %g, got '%s'\n", cmd, flag, min, max, text);
        return false;
    }
    *out = v;
    return true;
}

bool cli_parse_u64(const char *cmd, const char *flag, const char *text, uint64_t *out) {
    char *end = NULL;
    errno = 0;
    unsigned long long v = strtoull(text, &end, 10);
    if (errno || end == text || *end || text[0] == '-') {
        fprintf(stderr, "gemma4-cli %s: %s wants a non-negative whole number, got '%s'\n", cmd, flag, text);
        return false;
    }
    *out = (uint64_t)v;
    return true;
}

const char *cli_flag_value(const char *cmd, int argc, char **argv, int *i) {
    if (*i + 1 >= argc) {
        fprintf(stderr, "gemma4-cli %s: %s needs a value\n", cmd, argv[*i]);
        return NULL;
    }
    return argv[++*i];
}

bool cli_parse_token_list(const char *cmd, const char *text, int32_t **ids, size_t *n) {
    size_t cap = 1;
    for (const char *p = text; *p; p++) cap += *p == ',';
    int32_t *out = malloc(cap * sizeof *out);
    if (!out) return false;
    size_t count = 0;
    const char *p = text;
    while (*p) {
        char *end = NULL;
        errno = 0;
        long v = strtol(p, &end, 10);
        if (errno || end == p || v < 0 || v > INT32_MAX || (*end && *end != ',')) {
            fprintf(stderr, "gemma4-cli %s: --tokens wants comma-separated token ids, bad at '%s'\n", cmd, p);
            free(out);
            return false;
        }
        out[count++] = (int32_t)v;
        p = *end ? end + 1 : end;
    }
    if (count == 0) {
        fprintf(stderr, "gemma4-cli %s: --tokens is empty\n", cmd);
        free(out);
        return false;
    }
    *ids = out;
    *n = count;
    return true;
}

char *cli_read_file(const char *cmd, const char *path, size_t *len) {
    FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
    if (!f) {
        fprintf(stderr, "gemma4-cli %s: cannot open '%s': %s\n", cmd, path, strerror(errno));
        return NULL;
    }
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    while (buf) {
        size_t got = fread(buf + n, 1, cap - n - 1, f);
        n += got;
        if (got == 0) break;
        if (n + 1 == cap) {
            char *grown = realloc(buf, cap * 2);
            if (!grown) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = grown;
            cap *= 2;
        }
    }
    bool failed = ferror(f);
    if (f != stdin) fclose(f);
    if (!buf || failed) {
        fprintf(stderr, "gemma4-cli %s: cannot read '%s'\n", cmd, path);
        free(buf);
        return NULL;
    }
    buf[n] = '\0';
    if (len) *len = n;
    return buf;
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

gemma4_model *cli_load_model(const char *cmd, const char *path) {
    char err[1024];
    gemma4_model *m = NULL;
    if (!path) {
        fprintf(stderr, "gemma4-cli %s: -m MODEL.gguf is required\n", cmd);
        return NULL;
    }
    if (gemma4_model_load(path, NULL, &m, err, sizeof err) != GEMMA4_OK) {
        fprintf(stderr, "gemma4-cli %s: %s\n", cmd, err);
        return NULL;
    }
    return m;
}

const char *const cli_session_flags_help =
    "  -c, --ctx N          context length in tokens (default 4096)\n"
    "  -t, --threads N      threads (default: physical cores)\n"
    "  -b, --batch N        prompt tokens per forward pass (default 512)\n"
    "  --kv-type f16|q8_0   KV cache precision (default f16)\n"
    "  --temp T             temperature; 0 = greedy (default 1.0)\n"
    "  --top-k K            (default 64; 0 = off)\n"
    "  --top-p P            (default 0.95; 1 = off)\n"
    "  --min-p M            (default 0 = off)\n"
    "  --repeat-penalty R   (default 1 = off)\n"
    "  --frequency-penalty F, --presence-penalty P   (default 0 = off)\n"
    "  --repeat-last-n N    tokens the penalties look back over (default 64)\n"
    "  --seed S             sampling seed (default 0)\n";

int cli_parse_session_flag(const char *cmd, int argc, char **argv, int *i, gemma4_session_params *sp) {
    const char *a = argv[*i];
    long l;
    double d;
    const char *v;
#define VALUE() \
    do { \
        if (!(v = cli_flag_value(cmd, argc, argv, i))) return -1; \
    } while (0)
    if (!strcmp(a, "-c") || !strcmp(a, "--ctx")) {
        VALUE();
        if (!cli_parse_int(cmd, a, v, 1, INT32_MAX, &l)) return -1;
        sp->n_ctx = (int32_t)l;
    } else if (!strcmp(a, "-t") || !strcmp(a, "--threads")) {
        VALUE();
        if (!cli_parse_int(cmd, a, v, 1, 1024, &l)) return -1;
        sp->n_threads = (int32_t)l;
    } else if (!strcmp(a, "-b") || !strcmp(a, "--batch")) {
        VALUE();
        if (!cli_parse_int(cmd, a, v, 1, 65536, &l)) return -1;
        sp->n_batch = (int32_t)l;
    } else if (!strcmp(a, "--kv-type")) {
        VALUE();
        if (!strcmp(v, "f16")) sp->kv_type = GEMMA4_KV_F16;
        else if (!strcmp(v, "q8_0")) sp->kv_type = GEMMA4_KV_Q8_0;
        else {
            fprintf(stderr, "gemma4-cli %s: --kv-type is f16 or q8_0, got '%s'\n", cmd, v);
            return -1;
        }
    } else if (!strcmp(a, "--temp")) {
        VALUE();
        if (!cli_parse_float(cmd, a, v, 0, 100, &d)) return -1;
        sp->sampling.temperature = (float)d;
    } else if (!strcmp(a, "--top-k")) {
        VALUE();
        if (!cli_parse_int(cmd, a, v, 0, INT32_MAX, &l)) return -1;
        sp->sampling.top_k = (int32_t)l;
    } else if (!strcmp(a, "--top-p")) {
        VALUE();
        if (!cli_parse_float(cmd, a, v, 0, 1, &d)) return -1;
        sp->sampling.top_p = (float)d;
    } else if (!strcmp(a, "--min-p")) {
        VALUE();
        if (!cli_parse_float(cmd, a, v, 0, 1, &d)) return -1;
        sp->sampling.min_p = (float)d;
    } else if (!strcmp(a, "--repeat-penalty")) {
        VALUE();
        if (!cli_parse_float(cmd, a, v, 0.01, 100, &d)) return -1;
        sp->sampling.repeat_penalty = (float)d;
    } else if (!strcmp(a, "--frequency-penalty")) {
        VALUE();
        if (!cli_parse_float(cmd, a, v, -100, 100, &d)) return -1;
        sp->sampling.frequency_penalty = (float)d;
    } else if (!strcmp(a, "--presence-penalty")) {
        VALUE();
        if (!cli_parse_float(cmd, a, v, -100, 100, &d)) return -1;
        sp->sampling.presence_penalty = (float)d;
    } else if (!strcmp(a, "--repeat-last-n")) {
        VALUE();
        if (!cli_parse_int(cmd, a, v, 0, 32767, &l)) return -1;
        sp->sampling.penalty_last_n = (int32_t)l;
    } else if (!strcmp(a, "--seed")) {
        VALUE();
        if (!cli_parse_u64(cmd, a, v, &sp->sampling.seed)) return -1;
    } else {
        return 0;
    }
#undef VALUE
    return 1;
}
