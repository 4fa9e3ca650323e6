# SPDX-License-Identifier: MIT
"""The results table: every figure the median of its runs, with min and max;
written as Markdown and CSV, plus the latency plot (gnuplot)."""
import csv
import os
import statistics
import subprocess


class Results:
    def __init__(self):
        self.runs = {}           # (section, name) -> [dict per run]
        self.samples = {}        # latency mode -> [sorted samples per run]
        self.history_tables = []
        self.rows = []

    def add(self, section, name, values):
        self.runs.setdefault((section, name), []).append(values)

    def stat(self, section, name, key):
        values = [r[key] for r in self.runs.get((section, name), []) if key in r]
        if not values:
            return None
        return statistics.median(values), min(values), max(values), len(values)


def fmt(s, unit, digits=0):
    if s is None:
        return "—"
    med, lo, hi, n = s
    f = f"{{:,.{digits}f}}"
    if n == 1:
        return f"{f.format(med)} {unit}".strip()
    return f"{f.format(med)} {unit} ({f.format(lo)}–{f.format(hi)})".replace("  ", " ")


def verdict(ok):
    return "" if ok is None else ("met" if ok else "**missed**")


def build_rows(res, ctx):
    rows = []

    def row(measure, mine, ref, ratio, target, ok):
        rows.append([measure, mine, ref, ratio, target, verdict(ok)])

    for qos in (0, 1):
        ref = res.stat("throughput", f"mosquitto q{qos}", "rate")
        ref_label = f"mosquitto_pub -l → mosquitto_sub" + (" (runs of ≤ 50 000)" if qos else "")
        for history in ("on", "off"):
            mine = res.stat("throughput", f"mqchat q{qos} history {history}", "rate")
            ratio = mine[0] / ref[0] if mine and ref else None
            ok = ratio >= 1.0 if ratio is not None and history == "on" else None
            row(f"throughput {ctx.count:,} msgs QoS {qos}, history {history} (msg/s)",
                fmt(mine, ""), fmt(ref, "") + f" [{ref_label}]",
                f"{ratio:.2f}×" if ratio else "—", "≥ 1.0× (history on)" if history == "on" else "", ok)
    big = res.stat("throughput", "mqchat big", "rate")
    if big:
        secs = res.stat("throughput", "mqchat big", "seconds")
        row(f"throughput {ctx.big:,} msgs QoS 1 in one go, history on (msg/s)",
            fmt(big, "") + f", {secs[0]:.1f} s, all delivered in order", "mosquitto_pub -l loses lines past ~65 535 in flight", "", "", None)

    for qos in (1, 0):
        floor = {p: res.stat("latency", f"floor q{qos}", p) for p in ("p50", "p90", "p99")}
        hops = res.stat("latency", f"same hops q{qos}", "p50")
        mine = res.stat("latency", f"mqchat q{qos}", "p50")
        if hops:
            ratio = hops[0] / floor["p50"][0] if floor["p50"] else None
            row(f"latency QoS {qos} p50, same hops: mosquitto_pub -l from the FIFO, "
                "mosquitto_sub to the pipe (µs)", fmt(hops, ""),
                fmt(floor["p50"], "") + " [libmosquitto floor]",
                f"{ratio:.2f}×" if ratio else "—", "", None)
            ratio = mine[0] / hops[0] if mine else None
            row(f"latency QoS {qos} p50, mqchat against the same hops (µs)", fmt(mine, ""),
                fmt(hops, "") + " [mosquitto clients, same hops]",
                f"{ratio:.2f}×" if ratio else "—", "", None)
        for mode in ("mqchat", "mqchat send", "mqchat receive"):
            for p in ("p50", "p90", "p99"):
                mine = res.stat("latency", f"{mode} q{qos}", p)
                ratio = mine[0] / floor[p][0] if mine and floor[p] else None
                target = mode == "mqchat" and p == "p50"
                if mode != "mqchat" and p == "p90":
                    continue
                row(f"latency QoS {qos} {p}, {mode} (µs)", fmt(mine, ""),
                    fmt(floor[p], "") + " [libmosquitto floor]",
                    f"{ratio:.2f}×" if ratio else "—", "≤ 1.1× floor" if target else "",
                    ratio <= 1.1 if target and ratio else None)

    for who, label in (("rx_rss", "receiver"), ("tx_rss", "sender")):
        mine = res.stat("throughput", "mqchat q1 history on", who)
        ref = res.stat("throughput", "mosquitto q1", who)
        ratio = mine[0] / ref[0] if mine and ref else None
        row(f"peak RSS, {label}, {ctx.count:,} msgs QoS 1 (KiB)", fmt(mine, ""),
            fmt(ref, "") + (" [mosquitto_sub]" if who == "rx_rss" else " [mosquitto_pub]"),
            f"{ratio:.2f}×" if ratio else "—", "≤ 2×", ratio <= 2 if ratio else None)
    mine, ref = res.stat("idle", "mqchat", "rss"), res.stat("idle", "mosquitto_sub", "rss")
    ratio = mine[0] / ref[0] if mine and ref else None
    row("RSS at idle (KiB)", fmt(mine, ""), fmt(ref, "") + " [mosquitto_sub]",
        f"{ratio:.2f}×" if ratio else "—", "≤ 2×", ratio <= 2 if ratio else None)
    mine, ref = res.stat("idle", "mqchat", "cpu_ms"), res.stat("idle", "mosquitto_sub", "cpu_ms")
    row(f"idle CPU time over {ctx.idle_window:g} s (ms)", fmt(mine, "", 3),
        fmt(ref, "", 3) + " [mosquitto_sub]", "", "0", mine[0] < 0.5 if mine else None)
    mine, ref = res.stat("idle", "mqchat", "wakeups"), res.stat("idle", "mosquitto_sub", "wakeups")
    row(f"idle wakeups over {ctx.idle_window:g} s (keepalive 60 s)", fmt(mine, ""),
        fmt(ref, "") + " [mosquitto_sub]", "", "keepalive only (≤ 1)", mine[2] <= 1 if mine else None)

    ref = res.stat("startup", "mosquitto_sub", "ms")
    for history in ("on", "off"):
        mine = res.stat("startup", f"mqchat history {history}", "ms")
        ratio = mine[0] / ref[0] if mine and ref else None
        row(f"start-up to subscribed, history {history} (ms)", fmt(mine, "", 1),
            fmt(ref, "", 1) + " [mosquitto_sub -E]", f"{ratio:.2f}×" if ratio else "—", "", None)

    h = ("history", "mqchat")
    if res.runs.get(h):
        n = f"{ctx.history_messages:,}"
        row(f"history inserts ({n} msgs, msg/s)", fmt(res.stat(*h, "inserts"), ""), "", "", "", None)
        s = res.stat(*h, "replay_ms")
        row(f"history replay of last 100 at {n} (ms)", fmt(s, "", 3), "", "", "≤ 5 ms", s[2] <= 5)
        s = res.stat(*h, "search_ms")
        row(f"history search, slowest query at {n} (ms)", fmt(s, "", 3), "", "", "≤ 50 ms", s[2] <= 50)

    n = ctx.scale_instances
    s, ref = res.stat("scale", "mqchat burst", "rate"), res.stat("scale", "mosquitto burst", "rate")
    if s:
        ref_label = f" [{n} mosquitto_sub, {ctx.scale_senders} mosquitto_pub -l]"
        row(f"scale: {n} instances, {ctx.scale_senders} senders, burst of {ctx.scale_messages:,} (msg/s)",
            fmt(s, "") + f"; {res.stat('scale', 'mqchat burst', 'deliveries')[0]:,.0f} deliveries/s",
            (fmt(ref, "") + f"; {res.stat('scale', 'mosquitto burst', 'deliveries')[0]:,.0f} "
             "deliveries/s" + ref_label) if ref else "—",
            f"{s[0] / ref[0]:.2f}×" if ref else "—", "", None)
        for name, unit, scale in (("burst", "ms", 1e3), ("paced", "µs", 1)):
            what = (f"scale: burst latency p50 / p99 (ms)" if name == "burst" else
                    f"scale: paced {ctx.scale_rate} msg/s ({ctx.scale_paced:,} msgs) latency p50 / p99 (µs)")
            cells = []
            for who in ("mqchat", "mosquitto"):
                p50, p99 = (res.stat("scale", f"{who} {name}", k) for k in ("p50", "p99"))
                digits = 1 if name == "burst" else 0
                cells.append(f"{p50[0] / scale:,.{digits}f} / {p99[0] / scale:,.{digits}f}"
                             if p50 else "—")
            row(what, cells[0], cells[1] + (ref_label if ref else ""), "", "", None)
    res.rows = rows
    return rows


