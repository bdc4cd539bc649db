/* tests/test_family_configs.c — the config and kv_cache components of the
 * family plugins (qwen3, mistral, gemma, gpt_oss, llama4, jamba), reached
 * through their entry points as the host reaches them: every preset
 * parses, every bad field is refused naming the file and the field, the
 * layer pattern each family derives when config.json leaves it out, and
 * the ABI's older, shorter tables are filled no further than they reach. */
#include <check.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config_file_helpers.h"
#include "pio/plugin.h"

const pio_plugin *pio_qwen3_entry(const pio_host_services *host, pio_error *err);
const pio_plugin *pio_mistral_entry(const pio_host_services *host, pio_error *err);
const pio_plugin *pio_gemma_entry(const pio_host_services *host, pio_error *err);
const pio_plugin *pio_gpt_oss_entry(const pio_host_services *host, pio_error *err);
const pio_plugin *pio_llama4_entry(const pio_host_services *host, pio_error *err);
const pio_plugin *pio_jamba_entry(const pio_host_services *host, pio_error *err);

typedef const pio_plugin *(*entry_fn)(const pio_host_services *, pio_error *);

static const pio_plugin *plugin_of(entry_fn entry) {
  const pio_host_services host = {
      .struct_size = sizeof host, .abi_major = PIO_ABI_MAJOR, .abi_minor = PIO_ABI_MINOR};
  pio_error err = {0};
  const pio_plugin *p = entry(&host, &err);
  ck_assert_msg(p != NULL, "%s", err.message);
  return p;
}

/* The preset file NAME.json, parsed into a JSON object to edit. */
static json_object *preset(const char *name) {
  char path[512];
  snprintf(path, sizeof path, "%s/%s.json", PRESETS_DIR, name);
  json_object *o = json_object_from_file(path);
  ck_assert_msg(o != NULL, "cannot read %s", path);
  return o;
}

/* The parse of preset NAME through the plugin of entry. */
static pio_model_config *parse_preset(entry_fn entry, const char *name) {
  char path[512];
  snprintf(path, sizeof path, "%s/%s.json", PRESETS_DIR, name);
  return config_parse_ok(plugin_of(entry)->config->parse_file, path);
}

static pio_kv_figures figures(entry_fn entry, const pio_model_config *c, uint32_t tp, uint32_t pp) {
  pio_kv_query q = {.struct_size = sizeof q,
                    .kv_dtype = PIO_DTYPE_BF16,
                    .tp = tp,
                    .pp = pp,
                    .page_size = 16,
                    .access = PIO_KV_ACCESS_BLOCK,
                    .formula = PIO_KV_FORMULA_PIO,
                    .state_dtype = PIO_DTYPE_BF16};
  pio_kv_figures f;
  memset(&f, 0, sizeof f);
  f.struct_size = sizeof f;
  pio_error err = {0};
  pio_status s = plugin_of(entry)->kv_cache->figures(c, &q, &f, &err);
  ck_assert_msg(s == PIO_OK, "%s", err.message);
  return f;
}

/* Preset NAME with member key of parent ("" or "text_config") set to value
 * (NULL: removed), parsed by entry's plugin: the status, and the message
 * naming the file, fragment and fragment2. */
static void expect_refused(entry_fn entry, const char *name, const char *parent, const char *key,
                           const char *value, pio_status status, const char *fragment,
                           const char *fragment2) {
  config_write_with(preset(name), parent, key, value);
  config_expect_error(plugin_of(entry)->config->parse_file, status, fragment, fragment2);
}

/* layer_types of n layers, the first of kind first and the rest full. */
static const char *layer_types(uint32_t n, const char *first) {
  static char text[4096];
  snprintf(text, sizeof text, "[\"%s\"", first);
  for (uint32_t i = 1; i < n; i++)
    strncat(text, ", \"full_attention\"", sizeof text - strlen(text) - 1);
  strncat(text, "]", sizeof text - strlen(text) - 1);
  return text;
}

