/* host/manifest_pack.c — a manifest copied into one allocation.
 *
 * A parsed or decoded manifest is some forty small allocations; a listing
 * of 1,000 plugins keeps 1,000 of them, and on a virtual machine the first
 * touch of each new heap page costs more than the stat() calls the listing
 * needs.  Packed, a manifest takes its own size and no allocator overhead,
 * and pio_manifest_free frees it in one call. */
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "manifest.h"
#include "packer.h"

static char *pack_text(pio_packer *p, const char *text) {
  return text != NULL ? pio_packer_text(p, text, strlen(text)) : NULL;
}

static void pack_list(pio_packer *p, const pio_string_list *from, pio_string_list *to) {
  to->count = from->count;
  to->items =
      from->items != NULL ? pio_packer_take(p, (from->count + 1) * sizeof *to->items) : NULL;
  for (size_t i = 0; i < from->count; i++) {
    char *item = pack_text(p, from->items[i]);
    if (to->items != NULL) to->items[i] = item;
  }
  if (to->items != NULL) to->items[from->count] = NULL;
}

static void pack_dependencies(pio_packer *p, const pio_manifest *from, pio_manifest *to) {
  to->n_dependencies = from->n_dependencies;
  to->dependencies = from->dependencies != NULL
                         ? pio_packer_take(p, (from->n_dependencies + 1) * sizeof *to->dependencies)
                         : NULL;
  for (size_t i = 0; i < from->n_dependencies; i++) {
    pio_manifest_dependency d = {pack_text(p, from->dependencies[i].name),
                                 pack_text(p, from->dependencies[i].kind),
                                 pack_text(p, from->dependencies[i].version)};
    if (to->dependencies != NULL) to->dependencies[i] = d;
  }
  if (to->dependencies != NULL)
    memset(&to->dependencies[from->n_dependencies], 0, sizeof *to->dependencies);
}

/* Copies from into the packer; to is the struct at the block's start (or a
 * scratch struct while only adding up). */
static void pack_manifest(pio_packer *p, const pio_manifest *from, pio_manifest *to) {
  *to = *from;
  char **texts_to[] = {&to->path, &to->name, &to->version, &to->author, &to->description,
                       &to->plugin_type, &to->model_architecture, &to->model_family,
                       &to->model_size, &to->license, &to->entry_module, &to->entry_function};
  char *const texts_from[] = {from->path, from->name, from->version, from->author,
                              from->description, from->plugin_type, from->model_architecture,
                              from->model_family, from->model_size, from->license,
                              from->entry_module, from->entry_function};
  for (size_t i = 0; i < sizeof texts_to / sizeof texts_to[0]; i++)
    *texts_to[i] = pack_text(p, texts_from[i]);
  pack_list(p, &from->supported_modalities, &to->supported_modalities);
  pack_list(p, &from->tags, &to->tags);
  pack_dependencies(p, from, to);
  pack_list(p, &from->compatibility.os, &to->compatibility.os);
  pack_list(p, &from->compatibility.arch, &to->compatibility.arch);
  pack_list(p, &from->compatibility.cpu_features, &to->compatibility.cpu_features);
  pack_list(p, &from->warnings, &to->warnings);
}

pio_manifest *pio_manifest_pack(pio_manifest *manifest, pio_arena *arena) {
  if (manifest == NULL || manifest->packed != PIO_MANIFEST_PIECES) return manifest;
  pio_packer size = {NULL, 0, 0, 0};
  pio_manifest scratch;
  pio_packer_take(&size, sizeof scratch);
  pack_manifest(&size, manifest, &scratch);
  pio_packer block = {arena != NULL ? pio_arena_alloc(arena, size.used) : malloc(size.used),
                      size.used, 0, 0};
  if (block.base == NULL) return manifest; /* unpacked still works */
  pio_manifest *packed = pio_packer_take(&block, sizeof *packed);
  pack_manifest(&block, manifest, packed);
  packed->packed = arena != NULL ? PIO_MANIFEST_IN_ARENA : PIO_MANIFEST_PACKED;
  pio_manifest_free(manifest);
  return packed;
}
