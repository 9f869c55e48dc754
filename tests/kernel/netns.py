"""The kernel side of the differential test: what netfilter really does with a packet.

For one ruleset, `KernelLab` creates two network namespaces of its own (a firewall and a
peer; the host's tables are never touched), one veth pair per interface name, loads the
ruleset's `*filter` block with iptables-restore (REJECT rewritten to a goto into a chain that
marks and accepts, so reject is distinguishable from drop without sending anything), and
adds a native nftables observer table:

* `prerouting` (priority -300) sets a routing mark from the probe's IPv4 ID: mark 1 routes
  to table 200 (`local 0.0.0.0/0`: every destination is local, the probe goes to INPUT),
  mark 0x100+i routes to table 300+i (`default dev IFACE_i`: the probe is forwarded out of
  interface i). So INPUT and FORWARD probes with any addresses share one batch.
* `filter - 1` on input/forward/output: clears the mark and records that the probe reached
  the hook (set `<hook>_pre`).
* `filter + 1`: records that the probe left the filter table accepted (`<hook>_acc`), or
  rejected (`<hook>_rej`, the REJECT mark), and drops it. Nothing is delivered or
  forwarded, no conntrack entry is confirmed: probes cannot influence each other.

INPUT and FORWARD probes are Ethernet frames written with AF_PACKET to the peer end of the
ingress veth (or to `lo` inside the firewall namespace for ingress `lo`); OUTPUT probes are
written with a raw IP_HDRINCL socket bound to the egress interface in the firewall namespace.
Each probe carries its marker in the IPv4 ID (1..65535; 0 would be replaced by the kernel)
and in the TCP sequence number. Sets are read once per batch with `nft -j`.
"""

from __future__ import annotations

import ctypes
import ipaddress
import itertools
import json
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import time
from dataclasses import dataclass, field
from typing import Sequence

from linter.model import PROTO_ICMP, PROTO_ICMPV6, PROTO_TCP, PROTO_UDP, Packet

HOOKS = ("INPUT", "FORWARD", "OUTPUT")
REJECT_MARK = 0x7E1EC7
REJECT_CHAIN = "FWK_REJECT"
MAX_BATCH = 65535
IFNAMSIZ = 15

# kernel fates
ACCEPT, DROP, REJECT, NOT_REACHED, MISROUTED = "accept", "drop", "reject", "not-reached", "misrouted"

_CLONE_NEWNET = 0x40000000
_libc = ctypes.CDLL(None, use_errno=True)

# --------------------------------------------------------------------------- tools


def _run(cmd: Sequence[str], stdin: str | None = None, check: bool = True, timeout: float = 60) -> subprocess.CompletedProcess:
    p = subprocess.run(list(cmd), input=stdin, capture_output=True, text=True, timeout=timeout)
    if check and p.returncode != 0:
        raise HarnessError(f"{' '.join(cmd)} failed ({p.returncode}): {p.stderr.strip()[:2000]}")
    return p


class HarnessError(RuntimeError):
    """The harness could not set up or observe something (not a verdict disagreement)."""


def missing_tools() -> list[str]:
    """What the harness needs and does not find (empty when it can run).

    The sbin directories are added to PATH first: `sudo` and CI shells often lack them."""
    path = os.environ.get("PATH", "").split(os.pathsep)
    for d in ("/usr/sbin", "/sbin", "/usr/local/sbin"):
        if d not in path and os.path.isdir(d):
            path.append(d)
    os.environ["PATH"] = os.pathsep.join(p for p in path if p)
    out = []
    if os.geteuid() != 0:
        out.append("root (euid 0)")
    for tool in ("ip", "nft", "iptables-restore", "ip6tables-restore"):
        if shutil.which(tool) is None:
            out.append(tool)
    if "ip" not in out:
        p = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True)
        if p.returncode != 0:
            out.append("ip netns (" + p.stderr.strip() + ")")
    return out


# --------------------------------------------------------------------------- namespaces

_live_namespaces: set[str] = set()
_ns_counter = itertools.count()


def _delete_namespaces() -> None:
    for ns in sorted(_live_namespaces):
        subprocess.run(["ip", "netns", "del", ns], capture_output=True)
        _live_namespaces.discard(ns)


