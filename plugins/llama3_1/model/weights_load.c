/* model/weights_load.c — a LlamaForCausalLM's weights from Hugging Face
 * safetensors.  Every tensor is looked up with its exact shape; matrices
 * stay in the files' dtype and, where possible, in the mapping itself.  q,
 * k and v are stacked into one copy (one matmul reads them); gate and up
 * likewise, unless the file already stores up right after gate, as
 * Transformers' alphabetical order usually does, in which case the pair is
 * used in place. */
#include <stdio.h>
#include <string.h>

#include "model/weights.h"
#include "model/weights_internal.h"

#define NAME_MAX_LEN 128

static pio_status expect(llama_weights *w, const char *name, uint64_t rows, uint64_t cols,
                         const pio_tensor_info **out, pio_error *err) {
  const uint64_t shape[2] = {rows, cols};
  pio_status s = pio_safetensors_expect(w->set, name, cols ? 2 : 1, shape, out, err);
  if (s == PIO_OK) w->weight_bytes += (*out)->n_bytes;
  return s;
}

static pio_matrix as_matrix(const pio_tensor_info *t) {
  pio_matrix m = {.data = t->data, .dtype = t->dtype, .rows = (uint32_t)t->shape[0],
                  .cols = (uint32_t)t->shape[1]};
  return m;
}

/* A norm weight [d], widened to f32 into a buffer w owns. */
static pio_status load_norm(llama_weights *w, const char *name, uint32_t d, const float **out,
                            pio_error *err) {
  const pio_tensor_info *t = NULL;
  pio_status s = expect(w, name, d, 0, &t, err);
  if (s != PIO_OK) return s;
  float *f = llama_weights_alloc(w, (size_t)d * sizeof *f, err);
  if (f == NULL) return PIO_ERR_NO_MEMORY;
  pio_to_f32(t->data, t->dtype, d, f);
  *out = f;
  return PIO_OK;
}

/* Stacks parts[n] (same cols) into one matrix, in their common dtype, or
 * in f32 when their dtypes differ. */
static pio_status stack(llama_weights *w, const pio_tensor_info *const *parts, size_t n,
                        pio_matrix *out, pio_error *err) {
  pio_dtype dtype = parts[0]->dtype;
  uint64_t rows = 0;
  for (size_t i = 0; i < n; i++) {
    if (parts[i]->dtype != dtype) dtype = PIO_DTYPE_F32;
    rows += parts[i]->shape[0];
  }
  const uint64_t cols = parts[0]->shape[1];
  unsigned char *dst = llama_weights_alloc(w, (size_t)(rows * cols * pio_dtype_size(dtype)), err);
  if (dst == NULL) return PIO_ERR_NO_MEMORY;
  *out = (pio_matrix){.data = dst, .dtype = dtype, .rows = (uint32_t)rows, .cols = (uint32_t)cols};
  for (size_t i = 0; i < n; i++) {
    const size_t count = (size_t)(parts[i]->shape[0] * cols);
    if (parts[i]->dtype == dtype)
      memcpy(dst, parts[i]->data, parts[i]->n_bytes);
    else
      pio_to_f32(parts[i]->data, parts[i]->dtype, count, (float *)(void *)dst);
    dst += count * pio_dtype_size(dtype);
  }
  return PIO_OK;
}

static pio_status load_layer(llama_weights *w, const pio_model_config *c, uint32_t l,
                             pio_error *err) {
  llama_layer_weights *L = &w->layers[l];
  const uint64_t d = c->hidden_size, q_dim = (uint64_t)c->n_heads * c->head_dim;
  const uint64_t kv_dim = (uint64_t)c->n_kv_heads * c->head_dim;
  char name[NAME_MAX_LEN];
  const pio_tensor_info *q, *k, *v, *o, *gate, *up, *down;
  pio_status s;
#define LAYER_TENSOR(suffix, rows, cols, out)                                         \
  (snprintf(name, sizeof name, "model.layers.%u.%s", l, suffix),                     \
   expect(w, name, rows, cols, out, err))
  if ((s = LAYER_TENSOR("self_attn.q_proj.weight", q_dim, d, &q)) ||
      (s = LAYER_TENSOR("self_attn.k_proj.weight", kv_dim, d, &k)) ||
      (s = LAYER_TENSOR("self_attn.v_proj.weight", kv_dim, d, &v)) ||
      (s = LAYER_TENSOR("self_attn.o_proj.weight", d, q_dim, &o)) ||
      (s = LAYER_TENSOR("mlp.gate_proj.weight", c->intermediate_size, d, &gate)) ||
      (s = LAYER_TENSOR("mlp.up_proj.weight", c->intermediate_size, d, &up)) ||
      (s = LAYER_TENSOR("mlp.down_proj.weight", d, c->intermediate_size, &down)))
    return s;
#undef LAYER_TENSOR
  snprintf(name, sizeof name, "model.layers.%u.input_layernorm.weight", l);
  if ((s = load_norm(w, name, c->hidden_size, &L->attn_norm, err))) return s;
  snprintf(name, sizeof name, "model.layers.%u.post_attention_layernorm.weight", l);
  if ((s = load_norm(w, name, c->hidden_size, &L->mlp_norm, err))) return s;
  const pio_tensor_info *qkv[3] = {q, k, v};
  if ((s = stack(w, qkv, 3, &L->qkv, err))) return s;
  L->o = as_matrix(o);
  L->mlp.down = as_matrix(down);
  if (gate->dtype == up->dtype &&
      (const unsigned char *)gate->data + gate->n_bytes == (const unsigned char *)up->data) {
    L->mlp.gate_up = as_matrix(gate);
    L->mlp.gate_up.rows *= 2;
    return PIO_OK;
  }
  const pio_tensor_info *gate_up[2] = {gate, up};
  return stack(w, gate_up, 2, &L->mlp.gate_up, err);
}

