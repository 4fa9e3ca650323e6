# SPDX-License-Identifier: MIT
"""The table's rows, one builder per section: each takes the Results of its
section and the run's sizes, and returns [measure, mqchat, reference, ratio,
target, verdict] lists.  A figure that is missing shows as "—"."""


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


def ratio_of(mine, ref):
    return mine[0] / ref[0] if mine and ref and ref[0] else None


def times(ratio):
    """Two decimals, or as many more (up to six) as it takes for a figure
    that is not 1.0 not to read 1.0: a row judged against 1.0× must not
    show a miss as a tie."""
    if ratio is None:
        return "—"
    for digits in range(2, 7):
        text = f"{ratio:.{digits}f}"
        if ratio == 1.0 or float(text) != 1.0:
            break
    return text + "×"


class Rows(list):
    def add(self, measure, mine, ref, ratio, target, ok):
        self.append([measure, mine, ref, ratio, target, verdict(ok)])


def throughput(res, sz):
    rows = Rows()
    for qos in (0, 1):
        ref = res.stat("throughput", f"mosquitto q{qos}", "rate")
        ref_label = "mosquitto_pub -l → mosquitto_sub" + (" (runs of ≤ 50 000)" if qos else "")
        for history in ("on", "off"):
            mine = res.stat("throughput", f"mqchat q{qos} history {history}", "rate")
            ratio = ratio_of(mine, ref)
            ok = ratio >= 1.0 if ratio is not None and history == "on" else None
            rows.add(f"throughput {sz.count:,} msgs QoS {qos}, history {history} (msg/s)",
                     fmt(mine, ""), fmt(ref, "") + f" [{ref_label}]", times(ratio),
                     "≥ 1.0× (history on)" if history == "on" else "", ok)
    big = res.stat("throughput", "mqchat big", "rate")
    if big:
        secs = res.stat("throughput", "mqchat big", "seconds")
        rows.add(f"throughput {sz.big:,} msgs QoS 1 in one go, history on (msg/s)",
                 fmt(big, "") + f", {secs[0]:.1f} s, all delivered in order",
                 "mosquitto_pub -l loses lines past ~65 535 in flight", "", "", None)
    for who, label in (("rx_rss", "receiver"), ("tx_rss", "sender")):
        mine = res.stat("throughput", "mqchat q1 history on", who)
        ref = res.stat("throughput", "mosquitto q1", who)
        ratio = ratio_of(mine, ref)
        rows.add(f"peak RSS, {label}, {sz.count:,} msgs QoS 1 (KiB)", fmt(mine, ""),
                 fmt(ref, "") + (" [mosquitto_sub]" if who == "rx_rss" else " [mosquitto_pub]"),
                 times(ratio), "≤ 2×", ratio <= 2 if ratio else None)
    return rows


def latency(res, sz):
    """The target (issue #18): p50 and p99 at most those of mosquitto's
    clients on the same hops; the libmosquitto floor is the physical
    reference, shown beside each figure."""
    rows = Rows()
    for qos in (1, 0):
        floor = {p: res.stat("latency", f"floor q{qos}", p) for p in ("p50", "p90", "p99")}
        for p in ("p50", "p99"):
            hops = res.stat("latency", f"same hops q{qos}", p)
            mine = res.stat("latency", f"mqchat q{qos}", p)
            if not hops:
                continue
            rows.add(f"latency QoS {qos} {p}, same hops: mosquitto_pub -l from the FIFO, "
                     "mosquitto_sub to the pipe (µs)", fmt(hops, ""),
                     fmt(floor[p], "") + " [libmosquitto floor]",
                     times(ratio_of(hops, floor[p])), "", None)
            ratio = ratio_of(mine, hops)
            rows.add(f"latency QoS {qos} {p}, mqchat against the same hops (µs)", fmt(mine, ""),
                     fmt(hops, "") + " [mosquitto clients, same hops]", times(ratio),
                     "≤ 1.0× same hops", ratio <= 1.0 if ratio else None)
            # Not a target: it tells what of the row above history's writes make.
            off = res.stat("latency", f"mqchat, history off q{qos}", p)
            if off:
                rows.add(f"latency QoS {qos} {p}, mqchat with history off, against the same "
                         "hops (µs)", fmt(off, ""), fmt(hops, "") + " [mosquitto clients, same hops]",
                         times(ratio_of(off, hops)), "", None)
        for mode in ("mqchat", "mqchat send", "mqchat receive"):
            for p in ("p50", "p90", "p99"):
                if mode != "mqchat" and p == "p90":
                    continue
                mine = res.stat("latency", f"{mode} q{qos}", p)
                rows.add(f"latency QoS {qos} {p}, {mode} (µs)", fmt(mine, ""),
                         fmt(floor[p], "") + " [libmosquitto floor]",
                         times(ratio_of(mine, floor[p])), "", None)
    return rows


