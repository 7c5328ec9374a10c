#!/usr/bin/python3
"""A fleet run through the real Ansible playbooks (deploy/ansible), against
four namespaced hosts reached over ssh.

    ctl ── br0 ─┬─ h1 10.78.0.11   (server of the fan-in)
      10.78.0.1 ├─ h2 10.78.0.12
                ├─ h3 10.78.0.13
                └─ h4 10.78.0.14

The controller namespace (ctl) holds the bridge and runs ansible-playbook;
each host namespace runs its own sshd (Debian's openssh-server, started here
as `sshd -D -f CONFIG` on port 2222 with a host key and a client key made
for the test in a temporary directory) under its own UTS namespace, so that
each host has its own hostname. The hosts share this machine's file system,
so the playbooks run with netbench_skip_build=true and netbench_bin pointing
at the binary under test; install.yml (apt + cmake build) is syntax-checked
only, and the systemd unit is checked with `systemd-analyze verify`.

Then: serve.yml (mesh, process mode: every host serves), fleet.yml fan-in
(h2, h3, h4 -> h1), fleet.yml mesh (12 runs), serve.yml stopped. Each merged
document must validate against docs/netbench.schema.json, hold every run,
and its totals must equal the sums of the clients' documents exactly
(messages, bytes, latency samples). No timing is asserted.

Exit 0 on success, 1 on failure, 77 when the machine cannot run it (not
root, no 'ip netns', a tool missing) — 1 instead under CI=true. Everything
it made (namespaces, sshd and netbench processes, the temporary directory)
is removed on the way out; namespaces of a killed earlier run are removed
at the start. Names carry this process's id (nbf<pid>-...).

  sudo /usr/bin/python3 tests/system/netns/fleet_test.py build/dev/netbench
"""

from __future__ import annotations

import glob
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
sys.path.insert(0, HERE)

import topology  # noqa: E402

PREFIX = "nbf"
SUBNET = "10.78.0"
SSH_PORT = 2222
HOSTS = ["h1", "h2", "h3", "h4"]
TIME_LIMIT_S = 240
ANSIBLE = os.path.join(ROOT, "deploy", "ansible")
TOOLS = ["ansible-playbook", "/usr/sbin/sshd", "ssh", "ssh-keygen", "unshare", "ip"]


class Failure(Exception):
    """A check that failed: the test fails with this line."""


def log(line: str) -> None:
    print(f"fleet: {line}", flush=True)


def skip(reason: str) -> int:
    if os.environ.get("CI") == "true":
        log(f"cannot run ({reason}), and CI=true: failing, since CI must run it")
        return 1
    log(f"skipped: {reason}")
    return 77


def remove_stale() -> None:
    """Namespaces of an earlier run of this test whose process is gone."""
    saved = topology.PREFIX
    topology.PREFIX = PREFIX
    try:
        for name in topology.remove_stale():
            log(f"removed stale namespace {name}")
    finally:
        topology.PREFIX = saved


