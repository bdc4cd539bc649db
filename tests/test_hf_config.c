/* tests/test_hf_config.c — the SDK's config.json reader (pio/hf_config.h)
 * that every model plugin's config component uses: the document's limits
 * and top, places named "path:line:column", null taken as absent, the
 * architectures check and the weights' dtype, each refusal with its
 * message. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config_file_helpers.h"
#include "pio/hf_config.h"

/* Writes text and opens it, which must succeed. */
static void open_text(pio_hf_config *doc, const char *text) {
  config_write_text(text);
  pio_error err = {0};
  pio_status s = pio_hf_config_open(doc, config_path, 0, 0, &err);
  ck_assert_msg(s == PIO_OK, "open failed: %s", err.message);
}

static void close_doc(pio_hf_config *doc) {
  pio_hf_config_close(doc);
  unlink(config_path);
}

/* Writes text and expects opening it to fail with status and fragment. */
static void expect_open_error(const char *text, size_t max_bytes, pio_status status,
                              const char *fragment) {
  config_write_text(text);
  pio_hf_config doc;
  pio_error err = {0};
  pio_status s = pio_hf_config_open(&doc, config_path, max_bytes, 0, &err);
  ck_assert_msg(s == status, "status %d, expected %d: %s", (int)s, (int)status, err.message);
  config_assert_message(err.message, fragment, NULL);
  ck_assert_ptr_null(doc.root);
  pio_hf_config_close(&doc); /* harmless after a failed open */
  unlink(config_path);
}

START_TEST(test_open_top_level_array_is_refused) {
  expect_open_error("[1, 2]", 0, PIO_ERR_INVALID, "expected a JSON object at the top, found an "
                    "array");
}
END_TEST

START_TEST(test_open_syntax_error_has_line_and_column) {
  config_write_text("{\n  \"a\": 1,\n  \"b\": ,\n}\n");
  pio_hf_config doc;
  pio_error err = {0};
  ck_assert_int_eq(pio_hf_config_open(&doc, config_path, 0, 0, &err), PIO_ERR_PARSE);
  char at[300];
  snprintf(at, sizeof at, "%s:3:", config_path);
  unlink(config_path);
  ck_assert_msg(strncmp(err.message, at, strlen(at)) == 0, "%s", err.message);
}
END_TEST

START_TEST(test_open_file_over_max_bytes_is_refused) {
  expect_open_error("{\"hidden_size\": 4096}", 8, PIO_ERR_LIMIT, NULL);
}
END_TEST

START_TEST(test_open_missing_file_names_it) {
  pio_hf_config doc;
  pio_error err = {0};
  ck_assert_int_ne(pio_hf_config_open(&doc, "/nonexistent/config.json", 0, 0, &err), PIO_OK);
  ck_assert_msg(strstr(err.message, "/nonexistent/config.json") != NULL, "%s", err.message);
}
END_TEST

START_TEST(test_open_null_path_is_refused) {
  pio_hf_config doc;
  pio_error err = {0};
  ck_assert_int_eq(pio_hf_config_open(&doc, NULL, 0, 0, &err), PIO_ERR_INVALID_ARGUMENT);
  ck_assert_msg(strstr(err.message, "NULL") != NULL, "%s", err.message);
}
END_TEST

/* The config is the plugin's; this one counts the reader's calls. */
struct pio_model_config {
  uint32_t hidden_size;
  int calls;
};

static pio_status read_hidden_size(pio_hf_config *doc, pio_model_config *c, pio_error *err) {
  c->calls++;
  return pio_hf_config_get_u32(doc, doc->root, "hidden_size", 1, 1, 65536, &c->hidden_size, err);
}

START_TEST(test_read_file_runs_the_reader_and_returns_its_status) {
  pio_model_config c = {0};
  pio_error err = {0};
  config_write_text("{\"hidden_size\": 64}");
  ck_assert_int_eq(pio_hf_config_read_file(config_path, 0, 0, read_hidden_size, &c, &err),
                   PIO_OK);
  unlink(config_path);
  ck_assert_uint_eq(c.hidden_size, 64);
  config_write_text("{\"hidden_size\": 0}");
  ck_assert_int_eq(pio_hf_config_read_file(config_path, 0, 0, read_hidden_size, &c, &err),
                   PIO_ERR_INVALID);
  config_assert_message(err.message, "field 'hidden_size'", "found 0");
  unlink(config_path);
  ck_assert_int_eq(c.calls, 2);
}
END_TEST