def idle(res, sz):
    rows = Rows()
    mine, ref = res.stat("idle", "mqchat", "rss"), res.stat("idle", "mosquitto_sub", "rss")
    ratio = ratio_of(mine, ref)
    rows.add("RSS at idle (KiB)", fmt(mine, ""), fmt(ref, "") + " [mosquitto_sub]",
             times(ratio), "≤ 2×", ratio <= 2 if ratio else None)
    mine, ref = res.stat("idle", "mqchat", "cpu_ms"), res.stat("idle", "mosquitto_sub", "cpu_ms")
    rows.add(f"idle CPU time over {sz.idle_window:g} s (ms)", fmt(mine, "", 3),
             fmt(ref, "", 3) + " [mosquitto_sub]", "", "0", mine[0] < 0.5 if mine else None)
    mine, ref = res.stat("idle", "mqchat", "wakeups"), res.stat("idle", "mosquitto_sub", "wakeups")
    rows.add(f"idle wakeups over {sz.idle_window:g} s (keepalive 60 s)", fmt(mine, ""),
             fmt(ref, "") + " [mosquitto_sub]", "", "keepalive only (≤ 1)",
             mine[2] <= 1 if mine else None)
    ref = res.stat("startup", "mosquitto_sub", "ms")
    for history in ("on", "off"):
        mine = res.stat("startup", f"mqchat history {history}", "ms")
        rows.add(f"start-up to subscribed, history {history} (ms)", fmt(mine, "", 1),
                 fmt(ref, "", 1) + " [mosquitto_sub -E]", times(ratio_of(mine, ref)), "", None)
    return rows


def history(res, sz):
    rows = Rows()
    h = ("history", "mqchat")
    n = f"{sz.history_messages:,}"
    rows.add(f"history inserts ({n} msgs, msg/s)", fmt(res.stat(*h, "inserts"), ""),
             "", "", "", None)
    s = res.stat(*h, "replay_ms")
    rows.add(f"history replay of last 100 at {n} (ms)", fmt(s, "", 3), "", "", "≤ 5 ms",
             s[2] <= 5 if s else None)
    s = res.stat(*h, "search_ms")
    rows.add(f"history search, slowest query at {n} (ms)", fmt(s, "", 3), "", "", "≤ 50 ms",
             s[2] <= 50 if s else None)
    mine, ref = (res.stat("history", f"{who} answer", "answer_ms") for who in ("mqchat", "python"))
    rows.add("history answer to a late joiner: request to the last of 100 messages shown (ms)",
             fmt(mine, "", 1), fmt(ref, "", 1) + " [Python service: paho-mqtt, messages in memory]",
             times(ratio_of(mine, ref)), "", None)
    return rows


def at_most(ratio, limit=1.0):
    return ratio <= limit if ratio is not None else None


