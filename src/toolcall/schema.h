/*
 * JSON Schema validation of tool-call arguments: the keywords function declarations use.
 *
 *   type          a name or a list of names; "integer" is a number without a fraction; names are
 *                 matched case-insensitively (Gemini-style "STRING" works), unknown names are ignored
 *   nullable      (OpenAPI) null is allowed whatever the type says
 *   enum, const   deep JSON equality (1 equals 1.0)
 *   properties, required, additionalProperties (bool or schema), patternProperties,
 *   minProperties, maxProperties
 *   items         (a schema, or a list for tuples with additionalItems), prefixItems, minItems,
 *                 maxItems, uniqueItems
 *   minimum, maximum, exclusiveMinimum, exclusiveMaximum (numbers, or draft-4 booleans), multipleOf
 *   minLength, maxLength (in characters, not bytes), pattern (run as a POSIX extended regex with
 *                 \d \w \s translated; a pattern POSIX cannot compile is not checked)
 *   anyOf, oneOf, allOf, not, $ref ("#/..." inside the same schema document)
 * Other keywords (description, default, format, title, examples, ...) are ignored.
 */
#ifndef G4_TOOLCALL_SCHEMA_H
#define G4_TOOLCALL_SCHEMA_H

#include <cjson/cJSON.h>

/*
 * Checks instance against schema and appends one {"pointer": "/a/0", "message": "..."} object to
 * violations (a cJSON array, or NULL to only count) for every violation found, not just the first.
 * Returns how many were found, or -1 when memory ran out.
 */
int g4_schema_validate(const cJSON *schema, const cJSON *instance, cJSON *violations);

/*
 * The schema a "$ref" names inside root: "#" or "#/a/b/0", a JSON pointer with ~0 and ~1 escapes
 * (no %-decoding). NULL when ref is not local or names nothing. Shared by validation and by the
 * constrained-decoding compiler so that both follow a reference to the same place.
 */
const cJSON *g4_schema_resolve_ref(const cJSON *root, const char *ref);

#endif
