/* Making gemma4_media objects (the encoders of the vision and audio layers end here too). */
#ifndef G4_API_MEDIA_H
#define G4_API_MEDIA_H

#include "api/api_internal.h"

/* Copies n_tokens rows of the model's width and hashes them. */
gemma4_status g4_media_new(const gemma4_model *m, gemma4_media_kind kind, const float *embd, int32_t n_tokens,
                           gemma4_media **out, g4_error *err);

#endif
