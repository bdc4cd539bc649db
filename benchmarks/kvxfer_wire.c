/* benchmarks/kvxfer_wire.c — encoding and decoding kvxfer's control
 * messages: little-endian fields, bounded strings and blobs, every length
 * checked against what is left before it is read. */
#include "kvxfer_wire.h"

#include <stdio.h>
#include <string.h>

#include "pio/dtype.h"

static const char *const type_names[PIO_KVXFER_TYPE_END] = {
    NULL, "HELLO", "WELCOME", "PREPARE", "READY", "CHECK", "VERDICT", "SINK", "SUNK", "BYE",
    "ERROR", "ALIVE"};

const char *pio_kvxfer_type_name(uint32_t type) {
  return type > 0 && type < PIO_KVXFER_TYPE_END ? type_names[type] : "unknown message";
}

/* --- writing --- */

static void put_bytes(pio_kvxfer_writer *w, const void *p, size_t n) {
  if (n == 0) return; /* an empty blob may have no data pointer */
  if (w->overflow || n > w->cap - w->len) {
    w->overflow = 1;
    return;
  }
  memcpy(w->buf + w->len, p, n);
  w->len += n;
}

static void put_le(pio_kvxfer_writer *w, uint64_t v, int bytes) {
  uint8_t b[8];
  for (int i = 0; i < bytes; i++) b[i] = (uint8_t)(v >> (8 * i));
  put_bytes(w, b, (size_t)bytes);
}

static void put_u16(pio_kvxfer_writer *w, uint16_t v) { put_le(w, v, 2); }
static void put_u32(pio_kvxfer_writer *w, uint32_t v) { put_le(w, v, 4); }
void pio_kvxfer_put_u64(pio_kvxfer_writer *w, uint64_t v) { put_le(w, v, 8); }

static void put_str(pio_kvxfer_writer *w, const char *s) {
  size_t n = strnlen(s, PIO_KVXFER_TEXT_MAX - 1);
  put_u16(w, (uint16_t)n);
  put_bytes(w, s, n);
}

static void put_blob(pio_kvxfer_writer *w, const pio_kvxfer_blob *b) {
  put_u32(w, b->len);
  put_bytes(w, b->data, b->len);
}

void pio_kvxfer_frame_begin(pio_kvxfer_writer *w, uint8_t *buf, size_t cap, uint32_t type) {
  w->buf = buf;
  w->cap = cap;
  w->len = 0;
  w->overflow = 0;
  put_u32(w, PIO_KVXFER_MAGIC);
  put_u16(w, PIO_KVXFER_VERSION);
  put_u16(w, (uint16_t)type);
  put_u32(w, 0); /* the payload's length, once known */
}

size_t pio_kvxfer_frame_end(pio_kvxfer_writer *w) {
  if (w->overflow || w->len < PIO_KVXFER_HEADER_BYTES ||
      w->len - PIO_KVXFER_HEADER_BYTES > PIO_KVXFER_MAX_PAYLOAD)
    return 0;
  uint32_t n = (uint32_t)(w->len - PIO_KVXFER_HEADER_BYTES);
  for (int i = 0; i < 4; i++) w->buf[8 + i] = (uint8_t)(n >> (8 * i));
  return w->len;
}

static void put_shape(pio_kvxfer_writer *w, const pio_kvxfer_shape *s) {
  put_str(w, s->model);
  put_u32(w, s->kv_dtype);
  put_u32(w, s->tp);
  put_u32(w, s->pp);
  put_u32(w, s->page_size);
  put_u32(w, s->isl);
  put_u32(w, s->layout.layers);
  pio_kvxfer_put_u64(w, s->layout.pages);
  pio_kvxfer_put_u64(w, s->layout.layer_bytes);
  pio_kvxfer_put_u64(w, s->layout.page_bytes);
  pio_kvxfer_put_u64(w, s->layout.total_bytes);
}

void pio_kvxfer_put_hello(pio_kvxfer_writer *w, const pio_kvxfer_hello *m) {
  put_shape(w, &m->shape);
  put_blob(w, &m->worker_address);
}

