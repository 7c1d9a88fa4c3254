/*
 * gemma4-cli info MODEL.gguf [--json] [--full]
 *
 * Describes a GGUF file: metadata, tensor table, totals per type, parameter counts and what
 * libgemma4 makes of it. The library does the reading (gemma4_inspect returns JSON); this file
 * only lays that JSON out for a terminal, or prints it as is with --json.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "args.h"
#include "cli.h"
#include "gemma4.h"

/* Without --full: arrays show their first items, strings their first characters. */
#define HEAD_ITEMS 8
#define HEAD_CHARS 72

static const char *const k_usage =
    "usage: gemma4-cli info MODEL.gguf [--json] [--full]\n"
    "  Prints the file's metadata, its tensors (name, type, shape, bytes), totals per tensor type,\n"
    "  parameter counts and whether libgemma4 can run it.\n"
    "  --json   print the description as JSON (the gemma4_inspect format)\n"
    "  --full   print long arrays and strings in full\n"
    "  --       ends the options (before a file name that starts with '-')\n";

/* ---- small formatting helpers ---------------------------------------------------------------------- */

/* The shortest text that reads back as the same double (JSON numbers arrive as doubles). */
static void format_number(double v, char *buf, size_t cap) {
    if (v == floor(v) && fabs(v) < 9007199254740992.0) {
        snprintf(buf, cap, "%.0f", v);
        return;
    }
    for (int digits = 1; digits <= 17; digits++) {
        snprintf(buf, cap, "%.*g", digits, v);
        if (strtod(buf, NULL) == v) return;
    }
}

static void format_bytes(double bytes, char *buf, size_t cap) {
    static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    int u = 0;
    while (bytes >= 1024 && u < 4) bytes /= 1024, u++;
    if (u == 0)
        snprintf(buf, cap, "%.0f B", bytes);
    else
        snprintf(buf, cap, "%.2f %s", bytes, units[u]);
}

static void format_count(double n, char *buf, size_t cap) {
    if (n >= 1e9)
        snprintf(buf, cap, "%.2f B", n / 1e9);
    else if (n >= 1e6)
        snprintf(buf, cap, "%.2f M", n / 1e6);
    else if (n >= 1e3)
        snprintf(buf, cap, "%.2f K", n / 1e3);
    else
        snprintf(buf, cap, "%.0f", n);
}

/* A string in double quotes with control characters escaped, cut after HEAD_CHARS unless full. */
static void print_string(const char *s, bool full) {
    size_t len = strlen(s), shown = full || len <= HEAD_CHARS ? len : HEAD_CHARS;
    while (shown < len && ((unsigned char)s[shown] & 0xC0) == 0x80) shown++; /* never split a UTF-8 sequence */
    putchar('"');
    for (size_t i = 0; i < shown; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\')
            printf("\\%c", c);
        else if (c == '\n')
            fputs("\\n", stdout);
        else if (c == '\t')
            fputs("\\t", stdout);
        else if (c < 0x20 || c == 0x7f)
            printf("\\x%02x", c);
        else
            putchar(c);
    }
    putchar('"');
    if (shown < len) printf("... (%zu bytes)", len);
}

static double number_of(const cJSON *obj, const char *key) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    return cJSON_IsNumber(v) ? v->valuedouble : 0;
}

static const char *string_of(const cJSON *obj, const char *key) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    return cJSON_IsString(v) ? v->valuestring : "";
}

/* ---- metadata -------------------------------------------------------------------------------------- */

static void print_value(const cJSON *v, bool full);

static void print_items(const cJSON *items, bool full, bool more) {
    putchar('[');
    const cJSON *item;
    bool first = true;
    cJSON_ArrayForEach(item, items) {
        if (!first) fputs(", ", stdout);
        print_value(item, full);
        first = false;
    }
    if (more) fputs(first ? "..." : ", ...", stdout);
    putchar(']');
}

