/* host/models/config_fields.c — the fields of a config.json that the
 * plugin handed it does not read (pio_config_unread_fields): a value that
 * would silently have no effect, such as a sliding window a plugin without
 * one never applies. */
#include <stdlib.h>
#include <string.h>

#include "pio/host.h"
#include "pio/json.h"

/* config.json is small; these bound what a hostile file can cost. */
#define CONFIG_MAX_BYTES (4u << 20)
#define CONFIG_MAX_DEPTH 64

static int listed(const char *const *fields, const char *key) {
  for (; *fields != NULL; fields++)
    if (strcmp(*fields, key) == 0) return 1;
  return 0;
}

void pio_config_unread_fields_free(char **fields, size_t count) {
  if (fields == NULL) return;
  for (size_t i = 0; i < count; i++) free(fields[i]);
  free(fields);
}

static pio_status collect(const json_object *root, const char *const *read, char ***out,
                          size_t *count, const char *path, pio_error *err) {
  size_t n = 0;
  char **found = calloc((size_t)json_object_object_length(root) + 1, sizeof *found);
  if (found == NULL) return pio_error_set(err, PIO_ERR_NO_MEMORY, "%s: out of memory", path);
  json_object_object_foreach((json_object *)root, key, value) {
    (void)value;
    if (listed(read, key)) continue;
    if ((found[n] = strdup(key)) == NULL) {
      pio_config_unread_fields_free(found, n);
      return pio_error_set(err, PIO_ERR_NO_MEMORY, "%s: out of memory", path);
    }
    n++;
  }
  if (n == 0) { /* nothing to say: nothing to free */
    free(found);
    found = NULL;
  }
  *out = found;
  *count = n;
  return PIO_OK;
}

pio_status pio_config_unread_fields(const pio_plugin *table, const char *config_path,
                                    char ***fields, size_t *count, pio_error *err) {
  if (table == NULL || config_path == NULL || fields == NULL || count == NULL)
    return pio_error_set(err, PIO_ERR_INVALID_ARGUMENT, "pio_config_unread_fields: NULL argument");
  *fields = NULL;
  *count = 0;
  const pio_config_api *config = table->config;
  if (config == NULL || !PIO_TABLE_HAS(config, pio_config_api, fields) || config->fields == NULL)
    return PIO_OK; /* the plugin does not say: nothing can be told */
  json_object *root = NULL;
  pio_json_positions *positions = NULL;
  pio_status s = pio_json_parse_file(config_path, CONFIG_MAX_BYTES, CONFIG_MAX_DEPTH, &root,
                                     &positions, err);
  if (s == PIO_OK && json_object_is_type(root, json_type_object))
    s = collect(root, config->fields, fields, count, config_path, err);
  json_object_put(root);
  pio_json_positions_free(positions);
  return s;
}
