#!/usr/bin/python3
"""tests/test_bench_kvxfer.py — `pio-bench kvxfer` driven as users drive it:
two ranks on this machine over UCX's shared memory and over TCP (one
command, and two commands as on two machines), every pass verified, the
sizes computed here by hand; then every fault a peer can bring — refused,
port in use, shapes that differ, silence, hostile bytes, a peer that dies
mid-transfer, bytes that land wrong — each an exit 1 with a clear message,
in bounded time, with nothing left behind (under the ASan build LeakSanitizer
checks each rank that exits).

usage: test_bench_kvxfer.py PIO_BENCH
"""
import json
import os
import re
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import time
import unittest

BENCH = sys.argv[1]
del sys.argv[1]

# llama-3.2-1b: 16 layers, 8 KV heads of 64: K and V in bf16 per token and layer.
LAYERS, LAYER_TOKEN_BYTES = 16, 2 * 8 * 64 * 2
PAGE = 16
# Every case must end well within this, or it hangs.
BOUND_S = 60
# The environment variable of kvxfer's test faults (benchmarks/kvxfer_fault.h).
FAULT = "PIO_BENCH_KVXFER_FAULT"
SMALL = ["--model", "llama-3.2-1b", "--isl", "64", "--no-progress"]


def env_with(extra=None):
    env = dict(os.environ)
    env.update(extra or {})
    return env


def run(*args, env=None, check_rc=None, timeout=BOUND_S):
    t0 = time.monotonic()
    p = subprocess.run([BENCH, "kvxfer", *args], capture_output=True, text=True,
                       env=env_with(env), timeout=timeout)
    p.seconds = time.monotonic() - t0
    if check_rc is not None and p.returncode != check_rc:
        raise AssertionError(f"pio-bench kvxfer {' '.join(args)}: exit {p.returncode}, expected "
                             f"{check_rc}\nstdout: {p.stdout}\nstderr: {p.stderr}")
    return p


class Target:
    """A target rank started with --listen ADDR:0; .port is the one it took."""

    def __init__(self, *args, env=None, listen="127.0.0.1:0", prefix=()):
        self.p = subprocess.Popen([*prefix, BENCH, "kvxfer", "--listen", listen, *args],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                  env=env_with(env))
        self.first_line = self.p.stderr.readline()
        m = re.search(r"target listening on (\S+):(\d+) ", self.first_line)
        if m is None:
            out, err = self.p.communicate(timeout=BOUND_S)
            raise AssertionError(f"target did not listen: {self.first_line}{err}")
        self.port = int(m.group(2))

    def finish(self):
        out, err = self.p.communicate(timeout=BOUND_S)
        return self.p.returncode, out, self.first_line + err


def pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def orphan_segments():
    """SysV segments nobody holds whose creator has exited: what a process
    left behind.  Segments of processes still running (other tests, other
    programs on the machine) are not counted: their owners may still remove
    them."""
    try:
        with open("/proc/sysvipc/shm") as f:
            rows = f.read().splitlines()
    except OSError:
        return set()
    head = rows[0].split()
    ids = set()
    for row in rows[1:]:
        field = dict(zip(head, row.split()))
        if int(field["nattch"]) == 0 and not pid_alive(int(field["cpid"])):
            ids.add(field["shmid"])
    return ids


def ucx_leftovers():
    """What UCX could leave behind on this machine: orphaned SysV segments
    (by id), /dev/shm files."""
    shm = {f for f in os.listdir("/dev/shm") if f.startswith("ucx")} if os.path.isdir(
        "/dev/shm") else set()
    return orphan_segments() | shm


