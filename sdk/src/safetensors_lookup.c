/* sdk/src/safetensors_lookup.c — finding tensors in an opened set, checking
 * them against the shapes a model expects, and reporting the ones it never
 * asked for. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pio/json.h"
#include "safetensors_internal.h"

size_t pio_safetensors_count(const pio_safetensors *set) {
  return set != NULL ? set->n_tensors : 0;
}

const pio_tensor_info *pio_safetensors_at(const pio_safetensors *set, size_t index) {
  return set != NULL && index < set->n_tensors ? &set->tensors[index] : NULL;
}

static int compare_name(const void *key, const void *element) {
  return strcmp(key, ((const pio_tensor_info *)element)->name);
}

const pio_tensor_info *pio_safetensors_find(const pio_safetensors *set, const char *name) {
  if (set == NULL || name == NULL || set->n_tensors == 0) return NULL;
  return bsearch(name, set->tensors, set->n_tensors, sizeof *set->tensors, compare_name);
}

/* "[2048, 8192]" into buf. */
static const char *format_shape(uint32_t n_dims, const uint64_t *shape, char *buf, size_t size) {
  size_t used = (size_t)snprintf(buf, size, "[");
  for (uint32_t i = 0; i < n_dims && used < size; i++)
    used += (size_t)snprintf(buf + used, size - used, "%s%llu", i ? ", " : "",
                             (unsigned long long)shape[i]);
  if (used < size) snprintf(buf + used, size - used, "]");
  return buf;
}

pio_status pio_safetensors_expect(pio_safetensors *set, const char *name, uint32_t n_dims,
                                  const uint64_t *shape, const pio_tensor_info **out,
                                  pio_error *err) {
  char qn[160], want[200], have[200];
  if (set == NULL || name == NULL || (shape == NULL && n_dims > 0))
    return pio_error_set(err, PIO_ERR_INVALID_ARGUMENT, "safetensors: set, name or shape is NULL");
  const pio_tensor_info *info = pio_safetensors_find(set, name);
  if (info == NULL)
    return pio_error_set(err, PIO_ERR_NOT_FOUND, "%s: tensor %s is missing (expected shape %s)",
                         set->where, pio_json_quote(name, qn, sizeof qn),
                         format_shape(n_dims, shape, want, sizeof want));
  int same = info->n_dims == n_dims;
  for (uint32_t i = 0; same && i < n_dims; i++) same = info->shape[i] == shape[i];
  if (!same)
    return pio_error_set(err, PIO_ERR_INVALID, "%s: tensor %s has shape %s, expected %s",
                         info->file, pio_json_quote(name, qn, sizeof qn),
                         format_shape(info->n_dims, info->shape, have, sizeof have),
                         format_shape(n_dims, shape, want, sizeof want));
  set->used[info - set->tensors] = 1;
  if (out != NULL) *out = info;
  return PIO_OK;
}

size_t pio_safetensors_unused(const pio_safetensors *set, const char **names, size_t max) {
  size_t count = 0;
  for (size_t i = 0; set != NULL && i < set->n_tensors; i++) {
    if (set->used[i]) continue;
    if (names != NULL && count < max) names[count] = set->tensors[i].name;
    count++;
  }
  return count;
}
