/* host/load/loader.c — loading a plugin through libltdl: lt_dlopenadvise with
 * local symbols on the descriptor the module checks opened, the entry
 * function, the handshake, and unloading. */
#include "load/loader.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <ltdl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct pio_loaded_plugin {
  lt_dlhandle handle;
  int fd; /* the module's descriptor, open while loaded: its /proc/self/fd name stays ours */
  pio_host_services host; /* the plugin may keep this pointer until unload */
  pio_plugin table;       /* the plugin's table, normalised to this host's size */
  char variant[40];       /* the manifest variant loaded; "" when none was named */
};

/* libltdl keeps one global state (init count, lt_dlerror): every call into
 * it holds this lock.  lt_dlinit/lt_dlexit are paired per loaded plugin. */
static pthread_mutex_t ltdl_lock = PTHREAD_MUTEX_INITIALIZER;

void loader_lock(void) { pthread_mutex_lock(&ltdl_lock); }
void loader_unlock(void) { pthread_mutex_unlock(&ltdl_lock); }

/* lt_dlerror's words; "out of memory" when an allocation failed inside
 * libltdl (errno ENOMEM, cleared before the call), which it may report as
 * another error ("invalid loader", "file not found"). */
static const char *ltdl_message(void) {
  const char *msg = lt_dlerror();
  if (errno == ENOMEM) return "out of memory";
  return msg != NULL ? msg : "unknown libltdl error";
}

/* A loaded object named name, as the dynamic linker keeps it. */
static int name_is_loaded(struct dl_phdr_info *info, size_t size, void *name) {
  (void)size;
  return info->dlpi_name != NULL && strcmp(info->dlpi_name, name) == 0;
}

/* The name to load the descriptor *fd by, in name[cap]: /proc/self/fd/N,
 * the file that was checked whatever the path points at now.  The dynamic
 * linker (and libltdl) answer a name they already hold with the object
 * loaded under it, and an object that cannot be unloaded keeps its name
 * after its descriptor is closed and the number reused: a number whose
 * name is taken is traded for a higher one.  0, or -1 when none is free
 * or /proc is not mounted. */
static int descriptor_name(int *fd, char *name, size_t cap) {
  for (int tries = 0; tries < 64; tries++) {
    snprintf(name, cap, "/proc/self/fd/%d", *fd);
    if (dl_iterate_phdr(name_is_loaded, name) == 0) return access(name, R_OK) == 0 ? 0 : -1;
    int higher = fcntl(*fd, F_DUPFD_CLOEXEC, *fd + 1);
    if (higher < 0) return -1;
    close(*fd);
    *fd = higher;
  }
  return -1;
}

/* Why the dynamic linker refused fd_name: libltdl reports a module whose
 * dependency is missing as "file not found", so the one dlopen it made is
 * made again, with its flags, for dlerror's own words ("libfoo.so.1:
 * cannot open shared object file").  Should that one succeed (what failed
 * was passing), it is closed again. */
static const char *dlopen_reason(const char *fd_name) {
  void *handle = dlopen(fd_name, RTLD_LAZY | RTLD_LOCAL);
  if (handle != NULL) {
    dlclose(handle);
    return NULL;
  }
  return dlerror();
}

/* msg with the first /proc/self/fd/N in it replaced by the module's path,
 * into buf: the dynamic linker names the file by the name it was given. */
static const char *with_module_path(const char *msg, const char *module_path, char *buf,
                                    size_t cap) {
  const char *at = strstr(msg, "/proc/self/fd/");
  if (at == NULL) return msg;
  const char *end = at + strlen("/proc/self/fd/");
  while (*end >= '0' && *end <= '9') end++;
  snprintf(buf, cap, "%.*s%s%s", (int)(at - msg), msg, module_path, end);
  return buf;
}

/* The dynamic linker's message msg (dlopen_reason; NULL: libltdl's),
 * saying which file: the module, or the library it needs that was not
 * found. */
static pio_status load_error(const char *module_path, const char *msg, int no_memory,
                             pio_error *err) {
  if (msg == NULL) msg = no_memory ? "out of memory" : ltdl_message();
  char buf[PIO_ERROR_MESSAGE_MAX];
  return pio_error_set(err, PIO_ERR_LOAD, "cannot load module %s: %s", module_path,
                       with_module_path(msg, module_path, buf, sizeof buf));
}

/* Called with ltdl_lock held.  On success *handle is open and lt_dlinit is
 * counted once for it.  No extension search: the module checks chose the
 * file, and libltdl's own search would look for names beside it. */
