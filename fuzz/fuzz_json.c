/* fuzz/fuzz_json.c — libFuzzer target for the SDK's JSON reader
 * (pio_json_parse_buffer, positions, typed getters).  Beyond "no crash",
 * it checks the reader's promises: an error fills the record with its own
 * code and a terminated message free of raw control characters, and a
 * document that was accepted re-parses to an equal value after json-c
 * writes it back out. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pio/json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A broken promise aborts: libFuzzer keeps the input as a crash. */
static void require(int condition, const char *what) {
  if (!condition) {
    fprintf(stderr, "fuzz_json: broken promise: %s\n", what);
    abort();
  }
}

static int printable(const char *text) {
  for (; *text != '\0'; text++)
    if ((unsigned char)*text < 0x20 || *text == 0x7F) return 0;
  return 1;
}

/* key_is_clean: the getters quote the field name the caller passed; callers
 * pass their own constant names, so only a clean name promises a clean
 * message. */
static void check_error_record(pio_status status, const pio_error *err, int key_is_clean) {
  require(err->code == status, "error code equals the returned status");
  const char *end = memchr(err->message, '\0', sizeof err->message);
  require(end != NULL, "message is terminated");
  require(end != err->message, "message is not empty");
  if (key_is_clean) require(printable(err->message), "message has no control characters");
}

/* Every typed getter on every member: none may crash, and each result is
 * either PIO_OK or a filled error. */
static void exercise_getters(const json_object *object) {
  json_object_object_foreach((json_object *)object, key, value) {
    (void)value;
    pio_error err;
    uint32_t u32 = 0;
    uint64_t u64 = 0;
    double d = 0;
    int b = 0;
    const char *s = NULL;
    int clean = printable(key);
    pio_status st;
    st = pio_json_get_u32(object, "fuzz", key, 1, 0, UINT32_MAX, &u32, &err);
    if (st != PIO_OK) check_error_record(st, &err, clean);
    st = pio_json_get_u64(object, "fuzz", key, 1, 1, UINT64_MAX - 1, &u64, &err);
    if (st != PIO_OK) check_error_record(st, &err, clean);
    st = pio_json_get_double(object, "fuzz", key, 1, -1e300, 1e300, &d, &err);
    if (st != PIO_OK) check_error_record(st, &err, clean);
    st = pio_json_get_bool(object, "fuzz", key, 1, &b, &err);
    if (st != PIO_OK) check_error_record(st, &err, clean);
    st = pio_json_get_string(object, "fuzz", key, 1, &s, &err);
    if (st != PIO_OK) check_error_record(st, &err, clean);
    else require(s != NULL, "a string getter that succeeds returns a string");
  }
}

/* Positions of every member (and of nested objects, recursively). */
static void exercise_positions(const pio_json_positions *positions, json_object *object,
                               int depth) {
  int line = 0, column = 0;
  if (pio_json_position(positions, object, NULL, &line, &column) == 0)
    require(line >= 1 && column >= 1, "positions are 1-based");
  if (depth > 64) return;
  if (json_object_is_type(object, json_type_object)) {
    json_object_object_foreach(object, key, value) {
      if (pio_json_position(positions, object, key, &line, &column) == 0)
        require(line >= 1 && column >= 1, "member positions are 1-based");
      exercise_positions(positions, value, depth + 1);
    }
  } else if (json_object_is_type(object, json_type_array)) {
    size_t n = json_object_array_length(object);
    for (size_t i = 0; i < n; i++)
      exercise_positions(positions, json_object_array_get_idx(object, i), depth + 1);
  }
}

/* What json-c writes back must be accepted again and mean the same. */
static void check_round_trip(json_object *root) {
  const char *text = json_object_to_json_string_ext(root, JSON_C_TO_STRING_PLAIN);
  require(text != NULL, "json-c serialises an accepted document");
  json_object *again = NULL;
  pio_error err;
  pio_status st = pio_json_parse_buffer("round-trip", text, strlen(text), 0, &again, NULL, &err);
  if (st != PIO_OK) {
    fprintf(stderr, "round trip refused: %s\n", err.message);
    require(0, "a serialised accepted document parses again");
  }
  require(json_object_equal(root, again), "round trip keeps the value");
  json_object_put(again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  json_object *root = NULL;
  pio_json_positions *positions = NULL;
  pio_error err;
  pio_status st =
      pio_json_parse_buffer("fuzz.json", (const char *)data, size, 0, &root, &positions, &err);
  if (st != PIO_OK) {
    check_error_record(st, &err, 1);
    require(root == NULL && positions == NULL, "nothing is returned on error");
    return 0;
  }
  require(root != NULL || size >= 4, "a null root only comes from the text null");
  exercise_positions(positions, root, 0);
  if (json_object_is_type(root, json_type_object)) exercise_getters(root);
  check_round_trip(root);
  json_object_put(root);
  pio_json_positions_free(positions);
  return 0;
}
