"""Test hosts made of network namespaces, for tests/system/netns/validate.py.

    c1 ─┐                                        10.77.1.0/24, MTU 9000
    c2 ─┼─ br0 [router] rt-srv ──── eth0 [server]  10.77.2.0/24
    c3 ─┘

Each client namespace holds one end of a veth pair whose other end is a port
of the bridge br0 in the router namespace (10.77.1.1); the router forwards to
the server namespace over a second veth pair (10.77.2.1 -- 10.77.2.2). The
router's egress port toward the server, rt-srv, is where a bottleneck goes:
a drop there is a drop in the network, not back-pressure on a sender's own
device. Addresses are in 10.77.0.0/16 and exist only on these interfaces.

Names carry the creating process id (nbv<pid>-...), so concurrent runs never
collide, and namespaces left behind by a run that was killed are removed by
the next one (remove_stale). Stdlib only; needs root.
"""

from __future__ import annotations

import os
import re
import subprocess
import time

PREFIX = "nbv"
ROUTER_ADDR = "10.77.1.1"
ROUTER_SERVER_SIDE = "10.77.2.1"
SERVER_ADDR = "10.77.2.2"
MTU = 9000


class SetupError(RuntimeError):
    """A command that builds the topology failed."""


def sh(args: list[str], check: bool = True, timeout: float = 20) -> str:
    """Runs a command, returns its stdout; raises SetupError on failure."""
    p = subprocess.run(args, capture_output=True, text=True, timeout=timeout)
    if check and p.returncode != 0:
        raise SetupError(f"{' '.join(args)}: exit {p.returncode}: {p.stderr.strip()}")
    return p.stdout


def netns_permitted() -> tuple[bool, str]:
    """Whether this process may create network namespaces (and why not)."""
    if os.geteuid() != 0:
        return False, "not root"
    if not os.path.exists("/dev/net/tun"):
        return False, "/dev/net/tun is missing"
    probe = f"{PREFIX}{os.getpid()}-probe"
    p = subprocess.run(["ip", "netns", "add", probe], capture_output=True, text=True)
    if p.returncode != 0:
        return False, f"'ip netns add' is not permitted here: {p.stderr.strip()}"
    subprocess.run(["ip", "netns", "del", probe], capture_output=True)
    return True, ""


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_stale() -> list[str]:
    """Deletes namespaces of earlier runs whose process is gone."""
    removed = []
    for line in sh(["ip", "netns", "list"], check=False).splitlines():
        name = line.split()[0] if line.split() else ""
        m = re.fullmatch(rf"{PREFIX}(\d+)-\w+", name)
        if m and not _pid_alive(int(m.group(1))):
            _kill_pids_in(name)
            sh(["ip", "netns", "del", name], check=False)
            removed.append(name)
    return removed


def _kill_pids_in(ns: str) -> None:
    # Only processes inside a namespace this harness created (and whose
    # creator is gone, or that we are tearing down): ours by construction.
    for pid in sh(["ip", "netns", "pids", ns], check=False).split():
        try:
            os.kill(int(pid), 9)
        except (ProcessLookupError, ValueError):
            pass


