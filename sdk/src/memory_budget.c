/* sdk/src/memory_budget.c — how much memory this process may still take
 * (pio/memory.h): the kernel's MemAvailable, and the tightest memory limit
 * of the cgroups the process is in (v2 memory.max up the hierarchy, or v1
 * memory.limit_in_bytes) less what that cgroup already holds, its inactive
 * file cache not counted (the kernel reclaims it first, as the kubelet's
 * "working set" reckons).  A model that would not fit is refused before its
 * memory is touched, so that neither it nor another process is OOM-killed. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pio/memory.h"

#define GIB (1024.0 * 1024.0 * 1024.0)

/* The text of root + path (at most cap - 1 bytes), NUL-terminated; -1
 * when it cannot be read. */
static int read_text(const char *root, const char *path, char *buf, size_t cap) {
  char full[1024];
  if ((size_t)snprintf(full, sizeof full, "%s%s", root, path) >= sizeof full) return -1;
  FILE *f = fopen(full, "re");
  if (f == NULL) return -1;
  size_t n = fread(buf, 1, cap - 1, f);
  fclose(f);
  buf[n] = '\0';
  return 0;
}

/* A number file of a cgroup ("max" or above 2^62, v1's "no limit":
 * UINT64_MAX); -1 when absent or not a number. */
static int read_limit(const char *root, const char *path, uint64_t *out) {
  char text[64];
  if (read_text(root, path, text, sizeof text) != 0) return -1;
  if (strncmp(text, "max", 3) == 0) {
    *out = UINT64_MAX;
    return 0;
  }
  char *end = NULL;
  unsigned long long v = strtoull(text, &end, 10);
  if (end == text) return -1;
  *out = v >= (1ULL << 62) ? UINT64_MAX : (uint64_t)v;
  return 0;
}

/* The value of `key value` in a memory.stat file; 0 when absent. */
static uint64_t stat_value(const char *root, const char *path, const char *key) {
  char text[8192];
  if (read_text(root, path, text, sizeof text) != 0) return 0;
  size_t klen = strlen(key);
  for (const char *line = text; *line != '\0';) {
    if (strncmp(line, key, klen) == 0 && line[klen] == ' ')
      return (uint64_t)strtoull(line + klen + 1, NULL, 10);
    const char *nl = strchr(line, '\n');
    if (nl == NULL) break;
    line = nl + 1;
  }
  return 0;
}

static void read_mem_available(const char *root, pio_memory_budget *b) {
  char text[8192];
  if (read_text(root, "/proc/meminfo", text, sizeof text) != 0) return;
  const char *at = strstr(text, "MemAvailable:");
  unsigned long long kib;
  if (at != NULL && sscanf(at + 13, " %llu", &kib) == 1) b->mem_available = (uint64_t)kib * 1024;
}

/* One cgroup's limit and use: the one with less room left wins. */
static void consider(pio_memory_budget *b, uint64_t limit, uint64_t used) {
  if (limit == UINT64_MAX || limit == 0) return;
  if (used > limit) used = limit;
  if (b->cgroup_limit == 0 || limit - used < b->cgroup_limit - b->cgroup_used) {
    b->cgroup_limit = limit;
    b->cgroup_used = used;
  }
}

/* cgroup v2: this process's group (the "0::" line) and every parent. */
static void read_cgroup_v2(const char *root, const char *group, pio_memory_budget *b) {
  char dir[768];
  snprintf(dir, sizeof dir, "%s", group);
  for (;;) {
    char path[1024];
    uint64_t limit, current;
    snprintf(path, sizeof path, "/sys/fs/cgroup%s/memory.max", dir);
    if (read_limit(root, path, &limit) == 0) {
      snprintf(path, sizeof path, "/sys/fs/cgroup%s/memory.current", dir);
      if (read_limit(root, path, &current) == 0 && current != UINT64_MAX) {
        snprintf(path, sizeof path, "/sys/fs/cgroup%s/memory.stat", dir);
        uint64_t inactive = stat_value(root, path, "inactive_file");
        consider(b, limit, current > inactive ? current - inactive : 0);
      }
    }
    char *slash = strrchr(dir, '/');
    if (slash == NULL || dir[0] == '\0') break;
    *slash = '\0'; /* "/a/b" -> "/a" -> "" (the mount's own root) */
  }
}