START_TEST(test_every_preset_parses_through_its_plugin) {
  static const struct {
    entry_fn entry;
    const char *name;
    const char *architecture;
  } presets[] = {
      {pio_qwen3_entry, "qwen3-8b", "Qwen3ForCausalLM"},
      {pio_qwen3_entry, "qwen3-32b", "Qwen3ForCausalLM"},
      {pio_qwen3_entry, "qwen3-235b-a22b", "Qwen3MoeForCausalLM"},
      {pio_mistral_entry, "mistral-7b", "MistralForCausalLM"},
      {pio_mistral_entry, "mixtral-8x7b", "MixtralForCausalLM"},
      {pio_gemma_entry, "gemma-3-1b", "Gemma3ForCausalLM"},
      {pio_gemma_entry, "gemma-3-27b", "Gemma3ForConditionalGeneration"},
      {pio_gemma_entry, "gemma-2-9b", "Gemma2ForCausalLM"},
      {pio_gpt_oss_entry, "gpt-oss-20b", "GptOssForCausalLM"},
      {pio_gpt_oss_entry, "gpt-oss-120b", "GptOssForCausalLM"},
      {pio_llama4_entry, "llama-4-scout", "Llama4ForConditionalGeneration"},
      {pio_jamba_entry, "jamba-v0.1", "JambaForCausalLM"},
  };
  for (size_t i = 0; i < sizeof presets / sizeof presets[0]; i++) {
    const pio_plugin *p = plugin_of(presets[i].entry);
    pio_model_config *c = parse_preset(presets[i].entry, presets[i].name);
    pio_model_summary s = {.struct_size = sizeof s};
    pio_error err = {0};
    ck_assert_int_eq(p->config->summarize(c, &s, &err), PIO_OK);
    ck_assert_str_eq(s.architecture, presets[i].architecture);
    ck_assert_uint_eq(s.struct_size, sizeof s);
    ck_assert(s.n_params_active <= s.n_params);
    p->config->free(c);
  }
}
END_TEST

START_TEST(test_tables_list_the_manifests_additional_architectures) {
  const pio_plugin *q = plugin_of(pio_qwen3_entry);
  ck_assert_str_eq(q->additional_architectures[0], "Qwen2ForCausalLM");
  ck_assert_str_eq(q->additional_architectures[1], "Qwen3MoeForCausalLM");
  ck_assert_ptr_null(q->additional_architectures[2]);
  ck_assert_ptr_null(plugin_of(pio_gpt_oss_entry)->additional_architectures);
}
END_TEST

START_TEST(test_an_entry_refuses_a_host_of_another_major) {
  const pio_host_services host = {.struct_size = sizeof host, .abi_major = PIO_ABI_MAJOR + 1};
  pio_error err = {0};
  ck_assert_ptr_null(pio_gemma_entry(&host, &err));
  ck_assert_int_eq(err.code, PIO_ERR_ABI);
  ck_assert_ptr_nonnull(strstr(err.message, "gemma: built for pio ABI"));
  ck_assert_ptr_null(pio_jamba_entry(NULL, &err));
}
END_TEST

START_TEST(test_an_unserved_architecture_lists_the_ones_served) {
  expect_refused(pio_qwen3_entry, "qwen3-8b", "", "architectures", "[\"LlamaForCausalLM\"]",
                 PIO_ERR_INVALID,
                 "expected an array naming one of \"Qwen3ForCausalLM\", "
                 "\"Qwen2ForCausalLM\" or \"Qwen3MoeForCausalLM\"",
                 "found \"LlamaForCausalLM\"");
}
END_TEST

