#!/usr/bin/python3
"""tests/fault/fault_run.py — fault injection, as SQLite does it: a
pio-host command is run once for each N along it, with the Nth call of one
family (open, read, mmap, write, fsync, rename, malloc) made to fail by the
LD_PRELOAD shim tests/fault/pio_fault.c, and each run must end in a correct
result (the fault-free output) or a clear error: exit 1 (2 for usage) with
the reason said, never a signal, a sanitizer report (leaks included), a
crash reported by a trial load's child, a temporary file left behind or a
registry cache that misleads the next listing.

usage: fault_run.py SCENARIO --pio-host PIO_HOST --shim LIB --fixtures DIR
                    [--families LIST] [--points K] [--jobs J]
  SCENARIO  list   pio-host list, no cache: manifests read, modules checked
            cache  pio-host list writing a registry cache from nothing; the
                   next, fault-free listing with that cache must be right
            info   pio-host info fixture-good: a trial load in a child
            load   pio-host run of a tiny Llama from a safetensors file
  --points K  at most K values of N per family, spread evenly (default:
              every N)
  --first K --stride S   the first K calls of each call site (the shim's
              PIO_FAULT_SITES: the caller's return address), the first K N
              and every S-th N (0: none)
  --log FILE  every broken N, one line each
A leak that is all json-c 0.16's or libltdl's own (library_leak) is
counted apart, not as broken.
Prints one line per family (runs, outcomes); exit 1 on any broken promise.
"""
import argparse
import concurrent.futures
import difflib
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
FAMILIES = ("open", "read", "mmap", "write", "fsync", "rename", "malloc")
# What the shim's errno says, and what pio says when memory runs out.
ERROR_WORDS = ("Too many open files", "Input/output error", "Cannot allocate memory",
               "No space left on device", "out of memory", "memory allocation failed")
SANITIZER = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:",
             "ERROR: UndefinedBehaviorSanitizer")


class Scenario:
    def __init__(self, name, args, scratch):
        self.name, self.args, self.scratch = name, args, scratch
        self.model = None
        if name == "load":
            sys.path.insert(0, os.path.join(HERE, "..", "reference"))
            from make_tiny_llama import make  # noqa: E402 (numpy: Debian's python3)
            self.model = make([os.path.join(scratch, "model"), "--dtype", "f32"])

    def argv(self, cache_dir):
        a = self.args
        if self.name == "list":
            return [a.pio_host, "list", "--plugin-path", a.fixtures, "--no-cache"]
        if self.name == "cache":
            return [a.pio_host, "list", "--plugin-path", a.fixtures, "--cache", cache_dir]
        if self.name == "info":
            return [a.pio_host, "info", "--plugin-path", a.fixtures, "--no-cache", "fixture-good"]
        return [a.pio_host, "run", "--no-cache", self.model, "--tokens", "1,7,42",
                "--max-new-tokens", "2", "--threads", "1"]


def environment(shim, fault=None, counts=None, sites=None, full_stacks=False):
    env = dict(os.environ)
    for name in ("PIO_PLUGIN_PATH", "PIO_REGISTRY", "PIO_MODELS_PATH"):
        env.pop(name, None)
    env["LD_PRELOAD"] = shim
    # The shim precedes the sanitizer's runtime; leaks and UB reports end
    # the run with a status of their own.
    env["ASAN_OPTIONS"] = "detect_leaks=1:verify_asan_link_order=0:exitcode=86"
    if full_stacks:  # slow: only to tell json-c's leak from pio's
        env["ASAN_OPTIONS"] += ":fast_unwind_on_malloc=0"
    env["UBSAN_OPTIONS"] = "print_stacktrace=1:halt_on_error=1:exitcode=87"
    env.pop("PIO_FAULT", None)
    if fault is not None:
        env["PIO_FAULT"] = fault
    if counts is not None:
        env["PIO_FAULT_COUNTS"] = counts
    if sites is not None:
        env["PIO_FAULT_SITES"] = sites
    return env


def run(scenario, shim, fault, workdir, counts=None, sites=None, full_stacks=False):
    """(exit status, stdout, stderr, cache_dir) of one run in workdir."""
    cache_dir = os.path.join(workdir, "cache")
    os.makedirs(workdir, exist_ok=True)
    env = environment(shim, fault, counts, sites, full_stacks)
    env["XDG_CACHE_HOME"] = os.path.join(workdir, "xdg")
    env["XDG_DATA_HOME"] = os.path.join(workdir, "data")
    proc = subprocess.run(scenario.argv(cache_dir), env=env, capture_output=True, timeout=300)
    return (proc.returncode, proc.stdout.decode("utf-8", "replace"),
            proc.stderr.decode("utf-8", "replace"), cache_dir)