START_TEST(test_read_file_that_does_not_open_runs_no_reader) {
  pio_model_config c = {0};
  pio_error err = {0};
  config_write_text("[]");
  ck_assert_int_eq(pio_hf_config_read_file(config_path, 0, 0, read_hidden_size, &c, &err),
                   PIO_ERR_INVALID);
  config_assert_message(err.message, "expected a JSON object at the top", NULL);
  ck_assert_int_eq(pio_hf_config_read_file(config_path, 0, 0, NULL, &c, &err),
                   PIO_ERR_INVALID_ARGUMENT);
  unlink(config_path);
  ck_assert_int_eq(c.calls, 0);
}
END_TEST

START_TEST(test_where_names_line_column_and_parent) {
  pio_hf_config doc;
  open_text(&doc, "{\n  \"rope_scaling\": {\n    \"factor\": 8.0\n  }\n}\n");
  char want[300];
  snprintf(want, sizeof want, "%s:2:19", config_path);
  ck_assert_str_eq(pio_hf_config_where(&doc, doc.root, "rope_scaling", NULL), want);
  json_object *rs = NULL;
  ck_assert(json_object_object_get_ex(doc.root, "rope_scaling", &rs));
  snprintf(want, sizeof want, "%s:3:15: rope_scaling", config_path);
  ck_assert_str_eq(pio_hf_config_where(&doc, rs, "factor", "rope_scaling"), want);
  close_doc(&doc);
}
END_TEST

START_TEST(test_where_of_absent_member_is_the_path) {
  pio_hf_config doc;
  open_text(&doc, "{}");
  ck_assert_str_eq(pio_hf_config_where(&doc, doc.root, "head_dim", NULL), config_path);
  close_doc(&doc);
}
END_TEST

START_TEST(test_null_member_is_not_given) {
  pio_hf_config doc;
  open_text(&doc, "{\"a\": null, \"b\": 0}");
  ck_assert_int_eq(pio_hf_config_given(doc.root, "a"), 0);
  ck_assert_int_eq(pio_hf_config_given(doc.root, "b"), 1);
  ck_assert_int_eq(pio_hf_config_given(doc.root, "c"), 0);
  close_doc(&doc);
}
END_TEST

START_TEST(test_optional_null_keeps_every_default) {
  pio_hf_config doc;
  open_text(&doc, "{\"u\": null, \"d\": null, \"b\": null, \"s\": null, \"c\": null}");
  pio_error err = {0};
  uint32_t u = 7;
  double d = 2.5;
  int b = 1;
  const char *str = "kept", *choice = "kept";
  static const char *const choices[] = {"x", NULL};
  ck_assert_int_eq(pio_hf_config_get_u32(&doc, doc.root, "u", 0, 1, 9, &u, &err), PIO_OK);
  ck_assert_int_eq(pio_hf_config_get_double(&doc, doc.root, "d", 0, 0, 9, &d, &err), PIO_OK);
  ck_assert_int_eq(pio_hf_config_get_bool(&doc, doc.root, "b", 0, &b, &err), PIO_OK);
  ck_assert_int_eq(pio_hf_config_get_string(&doc, doc.root, "s", 0, &str, &err), PIO_OK);
  ck_assert_int_eq(pio_hf_config_get_choice(&doc, doc.root, "c", choices, "\"x\"", &choice, &err),
                   PIO_OK);
  ck_assert_uint_eq(u, 7);
  ck_assert_double_eq(d, 2.5);
  ck_assert_int_eq(b, 1);
  ck_assert_str_eq(str, "kept");
  ck_assert_str_eq(choice, "kept");
  close_doc(&doc);
}
END_TEST

START_TEST(test_required_null_is_the_wrong_type) {
  pio_hf_config doc;
  open_text(&doc, "{\n  \"hidden_size\": null\n}");
  pio_error err = {0};
  uint32_t u = 0;
  ck_assert_int_eq(pio_hf_config_get_u32(&doc, doc.root, "hidden_size", 1, 1, 9, &u, &err),
                   PIO_ERR_INVALID);
  config_assert_message(err.message, ":2:", "field 'hidden_size': expected an integer, found null");
  close_doc(&doc);
}
END_TEST

