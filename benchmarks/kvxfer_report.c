/* benchmarks/kvxfer_report.c — what `pio-bench kvxfer` prints: the pages,
 * the ranks and the transports UCX chose, each pass beside its limits, and
 * advice for a transport far below its own; as a table or as JSON. */
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ucp/api/ucp.h>

#include "about.h"
#include "kvxfer_bench.h"
#include "pio/json.h"
#include "units.h"

static const char *const access_names[2] = {"block", "layer"};
static const char *const op_names[2] = {"put", "get"};

/* "12.3 us", "4.56 ms", "1.20 s". */
static const char *duration(double s, char *out, size_t size) {
  if (s < 1e-3) snprintf(out, size, "%.1f us", s * 1e6);
  else if (s < 1.0) snprintf(out, size, "%.2f ms", s * 1e3);
  else snprintf(out, size, "%.2f s", s);
  return out;
}

static void pass_row(FILE *out, const pio_kvxfer_pass *p) {
  char size[48], rate[32], raw[32], p50[24], p99[24];
  fprintf(out, "  %-6s %-4s %-11s %8llu %6u %11s %10.0f %10s %10s %11s %5.0f%%   %s\n",
          access_names[p->access == PIO_KV_ACCESS_LAYER], op_names[p->op],
          pio_bench_format_bytes(p->io_bytes, size, sizeof size), (unsigned long long)p->n_ios,
          p->batch, pio_bench_format_rate(p->bytes_per_s, rate, sizeof rate), p->ios_per_s,
          duration(p->p50_s, p50, sizeof p50), duration(p->p99_s, p99, sizeof p99),
          pio_bench_format_rate(p->raw_bytes_per_s, raw, sizeof raw), 100.0 * p->of_raw,
          p->verified ? "yes" : "NO");
}

/* A transport far below its own limit is named with what to change. */
void pio_kvxfer_advise(pio_kvxfer_result *r) {
  const pio_kvxfer_pass *p = &r->pass[0][PIO_KVXFER_PUT];
  if (!p->measured) p = &r->pass[1][PIO_KVXFER_PUT];
  if (!p->measured) p = &r->pass[0][PIO_KVXFER_GET];
  if (!p->measured) p = &r->pass[1][PIO_KVXFER_GET];
  double raw = p->raw_bytes_per_s;
  const char *tx = getenv("UCX_TCP_TX_SEG_SIZE"), *rx = getenv("UCX_TCP_RX_SEG_SIZE");
  int slow_tcp = strcmp(r->kind, "tcp") == 0 && r->socket_bytes_per_s > 0 &&
                 raw < 0.5 * r->socket_bytes_per_s;
  int n = 0;
  if (slow_tcp)
    n = snprintf(r->advice, sizeof r->advice, "UCX's tcp transport moved %.3f GB/s, %.0f%% of "
                 "the %.3f GB/s a plain TCP socket carries between these ranks.  ", raw / 1e9,
                 100.0 * raw / r->socket_bytes_per_s, r->socket_bytes_per_s / 1e9);
  if (slow_tcp && tx != NULL && rx != NULL && n > 0 && (size_t)n < sizeof r->advice)
    /* Advising what is already set would send the user round in a circle. */
    snprintf(r->advice + n, sizeof r->advice - (size_t)n, "This rank has UCX_TCP_TX_SEG_SIZE=%.32s "
             "UCX_TCP_RX_SEG_SIZE=%.32s (the target needs them too); what remains is UCX 1.13 "
             "carrying puts and gets over TCP as active messages through its own buffers: use "
             "an RDMA transport (UCX_TLS=rc,...) where the NICs have it, larger "
             "UCX_TCP_SNDBUF/UCX_TCP_RCVBUF on long links.", tx, rx);
  else if (slow_tcp && n > 0 && (size_t)n < sizeof r->advice)
    snprintf(r->advice + n, sizeof r->advice - (size_t)n, "Its default segments are small for "
             "KV pages: set UCX_TCP_TX_SEG_SIZE=256K UCX_TCP_RX_SEG_SIZE=1M (and larger "
             "UCX_TCP_SNDBUF/UCX_TCP_RCVBUF on long links) on both ranks, or use an RDMA "
             "transport (UCX_TLS=rc,...) where the NICs have it.");
  else if (!slow_tcp && strcmp(r->kind, "shm") == 0 && raw < 0.25 * r->memcpy_bytes_per_s)
    snprintf(r->advice, sizeof r->advice, "UCX's shared-memory transport moved %.2f GB/s, "
             "%.0f%% of memcpy on this machine (%.2f GB/s): check UCX_TLS (sysv,posix,cma) "
             "and that both ranks share /dev/shm.", raw / 1e9,
             100.0 * raw / r->memcpy_bytes_per_s, r->memcpy_bytes_per_s / 1e9);
}