class Topology:
    """Creates the namespaces on enter, removes everything on exit."""

    def __init__(self, clients: int = 3) -> None:
        base = f"{PREFIX}{os.getpid()}"
        self.router = f"{base}-rt"
        self.server = f"{base}-srv"
        self.clients = [f"{base}-c{i + 1}" for i in range(clients)]
        self.client_addrs = [f"10.77.1.{11 + i}" for i in range(clients)]
        self._created: list[str] = []

    # -- helpers --------------------------------------------------------
    def ip(self, ns: str, *args: str) -> str:
        return sh(["ip", "-n", ns, *args])

    def exec_args(self, ns: str, args: list[str]) -> list[str]:
        """The command line that runs `args` inside namespace `ns`."""
        return ["ip", "netns", "exec", ns, *args]

    def run(self, ns: str, args: list[str], check: bool = True, timeout: float = 20) -> str:
        return sh(self.exec_args(ns, args), check=check, timeout=timeout)

    def sysctl(self, ns: str, key: str, value: str) -> None:
        self.run(ns, ["sysctl", "-qw", f"{key}={value}"])

    # -- lifecycle ------------------------------------------------------
    def __enter__(self) -> "Topology":
        try:
            self._build()
        except BaseException:
            self.teardown()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.teardown()

    def _add_ns(self, name: str) -> None:
        sh(["ip", "netns", "add", name])
        self._created.append(name)
        self.ip(name, "link", "set", "lo", "up")
        # No IPv6: no router solicitations or MLD reports on the links, so
        # every packet the counters see is one a test sent.
        for key in ("all", "default"):
            self.sysctl(name, f"net.ipv6.conf.{key}.disable_ipv6", "1")

    def _build(self) -> None:
        for ns in [self.router, self.server, *self.clients]:
            self._add_ns(ns)
        rt = self.router
        self.ip(rt, "link", "add", "br0", "type", "bridge", "forward_delay", "0", "stp_state", "0")
        self.ip(rt, "link", "set", "br0", "mtu", str(MTU))
        for ns, addr in zip(self.clients, self.client_addrs):
            port = ns.rsplit("-", 1)[1]  # c1, c2, ...
            self.ip(rt, "link", "add", port, "mtu", str(MTU), "type", "veth", "peer", "name",
                    "eth0", "mtu", str(MTU), "netns", ns)
            self.ip(rt, "link", "set", port, "master", "br0")
            self.ip(rt, "link", "set", port, "up")
            self.ip(ns, "addr", "add", f"{addr}/24", "dev", "eth0")
            self.ip(ns, "link", "set", "eth0", "up")
            self.ip(ns, "route", "add", "default", "via", ROUTER_ADDR)
        self.ip(rt, "addr", "add", f"{ROUTER_ADDR}/24", "dev", "br0")
        self.ip(rt, "link", "set", "br0", "up")
        self.ip(rt, "link", "add", "rt-srv", "mtu", str(MTU), "type", "veth", "peer", "name",
                "eth0", "mtu", str(MTU), "netns", self.server)
        self.ip(rt, "addr", "add", f"{ROUTER_SERVER_SIDE}/24", "dev", "rt-srv")
        self.ip(rt, "link", "set", "rt-srv", "up")
        self.ip(self.server, "addr", "add", f"{SERVER_ADDR}/24", "dev", "eth0")
        self.ip(self.server, "link", "set", "eth0", "up")
        self.ip(self.server, "route", "add", "default", "via", ROUTER_SERVER_SIDE)
        self.sysctl(rt, "net.ipv4.ip_forward", "1")
        # The impairment relay writes packets back in through tun0, whose
        # sources live behind br0: loose reverse-path checks let them in.
        for key in ("all", "default"):
            self.sysctl(rt, f"net.ipv4.conf.{key}.rp_filter", "0")
        self._wait_reachable()

    def _wait_reachable(self) -> None:
        # Every bridge port forwarding and br0 up (no ping on a minimal host).
        deadline = time.monotonic() + 10
        while True:
            ports = sh(["bridge", "-n", self.router, "link", "show"])
            br = self.ip(self.router, "link", "show", "br0")
            if ports.count("state forwarding") == len(self.clients) and "NO-CARRIER" not in br:
                return
            if time.monotonic() > deadline:
                raise SetupError(f"bridge ports not forwarding: {ports} {br}")
            time.sleep(0.05)

    def teardown(self) -> None:
        for ns in reversed(self._created):
            _kill_pids_in(ns)
            sh(["ip", "netns", "del", ns], check=False)
        self._created.clear()

    # -- impairments ----------------------------------------------------
    def set_bottleneck(self, rate_bps: int, burst_bytes: int = 64 * 1024,
                       queue_bytes: int = 256 * 1024, where: tuple[str, str] | None = None) -> None:
        """tbf at `rate_bps` (L2 bytes, as tbf counts) on `where` = (namespace,
        device): by default the router's port toward the server."""
        ns, dev = where or (self.router, "rt-srv")
        self.clear_bottleneck(where)
        sh(["tc", "-n", ns, "qdisc", "add", "dev", dev, "root", "tbf", "rate", f"{rate_bps}bit",
            "burst", str(burst_bytes), "limit", str(queue_bytes)])

    def clear_bottleneck(self, where: tuple[str, str] | None = None) -> None:
        ns, dev = where or (self.router, "rt-srv")
        sh(["tc", "-n", ns, "qdisc", "del", "dev", dev, "root"], check=False)

    def bottleneck_stats(self, where: tuple[str, str] | None = None) -> dict[str, int]:
        """Packets sent and dropped by the tbf on `where` (default rt-srv)."""
        ns, dev = where or (self.router, "rt-srv")
        out = sh(["tc", "-n", ns, "-s", "qdisc", "show", "dev", dev])
        m = re.search(r"Sent (\d+) bytes (\d+) pkt \(dropped (\d+)", out)
        if not m:
            raise SetupError(f"no tbf statistics in: {out}")
        return {"bytes": int(m.group(1)), "packets": int(m.group(2)), "dropped": int(m.group(3))}

    def udp_snmp(self, ns: str) -> dict[str, int]:
        """The Udp: line of /proc/net/snmp in namespace `ns`."""
        lines = [l.split() for l in self.run(ns, ["cat", "/proc/net/snmp"]).splitlines()
                 if l.startswith("Udp:")]
        return {k: int(v) for k, v in zip(lines[0][1:], lines[1][1:])}

    def link_stats(self, ns: str, dev: str) -> dict[str, int]:
        """rx/tx packet and drop counters of `dev` in `ns`."""
        base = f"/sys/class/net/{dev}/statistics"
        names = ["rx_packets", "tx_packets", "rx_dropped", "tx_dropped"]
        out = self.run(ns, ["sh", "-c", " ".join(f"cat {base}/{n};" for n in names)])
        return dict(zip(names, (int(v) for v in out.split())))

    def divert_udp_to_tun(self, tun: str = "tun0") -> None:
        """Routes UDP from the clients to the server through `tun` in the
        router (where tests/system/netns/impair_relay.py reads and writes it back);
        TCP, and everything the relay writes back, takes the main table."""
        rt = self.router
        self.ip(rt, "tuntap", "add", "dev", tun, "mode", "tun")
        self.ip(rt, "link", "set", tun, "mtu", str(MTU), "txqueuelen", "50000", "up")
        self.sysctl(rt, f"net.ipv4.conf.{tun}.rp_filter", "0")
        self.run(rt, ["iptables", "-t", "mangle", "-A", "PREROUTING", "-i", "br0", "-p", "udp",
                      "-d", SERVER_ADDR, "-j", "MARK", "--set-mark", "0x77"])
        self.ip(rt, "rule", "add", "fwmark", "0x77", "lookup", "77")
        self.ip(rt, "route", "add", "default", "dev", tun, "table", "77")

    def undivert_udp(self, tun: str = "tun0") -> None:
        rt = self.router
        self.run(rt, ["iptables", "-t", "mangle", "-F", "PREROUTING"], check=False)
        sh(["ip", "-n", rt, "rule", "del", "fwmark", "0x77", "lookup", "77"], check=False)
        sh(["ip", "-n", rt, "link", "del", tun], check=False)