START_TEST(test_required_missing_is_named) {
  pio_hf_config doc;
  open_text(&doc, "{}");
  pio_error err = {0};
  double d = 0;
  ck_assert_int_eq(pio_hf_config_get_double(&doc, doc.root, "rope_theta", 1, 1, 9, &d, &err),
                   PIO_ERR_INVALID);
  config_assert_message(err.message, "missing required field 'rope_theta'", NULL);
  close_doc(&doc);
}
END_TEST

START_TEST(test_out_of_range_names_place_and_range) {
  pio_hf_config doc;
  open_text(&doc, "{\n  \"num_hidden_layers\": 5000\n}");
  pio_error err = {0};
  uint32_t u = 0;
  ck_assert_int_eq(pio_hf_config_get_u32(&doc, doc.root, "num_hidden_layers", 1, 1, 1024, &u,
                                         &err), PIO_ERR_INVALID);
  char at[300];
  snprintf(at, sizeof at, "%s:2:24: field 'num_hidden_layers'", config_path);
  config_assert_message(err.message, at, "from 1 to 1024, found 5000");
  close_doc(&doc);
}
END_TEST

START_TEST(test_object_member_or_null) {
  pio_hf_config doc;
  open_text(&doc, "{\"rope_scaling\": {\"factor\": 8.0}, \"quantization_config\": null}");
  json_object *o = doc.root; /* any value the call must overwrite */
  pio_error err = {0};
  ck_assert_int_eq(pio_hf_config_get_object(&doc, doc.root, "rope_scaling", &o, &err), PIO_OK);
  ck_assert(json_object_is_type(o, json_type_object));
  ck_assert_int_eq(pio_hf_config_get_object(&doc, doc.root, "quantization_config", &o, &err),
                   PIO_OK);
  ck_assert_ptr_null(o);
  o = doc.root;
  ck_assert_int_eq(pio_hf_config_get_object(&doc, doc.root, "absent", &o, &err), PIO_OK);
  ck_assert_ptr_null(o);
  close_doc(&doc);
}
END_TEST

START_TEST(test_object_member_of_another_type_is_refused) {
  pio_hf_config doc;
  open_text(&doc, "{\n  \"rope_scaling\": [8.0]\n}");
  json_object *o = NULL;
  pio_error err = {0};
  ck_assert_int_eq(pio_hf_config_get_object(&doc, doc.root, "rope_scaling", &o, &err),
                   PIO_ERR_INVALID);
  char at[300];
  snprintf(at, sizeof at, "%s:2:19: field 'rope_scaling'", config_path);
  config_assert_message(err.message, at, "expected an object or null, found an array");
  ck_assert_ptr_null(o);
  close_doc(&doc);
}
END_TEST

START_TEST(test_choice_gives_the_entry_of_choices) {
  pio_hf_config doc;
  open_text(&doc, "{\"hidden_act\": \"silu\"}");
  static const char *const acts[] = {"gelu", "silu", NULL};
  const char *act = NULL;
  pio_error err = {0};
  ck_assert_int_eq(pio_hf_config_get_choice(&doc, doc.root, "hidden_act", acts,
                                            "\"gelu\" or \"silu\"", &act, &err), PIO_OK);
  ck_assert_ptr_eq(act, acts[1]);
  close_doc(&doc);
}
END_TEST

START_TEST(test_choice_outside_choices_is_quoted_in_the_message) {
  pio_hf_config doc;
  open_text(&doc, "{\"hidden_act\": \"ge\\\"lu\"}");
  static const char *const acts[] = {"silu", NULL};
  const char *act = NULL;
  pio_error err = {0};
  ck_assert_int_eq(pio_hf_config_get_choice(&doc, doc.root, "hidden_act", acts, "\"silu\"", &act,
                                            &err), PIO_ERR_INVALID);
  config_assert_message(err.message, "field 'hidden_act': expected \"silu\"",
                        "found \"ge\\\"lu\"");
  ck_assert_ptr_null(act);
  close_doc(&doc);
}
END_TEST