class sigterm_cleanup:
    """Delete the namespaces this process created when SIGTERM arrives (then die as asked)."""

    def __enter__(self):
        self._old = signal.getsignal(signal.SIGTERM)

        def handler(signum, frame):
            _delete_namespaces()
            signal.signal(signal.SIGTERM, self._old if callable(self._old) else signal.SIG_DFL)
            os.kill(os.getpid(), signal.SIGTERM)

        try:
            signal.signal(signal.SIGTERM, handler)
            self._installed = True
        except ValueError:  # not the main thread
            self._installed = False
        return self

    def __exit__(self, *exc):
        _delete_namespaces()
        if self._installed:
            signal.signal(signal.SIGTERM, self._old)
        return False


class in_netns:
    """Run the calling thread inside a named network namespace (sockets opened there stay there)."""

    def __init__(self, name: str):
        self.name = name

    def __enter__(self):
        self._orig = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
        fd = os.open(f"/run/netns/{self.name}", os.O_RDONLY)
        try:
            if _libc.setns(fd, _CLONE_NEWNET) != 0:
                e = ctypes.get_errno()
                raise OSError(e, f"setns({self.name}): {os.strerror(e)}")
        finally:
            os.close(fd)
        return self

    def __exit__(self, *exc):
        try:
            if _libc.setns(self._orig, _CLONE_NEWNET) != 0:  # pragma: no cover - fatal
                e = ctypes.get_errno()
                raise OSError(e, f"setns back: {os.strerror(e)}")
        finally:
            os.close(self._orig)
        return False


# --------------------------------------------------------------------------- packets


def _csum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def ipv4_header(src: int, dst: int, proto: int, payload_len: int, ident: int, ttl: int = 64) -> bytes:
    hdr = struct.pack("!BBHHHBBHII", 0x45, 0, 20 + payload_len, ident, 0, ttl, proto, 0, src, dst)
    return hdr[:10] + struct.pack("!H", _csum(hdr)) + hdr[12:]


def _addr_bytes(family: int, a: int) -> bytes:
    return a.to_bytes(4 if family == 4 else 16, "big")


def ipv6_header(src: int, dst: int, nh: int, payload_len: int, flowlabel: int, hlim: int = 64) -> bytes:
    return struct.pack("!IHBB", (6 << 28) | (flowlabel & 0xFFFFF), payload_len, nh, hlim) + _addr_bytes(6, src) + _addr_bytes(6, dst)


def l4_payload(p: Packet, marker: int) -> bytes:
    """The transport header (and a little payload) of probe `p`, checksums included."""
    if p.family == 4:
        pseudo = lambda n: struct.pack("!IIBBH", p.src, p.dst, 0, p.proto, n)  # noqa: E731
    else:
        pseudo = lambda n: _addr_bytes(6, p.src) + _addr_bytes(6, p.dst) + struct.pack("!IxxxB", n, p.proto)  # noqa: E731
    if p.proto == PROTO_TCP:
        flags = p.tcp_flags if p.tcp_flags is not None else 0x02
        seg = struct.pack("!HHIIBBHHH", p.sport or 0, p.dport or 0, 0x5EED0000 | marker, 0, 5 << 4, flags & 0xFF, 65535, 0, 0)
        c = _csum(pseudo(len(seg)) + seg)
        return seg[:16] + struct.pack("!H", c) + seg[18:]
    if p.proto == PROTO_UDP:
        body = b"fwlint-probe"
        seg = struct.pack("!HHHH", p.sport or 0, p.dport or 0, 8 + len(body), 0) + body
        c = _csum(pseudo(len(seg)) + seg) or 0xFFFF
        return seg[:6] + struct.pack("!H", c) + seg[8:]
    if p.proto == PROTO_ICMPV6 and p.family == 6:
        t, code = p.icmp_type or 0, p.icmp_code or 0
        if t in (1, 2, 3, 4):  # errors quote an (invented) datagram: IPv6 header + 8 bytes
            inner_udp = struct.pack("!HHHH", 40000, 53, 8, 0)
            rest = (b"\0\0\x05\x00" if t == 2 else b"\0\0\0\0") + ipv6_header(p.dst, p.src, PROTO_UDP, 8, 0) + inner_udp
        elif t in (135, 136, 137):  # neighbour discovery: reserved/flags, then a target address
            rest = b"\0\0\0\0" + _addr_bytes(6, p.dst) + (_addr_bytes(6, p.dst) if t == 137 else b"")
        else:
            rest = struct.pack("!HH", 0x4657, marker) + b"\0" * 12 + b"fwlint-probe"
        msg = struct.pack("!BBH", t, code, 0) + rest
        c = _csum(pseudo(len(msg)) + msg)
        return msg[:2] + struct.pack("!H", c) + msg[4:]
    if p.proto == PROTO_ICMP:
        t, code = p.icmp_type or 0, p.icmp_code or 0
        if t in (3, 4, 5, 11, 12):  # errors quote an (invented) datagram: IP header + 8 bytes
            inner_udp = struct.pack("!HHHH", 40000, 53, 8, 0)
            rest = b"\0\0\0\0" + ipv4_header(p.dst, p.src, PROTO_UDP, 8, 0x1234) + inner_udp
        else:
            rest = struct.pack("!HH", 0x4657, marker) + b"\0" * 12 + b"fwlint-probe"
        msg = struct.pack("!BBH", t, code, 0) + rest
        c = _csum(msg)
        return msg[:2] + struct.pack("!H", c) + msg[4:]
    if p.proto == 47:  # GRE, version 0, carrying IPv4
        return struct.pack("!HH", 0, 0x0800) + b"\0" * 8
    return b"\0" * 16