START_TEST(test_shared_shape_fields_are_checked_for_every_family) {
  expect_refused(pio_qwen3_entry, "qwen3-8b", "", "num_key_value_heads", "7", PIO_ERR_INVALID,
                 "field 'num_key_value_heads'", "divisor of num_attention_heads (32)");
  expect_refused(pio_mistral_entry, "mistral-7b", "", "num_hidden_layers", "5000", PIO_ERR_INVALID,
                 "field 'num_hidden_layers'", "1 to 1024");
  expect_refused(pio_gemma_entry, "gemma-3-27b", "text_config", "hidden_size", "\"5376\"",
                 PIO_ERR_INVALID, "field 'hidden_size'", NULL);
  expect_refused(pio_gpt_oss_entry, "gpt-oss-20b", "", "head_dim", "63", PIO_ERR_INVALID,
                 "field 'head_dim'", "even");
  expect_refused(pio_llama4_entry, "llama-4-scout", "", "text_config", NULL, PIO_ERR_INVALID,
                 "missing required field 'text_config'", NULL);
  expect_refused(pio_jamba_entry, "jamba-v0.1", "", "hidden_size", NULL, PIO_ERR_INVALID,
                 "missing required field 'hidden_size'", NULL);
  expect_refused(pio_qwen3_entry, "qwen3-8b", "", "rope_scaling", "[1]", PIO_ERR_INVALID,
                 "field 'rope_scaling'", "an object or null");
}
END_TEST

START_TEST(test_qwen_fields_are_checked) {
  expect_refused(pio_qwen3_entry, "qwen3-8b", "", "hidden_act", "\"gelu\"", PIO_ERR_INVALID,
                 "field 'hidden_act'", "\"silu\"");
  expect_refused(pio_qwen3_entry, "qwen3-235b-a22b", "", "num_experts_per_tok", "129",
                 PIO_ERR_INVALID, "field 'num_experts_per_tok'", "1 to 128");
  expect_refused(pio_qwen3_entry, "qwen3-235b-a22b", "", "mlp_only_layers", "[0, 94]",
                 PIO_ERR_INVALID, "field 'mlp_only_layers': item 1", "0 to 93");
  expect_refused(pio_qwen3_entry, "qwen3-235b-a22b", "", "moe_intermediate_size", NULL,
                 PIO_ERR_INVALID, "missing required field 'moe_intermediate_size'", NULL);
  expect_refused(pio_qwen3_entry, "qwen3-8b", "", "layer_types", "[\"full_attention\"]",
                 PIO_ERR_INVALID, "field 'layer_types'", "36 strings");
  expect_refused(pio_qwen3_entry, "qwen3-8b", "", "layer_types",
                 layer_types(36, "linear_attention"), PIO_ERR_UNSUPPORTED, "item 0",
                 "found \"linear_attention\"");
}
END_TEST

/* Qwen slides from max_window_layers on, when use_sliding_window says so. */
START_TEST(test_qwen_slides_above_max_window_layers) {
  json_object *o = preset("qwen3-8b");
  json_object_object_add(o, "use_sliding_window", json_object_new_boolean(1));
  json_object_object_add(o, "sliding_window", json_object_new_int(4096));
  json_object_object_add(o, "max_window_layers", json_object_new_int(28));
  config_write_with(o, "", "model_type", "\"qwen3\"");
  pio_model_config *c =
      config_parse_ok(plugin_of(pio_qwen3_entry)->config->parse_file, config_path);
  unlink(config_path);
  pio_kv_figures f = figures(pio_qwen3_entry, c, 1, 1);
  ck_assert_uint_eq(f.n_classes, 2);
  ck_assert_uint_eq(f.classes[0].kind, PIO_KV_LAYER_FULL);
  ck_assert_uint_eq(f.classes[0].n_layers, 28);
  ck_assert_uint_eq(f.classes[1].kind, PIO_KV_LAYER_SLIDING);
  ck_assert_uint_eq(f.classes[1].n_layers, 8);
  ck_assert_uint_eq(f.classes[1].window, 4096);
  ck_assert_uint_eq(f.layer_class[27], 0);
  ck_assert_uint_eq(f.layer_class[28], 1);
  plugin_of(pio_qwen3_entry)->config->free(c);
  /* Sliding layers named without a window cannot be sized. */
  expect_refused(pio_qwen3_entry, "gpt-oss-20b", "", "architectures", "[\"Qwen3ForCausalLM\"]",
                 PIO_ERR_INVALID, "sliding layers need 'sliding_window'", NULL);
}
END_TEST

