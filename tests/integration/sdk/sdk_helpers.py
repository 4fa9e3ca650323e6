# SPDX-License-Identifier: MIT
"""Pieces shared by the SDK tests: where the sources are, compiling plugins
the way an author outside the tree would, and the tutorial's own code."""
import os
import re
import subprocess

import harness

HERE = os.path.dirname(os.path.realpath(__file__))
SOURCE_ROOT = os.path.realpath(os.path.join(HERE, "..", "..", ".."))
INCLUDE_DIR = os.path.join(SOURCE_ROOT, "include")
FIXTURE_SOURCE = os.path.join(HERE, "fixture_plugin.c")
TUTORIAL = os.path.join(SOURCE_ROOT, "docs", "plugins.md")
BUILD_TIMEOUT = 600


def run(cmd, timeout=BUILD_TIMEOUT, **kw):
    """Runs `cmd`; fails the test with its output when it fails."""
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       timeout=timeout, **kw)
    if p.returncode != 0:
        raise AssertionError(f"{' '.join(map(str, cmd))} exited {p.returncode}:\n"
                             + p.stdout.decode("utf-8", "replace")[-4000:])
    return p.stdout.decode("utf-8", "replace")


def compile_plugin(sources, out, cflags=(), strict=True):
    """cc -shared -fPIC, as docs/plugins.md tells plugin authors."""
    warn = ["-Wall", "-Wextra", "-Wpedantic", "-Werror"] if strict else ["-w"]
    run(["cc", "-std=c17", "-shared", "-fPIC", *warn, *cflags, *sources, "-o", out])
    return out


def compile_fixture(workdir, name, variant=None, include_dir=INCLUDE_DIR):
    out = os.path.join(workdir, name + ".so")
    defines = [f"-D{variant}"] if variant else []
    return compile_plugin([FIXTURE_SOURCE], out, ["-I" + include_dir, *defines],
                          strict=variant is None)


def tutorial_code():
    """The complete plugin of the tutorial: the ```c block that defines one."""
    with open(TUTORIAL, encoding="utf-8") as f:
        text = f.read()
    for block in re.findall(r"```c\n(.*?)```", text, re.S):
        if "MQC_PLUGIN_DEFINE(" in block and "#include <mqchat/plugin.h>" in block:
            return block
    raise AssertionError(f"{TUTORIAL}: no complete plugin in a ```c block")


def fixture_ini(workdir, broker, path, name="fx", **keys):
    """An INI whose only frontend is the plugin at `path`."""
    section = {"plugin": path}
    section.update(keys)
    return harness.basic_ini(workdir, broker, name=name,
                             core={"frontends": name, "history": "off"},
                             **{name: section})


def file_text(path):
    """The file's text, or "" while it does not exist."""
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return f.read()
    except FileNotFoundError:
        return ""
