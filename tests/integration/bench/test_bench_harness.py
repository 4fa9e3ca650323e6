# SPDX-License-Identifier: MIT
"""bench/run at its smallest size (--tiny) never loses its table: a broker
that ignores SIGTERM is killed after the harness's bounded wait and noted
under the table; a section that cannot run is a "failed" row with its
reason while the other sections still print; a mosquitto_pub -l that
never exits once its lines arrived is stopped and noted; a run stopped by SIGTERM
half-way still writes the table of what it measured; the bridge row
relays through mqchat and through mosquitto's own bridge, and an mqchat
that relays nothing fails the section with a reason, in bounded time, while
mosquitto's bridge is still measured; the scale section runs its rooms
once a round, every other round in the opposite order, and each row is
their median.  No figure is judged: only that the
table and the CSV were written and say what happened, and that no process
the bench started outlives it."""
import csv
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import unittest

import harness

BENCH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..",
                     "bench", "run")
# Generous: the tiny bench takes seconds, plus the 5 s wait before a SIGKILL;
# a sanitizer build on a shared 2-core machine is slow.
DEADLINE = 180

# A real mosquitto under a shell that ignores SIGTERM: the shell waits for
# mosquitto, and mosquitto (in the shell's process group) never hears the
# SIGTERM sent to the shell.  Only SIGKILL to the group ends both.
DEAF_BROKER = "#!/bin/sh\ntrap '' TERM\nmosquitto \"$@\"\n"

# A mosquitto_pub that, with -l, sends its lines and then never exits: the
# exit race mosquitto_pub 2.0.11 loses about once in 1 000 runs at QoS 0.
HANGING_PUB = "#!/bin/sh\n{real} \"$@\" || exit\ncase \" $* \" in *\" -l \"*) exec sleep 600 ;; esac\n"

# An mqchat that starts, says so, and relays nothing.
MUTE_MQCHAT = "#!/bin/sh\necho 'mqchat: a stand-in that relays nothing' >&2\nexec cat\n"