START_TEST(test_mistral_window_defaults_by_class) {
  /* MistralConfig's default window is 4096, Mixtral's none; null is none. */
  config_write_with(preset("mistral-7b"), "", "sliding_window", NULL);
  pio_model_config *c =
      config_parse_ok(plugin_of(pio_mistral_entry)->config->parse_file, config_path);
  unlink(config_path);
  pio_kv_figures f = figures(pio_mistral_entry, c, 1, 1);
  ck_assert_uint_eq(f.classes[0].kind, PIO_KV_LAYER_SLIDING);
  ck_assert_uint_eq(f.classes[0].window, 4096);
  plugin_of(pio_mistral_entry)->config->free(c);
  c = parse_preset(pio_mistral_entry, "mixtral-8x7b");
  f = figures(pio_mistral_entry, c, 8, 1);
  ck_assert_uint_eq(f.n_classes, 1);
  ck_assert_uint_eq(f.classes[0].kind, PIO_KV_LAYER_FULL);
  ck_assert_uint_eq(f.classes[0].kv_heads_per_rank, 1);
  plugin_of(pio_mistral_entry)->config->free(c);
  expect_refused(pio_mistral_entry, "mixtral-8x7b", "", "num_experts_per_tok", "9", PIO_ERR_INVALID,
                 "field 'num_experts_per_tok'", "1 to 8");
  expect_refused(pio_mistral_entry, "mistral-7b", "", "sliding_window", "0", PIO_ERR_INVALID,
                 "field 'sliding_window'", NULL);
}
END_TEST

START_TEST(test_gemma_fields_are_checked) {
  expect_refused(pio_gemma_entry, "gemma-3-27b", "", "vision_config",
                 "{\"image_size\": 896, \"patch_size\": 15}", PIO_ERR_INVALID, "field 'patch_size'",
                 "divisor of image_size (896)");
  expect_refused(pio_gemma_entry, "gemma-3-27b", "", "text_config", "[]", PIO_ERR_INVALID,
                 "field 'text_config'", "an object or null");
  expect_refused(pio_gemma_entry, "gemma-2-9b", "", "final_logit_softcapping", "-1",
                 PIO_ERR_INVALID, "field 'final_logit_softcapping'", NULL);
}
END_TEST

/* Gemma 2 alternates (sliding first); Gemma 3 has one full layer in six. */
START_TEST(test_gemma_patterns_without_layer_types) {
  pio_model_config *c = parse_preset(pio_gemma_entry, "gemma-2-9b");
  pio_kv_figures f = figures(pio_gemma_entry, c, 1, 1);
  ck_assert_uint_eq(f.classes[f.layer_class[0]].kind, PIO_KV_LAYER_SLIDING);
  ck_assert_uint_eq(f.classes[f.layer_class[1]].kind, PIO_KV_LAYER_FULL);
  ck_assert_uint_eq(f.classes[0].n_layers, 21);
  plugin_of(pio_gemma_entry)->config->free(c);
  c = parse_preset(pio_gemma_entry, "gemma-3-1b");
  f = figures(pio_gemma_entry, c, 1, 1);
  for (uint32_t i = 0; i < 26; i++)
    ck_assert_uint_eq(f.classes[f.layer_class[i]].kind,
                      (i + 1) % 6 ? PIO_KV_LAYER_SLIDING : PIO_KV_LAYER_FULL);
  plugin_of(pio_gemma_entry)->config->free(c);
}
END_TEST

START_TEST(test_gpt_oss_fields_are_checked) {
  expect_refused(pio_gpt_oss_entry, "gpt-oss-20b", "", "num_experts_per_tok", "0", PIO_ERR_INVALID,
                 "field 'num_experts_per_tok'", NULL);
  expect_refused(pio_gpt_oss_entry, "gpt-oss-20b", "", "layer_types", "\"sliding\"",
                 PIO_ERR_INVALID, "field 'layer_types'", "found a string");
  expect_refused(pio_gpt_oss_entry, "gpt-oss-20b", "", "layer_types",
                 layer_types(24, "chunked_attention"), PIO_ERR_UNSUPPORTED, "item 0",
                 "no chunked attention");
}
END_TEST

