/* tests/test_kvxfer_wire.c — kvxfer's control messages: what one rank
 * encodes the other decodes to the same values; every truncation, a wrong
 * magic or version, an oversized length, inconsistent shapes, bad strings
 * and trailing bytes are refused naming the message and field; shapes that
 * differ are described from the reader's side; UCX's endpoint info is read
 * into one line and a transport kind. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kvxfer_bench.h"
#include "kvxfer_ucx.h"
#include "kvxfer_wire.h"

static pio_kvxfer_shape shape_8b(void) {
  pio_kvxfer_shape s;
  memset(&s, 0, sizeof s);
  snprintf(s.model, sizeof s.model, "llama-3.1-8b");
  s.kv_dtype = PIO_DTYPE_BF16;
  s.tp = s.pp = 1;
  s.page_size = 16;
  s.isl = 4096;
  s.layout.layers = 32;
  s.layout.pages = 256;
  s.layout.layer_bytes = 65536;
  s.layout.page_bytes = 32u * 65536;
  s.layout.total_bytes = 256ull * 32 * 65536;
  return s;
}

/* A HELLO frame in buf; returns its length. */
static size_t hello_frame(uint8_t *buf, size_t cap, const pio_kvxfer_shape *shape) {
  static const uint8_t address[] = {1, 2, 3, 4, 5};
  pio_kvxfer_hello h = {*shape, {address, sizeof address}};
  pio_kvxfer_writer w;
  pio_kvxfer_frame_begin(&w, buf, cap, PIO_KVXFER_HELLO);
  pio_kvxfer_put_hello(&w, &h);
  return pio_kvxfer_frame_end(&w);
}

START_TEST(test_hello_round_trips) {
  uint8_t buf[512];
  pio_kvxfer_shape s = shape_8b();
  size_t n = hello_frame(buf, sizeof buf, &s);
  ck_assert_uint_gt(n, PIO_KVXFER_HEADER_BYTES);
  uint32_t type = 0, len = 0;
  pio_error err = {0};
  ck_assert_int_eq(pio_kvxfer_header_decode(buf, &type, &len, &err), PIO_OK);
  ck_assert_uint_eq(type, PIO_KVXFER_HELLO);
  ck_assert_uint_eq(len, n - PIO_KVXFER_HEADER_BYTES);
  pio_kvxfer_hello h;
  ck_assert_int_eq(pio_kvxfer_get_hello(buf + PIO_KVXFER_HEADER_BYTES, len, &h, &err), PIO_OK);
  ck_assert_str_eq(h.shape.model, "llama-3.1-8b");
  ck_assert_uint_eq(h.shape.layout.total_bytes, s.layout.total_bytes);
  ck_assert_uint_eq(h.worker_address.len, 5);
  ck_assert_uint_eq(h.worker_address.data[4], 5);
  char why[256];
  ck_assert_int_eq(pio_kvxfer_shape_compare(&s, &h.shape, "there", why, sizeof why), 0);
}
END_TEST

START_TEST(test_every_truncation_of_a_hello_is_refused) {
  uint8_t buf[512];
  pio_kvxfer_shape s = shape_8b();
  size_t n = hello_frame(buf, sizeof buf, &s) - PIO_KVXFER_HEADER_BYTES;
  for (size_t cut = 0; cut < n; cut++) {
    pio_kvxfer_hello h;
    pio_error err = {0};
    ck_assert_int_eq(pio_kvxfer_get_hello(buf + PIO_KVXFER_HEADER_BYTES, cut, &h, &err),
                     PIO_ERR_INVALID);
    ck_assert_ptr_nonnull(strstr(err.message, "HELLO: truncated"));
  }
}
END_TEST

START_TEST(test_trailing_bytes_are_refused) {
  uint8_t buf[512];
  pio_kvxfer_shape s = shape_8b();
  size_t n = hello_frame(buf, sizeof buf, &s) - PIO_KVXFER_HEADER_BYTES;
  pio_kvxfer_hello h;
  pio_error err = {0};
  ck_assert_int_eq(pio_kvxfer_get_hello(buf + PIO_KVXFER_HEADER_BYTES, n + 3, &h, &err),
                   PIO_ERR_INVALID);
  ck_assert_ptr_nonnull(strstr(err.message, "3 unexpected bytes"));
}
END_TEST