void pio_kvxfer_put_welcome(pio_kvxfer_writer *w, const pio_kvxfer_welcome *m) {
  put_u32(w, m->accepted);
  put_str(w, m->reason);
  put_shape(w, &m->shape);
  put_blob(w, &m->worker_address);
  put_blob(w, &m->rkey);
  pio_kvxfer_put_u64(w, m->remote_base);
}

void pio_kvxfer_put_prepare(pio_kvxfer_writer *w, const pio_kvxfer_prepare *m) {
  put_u32(w, m->op);
  pio_kvxfer_put_u64(w, m->seed);
}

void pio_kvxfer_put_verdict(pio_kvxfer_writer *w, const pio_kvxfer_verdict *m) {
  put_u32(w, m->ok);
  pio_kvxfer_put_u64(w, m->bad_offset);
  put_bytes(w, &m->got, 1);
  put_bytes(w, &m->expected, 1);
}

void pio_kvxfer_put_text(pio_kvxfer_writer *w, const char *text) { put_str(w, text); }

/* --- reading --- */

typedef struct reader {
  const uint8_t *p;
  size_t len, pos;
  const char *message; /* for errors: "HELLO" */
  pio_error *err;
  int failed;
} reader;

/* Takes n bytes, or fails naming the field. */
static const uint8_t *take(reader *r, size_t n, const char *field) {
  if (r->failed) return NULL;
  if (n > r->len - r->pos) {
    r->failed = 1;
    pio_error_set(r->err, PIO_ERR_INVALID, "%s: truncated at byte %zu of %zu (field '%s' needs "
                  "%zu more)", r->message, r->pos, r->len, field, n - (r->len - r->pos));
    return NULL;
  }
  const uint8_t *at = r->p + r->pos;
  r->pos += n;
  return at;
}

static uint64_t get_le(reader *r, int bytes, const char *field) {
  const uint8_t *b = take(r, (size_t)bytes, field);
  uint64_t v = 0;
  for (int i = 0; b != NULL && i < bytes; i++) v |= (uint64_t)b[i] << (8 * i);
  return v;
}

static uint32_t get_u32(reader *r, const char *field) { return (uint32_t)get_le(r, 4, field); }
static uint64_t get_u64(reader *r, const char *field) { return get_le(r, 8, field); }

static void bad(reader *r, const char *field, const char *why) {
  if (r->failed) return;
  r->failed = 1;
  pio_error_set(r->err, PIO_ERR_INVALID, "%s: field '%s' %s", r->message, field, why);
}

/* A string of at most size - 1 bytes, no NUL inside; control bytes shown as '?'. */
static void get_str(reader *r, char *out, size_t size, const char *field) {
  out[0] = '\0';
  size_t n = (size_t)get_le(r, 2, field);
  const uint8_t *b = take(r, n, field);
  if (b == NULL) return;
  if (n >= size) {
    bad(r, field, "is too long");
    return;
  }
  for (size_t i = 0; i < n; i++) {
    if (b[i] == '\0') {
      bad(r, field, "holds a NUL byte");
      return;
    }
    out[i] = b[i] < 0x20 || b[i] == 0x7f ? '?' : (char)b[i];
  }
  out[n] = '\0';
}

static void get_blob(reader *r, pio_kvxfer_blob *out, const char *field) {
  out->len = get_u32(r, field);
  if (!r->failed && out->len > PIO_KVXFER_MAX_BLOB) {
    bad(r, field, "is larger than 16 KiB");
    out->len = 0;
  }
  out->data = take(r, out->len, field);
  if (out->data == NULL) out->len = 0;
}

