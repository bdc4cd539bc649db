/* sdk/src/plugin_check.c — the host check every plugin's entry function
 * makes (pio_plugin_check_host in pio/plugin.h), written once. */
#include <stddef.h>

#include "pio/plugin.h"

pio_status pio_plugin_check_host(const pio_host_services *host, const char *plugin_name,
                                 pio_error *err) {
  const char *name = plugin_name != NULL ? plugin_name : "plugin";
  size_t header = offsetof(pio_host_services, abi_minor) + sizeof host->abi_minor;
  if (host == NULL || host->struct_size < header)
    return pio_error_set(err, PIO_ERR_ABI, "%s: host services table missing or too small", name);
  if (host->abi_major != PIO_ABI_MAJOR)
    return pio_error_set(err, PIO_ERR_ABI, "%s: built for pio ABI %d.x, host speaks %u.%u", name,
                         PIO_ABI_MAJOR, (unsigned)host->abi_major, (unsigned)host->abi_minor);
  return PIO_OK;
}