JSONC_LEAK = "json-c"  # check()'s verdicts for a library's own leak, see library_leak
LTDL_LEAK = "libltdl"
# (verdict, the library's object, the function of it every leaked block
# must have been allocated under)
LIBRARY_LEAKS = ((JSONC_LEAK, "libjson-c", "json_tokener_parse_ex"),
                 (LTDL_LEAK, "libltdl", "lt_dlpreload_open"))


def library_leak(err):
    """JSONC_LEAK or LTDL_LEAK when all the sanitizer reported is what that
    library leaks when an allocation fails inside it, else None.  json-c
    0.16's tokener drops the key and the value it could not insert
    (json_object_object_add_ex and the tokener drop both; json-c PR #962
    fixes the key upstream); libltdl 2.4's lt_dlinit drops the handle of the
    preloaded module it was opening (lt_dlpreload_open: pio is never given
    those).  Every leaked block must have been allocated by that function
    with only the library's own frames between: a parsed document or a
    handle pio forgot to free is reported by the fault-free run and by every
    other N."""
    if "ERROR: AddressSanitizer" in err or "runtime error:" in err:
        return None
    blocks = err.split("leak of")[1:]
    if not blocks:
        return None
    verdicts = set()
    for block in blocks:
        frames = [line for line in block.splitlines() if line.strip().startswith("#")]
        verdict = None
        for name, library, entry in LIBRARY_LEAKS:
            for frame in frames:
                if entry in frame:
                    verdict = name
                    break
                if library not in frame and "malloc" not in frame and "realloc" not in frame \
                        and "calloc" not in frame and "strdup" not in frame:
                    break
            if verdict is not None:
                break
        if verdict is None:
            return None
        verdicts.add(verdict)
    return verdicts.pop() if len(verdicts) == 1 else JSONC_LEAK if verdicts else None


def check(scenario, baseline, result):
    """None when the run kept its promises, JSONC_LEAK or LTDL_LEAK for a
    library's known leak (library_leak), else what it broke."""
    rc, out, err, cache_dir = result
    if rc < 0:
        return "killed by signal %d" % -rc
    leaked = library_leak(err) if rc == 86 else None
    if leaked is not None:
        return leaked
    if rc not in (0, 1, 2):
        return "exit status %d: %s" % (rc, err.strip()[-600:])
    for word in SANITIZER:
        if word in err:
            return "sanitizer: " + err.strip()[-1200:]
    if "crashed:" in out + err and "crashed:" not in baseline[1] + baseline[2]:
        return "a trial load's child crashed: " + (out + err).strip()[-600:]
    if os.path.isdir(cache_dir):
        left = [f for f in os.listdir(cache_dir) if ".tmp-" in f]
        if left:
            return "temporary files left: %s" % left
    if rc == baseline[0] and out == baseline[1]:
        pass  # a correct result
    elif rc == 0:
        return "exit 0 with another result:\n" + differences(baseline[1], out)
    elif not any(word in out + err for word in ERROR_WORDS):
        return "exit %d without saying why:\n%s%s" % (rc, differences(baseline[1], out),
                                                       err[-600:])
    if scenario.name == "cache" and os.path.isdir(cache_dir):
        # What was written must not mislead: the next listing, fault-free,
        # with that cache, says what the baseline said.
        args = scenario.args
        proc = subprocess.run([args.pio_host, "list", "--plugin-path", args.fixtures, "--cache",
                               cache_dir], env=environment(args.shim), capture_output=True,
                              timeout=300)
        if proc.returncode != baseline[0] or proc.stdout.decode() != baseline[1]:
            return "the cache it left makes the next listing say:\n%s" % proc.stdout.decode()
    return None


def differences(expected, got):
    lines = difflib.unified_diff(expected.splitlines(), got.splitlines(), "fault-free",
                                 "faulted", n=0, lineterm="")
    return "\n".join(list(lines)[:12]) + "\n"


