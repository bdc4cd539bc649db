/* tests/fault/pio_fault.c — a fault-injection shim, loaded with LD_PRELOAD
 * (as SQLite's test harness makes its VFS and allocator fail): one family
 * of calls made by the process — open, read, mmap, write, fsync, rename or
 * malloc — fails at its Nth call, and every call of every family is counted.
 *
 *   PIO_FAULT=FAMILY:N     the Nth call of FAMILY (1-based) fails, that one
 *                          only (SQLite's "transient" fault), with the errno
 *                          a real failure of it sets: open EMFILE, read EIO,
 *                          mmap ENOMEM, write ENOSPC, fsync EIO, rename EIO,
 *                          malloc ENOMEM (NULL)
 *   PIO_FAULT_COUNTS=FILE  at exit (and at _exit, a trial load's child),
 *                          each family's count is appended to FILE as
 *                          "FAMILY N" lines: the driver's range of N
 *   PIO_FAULT_SITES=FILE   every call is appended to FILE as a line
 *                          "FAMILY N OBJECT+OFFSET", the caller's return
 *                          address: the driver samples the N of each call
 *                          site (its first ones, then a stride)
 *
 * Counting starts when this library is initialised, so the dynamic
 * loader's own start-up is never faulted; a forked child goes on counting
 * where its parent was (its calls are the same program's).  Each wrapper
 * calls the next definition (RTLD_NEXT): libc's, or a sanitizer's, whose
 * allocator then still sees every allocation.  Only the calls that reach
 * these symbols are seen: libc's own stdio reaches the kernel directly. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/types.h>
#include <unistd.h>

enum family { F_OPEN, F_READ, F_MMAP, F_WRITE, F_FSYNC, F_RENAME, F_MALLOC, F_COUNT };
static const char *const family_names[F_COUNT] = {"open",  "read",   "mmap",  "write",
                                                  "fsync", "rename", "malloc"};
static const int family_errno[F_COUNT] = {EMFILE, EIO, ENOMEM, ENOSPC, EIO, EIO, ENOMEM};

static _Atomic unsigned long counts[F_COUNT];
static int fault_family = -1;
static unsigned long fault_at;
static int ready; /* counting: set once the environment was read */
static int sites_fd = -1;

static void note_site(enum family f, unsigned long n, const void *caller);

/* 1 when this call of family is the one to fail (errno then set). */
#define fails(f) fails_at((f), __builtin_return_address(0))
static int fails_at(enum family f, const void *caller) {
  if (!ready) return 0;
  unsigned long n = atomic_fetch_add_explicit(&counts[f], 1, memory_order_relaxed) + 1;
  if (sites_fd >= 0) note_site(f, n, caller);
  if ((int)f != fault_family || n != fault_at) return 0;
  errno = family_errno[f];
  return 1;
}

/* ------------------------------------------------------------------ */
/* The real functions.  dlsym may allocate: until every allocator is
 * resolved, allocations come from a static arena that free() knows. */

static unsigned char arena[1 << 16];
static size_t arena_used;

static void *arena_alloc(size_t size) {
  size = (size + 15) & ~(size_t)15;
  if (size > sizeof arena - arena_used) return NULL;
  void *p = arena + arena_used;
  arena_used += size;
  return p;
}

static int in_arena(const void *p) {
  return (const unsigned char *)p >= arena && (const unsigned char *)p < arena + sizeof arena;
}

static void *(*real_malloc)(size_t);
static void *(*real_calloc)(size_t, size_t);
static void *(*real_realloc)(void *, size_t);
static void (*real_free)(void *);
static int (*real_posix_memalign)(void **, size_t, size_t);
static void *(*real_aligned_alloc)(size_t, size_t);
static int resolving;

static void resolve_allocators(void) {
  if (real_free != NULL || resolving) return;
  resolving = 1;
  real_malloc = (void *(*)(size_t))dlsym(RTLD_NEXT, "malloc");
  real_calloc = (void *(*)(size_t, size_t))dlsym(RTLD_NEXT, "calloc");
  real_realloc = (void *(*)(void *, size_t))dlsym(RTLD_NEXT, "realloc");
  real_posix_memalign = (int (*)(void **, size_t, size_t))dlsym(RTLD_NEXT, "posix_memalign");
  real_aligned_alloc = (void *(*)(size_t, size_t))dlsym(RTLD_NEXT, "aligned_alloc");
  real_free = (void (*)(void *))dlsym(RTLD_NEXT, "free");
  resolving = 0;
}

