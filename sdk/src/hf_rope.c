/* sdk/src/hf_rope.c — config.json's RoPE fields as pio_rope_params: the
 * rope_theta and rope_scaling of Transformers 4.x, or the rope_parameters
 * object that replaces both in Transformers 5, with each type's fields and
 * transformers' defaults where one is absent. */
#include <string.h>

#include "pio/hf_config.h"

/* Generous bounds that keep every product the tables form finite. */
#define MAX_FACTOR 1e6
#define MAX_THETA 1e12

/* An optional positive number; required ones say so when absent. */
static pio_status read_number(pio_hf_config *doc, const json_object *rs, const char *key,
                              int required, double *out, pio_error *err) {
  if (required && !pio_hf_config_given(rs, key))
    return pio_error_set(err, PIO_ERR_INVALID, "%s: missing required field '%s' for this "
                         "rope type", pio_hf_config_where(doc, rs, key, NULL), key);
  return pio_hf_config_get_positive(doc, rs, key, MAX_FACTOR, out, err);
}

/* mscale and friends may be 0 in a config (absent, to transformers). */
static pio_status read_optional(pio_hf_config *doc, const json_object *rs, const char *key,
                                double *out, pio_error *err) {
  return pio_hf_config_get_double(doc, rs, key, 0, 0.0, MAX_FACTOR, out, err);
}

static pio_status read_yarn(pio_hf_config *doc, const json_object *rs, uint32_t max_position,
                            pio_rope_params *p, pio_error *err) {
  const char *original = "original_max_position_embeddings";
  p->original_max_position = max_position; /* transformers' standardize_rope_params */
  pio_status s = pio_hf_config_get_u32(doc, rs, original, 0, 1, PIO_HF_MAX_POSITIONS,
                                       &p->original_max_position, err);
  if (s != PIO_OK) return s;
  /* Without a factor, the context's growth over the original. */
  p->factor = (double)max_position / p->original_max_position;
  int truncate = 1;
  if ((s = read_number(doc, rs, "factor", 0, &p->factor, err)) ||
      (s = read_optional(doc, rs, "beta_fast", &p->beta_fast, err)) ||
      (s = read_optional(doc, rs, "beta_slow", &p->beta_slow, err)) ||
      (s = read_optional(doc, rs, "mscale", &p->mscale, err)) ||
      (s = read_optional(doc, rs, "mscale_all_dim", &p->mscale_all_dim, err)) ||
      (s = read_optional(doc, rs, "attention_factor", &p->attention_factor, err)) ||
      (s = pio_hf_config_get_bool(doc, rs, "truncate", 0, &truncate, err)))
    return s;
  p->yarn_no_truncate = !truncate;
  return PIO_OK;
}

static pio_status read_llama3(pio_hf_config *doc, const json_object *rs, pio_rope_params *p,
                              pio_error *err) {
  pio_status s;
  if ((s = read_number(doc, rs, "factor", 1, &p->factor, err)) ||
      (s = read_number(doc, rs, "low_freq_factor", 1, &p->low_freq_factor, err)) ||
      (s = read_number(doc, rs, "high_freq_factor", 1, &p->high_freq_factor, err)))
    return s;
  const char *original = "original_max_position_embeddings";
  return pio_hf_config_get_u32(doc, rs, original, 1, 1, PIO_HF_MAX_POSITIONS,
                               &p->original_max_position, err);
}

/* rope_type, or the older "type"; "default" when neither. */
static pio_status read_type(pio_hf_config *doc, const json_object *rs, pio_rope_type *type,
                            pio_error *err) {
  static const char *const names[] = {"default", "linear", "llama3", "yarn", NULL};
  const char *key = !pio_hf_config_given(rs, "rope_type") && pio_hf_config_given(rs, "type")
                        ? "type" : "rope_type";
  const char *found = names[0];
  pio_status s = pio_hf_config_get_choice(doc, rs, key, names,
                                          "\"default\", \"linear\", \"llama3\" or \"yarn\"",
                                          &found, err);
  if (s == PIO_ERR_INVALID && pio_hf_config_given(rs, key)) {
    s = PIO_ERR_UNSUPPORTED; /* a real rope type (dynamic, longrope) pio does not compute */
    if (err != NULL) err->code = s;
  }
  if (s != PIO_OK) return s;
  for (int i = 0; names[i] != NULL; i++)
    if (found == names[i]) *type = (pio_rope_type)i;
  return PIO_OK;
}

pio_status pio_hf_config_read_rope(pio_hf_config *doc, const json_object *object,
                                   uint32_t rotary_dim, uint32_t max_position,
                                   double default_theta, pio_rope_params *p, pio_error *err) {
  memset(p, 0, sizeof *p);
  p->rotary_dim = rotary_dim;
  p->theta = default_theta;
  json_object *rs = NULL;
  const char *field = "rope_parameters";
  pio_status s = pio_hf_config_get_object(doc, object, field, &rs, err);
  if (s == PIO_OK && rs != NULL) {
    s = pio_hf_config_get_double(doc, rs, "rope_theta", 0, 0.0, MAX_THETA, &p->theta, err);
  } else if (s == PIO_OK) {
    field = "rope_scaling";
    s = pio_hf_config_get_double(doc, object, "rope_theta", 0, 0.0, MAX_THETA, &p->theta, err);
    if (s == PIO_OK) s = pio_hf_config_get_object(doc, object, field, &rs, err);
  }
  if (s != PIO_OK) return s;
  if (rs != NULL) {
    if ((s = read_type(doc, rs, &p->type, err)) != PIO_OK) return s;
    if (p->type == PIO_ROPE_LINEAR) s = read_number(doc, rs, "factor", 1, &p->factor, err);
    if (p->type == PIO_ROPE_LLAMA3) s = read_llama3(doc, rs, p, err);
    if (p->type == PIO_ROPE_YARN) s = read_yarn(doc, rs, max_position, p, err);
    if (s != PIO_OK) return s;
  }
  s = pio_rope_params_check(p, err);
  if (s != PIO_OK)
    pio_error_prefix(err, "%s", rs != NULL ? pio_hf_config_where(doc, object, field, NULL)
                                           : doc->path);
  return s;
}
