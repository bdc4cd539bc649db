#!/usr/bin/python3
"""tests/test_bench_kvxfer_netns.py — `pio-bench kvxfer` between two hosts:
two network namespaces joined by a veth pair, each rank in its own, UCX over
TCP across the link (nothing but the link joins them: each namespace has its
own loopback and addresses).  Then the link is cut mid-transfer: both ranks
must fail within their timeout, not hang.  Exits 77 (skipped) with the
reason where this process may not create namespaces (not root, no `ip`, a
container without CAP_SYS_ADMIN).

usage: test_bench_kvxfer_netns.py PIO_BENCH
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

BENCH = sys.argv[1]
del sys.argv[1]
SKIP = 77
BOUND_S = 120

TAG = f"{os.getpid() % 100000}"
NS_A, NS_B = f"piokvx{TAG}a", f"piokvx{TAG}b"      # the target's host, the initiator's
VETH_A, VETH_B = f"pkx{TAG}a", f"pkx{TAG}b"        # at most 15 characters
NET = f"10.213.{os.getpid() % 250}"
ADDR_A, ADDR_B = f"{NET}.1", f"{NET}.2"


def ip(*args, check=True):
    return subprocess.run(["ip", *args], capture_output=True, text=True, check=check, timeout=30)


def make_hosts():
    """The two namespaces and the link; returns None, or why they cannot be had."""
    if shutil.which("ip") is None:
        return "no `ip` command (Debian: iproute2)"
    if os.geteuid() != 0:
        return "network namespaces need root (CAP_SYS_ADMIN, CAP_NET_ADMIN)"
    steps = [["netns", "add", NS_A], ["netns", "add", NS_B],
             ["link", "add", VETH_A, "type", "veth", "peer", "name", VETH_B],
             ["link", "set", VETH_A, "netns", NS_A], ["link", "set", VETH_B, "netns", NS_B],
             ["-n", NS_A, "addr", "add", f"{ADDR_A}/30", "dev", VETH_A],
             ["-n", NS_B, "addr", "add", f"{ADDR_B}/30", "dev", VETH_B],
             ["-n", NS_A, "link", "set", VETH_A, "up"], ["-n", NS_B, "link", "set", VETH_B, "up"],
             ["-n", NS_A, "link", "set", "lo", "up"], ["-n", NS_B, "link", "set", "lo", "up"]]
    for step in steps:
        p = ip(*step, check=False)
        if p.returncode != 0:
            remove_hosts()
            return f"`ip {' '.join(step)}` failed: {p.stderr.strip()}"
    return None


def remove_hosts():
    for ns in (NS_A, NS_B):  # the veth pair goes with its namespaces
        ip("netns", "del", ns, check=False)


def in_ns(ns, *args):
    return ["ip", "netns", "exec", ns, BENCH, "kvxfer", *args]


class TwoHosts(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="pio_bench_kvxfer_netns_")
        self.env = dict(os.environ, XDG_CACHE_HOME=os.path.join(self.tmp, "cache"))
        ip("-n", NS_A, "link", "set", VETH_A, "up")  # a test before may have cut it
        ip("-n", NS_B, "link", "set", VETH_B, "up")

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def target(self, *args):
        p = subprocess.Popen(in_ns(NS_A, "--listen", f"{ADDR_A}:0", *args),
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             env=self.env)
        line = p.stderr.readline()
        m = re.search(rf"target listening on {re.escape(ADDR_A)}:(\d+) ", line)
        if m is None:
            p.kill()
            raise AssertionError(f"target did not listen: {line}{p.communicate()[1]}")
        return p, int(m.group(1))

    def test_pages_cross_the_link_over_tcp_verified(self):
        common = ["--model", "llama-3.2-1b", "--isl", "64", "--transports", "tcp",
                  "--no-progress"]
        t, port = self.target(*common)
        p = subprocess.run(in_ns(NS_B, *common, "--connect", f"{ADDR_A}:{port}", "--reps", "2",
                                 "--json"), capture_output=True, text=True, env=self.env,
                           timeout=BOUND_S)
        out, err = t.communicate(timeout=BOUND_S)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(t.returncode, 0, err)
        j = json.loads(p.stdout)
        self.assertEqual(j["target"], f"{ADDR_A}:{port}")
        self.assertEqual(j["transport_kind"], "tcp")
        self.assertIn(f"tcp/{VETH_B}", j["transports"])  # the link, not a loopback
        self.assertEqual(len(j["passes"]), 4)
        self.assertTrue(all(r["verified"] for r in j["passes"]))
        self.assertGreater(j["limits"]["socket_gb_per_s"], 0)

    def test_a_link_cut_mid_transfer_fails_both_ranks_in_bounded_time(self):
        # The cut comes once the target has taken in the socket limit's 256 MiB
        # and part of the first put pass (its counter says so); it drops
        # packets (no reset), so only the timeouts can end the wait.
        common = ["--model", "llama-3.1-8b", "--isl", "2048", "--transports", "tcp",
                  "--no-progress", "--timeout", "8"]
        t, port = self.target(*common)
        t0 = time.monotonic()
        p = subprocess.Popen(in_ns(NS_B, *common, "--connect", f"{ADDR_A}:{port}", "--reps",
                                   "3"), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True, env=self.env)
        rx = f"/sys/class/net/{VETH_A}/statistics/rx_bytes"
        while p.poll() is None and time.monotonic() - t0 < BOUND_S:
            got = subprocess.run(["ip", "netns", "exec", NS_A, "cat", rx], capture_output=True,
                                 text=True).stdout.strip()
            if int(got or 0) > 300 << 20:
                break
            time.sleep(0.02)
        ip("-n", NS_B, "link", "set", VETH_B, "down")
        _, perr = p.communicate(timeout=BOUND_S)
        _, terr = t.communicate(timeout=BOUND_S)
        print(f"\n  both ranks failed {time.monotonic() - t0:.1f} s after the start:\n  "
              f"initiator: {perr.strip()}\n  target: {terr.strip()}")
        self.assertLess(time.monotonic() - t0, 90)
        self.assertEqual(p.returncode, 1, perr)
        self.assertEqual(t.returncode, 1, terr)
        self.assertRegex(perr, r"made no progress for 8 s|no answer from the target|"
                               r"transfer to the target failed")
        self.assertRegex(terr, r"no answer from the initiator within 8 s|closed the connection")


if __name__ == "__main__":
    why = make_hosts()
    if why is not None:
        print(f"skipped: cannot make two hosts here: {why}")
        sys.exit(SKIP)
    try:
        result = unittest.main(verbosity=2, exit=False).result
    finally:
        remove_hosts()
    sys.exit(0 if result.wasSuccessful() else 1)
