# SPDX-License-Identifier: MIT
"""A three-node NATS cluster (nats-server 2.9, its MQTT 3.1.1 side) on
loopback, started from the configuration shipped in conf/nats/ -- those very
files, so a test run proves they work.  Each file is copied with its
127.0.0.1 ports moved to free ones (the same port in two files, e.g. a
route and the listen it names, gets the same new port) and its JetStream
store_dir moved into the test's directory; nothing else changes.

    cluster = NatsCluster(workdir).start()   # returns once ready
    cluster.mqtt_port(1)                     # node 1's MQTT port
    cluster.mqtt_ports                       # [node 1's, node 2's, node 3's]
    cluster.kill(1)                          # SIGKILL node 1, reaped
    cluster.start_node(1)                    # again, same store; once ready
    cluster.stop()                           # every node, by PID

Nodes are numbered 1 to 3, as the files are.  A fresh cluster is first
waited on until each node's monitor (/healthz) says JetStream has its
metadata leader: an MQTT client that comes sooner is held 4 s by the node
and refused.  Ready means: a QoS 1 publish
from a paho MQTT 3.1.1 client is acknowledged (PUBACK) on every running node
-- JetStream has a leader and a majority -- and a message published on the
first running node reaches a subscriber on the last one (the routes are up).
Every wait is on such an event, bounded by a deadline.  The ports are
known once start() has returned (a port someone took meanwhile makes it
start again elsewhere).

Used by the nats-* tests and by bench/ (keep the API small)."""
import os
import queue
import random
import re
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
import uuid

import paho.mqtt.client as mqtt

import harness

HERE = os.path.dirname(os.path.abspath(__file__))
CONF_DIR = os.path.normpath(os.path.join(HERE, "..", "..", "..", "conf", "nats"))
NODES = (1, 2, 3)
NATS_SERVER = "nats-server"
# A cluster forming (or re-electing leaders after a node died) on a busy
# 2-CPU machine: seconds, sometimes tens of them.
READY_TIMEOUT = 120
ATTEMPT = 5  # seconds one readiness probe may take before it is tried again

_ADDR = re.compile(r"127\.0\.0\.1:(\d+)")
# The monitor is asked directly, whatever proxy the environment names.
_DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def conf_path(node):
    return os.path.join(CONF_DIR, f"node{node}.conf")


def _free_port(taken):
    """A port nobody listens on now, below Linux's ephemeral range (32768
    and up), where outgoing connections -- the nodes' own routes among
    them -- would take it before the node listens on it."""
    while True:
        port = random.randrange(20000, 32000)
        if port in taken:
            continue
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
        return port


def _read(path):
    with open(path) as f:
        return f.read()


def _settings(text):
    """The file without its comment lines (comments may quote ports)."""
    return "\n".join(line for line in text.splitlines()
                     if not line.lstrip().startswith("#")) + "\n"


def _block(text, name):
    """The body of the top-level block `name { ... }` (closed by a `}` at
    the start of a line)."""
    found = re.search(rf"^{name}\s*\{{(.*?)^\}}", text, re.M | re.S)
    if not found:
        raise AssertionError(f"no `{name} {{ }}` block in a conf/nats file")
    return found.group(1)


def _listen(body, what):
    found = re.search(r"^\s*listen:\s*127\.0\.0\.1:(\d+)", body, re.M)
    if not found:
        raise AssertionError(f"no `listen: 127.0.0.1:PORT` in {what}")
    return int(found.group(1))


