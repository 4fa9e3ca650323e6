# SPDX-License-Identifier: MIT
"""`meson install` into a temporary prefix, then use it as a plugin author
and a user would: everything in its usual place, the installed binary finds
the installed plugins with no environment set, and the tutorial's plugin,
built out of tree with nothing but `pkg-config mqchat-plugin`, is loaded
from an INI file and receives a message through a real broker."""
import json
import os
import signal
import subprocess

import harness
import sdk_helpers


class Install(harness.TestCase):

    def setUp(self):
        super().setUp()
        self.prefix = os.path.join(self.workdir, "prefix")
        build = os.path.join(self.workdir, "build")
        sdk_helpers.run(["meson", "setup", "--prefix", self.prefix, "--buildtype=plain",
                         "-Dtests=false", build, sdk_helpers.SOURCE_ROOT])
        sdk_helpers.run(["ninja", "-C", build])
        sdk_helpers.run(["meson", "install", "--quiet", "-C", build])
        options = json.loads(sdk_helpers.run(["meson", "introspect", "--buildoptions", build]))
        opt = {o["name"]: o["value"] for o in options}
        self.libdir = os.path.join(self.prefix, opt["libdir"])
        self.mandir = os.path.join(self.prefix, opt["mandir"])
        self.datadir = os.path.join(self.prefix, opt["datadir"])
        self.bindir = os.path.join(self.prefix, opt["bindir"])
        self.plugindir = os.path.join(self.libdir, "mqchat")
        self.env = harness.isolated_env(os.path.join(self.workdir, "home"))
        self.env["PKG_CONFIG_PATH"] = os.path.join(self.libdir, "pkgconfig")

    def assertInstalled(self, *parts):
        path = os.path.join(*parts)
        self.assertTrue(os.path.isfile(path), f"not installed: {path}")
        return path

    def test_layout_and_out_of_tree_plugin(self):
        mqchat = self.assertInstalled(self.bindir, "mqchat")
        for name in ("mqtt", "stdin", "fifo", "syslog", "exec"):
            self.assertInstalled(self.plugindir, name + ".so")
        header = self.assertInstalled(self.prefix, "include", "mqchat", "plugin.h")
        self.assertInstalled(self.libdir, "pkgconfig", "mqchat-plugin.pc")
        self.assertInstalled(self.mandir, "man1", "mqchat.1")
        self.assertInstalled(self.mandir, "man5", "mqchat.ini.5")
        self.assertInstalled(self.mandir, "man7", "mqchat-plugin.7")
        self.assertInstalled(self.datadir, "doc", "mqchat", "examples", "mqchat.ini")
        self.assertInstalled(self.datadir, "doc", "mqchat", "examples", "bot.ini")
        self.assertInstalled(self.datadir, "doc", "mqchat", "plugins.md")
        unit = self.assertInstalled(self.prefix, "lib", "systemd", "system", "mqchat.service")
        self.assertIn(f"ExecStart={self.bindir}/mqchat -c ", sdk_helpers.file_text(unit))

        # The installed binary finds the installed plugins: no environment at all.
        listing = sdk_helpers.run([mqchat, "--list-plugins"], env={}, cwd=self.workdir)
        for name in ("mqtt", "stdin", "fifo", "syslog", "exec"):
            self.assertRegex(listing, rf"(?m)^{name}\s+\w+\s+\S+\s+1\.\d+\s+"
                             rf"{self.plugindir}/{name}\.so$")
        # ...and the built one finds the built ones.
        built = sdk_helpers.run([harness.MQCHAT, "--list-plugins"], env={}, cwd=self.workdir)
        self.assertIn(os.path.join(os.path.dirname(harness.MQCHAT), "plugins", "mqtt.so"),
                      built)

        # pkg-config, as a plugin author outside the tree has it.
        flags = sdk_helpers.run(["pkg-config", "--cflags", "--libs", "mqchat-plugin"],
                                env=self.env).split()
        self.assertIn("-I" + os.path.join(self.prefix, "include"), flags)
        plugindir = sdk_helpers.run(["pkg-config", "--variable=plugindir", "mqchat-plugin"],
                                    env=self.env).strip()
        self.assertEqual(os.path.realpath(plugindir), os.path.realpath(self.plugindir))

        # Each header stands alone, in C and C++.
        for name in ("plugin.h", "msg_type.h", "utf8.h", "lines.h"):
            self.assertInstalled(self.prefix, "include", "mqchat", name)
            for lang, std in (("c", "-std=c99"), ("c++", "-std=c++11")):
                sdk_helpers.run(["cc" if lang == "c" else "c++", "-x", lang, std, "-Wall",
                                 "-Wextra", "-Wpedantic", "-Werror", "-fsyntax-only", *flags,
                                 "-"], input=f"#include <mqchat/{name}>\n".encode())
        self.assertTrue(header)

        # The tutorial's plugin, from docs/plugins.md, in an empty directory.
        src_dir = os.path.join(self.workdir, "logfile")
        os.mkdir(src_dir)
        code = sdk_helpers.tutorial_code()
        self.assertLess(len(code.splitlines()), 100, "the tutorial's plugin must stay short")
        with open(os.path.join(src_dir, "logfile.c"), "w") as f:
            f.write(code)
        sdk_helpers.run(["cc", "-shared", "-fPIC", "-Wall", "-Wextra", "-Werror", *flags,
                         "logfile.c", "-o", "logfile.so"], cwd=src_dir)

        chat_log = os.path.join(self.workdir, "chat.log")
        ini = harness.write_ini(os.path.join(self.workdir, "tutorial.ini"), {
            "core": {"nick": "Ana", "frontends": "log", "backend": "mqtt", "history": "off"},
            "log": {"plugin": os.path.join(src_dir, "logfile.so"), "file": chat_log},
            "mqtt": {"host": "127.0.0.1", "port": self.broker.port},
        })
        saved = harness.MQCHAT
        harness.MQCHAT = mqchat
        try:
            m = self.mqchat(ini, stdin=subprocess.DEVNULL, name="installed")
        finally:
            harness.MQCHAT = saved
        m.err.wait_for(rf"log: appending messages to {chat_log}")
        m.err.wait_for(r"connected to 127\.0\.0\.1")
        harness.publish(self.broker, "Bob: hola, plugin de tutorial")
        harness.wait_until(lambda: "Bob: hola, plugin de tutorial\n"
                           in sdk_helpers.file_text(chat_log),
                           what="the tutorial plugin to write the message")
        m.signal(signal.SIGTERM)
        self.assertEqual(m.wait(), 0, m.err.text())


if __name__ == "__main__":
    harness.main()
