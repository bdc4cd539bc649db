/* benchmarks/kvxfer_wire.h — the control messages of `pio-bench kvxfer`:
 * what the two ranks tell each other over their small TCP connection (the
 * KV shapes, UCX worker addresses and memory keys, which pass runs, whether
 * the target found every byte right).  The KV pages themselves never travel
 * here; UCX moves them.  Encoding and decoding only: no IO, so every
 * decoder can be fed hostile bytes (fuzz/fuzz_kvxfer_wire.c).
 *
 * A frame is a 12-byte header — magic "PKVX", protocol version (u16),
 * message type (u16), payload length (u32), all little-endian — and the
 * payload.  Strings travel as u16 length + bytes, blobs as u32 length +
 * bytes. */
#ifndef PIO_BENCH_KVXFER_WIRE_H
#define PIO_BENCH_KVXFER_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include "kv_layout.h"
#include "pio/status.h"

#define PIO_KVXFER_MAGIC 0x58564b50u /* "PKVX" in little-endian order */
#define PIO_KVXFER_VERSION 1u
#define PIO_KVXFER_HEADER_BYTES 12u
/* The largest payload either rank accepts: addresses and keys are a few
 * hundred bytes; anything near this is a hostile or confused peer. */
#define PIO_KVXFER_MAX_PAYLOAD (64u << 10)
#define PIO_KVXFER_MAX_BLOB (16u << 10)
#define PIO_KVXFER_MODEL_MAX 128u
#define PIO_KVXFER_TEXT_MAX 512u

typedef enum pio_kvxfer_type {
  PIO_KVXFER_HELLO = 1, /* initiator -> target: its shape and worker address */
  PIO_KVXFER_WELCOME,   /* target -> initiator: accepted or why not; address, key, base */
  PIO_KVXFER_PREPARE,   /* initiator -> target: a pass of op begins */
  PIO_KVXFER_READY,     /* target -> initiator: its pool is ready for the pass */
  PIO_KVXFER_CHECK,     /* initiator -> target: verify the pool against a seed */
  PIO_KVXFER_VERDICT,   /* target -> initiator: every byte right, or the first wrong */
  PIO_KVXFER_SINK,      /* initiator -> target: this many raw bytes follow (socket limit) */
  PIO_KVXFER_SUNK,      /* target -> initiator: they arrived */
  PIO_KVXFER_BYE,       /* either way: done, close */
  PIO_KVXFER_ERROR,     /* either way: the sender failed; the text says why */
  PIO_KVXFER_ALIVE,     /* initiator -> target: still moving pages (a pass can outlast a wait) */
  PIO_KVXFER_TYPE_END
} pio_kvxfer_type;

/* "HELLO", "WELCOME", ...; "unknown message" for others. */
const char *pio_kvxfer_type_name(uint32_t type);

/* What a rank holds: the model's name and the KV layout it derived. */
typedef struct pio_kvxfer_shape {
  char model[PIO_KVXFER_MODEL_MAX];
  uint32_t kv_dtype, tp, pp, page_size, isl;
  pio_bench_kv_layout layout;
} pio_kvxfer_shape;

/* An opaque blob inside a decoded payload (points into it). */
typedef struct pio_kvxfer_blob {
  const uint8_t *data;
  uint32_t len;
} pio_kvxfer_blob;

typedef struct pio_kvxfer_hello {
  pio_kvxfer_shape shape;
  pio_kvxfer_blob worker_address;
} pio_kvxfer_hello;

typedef struct pio_kvxfer_welcome {
  uint32_t accepted;      /* 0: reason says why (the shapes differ) */
  char reason[PIO_KVXFER_TEXT_MAX];
  pio_kvxfer_shape shape;
  pio_kvxfer_blob worker_address, rkey;
  uint64_t remote_base;   /* the pool's address in the target */
} pio_kvxfer_welcome;

typedef enum pio_kvxfer_op { PIO_KVXFER_PUT = 0, PIO_KVXFER_GET = 1 } pio_kvxfer_op;

typedef struct pio_kvxfer_prepare {
  uint32_t op;            /* pio_kvxfer_op: for GET the target fills its pool */
  uint64_t seed;          /* of the pattern the pool holds (GET) or will (PUT) */
} pio_kvxfer_prepare;

typedef struct pio_kvxfer_verdict {
  uint32_t ok;
  uint64_t bad_offset;    /* when not ok: the first wrong byte's pool offset */
  uint8_t got, expected;
} pio_kvxfer_verdict;

/* A payload being written; overflow is set (and len frozen) when it would
 * pass cap. */
typedef struct pio_kvxfer_writer {
  uint8_t *buf;
  size_t cap, len;
  int overflow;
} pio_kvxfer_writer;

/* Starts a frame of type in buf[0..cap): the header, its length filled by
 * pio_kvxfer_frame_end.  Returns the frame's bytes, 0 on overflow. */
void pio_kvxfer_frame_begin(pio_kvxfer_writer *w, uint8_t *buf, size_t cap, uint32_t type);
size_t pio_kvxfer_frame_end(pio_kvxfer_writer *w);

void pio_kvxfer_put_hello(pio_kvxfer_writer *w, const pio_kvxfer_hello *m);
void pio_kvxfer_put_welcome(pio_kvxfer_writer *w, const pio_kvxfer_welcome *m);
void pio_kvxfer_put_prepare(pio_kvxfer_writer *w, const pio_kvxfer_prepare *m);
void pio_kvxfer_put_u64(pio_kvxfer_writer *w, uint64_t v); /* CHECK's seed, SINK's bytes */
void pio_kvxfer_put_verdict(pio_kvxfer_writer *w, const pio_kvxfer_verdict *m);
void pio_kvxfer_put_text(pio_kvxfer_writer *w, const char *text); /* ERROR */

/* Checks a frame header: magic, version, a known type, a length within
 * PIO_KVXFER_MAX_PAYLOAD.  PIO_ERR_INVALID naming what is wrong. */
pio_status pio_kvxfer_header_decode(const uint8_t header[PIO_KVXFER_HEADER_BYTES],
                                    uint32_t *type, uint32_t *payload_len, pio_error *err);

/* Each decodes a whole payload (trailing bytes are an error); blobs point
 * into payload.  PIO_ERR_INVALID naming the message, field and byte. */
pio_status pio_kvxfer_get_hello(const uint8_t *payload, size_t len, pio_kvxfer_hello *out,
                                pio_error *err);
pio_status pio_kvxfer_get_welcome(const uint8_t *payload, size_t len, pio_kvxfer_welcome *out,
                                  pio_error *err);
pio_status pio_kvxfer_get_prepare(const uint8_t *payload, size_t len, pio_kvxfer_prepare *out,
                                  pio_error *err);
pio_status pio_kvxfer_get_u64(const uint8_t *payload, size_t len, uint32_t type, uint64_t *out,
                              pio_error *err);
pio_status pio_kvxfer_get_verdict(const uint8_t *payload, size_t len, pio_kvxfer_verdict *out,
                                  pio_error *err);
/* ERROR's text into out (size bytes, NUL-terminated, control bytes shown as '?'). */
pio_status pio_kvxfer_get_text(const uint8_t *payload, size_t len, char *out, size_t size,
                               pio_error *err);

/* 0 when mine and theirs describe the same pages (model names aside); else
 * writes what differs into why: "layers 16 here, 32 THERE; ..." with there
 * naming the peer ("at the target"). */
int pio_kvxfer_shape_compare(const pio_kvxfer_shape *mine, const pio_kvxfer_shape *theirs,
                             const char *there, char *why, size_t size);

#endif