/* Opens text and checks its architectures for "LlamaForCausalLM". */
static pio_status architectures_of(const char *text, pio_error *err) {
  pio_hf_config doc;
  open_text(&doc, text);
  pio_status s = pio_hf_config_check_architecture(&doc, "LlamaForCausalLM", err);
  close_doc(&doc);
  return s;
}

START_TEST(test_architecture_named_among_others_is_accepted) {
  pio_error err = {0};
  ck_assert_int_eq(architectures_of("{\"architectures\": [\"A\", \"LlamaForCausalLM\"]}", &err),
                   PIO_OK);
}
END_TEST

START_TEST(test_architectures_missing_is_named) {
  pio_error err = {0};
  ck_assert_int_eq(architectures_of("{}", &err), PIO_ERR_INVALID);
  config_assert_message(err.message, "missing required field 'architectures'",
                        "naming \"LlamaForCausalLM\"");
}
END_TEST

START_TEST(test_architectures_not_an_array_is_refused) {
  pio_error err = {0};
  ck_assert_int_eq(architectures_of("{\"architectures\": \"LlamaForCausalLM\"}", &err),
                   PIO_ERR_INVALID);
  config_assert_message(err.message, ":1:", "expected an array of strings, found a string");
}
END_TEST

START_TEST(test_architectures_item_not_a_string_is_refused) {
  pio_error err = {0};
  ck_assert_int_eq(architectures_of("{\"architectures\": [\"A\", 3]}", &err), PIO_ERR_INVALID);
  config_assert_message(err.message, "'architectures': item 1",
                        "expected a string, found an integer");
}
END_TEST

START_TEST(test_architectures_without_the_name_lists_what_it_holds) {
  pio_error err = {0};
  ck_assert_int_eq(architectures_of("{\"architectures\": [\"A\", \"B\"]}", &err),
                   PIO_ERR_INVALID);
  config_assert_message(err.message, "expected an array naming \"LlamaForCausalLM\"",
                        "found \"A\", \"B\"");
  ck_assert_int_eq(architectures_of("{\"architectures\": []}", &err), PIO_ERR_INVALID);
  config_assert_message(err.message, "'architectures'", "found an empty array");
}
END_TEST

START_TEST(test_architectures_long_list_is_cut) {
  char text[8192] = "{\"architectures\": [";
  for (int i = 0; i < 100; i++)
    snprintf(text + strlen(text), sizeof text - strlen(text), "%s\"Class%03dForCausalLM\"",
             i > 0 ? ", " : "", i);
  snprintf(text + strlen(text), sizeof text - strlen(text), "]}");
  pio_error err = {0};
  ck_assert_int_eq(architectures_of(text, &err), PIO_ERR_INVALID);
  config_assert_message(err.message, "found \"Class000ForCausalLM\", ", "...");
  ck_assert_msg(strstr(err.message, "Class099") == NULL, "%s", err.message);
}
END_TEST

/* Opens text and reads its dtype; *present and *dtype come back. */
static pio_status dtype_of(const char *text, int *present, pio_dtype *dtype, pio_error *err) {
  pio_hf_config doc;
  open_text(&doc, text);
  pio_status s = pio_hf_config_read_dtype(&doc, present, dtype, err);
  close_doc(&doc);
  return s;
}

START_TEST(test_dtype_reads_torch_dtype_first) {
  int present = 0;
  pio_dtype dtype = PIO_DTYPE_FP8;
  pio_error err = {0};
  ck_assert_int_eq(dtype_of("{\"torch_dtype\": \"float32\", \"dtype\": \"float16\"}", &present,
                            &dtype, &err), PIO_OK);
  ck_assert_int_eq(present, 1);
  ck_assert_int_eq(dtype, PIO_DTYPE_F32);
}
END_TEST

START_TEST(test_dtype_newer_key_is_read_when_torch_dtype_is_not_given) {
  int present = 0;
  pio_dtype dtype = PIO_DTYPE_FP8;
  pio_error err = {0};
  ck_assert_int_eq(dtype_of("{\"torch_dtype\": null, \"dtype\": \"bfloat16\"}", &present,
                            &dtype, &err), PIO_OK);
  ck_assert_int_eq(present, 1);
  ck_assert_int_eq(dtype, PIO_DTYPE_BF16);
}
END_TEST

