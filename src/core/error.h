/*
 * Error reporting inside the library: a fixed-size message buffer that the failing function fills
 * and the public object keeps (gemma4_*_errmsg). A fixed buffer means reporting an error never
 * allocates, so it works when memory is what ran out.
 */
#ifndef G4_CORE_ERROR_H
#define G4_CORE_ERROR_H

#include "gemma4.h"

#define G4_ERROR_MAX 512

typedef struct g4_error {
    gemma4_status status;
    char msg[G4_ERROR_MAX];
} g4_error;

/* Records status and a printf-style message in *err (err may be NULL) and returns status, so a
 * failing path reads:  return g4_fail(err, GEMMA4_ERR_FORMAT, "tensor '%s': ...", name); */
gemma4_status g4_fail(g4_error *err, gemma4_status status, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Prefixes the message already in *err with more context ("loading 'x.gguf': " + old text). */
void g4_error_prefix(g4_error *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

void g4_error_clear(g4_error *err);

/* Copies err->msg into a caller buffer (for the calls that have no object yet). */
void g4_error_copy_out(const g4_error *err, char *buf, size_t cap);

#endif
