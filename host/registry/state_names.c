/* host/registry/state_names.c — the words a plugin's state is shown as. */
#include "pio/host.h"

const char *pio_plugin_state_name(pio_plugin_state state) {
  switch (state) {
    case PIO_PLUGIN_OK:
      return "ok";
    case PIO_PLUGIN_INVALID:
      return "invalid";
    case PIO_PLUGIN_INCOMPATIBLE:
      return "incompatible";
    case PIO_PLUGIN_FAILED:
      return "failed";
    case PIO_PLUGIN_CRASHED:
      return "crashed";
    case PIO_PLUGIN_SHADOWED:
      return "shadowed";
  }
  return "unknown";
}
