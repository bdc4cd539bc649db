/* tests/test_manifest_variants.c — a manifest's "variants" (several builds of
 * one plugin in its folder): read in order with their needs, and every
 * hostile form refused with the file, position and field: a module outside
 * the folder, a repeated name, a need the host does not know, a bad compute
 * capability, too many or none, an entry point that is no variant.  The
 * shared corpus (tests/data/manifests) holds the forms the schema can say
 * too; these are the ones only the parser checks, and the messages. */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "manifest/manifest.h"

#define ASSERT_HAS(text, fragment) \
  ck_assert_msg(strstr((text), (fragment)) != NULL, "no '%s' in: %s", (fragment), (text))

/* A manifest whose entry point is (tiny, tiny_entry), with `variants` (a
 * JSON array) as its last member. */
static pio_status parse_with(const char *variants, pio_manifest **out, pio_error *err) {
  char text[8192];
  snprintf(text, sizeof text,
           "{\"name\": \"tiny\", \"version\": \"0.1.0\", \"plugin_type\": \"model\",\n"
           " \"model_architecture\": \"TinyForCausalLM\",\n"
           " \"entry_point\": {\"module\": \"tiny\", \"factory_function\": \"tiny_entry\"},\n"
           " \"compatibility\": {\"abi\": {\"min\": \"1.0\"}},\n"
           " \"variants\": %s}",
           variants);
  *out = NULL;
  pio_error_clear(err);
  return manifest_parse_buffer("m.json", text, strlen(text), NULL, out, err);
}

#define CPU "{\"name\": \"cpu\", \"module\": \"tiny\", \"factory_function\": \"tiny_entry\"}"

static void assert_refused(const char *variants, const char *field, const char *fragment) {
  pio_manifest *m = NULL;
  pio_error err;
  ck_assert_int_eq(parse_with(variants, &m, &err), PIO_ERR_INVALID);
  ck_assert_ptr_null(m);
  ASSERT_HAS(err.message, "m.json:");
  ASSERT_HAS(err.message, field);
  ASSERT_HAS(err.message, fragment);
}

START_TEST(test_variants_are_read_in_order_with_their_needs) {
  pio_manifest *m = NULL;
  pio_error err;
  ck_assert_int_eq(parse_with("[{\"name\": \"cuda\", \"module\": \"tiny_cuda\", "
                              "\"factory_function\": \"tiny_cuda_entry\", \"needs\": {\"cuda\": "
                              "{\"compute_capability\": \"8.9\", \"driver\": \"12.4\", "
                              "\"memory_gb\": 3}}},\n"
                              " {\"name\": \"avx512\", \"module\": \"tiny_avx512\", "
                              "\"factory_function\": \"tiny_entry\", \"needs\": "
                              "{\"cpu_features\": [\"avx512f\", \"amx\"]}},\n " CPU "]",
                              &m, &err),
                   PIO_OK);
  ck_assert_uint_eq(m->n_variants, 3);
  const pio_manifest_variant *cuda = &m->variants[0], *avx = &m->variants[1];
  ck_assert_str_eq(cuda->name, "cuda");
  ck_assert_str_eq(cuda->module, "tiny_cuda");
  ck_assert_str_eq(cuda->function, "tiny_cuda_entry");
  ck_assert_uint_eq(cuda->needs_cuda, 1);
  ck_assert_uint_eq(cuda->cuda_min_capability, 89);
  ck_assert_uint_eq(cuda->cuda_min_driver, 12040);
  ck_assert_double_eq(cuda->cuda_min_memory_gb, 3.0);
  ck_assert_uint_eq(avx->needs_cuda, 0);
  ck_assert_uint_eq(avx->cpu_features.count, 2);
  ck_assert_str_eq(avx->cpu_features.items[1], "amx_tile"); /* the canonical name */
  ck_assert_uint_eq(avx->cpu_feature_mask, 1ull << PIO_CPU_AVX512F | 1ull << PIO_CPU_AMX_TILE);
  ck_assert_str_eq(m->variants[2].name, "cpu");
  ck_assert_uint_eq(m->variants[2].cpu_feature_mask, 0);
  ck_assert_uint_eq(m->warnings.count, 0);
  manifest_free(m);
}
END_TEST

START_TEST(test_a_manifest_without_variants_has_none) {
  pio_manifest *m = NULL;
  pio_error err;
  const char text[] = "{\"name\": \"tiny\", \"version\": \"0.1.0\", \"plugin_type\": \"model\", "
                      "\"model_architecture\": \"TinyForCausalLM\", \"entry_point\": {\"module\": "
                      "\"tiny\", \"factory_function\": \"tiny_entry\"}, \"compatibility\": "
                      "{\"abi\": {\"min\": \"1.0\"}}}";
  ck_assert_int_eq(manifest_parse_buffer("m.json", text, strlen(text), NULL, &m, &err), PIO_OK);
  ck_assert_uint_eq(m->n_variants, 0);
  ck_assert_ptr_null(m->variants);
  manifest_free(m);
}
END_TEST