def ipv4_packet(p: Packet, marker: int) -> bytes:
    body = l4_payload(p, marker)
    return ipv4_header(p.src, p.dst, p.proto, len(body), marker) + body


def ip_packet(p: Packet, marker: int) -> bytes:
    """The probe as an IP datagram: the marker is the IPv4 ID or the IPv6 flow label."""
    if p.family == 4:
        return ipv4_packet(p, marker)
    body = l4_payload(p, marker)
    return ipv6_header(p.src, p.dst, p.proto, len(body), marker) + body


# --------------------------------------------------------------------------- rulesets


_COUNTERS_RE = re.compile(r"^\[\d+:\d+\]\s*")
_REJECT_RE = re.compile(r"(\s)(?:-j|--jump)\s+REJECT(?:\s+--reject-with\s+\S+)?\s*$")


def filter_block(text: str) -> str | None:
    """The `*filter ... COMMIT` block of an iptables-save text (None when there is none)."""
    lines = text.splitlines()
    out: list[str] = []
    inside = False
    for line in lines:
        s = line.strip()
        if s.startswith("*"):
            inside = s == "*filter"
            if inside:
                out = ["*filter"]
            continue
        if inside:
            if s == "COMMIT":
                out.append("COMMIT")
                return "\n".join(out) + "\n"
            if s and not s.startswith("#"):
                out.append(line.rstrip())
    return None


def rewrite_reject(block: str) -> str:
    """Replace `-j REJECT ...` with `-g FWK_REJECT` (mark, accept): same decision, visible."""
    out = []
    for line in block.splitlines():
        if line == "COMMIT":
            out.append(f"-A {REJECT_CHAIN} -j MARK --set-xmark 0x{REJECT_MARK:x}/0xffffffff")
            out.append(f"-A {REJECT_CHAIN} -j ACCEPT")
            out.append("COMMIT")
            continue
        if line == "*filter":
            out.append(line)
            out.append(f":{REJECT_CHAIN} - [0:0]")
            continue
        body = _COUNTERS_RE.sub("", line)  # `iptables-save -c`: [packets:bytes] -A ...
        if body.startswith(("-A ", "-I ", "--append ", "--insert ")):
            line = _REJECT_RE.sub(rf"\1-g {REJECT_CHAIN}", line)
        out.append(line)
    return "\n".join(out) + "\n"


_SET_RE = re.compile(r"--match-set\s+(\S+)\s+(\S+)")


def ipsets_needed(block: str) -> dict[str, int]:
    """ipset names the rules reference, with their dimension (so loading does not fail)."""
    out: dict[str, int] = {}
    for name, flags in _SET_RE.findall(block):
        out[name] = max(out.get(name, 1), len(flags.split(",")))
    return out


# --------------------------------------------------------------------------- the lab


@dataclass
class Probe:
    """One packet at one hook. `packet` is the fwlint model of it (state from default_state)."""

    hook: str
    packet: Packet
    kind: str = ""  # why it was chosen (boundary, random, ...) for reports