START_TEST(test_a_shape_that_does_not_add_up_is_refused) {
  uint8_t buf[512];
  pio_kvxfer_shape s = shape_8b();
  s.layout.total_bytes += 1; /* a peer that would have us size memory wrongly */
  size_t n = hello_frame(buf, sizeof buf, &s) - PIO_KVXFER_HEADER_BYTES;
  pio_kvxfer_hello h;
  pio_error err = {0};
  ck_assert_int_eq(pio_kvxfer_get_hello(buf + PIO_KVXFER_HEADER_BYTES, n, &h, &err),
                   PIO_ERR_INVALID);
  ck_assert_ptr_nonnull(strstr(err.message, "'total_bytes'"));
  s = shape_8b();
  s.layout.layers = 0;
  n = hello_frame(buf, sizeof buf, &s) - PIO_KVXFER_HEADER_BYTES;
  ck_assert_int_eq(pio_kvxfer_get_hello(buf + PIO_KVXFER_HEADER_BYTES, n, &h, &err),
                   PIO_ERR_INVALID);
  s = shape_8b();
  s.kv_dtype = 99;
  n = hello_frame(buf, sizeof buf, &s) - PIO_KVXFER_HEADER_BYTES;
  ck_assert_int_eq(pio_kvxfer_get_hello(buf + PIO_KVXFER_HEADER_BYTES, n, &h, &err),
                   PIO_ERR_INVALID);
  ck_assert_ptr_nonnull(strstr(err.message, "'kv_dtype'"));
}
END_TEST

static pio_status header_of(uint32_t magic, uint16_t version, uint16_t type, uint32_t len,
                            pio_error *err) {
  uint8_t h[PIO_KVXFER_HEADER_BYTES];
  for (int i = 0; i < 4; i++) h[i] = (uint8_t)(magic >> (8 * i));
  h[4] = (uint8_t)version, h[5] = (uint8_t)(version >> 8);
  h[6] = (uint8_t)type, h[7] = (uint8_t)(type >> 8);
  for (int i = 0; i < 4; i++) h[8 + i] = (uint8_t)(len >> (8 * i));
  uint32_t t, n;
  return pio_kvxfer_header_decode(h, &t, &n, err);
}

START_TEST(test_bad_headers_are_refused_with_the_reason) {
  pio_error err = {0};
  ck_assert_int_eq(header_of(PIO_KVXFER_MAGIC, 1, PIO_KVXFER_BYE, 0, &err), PIO_OK);
  ck_assert_int_eq(header_of(0x20544547, 1, 1, 0, &err), PIO_ERR_INVALID);
  ck_assert_ptr_nonnull(strstr(err.message, "does not speak kvxfer"));
  ck_assert_int_eq(header_of(PIO_KVXFER_MAGIC, 2, 1, 0, &err), PIO_ERR_INVALID);
  ck_assert_ptr_nonnull(strstr(err.message, "protocol version 2"));
  ck_assert_int_eq(header_of(PIO_KVXFER_MAGIC, 1, 0, 0, &err), PIO_ERR_INVALID);
  ck_assert_int_eq(header_of(PIO_KVXFER_MAGIC, 1, PIO_KVXFER_TYPE_END, 0, &err),
                   PIO_ERR_INVALID);
  ck_assert_ptr_nonnull(strstr(err.message, "unknown message type"));
  ck_assert_int_eq(header_of(PIO_KVXFER_MAGIC, 1, 1, PIO_KVXFER_MAX_PAYLOAD + 1, &err),
                   PIO_ERR_INVALID);
  ck_assert_ptr_nonnull(strstr(err.message, "at most 65536"));
}
END_TEST