HEADER = ["measure", "mqchat: median (min–max)", "reference: median (min–max)", "ratio",
          "target", "verdict"]


def write(res, ctx):
    rows = build_rows(res, ctx)
    md = ["| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
    md += ["| " + " | ".join(r) + " |" for r in rows]
    table = "\n".join(md) + "\n"
    os.makedirs(ctx.results, exist_ok=True)
    with open(os.path.join(ctx.results, "latest.md"), "w") as f:
        f.write(ctx.banner + "\n\n" + table)
        for t in res.history_tables[:1]:
            f.write("\n### bench/history/run (first run)\n\n" + t)
    with open(os.path.join(ctx.results, "latest.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["section", "name", "key", "median", "min", "max", "runs"])
        for (section, name), runs in sorted(res.runs.items()):
            for key in sorted({k for r in runs for k, v in r.items() if isinstance(v, (int, float))}):
                s = res.stat(section, name, key)
                if s:
                    w.writerow([section, name, key, *(f"{v:.3f}" for v in s[:3]), s[3]])
    plot(res, ctx)
    return table


def plot(res, ctx):
    """CDF of the round trips of the median run of each QoS 1 mode."""
    series = []
    for mode in ("floor", "same hops", "mqchat", "mqchat send", "mqchat receive"):
        runs = res.samples.get(f"{mode} q1")
        if not runs:
            continue
        runs = sorted(runs, key=lambda s: s[len(s) // 2])
        samples = runs[len(runs) // 2]
        path = os.path.join(ctx.work, f"cdf-{mode.replace(' ', '-')}.dat")
        with open(path, "w") as f:
            for i, v in enumerate(samples):
                f.write(f"{v} {(i + 1) / len(samples)}\n")
        label = {"floor": "libmosquitto floor",
                 "same hops": "mosquitto_pub/sub, same hops"}.get(mode, mode)
        series.append(f"'{path}' using 1:2 with lines lw 2 title '{label}' noenhanced")
    if not series:
        return
    script = (f"set terminal pngcairo size 900,520 font 'sans,10'\n"
              f"set output '{os.path.join(ctx.results, 'latency.png')}'\n"
              "set title 'Round trip publish → broker → receive, QoS 1, loopback (median run)'\n"
              "set xlabel 'latency (µs, log scale)'\nset ylabel 'fraction of messages'\n"
              "set logscale x\nset grid\nset key right bottom\nset yrange [0:1]\n"
              "plot " + ", ".join(series) + "\n")
    try:
        subprocess.run(["gnuplot"], input=script, text=True, check=True, timeout=60)
    except (OSError, subprocess.CalledProcessError) as e:
        ctx.log(f"no plot: {e} (install gnuplot-nox)")