class NatsCluster:
    """Three nats-server processes from conf/nats/node{1,2,3}.conf."""

    def __init__(self, workdir, log_prefix="nats"):
        self.workdir = workdir
        self.prefix = log_prefix
        self.procs = {}
        self.logs = {n: os.path.join(workdir, f"{log_prefix}-node{n}.log") for n in NODES}
        self.conf = {n: os.path.join(workdir, f"{log_prefix}-node{n}.conf") for n in NODES}
        self.stores = {n: os.path.join(workdir, f"{log_prefix}-node{n}-store") for n in NODES}
        self.mqtt = {}
        self.http = {}
        self.texts = {n: _settings(_read(conf_path(n))) for n in NODES}
        self._place()

    def _place(self):
        """Writes each node's file with every port the files name moved to a
        free one (the same port in two files gets the same new port) and
        its store_dir moved into the workdir."""
        ports = sorted({int(p) for t in self.texts.values() for p in _ADDR.findall(t)})
        moved = {}
        for p in ports:
            moved[p] = _free_port(set(moved.values()))
        for n in NODES:
            text = _ADDR.sub(lambda m: f"127.0.0.1:{moved[int(m.group(1))]}", self.texts[n])
            text, found = re.subn(r'^(\s*store_dir:\s*).*$', rf'\g<1>"{self.stores[n]}"',
                                  text, flags=re.M)
            if found != 1:
                raise AssertionError(f"{conf_path(n)}: wanted one store_dir, found {found}")
            with open(self.conf[n], "w") as f:
                f.write(text)
            self.mqtt[n] = _listen(_block(text, "mqtt"), f"node{n}'s mqtt block")
            http = re.search(r"^http:\s*127\.0\.0\.1:(\d+)", text, re.M)
            self.http[n] = int(http.group(1)) if http else None
        self._check_routes()

    def _check_routes(self):
        """Each node's routes name the other two nodes' cluster listens: a
        cluster, not three lone servers that happen to start together."""
        texts = {n: _read(self.conf[n]) for n in NODES}
        listens = {n: _listen(_block(texts[n], "cluster"), f"node{n}'s cluster block")
                   for n in NODES}
        for n in NODES:
            routes = {int(p) for p in re.findall(r"nats-route://127\.0\.0\.1:(\d+)",
                                                 _block(texts[n], "cluster"))}
            others = {listens[o] for o in NODES if o != n}
            if not others <= routes:
                raise AssertionError(f"{conf_path(n)}: routes {sorted(routes)} do not "
                                     f"name the other nodes' cluster ports {sorted(others)}")

    @property
    def mqtt_ports(self):
        """The MQTT ports of nodes 1, 2, 3 (a list; node n at [n - 1])."""
        return [self.mqtt[n] for n in NODES]

    def mqtt_port(self, node):
        return self.mqtt[node]

    def hosts(self, *nodes):
        """An mqchat `hosts` value naming `nodes` in that order (all three,
        node 1 first, if none are given)."""
        return " ".join(f"127.0.0.1:{self.mqtt[n]}" for n in (nodes or NODES))

    def running(self):
        return [n for n in NODES if n in self.procs and self.procs[n].poll() is None]

    def start(self, timeout=READY_TIMEOUT):
        """Starts the three nodes; returns self once the cluster is ready.
        Read the ports after: a port taken meanwhile by someone else makes
        it start again on other ports."""
        for attempt in range(1, 4):
            for n in NODES:
                self._spawn(n)
            try:
                self._wait_metadata_leader(time.monotonic() + timeout)
                self.wait_ready(timeout, NODES)
                return self
            except AssertionError:
                taken = any("address already in use" in self.log(n) for n in NODES)
                if not taken or attempt == 3:
                    raise
            self.stop()
            for n in NODES:
                shutil.rmtree(self.stores[n], ignore_errors=True)
                os.replace(self.logs[n], f"{self.logs[n]}.{attempt}")
            self._place()
        return self

    def _spawn(self, node):
        if node in self.running():
            raise AssertionError(f"NATS node {node} is already running")
        log = open(self.logs[node], "ab")
        try:
            self.procs[node] = subprocess.Popen([NATS_SERVER, "-c", self.conf[node]],
                                                stdout=log, stderr=subprocess.STDOUT)
        finally:
            log.close()

    def start_node(self, node, timeout=READY_TIMEOUT):
        """Starts node `node` again (a killed one: same store); returns once
        the running nodes are ready, this one included."""
        self._spawn(node)
        self.wait_ready(timeout, sorted(set(self.running()) | {node}))

    def kill(self, node):
        """SIGKILL to node `node`, as a crash or a pulled plug: no goodbye to
        its clients or to the other nodes.  Returns once it is reaped."""
        proc = self.procs.get(node)
        if proc is None or proc.poll() is not None:
            raise AssertionError(f"NATS node {node} is not running")
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(harness.DEFAULT_TIMEOUT)

    def stop(self):
        """Ends every node still running, by PID (SIGTERM, then SIGKILL)."""
        for n, proc in self.procs.items():
            if proc.poll() is None:
                proc.terminate()
        for n, proc in self.procs.items():
            try:
                proc.wait(harness.DEFAULT_TIMEOUT)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()

    def log(self, node):
        """What node `node` has logged so far."""
        try:
            with open(self.logs[node], errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def logs_tail(self, lines=30):
        """The last lines of each node's log, for a failure's message."""
        return "\n".join(f"--- NATS node {n}:\n"
                         + "\n".join(self.log(n).splitlines()[-lines:]) for n in NODES)

    def wait_ready(self, timeout=READY_TIMEOUT, nodes=None):
        """Waits until each of `nodes` (by default those running)
        acknowledges a QoS 1 publish and a message goes from the first of
        them to the last; fails at once if one of them is not running."""
        deadline = time.monotonic() + timeout
        nodes = list(nodes or self.running())
        if not nodes:
            raise AssertionError("no NATS node is running")
        for n in nodes:
            self._until(deadline, lambda: self._puback(n), f"a PUBACK from NATS node {n}",
                        nodes)
        first, last = nodes[0], nodes[-1]
        self._until(deadline, lambda: self._crosses(first, last),
                    f"a message from NATS node {first} to node {last}", nodes)

    def _until(self, deadline, probe, what, nodes):
        tries = []
        while True:
            for n in nodes:
                proc = self.procs.get(n)
                if proc is None or proc.poll() is not None:
                    code = "never started" if proc is None else f"exited {proc.returncode}"
                    raise AssertionError(f"NATS node {n} {code}\n" + self.logs_tail())
            outcome = probe()
            if outcome is True:
                return
            tries.append(outcome)
            if time.monotonic() > deadline:
                raise AssertionError(f"waited in vain for {what}; last tries: {tries[-3:]}\n"
                                     + self.logs_tail())
            time.sleep(0.2)

    def _wait_metadata_leader(self, deadline):
        """Until every node with a monitor port answers /healthz with 200
        (on a fresh cluster: JetStream has a metadata leader)."""
        for n in NODES:
            if self.http[n] is not None:
                self._until(deadline, lambda: self._healthz(n),
                            f"JetStream's metadata leader (NATS node {n}'s /healthz)", NODES)

    def _healthz(self, node):
        url = f"http://127.0.0.1:{self.http[node]}/healthz"
        try:
            with _DIRECT.open(url, timeout=ATTEMPT) as reply:
                return True if reply.status == 200 else f"node {node}: {reply.status}"
        except urllib.error.HTTPError as e:
            return f"node {node}: {e.code} {e.read(200)!r}"
        except OSError as e:
            return f"node {node}: {e}"

    def _client(self, node, on_message=None):
        """A paho MQTT 3.1.1 client connected to `node`, its loop running;
        None if the node did not accept the connection within ATTEMPT s."""
        connacks = queue.Queue()
        c = mqtt.Client(client_id=f"ready-{uuid.uuid4().hex[:12]}", clean_session=True,
                        protocol=mqtt.MQTTv311)
        c.on_connect = lambda cl, u, flags, rc: connacks.put(rc)
        c.on_message = on_message
        try:
            c.connect("127.0.0.1", self.mqtt[node], keepalive=30)
        except OSError:
            return None
        c.loop_start()
        try:
            rc = connacks.get(timeout=ATTEMPT)
        except queue.Empty:
            rc = "no CONNACK"
        if rc != 0:
            _close(c)
            return None
        return c

    def _puback(self, node):
        c = self._client(node)
        if c is None:
            return f"node {node}: no connection"
        try:
            info = c.publish(f"mqchat-ready/{uuid.uuid4().hex}", b"ready", qos=1)
            info.wait_for_publish(ATTEMPT)
            return True if info.is_published() else f"node {node}: no PUBACK"
        finally:
            _close(c)

    def _crosses(self, src, dst):
        topic = f"mqchat-ready/{uuid.uuid4().hex}"
        got = queue.Queue()
        subacks = queue.Queue()
        sub = self._client(dst, on_message=lambda cl, u, msg: got.put(msg.payload))
        if sub is None:
            return f"node {dst}: no connection"
        pub = None
        try:
            sub.on_subscribe = lambda cl, u, mid, granted: subacks.put(granted)
            sub.subscribe(topic, qos=1)
            try:
                subacks.get(timeout=ATTEMPT)
            except queue.Empty:
                return f"node {dst}: no SUBACK"
            pub = self._client(src)
            if pub is None:
                return f"node {src}: no connection"
            info = pub.publish(topic, b"across", qos=1)
            info.wait_for_publish(ATTEMPT)
            try:
                got.get(timeout=ATTEMPT)
                return True
            except queue.Empty:
                return f"node {src} -> node {dst}: not delivered"
        finally:
            _close(sub)
            if pub is not None:
                _close(pub)


def _close(client):
    try:
        client.disconnect()
    except OSError:
        pass
    client.loop_stop()
