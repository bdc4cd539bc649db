/* tests/test_chat_template.c — the SDK's chat-template engine
 * (pio/chat_template.h): the Llama 3.1/3.2, Qwen3, Mistral v0.3 and
 * DeepSeek templates of tests/data/templates rendered for every
 * conversation of cases.json exactly as Transformers' Jinja2 renders them
 * (expected.json, written by tests/tools/hf_template.py), the failures
 * where it fails; the subset's corners by hand; every refusal naming the
 * template's line and column. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "pio/chat_template.h"
#include "pio/json.h"

#ifndef PIO_TEST_TEMPLATE_DIR
#error "PIO_TEST_TEMPLATE_DIR names tests/data/templates"
#endif

static json_object *read_json(const char *name) {
  char path[512];
  snprintf(path, sizeof path, "%s/%s", PIO_TEST_TEMPLATE_DIR, name);
  json_object *v = NULL;
  pio_error err = {0};
  ck_assert_msg(pio_json_parse_file(path, 16u << 20, 0, &v, NULL, &err) == PIO_OK, "%s",
                err.message);
  return v;
}

static pio_chat_template *compile_file(const char *name) {
  char path[512];
  snprintf(path, sizeof path, "%s/%s", PIO_TEST_TEMPLATE_DIR, name);
  FILE *f = fopen(path, "rb");
  ck_assert_ptr_nonnull(f);
  char *buf = malloc(1 << 20);
  size_t n = fread(buf, 1, 1 << 20, f);
  fclose(f);
  pio_chat_template *t = NULL;
  pio_error err = {0};
  pio_status st = pio_chat_template_compile(name, buf, n, &t, &err);
  free(buf);
  ck_assert_msg(st == PIO_OK, "%s", err.message);
  return t;
}

static json_object *case_vars(json_object *c) {
  json_object *vars = json_object_new_object(), *v;
  if (json_object_object_get_ex(c, "vars", &v)) {
    json_object_object_foreach(v, key, value)
        json_object_object_add(vars, key, json_object_get(value));
  }
  json_object_object_get_ex(c, "messages", &v);
  json_object_object_add(vars, "messages", json_object_get(v));
  json_object_object_add(vars, "tools",
                         json_object_object_get_ex(c, "tools", &v) ? json_object_get(v) : NULL);
  json_object_object_add(vars, "documents", NULL);
  json_object_object_add(
      vars, "add_generation_prompt",
      json_object_new_boolean(json_object_object_get_ex(c, "add_generation_prompt", &v) &&
                              json_object_get_boolean(v)));
  return vars;
}

START_TEST(test_real_templates_render_as_transformers_does) {
  json_object *cases = read_json("cases.json"), *expected = read_json("expected.json");
  size_t checked = 0;
  for (size_t i = 0; i < json_object_array_length(expected); i++) {
    json_object *e = json_object_array_get_idx(expected, i), *tname, *cname, *prompt, *error;
    json_object_object_get_ex(e, "template", &tname);
    json_object_object_get_ex(e, "case", &cname);
    json_object *c = NULL;
    for (size_t k = 0; k < json_object_array_length(cases); k++) {
      json_object *n;
      json_object_object_get_ex(json_object_array_get_idx(cases, k), "name", &n);
      if (!strcmp(json_object_get_string(n), json_object_get_string(cname)))
        c = json_object_array_get_idx(cases, k);
    }
    ck_assert_ptr_nonnull(c);
    pio_chat_template *t = compile_file(json_object_get_string(tname));
    json_object *vars = case_vars(c);
    char *text = NULL;
    size_t len = 0;
    pio_error err = {0};
    pio_status st = pio_chat_template_render(t, vars, &text, &len, &err);
    const char *where = json_object_get_string(cname);
    if (json_object_object_get_ex(e, "prompt", &prompt)) {
      ck_assert_msg(st == PIO_OK, "%s / %s: %s", json_object_get_string(tname), where, err.message);
      const char *want = json_object_get_string(prompt);
      ck_assert_msg(
          len == (size_t)json_object_get_string_len(prompt) && memcmp(text, want, len) == 0,
          "%s / %s:\n--- pio\n%s\n--- transformers\n%s", json_object_get_string(tname), where, text,
          want);
    } else {
      json_object_object_get_ex(e, "error", &error);
      ck_assert_msg(st != PIO_OK, "%s / %s rendered, but Transformers fails: %s",
                    json_object_get_string(tname), where, json_object_get_string(error));
      const char *msg = json_object_get_string(error);
      json_object *raised = NULL;
      if (json_object_object_get_ex(e, "raised",
                                    &raised)) /* a raise_exception: its message is kept */
        ck_assert_msg(strstr(err.message, msg) != NULL, "%s / %s: '%s' lacks '%s'",
                      json_object_get_string(tname), where, err.message, msg);
    }
    free(text);
    json_object_put(vars);
    pio_chat_template_free(t);
    checked++;
  }
  json_object_put(cases);
  json_object_put(expected);
  ck_assert_uint_gt(checked, 60);
}
END_TEST