@dataclass
class LoadResult:
    ok: bool
    tool: str = ""
    message: str = ""


def concrete_ok(name: str) -> bool:
    return 0 < len(name) <= IFNAMSIZ and "/" not in name and not any(ch.isspace() for ch in name) and name not in (".", "..") and ":" not in name


@dataclass
class KernelLab:
    """Two namespaces with veth pairs for `interfaces` (concrete names; `lo` is the loopback)."""

    interfaces: Sequence[str]
    family: int = 4
    fw: str = field(init=False)
    peer: str = field(init=False)
    iface_index: dict[str, int] = field(init=False, default_factory=dict)
    loaded_with: str = ""

    def __post_init__(self):
        n = next(_ns_counter)
        self.fw = f"fwk{os.getpid()}-{n}-fw"
        self.peer = f"fwk{os.getpid()}-{n}-pe"

    # -- setup / teardown

    def __enter__(self) -> "KernelLab":
        try:
            self._setup()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def close(self) -> None:
        for ns in (self.fw, self.peer):
            if ns in _live_namespaces:
                subprocess.run(["ip", "netns", "del", ns], capture_output=True)
                _live_namespaces.discard(ns)

    def _setup(self) -> None:
        for ns in (self.fw, self.peer):
            _run(["ip", "netns", "add", ns])
            _live_namespaces.add(ns)
        # defaults first, so that the interfaces created afterwards inherit them
        _run(["ip", "netns", "exec", self.fw, "sysctl", "-q", "-w",
              "net.ipv4.ip_forward=1",
              "net.ipv4.conf.all.rp_filter=0", "net.ipv4.conf.default.rp_filter=0",
              "net.ipv4.conf.all.accept_local=1", "net.ipv4.conf.default.accept_local=1",
              "net.ipv4.conf.all.route_localnet=1", "net.ipv4.conf.default.route_localnet=1",
              "net.ipv4.conf.all.send_redirects=0", "net.ipv4.conf.default.send_redirects=0",
              "net.ipv4.conf.lo.rp_filter=0", "net.ipv4.conf.lo.accept_local=1", "net.ipv4.conf.lo.route_localnet=1",
              "net.ipv4.icmp_ratelimit=0", "net.ipv4.icmp_msgs_per_sec=0",
              "net.ipv4.igmp_max_memberships=65536",
              "net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1"])
        if self.family == 6:
            _run(["ip", "netns", "exec", self.fw, "sysctl", "-q", "-w",
                  "net.ipv6.conf.all.disable_ipv6=0", "net.ipv6.conf.default.disable_ipv6=0",
                  "net.ipv6.conf.lo.disable_ipv6=0", "net.ipv6.conf.all.forwarding=1",
                  "net.ipv6.conf.default.forwarding=1", "net.ipv6.conf.default.addr_gen_mode=1",
                  "net.ipv6.conf.default.accept_dad=0", "net.ipv6.conf.default.accept_ra=0",
                  "net.ipv6.conf.default.router_solicitations=0", "net.ipv6.auto_flowlabels=0",
                  "net.ipv6.icmp.ratelimit=0", "net.ipv6.ip_nonlocal_bind=1"])
        _run(["ip", "netns", "exec", self.peer, "sysctl", "-q", "-w",
              "net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1"])
        fw_cmds = ["link set lo up"]
        peer_cmds = []
        veths = [i for i in dict.fromkeys(self.interfaces) if i != "lo"]
        for i, name in enumerate(veths):
            if not concrete_ok(name):
                raise HarnessError(f"bad interface name {name!r}")
            fw_cmds.append(f"link add name {name} address {self.fw_mac(i)} type veth peer name pv{i} address {self.peer_mac(i)} netns {self.peer}")
            fw_cmds.append(f"link set {name} up")
            peer_cmds.append(f"link set pv{i} up")
            self.iface_index[name] = i
        # routing: mark 1 -> everything local (INPUT); mark 0x100+i -> out of interface i (FORWARD)
        route_cmds = ["rule add pref 100 lookup local", "rule del pref 0",
                      "rule add pref 10 fwmark 0x1 lookup 200",
                      f"route add local {'0.0.0.0/0' if self.family == 4 else '::/0'} dev lo table 200"]
        for name, i in self.iface_index.items():
            route_cmds.append(f"rule add pref {20 + i} fwmark 0x{0x100 + i:x} lookup {300 + i}")
            route_cmds.append(f"route add default dev {name} table {300 + i}")
            if self.family == 6:
                # a raw IPv6 socket bound to a device needs a route out of it; link-local
                # destinations are looked up strictly on the ingress device
                route_cmds.append(f"rule add pref {5000 + i} oif {name} lookup {300 + i}")
                route_cmds.append(f"rule add pref 9 fwmark 0x1 iif {name} lookup {2000 + i}")
                route_cmds.append(f"route add local ::/0 dev {name} table {2000 + i}")
        if self.family == 6 and "lo" in self.interfaces:
            route_cmds += ["rule add pref 4999 oif lo lookup 299", "route add local ::/0 dev lo table 299"]
        if "lo" in self.interfaces:
            self.iface_index["lo"] = -1
        _run(["ip", "-n", self.fw, "-batch", "-"], stdin="\n".join(fw_cmds) + "\n")
        _run(["ip", "-n", self.fw, f"-{self.family}", "-batch", "-"], stdin="\n".join(route_cmds) + "\n")
        _run(["ip", "-n", self.peer, "-batch", "-"], stdin="\n".join(peer_cmds + ["link set lo up"]) + "\n")

    def fw_mac(self, i: int) -> str:
        return f"02:66:77:00:{i >> 8:02x}:{i & 0xFF:02x}"

    def peer_mac(self, i: int) -> str:
        return f"02:66:78:00:{i >> 8:02x}:{i & 0xFF:02x}"

    # -- the ruleset

    def load_filter(self, block: str) -> LoadResult:
        """Load a `*filter` block (REJECT already rewritten). Tries iptables-nft, then legacy."""
        for name, dims in ipsets_needed(block).items():
            kind = {1: "hash:net", 2: "hash:net,net", 3: "hash:ip,port,ip"}.get(dims, "hash:net")
            _run(["ip", "netns", "exec", self.fw, "ipset", "create", name, kind], check=False)
        messages = []
        tools = ("iptables-restore", "iptables-legacy-restore") if self.family == 4 else ("ip6tables-restore", "ip6tables-legacy-restore")
        for tool in tools:
            p = _run(["ip", "netns", "exec", self.fw, tool], stdin=block, check=False)
            if p.returncode == 0:
                self.loaded_with = tool
                self._conntrack_sysctls()
                return LoadResult(True, tool)
            messages.append(f"{tool}: {p.stderr.strip()[:300]}")
        return LoadResult(False, "", "; ".join(messages))

    def _conntrack_sysctls(self) -> None:
        # a lone non-SYN TCP packet is INVALID (no mid-stream pickup), as fwlint's default_state says;
        # checksums are right anyway. Missing keys (conntrack not loaded) are harmless.
        _run(["ip", "netns", "exec", self.fw, "sysctl", "-q", "-e", "-w",
              "net.netfilter.nf_conntrack_tcp_loose=0"], check=False)

    # -- probes

    def _observer(self, id_marks: list[tuple[int, int, int]]) -> str:
        sets = [f"{h}_{k}" for h in ("input", "forward", "output") for k in ("pre", "acc", "rej")]
        fam, mk = self._nft_family, self._nft_marker
        lines = [f"add table {fam} fwkobs", f"delete table {fam} fwkobs", f"table {fam} fwkobs {{"]
        for s in sets:
            key = f"{mk} . meta iifname . meta oifname" if s.endswith("_pre") else mk
            lines.append(f"  set {s} {{ typeof {key}; size 65536; flags dynamic; }}")
        if id_marks:
            elems = ", ".join(f"{lo}-{hi} : 0x{m:x}" if lo != hi else f"{lo} : 0x{m:x}" for lo, hi, m in id_marks)
            lines.append("  chain pre { type filter hook prerouting priority -300; policy accept;")
            lines.append(f"    meta mark set {mk} map {{ {elems} }}")
            lines.append("  }")
        for h in ("input", "forward", "output"):
            lines.append(f"  chain {h}_before {{ type filter hook {h} priority -1; policy accept;")
            lines.append(f"    meta mark set 0x0 add @{h}_pre {{ {mk} . meta iifname . meta oifname }}")
            lines.append("  }")
            lines.append(f"  chain {h}_after {{ type filter hook {h} priority 1; policy accept;")
            lines.append(f"    meta mark 0x{REJECT_MARK:x} add @{h}_rej {{ {mk} }} drop")
            lines.append(f"    add @{h}_acc {{ {mk} }} drop")
            lines.append("  }")
        lines.append("}")
        return "\n".join(lines) + "\n"

    @property
    def _nft_family(self) -> str:
        return "ip" if self.family == 4 else "ip6"

    @property
    def _nft_marker(self) -> str:
        return "ip id" if self.family == 4 else "ip6 flowlabel"

    def _read_sets(self) -> dict[str, dict[int, tuple[str, str]]]:
        """Per set: marker -> (ingress, egress) interface names seen (acc/rej sets: empty names)."""
        p = _run(["ip", "netns", "exec", self.fw, "nft", "-j", "list", "table", self._nft_family, "fwkobs"])
        out: dict[str, dict[int, tuple[str, str]]] = {}
        for item in json.loads(p.stdout).get("nftables", []):
            s = item.get("set")
            if not s:
                continue
            vals: dict[int, tuple[str, str]] = {}
            for e in s.get("elem", []):
                if isinstance(e, dict) and "elem" in e:
                    e = e["elem"].get("val", e)
                if isinstance(e, int):
                    vals[e] = ("", "")
                elif isinstance(e, dict) and "concat" in e:
                    marker, iif, oif = e["concat"]
                    vals[int(marker)] = (str(iif), str(oif))
                else:
                    raise HarnessError(f"unexpected set element {e!r}")
            out[s["name"]] = vals
        return out

    def run(self, probes: Sequence[Probe]) -> list[str]:
        """The kernel's fate of each probe: accept, drop, reject or not-reached."""
        fates: list[str] = []
        for start in range(0, len(probes), MAX_BATCH):
            fates += self._run_batch(probes[start:start + MAX_BATCH])
        return fates

    def _run_batch(self, probes: Sequence[Probe]) -> list[str]:
        # marker = position + 1 (the ID 0 would be replaced by the kernel on OUTPUT)
        marks: list[int] = []
        for pr in probes:
            if pr.hook == "INPUT":
                marks.append(0x1)
            elif pr.hook == "FORWARD":
                marks.append(0x100 + self.iface_index[pr.packet.out_iface])
            else:
                marks.append(0)
        id_marks: list[tuple[int, int, int]] = []
        for i, m in enumerate(marks, start=1):
            if m == 0:
                continue
            if id_marks and id_marks[-1][1] == i - 1 and id_marks[-1][2] == m:
                id_marks[-1] = (id_marks[-1][0], i, m)
            else:
                id_marks.append((i, i, m))
        _run(["ip", "netns", "exec", self.fw, "nft", "-f", "-"], stdin=self._observer(id_marks))

        peer_frames: dict[str, list[bytes]] = {}
        lo_frames: list[bytes] = []
        out_packets: dict[str, list[tuple[bytes, str]]] = {}
        out_index: dict[str, int] = {}
        for marker, pr in enumerate(probes, start=1):
            p = pr.packet
            if p.family != self.family:
                raise HarnessError(f"an IPv{p.family} probe in an IPv{self.family} lab")
            raw = ip_packet(p, marker)
            ethertype = b"\x08\x00" if p.family == 4 else b"\x86\xdd"
            if pr.hook == "OUTPUT":
                out_packets.setdefault(p.out_iface, []).append((raw, p.dst_ip))
            elif p.in_iface == "lo":
                lo_frames.append(b"\0" * 12 + ethertype + raw)
            else:
                i = self.iface_index[p.in_iface]
                frame = _mac(self.fw_mac(i)) + _mac(self.peer_mac(i)) + ethertype + raw
                peer_frames.setdefault(f"pv{i}", []).append(frame)

        with in_netns(self.peer):
            socks = {}
            try:
                for dev in peer_frames:
                    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
                    s.bind((dev, 0))
                    socks[dev] = s
            except BaseException:
                for s in socks.values():
                    s.close()
                raise
        with in_netns(self.fw):
            fw_socks: dict[str, socket.socket] = {}
            lo_sock = None
            try:
                # INPUT of a multicast destination: the ingress interface joins the group
                v4 = self.family == 4
                groups = sorted({(pr.packet.dst, pr.packet.in_iface) for pr in probes
                                 if pr.hook == "INPUT" and (pr.packet.dst >> 28 == 0xE if v4 else pr.packet.dst >> 120 == 0xFF)})
                join_socks: list[socket.socket] = []
                for k, (group, dev) in enumerate(groups):
                    if k % 100 == 0:  # a socket holds a limited number of memberships
                        join_socks.append(socket.socket(socket.AF_INET if v4 else socket.AF_INET6, socket.SOCK_DGRAM))
                        fw_socks[f"\0join{k}"] = join_socks[-1]
                    index = socket.if_nametoindex(dev)
                    try:
                        if v4:
                            mreqn = struct.pack("!I", group) + b"\0\0\0\0" + struct.pack("=i", index)
                            join_socks[-1].setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, mreqn)
                        else:
                            mreq = _addr_bytes(6, group) + struct.pack("=I", index)
                            join_socks[-1].setsockopt(socket.IPPROTO_IPV6, socket.IPV6_JOIN_GROUP, mreq)
                    except OSError:
                        pass  # already a member (224.0.0.1, ff02::1), or a group one cannot join
                if lo_frames:
                    lo_sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
                    lo_sock.bind(("lo", 0))
                for dev in out_packets:
                    s = socket.socket(socket.AF_INET if self.family == 4 else socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_RAW)
                    s.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, dev.encode())
                    out_index[dev] = socket.if_nametoindex(dev)
                    if self.family == 4:
                        s.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
                    fw_socks[dev] = s
            except BaseException:
                for s in list(fw_socks.values()) + list(socks.values()) + ([lo_sock] if lo_sock else []):
                    s.close()
                raise
        try:
            for dev, frames in peer_frames.items():
                s = socks[dev]
                for f in frames:
                    s.send(f)
            if lo_sock is not None:
                for f in lo_frames:
                    lo_sock.send(f)
            for dev, pkts in out_packets.items():
                if dev not in fw_socks:
                    continue
                s = fw_socks[dev]
                addr_tail: tuple = () if self.family == 4 else (0, out_index[dev])  # flowinfo, scope id
                for raw, dst in pkts:
                    try:
                        if self.family == 4:
                            s.sendto(raw, (dst, 0))
                        else:  # the source as packet info, so that the kernel need not choose one
                            info = raw[8:24] + struct.pack("=I", out_index[dev])
                            s.sendmsg([raw], [(socket.IPPROTO_IPV6, socket.IPV6_PKTINFO, info)], 0, (dst, 0) + addr_tail)
                    except OSError:
                        pass  # EPERM when dropped, unreachable, ...: the sets say what happened
        finally:
            for s in list(fw_socks.values()) + list(socks.values()) + ([lo_sock] if lo_sock else []):
                s.close()

        sets = self._read_sets()
        # frames written to a veth are processed in softirq right after the write; make sure
        expected_in = sum(1 for pr in probes if pr.hook != "OUTPUT")
        for _ in range(5):
            seen = len(sets.get("input_pre", ())) + len(sets.get("forward_pre", ()))
            if seen >= expected_in:
                break
            time.sleep(0.05)
            again = self._read_sets()
            if again == sets:
                break
            sets = again
        fates = []
        for marker, pr in enumerate(probes, start=1):
            h = pr.hook.lower()
            seen = sets.get(f"{h}_pre", {})
            if marker not in seen:
                fates.append(NOT_REACHED)
            elif seen[marker] != (pr.packet.in_iface, pr.packet.out_iface):
                # the kernel saw the probe on other interfaces than fwlint is asked about
                fates.append(MISROUTED)
            elif marker in sets.get(f"{h}_rej", ()):
                fates.append(REJECT)
            elif marker in sets.get(f"{h}_acc", ()):
                fates.append(ACCEPT)
            else:
                fates.append(DROP)
        return fates


def _mac(text: str) -> bytes:
    return bytes(int(x, 16) for x in text.split(":"))


def ip_int(text: str) -> int:
    return int(ipaddress.IPv4Address(text))


__all__ = [
    "ACCEPT", "DROP", "REJECT", "NOT_REACHED", "MISROUTED", "HOOKS", "HarnessError", "KernelLab", "LoadResult",
    "Probe", "filter_block", "rewrite_reject", "ipv4_packet", "ip_packet", "missing_tools", "sigterm_cleanup", "ip_int",
]
