/* tests/test_concurrency.c — several threads at once doing what a host
 * does: loading and unloading plugins, creating, running and destroying
 * model instances (of one shared loaded plugin, and each of its own), and
 * opening registries that share one cache file.  Every thread's logits must
 * equal the ones computed alone beforehand: instances share no state.
 * Built with -Db_sanitize=thread, ThreadSanitizer checks the locking. */
#include <check.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "hardening_helpers.h"
#include "pio/host.h"

enum { N_THREADS = 4, ROUNDS = 12 };

typedef struct worker {
  int id;
  const pio_plugin_record *record; /* load it yourself (NULL: use table) */
  const pio_plugin *table;         /* a plugin loaded once for everyone */
  const char *config_path;
  const float *reference;          /* logits of seed 7, one thread */
  const char *cache_dir;           /* open registries here (NULL: do not) */
  char failure[PIO_ERROR_MESSAGE_MAX + 64];
} worker;

static pio_registry *registry;
static const pio_plugin_record *record;
static char *config_path;
static float reference[TINY_VOCAB];

static void setup(void) {
  registry = hardening_build_registry();
  record = pio_registry_find_architecture(registry, TINY_ARCHITECTURE);
  ck_assert_msg(record != NULL, "no ok plugin serves %s", TINY_ARCHITECTURE);
  config_path = hardening_tiny_config_file();
  pio_loaded_plugin *plugin = NULL;
  pio_error err = {0};
  ck_assert_int_eq(pio_plugin_load(record, &plugin, &err), PIO_OK);
  if (hardening_run_tiny_model(pio_loaded_plugin_table(plugin), config_path, 7, 1, reference,
                               &err) != PIO_OK)
    ck_abort_msg("reference run: %s", err.message);
  pio_plugin_unload(plugin);
}

static void teardown(void) {
  unlink(config_path);
  free(config_path);
  pio_registry_close(registry);
}

static int worker_fail(worker *w, const char *what, const pio_error *err) {
  snprintf(w->failure, sizeof w->failure, "thread %d: %s: %s", w->id, what,
           err != NULL ? err->message : "");
  return -1;
}

static int one_model(worker *w, const pio_plugin *table) {
  float logits[TINY_VOCAB];
  pio_error err = {0};
  /* Odd threads run their model on a pool of two: the plugin's thread
   * pool, too, must be race-free beside other instances.  Its sums may
   * then be split differently, hence the tolerance. */
  uint32_t pool = (uint32_t)(1 + w->id % 2);
  if (hardening_run_tiny_model(table, w->config_path, 7, pool, logits, &err) != PIO_OK)
    return worker_fail(w, "model", &err);
  for (int i = 0; i < TINY_VOCAB; i++)
    if (fabsf(logits[i] - w->reference[i]) > 1e-4f) return worker_fail(w, "logits differ", NULL);
  return 0;
}

static int one_registry(worker *w) {
  pio_registry_options opts;
  pio_registry_options_init(&opts);
  opts.skip_environment = 1;
  opts.cache_dir = w->cache_dir;
  pio_registry *own = NULL;
  pio_error err = {0};
  if (pio_registry_open(&opts, &own, &err) != PIO_OK) return worker_fail(w, "registry", &err);
  const pio_plugin_record *rec = pio_registry_find_architecture(own, TINY_ARCHITECTURE);
  int rc = rec != NULL && strcmp(rec->name, record->name) == 0 ? 0 : worker_fail(w, "find", NULL);
  pio_registry_close(own);
  return rc;
}

static void *work(void *arg) {
  worker *w = arg;
  for (int round = 0; round < ROUNDS; round++) {
    if (w->cache_dir != NULL && one_registry(w) != 0) return NULL;
    pio_loaded_plugin *plugin = NULL;
    const pio_plugin *table = w->table;
    pio_error err = {0};
    if (w->record != NULL) {
      if (pio_plugin_load(w->record, &plugin, &err) != PIO_OK) {
        worker_fail(w, "load", &err);
        return NULL;
      }
      table = pio_loaded_plugin_table(plugin);
    }
    int rc = one_model(w, table);
    pio_plugin_unload(plugin);
    if (rc != 0) return NULL;
  }
  return NULL;
}

static void run_workers(worker *workers) {
  pthread_t threads[N_THREADS];
  for (int i = 0; i < N_THREADS; i++) {
    workers[i].id = i;
    workers[i].config_path = config_path;
    workers[i].reference = reference;
    ck_assert_int_eq(pthread_create(&threads[i], NULL, work, &workers[i]), 0);
  }
  for (int i = 0; i < N_THREADS; i++) ck_assert_int_eq(pthread_join(threads[i], NULL), 0);
  for (int i = 0; i < N_THREADS; i++)
    ck_assert_msg(workers[i].failure[0] == '\0', "%s", workers[i].failure);
}

START_TEST(test_threads_each_loading_the_plugin_and_running_models) {
  worker workers[N_THREADS] = {0};
  for (int i = 0; i < N_THREADS; i++) workers[i].record = record;
  run_workers(workers);
}
END_TEST

START_TEST(test_threads_sharing_one_loaded_plugin_run_independent_models) {
  pio_loaded_plugin *plugin = NULL;
  pio_error err = {0};
  ck_assert_int_eq(pio_plugin_load(record, &plugin, &err), PIO_OK);
  worker workers[N_THREADS] = {0};
  for (int i = 0; i < N_THREADS; i++) workers[i].table = pio_loaded_plugin_table(plugin);
  run_workers(workers);
  pio_plugin_unload(plugin);
}
END_TEST

