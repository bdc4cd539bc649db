/* sdk/src/dtype.c — element type names, sizes and scalar conversions. */
#include <string.h>

#include "pio/dtype.h"

static const struct {
  const char *name;
  size_t size;
} dtype_table[PIO_DTYPE_COUNT] = {
    [PIO_DTYPE_F32] = {"fp32", 4}, [PIO_DTYPE_BF16] = {"bf16", 2},
    [PIO_DTYPE_F16] = {"fp16", 2}, [PIO_DTYPE_FP8] = {"fp8", 1},
    [PIO_DTYPE_INT8] = {"int8", 1},
};

size_t pio_dtype_size(pio_dtype dtype) {
  return (unsigned)dtype < PIO_DTYPE_COUNT ? dtype_table[dtype].size : 0;
}

const char *pio_dtype_name(pio_dtype dtype) {
  return (unsigned)dtype < PIO_DTYPE_COUNT ? dtype_table[dtype].name : "unknown";
}

int pio_dtype_parse(const char *name, pio_dtype *out) {
  static const struct {
    const char *alias;
    pio_dtype dtype;
  } aliases[] = {
      {"fp32", PIO_DTYPE_F32},      {"f32", PIO_DTYPE_F32},  {"float32", PIO_DTYPE_F32},
      {"bf16", PIO_DTYPE_BF16},     {"bfloat16", PIO_DTYPE_BF16},
      {"fp16", PIO_DTYPE_F16},      {"f16", PIO_DTYPE_F16},  {"float16", PIO_DTYPE_F16},
      {"half", PIO_DTYPE_F16},      {"fp8", PIO_DTYPE_FP8},  {"int8", PIO_DTYPE_INT8},
  };
  if (name == NULL) return -1;
  for (size_t i = 0; i < sizeof aliases / sizeof aliases[0]; i++) {
    if (strcmp(name, aliases[i].alias) == 0) {
      *out = aliases[i].dtype;
      return 0;
    }
  }
  return -1;
}

static uint32_t float_bits(float v) {
  uint32_t bits;
  memcpy(&bits, &v, sizeof bits);
  return bits;
}

static float bits_float(uint32_t bits) {
  float v;
  memcpy(&v, &bits, sizeof v);
  return v;
}

float pio_bf16_to_f32(uint16_t v) { return bits_float((uint32_t)v << 16); }

uint16_t pio_f32_to_bf16(float v) {
  uint32_t bits = float_bits(v);
  if ((bits & 0x7fffffffu) > 0x7f800000u) return (uint16_t)((bits >> 16) | 0x40u); /* quiet NaN */
  bits += 0x7fffu + ((bits >> 16) & 1u); /* round to nearest even */
  return (uint16_t)(bits >> 16);
}

float pio_f16_to_f32(uint16_t h) {
  uint32_t sign = (uint32_t)(h & 0x8000u) << 16;
  uint32_t exponent = (h >> 10) & 0x1fu;
  uint32_t mantissa = h & 0x3ffu;
  if (exponent == 0x1fu) return bits_float(sign | 0x7f800000u | (mantissa << 13));
  if (exponent != 0) return bits_float(sign | ((exponent + 112u) << 23) | (mantissa << 13));
  /* zero or subnormal: mantissa x 2^-24 */
  float magnitude = (float)mantissa * (1.0f / 16777216.0f);
  return sign ? -magnitude : magnitude;
}

uint16_t pio_f32_to_f16(float v) {
  uint32_t bits = float_bits(v);
  uint16_t sign = (uint16_t)((bits >> 16) & 0x8000u);
  uint32_t abs_bits = bits & 0x7fffffffu;
  if (abs_bits > 0x7f800000u) return (uint16_t)(sign | 0x7e00u);  /* NaN */
  if (abs_bits >= 0x477ff000u) return (uint16_t)(sign | 0x7c00u); /* overflows to inf */
  if (abs_bits < 0x38800000u) {                                   /* subnormal or zero */
    float magnitude = bits_float(abs_bits) * 16777216.0f;         /* in units of 2^-24 */
    uint32_t q = (uint32_t)magnitude;
    float rest = magnitude - (float)q;
    if (rest > 0.5f || (rest == 0.5f && (q & 1u))) q++;
    return (uint16_t)(sign | q);
  }
  uint32_t rounded = abs_bits + 0xfffu + ((abs_bits >> 13) & 1u);
  return (uint16_t)(sign | ((rounded - (112u << 23)) >> 13));
}
