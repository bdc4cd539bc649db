/* tests/test_safetensors.c — the safetensors reader on files this test
 * writes into a temporary folder: good single files and sharded folders,
 * and every way a header can lie about its file. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pio/safetensors.h"

static char tmpdir[256];

static void make_tmpdir(void) {
  snprintf(tmpdir, sizeof tmpdir, "/tmp/pio_st_XXXXXX");
  ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void remove_tmpdir(void) {
  char cmd[300];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
  ck_assert_int_eq(system(cmd), 0);
}

static char *path_in(const char *name) {
  static char paths[4][512];
  static int next;
  char *p = paths[next++ % 4];
  snprintf(p, 512, "%s/%s", tmpdir, name);
  return p;
}

static void write_bytes(const char *name, const void *bytes, size_t len) {
  FILE *f = fopen(path_in(name), "wb");
  ck_assert_ptr_nonnull(f);
  ck_assert_uint_eq(fwrite(bytes, 1, len, f), len);
  fclose(f);
}

/* A safetensors file: 8-byte length, header, then data_len bytes 0, 1, 2... */
static void write_st(const char *name, const char *header, size_t data_len) {
  size_t hlen = strlen(header), total = 8 + hlen + data_len;
  unsigned char *buf = malloc(total);
  for (int i = 0; i < 8; i++) buf[i] = (unsigned char)((uint64_t)hlen >> (8 * i));
  memcpy(buf + 8, header, hlen);
  for (size_t i = 0; i < data_len; i++) buf[8 + hlen + i] = (unsigned char)i;
  write_bytes(name, buf, total);
  free(buf);
}

/* Opens name expecting failure with status; returns the message. */
static const char *open_fails(const char *name, pio_status status) {
  static pio_error err;
  pio_safetensors *set = (pio_safetensors *)&err;
  ck_assert_int_eq(pio_safetensors_open_file(path_in(name), &set, &err), status);
  ck_assert_ptr_null(set);
  return err.message;
}

static const char *dir_fails(pio_status status) {
  static pio_error err;
  pio_safetensors *set = NULL;
  ck_assert_int_eq(pio_safetensors_open_dir(tmpdir, &set, &err), status);
  ck_assert_ptr_null(set);
  return err.message;
}

#define ASSERT_HAS(message, part) \
  ck_assert_msg(strstr((message), (part)) != NULL, "'%s' lacks '%s'", (message), (part))

static const char *good_header =
    "{\"__metadata__\":{\"format\":\"pt\"},"
    "\"b\":{\"dtype\":\"BF16\",\"shape\":[4],\"data_offsets\":[24,32]},"
    "\"a\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,24]},"
    "\"c\":{\"dtype\":\"F16\",\"shape\":[1,1],\"data_offsets\":[32,34]}}";

START_TEST(test_safetensors_good_file_lists_every_tensor_with_its_data) {
  write_st("one.safetensors", good_header, 34);
  pio_safetensors *set = NULL;
  pio_error err = {0};
  ck_assert_int_eq(pio_safetensors_open_file(path_in("one.safetensors"), &set, &err), PIO_OK);
  ck_assert_uint_eq(pio_safetensors_count(set), 3);
  const pio_tensor_info *a = pio_safetensors_find(set, "a");
  ck_assert_ptr_nonnull(a);
  ck_assert_int_eq(a->dtype, PIO_DTYPE_F32);
  ck_assert_uint_eq(a->n_dims, 2);
  ck_assert_uint_eq(a->shape[0], 2);
  ck_assert_uint_eq(a->shape[1], 3);
  ck_assert_uint_eq(a->n_bytes, 24);
  ck_assert_str_eq(a->file, path_in("one.safetensors"));
  const pio_tensor_info *b = pio_safetensors_find(set, "b");
  ck_assert_int_eq(b->dtype, PIO_DTYPE_BF16);
  ck_assert_uint_eq(((const unsigned char *)b->data)[0], 24);
  ck_assert_uint_eq(((const unsigned char *)a->data)[5], 5);
  ck_assert_int_eq(pio_safetensors_find(set, "c")->dtype, PIO_DTYPE_F16);
  ck_assert_ptr_null(pio_safetensors_find(set, "__metadata__"));
  ck_assert_ptr_null(pio_safetensors_find(set, "d"));
  ck_assert_str_eq(pio_safetensors_at(set, 0)->name, "a");
  ck_assert_ptr_null(pio_safetensors_at(set, 3));
  pio_safetensors_close(set);
}
END_TEST

