# SPDX-License-Identifier: MIT
"""Pieces shared by the mqtt backend tests: certificates made with openssl
at test time, broker logs, and waiting for mqchat's link to come up."""
import os
import re
import subprocess

# Batch mode prints what others say through this template.
STDIN = {"format": "{nick}: {text}"}
# Connection state changes reach stderr; generous but finite.
LINK_TIMEOUT = 20


def connected_rx(port):
    return rf"connected to 127\.0\.0\.1:{port}\b"


def wait_up(m, port, start=0):
    return m.err.wait_for(connected_rx(port), timeout=LINK_TIMEOUT, start=start)


def broker_log(broker):
    with open(broker.log_path, errors="replace") as f:
        return f.read()


def make_cert(workdir, name, ca=None, server=True):
    """A certificate and its key; returns (cert, key) paths.  Self-signed
    when `ca` is None (a CA, or with server=True a self-signed server),
    else signed by `ca`.  Server certificates name 127.0.0.1.  EC keys:
    quick to make."""
    key = os.path.join(workdir, f"{name}.key")
    cert = os.path.join(workdir, f"{name}.pem")
    cmd = ["openssl", "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
           "-nodes", "-keyout", key, "-subj", f"/CN={name}", "-x509", "-days", "2",
           "-out", cert]
    if ca is not None:
        cmd += ["-CA", ca[0], "-CAkey", ca[1]]
    if server:
        cmd += ["-addext", "subjectAltName=IP:127.0.0.1"]
    subprocess.run(cmd, check=True, capture_output=True, timeout=60)
    return cert, key


def tls_listener_conf(ca_cert, server, extra=""):
    """mosquitto.conf lines making the test broker's only listener speak
    TLS with `server` = (cert, key).  `user root`: do not drop privileges
    before reading the key."""
    return (f"user root\ncafile {ca_cert}\ncertfile {server[0]}\nkeyfile {server[1]}\n"
            + extra)


def count_in_log(broker, pattern):
    """Lines of the broker's log matching regex `pattern`."""
    return len(re.findall(pattern, broker_log(broker), re.MULTILINE))
