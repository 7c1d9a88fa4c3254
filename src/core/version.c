/* Version and status names: the small constant facts of the public API. */
#include "gemma4.h"

#include <stdlib.h>

#define G4_STR2(x) #x
#define G4_STR(x) G4_STR2(x)

_Static_assert(GEMMA4_VERSION_NUMBER ==
                   GEMMA4_VERSION_MAJOR * 1000000 + GEMMA4_VERSION_MINOR * 1000 + GEMMA4_VERSION_PATCH,
               "GEMMA4_VERSION_NUMBER must follow the version macros");

GEMMA4_API const char *gemma4_version(void) {
    return G4_STR(GEMMA4_VERSION_MAJOR) "." G4_STR(GEMMA4_VERSION_MINOR) "." G4_STR(GEMMA4_VERSION_PATCH);
}

GEMMA4_API int gemma4_version_number(void) {
    return GEMMA4_VERSION_NUMBER;
}

GEMMA4_API const char *gemma4_status_name(gemma4_status status) {
    switch (status) {
    case GEMMA4_OK:
        return "GEMMA4_OK";
    case GEMMA4_ERR_INVALID_ARG:
        return "GEMMA4_ERR_INVALID_ARG";
    case GEMMA4_ERR_IO:
        return "GEMMA4_ERR_IO";
    case GEMMA4_ERR_FORMAT:
        return "GEMMA4_ERR_FORMAT";
    case GEMMA4_ERR_UNSUPPORTED:
        return "GEMMA4_ERR_UNSUPPORTED";
    case GEMMA4_ERR_NOMEM:
        return "GEMMA4_ERR_NOMEM";
    case GEMMA4_ERR_CONTEXT_FULL:
        return "GEMMA4_ERR_CONTEXT_FULL";
    case GEMMA4_ERR_VALIDATION:
        return "GEMMA4_ERR_VALIDATION";
    case GEMMA4_ERR_INTERNAL:
        return "GEMMA4_ERR_INTERNAL";
    case GEMMA4_ERR_INTERRUPTED:
        return "GEMMA4_ERR_INTERRUPTED";
    }
    return "GEMMA4_ERR_UNKNOWN";
}

GEMMA4_API void gemma4_free(void *ptr) {
    free(ptr);
}
