/* benchmarks/kvio_report.c — what `pio-bench kvio` prints: the pages and
 * the file and the IO engine, the KV page IO beside the limits of the same
 * run and its share of them, as a table or as JSON. */
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

#include "about.h"
#include "kvio_bench.h"
#include "units.h"

/* How the page cache was kept out of the read figures, in words. */
static const char *cache_policy(const pio_bench_kvio_file *f, int direct) {
  if (f->in_memory) return "the file system is memory (tmpfs/ramfs): figures are memory speed";
  return direct ? "O_DIRECT" : "buffered; fsync + posix_fadvise(DONTNEED) before reads";
}

/* "97%", or "-" when there is no ratio. */
static const char *percent(double ratio, char *out, size_t size) {
  if (!(ratio > 0.0)) return "-";
  snprintf(out, size, "%.0f%%", 100.0 * ratio);
  return out;
}

static void pass_row(FILE *out, const char *name, uint32_t qd, const pio_bench_kvio_pass *p) {
  char size[48], wr[32], rd[32], wp[16], rp[16];
  fprintf(out, "  %-10s %-11s %8llu %4u %11s %7s %10.0f %11s %7s %10.0f   %s%s\n", name,
          pio_bench_format_bytes(p->io_bytes, size, sizeof size), (unsigned long long)p->n_ios,
          qd, pio_bench_format_rate(p->write_bytes_per_s, wr, sizeof wr),
          percent(p->write_of_limit, wp, sizeof wp), p->write_iops,
          pio_bench_format_rate(p->read_bytes_per_s, rd, sizeof rd),
          percent(p->read_of_limit, rp, sizeof rp), p->read_iops, p->verified ? "yes" : "NO",
          p->direct ? "" : " (buffered)");
}

static void engine_line(FILE *out, const pio_bench_kvio_result *r) {
  fprintf(out, "  engine   %s, queue depth %u", pio_bench_io_kind_name(r->engine),
          r->queue_depth);
  if (r->n_fixed > 0) fprintf(out, ", buffers registered (%u)", r->n_fixed);
  if (r->engine_note[0] != '\0') fprintf(out, "; %s", r->engine_note);
  fputc('\n', out);
}

static void limit_row(FILE *out, const char *name, const pio_bench_kvio_pass *p) {
  char wr[32], rd[32];
  if (!p->measured) return;
  fprintf(out, "    %-38s %s write, %s read\n", name,
          pio_bench_format_rate(p->write_limit_bytes_per_s, wr, sizeof wr),
          pio_bench_format_rate(p->read_limit_bytes_per_s, rd, sizeof rd));
}

void pio_bench_kvio_print_table(const pio_bench_kvio_options *o, const pio_bench_model *m,
                                const pio_bench_kvio_file *f, const pio_bench_kvio_result *r,
                                FILE *out) {
  char rate[32];
  fprintf(out, "pio-bench kvio: %s (%s, plugin %s %s)\n", m->resolved.name,
          m->resolved.architecture, m->plugin_name, m->plugin_version);
  pio_bench_kv_request_print(out, 8, &o->req, &r->layout, r->figures.layout);
  fprintf(out, "  file     %s on %s\n", f->path, f->fs_type);
  if (f->fd_direct >= 0)
    fprintf(out, "  direct   O_DIRECT, alignment %zu B\n", f->direct_align);
  else
    fprintf(out, "  direct   not used: %s\n", f->direct_note);
  engine_line(out, r);
  if (f->in_memory)
    fprintf(out, "  note     %s is in memory: these are not device figures (use --dir)\n",
            f->fs_type);
  fprintf(out, "  reps     %u; figures are medians; writes include fsync; \"of lim\" is the\n"
               "           median over reps of the rate over the row's limit in that rep\n\n",
          r->reps);
  fprintf(out, "  %-10s %-11s %8s %4s %11s %7s %10s %11s %7s %10s   %s\n", "access", "IO size",
          "IOs", "QD", "write", "of lim", "write IOPS", "read", "of lim", "read IOPS",
          "verified");
  if (r->block.measured) pass_row(out, "block", r->queue_depth, &r->block);
  if (r->layer.measured) pass_row(out, "layer", r->queue_depth, &r->layer);
  fprintf(out, "\nLimits measured in this run, rep by rep beside the above\n");
  fprintf(out, "  %-40s %s\n", "memcpy",
          pio_bench_format_rate(r->memcpy_bytes_per_s, rate, sizeof rate));
  fprintf(out, "  file, sequential: %s IOs, queue depth %u (%s)\n",
          pio_bench_format_bytes(r->seq.io_bytes, rate, sizeof rate), r->queue_depth,
          cache_policy(f, r->seq.direct));
  fprintf(out, "  %-40s %s\n", "  write + fsync",
          pio_bench_format_rate(r->seq.write_bytes_per_s, rate, sizeof rate));
  fprintf(out, "  %-40s %s\n", "  read",
          pio_bench_format_rate(r->seq.read_bytes_per_s, rate, sizeof rate));
  fprintf(out, "  a row's limit in a rep: the faster of that rep's sequential pass and the row's\n"
               "  own (both move the whole file front to back); medians\n");
  limit_row(out, "block", &r->block);
  limit_row(out, "layer", &r->layer);
}