class BenchHarnessTest(unittest.TestCase):
    def setUp(self):
        self.workdir = tempfile.mkdtemp(prefix="mqchat-bench-test-")
        self.results = os.path.join(self.workdir, "results")

    def tearDown(self):
        # Whatever a failing bench left behind is ours: it names our files.
        for pid, _ in self.processes_under_workdir():
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        shutil.rmtree(self.workdir, ignore_errors=True)

    def bench(self, *args, env=None, build=harness.BUILD_DIR):
        """Runs bench/run --tiny; returns (exit code, its output)."""
        env = dict(os.environ, TMPDIR=self.workdir, **(env or {}))
        p = subprocess.run([BENCH, "--tiny", "--no-build", "--build", build,
                            "--results", self.results, *args],
                           env=env, capture_output=True, text=True, timeout=DEADLINE)
        return p.returncode, p.stdout + p.stderr

    def table(self):
        with open(os.path.join(self.results, "latest.md")) as f:
            return f.read()

    def csv_rows(self):
        with open(os.path.join(self.results, "latest.csv"), newline="") as f:
            return list(csv.reader(f))

    def saved(self, section):
        with open(os.path.join(self.results, "sections", section + ".json")) as f:
            return json.load(f)

    def processes_under_workdir(self):
        """(pid, command line) of the processes naming a file under the
        test's directory (the bench's own temporary directory is there too,
        through TMPDIR)."""
        found = []
        for pid in filter(str.isdigit, os.listdir("/proc")):
            try:
                with open(f"/proc/{pid}/cmdline", "rb") as f:
                    cmdline = f.read().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            if self.workdir in cmdline:
                found.append((int(pid), cmdline))
        return found

    def test_a_broker_deaf_to_sigterm_is_killed_noted_and_the_table_written(self):
        wrapper = os.path.join(self.workdir, "deaf-broker")
        with open(wrapper, "w") as f:
            f.write(DEAF_BROKER)
        os.chmod(wrapper, 0o755)

        code, out = self.bench("--only", "throughput", "--broker", wrapper)

        self.assertEqual(code, 0, out)
        table = self.table()
        self.assertIn("| throughput 200 msgs QoS 1, history on (msg/s) | ", table)
        self.assertNotIn("failed", table, out)
        self.assertRegex(table, r"\n- throughput: broker .*deaf-broker \(pid \d+\) did not "
                                r"exit within \d+ s of SIGTERM: killed\n")
        rows = self.csv_rows()
        measured = [r for r in rows if r[:3] == ["throughput", "mqchat q1 history on", "rate"]]
        self.assertEqual(len(measured), 1, rows)
        self.assertGreater(float(measured[0][3]), 0)
        self.assertTrue(any(r[0] == "note" and "deaf-broker" in r[1] and "killed" in r[1]
                            for r in rows), rows)
        self.assertEqual(self.saved("throughput")["status"], "ok")
        # The SIGKILL went to the wrapper's whole group: mosquitto is gone too.
        self.assertEqual(self.processes_under_workdir(), [])

    def test_a_publisher_that_hangs_once_its_lines_arrived_is_stopped_and_noted(self):
        bin_dir = os.path.join(self.workdir, "bin")
        os.mkdir(bin_dir)
        wrapper = os.path.join(bin_dir, "mosquitto_pub")
        with open(wrapper, "w") as f:
            f.write(HANGING_PUB.format(real=shutil.which("mosquitto_pub")))
        os.chmod(wrapper, 0o755)

        code, out = self.bench("--only", "throughput",
                               env={"PATH": bin_dir + os.pathsep + os.environ["PATH"]})

        self.assertEqual(code, 0, out)
        table = self.table()
        self.assertNotIn("failed", table, out)
        self.assertRegex(table, r"\n- throughput: mosquitto_pub -l \(pid \d+\) still ran \d+ s "
                                r"after its lines all arrived")
        rows = self.csv_rows()
        for qos in (0, 1):
            self.assertGreater(self.rate(rows, "throughput", f"mosquitto q{qos}"), 0)
        self.assertEqual(self.processes_under_workdir(), [])

    def test_a_section_that_cannot_run_is_a_failed_row_and_the_others_print(self):
        # The latency section compiles its probe with $CC first.
        missing = os.path.join(self.workdir, "no-such-cc")

        code, out = self.bench("--only", "latency,idle", env={"CC": missing})

        self.assertEqual(code, 1, out)
        table = self.table()
        self.assertRegex(table, r"\| \*\*latency: failed\*\*: [^|\n]*no-such-cc")
        self.assertRegex(table, r"\| RSS at idle \(KiB\) \| [\d,]+ \| [\d,]+ ")
        rows = self.csv_rows()
        self.assertTrue(any(r[:2] == ["latency", "failed"] and "no-such-cc" in r[2]
                            for r in rows), rows)
        self.assertTrue(any(r[:3] == ["idle", "mqchat", "rss"] for r in rows), rows)
        self.assertEqual(self.saved("latency")["status"], "failed")
        self.assertEqual(self.saved("idle")["status"], "ok")

    def rate(self, rows, section, name):
        found = [float(r[3]) for r in rows if r[:3] == [section, name, "rate"]]
        self.assertEqual(len(found), 1, rows)
        return found[0]

    def test_the_bridge_row_relays_through_mqchat_and_through_mosquitto(self):
        code, out = self.bench("--only", "bridge")

        self.assertEqual(code, 0, out)
        table = self.table()
        self.assertNotIn("failed", table, out)
        rows = self.csv_rows()
        for qos in (0, 1):
            self.assertRegex(table, rf"\| bridge: 200 msgs QoS {qos} relayed from broker 1 to "
                                    r"broker 2, history off \(msg/s\) \| [\d,]+ \| [\d,]+ "
                                    r"\[mosquitto's bridge[^|]*\] \| [\d.]+× \|")
            self.assertGreater(self.rate(rows, "bridge", f"mqchat q{qos}"), 0)
            self.assertGreater(self.rate(rows, "bridge", f"mosquitto q{qos}"), 0)
        self.assertEqual(self.saved("bridge")["status"], "ok")
        self.assertEqual(self.processes_under_workdir(), [])

    def test_an_mqchat_that_relays_nothing_fails_the_bridge_row_not_the_run(self):
        build = os.path.join(self.workdir, "mute-build")
        os.mkdir(build)
        with open(os.path.join(build, "mqchat"), "w") as f:
            f.write(MUTE_MQCHAT)
        os.chmod(os.path.join(build, "mqchat"), 0o755)

        code, out = self.bench("--only", "bridge", build=build)

        self.assertEqual(code, 1, out)
        table = self.table()
        self.assertRegex(table, r"\| \*\*bridge: failed\*\*: RuntimeError: mqchat did not "
                                r"relay: no probe published on broker 1 \(room1\) reached "
                                r"broker 2 \(room2\) within \d+ s; mqchat's stderr ends: "
                                r"mqchat: a stand-in that relays nothing")
        self.assertRegex(table, r"\| bridge: 200 msgs QoS 1 [^|]* \| none: see the failed "
                                r"row \| [\d,]+ \[mosquitto's bridge")
        rows = self.csv_rows()
        self.assertGreater(self.rate(rows, "bridge", "mosquitto q1"), 0)
        self.assertTrue(any(r[:2] == ["bridge", "failed"] and "mqchat did not relay" in r[2]
                            for r in rows), rows)
        self.assertEqual(self.processes_under_workdir(), [])

    def test_each_scale_row_is_the_median_of_the_rounds_of_its_room(self):
        code, out = self.bench("--only", "scale", "--runs", "2")

        self.assertEqual(code, 0, out)
        rounds = {name: len(figures) for _, name, figures in self.saved("scale")["runs"]}
        self.assertIn("mosquitto big paced", rounds)
        self.assertEqual(set(rounds.values()), {2}, rounds)
        # The second round the other way round.
        passes = re.findall(r"\] scale (\S+(?: big)?) paced:", out)
        first = ["mqchat", "mqchat-off", "mqchat-rx", "mosquitto",
                 "mqchat big", "mqchat-off big", "mosquitto big"]
        self.assertEqual(passes, first + first[::-1], out)
        # The big room without history, beside it.
        self.assertRegex(self.table(), r"\| scale: 4 instances, 1 senders, paced 50 msg/s "
                         r"\(10 msgs\), history off: receiver CPU per delivery \(µs\) \| [\d.,]+ ")
        # The median of two, then their range.
        self.assertRegex(self.table(), r"\| scale: 3 instances, paced 100 msg/s \(10 msgs\): "
                         r"receiver CPU per delivery \(µs\) \| [\d.,]+ \([\d.,]+–[\d.,]+\)")
        self.assertEqual(self.processes_under_workdir(), [])

    def test_a_run_stopped_mid_way_keeps_what_it_measured(self):
        env = dict(os.environ, TMPDIR=self.workdir)
        p = subprocess.Popen([BENCH, "--tiny", "--no-build", "--build", harness.BUILD_DIR,
                              "--results", self.results, "--only", "throughput,idle,history"],
                             env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        err = harness.LineReader(p.stderr, "bench/run")
        try:
            # The idle section waits a second before it measures anything.
            err.wait_for(r"\] == idle$", timeout=DEADLINE)
            p.send_signal(signal.SIGTERM)
            out = p.stdout.read().decode()
            self.assertEqual(p.wait(DEADLINE), 1, err.text())
        finally:
            if p.poll() is None:
                p.kill()
                p.wait()
            err.thread.join(DEADLINE)
            p.stdout.close()
            p.stderr.close()

        table = self.table()
        self.assertEqual(table.strip(), out.strip())
        self.assertRegex(table, r"\| throughput 200 msgs QoS 0, history on \(msg/s\) \| [\d,]+ \|")
        self.assertIn("| **idle: failed**: interrupted (SIGTERM) |", table)
        self.assertIn("| **history: not run** (the run ended before it) |", table)
        self.assertEqual(self.saved("throughput")["status"], "ok")
        self.assertEqual(self.processes_under_workdir(), [])


if __name__ == "__main__":
    harness.main()