/* Read into memory: the same tensors and bytes as mapped, sharded too, and
 * what happens to the files afterwards cannot reach them. */
START_TEST(test_safetensors_read_into_memory_matches_the_mapping_and_outlives_the_files) {
  write_st("model.safetensors", good_header, 34);
  pio_safetensors *mapped = NULL, *read = NULL;
  pio_error err = {0};
  ck_assert_int_eq(pio_safetensors_open_dir_with(tmpdir, PIO_SAFETENSORS_MAP, &mapped, &err),
                   PIO_OK);
  ck_assert_int_eq(pio_safetensors_open_dir_with(tmpdir, PIO_SAFETENSORS_READ, &read, &err),
                   PIO_OK);
  ck_assert_uint_eq(pio_safetensors_count(read), pio_safetensors_count(mapped));
  for (size_t i = 0; i < pio_safetensors_count(read); i++) {
    const pio_tensor_info *r = pio_safetensors_at(read, i), *m = pio_safetensors_at(mapped, i);
    ck_assert_str_eq(r->name, m->name);
    ck_assert_uint_eq(r->n_bytes, m->n_bytes);
    ck_assert(r->data != m->data);
    ck_assert_int_eq(memcmp(r->data, m->data, r->n_bytes), 0);
  }
  pio_safetensors_close(mapped);
  /* Truncated and rewritten: a mapping would now raise SIGBUS on access. */
  ck_assert_int_eq(truncate(path_in("model.safetensors"), 0), 0);
  const pio_tensor_info *a = pio_safetensors_find(read, "a");
  ck_assert_uint_eq(((const unsigned char *)a->data)[5], 5);
  pio_safetensors_close(read);
}
END_TEST


START_TEST(test_safetensors_expect_checks_shape_and_unused_reports_the_rest) {
  write_st("model.safetensors", good_header, 34);
  pio_safetensors *set = NULL;
  pio_error err = {0};
  ck_assert_int_eq(pio_safetensors_open_dir(tmpdir, &set, &err), PIO_OK);
  const pio_tensor_info *info = NULL;
  const uint64_t shape_a[2] = {2, 3}, wrong[2] = {3, 2}, shape_x[1] = {7};
  ck_assert_int_eq(pio_safetensors_expect(set, "a", 2, shape_a, &info, &err), PIO_OK);
  ck_assert_str_eq(info->name, "a");
  ck_assert_int_eq(pio_safetensors_expect(set, "c", 2, wrong, &info, &err), PIO_ERR_INVALID);
  ASSERT_HAS(err.message, "tensor \"c\" has shape [1, 1], expected [3, 2]");
  ASSERT_HAS(err.message, "model.safetensors");
  ck_assert_int_eq(pio_safetensors_expect(set, "x", 1, shape_x, &info, &err), PIO_ERR_NOT_FOUND);
  ASSERT_HAS(err.message, "tensor \"x\" is missing (expected shape [7])");
  ASSERT_HAS(err.message, tmpdir);
  const char *names[4];
  ck_assert_uint_eq(pio_safetensors_unused(set, names, 4), 2);
  ck_assert_str_eq(names[0], "b");
  ck_assert_str_eq(names[1], "c");
  ck_assert_uint_eq(pio_safetensors_unused(set, names, 1), 2);
  pio_safetensors_close(set);
}
END_TEST

START_TEST(test_safetensors_dir_opens_the_only_safetensors_file) {
  write_st("weights.safetensors", good_header, 34);
  pio_safetensors *set = NULL;
  pio_error err = {0};
  ck_assert_int_eq(pio_safetensors_open_dir(tmpdir, &set, &err), PIO_OK);
  ck_assert_uint_eq(pio_safetensors_count(set), 3);
  pio_safetensors_close(set);
}
END_TEST

START_TEST(test_safetensors_dir_with_two_files_and_no_index_is_refused) {
  write_st("x.safetensors", good_header, 34);
  write_st("y.safetensors", good_header, 34);
  ASSERT_HAS(dir_fails(PIO_ERR_INVALID), "2 *.safetensors files");
}
END_TEST