START_TEST(test_welcome_round_trips_and_checks_its_fields) {
  static const uint8_t address[] = {9, 8, 7}, rkey[] = {6, 5};
  uint8_t buf[1024];
  pio_kvxfer_welcome w;
  memset(&w, 0, sizeof w);
  w.accepted = 1;
  w.shape = shape_8b();
  w.worker_address = (pio_kvxfer_blob){address, sizeof address};
  w.rkey = (pio_kvxfer_blob){rkey, sizeof rkey};
  w.remote_base = 0x7f0012345000ull;
  pio_kvxfer_writer wr;
  pio_kvxfer_frame_begin(&wr, buf, sizeof buf, PIO_KVXFER_WELCOME);
  pio_kvxfer_put_welcome(&wr, &w);
  size_t n = pio_kvxfer_frame_end(&wr) - PIO_KVXFER_HEADER_BYTES;
  pio_kvxfer_welcome got;
  pio_error err = {0};
  ck_assert_int_eq(pio_kvxfer_get_welcome(buf + PIO_KVXFER_HEADER_BYTES, n, &got, &err), PIO_OK);
  ck_assert_uint_eq(got.remote_base, w.remote_base);
  ck_assert_uint_eq(got.rkey.len, 2);
  /* accepted, but no key: nothing to put into */
  w.rkey.len = 0;
  pio_kvxfer_frame_begin(&wr, buf, sizeof buf, PIO_KVXFER_WELCOME);
  pio_kvxfer_put_welcome(&wr, &w);
  n = pio_kvxfer_frame_end(&wr) - PIO_KVXFER_HEADER_BYTES;
  ck_assert_int_eq(pio_kvxfer_get_welcome(buf + PIO_KVXFER_HEADER_BYTES, n, &got, &err),
                   PIO_ERR_INVALID);
}
END_TEST

START_TEST(test_strings_with_a_nul_or_too_long_are_refused) {
  uint8_t payload[600];
  /* ERROR text: length 3, "a\0b" */
  payload[0] = 3, payload[1] = 0, payload[2] = 'a', payload[3] = 0, payload[4] = 'b';
  char text[64];
  pio_error err = {0};
  ck_assert_int_eq(pio_kvxfer_get_text(payload, 5, text, sizeof text, &err), PIO_ERR_INVALID);
  ck_assert_ptr_nonnull(strstr(err.message, "NUL"));
  /* control bytes are shown, not passed to a terminal */
  payload[3] = 0x1b;
  ck_assert_int_eq(pio_kvxfer_get_text(payload, 5, text, sizeof text, &err), PIO_OK);
  ck_assert_str_eq(text, "a?b");
  payload[0] = 100, payload[1] = 0;
  memset(payload + 2, 'x', 100);
  ck_assert_int_eq(pio_kvxfer_get_text(payload, 102, text, sizeof text, &err), PIO_ERR_INVALID);
  ck_assert_ptr_nonnull(strstr(err.message, "too long"));
}
END_TEST

START_TEST(test_a_frame_that_overflows_its_buffer_is_not_sent) {
  uint8_t buf[PIO_KVXFER_HEADER_BYTES + 4];
  pio_kvxfer_writer w;
  pio_kvxfer_frame_begin(&w, buf, sizeof buf, PIO_KVXFER_CHECK);
  pio_kvxfer_put_u64(&w, 42);
  ck_assert_uint_eq(pio_kvxfer_frame_end(&w), 0);
}
END_TEST

START_TEST(test_shape_differences_are_named_from_the_readers_side) {
  pio_kvxfer_shape a = shape_8b(), b = shape_8b();
  b.layout.layers = 16;
  b.layout.page_bytes = 16u * 65536;
  b.layout.total_bytes = 256ull * 16 * 65536;
  b.kv_dtype = PIO_DTYPE_FP8;
  char why[512];
  ck_assert_int_ne(pio_kvxfer_shape_compare(&a, &b, "at the target", why, sizeof why), 0);
  ck_assert_ptr_nonnull(strstr(why, "kv dtype bf16 here, fp8 at the target"));
  ck_assert_ptr_nonnull(strstr(why, "layers 32 here, 16 at the target"));
  /* a small buffer truncates, it does not overflow */
  char tiny[16];
  ck_assert_int_ne(pio_kvxfer_shape_compare(&a, &b, "at the target", tiny, sizeof tiny), 0);
  ck_assert_uint_lt(strlen(tiny), sizeof tiny);
}
END_TEST