static void get_shape(reader *r, pio_kvxfer_shape *s) {
  memset(s, 0, sizeof *s);
  get_str(r, s->model, sizeof s->model, "model");
  s->kv_dtype = get_u32(r, "kv_dtype");
  s->tp = get_u32(r, "tp");
  s->pp = get_u32(r, "pp");
  s->page_size = get_u32(r, "page_size");
  s->isl = get_u32(r, "isl");
  s->layout.layers = get_u32(r, "layers");
  s->layout.pages = get_u64(r, "pages");
  s->layout.layer_bytes = get_u64(r, "layer_bytes");
  s->layout.page_bytes = get_u64(r, "page_bytes");
  s->layout.total_bytes = get_u64(r, "total_bytes");
  if (r->failed) return;
  if (s->kv_dtype >= PIO_DTYPE_COUNT) {
    bad(r, "kv_dtype", "is not a dtype pio knows");
    return;
  }
  /* A shape that does not hold together is refused before anyone sizes
   * memory by it. */
  const pio_bench_kv_layout *l = &s->layout;
  if (l->layers == 0 || l->pages == 0 || l->layer_bytes == 0 ||
      l->page_bytes / l->layers != l->layer_bytes || l->page_bytes % l->layers != 0 ||
      l->total_bytes / l->pages != l->page_bytes || l->total_bytes % l->pages != 0)
    bad(r, "total_bytes", "does not equal pages x layers x layer_bytes");
}

static pio_status finish(reader *r) {
  if (!r->failed && r->pos != r->len) {
    r->failed = 1;
    pio_error_set(r->err, PIO_ERR_INVALID, "%s: %zu unexpected bytes after the last field",
                  r->message, r->len - r->pos);
  }
  return r->failed ? PIO_ERR_INVALID : PIO_OK;
}

static reader reader_of(const uint8_t *p, size_t len, const char *message, pio_error *err) {
  reader r = {p, len, 0, message, err, 0};
  return r;
}

pio_status pio_kvxfer_header_decode(const uint8_t h[PIO_KVXFER_HEADER_BYTES], uint32_t *type,
                                    uint32_t *payload_len, pio_error *err) {
  reader r = reader_of(h, PIO_KVXFER_HEADER_BYTES, "frame header", err);
  uint32_t magic = get_u32(&r, "magic");
  uint32_t version = (uint32_t)get_le(&r, 2, "version");
  *type = (uint32_t)get_le(&r, 2, "type");
  *payload_len = get_u32(&r, "length");
  if (magic != PIO_KVXFER_MAGIC)
    return pio_error_set(err, PIO_ERR_INVALID, "the peer does not speak kvxfer (its first bytes "
                         "are 0x%08x, not \"PKVX\"): is it pio-bench kvxfer?", magic);
  if (version != PIO_KVXFER_VERSION)
    return pio_error_set(err, PIO_ERR_INVALID, "the peer speaks kvxfer protocol version %u, this "
                         "pio-bench speaks %u: run the same pio on both ranks", version,
                         PIO_KVXFER_VERSION);
  if (*type == 0 || *type >= PIO_KVXFER_TYPE_END)
    return pio_error_set(err, PIO_ERR_INVALID, "the peer sent an unknown message type %u",
                         *type);
  if (*payload_len > PIO_KVXFER_MAX_PAYLOAD)
    return pio_error_set(err, PIO_ERR_INVALID, "the peer announced a %s of %u bytes; at most %u "
                         "are accepted", pio_kvxfer_type_name(*type), *payload_len,
                         PIO_KVXFER_MAX_PAYLOAD);
  return PIO_OK;
}

pio_status pio_kvxfer_get_hello(const uint8_t *payload, size_t len, pio_kvxfer_hello *out,
                                pio_error *err) {
  reader r = reader_of(payload, len, "HELLO", err);
  get_shape(&r, &out->shape);
  get_blob(&r, &out->worker_address, "worker_address");
  if (!r.failed && out->worker_address.len == 0) bad(&r, "worker_address", "is empty");
  return finish(&r);
}