START_TEST(test_safetensors_dir_without_weights_is_not_found) {
  ASSERT_HAS(dir_fails(PIO_ERR_NOT_FOUND), "no model.safetensors.index.json");
}
END_TEST

static void write_two_shards(void) {
  write_st("s1.safetensors", "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8);
  write_st("s2.safetensors", "{\"b\":{\"dtype\":\"BF16\",\"shape\":[3],\"data_offsets\":[0,6]},"
                             "\"c\":{\"dtype\":\"F16\",\"shape\":[],\"data_offsets\":[6,8]}}", 8);
}

static void write_index(const char *weight_map) {
  char text[1024];
  snprintf(text, sizeof text, "{\"metadata\":{\"total_size\":24},\"weight_map\":%s}", weight_map);
  write_bytes("model.safetensors.index.json", text, strlen(text));
}

START_TEST(test_safetensors_sharded_index_opens_every_shard) {
  write_two_shards();
  write_index("{\"a\":\"s1.safetensors\",\"b\":\"s2.safetensors\",\"c\":\"s2.safetensors\"}");
  pio_safetensors *set = NULL;
  pio_error err = {0};
  ck_assert_int_eq(pio_safetensors_open_dir(tmpdir, &set, &err), PIO_OK);
  ck_assert_uint_eq(pio_safetensors_count(set), 3);
  ck_assert_str_eq(pio_safetensors_find(set, "a")->file, path_in("s1.safetensors"));
  ck_assert_str_eq(pio_safetensors_find(set, "c")->file, path_in("s2.safetensors"));
  ck_assert_uint_eq(pio_safetensors_find(set, "c")->n_dims, 0);
  ck_assert_uint_eq(pio_safetensors_find(set, "c")->n_bytes, 2);
  pio_safetensors_close(set);
}
END_TEST

START_TEST(test_safetensors_read_mode_opens_shards_and_refuses_an_unknown_load) {
  write_two_shards();
  write_index("{\"a\":\"s1.safetensors\",\"b\":\"s2.safetensors\",\"c\":\"s2.safetensors\"}");
  pio_safetensors *set = NULL;
  pio_error err = {0};
  ck_assert_int_eq(pio_safetensors_open_dir_with(tmpdir, PIO_SAFETENSORS_READ, &set, &err),
                   PIO_OK);
  ck_assert_uint_eq(pio_safetensors_count(set), 3);
  ck_assert_str_eq(pio_safetensors_find(set, "c")->file, path_in("s2.safetensors"));
  pio_safetensors_close(set);
  ck_assert_int_eq(pio_safetensors_open_dir_with(tmpdir, (pio_safetensors_load)7, &set, &err),
                   PIO_ERR_INVALID_ARGUMENT);
  ck_assert_ptr_null(set);
}
END_TEST

START_TEST(test_safetensors_missing_shard_is_named) {
  write_two_shards();
  write_index("{\"a\":\"s1.safetensors\",\"b\":\"s3.safetensors\"}");
  const char *msg = dir_fails(PIO_ERR_NOT_FOUND);
  ASSERT_HAS(msg, "names shard \"s3.safetensors\" for tensor \"b\"");
  ASSERT_HAS(msg, "cannot open");
}
END_TEST

START_TEST(test_safetensors_shard_path_traversal_is_refused) {
  write_two_shards();
  write_index("{\"a\":\"../s1.safetensors\"}");
  ASSERT_HAS(dir_fails(PIO_ERR_INVALID),
             "tensor \"a\": shard \"../s1.safetensors\" is not a plain file name");
  write_index("{\"a\":\"..\"}");
  ASSERT_HAS(dir_fails(PIO_ERR_INVALID), "shard \"..\" is not a plain file name");
  write_index("{\"a\":\"/etc/passwd\"}");
  ASSERT_HAS(dir_fails(PIO_ERR_INVALID), "shard \"/etc/passwd\" is not a plain file name");
}
END_TEST

START_TEST(test_safetensors_index_tensor_absent_from_its_shard_is_refused) {
  write_two_shards();
  write_index("{\"a\":\"s1.safetensors\",\"b\":\"s1.safetensors\",\"c\":\"s2.safetensors\"}");
  ASSERT_HAS(dir_fails(PIO_ERR_NOT_FOUND), "tensor \"b\": the index places it in");
  write_index("{\"a\":\"s1.safetensors\",\"zz\":\"s2.safetensors\"}");
  ASSERT_HAS(dir_fails(PIO_ERR_NOT_FOUND), "tensor \"zz\": the index places it in");
}
END_TEST

START_TEST(test_safetensors_tensor_in_two_shards_is_refused) {
  write_st("s1.safetensors", "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8);
  write_st("s2.safetensors", "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8);
  write_index("{\"a\":\"s1.safetensors\",\"b\":\"s2.safetensors\"}");
  ASSERT_HAS(dir_fails(PIO_ERR_INVALID), "tensor \"a\" is in both");
}
END_TEST

START_TEST(test_safetensors_index_without_weight_map_is_refused) {
  write_bytes("model.safetensors.index.json", "{\"metadata\":{}}", 15);
  ASSERT_HAS(dir_fails(PIO_ERR_INVALID), "'weight_map'");
}
END_TEST

/* Nothing to sort: an empty map is refused by name, and a file with no
 * tensor opens empty (neither reaches qsort with NULL, which UBSan
 * reports). */
START_TEST(test_safetensors_index_with_an_empty_weight_map_is_refused) {
  write_index("{}");
  ASSERT_HAS(dir_fails(PIO_ERR_INVALID), "weight_map is empty");
}
END_TEST

START_TEST(test_safetensors_file_with_no_tensor_opens_empty) {
  write_bytes("z.safetensors", "\x02\0\0\0\0\0\0\0{}", 10);
  char path[512];
  snprintf(path, sizeof path, "%s/z.safetensors", tmpdir);
  pio_safetensors *set = NULL;
  pio_error err;
  ck_assert_int_eq(pio_safetensors_open_file(path, &set, &err), PIO_OK);
  ck_assert_uint_eq(pio_safetensors_count(set), 0);
  ck_assert_ptr_null(pio_safetensors_find(set, "a"));
  pio_safetensors_close(set);
}
END_TEST

/* Read into memory, a terabyte (sparse here, with a header that holds
 * it) is refused before a page is taken, naming the file and what is
 * available, not "page allocation failed". */
START_TEST(test_safetensors_read_of_a_huge_sparse_file_is_refused_naming_it) {
  write_st("model.safetensors",
           "{\"w\":{\"dtype\":\"F32\",\"shape\":[274877906944],"
           "\"data_offsets\":[0,1099511627776]}}", 0);
  ck_assert_int_eq(truncate(path_in("model.safetensors"), 8 + 77 + ((off_t)1 << 40)), 0);
  pio_safetensors *set = NULL;
  pio_error err;
  ck_assert_int_eq(pio_safetensors_open_dir_with(tmpdir, PIO_SAFETENSORS_READ, &set, &err),
                   PIO_ERR_NO_MEMORY);
  ck_assert_ptr_null(set);
  ASSERT_HAS(err.message, "/model.safetensors: reading it into memory (--weights read");
  ASSERT_HAS(err.message, "needs 1024.0 GiB");
  ASSERT_HAS(err.message, "is available (MemAvailable");
  /* Mapped, it opens: the pages stay in the file. */
  ck_assert_int_eq(pio_safetensors_open_dir_with(tmpdir, PIO_SAFETENSORS_MAP, &set, &err), PIO_OK);
  ck_assert_uint_eq(pio_safetensors_count(set), 1);
  pio_safetensors_close(set);
}
END_TEST

START_TEST(test_safetensors_empty_file_is_refused) {
  write_bytes("e.safetensors", "", 0);
  ASSERT_HAS(open_fails("e.safetensors", PIO_ERR_PARSE), "0 bytes is too short");
}
END_TEST

START_TEST(test_safetensors_truncated_header_length_is_refused) {
  write_bytes("t.safetensors", "\x10\0\0\0\0", 5);
  const char *msg = open_fails("t.safetensors", PIO_ERR_PARSE);
  ASSERT_HAS(msg, "5 bytes is too short for the 8-byte header length");
  ASSERT_HAS(msg, "t.safetensors");
}
END_TEST

START_TEST(test_safetensors_header_length_past_the_file_is_refused) {
  write_bytes("h.safetensors", "\x40\0\0\0\0\0\0\0{}", 10);
  ASSERT_HAS(open_fails("h.safetensors", PIO_ERR_PARSE),
             "header length 64 is past the end of the 10-byte file");
}
END_TEST

START_TEST(test_safetensors_huge_header_length_is_refused_before_reading) {
  write_bytes("h.safetensors", "\0\0\0\0\0\0\0\x40{}", 10);
  ASSERT_HAS(open_fails("h.safetensors", PIO_ERR_LIMIT), "is over the limit");
}
END_TEST

START_TEST(test_safetensors_bad_json_is_refused_with_position) {
  write_st("j.safetensors", "{\"a\":{\"dtype\":}", 0);
  ASSERT_HAS(open_fails("j.safetensors", PIO_ERR_PARSE), "j.safetensors:1:");
}
END_TEST

START_TEST(test_safetensors_header_that_is_not_an_object_is_refused) {
  write_st("j.safetensors", "[1,2]", 0);
  ASSERT_HAS(open_fails("j.safetensors", PIO_ERR_INVALID), "header: expected a JSON object");
}
END_TEST

START_TEST(test_safetensors_unknown_dtype_names_the_tensor) {
  write_st("d.safetensors", "{\"ids\":{\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[0,8]}}", 8);
  ASSERT_HAS(open_fails("d.safetensors", PIO_ERR_UNSUPPORTED),
             "tensor \"ids\": dtype \"I64\" is not supported (expected F32, BF16 or F16)");
}
END_TEST

START_TEST(test_safetensors_offsets_past_the_file_are_refused) {
  write_st("o.safetensors", "{\"w\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}", 8);
  ASSERT_HAS(open_fails("o.safetensors", PIO_ERR_INVALID),
             "tensor \"w\": data_offsets end 16 is past the data area of 8 bytes");
}
END_TEST

START_TEST(test_safetensors_overlapping_tensors_are_refused) {
  write_st("o.safetensors",
           "{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
           "\"v\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 12);
  ASSERT_HAS(open_fails("o.safetensors", PIO_ERR_INVALID),
             "tensor \"v\" at [4, 12) overlaps tensor \"w\" at [0, 8)");
}
END_TEST

START_TEST(test_safetensors_out_of_order_offsets_are_refused) {
  write_st("o.safetensors", "{\"w\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[8,0]}}", 8);
  ASSERT_HAS(open_fails("o.safetensors", PIO_ERR_INVALID),
             "tensor \"w\": data_offsets [8, 0] are out of order");
}
END_TEST

START_TEST(test_safetensors_hole_and_trailing_bytes_are_refused) {
  write_st("o.safetensors", "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8);
  ASSERT_HAS(open_fails("o.safetensors", PIO_ERR_INVALID),
             "tensor \"w\" starts at 4, leaving a hole of 4 bytes");
  write_st("o.safetensors", "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 8);
  ASSERT_HAS(open_fails("o.safetensors", PIO_ERR_INVALID), "4 bytes after the last tensor");
}
END_TEST

START_TEST(test_safetensors_size_not_shape_times_dtype_is_refused) {
  write_st("s.safetensors", "{\"w\":{\"dtype\":\"BF16\",\"shape\":[2,3],\"data_offsets\":[0,8]}}",
           8);
  ASSERT_HAS(open_fails("s.safetensors", PIO_ERR_INVALID),
             "tensor \"w\": data_offsets span 8 bytes, but shape x bf16 is 12 bytes");
}
END_TEST

START_TEST(test_safetensors_huge_shape_overflow_is_refused) {
  write_st("s.safetensors",
           "{\"w\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296,16],\"data_offsets\":[0,8]}}",
           8);
  ASSERT_HAS(open_fails("s.safetensors", PIO_ERR_INVALID), "tensor \"w\": shape x dtype size overflows");
}
END_TEST

START_TEST(test_safetensors_negative_or_fractional_dims_are_refused) {
  write_st("s.safetensors", "{\"w\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", 4);
  ASSERT_HAS(open_fails("s.safetensors", PIO_ERR_INVALID), "tensor \"w\": shape[0] must be an integer");
  write_st("s.safetensors", "{\"w\":{\"dtype\":\"F32\",\"shape\":[1.5],\"data_offsets\":[0,4]}}", 4);
  ASSERT_HAS(open_fails("s.safetensors", PIO_ERR_INVALID), "shape[0] must be an integer");
}
END_TEST

START_TEST(test_safetensors_missing_fields_are_refused) {
  write_st("f.safetensors", "{\"w\":{\"shape\":[1],\"data_offsets\":[0,4]}}", 4);
  ASSERT_HAS(open_fails("f.safetensors", PIO_ERR_INVALID), "tensor \"w\": 'dtype' must be a string");
  write_st("f.safetensors", "{\"w\":{\"dtype\":\"F32\",\"data_offsets\":[0,4]}}", 4);
  ASSERT_HAS(open_fails("f.safetensors", PIO_ERR_INVALID), "'shape' must be an array");
  write_st("f.safetensors", "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0]}}", 4);
  ASSERT_HAS(open_fails("f.safetensors", PIO_ERR_INVALID), "'data_offsets' must be two integers");
  write_st("f.safetensors", "{\"w\":7}", 0);
  ASSERT_HAS(open_fails("f.safetensors", PIO_ERR_INVALID), "tensor \"w\": expected an object");
}
END_TEST

START_TEST(test_safetensors_too_many_dims_are_refused) {
  write_st("f.safetensors",
           "{\"w\":{\"dtype\":\"F32\",\"shape\":[1,1,1,1,1,1,1,1,1],\"data_offsets\":[0,4]}}", 4);
  ASSERT_HAS(open_fails("f.safetensors", PIO_ERR_LIMIT), "9 dimensions, at most 8");
}
END_TEST

START_TEST(test_safetensors_missing_file_is_not_found) {
  ASSERT_HAS(open_fails("absent.safetensors", PIO_ERR_NOT_FOUND), "cannot open");
}
END_TEST

START_TEST(test_safetensors_hostile_tensor_name_is_quoted_in_messages) {
  write_st("q.safetensors", "{\"a\\n\\u001b[31m\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]}}",
           1);
  const char *msg = open_fails("q.safetensors", PIO_ERR_UNSUPPORTED);
  ck_assert_ptr_null(strchr(msg, '\n'));
  ck_assert_ptr_null(strchr(msg, '\x1b'));
}
END_TEST

#if defined(PIO_TEST_PYTHON) && defined(PIO_TEST_TOOLS_DIR)
/* tests/tools/safetensors_writer.py is what the model tests write their
 * tiny models with: its files must read back here, values exact. */
START_TEST(test_safetensors_python_writer_files_read_back_exactly) {
  char cmd[2048];
  snprintf(cmd, sizeof cmd,
           "'%s' -c \"import sys; sys.path.insert(0, '%s'); import numpy as np; "
           "from safetensors_writer import write_safetensors, write_sharded; "
           "v = np.array([[1.5, -2.0, 3.25], [0.1, 1e-3, -7.0]], np.float32); "
           "write_safetensors('%s/w.safetensors', {'a': v, 'b': (v, 'f16'), 'c': (v, 'f32')}, 'bf16'); "
           "write_sharded('%s', {'x': v, 'y': v[0], 'z': v[1]}, 'f32', 2)\"",
           PIO_TEST_PYTHON, PIO_TEST_TOOLS_DIR, tmpdir, tmpdir);
  ck_assert_int_eq(system(cmd), 0);
  const float v[6] = {1.5f, -2.0f, 3.25f, 0.1f, 1e-3f, -7.0f};
  pio_safetensors *set = NULL;
  pio_error err = {0};
  ck_assert_int_eq(pio_safetensors_open_file(path_in("w.safetensors"), &set, &err), PIO_OK);
  const pio_tensor_info *a = pio_safetensors_find(set, "a"), *b = pio_safetensors_find(set, "b"),
                        *c = pio_safetensors_find(set, "c");
  ck_assert_int_eq(a->dtype, PIO_DTYPE_BF16);
  ck_assert_int_eq(b->dtype, PIO_DTYPE_F16);
  ck_assert_int_eq(c->dtype, PIO_DTYPE_F32);
  ck_assert_uint_eq(a->shape[0], 2);
  ck_assert_uint_eq(a->shape[1], 3);
  for (int i = 0; i < 6; i++) {
    ck_assert_uint_eq(((const uint16_t *)a->data)[i], pio_f32_to_bf16(v[i]));
    ck_assert_uint_eq(((const uint16_t *)b->data)[i], pio_f32_to_f16(v[i]));
    ck_assert_float_eq(((const float *)c->data)[i], v[i]);
  }
  pio_safetensors_close(set);
  ck_assert_int_eq(pio_safetensors_open_dir(tmpdir, &set, &err), PIO_OK);
  ck_assert_uint_eq(pio_safetensors_count(set), 3);
  ck_assert_float_eq(((const float *)pio_safetensors_find(set, "z")->data)[2], -7.0f);
  ck_assert_ptr_nonnull(strstr(pio_safetensors_find(set, "y")->file, "-of-00002.safetensors"));
  pio_safetensors_close(set);
}
END_TEST
#endif

int main(void) {
  Suite *suite = suite_create("safetensors");
  TCase *tc = tcase_create("core");
  tcase_add_checked_fixture(tc, make_tmpdir, remove_tmpdir);
  tcase_add_test(tc, test_safetensors_good_file_lists_every_tensor_with_its_data);
  tcase_add_test(tc, test_safetensors_expect_checks_shape_and_unused_reports_the_rest);
  tcase_add_test(tc, test_safetensors_read_into_memory_matches_the_mapping_and_outlives_the_files);
  tcase_add_test(tc, test_safetensors_read_mode_opens_shards_and_refuses_an_unknown_load);
  tcase_add_test(tc, test_safetensors_dir_opens_the_only_safetensors_file);
  tcase_add_test(tc, test_safetensors_dir_with_two_files_and_no_index_is_refused);
  tcase_add_test(tc, test_safetensors_dir_without_weights_is_not_found);
  tcase_add_test(tc, test_safetensors_sharded_index_opens_every_shard);
  tcase_add_test(tc, test_safetensors_missing_shard_is_named);
  tcase_add_test(tc, test_safetensors_shard_path_traversal_is_refused);
  tcase_add_test(tc, test_safetensors_index_tensor_absent_from_its_shard_is_refused);
  tcase_add_test(tc, test_safetensors_tensor_in_two_shards_is_refused);
  tcase_add_test(tc, test_safetensors_index_without_weight_map_is_refused);
  tcase_add_test(tc, test_safetensors_index_with_an_empty_weight_map_is_refused);
  tcase_add_test(tc, test_safetensors_file_with_no_tensor_opens_empty);
  tcase_add_test(tc, test_safetensors_read_of_a_huge_sparse_file_is_refused_naming_it);
  tcase_add_test(tc, test_safetensors_empty_file_is_refused);
  tcase_add_test(tc, test_safetensors_truncated_header_length_is_refused);
  tcase_add_test(tc, test_safetensors_header_length_past_the_file_is_refused);
  tcase_add_test(tc, test_safetensors_huge_header_length_is_refused_before_reading);
  tcase_add_test(tc, test_safetensors_bad_json_is_refused_with_position);
  tcase_add_test(tc, test_safetensors_header_that_is_not_an_object_is_refused);
  tcase_add_test(tc, test_safetensors_unknown_dtype_names_the_tensor);
  tcase_add_test(tc, test_safetensors_offsets_past_the_file_are_refused);
  tcase_add_test(tc, test_safetensors_overlapping_tensors_are_refused);
  tcase_add_test(tc, test_safetensors_out_of_order_offsets_are_refused);
  tcase_add_test(tc, test_safetensors_hole_and_trailing_bytes_are_refused);
  tcase_add_test(tc, test_safetensors_size_not_shape_times_dtype_is_refused);
  tcase_add_test(tc, test_safetensors_huge_shape_overflow_is_refused);
  tcase_add_test(tc, test_safetensors_negative_or_fractional_dims_are_refused);
  tcase_add_test(tc, test_safetensors_missing_fields_are_refused);
  tcase_add_test(tc, test_safetensors_too_many_dims_are_refused);
  tcase_add_test(tc, test_safetensors_missing_file_is_not_found);
  tcase_add_test(tc, test_safetensors_hostile_tensor_name_is_quoted_in_messages);
#if defined(PIO_TEST_PYTHON) && defined(PIO_TEST_TOOLS_DIR)
  tcase_add_test(tc, test_safetensors_python_writer_files_read_back_exactly);
#endif
  suite_add_tcase(suite, tc);
  SRunner *runner = srunner_create(suite);
  srunner_run_all(runner, CK_NORMAL);
  int failed = srunner_ntests_failed(runner);
  srunner_free(runner);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
