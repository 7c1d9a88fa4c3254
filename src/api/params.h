/*
 * Reading a caller's parameter struct whatever header it was compiled with. Every public params
 * struct starts with size_t struct_size. A caller built against an older header passes a smaller
 * struct: the fields it has are taken, the rest keep the defaults. One built against a newer header
 * passes a larger one: accepted when every byte past what this library knows is zero (the new
 * fields left at their defaults), refused otherwise, since silently ignoring a setting the caller
 * made would give results it did not ask for. (The same rule as Linux's copy_struct_from_user.)
 */
#ifndef G4_API_PARAMS_H
#define G4_API_PARAMS_H

#include <stddef.h>

#include "core/error.h"

/* dst (dst_size bytes) holds the defaults on entry and the caller's settings on return. user may
 * be NULL (defaults). name ("gemma4_session_params") is for the error text. */
gemma4_status g4_params_read(void *dst, size_t dst_size, const void *user, const char *name, g4_error *err);

/* As g4_params_read for a struct the library writes (stats): the number of bytes of the caller's
 * struct it may write (0 when user is NULL), or an error when struct_size is unset. */
gemma4_status g4_params_writable(const void *user, size_t lib_size, const char *name, size_t *n, g4_error *err);

#endif
