# SPDX-License-Identifier: MIT
"""History figures from bench/history/run (owned by the history work): its
Markdown table is parsed for the insert rate, the replay of the last 100 and
the slowest of its full-text searches; then the answer to a late joiner's
history request (history_answer.py)."""
import os
import re

from . import history_answer


def parse(text):
    r = {"search_ms": 0.0}
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) < 2:
            continue
        number = re.match(r"[\d.]+", cells[1])
        if not number:
            continue
        value = float(number.group(0))
        if cells[0].startswith("insert rate"):
            r["inserts"] = value
        elif cells[0].startswith("replay of the last 100"):
            r["replay_ms"] = value
        elif cells[0].startswith("search"):
            r["search_ms"] = max(r["search_ms"], value)
    if "inserts" not in r or "replay_ms" not in r:
        raise RuntimeError("bench/history/run printed no table:\n" + text)
    return r


def bench(ctx, results):
    script = os.path.join(ctx.top, "bench", "history", "run")
    for run in range(ctx.runs):
        out = ctx.children.run("bench/history/run", [script, ctx.build,
                                                     str(ctx.history_messages)],
                               ctx.timeout(ctx.history_messages), text=True)
        results.history_tables.append(out)
        r = parse(out)
        results.add("history", "mqchat", r)
        ctx.log(f"history: {r}")
    history_answer.bench(ctx, results)