START_TEST(test_threads_opening_registries_on_one_cache_while_loading) {
  char cache_dir[] = "/tmp/pio-test-concurrency-XXXXXX";
  ck_assert_ptr_nonnull(mkdtemp(cache_dir));
  worker workers[N_THREADS] = {0};
  for (int i = 0; i < N_THREADS; i++) {
    workers[i].record = i % 2 ? record : NULL;
    workers[i].cache_dir = cache_dir;
  }
  pio_loaded_plugin *plugin = NULL;
  pio_error err = {0};
  ck_assert_int_eq(pio_plugin_load(record, &plugin, &err), PIO_OK);
  for (int i = 0; i < N_THREADS; i++)
    if (workers[i].record == NULL) workers[i].table = pio_loaded_plugin_table(plugin);
  run_workers(workers);
  pio_plugin_unload(plugin);
  char cmd[64];
  snprintf(cmd, sizeof cmd, "rm -rf %s", cache_dir);
  ck_assert_int_eq(system(cmd), 0);
}
END_TEST

/* Sleeps until the record's files are older than the registry cache's
 * racy-file margin (one second), so that a scan stores the record. */
static void wait_until_cacheable(const pio_plugin_record *rec) {
  const char *paths[] = {rec->dir, rec->manifest_path, rec->module_path};
  struct timespec newest = {0, 0}, now;
  for (int i = 0; i < 3; i++) {
    struct stat st;
    ck_assert_int_eq(stat(paths[i], &st), 0);
    if (st.st_mtim.tv_sec > newest.tv_sec) newest = st.st_mtim;
    if (st.st_ctim.tv_sec > newest.tv_sec) newest = st.st_ctim;
  }
  clock_gettime(CLOCK_REALTIME, &now);
  if (now.tv_sec <= newest.tv_sec + 1) sleep((unsigned)(newest.tv_sec + 2 - now.tv_sec));
}

typedef struct manifest_reader {
  const pio_plugin_record *record;
  pthread_barrier_t *start;
  const pio_manifest *seen;
  pio_status loaded;
} manifest_reader;

static void *read_manifest(void *arg) {
  manifest_reader *r = arg;
  pthread_barrier_wait(r->start);
  r->seen = pio_plugin_record_manifest(r->record);
  pio_loaded_plugin *plugin = NULL;
  pio_error err = {0};
  r->loaded = pio_plugin_load(r->record, &plugin, &err);
  pio_plugin_unload(plugin);
  return NULL;
}

/* A registry read from the cache decodes a manifest when first asked:
 * threads asking at once may each decode it, but all get the one kept. */
START_TEST(test_threads_asking_for_a_cached_manifest_at_once_get_one) {
  char cache_dir[] = "/tmp/pio-test-concurrency-XXXXXX";
  ck_assert_ptr_nonnull(mkdtemp(cache_dir));
  wait_until_cacheable(record);
  pio_registry *warm = NULL;
  for (int run = 0; run < 2; run++) { /* writes the cache, then reads it */
    pio_registry_close(warm);
    pio_registry_options opts;
    pio_registry_options_init(&opts);
    opts.skip_environment = 1;
    opts.cache_dir = cache_dir;
    pio_error err = {0};
    ck_assert_int_eq(pio_registry_open(&opts, &warm, &err), PIO_OK);
  }
  const pio_plugin_record *cached = pio_registry_find(warm, record->name);
  ck_assert_ptr_nonnull(cached);
  pthread_barrier_t start;
  pthread_barrier_init(&start, NULL, N_THREADS);
  pthread_t threads[N_THREADS];
  manifest_reader readers[N_THREADS];
  for (int i = 0; i < N_THREADS; i++) {
    readers[i] = (manifest_reader){cached, &start, NULL, PIO_OK};
    ck_assert_int_eq(pthread_create(&threads[i], NULL, read_manifest, &readers[i]), 0);
  }
  for (int i = 0; i < N_THREADS; i++) ck_assert_int_eq(pthread_join(threads[i], NULL), 0);
  for (int i = 0; i < N_THREADS; i++) {
    ck_assert_ptr_nonnull(readers[i].seen);
    ck_assert_ptr_eq(readers[i].seen, readers[0].seen);
    ck_assert_int_eq(readers[i].loaded, PIO_OK);
  }
  pthread_barrier_destroy(&start);
  pio_registry_close(warm);
  char cmd[64];
  snprintf(cmd, sizeof cmd, "rm -rf %s", cache_dir);
  ck_assert_int_eq(system(cmd), 0);
}
END_TEST

static Suite *concurrency_suite(void) {
  Suite *s = suite_create("concurrency");
  TCase *tc = tcase_create("concurrency");
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_set_timeout(tc, 600);
  tcase_add_test(tc, test_threads_each_loading_the_plugin_and_running_models);
  tcase_add_test(tc, test_threads_sharing_one_loaded_plugin_run_independent_models);
  tcase_add_test(tc, test_threads_opening_registries_on_one_cache_while_loading);
  tcase_add_test(tc, test_threads_asking_for_a_cached_manifest_at_once_get_one);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) {
  SRunner *sr = srunner_create(concurrency_suite());
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
