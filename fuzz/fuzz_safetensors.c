/* fuzz/fuzz_safetensors.c — libFuzzer target for the safetensors reader
 * (header length, JSON header, dtypes, shapes, offsets against the file).
 * An accepted file must keep its promises: every tensor lies inside the
 * mapping, its byte count is shape x dtype size, and reading every byte of
 * every tensor stays in bounds (AddressSanitizer watches). */
#include "fuzz_file.h"
#include "pio/safetensors.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint64_t checksum_bytes(const unsigned char *p, uint64_t n) {
  uint64_t h = 0;
  for (uint64_t i = 0; i < n; i++) h = h * 31 + p[i];
  return h;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *path = fuzz_write_file(data, size);
  pio_safetensors *set = NULL;
  pio_error err;
  pio_status st = pio_safetensors_open_file(path, &set, &err);
  if (st != PIO_OK) {
    fuzz_check_error(st, &err);
    fuzz_require(set == NULL, "nothing is returned on error");
    return 0;
  }
  size_t n = pio_safetensors_count(set);
  volatile uint64_t sink = 0;
  for (size_t i = 0; i < n; i++) {
    const pio_tensor_info *t = pio_safetensors_at(set, i);
    fuzz_require(t != NULL && t->name != NULL, "every tensor has a name");
    fuzz_require(t->n_dims <= PIO_TENSOR_MAX_DIMS, "dimensions within the limit");
    uint64_t elements = 1;
    for (uint32_t d = 0; d < t->n_dims; d++) elements *= t->shape[d];
    fuzz_require(t->n_bytes == elements * pio_dtype_size(t->dtype), "bytes = shape x dtype");
    fuzz_require(t->n_bytes <= size, "a tensor is no larger than its file");
    fuzz_require(pio_safetensors_find(set, t->name) == t, "find returns the tensor");
    sink += checksum_bytes(t->data, t->n_bytes);
    const pio_tensor_info *expected = NULL;
    fuzz_require(pio_safetensors_expect(set, t->name, t->n_dims, t->shape, &expected, &err) ==
                     PIO_OK && expected == t,
                 "a tensor is found with its own shape");
  }
  const char *unused[4];
  (void)pio_safetensors_unused(set, unused, 4);
  (void)sink;
  pio_safetensors_close(set);
  return 0;
}