void pio_kvxfer_print_table(const pio_kvxfer_options *o, const pio_bench_model *m,
                            const pio_kvxfer_result *r, FILE *out) {
  char rate[32];
  fprintf(out, "pio-bench kvxfer: %s (%s, plugin %s %s)\n", m->resolved.name,
          m->resolved.architecture, m->plugin_name, m->plugin_version);
  pio_bench_kv_request_print(out, 11, &o->req, &r->shape.layout, r->figures.layout);
  fprintf(out, "  ranks       this rank (initiator) -> target %s%s\n", r->target,
          o->connect == NULL ? " (forked here)" : "");
  fprintf(out, "  transports  %s [%s]\n", r->transports[0] ? r->transports : "(not known)",
          r->kind);
  if (r->protocols[0] != '\0') fprintf(out, "  rma         %s\n", r->protocols);
  fprintf(out, "  ucx         %s%s%s\n", ucp_get_version_string(), r->ucx_note[0] ? "; " : "",
          r->ucx_note);
  fprintf(out, "  reps        %u; figures are medians; a batch is --batch IOs posted, then a "
               "flush;\n              every byte verified where it landed\n\n", r->reps);
  fprintf(out, "  %-6s %-4s %-11s %8s %6s %11s %10s %10s %10s %11s %6s   %s\n", "access", "op",
          "IO size", "IOs", "batch", "rate", "IOs/s", "p50 batch", "p99 batch", "raw UCX",
          "of raw", "verified");
  for (int a = 0; a < 2; a++)
    for (int op = 0; op < 2; op++)
      if (r->pass[a][op].measured) pass_row(out, &r->pass[a][op]);
  fprintf(out, "\nLimits measured in this run, rep by rep beside the above\n");
  fprintf(out, "  %-40s %s\n", "memcpy of the pages on this rank",
          pio_bench_format_rate(r->memcpy_bytes_per_s, rate, sizeof rate));
  fprintf(out, "  raw UCX: the row's IOs all in flight, one flush, nothing verified (each rep's\n"
               "  faster of that and the verified pass)\n");
  if (r->socket_bytes_per_s > 0)
    fprintf(out, "  %-40s %s\n", "a plain TCP socket between the ranks",
            pio_bench_format_rate(r->socket_bytes_per_s, rate, sizeof rate));
  if (r->advice[0] != '\0') fprintf(out, "\nnote: %s\n", r->advice);
}

static void put_u64(pio_json_build *b, json_object *o, const char *key, uint64_t v) {
  pio_json_set(b, o, key, pio_json_made(b, json_object_new_uint64(v)));
}

static void put_double(pio_json_build *b, json_object *o, const char *key, double v) {
  pio_json_set(b, o, key, pio_json_made(b, json_object_new_double(v)));
}

static void put_string(pio_json_build *b, json_object *o, const char *key, const char *v) {
  pio_json_set(b, o, key,
               v != NULL && v[0] != '\0' ? pio_json_made(b, json_object_new_string(v)) : NULL);
}

static json_object *pass_json(pio_json_build *b, const pio_kvxfer_pass *p) {
  json_object *j = pio_json_made(b, json_object_new_object());
  put_string(b, j, "access", access_names[p->access == PIO_KV_ACCESS_LAYER]);
  put_string(b, j, "op", op_names[p->op]);
  put_u64(b, j, "io_bytes", p->io_bytes);
  put_u64(b, j, "n_ios", p->n_ios);
  put_u64(b, j, "batch", p->batch);
  put_double(b, j, "seconds", p->seconds);
  put_double(b, j, "gb_per_s", p->bytes_per_s / 1e9);
  put_double(b, j, "ios_per_s", p->ios_per_s);
  put_double(b, j, "batch_p50_seconds", p->p50_s);
  put_double(b, j, "batch_p99_seconds", p->p99_s);
  put_double(b, j, "raw_gb_per_s", p->raw_bytes_per_s / 1e9);
  put_double(b, j, "of_raw", p->of_raw);
  pio_json_set(b, j, "verified", pio_json_made(b, json_object_new_boolean(p->verified)));
  return j;
}

int pio_kvxfer_print_json(const pio_kvxfer_options *o, const pio_bench_model *m,
                          const pio_kvxfer_result *r, FILE *out) {
  pio_json_build build = {0}, *b = &build;
  json_object *j = pio_json_made(b, pio_about_json_document("pio-bench", "pio-bench kvxfer"));
  put_string(b, j, "model", m->resolved.name);
  put_string(b, j, "architecture", m->resolved.architecture);
  put_string(b, j, "plugin", m->plugin_name);
  pio_bench_kv_request_json(b, j, &o->req, &r->shape.layout);
  put_u64(b, j, "reps", r->reps);
  put_string(b, j, "target", r->target);
  pio_json_set(b, j, "forked", pio_json_made(b, json_object_new_boolean(o->connect == NULL)));
  put_string(b, j, "ucx_version", ucp_get_version_string());
  put_string(b, j, "transports", r->transports);
  put_string(b, j, "transport_kind", r->kind);
  put_string(b, j, "rma_protocols", r->protocols);
  put_string(b, j, "ucx_endpoint_info", r->ep_info);
  put_string(b, j, "ucx_note", r->ucx_note);
  json_object *passes = pio_json_made(b, json_object_new_array());
  for (int a = 0; a < 2; a++)
    for (int op = 0; op < 2; op++)
      if (r->pass[a][op].measured) pio_json_push(b, passes, pass_json(b, &r->pass[a][op]));
  pio_json_set(b, j, "passes", passes);
  json_object *limits = pio_json_made(b, json_object_new_object());
  put_double(b, limits, "memcpy_gb_per_s", r->memcpy_bytes_per_s / 1e9);
  pio_json_set(b, limits, "socket_gb_per_s",
               r->socket_bytes_per_s > 0
                   ? pio_json_made(b, json_object_new_double(r->socket_bytes_per_s / 1e9))
                   : NULL);
  pio_json_set(b, j, "limits", limits);
  put_string(b, j, "advice", r->advice);
  j = pio_json_done(b, j);
  if (j == NULL) return -1;
  const char *text = json_object_to_json_string_ext(j, JSON_C_TO_STRING_PRETTY |
                                                           JSON_C_TO_STRING_NOSLASHESCAPE);
  int ok = text != NULL && fprintf(out, "%s\n", text) >= 0;
  json_object_put(j);
  return ok ? 0 : -1;
}