class Fleet:
    """The namespaces, the sshd processes and the temporary directory."""

    def __init__(self, netbench: str) -> None:
        base = f"{PREFIX}{os.getpid()}"
        self.netbench = netbench
        self.ctl = f"{base}-ctl"
        self.ns = {h: f"{base}-{h}" for h in HOSTS}
        self.addr = {h: f"{SUBNET}.{11 + i}" for i, h in enumerate(HOSTS)}
        self.tmp = tempfile.mkdtemp(prefix="netbench-fleet-")
        self.created: list[str] = []
        self.sshd: list[subprocess.Popen] = []
        self.made_run_sshd = False

    # -- building -------------------------------------------------------
    def build(self) -> None:
        for ns in [self.ctl, *self.ns.values()]:
            topology.sh(["ip", "netns", "add", ns])
            self.created.append(ns)
            topology.sh(["ip", "-n", ns, "link", "set", "lo", "up"])
        ip = lambda ns, *a: topology.sh(["ip", "-n", ns, *a])  # noqa: E731
        ip(self.ctl, "link", "add", "br0", "type", "bridge", "forward_delay", "0", "stp_state", "0")
        ip(self.ctl, "addr", "add", f"{SUBNET}.1/24", "dev", "br0")
        ip(self.ctl, "link", "set", "br0", "up")
        for h, ns in self.ns.items():
            ip(self.ctl, "link", "add", h, "type", "veth", "peer", "name", "eth0", "netns", ns)
            ip(self.ctl, "link", "set", h, "master", "br0")
            ip(self.ctl, "link", "set", h, "up")
            ip(ns, "addr", "add", f"{self.addr[h]}/24", "dev", "eth0")
            ip(ns, "link", "set", "eth0", "up")

    def keys(self) -> None:
        for name in ("host_key", "client_key"):
            topology.sh(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", f"netbench-fleet-{name}",
                         "-f", os.path.join(self.tmp, name)])
        shutil.copy(os.path.join(self.tmp, "client_key.pub"),
                    os.path.join(self.tmp, "authorized_keys"))
        os.chmod(os.path.join(self.tmp, "authorized_keys"), 0o600)

    def start_sshd(self) -> None:
        # sshd wants its privilege separation directory, which the package's
        # service would make; made here only if missing, removed at the end.
        if not os.path.isdir("/run/sshd"):
            os.makedirs("/run/sshd", mode=0o755)
            self.made_run_sshd = True
        for h, ns in self.ns.items():
            cfg = os.path.join(self.tmp, f"sshd-{h}.conf")
            with open(cfg, "w", encoding="utf-8") as f:
                f.write(f"""Port {SSH_PORT}
ListenAddress {self.addr[h]}
HostKey {self.tmp}/host_key
PidFile {self.tmp}/sshd-{h}.pid
AuthorizedKeysFile {self.tmp}/authorized_keys
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
MaxStartups 64
MaxSessions 64
UseDNS no
Subsystem sftp internal-sftp
# bash sources the user's ~/.bashrc for an ssh command only at shell level
# 1: starting at 1 skips it. A host's interactive setup (pyenv, conda, ...)
# is no part of the test, and can take seconds per command under load.
SetEnv SHLVL=1
""")
            topology.sh(["/usr/sbin/sshd", "-t", "-f", cfg])
            logf = open(os.path.join(self.tmp, f"sshd-{h}.log"), "w", encoding="utf-8")
            # ip netns exec, unshare and sh each exec the next: the PID
            # is sshd's own.
            self.sshd.append(subprocess.Popen(
                ["ip", "netns", "exec", ns, "unshare", "--uts", "sh", "-c",
                 f"hostname {h} && exec /usr/sbin/sshd -D -e -f {cfg}"],
                stdout=logf, stderr=subprocess.STDOUT))
        deadline = time.monotonic() + 15
        waiting = set(HOSTS)
        while waiting:
            for h in sorted(waiting):
                probe = subprocess.run(
                    ["ip", "netns", "exec", self.ctl, "/usr/bin/python3", "-c",
                     f"import socket; socket.create_connection(('{self.addr[h]}', {SSH_PORT}), 1)"],
                    capture_output=True)
                if probe.returncode == 0:
                    waiting.discard(h)
            if waiting and time.monotonic() > deadline:
                raise Failure(f"sshd of {sorted(waiting)} not listening after 15 s")
            time.sleep(0.1)

    def inventory(self) -> str:
        path = os.path.join(self.tmp, "inventory.ini")
        lines = ["[servers]", f"h1 ansible_host={self.addr['h1']}", "", "[clients]"]
        lines += [f"{h} ansible_host={self.addr[h]}" for h in HOSTS[1:]]
        lines += ["", "[fleet:children]", "servers", "clients", "", "[fleet:vars]",
                  "ansible_user=root", f"ansible_port={SSH_PORT}",
                  f"ansible_ssh_private_key_file={self.tmp}/client_key",
                  "ansible_ssh_common_args='-o UserKnownHostsFile=/dev/null "
                  "-o StrictHostKeyChecking=no -o LogLevel=ERROR'",
                  "ansible_python_interpreter=/usr/bin/python3", ""]
        with open(path, "w", encoding="utf-8") as f:
            f.write("\n".join(lines))
        return path

    def extra_vars(self) -> str:
        path = os.path.join(self.tmp, "vars.json")
        with open(path, "w", encoding="utf-8") as f:
            json.dump({
                "netbench_skip_build": True,
                "netbench_bin": self.netbench,
                "netbench_controller_bin": self.netbench,
                "netbench_serve_mode": "process",
                # One file system for every host: a run directory each.
                "netbench_run_dir": self.tmp + "/run-{{ inventory_hostname }}",
                "netbench_serve_args": "--max-concurrent 8",
                "netbench_results_dir": self.tmp + "/results",
                "netbench_args": "--proto tcp --duration 1s --interval 500ms",
                "netbench_start_delay": 8,
            }, f)
        return path

    # -- running the playbooks -----------------------------------------
    def playbook(self, inventory: str, extra: str, book: str, *args: str,
                 timeout: float = 90) -> str:
        env = dict(os.environ)
        env.update({
            "ANSIBLE_CONFIG": os.path.join(ANSIBLE, "ansible.cfg"),
            "ANSIBLE_HOME": os.path.join(self.tmp, "ansible-home"),
            "ANSIBLE_LOCAL_TEMP": os.path.join(self.tmp, "ansible-local"),
            "ANSIBLE_REMOTE_TEMP": os.path.join(self.tmp, "ansible-remote"),
            "ANSIBLE_ASYNC_DIR": os.path.join(self.tmp, "ansible-async"),
            "ANSIBLE_SSH_CONTROL_PATH_DIR": os.path.join(self.tmp, "cp"),
            "ANSIBLE_HOST_KEY_CHECKING": "False",
            "ANSIBLE_NOCOLOR": "1",
            "ANSIBLE_FORCE_COLOR": "0",
        })
        cmd = ["ip", "netns", "exec", self.ctl, "ansible-playbook", "-i", inventory,
               "-e", f"@{extra}", *args, os.path.join(ANSIBLE, book)]
        start = time.monotonic()
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env)
        log(f"ansible-playbook {book} {' '.join(args)}: exit {p.returncode} in "
            f"{time.monotonic() - start:.1f} s")
        if p.returncode != 0:
            raise Failure(f"{book} {' '.join(args)} failed:\n{p.stdout[-6000:]}\n{p.stderr[-3000:]}")
        return p.stdout

    # -- tearing down ---------------------------------------------------
    def teardown(self) -> None:
        for p in self.sshd:
            if p.poll() is None:
                p.kill()
            p.wait(timeout=10)
        # netbench serve processes the playbooks started (process mode), by
        # the pid files they wrote, if serve.yml stopped did not end them.
        for pidfile in glob.glob(os.path.join(self.tmp, "run-*", "serve.pid")):
            try:
                with open(pidfile, encoding="utf-8") as f:
                    os.kill(int(f.read().strip()), signal.SIGKILL)
            except (OSError, ValueError):
                pass
        for ns in reversed(self.created):
            topology._kill_pids_in(ns)  # only processes inside our namespaces
            topology.sh(["ip", "netns", "del", ns], check=False)
        self.created.clear()
        if self.made_run_sshd:
            shutil.rmtree("/run/sshd", ignore_errors=True)
        shutil.rmtree(self.tmp, ignore_errors=True)


