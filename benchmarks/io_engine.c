/* benchmarks/io_engine.c — kvio's IO engine: a pass of IOs kept
 * queue_depth deep on an io_uring (fixed buffers where registered), short
 * transfers resubmitted, errors waited out; or pread/pwrite one by one. */
#include "io_engine.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/uio.h>

#include "kvio_file.h"

/* The kernel takes at most 1 GiB in one registered buffer. */
#define FIXED_BUFFER_MAX (1ull << 30)
/* An IO the kernel answers EINTR/EAGAIN this often is an error, not a wait. */
#define MAX_RETRIES 100u

const char *pio_bench_io_kind_name(pio_bench_io_kind kind) {
  return kind == PIO_BENCH_IO_URING ? "io_uring" : "psync";
}

static void note_memlock(pio_bench_io_engine *e, int error) {
  struct rlimit rl;
  if (error == ENOMEM && getrlimit(RLIMIT_MEMLOCK, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
    snprintf(e->note, sizeof e->note, "buffers not registered (%s; RLIMIT_MEMLOCK is %llu "
             "bytes, raise it with ulimit -l)", strerror(error), (unsigned long long)rl.rlim_cur);
  else
    snprintf(e->note, sizeof e->note, "buffers not registered (%s)", strerror(error));
}

/* Registers base[0..len) in pieces of chunk bytes; leaves n_fixed 0 and a
 * note when the kernel refuses. */
static void register_buffers(pio_bench_io_engine *e, uint64_t align_unit) {
  if (align_unit == 0 || align_unit > FIXED_BUFFER_MAX) {
    snprintf(e->note, sizeof e->note, "buffers not registered (an IO of %llu bytes is more "
             "than the kernel's 1 GiB a buffer)", (unsigned long long)align_unit);
    return;
  }
  e->chunk = FIXED_BUFFER_MAX / align_unit * align_unit;
  uint64_t n = (e->len + e->chunk - 1) / e->chunk;
  struct iovec *iov = calloc(n, sizeof *iov);
  if (iov == NULL) {
    note_memlock(e, ENOMEM);
    return;
  }
  for (uint64_t i = 0; i < n; i++) {
    iov[i].iov_base = e->base + i * e->chunk;
    iov[i].iov_len = e->len - i * e->chunk < e->chunk ? e->len - i * e->chunk : e->chunk;
  }
  int rc = n > UINT32_MAX ? -E2BIG : io_uring_register_buffers(&e->ring, iov, (unsigned)n);
  free(iov);
  if (rc < 0)
    note_memlock(e, -rc);
  else
    e->n_fixed = (unsigned)n;
}

pio_status pio_bench_io_engine_open(pio_bench_io_kind want, uint32_t queue_depth, uint8_t *base,
                                    uint64_t len, uint64_t align_unit, pio_bench_io_engine *e,
                                    pio_error *err) {
  memset(e, 0, sizeof *e);
  if (queue_depth == 0 || queue_depth > PIO_BENCH_IO_MAX_QUEUE_DEPTH || len == 0)
    return pio_error_set(err, PIO_ERR_INVALID_ARGUMENT, "IO engine: queue depth %u, %llu bytes",
                         queue_depth, (unsigned long long)len);
  e->base = base;
  e->len = len;
  e->kind = PIO_BENCH_IO_PSYNC;
  e->queue_depth = 1;
  if (want == PIO_BENCH_IO_PSYNC) return PIO_OK;
  int rc = io_uring_queue_init(queue_depth, &e->ring, 0);
  if (rc < 0) {
    snprintf(e->note, sizeof e->note, "io_uring unavailable (%s); psync, one IO at a time",
             strerror(-rc));
    return PIO_OK;
  }
  e->kind = PIO_BENCH_IO_URING;
  e->queue_depth = queue_depth;
  register_buffers(e, align_unit);
  return PIO_OK;
}

void pio_bench_io_engine_close(pio_bench_io_engine *e) {
  if (e->kind == PIO_BENCH_IO_URING) io_uring_queue_exit(&e->ring); /* unregisters too */
  memset(e, 0, sizeof *e);
}

/* An IO in flight: its place and how much of it is done. */
typedef struct slot {
  uint64_t mem, file, len, done;
  unsigned retries;
} slot;

typedef struct pass_state {
  pio_bench_io_engine *e;
  int fd, write;
  slot *slots;
  uint32_t *free_slots, n_free;
  uint32_t in_flight;
  int failed;            /* an error was recorded: issue nothing more */
  pio_error *err;
} pass_state;

/* Queues the rest of slot k.  The ring holds queue_depth entries and each
 * slot has at most one queued, so there is room unless the kernel has not
 * taken the last batch yet; then it is submitted first. */
static void queue_slot(pass_state *p, uint32_t k) {
  slot *s = &p->slots[k];
  struct io_uring_sqe *sqe = io_uring_get_sqe(&p->e->ring);
  if (sqe == NULL) {
    io_uring_submit(&p->e->ring);
    sqe = io_uring_get_sqe(&p->e->ring);
  }
  uint64_t mem = s->mem + s->done, off = s->file + s->done, left = s->len - s->done;
  unsigned n = left > (1u << 30) ? 1u << 30 : (unsigned)left; /* one SQE moves at most this */
  uint8_t *addr = p->e->base + mem;
  int fixed = -1;
  if (p->e->n_fixed > 0 && mem / p->e->chunk == (mem + n - 1) / p->e->chunk)
    fixed = (int)(mem / p->e->chunk);
  if (fixed >= 0 && p->write)
    io_uring_prep_write_fixed(sqe, p->fd, addr, n, off, fixed);
  else if (fixed >= 0)
    io_uring_prep_read_fixed(sqe, p->fd, addr, n, off, fixed);
  else if (p->write)
    io_uring_prep_write(sqe, p->fd, addr, n, off);
  else
    io_uring_prep_read(sqe, p->fd, addr, n, off);
  io_uring_sqe_set_data64(sqe, k);
}

static void fail(pass_state *p, const slot *s, int error) {
  if (p->failed) return;
  p->failed = 1;
  if (error == 0)
    pio_error_set(p->err, PIO_ERR_IO, "read of %llu bytes at offset %llu: unexpected end of file",
                  (unsigned long long)s->len, (unsigned long long)(s->file + s->done));
  else
    pio_error_set(p->err, PIO_ERR_IO, "%s of %llu bytes at offset %llu: %s",
                  p->write ? "write" : "read", (unsigned long long)s->len,
                  (unsigned long long)s->file, strerror(error));
}

/* Takes one completion: the slot is done, continued, retried or failed. */
static void complete(pass_state *p, const struct io_uring_cqe *cqe) {
  uint32_t k = (uint32_t)io_uring_cqe_get_data64(cqe);
  slot *s = &p->slots[k];
  int res = cqe->res, again = 0;
  if ((res == -EINTR || res == -EAGAIN) && ++s->retries <= MAX_RETRIES)
    again = 1; /* nothing moved: queue it again */
  else if (res < 0)
    fail(p, s, -res);
  else if (res == 0)
    fail(p, s, p->write ? EIO : 0); /* no progress: a read at the end of the file */
  else {
    s->done += (uint64_t)res;
    again = s->done < s->len;
  }
  if (again && !p->failed) {
    queue_slot(p, k);
    return;
  }
  p->free_slots[p->n_free++] = k;
  p->in_flight--;
}

static pio_status run_uring(pio_bench_io_engine *e, int fd, int write,
                            const pio_bench_io_list *list, pio_error *err) {
  pass_state p = {e, fd, write, NULL, NULL, 0, 0, 0, err};
  p.slots = calloc(e->queue_depth, sizeof *p.slots);
  p.free_slots = calloc(e->queue_depth, sizeof *p.free_slots);
  if (p.slots == NULL || p.free_slots == NULL) {
    free(p.slots);
    free(p.free_slots);
    return pio_error_set(err, PIO_ERR_NO_MEMORY, "out of memory");
  }
  for (uint32_t k = 0; k < e->queue_depth; k++) p.free_slots[p.n_free++] = e->queue_depth - 1 - k;
  uint64_t next = 0, completed = 0;
  while ((next < list->n && !p.failed) || p.in_flight > 0) {
    while (next < list->n && !p.failed && p.n_free > 0) {
      uint32_t k = p.free_slots[--p.n_free];
      slot *s = &p.slots[k];
      list->at(list->at_ctx, next++, &s->mem, &s->file, &s->len);
      s->done = 0;
      s->retries = 0;
      queue_slot(&p, k);
      p.in_flight++;
    }
    /* Every IO queued since the last wait goes in with one system call;
     * neighbours in the file merge into larger device requests there, so
     * the queue is refilled a quarter at a time rather than IO by IO: small
     * IOs (64 KiB) submitted one at a time reach the device one at a time
     * and a virtual disk pays per request (docs/benchmarks.md). */
    uint32_t batch = e->queue_depth / 4 > 0 ? e->queue_depth / 4 : 1;
    int rc = io_uring_submit_and_wait(&e->ring, p.in_flight < batch ? p.in_flight : batch);
    if (rc < 0 && rc != -EINTR && rc != -EAGAIN && rc != -EBUSY) {
      /* The ring itself failed: nothing more can be waited for safely. */
      free(p.slots);
      free(p.free_slots);
      return pio_error_set(err, PIO_ERR_IO, "io_uring_submit_and_wait: %s", strerror(-rc));
    }
    struct io_uring_cqe *cqe;
    unsigned head, seen = 0;
    uint32_t before = p.in_flight;
    io_uring_for_each_cqe(&e->ring, head, cqe) {
      complete(&p, cqe);
      seen++;
    }
    io_uring_cq_advance(&e->ring, seen);
    completed += before - p.in_flight;
    if (list->tick != NULL && seen > 0) list->tick(list->tick_ctx, completed);
  }
  free(p.slots);
  free(p.free_slots);
  return p.failed ? err->code : PIO_OK;
}

static pio_status run_psync(pio_bench_io_engine *e, int fd, int write,
                            const pio_bench_io_list *list, pio_error *err) {
  for (uint64_t i = 0; i < list->n; i++) {
    uint64_t mem = 0, file = 0, len = 0;
    list->at(list->at_ctx, i, &mem, &file, &len);
    pio_status s = pio_bench_io_full(fd, write, e->base + mem, len, file, err);
    if (s != PIO_OK) return s;
    if (list->tick != NULL && (i & 63) == 63) list->tick(list->tick_ctx, i + 1);
  }
  return PIO_OK;
}

pio_status pio_bench_io_engine_run(pio_bench_io_engine *e, int fd, int write,
                                   const pio_bench_io_list *list, pio_error *err) {
  return e->kind == PIO_BENCH_IO_URING ? run_uring(e, fd, write, list, err)
                                       : run_psync(e, fd, write, list, err);
}