START_TEST(test_dtype_absent_is_not_present) {
  int present = 1;
  pio_dtype dtype = PIO_DTYPE_FP8;
  pio_error err = {0};
  ck_assert_int_eq(dtype_of("{}", &present, &dtype, &err), PIO_OK);
  ck_assert_int_eq(present, 0);
  ck_assert_int_eq(dtype, PIO_DTYPE_FP8);
}
END_TEST

START_TEST(test_dtype_unknown_names_its_key) {
  int present = 0;
  pio_dtype dtype = PIO_DTYPE_FP8;
  pio_error err = {0};
  ck_assert_int_eq(dtype_of("{\"dtype\": \"float64\"}", &present, &dtype, &err),
                   PIO_ERR_INVALID);
  config_assert_message(err.message, "field 'dtype': expected \"float32\", \"bfloat16\" or "
                        "\"float16\"", "found \"float64\"");
}
END_TEST

/* ---- the decoder shape, architectures, per-layer lists, KV scheme ---- */

static const char decoder_text[] =
    "{\"architectures\": [\"XForCausalLM\"], \"hidden_size\": 64, \"intermediate_size\": 128,"
    " \"num_hidden_layers\": 4, \"num_attention_heads\": 4, \"num_key_value_heads\": 2,"
    " \"vocab_size\": 100, \"max_position_embeddings\": 512, \"rope_theta\": 5e5,"
    " \"rope_scaling\": {\"type\": \"linear\", \"factor\": 8.0}, \"torch_dtype\": \"bfloat16\"}";

/* Reads text as a decoder with d's defaults; the status, message in err. */
static pio_status decoder_of(const char *text, pio_hf_decoder *d, pio_error *err) {
  pio_hf_config doc;
  open_text(&doc, text);
  pio_status s = pio_hf_decoder_read(&doc, doc.root, 1, d, err);
  close_doc(&doc);
  return s;
}

START_TEST(test_decoder_reads_the_shape_and_keeps_defaults) {
  pio_hf_decoder d = {.rms_norm_eps = 1e-6, .tie_word_embeddings = 1};
  pio_error err = {0};
  ck_assert_int_eq(decoder_of(decoder_text, &d, &err), PIO_OK);
  ck_assert_uint_eq(d.hidden_size, 64);
  ck_assert_uint_eq(d.n_kv_heads, 2);
  ck_assert_uint_eq(d.head_dim, 16);
  ck_assert(d.rms_norm_eps == 1e-6 && d.rope_theta == 5e5 && d.tie_word_embeddings);
  ck_assert_str_eq(d.rope_type, "linear");
  ck_assert(d.rope_factor == 8.0);
  ck_assert(d.has_torch_dtype && d.torch_dtype == PIO_DTYPE_BF16);
  /* 100 x 64 tied + final norm; 4 heads of 16 and 2 KV heads of 16 in 64. */
  ck_assert_uint_eq(pio_hf_decoder_outer_params(&d), 100 * 64 + 64);
  ck_assert_uint_eq(pio_hf_decoder_attention_params(&d), 64 * (2 * 64 + 2 * 32));
}
END_TEST

START_TEST(test_decoder_fields_without_defaults_are_required) {
  pio_hf_decoder d = {0};
  pio_error err = {0};
  config_write_text("{\"hidden_size\": 64}");
  pio_hf_config doc;
  ck_assert_int_eq(pio_hf_config_open(&doc, config_path, 0, 0, &err), PIO_OK);
  ck_assert_int_eq(pio_hf_decoder_read(&doc, doc.root, 1, &d, &err), PIO_ERR_INVALID);
  config_assert_message(err.message, "missing required field 'intermediate_size'", NULL);
  d = (pio_hf_decoder){.intermediate_size = 7, .n_layers = 2, .n_heads = 4, .vocab_size = 9,
                       .max_position = 16};
  ck_assert_int_eq(pio_hf_decoder_read(&doc, doc.root, 1, &d, &err), PIO_OK); /* defaults */
  close_doc(&doc);
  ck_assert_uint_eq(d.n_kv_heads, 4);
}
END_TEST