def scale(res, sz):
    rows = Rows()
    n, k = sz.scale_instances, sz.scale_senders
    ref_label = f" [{n} mosquitto_sub, {k} mosquitto_pub -l]"

    def stat(who, name, key):
        return res.stat("scale", f"{who} {name}", key)

    def deliveries(who, rate):
        d = stat(who, "burst", "deliveries")
        return fmt(rate, "") + (f"; {d[0]:,.0f} deliveries/s" if d else "")

    s, ref = stat("mqchat", "burst", "rate"), stat("mosquitto", "burst", "rate")
    ratio = ratio_of(s, ref)
    rows.add(f"scale: {n} instances, {k} senders, burst of {sz.scale_messages:,} (msg/s)",
             deliveries("mqchat", s), deliveries("mosquitto", ref) + ref_label, times(ratio),
             "≥ 1.0×", ratio >= 1.0 if ratio is not None else None)
    cells = []
    for who in ("mqchat", "mosquitto"):
        p50, p99 = (stat(who, "burst", p) for p in ("p50", "p99"))
        cells.append(f"{p50[0] / 1e3:,.1f} / {p99[0] / 1e3:,.1f}" if p50 and p99 else "—")
    rows.add(f"scale: {n} instances, burst: latency p50 / p99 (ms)", cells[0],
             cells[1] + ref_label, "", "", None)
    paced = f"{n} instances, paced {sz.scale_rate} msg/s ({sz.scale_paced:,} msgs)"
    for p in ("p50", "p99"):
        mine, ref = stat("mqchat", "paced", p), stat("mosquitto", "paced", p)
        ratio = ratio_of(mine, ref)
        rows.add(f"scale: {paced}: latency {p} (µs)", latency_cell(res, "mqchat paced", p),
                 latency_cell(res, "mosquitto paced", p) + ref_label,
                 times(ratio), "≤ 1.0×", at_most(ratio))
    rows += scale_costs(res, "paced", paced, n, k)
    rows += scale_costs(res, "burst", f"{n} instances, burst", n, k)
    rows += scale_history_off(res, n, k, paced)
    return rows + scale_rx(res, n, k, paced) + scale_big(res, sz)


def scale_history_off(res, n, k, paced):
    """The same room with history off: what is left without storing.  No
    target (the targets are with history on); none for a --quick run, or
    a run saved before."""
    rows = Rows()
    if not res.stat("scale", "mqchat-off burst", "rate"):
        return rows
    ref_label = f" [{n} mosquitto_sub, {k} mosquitto_pub -l]"
    s, ref = (res.stat("scale", f"{who} burst", "rate") for who in ("mqchat-off", "mosquitto"))
    rows.add(f"scale: {n} instances, history off: burst (msg/s)", fmt(s, ""),
             fmt(ref, "") + ref_label, times(ratio_of(s, ref)), "", None)
    for p in ("p50", "p99"):
        mine, ref = (res.stat("scale", f"{who} paced", p) for who in ("mqchat-off", "mosquitto"))
        rows.add(f"scale: {paced}, history off: latency {p} (µs)",
                 latency_cell(res, "mqchat-off paced", p),
                 latency_cell(res, "mosquitto paced", p) + ref_label, times(ratio_of(mine, ref)),
                 "", None)
    for name, what in (("paced", paced), ("burst", f"{n} instances, burst")):
        rows += scale_costs(res, name, f"{what}, history off", n, k, "mqchat-off", rx_only=True,
                            target=False)
    return rows


def scale_rx(res, n, k, paced):
    """mosquitto's room with mqchats in the subscribers' seats: the receive
    path alone, against the same senders.  None for a run saved before."""
    rows = Rows()
    if not res.stat("scale", "mqchat-rx burst", "rate"):
        return rows
    what = f"{n} mqchat receivers, the reference's {k} mosquitto_pub -l"
    ref_label = f" [{n} mosquitto_sub, {k} mosquitto_pub -l]"
    s, ref = (res.stat("scale", f"{who} burst", "rate") for who in ("mqchat-rx", "mosquitto"))
    ratio = ratio_of(s, ref)
    rows.add(f"scale: {what}: burst (msg/s)", fmt(s, ""), fmt(ref, "") + ref_label,
             times(ratio), "≥ 1.0×", ratio >= 1.0 if ratio is not None else None)
    for p in ("p50", "p99"):
        mine, ref = (res.stat("scale", f"{who} paced", p) for who in ("mqchat-rx", "mosquitto"))
        ratio = ratio_of(mine, ref)
        rows.add(f"scale: {what}, paced: latency {p} (µs)", latency_cell(res, "mqchat-rx paced", p),
                 latency_cell(res, "mosquitto paced", p) + ref_label, times(ratio), "≤ 1.0×",
                 at_most(ratio))
    for name in ("paced", "burst"):
        rows += scale_costs(res, name, f"{what}, {name}", n, k, "mqchat-rx", rx_only=True)
    return rows