/* Renders source with vars (JSON text); returns the text (caller frees) or NULL with err. */
static char *render(const char *source, const char *vars_json, pio_error *err) {
  pio_chat_template *t = NULL;
  if (pio_chat_template_compile("t.jinja", source, strlen(source), &t, err) != PIO_OK) return NULL;
  json_object *vars = vars_json ? json_tokener_parse(vars_json) : NULL;
  char *text = NULL;
  size_t len = 0;
  pio_status st = pio_chat_template_render(t, vars, &text, &len, err);
  json_object_put(vars);
  pio_chat_template_free(t);
  return st == PIO_OK ? text : NULL;
}

static void expect(const char *source, const char *vars, const char *want) {
  pio_error err = {0};
  char *got = render(source, vars, &err);
  ck_assert_msg(got != NULL, "%s: %s", source, err.message);
  ck_assert_msg(strcmp(got, want) == 0, "%s: got '%s', want '%s'", source, got, want);
  free(got);
}

static void expect_error(const char *source, const char *vars, pio_status status,
                         const char *fragment) {
  pio_error err = {0};
  char *got = render(source, vars, &err);
  ck_assert_msg(got == NULL, "%s rendered '%s'", source, got ? got : "");
  ck_assert_msg(err.code == status, "%s: status %d (%s)", source, (int)err.code, err.message);
  ck_assert_msg(strstr(err.message, fragment) != NULL, "'%s' not in: %s", fragment, err.message);
}

START_TEST(test_python_semantics) {
  expect("{{ [1,'a',None,True,1.5,{'k':'v'}] }}", NULL, "[1, 'a', None, True, 1.5, {'k': 'v'}]");
  expect(
      "{{ 1/2 }} {{ 7//2 }} {{ -7//2 }} {{ -7%3 }} {{ 2**10 }} {{ 1e20 }} {{ 0.1+0.2 }} {{ 100.0 "
      "}}",
      NULL, "0.5 3 -4 2 1024 1e+20 0.30000000000000004 100.0");
  expect("{{ 'a' ~ 1 ~ none }}|{{ x }}|{{ 'abc'[::-1] }}|{{ [1,2,3][1:] }}|{{ 'h\xc3\xa9llo'[1] }}",
         "{}", "a1None||cba|[2, 3]|\xc3\xa9");
  expect("{{ 1 == 1.0 }} {{ 1 < 2 < 3 }} {{ 3 > 2 > 2 }} {{ 'b' in 'abc' }} {{ 'k' in {'k': 1} }}",
         NULL, "True True False True True");
  expect("{{ (1, 2) }} {{ (1,) }} {{ \"it's\" }} {{ ['it\\'s', 'x\\ny'] }}", NULL,
         "(1, 2) (1,) it's [\"it's\", 'x\\ny']");
  expect(
      "{{ 'a b  c'.split() }} {{ 'a,b'.split(',') }} {{ ' x '.strip() }} {{ 'xxhixx'.strip('x') }}",
      NULL, "['a', 'b', 'c'] ['a', 'b'] x hi");
}
END_TEST

START_TEST(test_scopes_loops_and_namespaces) {
  expect(
      "{% set x = 1 %}{% for i in [1,2] %}{{ x }}{% set x = x + 10 %}{{ x }}|{% endfor %}{{ x }}",
      NULL, "111|111|1");
  expect(
      "{%- set ns = namespace(a=1) %}{% for i in [1,2,3] %}{% set ns.a = ns.a * i %}{% endfor %}{{ "
      "ns.a }}",
      NULL, "6");
  expect(
      "{% for x in [1,2,3,4] if x is even %}{{ loop.index }}/{{ loop.length }}:{{ x }} {% endfor "
      "%}",
      NULL, "1/2:2 2/2:4 ");
  expect(
      "{% for a, b in [[1,2],[3,4]] %}{{ a }}{{ b }}{% endfor %}{% for x in [] %}no{% else "
      "%}empty{% endfor %}",
      NULL, "1234empty");
  expect(
      "{% for x in [1,2,3] %}{% if x == 2 %}{% continue %}{% endif %}{% if x == 3 %}{% break %}{% "
      "endif %}{{ x }}{% endfor %}",
      NULL, "1");
  expect("{% macro m(a, b='B') %}[{{ a }}{{ b }}]{% endmacro %}{{ m(1) }}{{ m(2, b=3) }}", NULL,
         "[1B][23]");
  expect("{% set s %}in {{ 1 }}{% endset %}<{{ s }}>", NULL, "<in 1>");
  expect(
      "{{ loop_var is defined }} {{ none is none }} {{ 'x' is string }} {{ 3 is divisibleby 3 }}",
      NULL, "False True True True");
}
END_TEST

