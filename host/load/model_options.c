/* host/load/model_options.c — what a loaded plugin can be asked: the
 * options of pio_model_options a plugin built for an older ABI would
 * ignore, and the command-line words of weights_load. */
#include <string.h>

#include "pio/host.h"

pio_status pio_model_options_supported(const pio_plugin *table, const pio_model_options *opts,
                                       pio_error *err) {
  if (table == NULL || opts == NULL)
    return pio_error_set(err, PIO_ERR_INVALID_ARGUMENT, "model options: no plugin or options");
  int wants_read = opts->weights_load != PIO_WEIGHTS_MAP && !opts->synthetic;
  if (wants_read && table->abi_major == 1 && table->abi_minor < 1)
    return pio_error_set(err, PIO_ERR_UNSUPPORTED,
                         "plugin '%s' was built for ABI %u.%u and cannot read weights into "
                         "memory (ABI 1.1); map them (the default) or rebuild the plugin",
                         table->name != NULL ? table->name : "?", (unsigned)table->abi_major,
                         (unsigned)table->abi_minor);
  int wants_kernel = PIO_TABLE_HAS(opts, pio_model_options, kernel) && opts->kernel != NULL &&
                     opts->kernel[0] != '\0' && strcmp(opts->kernel, "auto") != 0;
  if (wants_kernel && table->abi_major == 1 && table->abi_minor < 2)
    return pio_error_set(err, PIO_ERR_UNSUPPORTED,
                         "plugin '%s' was built for ABI %u.%u and cannot be given a kernel path "
                         "(ABI 1.2); leave it to choose, or rebuild the plugin",
                         table->name != NULL ? table->name : "?", (unsigned)table->abi_major,
                         (unsigned)table->abi_minor);
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