def latency_cell(res, name, p):
    """The p50 cell says how busy the collector was: near 100 %, the
    latencies are its own."""
    cell = fmt(res.stat("scale", name, p), "")
    busy = res.stat("scale", name, "collector_busy")
    return cell + (f" (collector busy {busy[0]:.0%})" if busy and p == "p50" else "")


def scale_big(res, sz):
    """The big room's rows; none for a run saved before it existed."""
    rows = Rows()
    n = getattr(sz, "scale_big_instances", None)
    if not n:
        return rows
    k = sz.scale_big_senders
    what = f"{n} instances, {k} senders, paced {sz.scale_big_rate} msg/s ({sz.scale_big_paced:,} msgs)"
    ref_label = f" [{n} mosquitto_sub, {k} mosquitto_pub -l]"
    for p in ("p50", "p99"):
        mine, ref = (res.stat("scale", f"{who} big paced", p) for who in ("mqchat", "mosquitto"))
        rows.add(f"scale: {what}: latency {p} (µs)", latency_cell(res, "mqchat big paced", p),
                 latency_cell(res, "mosquitto big paced", p) + ref_label,
                 times(ratio_of(mine, ref)), "completes" if p == "p50" else "",
                 (mine is not None) if p == "p50" else None)
    for key, measure, digits, ref_note in (
            ("startup_s", "start-up until all are subscribed (s)", 1,
             "mosquitto_sub: the last to show a probe, probes 0.3 s apart"),
            ("rss_mib", "the clients' peak RSS, all together (MiB)", 0, "")):
        mine, ref = (res.stat("scale", f"{who} big paced", key) for who in ("mqchat", "mosquitto"))
        rows.add(f"scale: {n} instances: {measure}", fmt(mine, "", digits),
                 fmt(ref, "", digits) + (f" [{ref_note}]" if ref_note else ref_label),
                 times(ratio_of(mine, ref)), "", None)
    rows += scale_costs(res, "big paced", what, n, k)
    if res.stat("scale", "mqchat-off big paced", "rx_cpu_us"):
        rows += scale_costs(res, "big paced", f"{what}, history off", n, k, "mqchat-off",
                            rx_only=True, target=False)
    return rows


def worse_ratio(quiet, by_last):
    """The receivers' CPU is judged both ways: counted until the room is
    quiet (what mqchat defers past the last delivery, its full-text index,
    is the pass's work) and by the last delivery (on a loaded machine the
    quiet wait also takes in whatever the reference's idle processes were
    charged: 22 µs a delivery once, which made a miss look met)."""
    known = [r for r in (quiet, by_last) if r is not None]
    return max(known) if known else None


def by_last(last_text, quiet_text):
    """A figure as counted by the last delivery, beside the one counted
    until quiet, when it is known and reads differently."""
    shown = last_text not in ("—", quiet_text)
    return f" ({last_text} by the last delivery)" if shown else ""