START_TEST(test_whitespace_control) {
  expect("a\n  {# c #}\nb\n  {% if 1 %}\nc\n{% endif %}\n", NULL, "a\nb\nc\n");
  expect("  {% if 1 %}x{% endif %}", NULL, "x");
  expect("{{ 1 }}\n{{ 2 }}", NULL, "1\n2");
  expect("a  {%- if 1 -%}  x  {%- endif %}", NULL, "ax");
  expect("a\n\t {%+ if 1 %}x{% endif +%}\ny", NULL, "a\n\t x\ny");
  expect("x\n\n", NULL, "x\n");
  expect("{% raw %}{{ not rendered }}{% endraw %}", NULL, "{{ not rendered }}");
}
END_TEST

START_TEST(test_filters) {
  expect("{{ d|tojson }} {{ '\xc3\xa9'|tojson }} {{ [1, 2.5]|tojson(indent=2) }}",
         "{\"d\": {\"b\": 1, \"a\": [null, true]}}",
         "{\"b\": 1, \"a\": [null, true]} \"\xc3\xa9\" [\n  1,\n  2.5\n]");
  expect(
      "{{ none|string }} {{ '  x '|trim }} {{ 'ab'|length }} {{ x|length }} {{ 'Ab'|lower }}{{ "
      "'Ab'|upper }}",
      NULL, "None x 2 0 abAB");
  expect("{{ ms|selectattr('role', 'equalto', 'user')|map(attribute='c')|join(',') }}",
         "{\"ms\": [{\"role\": \"user\", \"c\": \"a\"}, {\"role\": \"bot\", \"c\": \"b\"}, "
         "{\"role\": \"user\", \"c\": \"c\"}]}",
         "a,c");
  expect(
      "{{ [1,2,3]|first }}{{ [1,2,3]|last }} {{ x|default('d') }} {{ ''|default('e', true) }} {{ "
      "'a-b'|replace('-', '+') }}",
      NULL, "13 d e a+b");
  expect(
      "{% for k, v in {'a': 1, 'b': 2}|items %}{{ k }}={{ v }};{% endfor %}{{ {'a': 1}.get('z', 9) "
      "}}",
      NULL, "a=1;b=2;9");
}
END_TEST

START_TEST(test_errors_name_line_and_column) {
  expect_error("line one\n{{ raise_exception('Roles must alternate') }}", NULL, PIO_ERR_INVALID,
               "t.jinja:2:4: raise_exception: Roles must alternate");
  expect_error("{{ x.y.z }}", "{\"x\": {}}", PIO_ERR_INVALID, "'dict object' has no attribute 'y'");
  expect_error("{{ 'a' + 1 }}", NULL, PIO_ERR_INVALID,
               "unsupported operand type(s) for +: 'str' and 'int'");
  expect_error("{{ 3 > 'a' }}", NULL, PIO_ERR_INVALID, "'>' not supported");
  expect_error("{% include 'x.jinja' %}", NULL, PIO_ERR_UNSUPPORTED,
               "t.jinja:1:4: tag 'include' is not supported");
  expect_error("\n  {{ x|wordwrap }}", NULL, PIO_ERR_UNSUPPORTED,
               "t.jinja:2:8: filter 'wordwrap' is not supported");
  expect_error("{{ x is prime }}", NULL, PIO_ERR_UNSUPPORTED, "test 'prime' is not supported");
  expect_error("{% if x %}unclosed", NULL, PIO_ERR_PARSE, "ended before {% endif %}");
  expect_error("{{ 'unterminated }}", NULL, PIO_ERR_PARSE, "unterminated string");
  expect_error("{% endfor %}", NULL, PIO_ERR_PARSE, "without its opening tag");
  char deep[1100] = "{{ ";
  for (int i = 0; i < 500; i++) strcat(deep, "(");
  strcat(deep, "1");
  for (int i = 0; i < 500; i++) strcat(deep, ")");
  strcat(deep, " }}");
  expect_error(deep, NULL, PIO_ERR_LIMIT, "nested too deeply");
  expect_error("{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}", NULL, PIO_ERR_LIMIT, "deep");
  expect_error("{% for i in range(2000) %}{% for j in range(1000) %}{% endfor %}{% endfor %}", NULL,
               PIO_ERR_LIMIT, "steps");
  expect_error("{{ 'x' * 100000000 }}", NULL, PIO_ERR_LIMIT, "too large");
}
END_TEST

static Suite *chat_template_suite(void) {
  Suite *s = suite_create("chat_template");
  TCase *t = tcase_create("chat_template");
  tcase_set_timeout(t, 60);
  tcase_add_test(t, test_real_templates_render_as_transformers_does);
  tcase_add_test(t, test_python_semantics);
  tcase_add_test(t, test_scopes_loops_and_namespaces);
  tcase_add_test(t, test_whitespace_control);
  tcase_add_test(t, test_filters);
  tcase_add_test(t, test_errors_name_line_and_column);
  suite_add_tcase(s, t);
  return s;
}

int main(void) {
  SRunner *runner = srunner_create(chat_template_suite());
  srunner_run_all(runner, CK_NORMAL);
  int failed = srunner_ntests_failed(runner);
  srunner_free(runner);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