static void put_u64(json_object *o, const char *key, uint64_t v) {
  json_object_object_add(o, key, json_object_new_uint64(v));
}

static void put_double(json_object *o, const char *key, double v) {
  json_object_object_add(o, key, json_object_new_double(v));
}

static json_object *seconds_json(const double *each, uint32_t n) {
  json_object *a = json_object_new_array();
  for (uint32_t i = 0; i < n; i++) json_object_array_add(a, json_object_new_double(each[i]));
  return a;
}

static json_object *pass_json(const pio_bench_kvio_file *f, const pio_bench_kvio_pass *p,
                              uint32_t reps) {
  if (!p->measured) return NULL;
  json_object *j = json_object_new_object();
  put_u64(j, "io_bytes", p->io_bytes);
  put_u64(j, "n_ios", p->n_ios);
  json_object_object_add(j, "direct", json_object_new_boolean(p->direct));
  json_object_object_add(j, "cache_policy", json_object_new_string(cache_policy(f, p->direct)));
  put_double(j, "write_seconds", p->write_s);
  put_double(j, "read_seconds", p->read_s);
  json_object_object_add(j, "write_seconds_each_rep", seconds_json(p->write_each_s, reps));
  json_object_object_add(j, "read_seconds_each_rep", seconds_json(p->read_each_s, reps));
  put_double(j, "write_gb_per_s", p->write_bytes_per_s / 1e9);
  put_double(j, "read_gb_per_s", p->read_bytes_per_s / 1e9);
  put_double(j, "write_iops", p->write_iops);
  put_double(j, "read_iops", p->read_iops);
  put_double(j, "write_limit_gb_per_s", p->write_limit_bytes_per_s / 1e9);
  put_double(j, "read_limit_gb_per_s", p->read_limit_bytes_per_s / 1e9);
  put_double(j, "write_of_limit", p->write_of_limit);
  put_double(j, "read_of_limit", p->read_of_limit);
  json_object_object_add(j, "verified", json_object_new_boolean(p->verified));
  return j;
}

static json_object *limits_json(const pio_bench_kvio_file *f, const pio_bench_kvio_result *r) {
  json_object *j = json_object_new_object();
  put_double(j, "memcpy_gb_per_s", r->memcpy_bytes_per_s / 1e9);
  put_u64(j, "seq_io_bytes", r->seq.io_bytes);
  put_u64(j, "seq_queue_depth", r->queue_depth);
  json_object_object_add(j, "seq_direct", json_object_new_boolean(r->seq.direct));
  json_object_object_add(j, "seq_cache_policy",
                         json_object_new_string(cache_policy(f, r->seq.direct)));
  put_double(j, "seq_write_gb_per_s", r->seq.write_bytes_per_s / 1e9);
  put_double(j, "seq_read_gb_per_s", r->seq.read_bytes_per_s / 1e9);
  json_object_object_add(j, "seq_write_seconds_each_rep",
                         seconds_json(r->seq.write_each_s, r->reps));
  json_object_object_add(j, "seq_read_seconds_each_rep",
                         seconds_json(r->seq.read_each_s, r->reps));
  return j;
}

int pio_bench_kvio_print_json(const pio_bench_kvio_options *o, const pio_bench_model *m,
                              const pio_bench_kvio_file *f, const pio_bench_kvio_result *r,
                              FILE *out) {
  json_object *j = pio_about_json_document("pio-bench", "pio-bench kvio");
  if (j == NULL) return -1;
  json_object_object_add(j, "model", json_object_new_string(m->resolved.name));
  json_object_object_add(j, "architecture", json_object_new_string(m->resolved.architecture));
  json_object_object_add(j, "plugin", json_object_new_string(m->plugin_name));
  pio_bench_kv_request_json(j, &o->req, &r->layout);
  put_u64(j, "reps", r->reps);
  json_object_object_add(j, "io_engine", json_object_new_string(pio_bench_io_kind_name(r->engine)));
  put_u64(j, "queue_depth", r->queue_depth);
  put_u64(j, "registered_buffers", r->n_fixed);
  json_object_object_add(j, "engine_note", r->engine_note[0] ? json_object_new_string(r->engine_note) : NULL);
  json_object_object_add(j, "file", json_object_new_string(f->path));
  json_object_object_add(j, "fs_type", json_object_new_string(f->fs_type));
  json_object_object_add(j, "in_memory", json_object_new_boolean(f->in_memory));
  json_object_object_add(j, "direct_available", json_object_new_boolean(f->fd_direct >= 0));
  put_u64(j, "direct_align", f->direct_align);
  json_object_object_add(j, "direct_note",
                         f->fd_direct >= 0 ? NULL : json_object_new_string(f->direct_note));
  json_object_object_add(j, "block", pass_json(f, &r->block, r->reps));
  json_object_object_add(j, "layer", pass_json(f, &r->layer, r->reps));
  json_object_object_add(j, "limits", limits_json(f, r));
  const char *text = json_object_to_json_string_ext(j, JSON_C_TO_STRING_PRETTY |
                                                           JSON_C_TO_STRING_NOSLASHESCAPE);
  int ok = text != NULL && fprintf(out, "%s\n", text) >= 0;
  json_object_put(j);
  return ok ? 0 : -1;
}