def scale_costs(res, name, what, n, k, who="mqchat", rx_only=False, target=True):
    """Per delivery: the receivers that do not send against as many
    mosquitto_sub (targets, unless not `target`), the room's clients, the
    broker; `who`: the mqchat room; `rx_only`: the receivers' rows alone."""
    rows = Rows()
    seat = "mqchat receivers" if rx_only else "instances that do not send"
    goal = "≤ 1.0×" if target else ""

    def judged(ratio):
        return at_most(ratio) if target else None

    def pair(key):
        mine, ref = (res.stat("scale", f"{w} {name}", key) for w in (who, "mosquitto"))
        return mine, ref, ratio_of(mine, ref)

    def last(s, quiet):
        """What was spent by the last delivery (the median alone)."""
        return by_last(*(f"{x[0]:,.1f}" if x else "—" for x in (s, quiet)))

    mine, ref, ratio = pair("rx_cpu_us")
    mine_last, ref_last, ratio_last = pair("rx_cpu_us_last")
    rows.add(f"scale: {what}: receiver CPU per delivery (µs)",
             fmt(mine, "", 1) + last(mine_last, mine) + f" [{n - k} {seat}]",
             fmt(ref, "", 1) + last(ref_last, ref) + f" [{n - k} mosquitto_sub]",
             times(ratio) + by_last(times(ratio_last), times(ratio)), goal,
             judged(worse_ratio(ratio, ratio_last)))
    mine, ref, ratio = pair("rx_ctx")
    rows.add(f"scale: {what}: receiver context switches per delivery",
             fmt(mine, "", 2) + f" [{n - k} {seat}]",
             fmt(ref, "", 2) + f" [{n - k} mosquitto_sub]", times(ratio), goal, judged(ratio))
    if rx_only:
        return rows
    mine, ref, ratio = pair("room_cpu_us")
    ctx_mine, ctx_ref, _ = pair("room_ctx")

    def switches(s):
        return f", {s[0]:,.2f} switches" if s else ""

    rows.add(f"scale: {what}: the room's clients' CPU per delivery (µs)",
             fmt(mine, "", 1) + switches(ctx_mine) + f" [all {n} instances]",
             fmt(ref, "", 1) + switches(ctx_ref) + f" [{n} mosquitto_sub, {k} mosquitto_pub -l]",
             times(ratio), "", None)
    mine, ref, ratio = pair("broker_cpu_us")
    rows.add(f"scale: {what}: the broker's CPU per delivery (µs)",
             fmt(mine, "", 1) + " [mqchat's room]", fmt(ref, "", 1) + " [mosquitto's clients]",
             times(ratio), "", None)
    return rows


def bridge(res, sz):
    rows = Rows()
    for qos in (0, 1):
        mine = res.stat("bridge", f"mqchat q{qos}", "rate")
        ref = res.stat("bridge", f"mosquitto q{qos}", "rate")
        failed = res.stat("bridge", f"mqchat q{qos}", "failed")
        cell = fmt(mine, "") if mine else "none: see the failed row" if ref else "—"
        if mine and failed:
            cell += f" ({failed[3]} run(s) did not relay)"
        rows.add(f"bridge: {sz.count:,} msgs QoS {qos} relayed from broker 1 to broker 2, "
                 "history off (msg/s)", cell,
                 fmt(ref, "") + " [mosquitto's bridge: broker 1's `connection` to broker 2]",
                 times(ratio_of(mine, ref)), "", None)
    for qos in (0, 1):
        mine = res.stat("bridge", f"mqchat q{qos}", "cpu_us")
        ref = res.stat("bridge", f"mosquitto q{qos}", "cpu_us")
        own = res.stat("bridge", f"mqchat q{qos}", "mqchat_cpu_us")
        rows.add(f"bridge: CPU per relayed message QoS {qos}, both brokers and the relay (µs)",
                 fmt(mine, "", 1) + (f", of which mqchat {own[0]:,.1f}" if own else ""),
                 fmt(ref, "", 1) + " [both brokers, one of them bridging]",
                 times(ratio_of(mine, ref)), "", None)
    return rows


def irc(res, sz):
    rows = Rows()
    ref_label = " [Python bridge: paho-mqtt + irc]"
    figures = (("rate", f"irc: {sz.irc_messages:,} msgs MQTT → IRC through a bridge, QoS 1 "
                        "(msg/s)", 0),
               ("p50", f"irc: latency p50 MQTT → IRC, {sz.irc_paced:,} msgs at "
                       f"{sz.irc_rate}/s (ms)", 2),
               ("p99", f"irc: latency p99 MQTT → IRC, {sz.irc_paced:,} msgs at "
                       f"{sz.irc_rate}/s (ms)", 2),
               ("cpu_us", "irc: the bridge's CPU per relayed message (µs)", 1),
               ("rss", "irc: the bridge's peak RSS (KiB)", 0))
    for key, measure, digits in figures:
        mine, ref = res.stat("irc", "mqchat", key), res.stat("irc", "python", key)
        rows.add(measure, fmt(mine, "", digits), fmt(ref, "", digits) + ref_label,
                 times(ratio_of(mine, ref)), "", None)
    return rows


