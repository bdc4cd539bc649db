/* model/weights.c — a LlamaForCausalLM's weights, from Hugging Face
 * safetensors or synthetic, by one walk over its tensors (pio/weights.h
 * tells files from synthetic): q, k and v stacked into one matrix that one
 * matmul reads, gate and up likewise (in place when the file stores up
 * right after gate, as Transformers' alphabetical order usually does), norm
 * vectors in f32.  And what one token reads of them. */
#include <stdio.h>
#include <string.h>

#include "model/weights.h"

#define NAME_MAX_LEN 128

static const char *layer_name(char *name, uint32_t l, const char *suffix) {
  snprintf(name, NAME_MAX_LEN, "model.layers.%u.%s", l, suffix);
  return name;
}

static pio_status build_layer(pio_weights *set, const pio_model_config *c, uint32_t l,
                              llama_layer_weights *L, pio_error *err) {
  const uint32_t d = c->hidden_size, q_dim = c->n_heads * c->head_dim;
  const uint32_t kv_dim = c->n_kv_heads * c->head_dim, ff = c->intermediate_size;
  char q[NAME_MAX_LEN], k[NAME_MAX_LEN], v[NAME_MAX_LEN], gate[NAME_MAX_LEN], up[NAME_MAX_LEN];
  char name[NAME_MAX_LEN];
  const char *const qkv[3] = {layer_name(q, l, "self_attn.q_proj.weight"),
                              layer_name(k, l, "self_attn.k_proj.weight"),
                              layer_name(v, l, "self_attn.v_proj.weight")};
  const uint32_t qkv_rows[3] = {q_dim, kv_dim, kv_dim};
  const char *const gate_up[2] = {layer_name(gate, l, "mlp.gate_proj.weight"),
                                  layer_name(up, l, "mlp.up_proj.weight")};
  const uint32_t gate_up_rows[2] = {ff, ff};
  pio_status s = pio_weights_stacked(set, qkv, qkv_rows, 3, d, &L->qkv, err);
  if (s == PIO_OK)
    s = pio_weights_matrix(set, layer_name(name, l, "self_attn.o_proj.weight"), d, q_dim, &L->o,
                           err);
  if (s == PIO_OK) s = pio_weights_stacked(set, gate_up, gate_up_rows, 2, d, &L->mlp.gate_up, err);
  if (s == PIO_OK)
    s = pio_weights_matrix(set, layer_name(name, l, "mlp.down_proj.weight"), d, ff,
                           &L->mlp.down, err);
  if (s == PIO_OK)
    s = pio_weights_vector(set, layer_name(name, l, "input_layernorm.weight"), d, 1.0f, 0.0f,
                           &L->attn_norm, err);
  if (s == PIO_OK)
    s = pio_weights_vector(set, layer_name(name, l, "post_attention_layernorm.weight"), d, 1.0f,
                           0.0f, &L->mlp_norm, err);
  return s;
}

static pio_status build(llama_weights *w, const pio_model_config *c, pio_error *err) {
  pio_weights *set = &w->set;
  w->n_layers = c->n_layers;
  w->layers = pio_weights_alloc(set, (size_t)c->n_layers * sizeof *w->layers, err);
  if (w->layers == NULL) return PIO_ERR_NO_MEMORY;
  memset(w->layers, 0, (size_t)c->n_layers * sizeof *w->layers);
  pio_status s = pio_weights_matrix(set, "model.embed_tokens.weight", c->vocab_size,
                                    c->hidden_size, &w->embed, err);
  for (uint32_t l = 0; l < c->n_layers && s == PIO_OK; l++)
    s = build_layer(set, c, l, &w->layers[l], err);
  if (s != PIO_OK) return s;
  return pio_weights_output_head(set, c->tie_word_embeddings, &w->embed, &w->lm_head,
                                 &w->final_norm, err);
}

/* Tensors Transformers itself ignores when loading a Llama checkpoint. */
static int ignorable(const char *name, const void *ctx) {
  static const char suffix[] = ".rotary_emb.inv_freq";
  const size_t n = strlen(name), k = sizeof suffix - 1;
  (void)ctx;
  return n >= k && strcmp(name + n - k, suffix) == 0;
}

pio_status llama_weights_load(llama_weights *w, const pio_model_config *config,
                              const char *dir, uint32_t load, pio_error *err) {
  memset(w, 0, sizeof *w);
  pio_status s = pio_weights_open(&w->set, dir, load, err);
  if (s == PIO_OK) s = build(w, config, err);
  if (s == PIO_OK)
    s = pio_weights_check_unused(&w->set, config->architecture, ignorable, NULL, err);
  if (s != PIO_OK) llama_weights_free(w);
  return s;
}

pio_status llama_weights_synthetic(llama_weights *w, const pio_model_config *config,
                                   pio_dtype dtype, uint64_t seed, pio_threadpool *pool,
                                   pio_error *err) {
  memset(w, 0, sizeof *w);
  pio_status s = pio_weights_synthetic(&w->set, dtype, seed, pool, err);
  if (s == PIO_OK) s = build(w, config, err);
  if (s != PIO_OK) llama_weights_free(w);
  return s;
}

void llama_weights_free(llama_weights *w) {
  if (w == NULL) return;
  pio_weights_free(&w->set);
  memset(w, 0, sizeof *w);
}

uint64_t llama_weights_bytes_per_token(const llama_weights *w, const pio_model_config *c) {
  uint64_t bytes = 0;
  for (uint32_t l = 0; l < w->n_layers; l++) {
    const llama_layer_weights *L = &w->layers[l];
    bytes += pio_matrix_bytes(&L->qkv) + pio_matrix_bytes(&L->o) +
             pio_matrix_bytes(&L->mlp.gate_up) + pio_matrix_bytes(&L->mlp.down);
  }
  const uint64_t norms = (2ull * c->n_layers + 1) * c->hidden_size * sizeof(float);
  const uint64_t embed_row = (uint64_t)c->hidden_size * pio_dtype_size(w->embed.dtype);
  return bytes + pio_matrix_bytes(&w->lm_head) + norms + embed_row;
}