/* Tensors Transformers itself ignores when loading a Llama checkpoint. */
static int ignorable(const char *name) {
  static const char suffix[] = ".rotary_emb.inv_freq";
  size_t n = strlen(name), k = sizeof suffix - 1;
  return n >= k && strcmp(name + n - k, suffix) == 0;
}

/* Every tensor of the files must have been used: an extra one means the
 * config does not describe these weights. */
static pio_status check_unused(llama_weights *w, const char *dir, pio_error *err) {
  const char *names[64];
  size_t total = pio_safetensors_unused(w->set, names, 64);
  size_t shown = total < 64 ? total : 64;
  size_t extra = 0;
  char list[512] = "";
  for (size_t i = 0; i < shown; i++) {
    if (ignorable(names[i])) continue;
    if (extra < 4) {
      size_t used = strlen(list);
      snprintf(list + used, sizeof list - used, "%s'%s'", extra ? ", " : "", names[i]);
    }
    extra++;
  }
  extra += total - shown; /* beyond the 64 looked at: counted as extra */
  if (extra == 0) return PIO_OK;
  return pio_error_set(err, PIO_ERR_INVALID, "%s: %zu tensor%s that LlamaForCausalLM with this "
                       "config.json does not use: %s%s (does config.json describe these "
                       "weights?)", dir, extra, extra == 1 ? "" : "s", list,
                       extra > 4 ? ", ..." : "");
}

static pio_status load_all(llama_weights *w, const pio_model_config *c, const char *dir,
                           uint32_t load, pio_error *err) {
  if (load != PIO_WEIGHTS_MAP && load != PIO_WEIGHTS_READ)
    return pio_error_set(err, PIO_ERR_INVALID_ARGUMENT,
                         "weights: unknown weights_load %u (0 maps, 1 reads)", (unsigned)load);
  pio_status s = pio_safetensors_open_dir_with(
      dir, load == PIO_WEIGHTS_READ ? PIO_SAFETENSORS_READ : PIO_SAFETENSORS_MAP, &w->set, err);
  if (s != PIO_OK) return s;
  if ((s = llama_weights_begin(w, c, err))) return s;
  const pio_tensor_info *embed = NULL, *head = NULL;
  if ((s = expect(w, "model.embed_tokens.weight", c->vocab_size, c->hidden_size, &embed, err)))
    return s;
  w->embed = as_matrix(embed);
  for (uint32_t l = 0; l < c->n_layers; l++)
    if ((s = load_layer(w, c, l, err))) return s;
  if ((s = load_norm(w, "model.norm.weight", c->hidden_size, &w->final_norm, err))) return s;
  const int has_head = pio_safetensors_find(w->set, "lm_head.weight") != NULL;
  if (!c->tie_word_embeddings || has_head) {
    /* A tied checkpoint may still carry lm_head.weight; like Transformers,
     * the embedding is used, but the tensor must still have its shape. */
    if ((s = expect(w, "lm_head.weight", c->vocab_size, c->hidden_size, &head, err))) return s;
  }
  if (c->tie_word_embeddings) {
    w->lm_head = w->embed;
    if (head != NULL) w->weight_bytes -= head->n_bytes; /* present, unused */
  } else {
    w->lm_head = as_matrix(head);
  }
  return check_unused(w, dir, err);
}

pio_status llama_weights_load(llama_weights *w, const pio_model_config *config,
                              const char *dir, uint32_t load, pio_error *err) {
  memset(w, 0, sizeof *w);
  if (dir == NULL)
    return pio_error_set(err, PIO_ERR_INVALID_ARGUMENT, "weights: no folder given");
  pio_status s = load_all(w, config, dir, load, err);
  if (s != PIO_OK) llama_weights_free(w);
  return s;
}