START_TEST(test_verdict_and_prepare_round_trip) {
  uint8_t buf[64];
  pio_kvxfer_writer w;
  pio_kvxfer_verdict v = {0, 557063, 0x68, 0x69}, got;
  pio_kvxfer_frame_begin(&w, buf, sizeof buf, PIO_KVXFER_VERDICT);
  pio_kvxfer_put_verdict(&w, &v);
  size_t n = pio_kvxfer_frame_end(&w) - PIO_KVXFER_HEADER_BYTES;
  pio_error err = {0};
  ck_assert_int_eq(pio_kvxfer_get_verdict(buf + PIO_KVXFER_HEADER_BYTES, n, &got, &err), PIO_OK);
  ck_assert_uint_eq(got.bad_offset, 557063);
  ck_assert_uint_eq(got.got, 0x68);
  pio_kvxfer_prepare p = {PIO_KVXFER_GET, 77}, pg;
  pio_kvxfer_frame_begin(&w, buf, sizeof buf, PIO_KVXFER_PREPARE);
  pio_kvxfer_put_prepare(&w, &p);
  n = pio_kvxfer_frame_end(&w) - PIO_KVXFER_HEADER_BYTES;
  ck_assert_int_eq(pio_kvxfer_get_prepare(buf + PIO_KVXFER_HEADER_BYTES, n, &pg, &err), PIO_OK);
  ck_assert_uint_eq(pg.seed, 77);
  buf[PIO_KVXFER_HEADER_BYTES] = 5; /* op 5 */
  ck_assert_int_eq(pio_kvxfer_get_prepare(buf + PIO_KVXFER_HEADER_BYTES, n, &pg, &err),
                   PIO_ERR_INVALID);
  ck_assert_ptr_nonnull(strstr(err.message, "'op'"));
}
END_TEST

/* ucp_ep_print_info as UCX 1.13 prints it, for shared memory and for TCP. */
static const char shm_info[] =
    "#\n# UCP endpoint \n#\n#               peer: <no debug data>\n"
    "#                 lane[0]:  3:sysv/memory.0 md[2]           -> md[2]/sysv/sysdev[255] am "
    "am_bw#0 keepalive\n"
    "#                 lane[1]:  4:posix/memory.0 md[3]          -> md[3]/posix/sysdev[255]\n"
    "#\n#                  put[0]: 0..<short>..4294967296..<bcopy>..(inf)\n"
    "#                  get[0]: 0..<bcopy>..(inf)\n#                  rma_bw: mds #\n";
static const char tcp_info[] =
    "#                 lane[0]:  1:tcp/lo.0 md[1]                -> md[1]/tcp/sysdev[255] am "
    "am_bw#0 keepalive wireup\n#                  rma_bw: mds #\n";

START_TEST(test_endpoint_info_is_summarized_with_its_kind) {
  char line[256];
  const char *kind = NULL;
  pio_kvxfer_ucx_summarize(shm_info, line, sizeof line, &kind);
  ck_assert_str_eq(line, "sysv/memory.0 (am am_bw keepalive), posix/memory.0");
  ck_assert_str_eq(kind, "shm");
  pio_kvxfer_ucx_summarize(tcp_info, line, sizeof line, &kind);
  ck_assert_str_eq(line, "tcp/lo.0 (am am_bw keepalive wireup)");
  ck_assert_str_eq(kind, "tcp");
  pio_kvxfer_ucx_summarize("", line, sizeof line, &kind);
  ck_assert_str_eq(line, "");
  ck_assert_str_eq(kind, "other");
  pio_kvxfer_ucx_protocols(shm_info, line, sizeof line);
  ck_assert_str_eq(line, "put on sysv/memory.0 0..<short>..4294967296..<bcopy>..(inf); "
                         "get on sysv/memory.0 0..<bcopy>..(inf)");
  pio_kvxfer_ucx_protocols(tcp_info, line, sizeof line);
  ck_assert_ptr_nonnull(strstr(line, "no RMA lane"));
  char tiny[8]; /* truncates, terminated */
  pio_kvxfer_ucx_summarize(shm_info, tiny, sizeof tiny, &kind);
  ck_assert_uint_lt(strlen(tiny), sizeof tiny);
}
END_TEST