/* gemma4_inspect gives an abbreviated array as {"type":"array","elem_type","count","head"}. */
static void print_value(const cJSON *v, bool full) {
    char num[40];
    if (cJSON_IsString(v)) {
        print_string(v->valuestring, full);
    } else if (cJSON_IsNumber(v)) {
        format_number(v->valuedouble, num, sizeof num);
        fputs(num, stdout);
    } else if (cJSON_IsBool(v)) {
        fputs(cJSON_IsTrue(v) ? "true" : "false", stdout);
    } else if (cJSON_IsArray(v)) {
        print_items(v, full, false);
    } else if (cJSON_IsObject(v)) {
        print_items(cJSON_GetObjectItemCaseSensitive(v, "head"), full, true);
        format_number(number_of(v, "count"), num, sizeof num);
        printf(" (%s x %s)", num, string_of(v, "elem_type"));
    } else {
        fputs("null", stdout);
    }
}

static void print_metadata(const cJSON *root, bool full) {
    const cJSON *meta = cJSON_GetObjectItemCaseSensitive(root, "metadata"), *kv;
    int width = 0;
    cJSON_ArrayForEach(kv, meta) {
        int n = (int)strlen(kv->string);
        if (n > width) width = n;
    }
    if (width > 48) width = 48;
    printf("\nmetadata (%d keys):\n", cJSON_GetArraySize(meta));
    cJSON_ArrayForEach(kv, meta) {
        printf("  %-*s = ", width, kv->string);
        print_value(kv, full);
        putchar('\n');
    }
}

/* ---- tensors ---------------------------------------------------------------------------------------- */

static void format_shape(const cJSON *shape, char *buf, size_t cap) {
    size_t len = 0;
    const cJSON *d;
    buf[0] = '\0';
    cJSON_ArrayForEach(d, shape) {
        char num[40];
        format_number(d->valuedouble, num, sizeof num);
        int n = snprintf(buf + len, cap - len, "%s%s", len ? " x " : "", num);
        if (n < 0 || (size_t)n >= cap - len) break;
        len += (size_t)n;
    }
}

static void print_tensors(const cJSON *root) {
    const cJSON *tensors = cJSON_GetObjectItemCaseSensitive(root, "tensors"), *t;
    int width = 4;
    cJSON_ArrayForEach(t, tensors) {
        int n = (int)strlen(string_of(t, "name"));
        if (n > width) width = n;
    }
    int n_tensors = cJSON_GetArraySize(tensors);
    printf("\ntensors (%d):\n", n_tensors);
    if (n_tensors) printf("  %-*s  %-8s  %-24s  %14s\n", width, "name", "type", "shape", "bytes");
    cJSON_ArrayForEach(t, tensors) {
        char shape[128], bytes[40];
        format_shape(cJSON_GetObjectItemCaseSensitive(t, "shape"), shape, sizeof shape);
        format_number(number_of(t, "bytes"), bytes, sizeof bytes);
        printf("  %-*s  %-8s  %-24s  %14s\n", width, string_of(t, "name"), string_of(t, "type"), shape, bytes);
    }

    const cJSON *types = cJSON_GetObjectItemCaseSensitive(root, "tensor_types"), *type;
    const cJSON *type_bytes = cJSON_GetObjectItemCaseSensitive(root, "bytes_per_type");
    printf("\ntotals by type:%s\n", n_tensors ? "" : " (no tensors)");
    cJSON_ArrayForEach(type, types) {
        char human[40], exact[40];
        double b = number_of(type_bytes, type->string);
        format_bytes(b, human, sizeof human);
        format_number(b, exact, sizeof exact);
        printf("  %-8s %6.0f %-7s  %12s  (%s bytes)\n", type->string, type->valuedouble,
               type->valuedouble == 1 ? "tensor" : "tensors", human, exact);
    }
}

/* ---- summary and engine ------------------------------------------------------------------------------ */

