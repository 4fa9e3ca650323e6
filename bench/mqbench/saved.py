# SPDX-License-Identifier: MIT
"""What a run has measured, on disk as soon as each section ends: RESULTS/
sections/run.json (the banner, the sizes, the sections chosen, notes) and
one NAME.json per section (its status, notes and every run's figures).
The table is only ever built from these files, so a run that dies late
loses nothing it measured (`bench/run --report` rebuilds the table)."""
import json
import os

DIR = "sections"
RUN = "run"


def _path(results, name):
    return os.path.join(results, DIR, name + ".json")


def _write(path, data):
    """Whole or not at all: a crash mid-write leaves the previous file."""
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(data, f)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def start(results, run_info):
    """A new run: the previous run's files go."""
    folder = os.path.join(results, DIR)
    os.makedirs(folder, exist_ok=True)
    for name in os.listdir(folder):
        if name.endswith(".json"):
            os.unlink(os.path.join(folder, name))
    _write(_path(results, RUN), run_info)


def add_run_notes(results, notes):
    info = load_run(results)
    info["notes"] = info.get("notes", []) + list(notes)
    _write(_path(results, RUN), info)


def save_section(results, name, section):
    _write(_path(results, name), section)


def load_run(results):
    with open(_path(results, RUN)) as f:
        return json.load(f)


def load_section(results, name):
    """The saved section, or None if it never finished."""
    try:
        with open(_path(results, name)) as f:
            return json.load(f)
    except FileNotFoundError:
        return None