#define REAL(type, name, params)                                        \
  static type(*real_##name) params;                                     \
  static type(*get_##name(void)) params {                               \
    if (real_##name == NULL) real_##name = (type(*) params)dlsym(RTLD_NEXT, #name); \
    return real_##name;                                                 \
  }
REAL(int, open, (const char *, int, ...))
REAL(int, open64, (const char *, int, ...))
REAL(int, openat, (int, const char *, int, ...))
REAL(int, openat64, (int, const char *, int, ...))
REAL(FILE *, fopen, (const char *, const char *))
REAL(FILE *, fopen64, (const char *, const char *))
REAL(ssize_t, read, (int, void *, size_t))
REAL(ssize_t, pread, (int, void *, size_t, off_t))
REAL(ssize_t, pread64, (int, void *, size_t, off_t))
REAL(void *, mmap, (void *, size_t, int, int, int, off_t))
REAL(void *, mmap64, (void *, size_t, int, int, int, off_t))
REAL(ssize_t, write, (int, const void *, size_t))
REAL(ssize_t, pwrite, (int, const void *, size_t, off_t))
REAL(ssize_t, pwrite64, (int, const void *, size_t, off_t))
REAL(int, fsync, (int))
REAL(int, fdatasync, (int))
REAL(int, rename, (const char *, const char *))
REAL(int, renameat, (int, const char *, int, const char *))
REAL(void, _exit, (int))

/* ------------------------------------------------------------------ */
/* Set-up and the counts at exit. */

static void write_counts(void) {
  const char *file = getenv("PIO_FAULT_COUNTS");
  if (file == NULL) return;
  ready = 0; /* what follows is the shim's own */
  int fd = get_open()(file, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0) return;
  char line[64 * F_COUNT];
  size_t used = 0;
  for (int f = 0; f < F_COUNT; f++)
    used += (size_t)snprintf(line + used, sizeof line - used, "%s %lu\n", family_names[f],
                             atomic_load(&counts[f]));
  ssize_t ignored = get_write()(fd, line, used);
  (void)ignored;
  close(fd);
}

/* One line per call for PIO_FAULT_SITES; dladdr takes no memory. */
static void note_site(enum family f, unsigned long n, const void *caller) {
  Dl_info info;
  const char *object = "?";
  unsigned long offset = (unsigned long)caller;
  if (dladdr(caller, &info) != 0 && info.dli_fname != NULL) {
    const char *slash = strrchr(info.dli_fname, '/');
    object = slash != NULL ? slash + 1 : info.dli_fname;
    offset = (unsigned long)((const char *)caller - (const char *)info.dli_fbase);
  }
  char line[256];
  int used = snprintf(line, sizeof line, "%s %lu %s+%lx\n", family_names[f], n, object, offset);
  if (used > 0 && (size_t)used < sizeof line) {
    ssize_t ignored = get_write()(sites_fd, line, (size_t)used);
    (void)ignored;
  }
}

/* A forked child (a trial load) leaves by _exit: its counts too. */
void _exit(int status) {
  write_counts();
  get__exit()(status);
  abort(); /* not reached */
}

__attribute__((constructor)) static void pio_fault_init(void) {
  resolve_allocators();
  const char *spec = getenv("PIO_FAULT");
  if (spec != NULL) {
    const char *colon = strchr(spec, ':');
    for (int f = 0; colon != NULL && f < F_COUNT; f++)
      if (strncmp(spec, family_names[f], (size_t)(colon - spec)) == 0 &&
          family_names[f][colon - spec] == '\0') {
        fault_family = f;
        fault_at = strtoul(colon + 1, NULL, 10);
      }
  }
  const char *sites = getenv("PIO_FAULT_SITES");
  if (sites != NULL)
    sites_fd = get_open()(sites, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  atexit(write_counts);
  ready = 1;
}

/* ------------------------------------------------------------------ */
/* The wrappers. */

static mode_t mode_of(int flags, va_list ap) {
  return (flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE ? (mode_t)va_arg(ap, int) : 0;
}

int open(const char *path, int flags, ...) {
  va_list ap;
  va_start(ap, flags);
  mode_t mode = mode_of(flags, ap);
  va_end(ap);
  return fails(F_OPEN) ? -1 : get_open()(path, flags, mode);
}

int open64(const char *path, int flags, ...) {
  va_list ap;
  va_start(ap, flags);
  mode_t mode = mode_of(flags, ap);
  va_end(ap);
  return fails(F_OPEN) ? -1 : get_open64()(path, flags, mode);
}

int openat(int dirfd, const char *path, int flags, ...) {
  va_list ap;
  va_start(ap, flags);
  mode_t mode = mode_of(flags, ap);
  va_end(ap);
  return fails(F_OPEN) ? -1 : get_openat()(dirfd, path, flags, mode);
}

int openat64(int dirfd, const char *path, int flags, ...) {
  va_list ap;
  va_start(ap, flags);
  mode_t mode = mode_of(flags, ap);
  va_end(ap);
  return fails(F_OPEN) ? -1 : get_openat64()(dirfd, path, flags, mode);
}

FILE *fopen(const char *path, const char *mode) {
  return fails(F_OPEN) ? NULL : get_fopen()(path, mode);
}

FILE *fopen64(const char *path, const char *mode) {
  return fails(F_OPEN) ? NULL : get_fopen64()(path, mode);
}

ssize_t read(int fd, void *buf, size_t n) { return fails(F_READ) ? -1 : get_read()(fd, buf, n); }

ssize_t pread(int fd, void *buf, size_t n, off_t at) {
  return fails(F_READ) ? -1 : get_pread()(fd, buf, n, at);
}

ssize_t pread64(int fd, void *buf, size_t n, off_t at) {
  return fails(F_READ) ? -1 : get_pread64()(fd, buf, n, at);
}

void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off) {
  return fails(F_MMAP) ? MAP_FAILED : get_mmap()(addr, len, prot, flags, fd, off);
}

void *mmap64(void *addr, size_t len, int prot, int flags, int fd, off_t off) {
  return fails(F_MMAP) ? MAP_FAILED : get_mmap64()(addr, len, prot, flags, fd, off);
}

ssize_t write(int fd, const void *buf, size_t n) {
  return fails(F_WRITE) ? -1 : get_write()(fd, buf, n);
}

ssize_t pwrite(int fd, const void *buf, size_t n, off_t at) {
  return fails(F_WRITE) ? -1 : get_pwrite()(fd, buf, n, at);
}

ssize_t pwrite64(int fd, const void *buf, size_t n, off_t at) {
  return fails(F_WRITE) ? -1 : get_pwrite64()(fd, buf, n, at);
}

int fsync(int fd) { return fails(F_FSYNC) ? -1 : get_fsync()(fd); }
int fdatasync(int fd) { return fails(F_FSYNC) ? -1 : get_fdatasync()(fd); }

int rename(const char *from, const char *to) {
  return fails(F_RENAME) ? -1 : get_rename()(from, to);
}

int renameat(int from_dir, const char *from, int to_dir, const char *to) {
  return fails(F_RENAME) ? -1 : get_renameat()(from_dir, from, to_dir, to);
}

void *malloc(size_t size) {
  resolve_allocators();
  if (real_malloc == NULL) return arena_alloc(size);
  return fails(F_MALLOC) ? NULL : real_malloc(size);
}

void *calloc(size_t n, size_t size) {
  resolve_allocators();
  if (real_calloc == NULL) {
    void *p = n != 0 && size > (size_t)-1 / n ? NULL : arena_alloc(n * size);
    return p; /* the arena is static, hence zeroed */
  }
  return fails(F_MALLOC) ? NULL : real_calloc(n, size);
}

void *realloc(void *p, size_t size) {
  resolve_allocators();
  if (in_arena(p) || real_realloc == NULL) {
    void *q = real_malloc != NULL ? real_malloc(size) : arena_alloc(size);
    size_t room = p != NULL ? (size_t)(arena + sizeof arena - (unsigned char *)p) : 0;
    if (q != NULL && p != NULL) memcpy(q, p, size < room ? size : room);
    return q;
  }
  return fails(F_MALLOC) ? NULL : real_realloc(p, size);
}

void free(void *p) {
  if (p == NULL || in_arena(p)) return;
  resolve_allocators();
  if (real_free != NULL) real_free(p);
}

int posix_memalign(void **out, size_t align, size_t size) {
  resolve_allocators();
  if (fails(F_MALLOC)) return ENOMEM;
  return real_posix_memalign(out, align, size);
}

void *aligned_alloc(size_t align, size_t size) {
  resolve_allocators();
  return fails(F_MALLOC) ? NULL : real_aligned_alloc(align, size);
}