def ratelimit(res, sz):
    rows = Rows()
    ref = res.stat("ratelimit", "mosquitto", "rate")
    for who, label in (("on", "rate_limit 20/10s"), ("off", "rate_limit off")):
        mine = res.stat("ratelimit", who, "rate")
        shown = res.stat("ratelimit", who, "shown")
        rows.add(f"receive a flood of {sz.count:,} msgs QoS 1 from one sender, {label}, "
                 "history on (msg/s)",
                 fmt(mine, "") + (f", {shown[0]:,.0f} shown" if shown else ""),
                 fmt(ref, "") + " [mosquitto_sub]", times(ratio_of(mine, ref)), "", None)
    for who, label in (("on", "rate_limit 20/10s"), ("off", "rate_limit off")):
        mine = res.stat("ratelimit", who, "cpu_us")
        ref = res.stat("ratelimit", "mosquitto", "cpu_us")
        rows.add(f"receive a flood: receiver CPU per message, {label}, history on (µs)",
                 fmt(mine, "", 2), fmt(ref, "", 2) + " [mosquitto_sub]",
                 times(ratio_of(mine, ref)), "", None)
    for key, unit, digits in (("rate", "msg/s", 0), ("cpu_us", "µs", 2)):
        mine = res.stat("ratelimit", "on", key)
        off = res.stat("ratelimit", "off", key)
        rows.add(f"receive a flood: rate_limit 20/10s against off ({unit})",
                 fmt(mine, "", digits), fmt(off, "", digits) + " [mqchat, rate_limit off]",
                 times(ratio_of(mine, off)), "", None)
    return rows


def nats(res, sz):
    rows = Rows()
    for qos in (0, 1):
        mine = res.stat("nats", f"mqchat q{qos}", "rate")
        ref = res.stat("nats", f"mosquitto q{qos}", "rate")
        rows.add(f"NATS cluster: {sz.nats_count:,} msgs QoS {qos}, sender on node 1, receiver "
                 "on node 3, history on (msg/s)", fmt(mine, ""),
                 fmt(ref, "") + " [mosquitto_pub -V 311 -l → mosquitto_sub -V 311, same nodes]",
                 times(ratio_of(mine, ref)), "", None)
    runs = res.runs.get(("nats", "mqchat failover"), [])
    whole = sum(1 for r in runs if r.get("in_order") and r.get("tx_code") == 0
                and not r.get("missing") and not r.get("twice"))
    lost = [r["missing"] for r in runs if r.get("missing")]
    lines = f"{runs[0]['lines']:,}" if runs else "—"
    for key, what in (("reconnect_ms", "node 1 killed (SIGKILL) → the sender connected to "
                                       "another node"),
                      ("first_ms", "node 1 killed → the receiver shows the first line written "
                                   "after the kill"),
                      ("silence_ms", "the receiver's longest wait between two lines")):
        mine = res.stat("nats", "mqchat failover", key)
        cell = fmt(mine, "")
        if mine and key == "first_ms":
            cell += (f"; {lines} lines at {sz.nats_rate}/s: each shown once, in order, and "
                     f"the sender's exit 0 in {whole} of {len(runs)} runs"
                     + (f"; lines never shown in {len(lost)} run(s) (up to {max(lost)})"
                        if lost else ""))
        rows.add(f"NATS failover: {what} (ms)", cell,
                 "mosquitto_pub has no second broker", "", "", None)
    if any("ref_missing" in r for r in runs):
        rows.add(f"NATS failover: lines of {lines} a QoS 1 receiver on node 3 never got, "
                 "per run (NATS 2.9 loses them: bench/README.md)",
                 fmt(res.stat("nats", "mqchat failover", "missing"), "") + " [mqchat]",
                 fmt(res.stat("nats", "mqchat failover", "ref_missing"), "")
                 + " [mosquitto_sub -V 311 -q 1 -c, same node, same run]", "", "", None)
    return rows


BUILDERS = {"throughput": throughput, "latency": latency, "idle": idle,
            "history": history, "scale": scale, "bridge": bridge, "irc": irc,
            "ratelimit": ratelimit, "nats": nats}
