"""Packets as users write them: the compact text form (`parse_packet_spec`), JSON-lines
records (`packet_from_dict`) and the files that hold them (`read_jsonl`), as `trace` reads
them; a witness's text and JSON read back as the same packet.

Layer: api (beside `linter.api`, which re-exports these)."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path
from typing import Iterator

from . import files
from . import model as m
from .files import InputError
from .names import proto_number, read_int


def parse_packet_spec(text: str) -> dict:
    """The compact form `tcp 203.0.113.5:40000 -> 10.0.1.10:443 in eth0 [out eth1]`
    (also `icmp A -> B type 8 code 0`, `[2001:db8::1]:443`, `hook FORWARD`, `flags SYN,ACK`,
    `state ESTABLISHED`, `dir out`, `filter NAME`, `holds KEY` (repeated)) -> a dict in the
    JSON-lines form. A value with blanks is written as a JSON string (`filter "zone-pair a
    b"`). A witness's text (`Packet.__str__`) reads back as the same packet."""
    head, arrow, tail = text.partition("->")
    words = head.split()
    if not arrow or len(words) != 2:
        raise ValueError(f"cannot read packet {text!r}: expected 'PROTO SRC[:PORT] -> DST[:PORT] [in IF] [out IF]'")
    rest = _spec_words(tail, text)
    if not rest:
        raise ValueError(f"cannot read packet {text!r}: expected 'PROTO SRC[:PORT] -> DST[:PORT]'")
    out: dict = {"proto": words[0]}
    out["src"], out["sport"] = _addr_port(words[1], "source")
    out["dst"], out["dport"] = _addr_port(rest.pop(0), "destination")
    keys = {"in": "in_iface", "out": "out_iface", "hook": "hook", "type": "icmp_type", "code": "icmp_code",
            "flags": "tcp_flags", "state": "state", "dir": "direction", "direction": "direction",
            "filter": "filter", "holds": "holds"}
    while rest:
        k = rest.pop(0)
        if k not in keys or not rest:
            raise ValueError(f"cannot read packet {text!r}: unexpected {k!r}")
        v = rest.pop(0)
        if keys[k] in ("icmp_type", "icmp_code") and not v.isdigit():
            raise ValueError(f"cannot read packet {text!r}: {k} {v!r} is not a number")
        if k == "holds":
            out.setdefault("holds", []).append(v)
            continue
        out[keys[k]] = read_int(v) if keys[k] in ("icmp_type", "icmp_code") else v
    return out


_SPEC_WORD = re.compile(r'"(?:[^"\\]|\\.)*"|[^\s"]+|"')


def _spec_words(text: str, whole: str) -> list[str]:
    """The words of the compact form after its arrow: plain words, and JSON strings for
    values with blanks or quotes."""
    out = []
    for w in _SPEC_WORD.findall(text):
        if w.startswith('"'):
            try:
                w = json.loads(w)
            except json.JSONDecodeError:
                raise ValueError(f"cannot read packet {whole!r}: unterminated quoted value") from None
        out.append(w)
    return out


def _addr_port(text: str, side: str = "source") -> tuple[str, int | None]:
    if text.startswith("["):
        addr, _, port = text[1:].partition("]")
        port = port.lstrip(":")
        return addr, _port(port, side) if port else None
    if text.count(":") == 1:
        addr, port = text.split(":")
        return addr, _port(port, side)
    return text, None


def _port(text: str, side: str) -> int:
    if not text.isdigit() or read_int(text) > 65535:
        raise ValueError(f"{side} port {text[:20]!r}: expected a number from 0 to 65535")
    return int(text)


def _address(value, key: str):
    """An IPv4 or IPv6 host address of a packet; a zone id (fe80::1%eth0) names an interface,
    not part of the packet, and is refused rather than dropped."""
    import ipaddress

    text = str(value)
    if "%" in text:
        raise ValueError(f"{key} {text!r}: a zone id (%{text.split('%', 1)[1]}) is no part of a packet; "
                         "give the address alone and the interface with `in`/`out`")
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        raise ValueError(f"{key} {text!r}: not an IPv4 or IPv6 address") from None


