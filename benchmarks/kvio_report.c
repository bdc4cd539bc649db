/* benchmarks/kvio_report.c — what `pio-bench kvio` prints: the pages and
 * the file and the IO engine, the KV page IO beside the limits of the same
 * run and its share of them, as a table or as JSON. */
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

#include "about.h"
#include "kvio_bench.h"
#include "pio/json.h"
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

static void put_u64(pio_json_build *b, json_object *o, const char *key, uint64_t v) {
  pio_json_set(b, o, key, pio_json_made(b, json_object_new_uint64(v)));
}

static void put_double(pio_json_build *b, json_object *o, const char *key, double v) {
  pio_json_set(b, o, key, pio_json_made(b, json_object_new_double(v)));
}

static json_object *seconds_json(pio_json_build *b, const double *each, uint32_t n) {
  json_object *a = pio_json_made(b, json_object_new_array());
  for (uint32_t i = 0; i < n; i++)
    pio_json_push(b, a, pio_json_made(b, json_object_new_double(each[i])));
  return a;
}

static json_object *pass_json(pio_json_build *b, const pio_bench_kvio_file *f,
                              const pio_bench_kvio_pass *p, uint32_t reps) {
  if (!p->measured) return NULL;
  json_object *j = pio_json_made(b, json_object_new_object());
  put_u64(b, j, "io_bytes", p->io_bytes);
  put_u64(b, j, "n_ios", p->n_ios);
  pio_json_set(b, j, "direct", pio_json_made(b, json_object_new_boolean(p->direct)));
  pio_json_set(b, j, "cache_policy",
               pio_json_made(b, json_object_new_string(cache_policy(f, p->direct))));
  put_double(b, j, "write_seconds", p->write_s);
  put_double(b, j, "read_seconds", p->read_s);
  pio_json_set(b, j, "write_seconds_each_rep", seconds_json(b, p->write_each_s, reps));
  pio_json_set(b, j, "read_seconds_each_rep", seconds_json(b, p->read_each_s, reps));
  put_double(b, j, "write_gb_per_s", p->write_bytes_per_s / 1e9);
  put_double(b, j, "read_gb_per_s", p->read_bytes_per_s / 1e9);
  put_double(b, j, "write_iops", p->write_iops);
  put_double(b, j, "read_iops", p->read_iops);
  put_double(b, j, "write_limit_gb_per_s", p->write_limit_bytes_per_s / 1e9);
  put_double(b, j, "read_limit_gb_per_s", p->read_limit_bytes_per_s / 1e9);
  put_double(b, j, "write_of_limit", p->write_of_limit);
  put_double(b, j, "read_of_limit", p->read_of_limit);
  pio_json_set(b, j, "verified", pio_json_made(b, json_object_new_boolean(p->verified)));
  return j;
}

static json_object *limits_json(pio_json_build *b, const pio_bench_kvio_file *f,
                                const pio_bench_kvio_result *r) {
  json_object *j = pio_json_made(b, json_object_new_object());
  put_double(b, j, "memcpy_gb_per_s", r->memcpy_bytes_per_s / 1e9);
  put_u64(b, j, "seq_io_bytes", r->seq.io_bytes);
  put_u64(b, j, "seq_queue_depth", r->queue_depth);
  pio_json_set(b, j, "seq_direct", pio_json_made(b, json_object_new_boolean(r->seq.direct)));
  pio_json_set(b, j, "seq_cache_policy",
               pio_json_made(b, json_object_new_string(cache_policy(f, r->seq.direct))));
  put_double(b, j, "seq_write_gb_per_s", r->seq.write_bytes_per_s / 1e9);
  put_double(b, j, "seq_read_gb_per_s", r->seq.read_bytes_per_s / 1e9);
  pio_json_set(b, j, "seq_write_seconds_each_rep", seconds_json(b, r->seq.write_each_s, r->reps));
  pio_json_set(b, j, "seq_read_seconds_each_rep", seconds_json(b, r->seq.read_each_s, r->reps));
  return j;
}

int pio_bench_kvio_print_json(const pio_bench_kvio_options *o, const pio_bench_model *m,
                              const pio_bench_kvio_file *f, const pio_bench_kvio_result *r,
                              FILE *out) {
  pio_json_build build = {0}, *b = &build;
  json_object *j = pio_json_made(b, pio_about_json_document("pio-bench", "pio-bench kvio"));
  pio_json_set(b, j, "model", pio_json_made(b, json_object_new_string(m->resolved.name)));
  pio_json_set(b, j, "architecture",
               pio_json_made(b, json_object_new_string(m->resolved.architecture)));
  pio_json_set(b, j, "plugin", pio_json_made(b, json_object_new_string(m->plugin_name)));
  pio_bench_kv_request_json(b, j, &o->req, &r->layout);
  put_u64(b, j, "reps", r->reps);
  pio_json_set(b, j, "io_engine",
               pio_json_made(b, json_object_new_string(pio_bench_io_kind_name(r->engine))));
  put_u64(b, j, "queue_depth", r->queue_depth);
  put_u64(b, j, "registered_buffers", r->n_fixed);
  pio_json_set(b, j, "engine_note",
               r->engine_note[0] ? pio_json_made(b, json_object_new_string(r->engine_note)) : NULL);
  pio_json_set(b, j, "file", pio_json_made(b, json_object_new_string(f->path)));
  pio_json_set(b, j, "fs_type", pio_json_made(b, json_object_new_string(f->fs_type)));
  pio_json_set(b, j, "in_memory", pio_json_made(b, json_object_new_boolean(f->in_memory)));
  pio_json_set(b, j, "direct_available",
               pio_json_made(b, json_object_new_boolean(f->fd_direct >= 0)));
  put_u64(b, j, "direct_align", f->direct_align);
  pio_json_set(b, j, "direct_note",
               f->fd_direct >= 0 ? NULL : pio_json_made(b, json_object_new_string(f->direct_note)));
  pio_json_set(b, j, "block", pass_json(b, f, &r->block, r->reps));
  pio_json_set(b, j, "layer", pass_json(b, f, &r->layer, r->reps));
  pio_json_set(b, j, "limits", limits_json(b, f, r));
  j = pio_json_done(b, j);
  if (j == NULL) return -1;
  const char *text = json_object_to_json_string_ext(j, JSON_C_TO_STRING_PRETTY |
                                                           JSON_C_TO_STRING_NOSLASHESCAPE);
  int ok = text != NULL && fprintf(out, "%s\n", text) >= 0;
  json_object_put(j);
  return ok ? 0 : -1;
}