static pio_status open_module(const char *module_path, int *fd, lt_dlhandle *handle,
                              pio_error *err) {
  char fd_name[64];
  if (descriptor_name(fd, fd_name, sizeof fd_name) != 0)
    return pio_error_set(err, PIO_ERR_LOAD,
                         "cannot load module %s: no /proc/self/fd name free for its descriptor "
                         "(is /proc mounted?)",
                         module_path);
  errno = 0;
  if (lt_dlinit() != 0) {
    pio_error_set(err, PIO_ERR_LOAD, "libltdl initialisation failed: %s", ltdl_message());
    /* lt_dlinit counts itself even when it fails: its lt_dlexit frees
     * what it had opened, and the next lt_dlinit starts afresh. */
    lt_dlexit();
    return err->code;
  }
  lt_dladvise advise;
  pio_status st = PIO_OK;
  errno = 0;
  if (lt_dladvise_init(&advise) != 0 || lt_dladvise_local(&advise) != 0) {
    st = pio_error_set(err, PIO_ERR_LOAD, "libltdl advise: %s", ltdl_message());
  } else {
    *handle = lt_dlopenadvise(fd_name, advise);
    if (*handle == NULL) {
      int no_memory = errno == ENOMEM;
      const char *why = dlopen_reason(fd_name);
      /* The dynamic linker loads it now: what failed inside libltdl (an
       * allocation, which it reports as "file not found") has passed. */
      if (why == NULL) *handle = lt_dlopenadvise(fd_name, advise);
      if (*handle == NULL) st = load_error(module_path, why, no_memory, err);
    }
  }
  lt_dladvise_destroy(&advise);
  if (st != PIO_OK) lt_dlexit();
  return st;
}

static void close_module(lt_dlhandle handle) {
  loader_lock();
  lt_dlclose(handle);
  lt_dlexit();
  loader_unlock();
}

static int same_text(const char *a, const char *b) {
  return a != NULL && b != NULL && strcmp(a, b) == 0;
}

static pio_status check_field(const char *what, const char *table_value, const char *manifest_value,
                              pio_error *err) {
  if (same_text(table_value, manifest_value)) return PIO_OK;
  return pio_error_set(err, PIO_ERR_ABI,
                       "handshake: the plugin table's %s is \"%s\" but the manifest says \"%s\"",
                       what, table_value != NULL ? table_value : "(null)",
                       manifest_value != NULL ? manifest_value : "(null)");
}

/* The table's additional_architectures (absent before ABI 1.2: none) and
 * the manifest's, entry for entry. */
static pio_status check_additional_architectures(const pio_plugin *copy,
                                                 const pio_manifest *manifest, pio_error *err) {
  const char *const *table = PIO_TABLE_HAS(copy, pio_plugin, additional_architectures)
                                 ? copy->additional_architectures
                                 : NULL;
  const pio_string_list *listed = &manifest->additional_architectures;
  size_t n = 0;
  while (table != NULL && table[n] != NULL && n <= listed->count) n++;
  for (size_t i = 0; i < n && i < listed->count; i++)
    if (strcmp(table[i], listed->items[i]) != 0)
      return pio_error_set(err, PIO_ERR_ABI,
                           "handshake: the plugin table's additional_architectures[%zu] is "
                           "\"%s\" but the manifest says \"%s\"",
                           i, table[i], listed->items[i]);
  if (n != listed->count)
    return pio_error_set(err, PIO_ERR_ABI,
                         "handshake: the plugin table lists %s%zu additional architectures but "
                         "the manifest lists %zu",
                         n > listed->count ? "more than " : "", n > listed->count ? listed->count : n,
                         listed->count);
  return PIO_OK;
}

/* The handshake: the table the entry returned agrees with this host and
 * with the manifest.  Copies what this host knows of it into *copy. */
static pio_status check_handshake(const pio_plugin *table, const pio_manifest *manifest,
                                  pio_plugin *copy, pio_error *err) {
  size_t header = offsetof(pio_plugin, abi_minor) + sizeof table->abi_minor;
  if (table->struct_size >= header && table->abi_major != PIO_ABI_MAJOR)
    return pio_error_set(err, PIO_ERR_ABI,
                         "handshake: the plugin was built for ABI %u.%u, this host speaks ABI "
                         "%u.%u (a different major is refused; rebuild the plugin)",
                         (unsigned)table->abi_major, (unsigned)table->abi_minor,
                         (unsigned)PIO_ABI_MAJOR, (unsigned)PIO_ABI_MINOR);
  if (table->struct_size < LOADER_PLUGIN_SIZE_1_0)
    return pio_error_set(err, PIO_ERR_ABI,
                         "handshake: the plugin table's struct_size is %u, smaller than the "
                         "ABI 1.0 table (%zu bytes)",
                         (unsigned)table->struct_size, (size_t)LOADER_PLUGIN_SIZE_1_0);
  /* A newer minor may append fields we do not know: copy only ours.  An
   * older table leaves the rest zero (absent). */
  size_t n = table->struct_size < sizeof *copy ? table->struct_size : sizeof *copy;
  memset(copy, 0, sizeof *copy);
  memcpy(copy, table, n);
  copy->struct_size = (uint32_t)n;
  pio_status st = check_field("name", copy->name, manifest->name, err);
  if (st == PIO_OK) st = check_field("version", copy->version, manifest->version, err);
  if (st == PIO_OK)
    st = check_field("model_architecture", copy->model_architecture, manifest->model_architecture,
                     err);
  if (st == PIO_OK) st = check_additional_architectures(copy, manifest, err);
  return st;
}

