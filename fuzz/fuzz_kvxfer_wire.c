/* fuzz/fuzz_kvxfer_wire.c — libFuzzer target for kvxfer's control messages
 * (benchmarks/kvxfer_wire.c), the bytes a network peer sends: the first
 * byte picks the decoder, the rest is the frame header or payload.  Beyond
 * "no crash", it checks the decoders' promises: an error fills the record
 * with its code and a printable message naming the message; an accepted
 * message points only inside the input, its shape adds up, its strings are
 * terminated and printable, and it re-encodes to the same bytes. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kvxfer_wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void require(int condition, const char *what) {
  if (!condition) {
    fprintf(stderr, "fuzz_kvxfer_wire: broken promise: %s\n", what);
    abort();
  }
}

static int printable(const char *text) {
  for (; *text != '\0'; text++)
    if ((unsigned char)*text < 0x20 || *text == 0x7F) return 0;
  return 1;
}

static void check_error(pio_status s, const pio_error *err) {
  require(err->code == s, "error code equals the returned status");
  require(memchr(err->message, '\0', sizeof err->message) != NULL, "message is terminated");
  require(err->message[0] != '\0', "message is not empty");
  require(printable(err->message), "message has no control characters");
}

static void check_blob(const pio_kvxfer_blob *b, const uint8_t *p, size_t n) {
  require(b->len == 0 || (b->data >= p && b->data + b->len <= p + n), "blob inside the input");
}

static void check_shape(const pio_kvxfer_shape *s) {
  const pio_bench_kv_layout *l = &s->layout;
  require(l->layers > 0 && l->pages > 0, "a shape has layers and pages");
  require((uint64_t)l->layers * l->layer_bytes == l->page_bytes, "page = layers x layer");
  require(l->total_bytes / l->pages == l->page_bytes, "total = pages x page");
  require(printable(s->model), "model name printable");
}

/* Re-encodes an accepted message and compares it with the input. */
static void check_round_trip(uint32_t type, const void *m, const uint8_t *p, size_t n) {
  static uint8_t buf[PIO_KVXFER_HEADER_BYTES + PIO_KVXFER_MAX_PAYLOAD];
  pio_kvxfer_writer w;
  pio_kvxfer_frame_begin(&w, buf, sizeof buf, type);
  if (type == PIO_KVXFER_HELLO) pio_kvxfer_put_hello(&w, m);
  if (type == PIO_KVXFER_WELCOME) pio_kvxfer_put_welcome(&w, m);
  if (type == PIO_KVXFER_PREPARE) pio_kvxfer_put_prepare(&w, m);
  if (type == PIO_KVXFER_VERDICT) pio_kvxfer_put_verdict(&w, m);
  size_t len = pio_kvxfer_frame_end(&w);
  require(len == PIO_KVXFER_HEADER_BYTES + n, "re-encoded to the same length");
  /* Strings come back with control bytes shown as '?': messages with
   * strings are compared by length only. */
  if (type != PIO_KVXFER_HELLO && type != PIO_KVXFER_WELCOME)
    require(memcmp(buf + PIO_KVXFER_HEADER_BYTES, p, n) == 0, "re-encoded to the same bytes");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1) return 0;
  const uint8_t *p = data + 1;
  size_t n = size - 1;
  pio_error err;
  memset(&err, 0, sizeof err);
  pio_status s = PIO_OK;
  switch (data[0] % 7) {
    case 0: {
      if (n < PIO_KVXFER_HEADER_BYTES) return 0;
      uint32_t type = 0, len = 0;
      s = pio_kvxfer_header_decode(p, &type, &len, &err);
      if (s == PIO_OK)
        require(type > 0 && type < PIO_KVXFER_TYPE_END && len <= PIO_KVXFER_MAX_PAYLOAD,
                "an accepted header is in range");
      break;
    }
    case 1: {
      pio_kvxfer_hello h;
      if ((s = pio_kvxfer_get_hello(p, n, &h, &err)) == PIO_OK) {
        check_shape(&h.shape);
        check_blob(&h.worker_address, p, n);
        require(h.worker_address.len > 0, "a hello has an address");
        check_round_trip(PIO_KVXFER_HELLO, &h, p, n);
      }
      break;
    }
    case 2: {
      pio_kvxfer_welcome w;
      if ((s = pio_kvxfer_get_welcome(p, n, &w, &err)) == PIO_OK) {
        check_shape(&w.shape);
        check_blob(&w.worker_address, p, n);
        check_blob(&w.rkey, p, n);
        require(printable(w.reason), "reason printable");
        check_round_trip(PIO_KVXFER_WELCOME, &w, p, n);
      }
      break;
    }
    case 3: {
      pio_kvxfer_prepare m;
      if ((s = pio_kvxfer_get_prepare(p, n, &m, &err)) == PIO_OK) {
        require(m.op <= PIO_KVXFER_GET, "op in range");
        check_round_trip(PIO_KVXFER_PREPARE, &m, p, n);
      }
      break;
    }
    case 4: {
      pio_kvxfer_verdict v;
      if ((s = pio_kvxfer_get_verdict(p, n, &v, &err)) == PIO_OK)
        check_round_trip(PIO_KVXFER_VERDICT, &v, p, n);
      break;
    }
    case 5: {
      uint64_t v;
      s = pio_kvxfer_get_u64(p, n, PIO_KVXFER_CHECK, &v, &err);
      require(s != PIO_OK || n == 8, "a u64 message is 8 bytes");
      break;
    }
    default: {
      char text[PIO_KVXFER_TEXT_MAX];
      if ((s = pio_kvxfer_get_text(p, n, text, sizeof text, &err)) == PIO_OK)
        require(printable(text), "error text printable");
      break;
    }
  }
  if (s != PIO_OK) check_error(s, &err);
  return 0;
}
