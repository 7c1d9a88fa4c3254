/* The tool-call parse with validation behind gemma4_toolcall_parse, for gemma4_chat_tools too. */
#ifndef G4_API_JSON_API_H
#define G4_API_JSON_API_H

#include <stddef.h>

#include "core/error.h"

/* As gemma4_toolcall_parse (tools_json may be NULL); err holds the reason of any status but OK. */
gemma4_status g4_toolcall_parse_json(const char *text, size_t text_len, const char *tools_json, unsigned flags,
                                     char **message_json, char **violations_json, g4_error *err);

#endif