/* cgroup v1: the memory controller's group. */
static void read_cgroup_v1(const char *root, const char *group, pio_memory_budget *b) {
  char path[1024];
  uint64_t limit, usage;
  snprintf(path, sizeof path, "/sys/fs/cgroup/memory%s/memory.limit_in_bytes", group);
  if (read_limit(root, path, &limit) != 0) return;
  snprintf(path, sizeof path, "/sys/fs/cgroup/memory%s/memory.usage_in_bytes", group);
  if (read_limit(root, path, &usage) != 0 || usage == UINT64_MAX) return;
  snprintf(path, sizeof path, "/sys/fs/cgroup/memory%s/memory.stat", group);
  uint64_t inactive = stat_value(root, path, "total_inactive_file");
  consider(b, limit, usage > inactive ? usage - inactive : 0);
}

static void read_cgroups(const char *root, pio_memory_budget *b) {
  char text[4096];
  if (read_text(root, "/proc/self/cgroup", text, sizeof text) != 0) return;
  for (char *line = text; *line != '\0';) {
    char *nl = strchr(line, '\n');
    if (nl != NULL) *nl = '\0';
    char *group = NULL;
    if (strncmp(line, "0::", 3) == 0) {
      group = line + 3;
      if (strcmp(group, "/") == 0) group[0] = '\0';
      if (strlen(group) < 700) read_cgroup_v2(root, group, b);
    } else if ((group = strstr(line, ":memory:")) != NULL) {
      group += 8;
      if (strcmp(group, "/") == 0) group[0] = '\0';
      if (strlen(group) < 700) read_cgroup_v1(root, group, b);
    }
    if (nl == NULL) break;
    line = nl + 1;
  }
}

pio_status pio_memory_budget_read_at(const char *root, pio_memory_budget *out, pio_error *err) {
  if (out == NULL)
    return pio_error_set(err, PIO_ERR_INVALID_ARGUMENT, "memory budget: out is NULL");
  memset(out, 0, sizeof *out);
  if (root == NULL) root = "";
  read_mem_available(root, out);
  read_cgroups(root, out);
  out->available = UINT64_MAX;
  if (out->mem_available != 0) out->available = out->mem_available;
  if (out->cgroup_limit != 0 && out->cgroup_limit - out->cgroup_used < out->available)
    out->available = out->cgroup_limit - out->cgroup_used;
  out->known = out->mem_available != 0 || out->cgroup_limit != 0;
  return PIO_OK;
}

pio_status pio_memory_budget_read(pio_memory_budget *out, pio_error *err) {
  return pio_memory_budget_read_at("", out, err);
}

const char *pio_memory_budget_describe(const pio_memory_budget *b, char *buf, size_t cap) {
  if (buf == NULL || cap == 0) return buf;
  if (b == NULL || !b->known) {
    snprintf(buf, cap, "unknown (no /proc/meminfo and no cgroup limit)");
    return buf;
  }
  int n = snprintf(buf, cap, "%.1f GiB is available (", (double)b->available / GIB);
  if (n < 0 || (size_t)n >= cap) return buf;
  if (b->mem_available != 0)
    n += snprintf(buf + n, cap - (size_t)n, "MemAvailable %.1f GiB",
                  (double)b->mem_available / GIB);
  else
    n += snprintf(buf + n, cap - (size_t)n, "MemAvailable unknown");
  if ((size_t)n >= cap) return buf;
  if (b->cgroup_limit != 0)
    snprintf(buf + n, cap - (size_t)n, "; cgroup memory limit %.1f GiB, %.1f GiB of it in use)",
             (double)b->cgroup_limit / GIB, (double)b->cgroup_used / GIB);
  else
    snprintf(buf + n, cap - (size_t)n, "; no cgroup memory limit)");
  return buf;
}

/* PIO_MEMORY_CHECK=off (or 0) turns the check off: for a machine whose swap
 * is meant to take the overflow. */
static int check_is_off(void) {
  const char *v = getenv("PIO_MEMORY_CHECK");
  return v != NULL && (strcmp(v, "off") == 0 || strcmp(v, "0") == 0);
}

pio_status pio_memory_check(uint64_t bytes, const char *what, pio_error *err) {
  if (check_is_off()) return PIO_OK;
  pio_memory_budget b;
  pio_memory_budget_read(&b, err);
  if (!b.known || bytes <= b.available) return PIO_OK;
  char budget[256];
  return pio_error_set(err, PIO_ERR_NO_MEMORY,
                       "%s needs %.1f GiB (%" PRIu64 " bytes) but %s; PIO_MEMORY_CHECK=off "
                       "skips this check",
                       what != NULL ? what : "this", (double)bytes / GIB, bytes,
                       pio_memory_budget_describe(&b, budget, sizeof budget));
}
