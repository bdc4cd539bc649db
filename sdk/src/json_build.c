/* sdk/src/json_build.c — building JSON documents with json-c when memory
 * may run out: one flag a document instead of a check at every insertion
 * (pio/json.h). */
#include "pio/json.h"

json_object *pio_json_made(pio_json_build *b, json_object *v) {
  if (v == NULL) b->failed = 1;
  return v;
}

json_object *pio_json_text(pio_json_build *b, const char *text) {
  return text != NULL ? pio_json_made(b, json_object_new_string(text)) : NULL;
}

void pio_json_set(pio_json_build *b, json_object *obj, const char *key, json_object *v) {
  if (obj == NULL || json_object_object_add(obj, key, v) != 0) {
    json_object_put(v);
    b->failed = 1;
  }
}

void pio_json_push(pio_json_build *b, json_object *array, json_object *v) {
  if (array == NULL || json_object_array_add(array, v) != 0) {
    json_object_put(v);
    b->failed = 1;
  }
}

json_object *pio_json_done(pio_json_build *b, json_object *doc) {
  if (b->failed) {
    json_object_put(doc);
    return NULL;
  }
  return doc;
}
