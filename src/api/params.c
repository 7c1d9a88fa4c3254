#include "api/params.h"

#include <string.h>

/* The smallest struct any version of the header has: struct_size and one field. */
#define MIN_STRUCT_SIZE (sizeof(size_t) + 1)

gemma4_status g4_params_read(void *dst, size_t dst_size, const void *user, const char *name, g4_error *err) {
    if (!user) return GEMMA4_OK;
    size_t size;
    memcpy(&size, user, sizeof size);
    if (size < MIN_STRUCT_SIZE)
        return g4_fail(err, GEMMA4_ERR_INVALID_ARG,
                       "%s: struct_size is %zu; start from the struct's *_default_params() (it sets it)", name, size);
    if (size > dst_size) {
        const unsigned char *extra = (const unsigned char *)user + dst_size;
        for (size_t i = 0; i < size - dst_size; i++)
            if (extra[i])
                return g4_fail(err, GEMMA4_ERR_UNSUPPORTED,
                               "%s: the application's header has %zu bytes of fields this library (version %s) does "
                               "not know, and sets some of them (byte %zu)",
                               name, size - dst_size, GEMMA4_VERSION, dst_size + i);
        size = dst_size;
    }
    memcpy(dst, user, size);
    memcpy(dst, &dst_size, sizeof dst_size); /* the library's own size from here on */
    return GEMMA4_OK;
}

gemma4_status g4_params_writable(const void *user, size_t lib_size, const char *name, size_t *n, g4_error *err) {
    *n = 0;
    if (!user) return GEMMA4_OK;
    size_t size;
    memcpy(&size, user, sizeof size);
    if (size < MIN_STRUCT_SIZE)
        return g4_fail(err, GEMMA4_ERR_INVALID_ARG, "%s: struct_size is %zu; initialise it (e.g. with %s_INIT)", name,
                       size, "GEMMA4_GENERATE_STATS");
    *n = size < lib_size ? size : lib_size;
    return GEMMA4_OK;
}