START_TEST(test_decoder_head_dim_is_derived_and_even) {
  pio_hf_decoder d = {0};
  pio_error err = {0};
  config_write_text("{\"hidden_size\": 60, \"intermediate_size\": 1, \"num_hidden_layers\": 1,"
                    " \"num_attention_heads\": 7, \"vocab_size\": 1,"
                    " \"max_position_embeddings\": 1}");
  pio_hf_config doc;
  ck_assert_int_eq(pio_hf_config_open(&doc, config_path, 0, 0, &err), PIO_OK);
  ck_assert_int_eq(pio_hf_decoder_read(&doc, doc.root, 1, &d, &err), PIO_ERR_INVALID);
  config_assert_message(err.message, "without 'head_dim', expected a divisor of hidden_size",
                        NULL);
  d = (pio_hf_decoder){.head_dim = 9}; /* a family default, odd: refused */
  ck_assert_int_eq(pio_hf_decoder_read(&doc, doc.root, 1, &d, &err), PIO_ERR_INVALID);
  config_assert_message(err.message, "field 'head_dim': expected an even number", NULL);
  close_doc(&doc);
}
END_TEST

START_TEST(test_one_of_several_architectures_is_found) {
  static const char *const choices[] = {"AForCausalLM", "BForCausalLM", NULL};
  pio_hf_config doc;
  pio_error err = {0};
  const char *found = NULL;
  open_text(&doc, "{\"architectures\": [\"Other\", \"BForCausalLM\"]}");
  ck_assert_int_eq(pio_hf_config_check_architectures(&doc, choices, &found, &err), PIO_OK);
  ck_assert_ptr_eq(found, choices[1]);
  close_doc(&doc);
  open_text(&doc, "{\"architectures\": [\"Other\"]}");
  ck_assert_int_eq(pio_hf_config_check_architectures(&doc, choices, &found, &err),
                   PIO_ERR_INVALID);
  close_doc(&doc);
  ck_assert_ptr_nonnull(strstr(err.message, "naming one of \"AForCausalLM\" or "
                                            "\"BForCausalLM\", found \"Other\""));
}
END_TEST

START_TEST(test_layer_lists_are_read_and_checked) {
  pio_hf_config doc;
  pio_error err = {0};
  uint8_t flags[4] = {0}, mask[4] = {9, 9, 9, 9}, kinds[4] = {0};
  int given = 0;
  open_text(&doc, "{\"moe\": [3, 1], \"rope\": [1, 0, 1, 1], \"empty\": [], \"bad\": [4],"
                  " \"types\": [\"sliding_attention\", \"full_attention\","
                  " \"chunked_attention\", \"full_attention\"], \"odd\": [\"mamba\"]}");
  ck_assert_int_eq(pio_hf_config_read_layer_indices(&doc, doc.root, "moe", 4, 1, flags, &given,
                                                    &err), PIO_OK);
  ck_assert(given && flags[3] == 1 && flags[1] == 1 && flags[0] == 0);
  ck_assert_int_eq(pio_hf_config_read_layer_mask(&doc, doc.root, "rope", 4, mask, &given, &err),
                   PIO_OK);
  ck_assert(given && mask[0] == 1 && mask[1] == 0);
  ck_assert_int_eq(pio_hf_config_read_layer_mask(&doc, doc.root, "empty", 4, mask, &given, &err),
                   PIO_OK);
  ck_assert(!given);
  ck_assert_int_eq(pio_hf_config_read_layer_indices(&doc, doc.root, "bad", 4, 1, flags, &given,
                                                    &err), PIO_ERR_INVALID);
  ck_assert_ptr_nonnull(strstr(err.message, "field 'bad': item 0: expected an integer from 0 "
                                            "to 3"));
  ck_assert_int_eq(pio_hf_config_read_layer_mask(&doc, doc.root, "moe", 4, mask, &given, &err),
                   PIO_ERR_INVALID);
  ck_assert_int_eq(pio_hf_config_read_layer_types(&doc, doc.root, 4, kinds, &given, &err),
                   PIO_OK);
  ck_assert(!given); /* no "layer_types" member */
  close_doc(&doc);
}
END_TEST