def packet_from_dict(d: dict) -> tuple[m.Packet, bool]:
    """A JSON-lines record -> (packet, state given explicitly)."""
    _check_fields(d)
    src = _address(d["src"], "src")
    dst = _address(d["dst"], "dst")
    if src.version != dst.version:
        raise ValueError("source and destination are of different address families")
    proto = _protocol(d, src.version)
    flags = _tcp_flags(d.get("tcp_flags"))
    ports = proto in m.PORT_PROTOCOLS
    icmp = proto in (m.PROTO_ICMP, m.PROTO_ICMPV6)

    pkt = m.Packet(
        family=src.version,
        src=int(src),
        dst=int(dst),
        proto=proto,
        sport=(_whole(d, "sport", 65535) if d.get("sport") is not None else 40000) if ports else None,
        dport=(_whole(d, "dport", 65535) if d.get("dport") is not None else 0) if ports else None,
        icmp_type=(_whole(d, "icmp_type", 255) if d.get("icmp_type") is not None else 8) if icmp else None,
        icmp_code=(_whole(d, "icmp_code", 255) or 0) if icmp else None,
        tcp_flags=flags if proto == m.PROTO_TCP else None,
        in_iface=str(d.get("in_iface") or ""),
        out_iface=str(d.get("out_iface") or ""),
        # (a side of a per-interface device, `hook in|out`, is the packet's direction too)
        direction=str(d.get("direction") or (d["hook"] if d.get("hook") in ("in", "out") else "in")),
        holds=_holds(d.get("holds")),
    )
    state = d.get("state")
    if state:
        state = str(state).upper()
        if state not in m.STATES:
            raise ValueError(f"unknown state {state!r} (one of {', '.join(m.STATES)})")
        return dataclasses.replace(pkt, state=state), True
    st, _exact = m.default_state(pkt)
    return dataclasses.replace(pkt, state=st), False


def _check_fields(d: dict) -> None:
    """Both addresses given; every field a number or a string (`holds` also a list of them)."""
    for key in ("src", "dst"):
        if key not in d or d[key] is None:
            raise ValueError(f"missing field {key!r}")
    for key, value in d.items():
        if key == "holds" and _strings(value):
            continue
        if isinstance(value, (dict, list)):
            raise ValueError(f"field {key!r}: expected a number or a string, got {type(value).__name__}")


def _protocol(d: dict, version: int) -> int:
    """The record's protocol number (default tcp; icmp of an IPv6 packet is ICMPv6)."""
    proto_raw = d.get("proto", "tcp")
    proto = proto_number(str(proto_raw)) if proto_raw is not None else 6
    if proto is None:
        raise ValueError(f"unknown protocol {proto_raw!r}")
    if proto == m.PROTO_ICMP and version == 6:
        proto = m.PROTO_ICMPV6
    return proto


def _tcp_flags(flags) -> int | None:
    """TCP flags given by names (`SYN,ACK`, `SYN|ACK`, `NONE`) or as a number."""
    if isinstance(flags, str):
        bits = 0
        for name in flags.upper().replace("|", ",").split(","):
            name = name.strip()
            if name and name != "NONE":
                if name not in m.TCP_FLAG_BITS:
                    raise ValueError(f"unknown TCP flag {name!r}")
                bits |= m.TCP_FLAG_BITS[name]
        return bits
    if flags is not None and (isinstance(flags, bool) or not isinstance(flags, int) or not 0 <= flags <= 255):
        raise ValueError(f"tcp_flags {flags!r}: expected names (SYN,ACK) or a number from 0 to 255")
    return flags


def _whole(d: dict, key: str, hi: int) -> int | None:
    """The whole number d[key] (from 0 to hi), or None when it is not given."""
    v = d.get(key)
    if v is None:
        return None
    if isinstance(v, bool) or not (isinstance(v, int) or (isinstance(v, str) and v.strip().isdigit())):
        raise ValueError(f"{key} {v!r}: expected a whole number from 0 to {hi}")
    v = read_int(v)
    if not 0 <= v <= hi:
        raise ValueError(f"{key} out of range (0 to {hi})")
    return v


def _strings(value) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


def _holds(value) -> tuple[str, ...]:
    """The opaque conditions a packet takes as holding (a witness's `holds`): a list of
    their keys, or one key."""
    if value is None or value == "":
        return ()
    if isinstance(value, str):
        return (value,)
    if not _strings(value):
        raise ValueError(f"holds {value!r}: expected the keys of opaque conditions (strings)")
    return tuple(dict.fromkeys(value))


def read_jsonl(path: str | Path) -> Iterator[dict]:
    """The packets of a JSON Lines file (a regular file named on the command line, bounded
    like a configuration). A line that is not a JSON object of scalars is an error naming the
    file and the line; the values themselves are checked by packet_from_dict."""
    shown = files.display(path)
    data = files.read_file(path, named=True, what="packets file")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise InputError(f"{shown}: not UTF-8 (byte {e.start})") from None
    for n, line in enumerate(text.splitlines(), 1):
        if line.strip():
            try:
                rec = json.loads(line)
            except json.JSONDecodeError as e:
                raise InputError(f"{shown}:{n}: not JSON: {e.msg}") from None
            except RecursionError:
                raise InputError(f"{shown}:{n}: nested too deeply to be a packet") from None
            if not isinstance(rec, dict):
                raise InputError(f"{shown}:{n}: expected a JSON object, got {type(rec).__name__}")
            for key, value in rec.items():
                if key == "holds" and _strings(value):
                    continue  # (the one list a packet has: the opaque conditions it holds)
                if isinstance(value, (dict, list)):
                    raise InputError(f"{shown}:{n}: field {key!r}: expected a number or a string, "
                                     f"got {'a list' if isinstance(value, list) else 'an object'}")
            yield rec
