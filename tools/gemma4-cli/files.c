#include "files.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "args.h"

/* The file path names, open for reading (stdin for "-"); NULL after a message. */
static FILE *open_for_reading(const char *cmd, const char *option, const char *path) {
    if (!strcmp(path, "-")) return stdin;
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "gemma4-cli %s: %s: cannot open '%s': %s\n", cmd, option, path, strerror(errno));
        return NULL;
    }
    /* fopen opens a directory too; reading it would fail later with a vaguer message */
    struct stat st;
    if (fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) {
        fprintf(stderr, "gemma4-cli %s: %s: '%s' is a directory, not a file\n", cmd, option, path);
        fclose(f);
        return NULL;
    }
    return f;
}

bool cli_check_readable(const char *cmd, const char *option, const char *path) {
    FILE *f = open_for_reading(cmd, option, path);
    if (f && f != stdin) fclose(f);
    return f != NULL;
}

int cli_check_model_path(const char *cmd, const char *path) {
    if (!path) return cli_usage_error(cmd, "-m MODEL.gguf is required");
    return cli_check_readable(cmd, "-m", path) ? 0 : 1;
}

char *cli_read_file(const char *cmd, const char *option, const char *path, size_t *len) {
    FILE *f = open_for_reading(cmd, option, path);
    if (!f) return NULL;
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
    int read_errno = ferror(f) ? errno : 0;
    if (f != stdin) fclose(f);
    if (!buf || read_errno) {
        fprintf(stderr, "gemma4-cli %s: %s: cannot read '%s': %s\n", cmd, option, strcmp(path, "-") ? path : "<stdin>",
                buf ? strerror(read_errno) : "out of memory");
        free(buf);
        return NULL;
    }
    buf[n] = '\0';
    if (len) *len = n;
    return buf;
}

char *cli_read_text(const char *cmd, const char *option, const char *path) {
    size_t len = 0;
    char *text = cli_read_file(cmd, option, path, &len);
    size_t nul = text ? strlen(text) : 0;
    if (text && nul < len) {
        fprintf(stderr, "gemma4-cli %s: %s: '%s' holds a NUL byte at offset %zu; a prompt must be text\n", cmd, option,
                strcmp(path, "-") ? path : "<stdin>", nul);
        free(text);
        return NULL;
    }
    return text;
}

/* ---- JSON syntax errors, located --------------------------------------------------------------------- */

static bool is_utf8_continuation(char c) {
    return ((unsigned char)c & 0xC0) == 0x80;
}

/* Characters (not bytes: UTF-8 continuation bytes do not count) in text[from, to). */
static size_t chars_between(const char *text, size_t from, size_t to) {
    size_t n = 0;
    for (size_t i = from; i < to; i++) n += !is_utf8_continuation(text[i]);
    return n;
}

/* Shows the line holding byte pos of text, at most about 80 characters of it around pos, and a
 * caret under pos, both indented by four spaces. */
static void show_line(const char *text, size_t len, size_t line_start, size_t pos) {
    enum { BEFORE = 40, AFTER = 40 };
    size_t line_end = line_start;
    while (line_end < len && text[line_end] != '\n') line_end++;
    size_t from = line_start, to = line_end;
    if (pos - from > BEFORE) {
        from = pos - BEFORE;
        while (from < pos && is_utf8_continuation(text[from])) from++;
    }
    if (to > pos && to - pos > AFTER) {
        to = pos + AFTER;
        while (to < line_end && is_utf8_continuation(text[to])) to++;
    }
    bool cut_front = from > line_start, cut_back = to < line_end;
    fprintf(stderr, "    %s", cut_front ? "..." : "");
    for (size_t i = from; i < to; i++) {
        unsigned char c = (unsigned char)text[i];
        fputc(c == '\t' ? ' ' : c < 0x20 || c == 0x7f ? '?' : c, stderr); /* one column per character */
    }
    fprintf(stderr, "%s\n    %*s^\n", cut_back ? "..." : "",
            (int)(chars_between(text, from, pos) + (cut_front ? 3 : 0)), "");
}

/* "OPTION: PATH:LINE:COLUMN: WHAT (byte offset POS)" and the line with a caret. */
static void report_json_error(const char *cmd, const char *option, const char *path, const char *text, size_t len,
                              size_t pos, const char *what) {
    size_t line = 1, line_start = 0;
    for (size_t i = 0; i < pos; i++)
        if (text[i] == '\n') line++, line_start = i + 1;
    fprintf(stderr, "gemma4-cli %s: %s: %s:%zu:%zu: %s (byte offset %zu)\n", cmd, option,
            strcmp(path, "-") ? path : "<stdin>", line, chars_between(text, line_start, pos) + 1, what, pos);
    show_line(text, len, line_start, pos);
}

cJSON *cli_read_json(const char *cmd, const char *option, const char *path, char **text_out) {
    *text_out = NULL;
    size_t len = 0;
    char *text = cli_read_file(cmd, option, path, &len);
    if (!text) return NULL;
    size_t start = strspn(text, " \t\r\n");
    if (start == len) {
        fprintf(stderr, "gemma4-cli %s: %s: '%s' is empty, not JSON\n", cmd, option,
                strcmp(path, "-") ? path : "<stdin>");
        free(text);
        return NULL;
    }
    /* cJSON says where it stopped, but it reports running out of text as an error at the last
     * byte; parsing a copy with one space more tells the two apart (the end of the text is then
     * the space). What follows the value must be white space only (a NUL byte included: the
     * library would read the text only up to it). */
    char *padded = malloc(len + 2);
    if (!padded) {
        fprintf(stderr, "gemma4-cli %s: %s: out of memory\n", cmd, option);
        free(text);
        return NULL;
    }
    memcpy(padded, text, len);
    memcpy(padded + len, " ", 2);
    const char *end = NULL;
    cJSON *json = cJSON_ParseWithLengthOpts(padded, len + 1, &end, false);
    size_t pos = end ? (size_t)(end - padded) : 0;
    free(padded);
    if (!json && pos >= len) {
        size_t last = len; /* just after the last character that is not white space */
        while (last > 0 && strchr(" \t\r\n", text[last - 1])) last--;
        report_json_error(cmd, option, path, text, len, last, "the file ends before the JSON value is complete");
    } else if (!json) {
        report_json_error(cmd, option, path, text, len, pos, "not valid JSON, the parser stopped here");
    } else {
        pos += strspn(text + pos, " \t\r\n");
        if (pos < len) {
            report_json_error(cmd, option, path, text, len, pos, "text after the end of the JSON value");
            cJSON_Delete(json);
            json = NULL;
        }
    }
    if (!json) {
        free(text);
        return NULL;
    }
    *text_out = text;
    return json;
}

gemma4_model *cli_load_model(const char *cmd, const char *path) {
    char err[1024];
    gemma4_model *m = NULL;
    if (gemma4_model_load(path, NULL, &m, err, sizeof err) != GEMMA4_OK) {
        fprintf(stderr, "gemma4-cli %s: %s\n", cmd, err);
        return NULL;
    }
    return m;
}