static pio_kvxfer_result measured(const char *kind, double raw, double socket, double memcpy) {
  pio_kvxfer_result r;
  memset(&r, 0, sizeof r);
  r.kind = kind;
  r.pass[1][PIO_KVXFER_PUT].measured = 1; /* layer put only: the first measured */
  r.pass[1][PIO_KVXFER_PUT].raw_bytes_per_s = raw;
  r.socket_bytes_per_s = socket;
  r.memcpy_bytes_per_s = memcpy;
  return r;
}

START_TEST(test_a_slow_transport_is_flagged_with_the_settings_to_change) {
  /* UCX 1.13's tcp with default segments on loopback: 0.05 of 1.4 GB/s. */
  pio_kvxfer_result r = measured("tcp", 0.05e9, 1.4e9, 10e9);
  pio_kvxfer_advise(&r);
  ck_assert_ptr_nonnull(strstr(r.advice, "0.050 GB/s, 4% of the 1.400 GB/s"));
  ck_assert_ptr_nonnull(strstr(r.advice, "UCX_TCP_TX_SEG_SIZE=256K UCX_TCP_RX_SEG_SIZE=1M"));
  /* Already set on this rank: the advice says so and goes further. */
  setenv("UCX_TCP_TX_SEG_SIZE", "256K", 1);
  setenv("UCX_TCP_RX_SEG_SIZE", "1M", 1);
  r = measured("tcp", 0.23e9, 0.48e9, 10e9);
  pio_kvxfer_advise(&r);
  ck_assert_ptr_nonnull(strstr(r.advice, "This rank has UCX_TCP_TX_SEG_SIZE=256K "
                                         "UCX_TCP_RX_SEG_SIZE=1M (the target needs them too)"));
  ck_assert_ptr_null(strstr(r.advice, "Its default segments"));
  unsetenv("UCX_TCP_TX_SEG_SIZE");
  unsetenv("UCX_TCP_RX_SEG_SIZE");
  r = measured("tcp", 0.9e9, 1.4e9, 10e9); /* near the socket: nothing to say */
  pio_kvxfer_advise(&r);
  ck_assert_str_eq(r.advice, "");
  r = measured("shm", 1e9, 0.0, 10e9);
  pio_kvxfer_advise(&r);
  ck_assert_ptr_nonnull(strstr(r.advice, "UCX_TLS (sysv,posix,cma)"));
  r = measured("shm", 4e9, 0.0, 10e9);
  pio_kvxfer_advise(&r);
  ck_assert_str_eq(r.advice, "");
  r = measured("rdma", 0.01e9, 0.0, 10e9); /* no limit of its own measured: no verdict */
  pio_kvxfer_advise(&r);
  ck_assert_str_eq(r.advice, "");
}
END_TEST

static Suite *suite(void) {
  Suite *s = suite_create("kvxfer_wire");
  TCase *t = tcase_create("wire");
  tcase_add_test(t, test_hello_round_trips);
  tcase_add_test(t, test_every_truncation_of_a_hello_is_refused);
  tcase_add_test(t, test_trailing_bytes_are_refused);
  tcase_add_test(t, test_a_shape_that_does_not_add_up_is_refused);
  tcase_add_test(t, test_bad_headers_are_refused_with_the_reason);
  tcase_add_test(t, test_welcome_round_trips_and_checks_its_fields);
  tcase_add_test(t, test_strings_with_a_nul_or_too_long_are_refused);
  tcase_add_test(t, test_a_frame_that_overflows_its_buffer_is_not_sent);
  tcase_add_test(t, test_shape_differences_are_named_from_the_readers_side);
  tcase_add_test(t, test_verdict_and_prepare_round_trip);
  tcase_add_test(t, test_endpoint_info_is_summarized_with_its_kind);
  tcase_add_test(t, test_a_slow_transport_is_flagged_with_the_settings_to_change);
  suite_add_tcase(s, t);
  return s;
}

int main(void) {
  SRunner *r = srunner_create(suite());
  srunner_run_all(r, CK_NORMAL);
  int failed = srunner_ntests_failed(r);
  srunner_free(r);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
