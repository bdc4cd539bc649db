/* host/manifest/manifest_pack.c — a manifest copied into one block, the
 * only form a manifest is handed out in.
 *
 * A parsed manifest is some forty small allocations; a listing of 1,000
 * plugins keeps 1,000 of them, and on a virtual machine the first touch of
 * each new heap page costs more than the stat() calls the listing needs.
 * Packed, a manifest takes its own size and no allocator overhead, lives
 * in the registry's arena or in one malloc'd block, and goes in one call. */
#include <stdlib.h>
#include <string.h>

#include "manifest/manifest.h"
#include "manifest/packer.h"
#include "registry/arena.h"

static char *pack_text(packer *p, const char *text) {
  return text != NULL ? packer_text(p, text, strlen(text)) : NULL;
}

static void pack_list(packer *p, const pio_string_list *from, pio_string_list *to) {
  to->count = from->count;
  to->items = from->items != NULL ? packer_take(p, (from->count + 1) * sizeof *to->items) : NULL;
  for (size_t i = 0; i < from->count; i++) {
    char *item = pack_text(p, from->items[i]);
    if (to->items != NULL) to->items[i] = item;
  }
  if (to->items != NULL) to->items[from->count] = NULL;
}

static void pack_dependencies(packer *p, const pio_manifest_dependency *from, size_t n,
                              pio_manifest_dependency **to) {
  *to = from != NULL ? packer_take(p, (n + 1) * sizeof **to) : NULL;
  for (size_t i = 0; i < n; i++) {
    pio_manifest_dependency d;
#define PACK_DEP_TEXT(field, required) d.field = pack_text(p, from[i].field);
    MANIFEST_DEPENDENCY_FIELDS(PACK_DEP_TEXT)
#undef PACK_DEP_TEXT
    if (*to != NULL) (*to)[i] = d;
  }
  if (*to != NULL) memset(&(*to)[n], 0, sizeof **to);
}

static void pack_variants(packer *p, const pio_manifest_variant *from, size_t n,
                          pio_manifest_variant **to) {
  *to = from != NULL ? packer_take(p, n * sizeof **to) : NULL;
  for (size_t i = 0; i < n; i++) {
    pio_manifest_variant v = from[i]; /* the numbers */
#define PACK_VARIANT_TEXT(field, required) v.field = pack_text(p, from[i].field);
#define PACK_VARIANT_LIST(field) pack_list(p, &from[i].field, &v.field);
    MANIFEST_VARIANT_FIELDS(PACK_VARIANT_TEXT, MANIFEST_SKIP, MANIFEST_SKIP, PACK_VARIANT_LIST)
#undef PACK_VARIANT_TEXT
#undef PACK_VARIANT_LIST
    if (*to != NULL) (*to)[i] = v;
  }
}

/* Copies from into the packer; to is the struct at the block's start (or a
 * scratch struct while only adding up). */
static void pack_manifest(packer *p, const pio_manifest *from, pio_manifest *to) {
  *to = *from; /* the numbers */
  to->path = pack_text(p, from->path);
#define PACK_TEXT(field, required) to->field = pack_text(p, from->field);
#define PACK_LIST(field) pack_list(p, &from->field, &to->field);
#define PACK_DEPS(field, count) pack_dependencies(p, from->field, from->count, &to->field);
#define PACK_VARIANTS(field, count) pack_variants(p, from->field, from->count, &to->field);
  MANIFEST_FIELDS(PACK_TEXT, MANIFEST_SKIP, MANIFEST_SKIP, PACK_LIST, PACK_DEPS, MANIFEST_SKIP,
                  PACK_VARIANTS)
#undef PACK_TEXT
#undef PACK_LIST
#undef PACK_DEPS
#undef PACK_VARIANTS
}

pio_manifest *manifest_pack(const pio_manifest *manifest, struct arena *arena) {
  if (manifest == NULL) return NULL;
  packer size = {NULL, 0, 0, 0};
  pio_manifest scratch;
  packer_take(&size, sizeof scratch);
  pack_manifest(&size, manifest, &scratch);
  packer block = {arena != NULL ? arena_alloc(arena, size.used) : malloc(size.used), size.used, 0,
                  0};
  if (block.base == NULL) return NULL;
  pio_manifest *packed = packer_take(&block, sizeof *packed);
  pack_manifest(&block, manifest, packed);
  return packed;
}