static void print_summary(const cJSON *root) {
    char size[40], exact[40], total[40], effective[40], total_exact[40], effective_exact[40];
    format_bytes(number_of(root, "file_bytes"), size, sizeof size);
    format_number(number_of(root, "file_bytes"), exact, sizeof exact);
    printf("file:        %s\n", string_of(root, "path"));
    printf("format:      GGUF v%.0f, alignment %.0f, %s (%s bytes), tensor data at offset %.0f\n",
           number_of(root, "gguf_version"), number_of(root, "alignment"), size, exact, number_of(root, "data_offset"));
    format_count(number_of(root, "n_params"), total, sizeof total);
    format_count(number_of(root, "n_params_effective"), effective, sizeof effective);
    format_number(number_of(root, "n_params"), total_exact, sizeof total_exact);
    format_number(number_of(root, "n_params_effective"), effective_exact, sizeof effective_exact);
    printf("parameters:  %s (%s) total, %s (%s) effective (without the token and per-layer embedding tables)\n", total,
           total_exact, effective, effective_exact);
}

/* A per-layer list in runs: "6144 x15, 12288 x20", or one number when all layers agree. */
static void print_runs(const cJSON *list) {
    int n = cJSON_GetArraySize(list);
    bool first = true;
    for (int i = 0; i < n;) {
        double v = cJSON_GetArrayItem(list, i)->valuedouble;
        int j = i + 1;
        while (j < n && cJSON_GetArrayItem(list, j)->valuedouble == v) j++;
        char num[40];
        format_number(v, num, sizeof num);
        if (j - i == n)
            printf("%s", num);
        else
            printf("%s%s x%d", first ? "" : ", ", num, j - i);
        first = false;
        i = j;
    }
}

static void print_engine(const cJSON *root) {
    const cJSON *engine = cJSON_GetObjectItemCaseSensitive(root, "engine");
    const cJSON *arch = cJSON_GetObjectItemCaseSensitive(engine, "architecture");
    bool ok = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(engine, "supported"));
    printf("\nengine:      %s: %s (%s)\n", cJSON_IsString(arch) ? arch->valuestring : "(no architecture)",
           ok ? "supported" : "NOT supported", string_of(engine, "reason"));
    const cJSON *hp = cJSON_GetObjectItemCaseSensitive(engine, "hparams"), *item;
    cJSON_ArrayForEach(item, hp) {
        printf("  %-18s ", item->string);
        if (cJSON_IsArray(item) && cJSON_IsBool(cJSON_GetArrayItem(item, 0))) {
            const cJSON *b; /* the layer pattern: S = sliding window, G = global attention */
            cJSON_ArrayForEach(b, item) putchar(cJSON_IsTrue(b) ? 'S' : 'G');
        } else if (cJSON_IsArray(item)) {
            print_runs(item);
        } else {
            print_value(item, true);
        }
        putchar('\n');
    }
}

/* ---- the command ------------------------------------------------------------------------------------- */

int cli_info(int argc, char **argv) {
    const char *path = NULL;
    bool json = false, full = false;
    cli_args a = cli_args_start("info", argc, argv);
    const char *arg;
    cli_arg_kind kind;
    while ((kind = cli_args_next(&a, &arg)) != CLI_ARG_END) {
        if (kind == CLI_ARG_POSITIONAL) {
            if (path) return cli_args_reject(&a);
            path = arg;
        } else if (cli_args_is(&a, NULL, "--json")) {
            json = true;
        } else if (cli_args_is(&a, NULL, "--full")) {
            full = true;
        } else if (cli_args_is(&a, "-h", "--help")) {
            fputs(k_usage, stdout);
            return 0;
        } else {
            return cli_args_reject(&a);
        }
    }
    if (!path) return cli_usage_error("info", "no model file given");

    char *text = NULL, err[512];
    if (gemma4_inspect(path, full ? 0 : HEAD_ITEMS, &text, err, sizeof err) != GEMMA4_OK) {
        fprintf(stderr, "gemma4-cli: %s: %s\n", path, err);
        return 1;
    }
    if (json) {
        puts(text);
        gemma4_free(text);
        return 0;
    }
    cJSON *root = cJSON_Parse(text);
    gemma4_free(text);
    if (!root) {
        fprintf(stderr, "gemma4-cli: %s: out of memory reading the description\n", path);
        return 1;
    }
    print_summary(root);
    print_metadata(root, full);
    print_tensors(root);
    print_engine(root);
    cJSON_Delete(root);
    return ferror(stdout) ? 1 : 0;
}