def spread(total, points):
    if points is None or total <= points:
        return list(range(1, total + 1))
    return sorted({1 + (i * (total - 1)) // (points - 1) for i in range(points)})


def sampled(total, sites, first, stride):
    """The N to run: every N when first is None; else the first `first`
    calls of each call site (sites: N -> caller), the first `first` N of
    the run, the last N and every `stride`-th N."""
    if first is None:
        return list(range(1, total + 1))
    chosen, seen = set(range(1, min(first, total) + 1)), {}
    for n in range(1, total + 1):
        site = sites.get(n)
        seen[site] = seen.get(site, 0) + 1
        if seen[site] <= first or (stride and n % stride == 0):
            chosen.add(n)
    if total:
        chosen.add(total)
    return sorted(chosen)


def read_sites(path):
    """{family: {N: caller}} from a PIO_FAULT_SITES file (a forked child's
    calls go on from its parent's count: the first caller of an N wins)."""
    sites = {}
    if os.path.exists(path):
        with open(path) as f:
            for line in f:
                parts = line.split()
                if len(parts) == 3:
                    sites.setdefault(parts[0], {}).setdefault(int(parts[1]), parts[2])
    return sites


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("scenario", choices=("list", "cache", "info", "load"))
    ap.add_argument("--pio-host", required=True)
    ap.add_argument("--shim", required=True)
    ap.add_argument("--fixtures", required=True)
    ap.add_argument("--families", default=",".join(FAMILIES))
    ap.add_argument("--points", type=int, default=None)
    ap.add_argument("--first", type=int, default=None)
    ap.add_argument("--stride", type=int, default=0)
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--log", default=None)
    args = ap.parse_args()
    args.pio_host, args.shim, args.fixtures = (os.path.abspath(p) for p in
                                               (args.pio_host, args.shim, args.fixtures))
    scratch = tempfile.mkdtemp(prefix="pio-fault-")
    log = open(args.log, "w") if args.log else None
    try:
        scenario = Scenario(args.scenario, args, scratch)
        counts_file = os.path.join(scratch, "counts")
        sites_file = os.path.join(scratch, "sites")
        base = os.path.join(scratch, "base")
        baseline = run(scenario, args.shim, None, base, counts_file,
                       sites_file if args.first is not None else None)
        if baseline[0] not in (0, 1) or any(w in baseline[2] for w in SANITIZER):
            print("fault_run: the fault-free run failed (%d): %s" % (baseline[0], baseline[2]))
            return 1
        totals = {}
        with open(counts_file) as f:
            for line in f:
                family, n = line.split()
                totals[family] = max(totals.get(family, 0), int(n))
        sites = read_sites(sites_file)
        broken = 0
        for family in args.families.split(","):
            total = totals.get(family, 0)
            if args.first is not None:
                ns = sampled(total, sites.get(family, {}), args.first, args.stride)
            else:
                ns = spread(total, args.points)

            def one(n, family=family):
                work = os.path.join(scratch, "%s-%d" % (family, n))
                fault = "%s:%d" % (family, n)
                try:
                    result = run(scenario, args.shim, fault, work)
                    if result[0] == 86 and "LeakSanitizer" in result[2]:
                        # Again with whole stacks, to tell json-c's leak.
                        shutil.rmtree(work, ignore_errors=True)
                        result = run(scenario, args.shim, fault, work, full_stacks=True)
                    return n, check(scenario, baseline, result)
                finally:
                    shutil.rmtree(work, ignore_errors=True)

            with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
                outcomes = list(pool.map(one, ns))
            failures = [(n, why) for n, why in outcomes
                        if why not in (None, JSONC_LEAK, LTDL_LEAK)]
            jsonc = [n for n, why in outcomes if why == JSONC_LEAK]
            ltdl = [n for n, why in outcomes if why == LTDL_LEAK]
            print("%-6s %-6s %5d calls, %5d runs, %5d passed, %3d json-c leak, %d libltdl leak, "
                  "%d broken" % (args.scenario, family, total, len(ns),
                                 len(ns) - len(failures) - len(jsonc) - len(ltdl), len(jsonc),
                                 len(ltdl), len(failures)), flush=True)
            for n, why in failures[:5]:
                print("  %s:%d: %s" % (family, n, why))
            if log is not None:
                for n, why in failures:
                    log.write("%s:%d: %s\n" % (family, n, " | ".join(why.strip().splitlines()[-3:])))
                log.flush()
            broken += len(failures)
        return 1 if broken else 0
    finally:
        if log is not None:
            log.close()
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
