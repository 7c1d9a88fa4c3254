/*
 * A small JSON reader for tokenizer.json: the whole document as a tree in one arena, strings
 * decoded to UTF-8 with explicit lengths (they may contain NUL). Bad input gives an error naming
 * the byte offset; nesting is limited so hostile files cannot exhaust the stack.
 */
#ifndef G4_SYNTH_JSON_H
#define G4_SYNTH_JSON_H

#include <stdbool.h>
#include <stddef.h>

#include "core/error.h"

typedef enum sj_kind { SJ_NULL, SJ_BOOL, SJ_NUMBER, SJ_STRING, SJ_ARRAY, SJ_OBJECT } sj_kind;

typedef struct sj_value sj_value;
struct sj_value {
    sj_kind kind;
    bool b;
    double num;
    const char *str; /* SJ_STRING: NUL-terminated copy; len excludes the NUL */
    size_t len;
    size_t n;          /* SJ_ARRAY / SJ_OBJECT: number of items */
    sj_value *items;   /* array elements or object values */
    const char **keys; /* SJ_OBJECT: keys, NUL-terminated */
    size_t *key_lens;
};

typedef struct sj_doc sj_doc;

/* Parses text[0..len). On failure returns NULL and err says what and where. */
sj_doc *sj_parse(const char *text, size_t len, g4_error *err);
void sj_free(sj_doc *doc);
const sj_value *sj_root(const sj_doc *doc);

/* Member of an object by key (NULL when absent or v is not an object). */
const sj_value *sj_get(const sj_value *v, const char *key);

#endif
