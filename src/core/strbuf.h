/*
 * A growable NUL-terminated byte string for code that renders text piece by piece (the chat
 * template, tool-call formatting). Running out of memory is sticky: later appends do nothing and
 * the caller checks oom once at the end instead of after every append.
 *
 *   g4_strbuf b = {0};             an empty buffer owns no memory: p stays NULL until bytes arrive
 *   g4_strbuf_put(&b, s, n);       appends n bytes (any bytes, NULs included); p[n] is always '\0'
 *   char *t = g4_strbuf_finish(&b) the text to keep (or NULL on oom), or g4_strbuf_free(&b)
 */
#ifndef G4_CORE_STRBUF_H
#define G4_CORE_STRBUF_H

#include <stdbool.h>
#include <stddef.h>

typedef struct g4_strbuf {
    char *p; /* NULL until the first byte; then NUL-terminated at p[n] */
    size_t n, cap;
    bool oom; /* an append failed; the contents are incomplete */
} g4_strbuf;

/* Appends n bytes of s; appending nothing leaves an empty buffer without memory. */
void g4_strbuf_put(g4_strbuf *b, const void *s, size_t n);

/* Appends the C string s. */
void g4_strbuf_puts(g4_strbuf *b, const char *s);

/* Releases the memory and leaves an empty buffer. */
void g4_strbuf_free(g4_strbuf *b);

/* Hands over the text (malloc'd, "" when nothing was appended) for the caller to free, or frees
 * everything and returns NULL when memory ran out. The buffer is empty afterwards. */
char *g4_strbuf_finish(g4_strbuf *b);

#endif