# -- checks -------------------------------------------------------------
def load(path: str) -> dict:
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def validate(doc: dict, where: str) -> None:
    import jsonschema

    schema = load(os.path.join(ROOT, "docs", "netbench.schema.json"))
    try:
        jsonschema.validate(doc, schema)
    except jsonschema.ValidationError as e:
        raise Failure(f"{where} does not match the schema: {e.message} at "
                      f"{'/'.join(str(p) for p in e.absolute_path)}") from e


def check_plan(results: str, plan: str, runs: int, senders: set[str], receivers: int) -> str:
    dirs = sorted(glob.glob(os.path.join(results, f"{plan}-*")))
    if len(dirs) != 1:
        raise Failure(f"expected one {plan} result directory in {results}, found {dirs}")
    d = dirs[0]
    clients = [load(p) for p in sorted(glob.glob(os.path.join(d, "*-to-*.json")))]
    fleet_doc = load(os.path.join(d, "fleet.json"))
    validate(fleet_doc, f"{plan}/fleet.json")
    for c in clients:
        validate(c, f"a {plan} client document")
    f = fleet_doc["fleet"]
    if len(clients) != runs or f["runs"] != runs or len(f["per_run"]) != runs:
        raise Failure(f"{plan}: {len(clients)} documents, {f['runs']} merged, {runs} expected")
    bad = [c["run"].get("error") for c in clients if not c["run"]["complete"]]
    if bad:
        raise Failure(f"{plan}: incomplete client runs: {bad}")
    # Exact totals: the merged counts are the sums of the clients'.
    for side, key in (("sender", "messages"), ("sender", "bytes"), ("receiver", "messages"),
                      ("receiver", "bytes")):
        total = sum(c["run"][side][key] for c in clients)
        if f[side][key] != total or total == 0:
            raise Failure(f"{plan}: merged {side}.{key} {f[side][key]} != sum {total}")
    samples = sum(c["run"]["latency"]["from_intended_send"]["count"] for c in clients)
    if f["latency"]["from_intended_send"]["count"] != samples:
        raise Failure(f"{plan}: merged latency samples {f['latency']['from_intended_send']['count']}"
                      f" != sum {samples}")
    hosts = {h["name"] for h in f["hosts"]}
    if hosts != senders or len(f["peers"]) != receivers:
        raise Failure(f"{plan}: sending hosts {hosts} (expected {senders}), "
                      f"{len(f['peers'])} receiving hosts (expected {receivers})")
    # One common start time, recorded by every client.
    starts = {c["run"]["start"]["requested_unix_ns"] for c in clients}
    if len(starts) != 1 or f["start"]["requested_unix_ns"] != starts.pop():
        raise Failure(f"{plan}: the clients' --start-at differ or are missing")
    for ext in ("png", "svg"):
        if not os.path.getsize(os.path.join(d, f"fleet.{ext}")):
            raise Failure(f"{plan}: fleet.{ext} is empty")
    log(f"ok   {plan}: {runs} runs merged; sender {f['sender']['messages']} msgs, receiver "
        f"{f['receiver']['messages']} msgs = the sums of the clients'; {samples} latency "
        f"samples; schema valid; chart drawn")
    with open(os.path.join(d, "fleet.txt"), encoding="utf-8") as t:
        return t.read()


