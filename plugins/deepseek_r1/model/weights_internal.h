/* model/weights_internal.h — the walk over a DeepSeek model's tensors that
 * loading and synthetic building share (not used outside model/weights*.c). */
#ifndef PIO_DEEPSEEK_R1_WEIGHTS_INTERNAL_H
#define PIO_DEEPSEEK_R1_WEIGHTS_INTERNAL_H

#include "model/weights.h"

typedef struct deepseek_builder deepseek_builder;

/* Fills one routed expert, prefix "model.layers.L.mlp.experts.E.". */
typedef pio_status (*deepseek_expert_fn)(deepseek_builder *b, const char *prefix,
                                         pio_swiglu_weights *out, pio_error *err);

struct deepseek_builder {
  deepseek_weights *w;            /* w->set already opened or made synthetic */
  const pio_model_config *config;
  deepseek_expert_fn expert_fn;
  uint64_t slot;                  /* routed experts built so far (the synthetic pool's cursor) */
};

/* Asks w->set for every tensor of the model, in order, into b->w. */
pio_status deepseek_build(deepseek_builder *b, pio_error *err);

/* A SwiGLU MLP named prefix + {gate,up,down}_proj.weight. */
pio_status deepseek_build_mlp(pio_weights *set, const char *prefix, uint32_t d, uint32_t d_ff,
                              pio_swiglu_weights *out, pio_error *err);

#endif
