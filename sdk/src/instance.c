/* sdk/src/instance.c — model instance plumbing every plugin shares
 * (pio/instance.h). */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "pio/instance.h"
#include "pio/memory.h"

pio_model_options pio_model_options_read(const pio_model_options *opts) {
  pio_model_options o;
  memset(&o, 0, sizeof o);
  o.struct_size = sizeof o;
  o.weight_dtype = PIO_DTYPE_BF16;
  if (opts == NULL) return o;
  if (PIO_TABLE_HAS(opts, pio_model_options, weights_dir)) o.weights_dir = opts->weights_dir;
  if (PIO_TABLE_HAS(opts, pio_model_options, synthetic)) o.synthetic = opts->synthetic;
  if (PIO_TABLE_HAS(opts, pio_model_options, seed)) o.seed = opts->seed;
  if (PIO_TABLE_HAS(opts, pio_model_options, weight_dtype)) o.weight_dtype = opts->weight_dtype;
  if (PIO_TABLE_HAS(opts, pio_model_options, n_threads)) o.n_threads = opts->n_threads;
  if (PIO_TABLE_HAS(opts, pio_model_options, max_context)) o.max_context = opts->max_context;
  if (PIO_TABLE_HAS(opts, pio_model_options, weights_load)) o.weights_load = opts->weights_load;
  if (PIO_TABLE_HAS(opts, pio_model_options, kernel)) o.kernel = opts->kernel;
  return o;
}

pio_status pio_model_options_take(const pio_model_options *opts, pio_model_options *o,
                                  pio_error *err) {
  *o = pio_model_options_read(opts);
  if (!o->synthetic && o->weights_dir == NULL)
    return pio_error_set(err, PIO_ERR_INVALID_ARGUMENT,
                         "model create: neither weights_dir "
                         "nor synthetic weights given");
  return PIO_OK;
}

pio_status pio_model_instance_create(const pio_model_config *config, const pio_model_options *opts,
                                     size_t instance_size, pio_model_build_fn build,
                                     void (*destroy)(pio_model *m), pio_model **out,
                                     pio_error *err) {
  if (config == NULL || out == NULL)
    return pio_error_set(err, PIO_ERR_INVALID_ARGUMENT, "model create: config or out is NULL");
  *out = NULL;
  pio_model_options o;
  pio_status s = pio_model_options_take(opts, &o, err);
  if (s != PIO_OK) return s;
  pio_model *m = calloc(1, instance_size);
  if (m == NULL) return pio_error_set(err, PIO_ERR_NO_MEMORY, "model create: out of memory");
  s = build(m, config, &o, err);
  if (s != PIO_OK) {
    destroy(m);
    return s;
  }
  *out = m;
  return PIO_OK;
}

pio_status pio_model_context_size(uint32_t max_position, uint32_t asked,
                                  uint32_t default_context, uint32_t *out, pio_error *err) {
  if (asked == 0) {
    *out = max_position < default_context ? max_position : default_context;
    return PIO_OK;
  }
  if (asked > max_position)
    return pio_error_set(err, PIO_ERR_INVALID_ARGUMENT, "max_context %u exceeds the model's "
                         "max_position_embeddings %u", asked, max_position);
  *out = asked;
  return PIO_OK;
}

/* Bytes of the *.safetensors files of dir: what reading them costs. */
static uint64_t safetensors_bytes(const char *dir) {
  DIR *d = dir != NULL ? opendir(dir) : NULL;
  uint64_t total = 0;
  struct dirent *ent;
  while (d != NULL && (ent = readdir(d)) != NULL) {
    size_t n = strlen(ent->d_name);
    struct stat st;
    if (n > 12 && strcmp(ent->d_name + n - 12, ".safetensors") == 0 &&
        fstatat(dirfd(d), ent->d_name, &st, 0) == 0 && S_ISREG(st.st_mode))
      total += (uint64_t)st.st_size;
  }
  if (d != NULL) closedir(d);
  return total;
}

pio_status pio_model_footprint_check(const pio_model_options *o, const pio_model_footprint *f,
                                     uint32_t max_context, pio_error *err) {
  if (o == NULL || f == NULL)
    return pio_error_set(err, PIO_ERR_INVALID_ARGUMENT, "model footprint: no options");
  const char *held = "mapped from the files";
  uint64_t weights = 0;
  if (o->synthetic) {
    weights = f->synthetic_weights;
    held = "as built";
  } else if (o->weights_load == PIO_WEIGHTS_READ) {
    weights = safetensors_bytes(o->weights_dir);
    held = "read into memory (--weights map keeps them in the files)";
  }
  const double gib = 1024.0 * 1024.0 * 1024.0;
  char what[320];
  snprintf(what, sizeof what,
           "model create: the model (weights %.1f GiB %s, KV cache %.1f GiB for %u tokens, "
           "scratch %.1f GiB)",
           (double)weights / gib, held, (double)f->kv_cache / gib, max_context,
           (double)f->scratch / gib);
  uint64_t total = weights + f->kv_cache + f->scratch;
  if (total < weights) total = UINT64_MAX; /* cannot happen with real sizes; never wraps */
  return pio_memory_check(total, what, err);
}

pio_status pio_model_stats_copy(const pio_model_stats *stats, pio_model_stats *out,
                                pio_error *err) {
  if (stats == NULL || out == NULL)
    return pio_error_set(err, PIO_ERR_INVALID_ARGUMENT, "model stats: stats or out is NULL");
  const size_t abi_1_0 = offsetof(pio_model_stats, kernel) + sizeof(const char *);
  if (out->struct_size < abi_1_0)
    return pio_error_set(err, PIO_ERR_ABI, "model stats: struct_size %u is smaller than the "
                         "ABI 1.0 stats (%zu)", out->struct_size, abi_1_0);
  const uint32_t size = out->struct_size < sizeof *stats ? out->struct_size
                                                         : (uint32_t)sizeof *stats;
  memcpy(out, stats, size);
  out->struct_size = size;
  return PIO_OK;
}
