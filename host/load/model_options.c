/* host/load/model_options.c — what a loaded plugin can be asked: the
 * options of pio_model_options a plugin built for an older ABI would
 * ignore, and the command-line words of weights_load. */
#include <string.h>

#include "pio/host.h"

/* The refusal of an option added in ABI 1.minor to a plugin built before. */
static pio_status older_than(const pio_plugin *table, unsigned minor, const char *cannot,
                             const char *instead, pio_error *err) {
  return pio_error_set(err, PIO_ERR_UNSUPPORTED,
                       "plugin '%s' was built for ABI %u.%u and cannot %s (ABI 1.%u); %s or "
                       "rebuild the plugin",
                       table->name != NULL ? table->name : "?", (unsigned)table->abi_major,
                       (unsigned)table->abi_minor, cannot, minor, instead);
}

pio_status pio_model_options_supported(const pio_plugin *table, const pio_model_options *opts,
                                       pio_error *err) {
  if (table == NULL || opts == NULL)
    return pio_error_set(err, PIO_ERR_INVALID_ARGUMENT, "model options: no plugin or options");
  const int before = table->abi_major == 1;
  int wants_read = opts->weights_load != PIO_WEIGHTS_MAP && !opts->synthetic;
  if (wants_read && before && table->abi_minor < 1)
    return older_than(table, 1, "read weights into memory", "map them (the default)", err);
  int wants_kernel = PIO_TABLE_HAS(opts, pio_model_options, kernel) && opts->kernel != NULL &&
                     opts->kernel[0] != '\0' && strcmp(opts->kernel, "auto") != 0;
  if (wants_kernel && before && table->abi_minor < 2)
    return older_than(table, 2, "be given a kernel path", "leave it to choose", err);
  return PIO_OK;
}

int pio_weights_load_parse(const char *text, uint32_t *out) {
  if (text == NULL) return -1;
  if (strcmp(text, "map") == 0)
    *out = PIO_WEIGHTS_MAP;
  else if (strcmp(text, "read") == 0)
    *out = PIO_WEIGHTS_READ;
  else
    return -1;
  return 0;
}

const char *pio_weights_load_name(uint32_t load) {
  return load == PIO_WEIGHTS_READ ? "read" : "map";
}
