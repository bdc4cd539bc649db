/* pio/dtype.h — element types of weights, activations and the KV cache. */
#ifndef PIO_DTYPE_H
#define PIO_DTYPE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum pio_dtype {
  PIO_DTYPE_F32 = 0,
  PIO_DTYPE_BF16 = 1,
  PIO_DTYPE_F16 = 2,
  PIO_DTYPE_FP8 = 3,  /* float8 e4m3 */
  PIO_DTYPE_INT8 = 4,
  PIO_DTYPE_COUNT
} pio_dtype;

/* Bytes one element takes (0 for an out-of-range value). */
size_t pio_dtype_size(pio_dtype dtype);

/* Short lower-case name: "fp32", "bf16", "fp16", "fp8", "int8". */
const char *pio_dtype_name(pio_dtype dtype);

/* Parses a name as users type it: the names above and the aliases
 * "f32", "float32", "bfloat16", "f16", "float16", "half".  Returns 0 on
 * success and -1 for an unknown name. */
int pio_dtype_parse(const char *name, pio_dtype *out);

/* Scalar conversions (round to nearest even on narrowing). */
float pio_bf16_to_f32(uint16_t v);
uint16_t pio_f32_to_bf16(float v);
float pio_f16_to_f32(uint16_t v);
uint16_t pio_f32_to_f16(float v);

#ifdef __cplusplus
}
#endif
#endif