/* A family's default top-k is checked against the experts too: without
 * num_experts_per_tok, a one-expert Mixtral (top-2), gpt-oss (top-4) or
 * Jamba (top-2) is refused, not summarized with more active parameters
 * than it has (found by fuzz_family_configs). */
START_TEST(test_a_default_top_k_above_the_experts_is_refused) {
  static const struct {
    entry_fn entry;
    const char *name, *experts_key, *top_k;
  } cases[] = {
      {pio_mistral_entry, "mixtral-8x7b", "num_local_experts", "its default 2"},
      {pio_gpt_oss_entry, "gpt-oss-20b", "num_local_experts", "its default 4"},
      {pio_jamba_entry, "jamba-v0.1", "num_experts", "its default 2"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    json_object *base = preset(cases[i].name);
    json_object_object_del(base, "num_experts_per_tok");
    config_write_with(base, "", cases[i].experts_key, "1");
    config_expect_error(plugin_of(cases[i].entry)->config->parse_file, PIO_ERR_INVALID,
                        "field 'num_experts_per_tok' is absent", cases[i].top_k);
  }
}
END_TEST

START_TEST(test_llama4_fields_are_checked) {
  expect_refused(pio_llama4_entry, "llama-4-scout", "text_config", "no_rope_layers", "[1, 0]",
                 PIO_ERR_INVALID, "field 'no_rope_layers'", "48 entries");
  expect_refused(pio_llama4_entry, "llama-4-scout", "text_config", "moe_layers", "[48]",
                 PIO_ERR_INVALID, "field 'moe_layers': item 0", "0 to 47");
  expect_refused(pio_llama4_entry, "llama-4-scout", "text_config", "no_rope_layers", "{\"a\": 1}",
                 PIO_ERR_INVALID, "field 'no_rope_layers'", "found an object");
}
END_TEST

/* Without no_rope_layers every fourth layer is NoPE (full); an empty list
 * is Transformers' "derive it". */
START_TEST(test_llama4_derives_nope_layers) {
  config_write_with(preset("llama-4-scout"), "text_config", "no_rope_layers", "[]");
  pio_model_config *c =
      config_parse_ok(plugin_of(pio_llama4_entry)->config->parse_file, config_path);
  unlink(config_path);
  pio_kv_figures f = figures(pio_llama4_entry, c, 1, 1);
  for (uint32_t i = 0; i < 48; i++)
    ck_assert_uint_eq(f.classes[f.layer_class[i]].kind,
                      (i + 1) % 4 ? PIO_KV_LAYER_CHUNKED : PIO_KV_LAYER_FULL);
  plugin_of(pio_llama4_entry)->config->free(c);
}
END_TEST

START_TEST(test_jamba_fields_are_checked) {
  expect_refused(pio_jamba_entry, "jamba-v0.1", "", "attn_layer_offset", "8", PIO_ERR_INVALID,
                 "field 'attn_layer_offset'", "0 to 7");
  expect_refused(pio_jamba_entry, "jamba-v0.1", "", "mamba_d_conv", "1", PIO_ERR_INVALID,
                 "field 'mamba_d_conv'", NULL);
  expect_refused(pio_jamba_entry, "jamba-v0.1", "", "mamba_dt_rank", "\"big\"", PIO_ERR_INVALID,
                 "field 'mamba_dt_rank'", NULL);
}
END_TEST

START_TEST(test_kv_cache_schemes_it_cannot_size_are_refused) {
  expect_refused(pio_gpt_oss_entry, "gpt-oss-20b", "", "quantization_config",
                 "{\"kv_cache_scheme\": {\"num_bits\": 8, \"type\": \"float\", "
                 "\"strategy\": \"group\"}}",
                 PIO_ERR_UNSUPPORTED, "field 'strategy'", "\"tensor\" or \"attn_head\"");
  expect_refused(pio_qwen3_entry, "qwen3-8b", "", "quantization_config",
                 "{\"kv_cache_scheme\": {\"num_bits\": 8, \"strategy\": \"tensor\"}}",
                 PIO_ERR_INVALID, "missing required field 'type'", NULL);
  expect_refused(pio_jamba_entry, "jamba-v0.1", "", "quantization_config", "[]", PIO_ERR_INVALID,
                 "field 'quantization_config'", NULL);
}
END_TEST

/* A caller built for ABI 1.1 passes shorter tables: nothing is written
 * past their struct_size. */
START_TEST(test_older_shorter_tables_are_filled_no_further) {
  pio_model_config *c = parse_preset(pio_qwen3_entry, "qwen3-235b-a22b");
  const pio_plugin *p = plugin_of(pio_qwen3_entry);
  pio_kv_figures f;
  memset(&f, 0xab, sizeof f);
  f.struct_size = (uint32_t)offsetof(pio_kv_figures, n_layers);
  pio_kv_query q = {.struct_size = (uint32_t)offsetof(pio_kv_query, scales),
                    .kv_dtype = PIO_DTYPE_BF16,
                    .tp = 1,
                    .pp = 1,
                    .page_size = 16};
  pio_error err = {0};
  ck_assert_int_eq(p->kv_cache->figures(c, &q, &f, &err), PIO_OK);
  ck_assert_uint_eq(f.bytes_per_token, 94u * 4 * 128 * 2 * 2);
  ck_assert_uint_eq(f.n_layers, 0xabababab); /* past the caller's table: untouched */
  pio_model_summary s;
  memset(&s, 0xcd, sizeof s);
  s.struct_size = (uint32_t)offsetof(pio_model_summary, n_experts);
  ck_assert_int_eq(p->config->summarize(c, &s, &err), PIO_OK);
  ck_assert_uint_eq(s.struct_size, offsetof(pio_model_summary, n_experts));
  ck_assert_uint_eq(s.n_experts, 0xcdcdcdcd);
  s.struct_size = 8;
  ck_assert_int_eq(p->config->summarize(c, &s, &err), PIO_ERR_ABI);
  p->config->free(c);
}
END_TEST

int main(void) {
  Suite *suite = suite_create("family_configs");
  TCase *t = tcase_create("family_configs");
  tcase_add_test(t, test_every_preset_parses_through_its_plugin);
  tcase_add_test(t, test_tables_list_the_manifests_additional_architectures);
  tcase_add_test(t, test_an_entry_refuses_a_host_of_another_major);
  tcase_add_test(t, test_an_unserved_architecture_lists_the_ones_served);
  tcase_add_test(t, test_shared_shape_fields_are_checked_for_every_family);
  tcase_add_test(t, test_qwen_fields_are_checked);
  tcase_add_test(t, test_qwen_slides_above_max_window_layers);
  tcase_add_test(t, test_mistral_window_defaults_by_class);
  tcase_add_test(t, test_gemma_fields_are_checked);
  tcase_add_test(t, test_gemma_patterns_without_layer_types);
  tcase_add_test(t, test_gpt_oss_fields_are_checked);
  tcase_add_test(t, test_a_default_top_k_above_the_experts_is_refused);
  tcase_add_test(t, test_llama4_fields_are_checked);
  tcase_add_test(t, test_llama4_derives_nope_layers);
  tcase_add_test(t, test_jamba_fields_are_checked);
  tcase_add_test(t, test_kv_cache_schemes_it_cannot_size_are_refused);
  tcase_add_test(t, test_older_shorter_tables_are_filled_no_further);
  suite_add_tcase(suite, t);
  SRunner *runner = srunner_create(suite);
  srunner_run_all(runner, CK_NORMAL);
  int failed = srunner_ntests_failed(runner);
  srunner_free(runner);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