def verify_unit(tmp: str, netbench: str) -> None:
    src = os.path.join(ROOT, "deploy", "systemd", "netbench-serve.service")
    with open(src, encoding="utf-8") as f:
        text = f.read()
    unit = os.path.join(tmp, "netbench-serve.service")
    with open(unit, "w", encoding="utf-8") as f:
        f.write(text.replace("/usr/local/bin/netbench", netbench))
    if shutil.which("systemd-analyze"):
        p = subprocess.run(["systemd-analyze", "verify", unit], capture_output=True, text=True,
                           timeout=60)
        if p.returncode != 0 or "netbench-serve.service" in p.stderr:
            raise Failure(f"systemd-analyze verify: exit {p.returncode}: {p.stderr.strip()}")
        log("ok   systemd unit: systemd-analyze verify clean")
        return
    import configparser

    cp = configparser.ConfigParser(strict=False, interpolation=None)
    cp.optionxform = str
    cp.read_string(text)
    for section, key in (("Service", "ExecStart"), ("Service", "DynamicUser"),
                         ("Service", "Restart"), ("Install", "WantedBy")):
        if not cp.has_option(section, key):
            raise Failure(f"unit lacks [{section}] {key}")
    log("ok   systemd unit: parsed (no systemd-analyze here)")


def main() -> int:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("netbench", nargs="?", default=os.path.join(ROOT, "build", "dev", "netbench"))
    parser.add_argument("--keep", metavar="DIR",
                        help="copy the result directories (documents, fleet.json, fleet.txt, "
                        "charts) to DIR before cleaning up")
    args = parser.parse_args()
    netbench = os.path.abspath(args.netbench)
    ok, why = topology.netns_permitted()
    if not ok:
        return skip(why)
    missing = [t for t in TOOLS if not shutil.which(t)]
    if missing:
        return skip(f"missing {', '.join(missing)} (scripts/setup.sh installs ansible and "
                    "openssh-server)")
    remove_stale()

    def on_alarm(*_):
        raise Failure(f"time limit of {TIME_LIMIT_S} s reached")

    signal.signal(signal.SIGALRM, on_alarm)
    signal.signal(signal.SIGTERM, lambda *_: on_alarm())
    signal.alarm(TIME_LIMIT_S)
    started = time.monotonic()
    fleet = Fleet(netbench)
    try:
        verify_unit(fleet.tmp, netbench)
        fleet.build()
        fleet.keys()
        fleet.start_sshd()
        inv, extra = fleet.inventory(), fleet.extra_vars()
        for book in ("install.yml", "serve.yml", "fleet.yml"):
            fleet.playbook(inv, extra, book, "--syntax-check")
        log("ok   syntax: install.yml, serve.yml, fleet.yml")
        fleet.playbook(inv, extra, "serve.yml", "-e", "netbench_plan=mesh")
        fleet.playbook(inv, extra, "fleet.yml", "-e", "netbench_plan=fanin")
        fanin = check_plan(fleet.tmp + "/results", "fanin", 3, {"h2", "h3", "h4"}, 1)
        fleet.playbook(inv, extra, "fleet.yml", "-e", "netbench_plan=mesh")
        check_plan(fleet.tmp + "/results", "mesh", 12, set(HOSTS), 4)
        fleet.playbook(inv, extra, "serve.yml", "-e", "netbench_plan=mesh", "-e",
                       "netbench_serve_state=stopped")
        alive = []
        for pidfile in glob.glob(os.path.join(fleet.tmp, "run-*", "serve.pid")):
            alive.append(pidfile)
        if alive:
            raise Failure(f"serve.yml stopped left pid files: {alive}")
        log("ok   serve.yml stopped every netbench serve")
        if args.keep:
            shutil.copytree(fleet.tmp + "/results", args.keep, dirs_exist_ok=True)
            log(f"results kept in {args.keep}")
        print("--- fan-in, fleet.txt ---")
        print(fanin, end="")
        log(f"passed in {time.monotonic() - started:.1f} s")
        return 0
    except (Failure, topology.SetupError, subprocess.TimeoutExpired) as e:
        log(f"FAILED: {e}")
        return 1
    finally:
        signal.alarm(0)
        fleet.teardown()


if __name__ == "__main__":
    sys.exit(main())