class Env(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="pio_bench_kvxfer_")
        os.environ["XDG_CACHE_HOME"] = os.path.join(self.tmp, "cache")
        self.before = ucx_leftovers()

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)
        # Others' segments may come and go; none of ours may stay.
        self.assertEqual(ucx_leftovers() - self.before, set(), "UCX left shared memory behind")

    def check_pages(self, j, isl=64):
        pages = -(-isl // PAGE)
        layer_io = PAGE * LAYER_TOKEN_BYTES
        self.assertEqual(j["pages"], pages)
        self.assertEqual(j["total_bytes"], pages * LAYERS * layer_io)
        rows = {(r["access"], r["op"]): r for r in j["passes"]}
        self.assertEqual(sorted(rows), [("block", "get"), ("block", "put"), ("layer", "get"),
                                        ("layer", "put")])
        for (access, op), r in rows.items():
            self.assertTrue(r["verified"], r)
            self.assertEqual(r["io_bytes"], layer_io * (LAYERS if access == "block" else 1))
            self.assertEqual(r["n_ios"], pages * (1 if access == "block" else LAYERS))
            self.assertGreater(r["gb_per_s"], 0)
            # The raw limit is each rep's faster pass: never below the figure.
            self.assertGreaterEqual(r["raw_gb_per_s"], r["gb_per_s"] * 0.999)
            self.assertLessEqual(r["of_raw"], 1.0)
            self.assertLessEqual(r["batch_p50_seconds"], r["batch_p99_seconds"])
        self.assertGreater(j["limits"]["memcpy_gb_per_s"], 0)
        return rows


class Transfers(Env):
    def test_one_command_over_shared_memory_verifies_every_pass(self):
        p = run(*SMALL, "--reps", "2", "--json", check_rc=0)
        j = json.loads(p.stdout)
        self.check_pages(j)
        self.assertTrue(j["forked"])
        self.assertEqual(j["transport_kind"], "shm", j["transports"])
        self.assertIn("lane[", j["ucx_endpoint_info"])
        self.assertIsNone(j["limits"]["socket_gb_per_s"])

    def test_two_commands_over_tcp_measure_the_socket_too(self):
        t = Target(*SMALL, "--transports", "tcp")
        p = run(*SMALL, "--connect", f"127.0.0.1:{t.port}", "--transports", "tcp", "--reps", "2",
                "--json", check_rc=0)
        rc, out, err = t.finish()
        self.assertEqual(rc, 0, err)
        self.assertIn("landed right", out)
        j = json.loads(p.stdout)
        self.check_pages(j)
        self.assertFalse(j["forked"])
        self.assertEqual(j["transport_kind"], "tcp", j["transports"])
        self.assertRegex(j["transports"], r"tcp/")
        self.assertGreater(j["limits"]["socket_gb_per_s"], 0)

    def test_table_names_transports_limits_and_latency(self):
        p = run(*SMALL, "--reps", "1", "--access", "layer", "--op", "put", "--batch", "4",
                check_rc=0)
        self.assertIn("transports  ", p.stdout)
        self.assertIn("Limits measured in this run", p.stdout)
        self.assertIn("p99 batch", p.stdout)
        rows = [l for l in p.stdout.splitlines() if l.startswith("  layer  put")]
        self.assertEqual(len(rows), 1, p.stdout)
        self.assertTrue(rows[0].endswith("yes"), rows[0])
        self.assertRegex(rows[0], r"\s4\s")  # the batch

    def test_odd_sizes_and_batches_cover_every_byte(self):
        # 3 pages (the last partly filled by the request), batches that do
        # not divide the IOs, fp32: still every byte verified.
        p = run("--model", "llama-3.2-1b", "--isl", "40", "--kv-dtype", "fp32", "--batch", "5",
                "--reps", "1", "--json", "--no-progress", check_rc=0)
        j = json.loads(p.stdout)
        self.assertEqual(j["pages"], 3)
        self.assertEqual(j["total_bytes"], 3 * LAYERS * PAGE * LAYER_TOKEN_BYTES * 2)
        self.assertTrue(all(r["verified"] for r in j["passes"]))


class Faults(Env):
    def assert_failed(self, p, *words):
        self.assertEqual(p.returncode, 1, f"stdout: {p.stdout}\nstderr: {p.stderr}")
        for w in words:
            self.assertIn(w, p.stderr)
        self.assertLess(p.seconds, BOUND_S)

    def test_refused_connection_exits_1_naming_the_address(self):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))  # bound, never listening: connections are refused
        port = s.getsockname()[1]
        p = run(*SMALL, "--connect", f"127.0.0.1:{port}")
        s.close()
        self.assert_failed(p, f"cannot connect to 127.0.0.1:{port}", "Connection refused")

    def test_port_in_use_exits_1_naming_the_port(self):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        s.listen(1)
        port = s.getsockname()[1]
        p = run(*SMALL, "--listen", f"127.0.0.1:{port}")
        s.close()
        self.assert_failed(p, f"cannot listen on 127.0.0.1:{port}", "Address already in use")

    def test_mismatched_shapes_fail_both_ranks_naming_what_differs(self):
        t = Target("--model", "llama-3.2-1b", "--isl", "64")
        p = run("--model", "llama-3.1-8b", "--isl", "64", "--connect", f"127.0.0.1:{t.port}")
        rc, _, err = t.finish()
        self.assert_failed(p, "KV shapes differ", "layers 32 here, 16 at the target",
                           "the target: llama-3.2-1b")
        self.assertEqual(rc, 1, err)
        self.assertIn("layers 16 here, 32 at the initiator", err)

    def test_other_kv_options_are_a_mismatch_too(self):
        t = Target(*SMALL)
        p = run(*SMALL, "--kv-dtype", "fp8", "--connect", f"127.0.0.1:{t.port}")
        rc, _, err = t.finish()
        self.assert_failed(p, "kv dtype fp8 here, bf16 at the target")
        self.assertEqual(rc, 1, err)

    def test_a_silent_target_times_out(self):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        s.listen(1)  # accepts, never answers
        p = run(*SMALL, "--connect", f"127.0.0.1:{s.getsockname()[1]}", "--timeout", "1")
        s.close()
        self.assert_failed(p, "no answer from the target within 1 s", "WELCOME")
        self.assertLess(p.seconds, 15)

    def test_a_target_nobody_connects_to_times_out(self):
        p = run(*SMALL, "--listen", "127.0.0.1:0", "--timeout", "1")
        self.assert_failed(p, "no initiator connected within 1 s")

    def hostile(self, data, *words, close=True):
        t = Target(*SMALL, "--timeout", "2")
        c = socket.create_connection(("127.0.0.1", t.port))
        try:
            c.sendall(data)
            if close:
                c.shutdown(socket.SHUT_WR)
        except OSError:
            pass  # the target may have hung up first
        rc, _, err = t.finish()
        c.close()
        self.assertEqual(rc, 1, err)
        for w in words:
            self.assertIn(w, err)

    def test_a_peer_that_speaks_http_is_refused(self):
        self.hostile(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", "does not speak kvxfer")

    def test_a_huge_announced_message_is_refused_before_reading_it(self):
        self.hostile(b"PKVX" + struct.pack("<HHI", 1, 1, 1 << 31), "at most 65536")

    def test_another_protocol_version_is_named(self):
        self.hostile(b"PKVX" + struct.pack("<HHI", 7, 1, 0), "protocol version 7")

    def test_a_truncated_hello_names_its_field(self):
        payload = struct.pack("<H", 5) + b"llama" + struct.pack("<I", 1)
        self.hostile(b"PKVX" + struct.pack("<HHI", 1, 1, len(payload)) + payload,
                     "HELLO: truncated", "'tp'")

    def test_a_peer_that_stops_mid_message_times_out(self):
        self.hostile(b"PKVX" + struct.pack("<HHI", 1, 1, 100) + b"x" * 10,
                     "no answer from the initiator within 2 s", close=False)

    def test_initiator_dying_mid_transfer_fails_the_target(self):
        for transports in ([], ["--transports", "tcp"]):
            with self.subTest(transports=transports):
                t = Target(*SMALL, *transports, "--timeout", "10")
                p = run(*SMALL, *transports, "--connect", f"127.0.0.1:{t.port}", "--reps", "1",
                        env={FAULT: "initiator-exit-mid-pass"})
                rc, _, err = t.finish()
                self.assertEqual(p.returncode, 3, p.stderr)  # the fault's own exit
                self.assertEqual(rc, 1, err)
                self.assertRegex(err, r"the initiator (closed the connection \(it stopped or "
                                      r"died\)|stopped or died mid-transfer)")

    def test_target_dying_mid_transfer_fails_the_initiator(self):
        for transports in ([], ["--transports", "tcp"]):
            with self.subTest(transports=transports):
                t = Target(*SMALL, *transports, env={FAULT: "target-exit-after-ready"})
                p = run(*SMALL, *transports, "--connect", f"127.0.0.1:{t.port}", "--reps", "1",
                        "--timeout", "10")
                rc, _, _ = t.finish()
                self.assertEqual(rc, 3)
                self.assert_failed(p, "the target")
                self.assertRegex(p.stderr, r"closed the connection|transfer to the target failed")

    def test_one_command_mode_reports_a_dead_target(self):
        p = run(*SMALL, "--reps", "1", "--timeout", "10",
                env={FAULT: "target-exit-after-ready"})
        self.assert_failed(p, "the target")

    def test_a_wrong_byte_fails_the_pass_naming_its_place(self):
        for op, where in (("put", "at the target after the puts"),
                          ("get", "here after the gets")):
            with self.subTest(op=op):
                p = run(*SMALL, "--reps", "1", "--op", op, env={FAULT: "target-flip-byte"})
                self.assert_failed(p, "verification failed " + where,
                                   "(page 1, layer 1, byte 7)")
                self.assertEqual(p.stdout, "")  # no figure for an unverified transfer


class Options(Env):
    def test_bad_options_exit_2(self):
        for args, words in ((["--listen", "1", "--connect", "h:1"], "one or the other"),
                            (["--batch", "0"], "--batch"), (["--op", "sideways"], "--op"),
                            (["--access", "diagonal"], "--access"),
                            (["--connect", "nohost"], "HOST:PORT"),
                            (["--connect", "h:0"], "port"), (["--listen", "99999"], "port"),
                            (["--listen", " 5000"], "port"), (["--connect", "h:+1"], "port"),
                            (["--timeout", "0"], "--timeout"),
                            (["--transports", ""], "--transports: expected a UCX transport "
                                                   "list such as tcp, found ''")):
            with self.subTest(args=args):
                p = run(*SMALL, *args, check_rc=2)
                self.assertIn(words, p.stderr)

    def test_unknown_transport_fails(self):
        p = run(*SMALL, "--reps", "1", "--transports", "no-such-transport")
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertIn("UCX", p.stderr)

    def test_help_lists_both_roles(self):
        p = run("--help", check_rc=0)
        self.assertIn("--listen", p.stdout)
        self.assertIn("--connect", p.stdout)


if __name__ == "__main__":
    unittest.main(verbosity=2)