START_TEST(test_kv_cache_scheme_is_read) {
  pio_hf_config doc;
  pio_error err = {0};
  pio_hf_kv_scheme kv;
  open_text(&doc, "{\"quantization_config\": {\"kv_cache_scheme\": {\"num_bits\": 8, "
                  "\"type\": \"int\", \"strategy\": \"attn_head\"}}}");
  ck_assert_int_eq(pio_hf_config_read_kv_scheme(&doc, &kv, &err), PIO_OK);
  close_doc(&doc);
  ck_assert(kv.quantized && kv.dtype == PIO_DTYPE_INT8 && kv.scales == PIO_KV_SCALES_HEAD);
  open_text(&doc, "{\"quantization_config\": {\"quant_method\": \"fp8\"}}");
  ck_assert_int_eq(pio_hf_config_read_kv_scheme(&doc, &kv, &err), PIO_OK);
  close_doc(&doc);
  ck_assert(!kv.quantized);
  open_text(&doc, "{\"quantization_config\": {\"kv_cache_scheme\": {\"num_bits\": 8, "
                  "\"type\": \"float\", \"strategy\": \"token\"}}}");
  ck_assert_int_eq(pio_hf_config_read_kv_scheme(&doc, &kv, &err), PIO_ERR_UNSUPPORTED);
  close_doc(&doc);
  ck_assert_ptr_nonnull(strstr(err.message, "field 'strategy': expected \"tensor\" or "
                                            "\"attn_head\", found \"token\""));
}
END_TEST

static Suite *hf_config_suite(void) {
  Suite *s = suite_create("hf_config");
  TCase *t = tcase_create("hf_config");
  tcase_add_test(t, test_open_top_level_array_is_refused);
  tcase_add_test(t, test_open_syntax_error_has_line_and_column);
  tcase_add_test(t, test_open_file_over_max_bytes_is_refused);
  tcase_add_test(t, test_open_missing_file_names_it);
  tcase_add_test(t, test_open_null_path_is_refused);
  tcase_add_test(t, test_read_file_runs_the_reader_and_returns_its_status);
  tcase_add_test(t, test_read_file_that_does_not_open_runs_no_reader);
  tcase_add_test(t, test_where_names_line_column_and_parent);
  tcase_add_test(t, test_where_of_absent_member_is_the_path);
  tcase_add_test(t, test_null_member_is_not_given);
  tcase_add_test(t, test_optional_null_keeps_every_default);
  tcase_add_test(t, test_required_null_is_the_wrong_type);
  tcase_add_test(t, test_required_missing_is_named);
  tcase_add_test(t, test_out_of_range_names_place_and_range);
  tcase_add_test(t, test_object_member_or_null);
  tcase_add_test(t, test_object_member_of_another_type_is_refused);
  tcase_add_test(t, test_choice_gives_the_entry_of_choices);
  tcase_add_test(t, test_choice_outside_choices_is_quoted_in_the_message);
  tcase_add_test(t, test_architecture_named_among_others_is_accepted);
  tcase_add_test(t, test_architectures_missing_is_named);
  tcase_add_test(t, test_architectures_not_an_array_is_refused);
  tcase_add_test(t, test_architectures_item_not_a_string_is_refused);
  tcase_add_test(t, test_architectures_without_the_name_lists_what_it_holds);
  tcase_add_test(t, test_architectures_long_list_is_cut);
  tcase_add_test(t, test_dtype_reads_torch_dtype_first);
  tcase_add_test(t, test_dtype_newer_key_is_read_when_torch_dtype_is_not_given);
  tcase_add_test(t, test_dtype_absent_is_not_present);
  tcase_add_test(t, test_dtype_unknown_names_its_key);
  tcase_add_test(t, test_decoder_reads_the_shape_and_keeps_defaults);
  tcase_add_test(t, test_decoder_fields_without_defaults_are_required);
  tcase_add_test(t, test_decoder_head_dim_is_derived_and_even);
  tcase_add_test(t, test_one_of_several_architectures_is_found);
  tcase_add_test(t, test_layer_lists_are_read_and_checked);
  tcase_add_test(t, test_kv_cache_scheme_is_read);
  suite_add_tcase(s, t);
  return s;
}

int main(void) {
  SRunner *runner = srunner_create(hf_config_suite());
  srunner_run_all(runner, CK_NORMAL);
  int failed = srunner_ntests_failed(runner);
  srunner_free(runner);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