START_TEST(test_a_module_outside_the_folder_is_refused) {
  assert_refused("[{\"name\": \"x\", \"module\": \"../other/tiny\", \"factory_function\": \"e\"}, "
                 CPU "]", "variants[0].module", "plain file name");
  assert_refused("[{\"name\": \"x\", \"module\": \"/usr/lib/tiny\", \"factory_function\": \"e\"}, "
                 CPU "]", "variants[0].module", "plain file name");
  assert_refused("[" CPU ", {\"name\": \"x\", \"module\": \"..\", \"factory_function\": \"e\"}]",
                 "variants[1].module", "");
}
END_TEST

START_TEST(test_a_repeated_name_is_refused) {
  assert_refused("[" CPU ", {\"name\": \"cpu\", \"module\": \"tiny2\", \"factory_function\": "
                 "\"e\"}]", "variants[1].name", "\"cpu\" again (variants[0])");
}
END_TEST

START_TEST(test_an_unknown_need_is_refused_not_warned) {
  assert_refused("[{\"name\": \"x\", \"module\": \"t\", \"factory_function\": \"e\", \"needs\": "
                 "{\"rocm\": {}}}, " CPU "]", "variants[0].needs.rocm",
                 "unknown field \"rocm\": expected one of cpu_features, cuda");
  assert_refused("[{\"name\": \"x\", \"module\": \"t\", \"factory_function\": \"e\", \"needs\": "
                 "{\"cuda\": {\"compute_capability\": \"9.0\", \"nvlink\": true}}}, " CPU "]",
                 "variants[0].needs.cuda.nvlink", "unknown field \"nvlink\"");
  assert_refused("[{\"name\": \"x\", \"module\": \"t\", \"factory_function\": \"e\", "
                 "\"moduel\": \"t2\"}, " CPU "]", "variants[0].moduel", "unknown field");
  assert_refused("[{\"name\": \"x\", \"module\": \"t\", \"factory_function\": \"e\", \"needs\": "
                 "{\"cpu_features\": [\"avx1024\"]}}, " CPU "]",
                 "variants[0].needs.cpu_features[0]", "known CPU feature");
}
END_TEST

START_TEST(test_cuda_needs_a_well_formed_compute_capability) {
  const char *bad[] = {"\"sm_90\"", "\"9\"", "\"9.10\"", "\"09.0\"", "\"-9.0\"", "\" 9.0\"", "9.0"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    char variants[512];
    snprintf(variants, sizeof variants,
             "[{\"name\": \"x\", \"module\": \"t\", \"factory_function\": \"e\", \"needs\": "
             "{\"cuda\": {\"compute_capability\": %s}}}, " CPU "]",
             bad[i]);
    assert_refused(variants, "variants[0].needs.cuda.compute_capability", "");
  }
  assert_refused("[{\"name\": \"x\", \"module\": \"t\", \"factory_function\": \"e\", \"needs\": "
                 "{\"cuda\": {\"driver\": \"12.4\"}}}, " CPU "]",
                 "variants[0].needs.cuda.compute_capability", "");
  assert_refused("[{\"name\": \"x\", \"module\": \"t\", \"factory_function\": \"e\", \"needs\": "
                 "{\"cuda\": {\"compute_capability\": \"9.0\", \"memory_gb\": -1}}}, " CPU "]",
                 "variants[0].needs.cuda.memory_gb", "");
}
END_TEST

START_TEST(test_none_or_too_many_variants_are_refused) {
  assert_refused("[]", "variants", "expected 1 to 16 variants, found 0");
  char variants[8192] = "[" CPU;
  for (int i = 0; i < 16; i++) {
    char one[160];
    snprintf(one, sizeof one, ", {\"name\": \"v%d\", \"module\": \"t%d\", \"factory_function\": "
             "\"e\"}", i, i);
    strcat(variants, one);
  }
  strcat(variants, "]");
  assert_refused(variants, "variants", "expected 1 to 16 variants, found 17");
  assert_refused("[\"tiny\"]", "variants[0]", "expected an object");
}
END_TEST

START_TEST(test_the_entry_point_must_be_a_variant) {
  assert_refused("[{\"name\": \"cuda\", \"module\": \"tiny_cuda\", \"factory_function\": "
                 "\"tiny_entry\"}]", "variants",
                 "expected entry_point (module \"tiny\", factory_function \"tiny_entry\") to be "
                 "one of the variants");
}
END_TEST

static Suite *variants_suite(void) {
  Suite *s = suite_create("manifest_variants");
  TCase *t = tcase_create("variants");
  tcase_add_test(t, test_variants_are_read_in_order_with_their_needs);
  tcase_add_test(t, test_a_manifest_without_variants_has_none);
  tcase_add_test(t, test_a_module_outside_the_folder_is_refused);
  tcase_add_test(t, test_a_repeated_name_is_refused);
  tcase_add_test(t, test_an_unknown_need_is_refused_not_warned);
  tcase_add_test(t, test_cuda_needs_a_well_formed_compute_capability);
  tcase_add_test(t, test_none_or_too_many_variants_are_refused);
  tcase_add_test(t, test_the_entry_point_must_be_a_variant);
  suite_add_tcase(s, t);
  return s;
}

int main(void) {
  SRunner *r = srunner_create(variants_suite());
  srunner_run_all(r, CK_NORMAL);
  const int failed = srunner_ntests_failed(r);
  srunner_free(r);
  return failed == 0 ? 0 : 1;
}
