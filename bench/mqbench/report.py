# SPDX-License-Identifier: MIT
"""The results table: every figure the median of its runs, with min and max;
written as Markdown and CSV, plus the latency plot (gnuplot), always from
what saved.py holds.  A section that failed has a row saying so and why;
notes (processes that had to be killed, a missing plot) follow the table."""
import csv
import os
import statistics
import subprocess
import tempfile
import types

from . import rows as table_rows
from . import saved


class Results:
    """The figures of one section: every run's values by (section, name)."""

    def __init__(self):
        self.runs = {}           # (section, name) -> [dict per run]
        self.samples = {}        # latency mode -> [sorted samples per run]
        self.history_tables = []

    def add(self, section, name, values):
        self.runs.setdefault((section, name), []).append(values)

    def stat(self, section, name, key):
        values = [r[key] for r in self.runs.get((section, name), []) if key in r]
        if not values:
            return None
        return statistics.median(values), min(values), max(values), len(values)

    def to_json(self):
        return {"runs": [[s, n, runs] for (s, n), runs in self.runs.items()],
                "samples": self.samples, "history_tables": self.history_tables}

    def merge_json(self, data):
        for section, name, runs in data.get("runs", []):
            self.runs.setdefault((section, name), []).extend(runs)
        for mode, runs in data.get("samples", {}).items():
            self.samples.setdefault(mode, []).extend(runs)
        self.history_tables += data.get("history_tables", [])


HEADER = ["measure", "mqchat: median (min–max)", "reference: median (min–max)", "ratio",
          "target", "verdict"]


def section_rows(name, section, res, sizes):
    """The section's rows, after a row saying it failed if it did; a bug
    in a row builder fails the section's rows, not the table."""
    rows = []
    if section is None:
        rows.append([f"**{name}: not run** (the run ended before it)", "", "", "", "",
                     "**failed**"])
        return rows
    failed = section["status"] != "ok"
    if failed:
        rows.append([f"**{name}: failed**: {section['reason']}", "", "", "", "",
                     "**failed**"])
    try:
        built = table_rows.BUILDERS[name](res, sizes)
    except Exception as e:  # noqa: BLE001 -- the other sections still print
        built = [[f"**{name}: no rows** ({type(e).__name__}: {e})", "", "", "", "",
                  "**failed**"]]
    # Of a failed section, only what it did measure.
    return rows + [r for r in built if not (failed and r[1] == "—")]


def collect(results):
    """(run info, Results of every section, rows, failed sections as
    (name, reason), notes) from the saved files."""
    info = saved.load_run(results)
    sizes = types.SimpleNamespace(**info["sizes"])
    res, rows, failed, notes = Results(), [], [], []
    for name in info["sections"]:
        section = saved.load_section(results, name)
        if section is None:
            failed.append((name, "not run"))
        elif section["status"] != "ok":
            failed.append((name, section["reason"]))
        if section is not None:
            res.merge_json(section)
            notes += [f"{name}: {n}" for n in section.get("notes", [])]
        one = Results()
        one.merge_json(section or {})
        rows += section_rows(name, section, one, sizes)
    return info, res, rows, failed, notes + info.get("notes", [])


def write(results, final, log):
    """Writes latest.md and latest.csv (and, if final, latency.png) from
    the saved sections; returns the text to print."""
    info, res, rows, failed, notes = collect(results)
    if final:
        notes += plot(res, results, log)
    md = ["| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
    md += ["| " + " | ".join(r) + " |" for r in rows]
    text = info["banner"] + "\n\n" + "\n".join(md) + "\n"
    if notes:
        text += "\nNotes:\n\n" + "".join(f"- {n}\n" for n in notes)
    with open(os.path.join(results, "latest.md"), "w") as f:
        f.write(text)
        for t in res.history_tables[:1]:
            f.write("\n### bench/history/run (first run)\n\n" + t)
    write_csv(results, res, failed, notes)
    return text


def write_csv(results, res, failed, notes):
    with open(os.path.join(results, "latest.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["section", "name", "key", "median", "min", "max", "runs"])
        for (section, name), runs in sorted(res.runs.items()):
            for key in sorted({k for r in runs for k, v in r.items() if isinstance(v, (int, float))}):
                s = res.stat(section, name, key)
                if s:
                    w.writerow([section, name, key, *(f"{v:.3f}" for v in s[:3]), s[3]])
        for name, reason in failed:
            w.writerow([name, "failed", reason, "", "", "", 0])
        for n in notes:
            w.writerow(["note", n, "", "", "", "", 0])


def plot(res, results, log):
    """CDF of the round trips of the median run of each QoS 1 mode; returns
    notes (why there is no plot)."""
    with tempfile.TemporaryDirectory(prefix="mqchat-plot-") as work:
        return plot_in(res, results, log, work)


def plot_in(res, results, log, work):
    series = []
    for mode in ("floor", "same hops", "mqchat", "mqchat send", "mqchat receive"):
        runs = res.samples.get(f"{mode} q1")
        if not runs:
            continue
        runs = sorted(runs, key=lambda s: s[len(s) // 2])
        samples = runs[len(runs) // 2]
        path = os.path.join(work, f"cdf-{mode.replace(' ', '-')}.dat")
        with open(path, "w") as f:
            for i, v in enumerate(samples):
                f.write(f"{v} {(i + 1) / len(samples)}\n")
        label = {"floor": "libmosquitto floor",
                 "same hops": "mosquitto_pub/sub, same hops"}.get(mode, mode)
        series.append(f"'{path}' using 1:2 with lines lw 2 title '{label}' noenhanced")
    if not series:
        return []
    script = (f"set terminal pngcairo size 900,520 font 'sans,10'\n"
              f"set output '{os.path.join(results, 'latency.png')}'\n"
              "set title 'Round trip publish → broker → receive, QoS 1, loopback (median run)'\n"
              "set xlabel 'latency (µs, log scale)'\nset ylabel 'fraction of messages'\n"
              "set logscale x\nset grid\nset key right bottom\nset yrange [0:1]\n"
              "plot " + ", ".join(series) + "\n")
    try:
        subprocess.run(["gnuplot"], input=script, text=True, check=True, timeout=60)
    except (OSError, subprocess.SubprocessError) as e:
        log(f"no plot: {e} (install gnuplot-nox)")
        return [f"no latency plot: {e} (install gnuplot-nox)"]
    return []