static void tell(load_phase_fn on_phase, void *ctx, load_phase phase) {
  if (on_phase != NULL) on_phase(ctx, phase);
}

static pio_status call_entry(pio_loaded_plugin *plugin, const char *module_path,
                             const pio_manifest *manifest, pio_error *err) {
  char buf[PIO_ERROR_MESSAGE_MAX];
  loader_lock();
  errno = 0;
  void *symbol = lt_dlsym(plugin->handle, manifest->entry_function);
  if (symbol == NULL) /* lt_dlerror is global: read it under the lock */
    pio_error_set(err, PIO_ERR_NOT_FOUND, "entry point %s not found in the module: %s",
                  manifest->entry_function,
                  with_module_path(ltdl_message(), module_path, buf, sizeof buf));
  loader_unlock();
  if (symbol == NULL) return PIO_ERR_NOT_FOUND;

  pio_plugin_entry_fn entry;
  memcpy(&entry, &symbol, sizeof entry); /* object pointer to function pointer */
  pio_error plugin_err;
  pio_error_clear(&plugin_err);
  const pio_plugin *table = entry(&plugin->host, &plugin_err);
  if (table == NULL) {
    /* The plugin's own record, carried whole (its code too) and prefixed:
     * the one way errors climb (docs/abi.md). */
    pio_status code = plugin_err.code != PIO_OK ? plugin_err.code : PIO_ERR_LOAD;
    pio_error_set(err, code, "%s",
                  plugin_err.message[0] != '\0' ? plugin_err.message : "(the plugin gave no reason)");
    return pio_error_prefix(err, "entry point %s returned no plugin table",
                            manifest->entry_function);
  }
  return check_handshake(table, manifest, &plugin->table, err);
}

pio_status loader_open(const module_file *module, const pio_manifest *manifest,
                       load_phase_fn on_phase, void *ctx, pio_loaded_plugin **out, pio_error *err) {
  if (module == NULL || module->fd < 0 || manifest == NULL || manifest->entry_function == NULL ||
      out == NULL)
    return pio_error_set(err, PIO_ERR_INVALID_ARGUMENT, "plugin load: missing module or manifest");
  pio_loaded_plugin *plugin = calloc(1, sizeof *plugin);
  if (plugin == NULL) return pio_error_set(err, PIO_ERR_NO_MEMORY, "plugin load: out of memory");
  plugin->host.struct_size = sizeof plugin->host;
  plugin->host.abi_major = PIO_ABI_MAJOR;
  plugin->host.abi_minor = PIO_ABI_MINOR;
  plugin->host.host_version = PIO_VERSION_STRING;
  /* Its own descriptor: the caller's may close while the plugin stays. */
  plugin->fd = fcntl(module->fd, F_DUPFD_CLOEXEC, 0);
  if (plugin->fd < 0) {
    free(plugin);
    return pio_error_set(err, PIO_ERR_IO, "cannot load module %s: %s", module->path,
                         strerror(errno));
  }

  tell(on_phase, ctx, LOAD_PHASE_OPEN);
  loader_lock();
  pio_status st = open_module(module->path, &plugin->fd, &plugin->handle, err);
  loader_unlock();
  if (st != PIO_OK) {
    close(plugin->fd);
    free(plugin);
    return st;
  }
  tell(on_phase, ctx, LOAD_PHASE_ENTRY);
  st = call_entry(plugin, module->path, manifest, err);
  if (st != PIO_OK) {
    loader_close(plugin, on_phase, ctx);
    return st;
  }
  *out = plugin;
  return PIO_OK;
}

void loader_close(pio_loaded_plugin *plugin, load_phase_fn on_phase, void *ctx) {
  if (plugin == NULL) return;
  tell(on_phase, ctx, LOAD_PHASE_UNLOAD);
  close_module(plugin->handle);
  close(plugin->fd);
  free(plugin);
}

const pio_plugin *pio_loaded_plugin_table(const pio_loaded_plugin *plugin) {
  return plugin != NULL ? &plugin->table : NULL;
}

void loader_name_variant(pio_loaded_plugin *plugin, const char *variant) {
  snprintf(plugin->variant, sizeof plugin->variant, "%s", variant != NULL ? variant : "");
}

const char *pio_loaded_plugin_variant(const pio_loaded_plugin *plugin) {
  return plugin != NULL && plugin->variant[0] != '\0' ? plugin->variant : NULL;
}

void pio_plugin_unload(pio_loaded_plugin *plugin) { loader_close(plugin, NULL, NULL); }