pio_status pio_kvxfer_get_welcome(const uint8_t *payload, size_t len, pio_kvxfer_welcome *out,
                                  pio_error *err) {
  reader r = reader_of(payload, len, "WELCOME", err);
  out->accepted = get_u32(&r, "accepted");
  get_str(&r, out->reason, sizeof out->reason, "reason");
  get_shape(&r, &out->shape);
  get_blob(&r, &out->worker_address, "worker_address");
  get_blob(&r, &out->rkey, "rkey");
  out->remote_base = get_u64(&r, "remote_base");
  if (!r.failed && out->accepted > 1) bad(&r, "accepted", "is neither 0 nor 1");
  if (!r.failed && out->accepted && (out->worker_address.len == 0 || out->rkey.len == 0))
    bad(&r, "rkey", "or the worker address is empty");
  return finish(&r);
}

pio_status pio_kvxfer_get_prepare(const uint8_t *payload, size_t len, pio_kvxfer_prepare *out,
                                  pio_error *err) {
  reader r = reader_of(payload, len, "PREPARE", err);
  out->op = get_u32(&r, "op");
  out->seed = get_u64(&r, "seed");
  if (!r.failed && out->op > PIO_KVXFER_GET) bad(&r, "op", "is neither put nor get");
  return finish(&r);
}

pio_status pio_kvxfer_get_u64(const uint8_t *payload, size_t len, uint32_t type, uint64_t *out,
                              pio_error *err) {
  reader r = reader_of(payload, len, pio_kvxfer_type_name(type), err);
  *out = get_u64(&r, "value");
  return finish(&r);
}

pio_status pio_kvxfer_get_verdict(const uint8_t *payload, size_t len, pio_kvxfer_verdict *out,
                                  pio_error *err) {
  reader r = reader_of(payload, len, "VERDICT", err);
  out->ok = get_u32(&r, "ok");
  out->bad_offset = get_u64(&r, "bad_offset");
  const uint8_t *b = take(&r, 2, "bytes");
  out->got = b ? b[0] : 0;
  out->expected = b ? b[1] : 0;
  if (!r.failed && out->ok > 1) bad(&r, "ok", "is neither 0 nor 1");
  return finish(&r);
}

pio_status pio_kvxfer_get_text(const uint8_t *payload, size_t len, char *out, size_t size,
                               pio_error *err) {
  reader r = reader_of(payload, len, "ERROR", err);
  get_str(&r, out, size, "text");
  return finish(&r);
}

/* --- comparing --- */

typedef struct differences {
  char *out;
  size_t size, used;
  const char *there;
} differences;

static void differ_text(differences *d, const char *field, const char *mine, const char *theirs) {
  if (strcmp(mine, theirs) == 0 || d->used + 1 >= d->size) return;
  int n = snprintf(d->out + d->used, d->size - d->used, "%s%s %s here, %s %s",
                   d->used ? "; " : "", field, mine, theirs, d->there);
  if (n > 0) d->used += (size_t)n < d->size - d->used ? (size_t)n : d->size - d->used - 1;
}

static void differ(differences *d, const char *field, uint64_t mine, uint64_t theirs) {
  char a[24], b[24];
  snprintf(a, sizeof a, "%llu", (unsigned long long)mine);
  snprintf(b, sizeof b, "%llu", (unsigned long long)theirs);
  differ_text(d, field, a, b);
}

int pio_kvxfer_shape_compare(const pio_kvxfer_shape *a, const pio_kvxfer_shape *b,
                             const char *there, char *why, size_t size) {
  differences d = {why, size, 0, there};
  if (size > 0) why[0] = '\0';
  differ_text(&d, "kv dtype", pio_dtype_name(a->kv_dtype), pio_dtype_name(b->kv_dtype));
  differ(&d, "tp", a->tp, b->tp);
  differ(&d, "pp", a->pp, b->pp);
  differ(&d, "page size", a->page_size, b->page_size);
  differ(&d, "isl", a->isl, b->isl);
  differ(&d, "layers", a->layout.layers, b->layout.layers);
  differ(&d, "pages", a->layout.pages, b->layout.pages);
  differ(&d, "layer IO bytes", a->layout.layer_bytes, b->layout.layer_bytes);
  differ(&d, "block IO bytes", a->layout.page_bytes, b->layout.page_bytes);
  differ(&d, "pool bytes", a->layout.total_bytes, b->layout.total_bytes);
  return d.used != 0;
}
