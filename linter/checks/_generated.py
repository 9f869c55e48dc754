"""Chains that firewall managers generate (ufw, firewalld, docker, fail2ban): recognised by
name and structure, so that FW006 does not call their unused skeleton chains unused and FW002
does not call their plumbing (a jump into one of their chains, the RETURN that hands a packet
back from one) redundant. Their hooks are empty or redundant by design: the tool fills them
at run time, and the user does not edit them.

A tool is recognised only when the ruleset has its structure (`_SIGNATURES`): a built-in chain
jumps into its skeleton. Then its chains are those whose names it uses:

| tool | recognised when | its chains |
|---|---|---|
| ufw | a built-in chain jumps to `ufw-before-input` (`ufw6-` for IPv6) or another `ufw-before-*`/`ufw-after-*` chain | every `ufw-*` / `ufw6-*` chain |
| firewalld | a built-in chain jumps to `<HOOK>_direct`, `<HOOK>_ZONES`, `FORWARD_IN_ZONES`, `<HOOK>_dispatch` or `<HOOK>_POLICIES_*` | those chains (`PREROUTING`, `INPUT`, `FORWARD`, `OUTPUT`, `POSTROUTING` with `_direct`, `_ZONES`, `_ZONES_SOURCE`, `_dispatch`, `_POLICIES`, `_POLICIES_pre`, `_POLICIES_post`; `FORWARD_IN_ZONES`, `FORWARD_OUT_ZONES` and their `_SOURCE`), and the zone and policy chains they lead to (`IN_`, `FWDI_`, `FWDO_`, `FWD_`, `PRE_`, `POST_`, `OUT_` + a name), with their `_pre`, `_log`, `_deny`, `_allow`, `_post` and `_dispatch_stage2` chains |
| docker | a built-in chain jumps to `DOCKER` or a `DOCKER-*` chain | `DOCKER`, `DOCKER-*` and `DOCKER_*` chains (`DOCKER-USER`, `DOCKER-ISOLATION-STAGE-1`, `DOCKER-FORWARD`, ...) |
| fail2ban | a chain named `f2b-NAME` or `fail2ban-NAME` ends with an unconditional `-j RETURN` and its other rules drop or reject (the bans) | that chain |

The rules users write into these chains (`ufw allow` in `ufw-user-input`, a zone's services
in `IN_public_allow`, `DOCKER-USER`) are still checked: only the plumbing is passed over.
"""

from __future__ import annotations

import re

from ..model import Device, Filter, Rule

_HOOKS = "PREROUTING|INPUT|FORWARD|OUTPUT|POSTROUTING"
_FIREWALLD_SKELETON = re.compile(
    rf"(?:{_HOOKS})_(?:direct|ZONES|ZONES_SOURCE|dispatch|POLICIES|POLICIES_pre|POLICIES_post)"
    r"|FORWARD_(?:IN|OUT)_ZONES(?:_SOURCE)?")
# a zone's (or policy's) chain, and the chains it calls: IN_public, IN_public_allow, ...
_FIREWALLD_ZONE = re.compile(r"(?:IN|FWDI|FWDO|FWD|PRE|POST|OUT)_[^\s]+")
_FIREWALLD_PART = re.compile(r"(.+)_(?:pre|log|deny|allow|post|dispatch_stage2)")
_UFW = re.compile(r"ufw6?-.+")
_UFW_HOOK = re.compile(r"ufw6?-(?:before|after)-.+")
_DOCKER = re.compile(r"DOCKER(?:[-_].+)?")
_FAIL2BAN = re.compile(r"(?:f2b|fail2ban)-.+")

MEMO_KEY = "generated-chains"  # (CheckContext.memo: computed once per device)


def generated_chains(device: Device) -> dict[tuple[str, str], str]:
    """(table, chain) -> the tool that generates it, for every chain of the device that one
    of the tools above generates."""
    by_key = {(f.table, f.name): f for f in device.filters if f.table}
    calls = {k: [r.action.target for r in f.rules if _calls(r)] for k, f in by_key.items()}
    out: dict[tuple[str, str], str] = {}
    for (table, name), f in by_key.items():
        if not f.builtin:
            continue
        for target in calls[(table, name)]:
            tool = _hooked_tool(target)
            if tool is not None and (table, target) in by_key:
                out.setdefault((table, target), tool)
    tools_in = {(table, tool) for (table, _), tool in out.items()}
    for (table, name), f in by_key.items():
        if f.builtin:
            continue
        if (table, "ufw") in tools_in and _UFW.fullmatch(name):
            out.setdefault((table, name), "ufw")
        elif (table, "docker") in tools_in and _DOCKER.fullmatch(name):
            out.setdefault((table, name), "docker")
        elif (table, "firewalld") in tools_in and _FIREWALLD_SKELETON.fullmatch(name):
            out.setdefault((table, name), "firewalld")
        elif _FAIL2BAN.fullmatch(name) and _is_ban_chain(f):
            out.setdefault((table, name), "fail2ban")
    _firewalld_zones(by_key, calls, out)
    return out


def _calls(rule: Rule) -> bool:
    return rule.action.kind in ("jump", "goto") and bool(rule.action.target)


def _hooked_tool(target: str) -> str | None:
    """The tool whose skeleton a built-in chain's jump to `target` enters."""
    if _UFW_HOOK.fullmatch(target):
        return "ufw"
    if _FIREWALLD_SKELETON.fullmatch(target):
        return "firewalld"
    if _DOCKER.fullmatch(target):
        return "docker"
    return None


def _is_ban_chain(f: Filter) -> bool:
    """fail2ban's chain: the bans (drop or reject), then an unconditional RETURN."""
    if not f.rules:
        return False
    last = f.rules[-1]
    if last.action.kind != "return" or last.match.conds:
        return False
    return all(r.action.kind in ("drop", "reject") for r in f.rules[:-1])


def _firewalld_zones(by_key: dict, calls: dict, out: dict) -> None:
    """The zone and policy chains firewalld's dispatch chains lead to, and their parts:
    followed from the skeleton, a chain at a time (chains call chains to any depth)."""
    stack = [k for k, tool in out.items() if tool == "firewalld"]
    while stack:
        table, name = stack.pop()
        for target in calls.get((table, name), ()):
            key = (table, target)
            if key in out or key not in by_key or not _FIREWALLD_ZONE.fullmatch(target):
                continue
            part = _FIREWALLD_PART.fullmatch(target)
            # a zone's part is called from the zone's own chain; a zone from a dispatch chain
            if part is not None and part.group(1) != name and _FIREWALLD_SKELETON.fullmatch(name) is None:
                continue
            out[key] = "firewalld"
            stack.append(key)


def _of(ctx) -> dict[tuple[str, str], str]:
    memo = ctx.memo
    if MEMO_KEY not in memo:
        memo[MEMO_KEY] = generated_chains(ctx.device)
    return memo[MEMO_KEY]


def generated_by(ctx, table: str, name: str) -> str | None:
    """The tool that generates chain `name` of `table` (FW006: not reported as unused), or None."""
    return _of(ctx).get((table, name))


def generated_plumbing(ctx, f: Filter, rule: Rule) -> str | None:
    """The tool whose plumbing `rule` is, or None: a jump or goto into one of its chains, or
    a RETURN in one of its chains (FW002 does not report these as redundant: the hooks are
    empty or hand packets back by design, and filled at run time)."""
    chains = _of(ctx)
    if not f.table:
        return None
    if _calls(rule) and (f.table, rule.action.target) in chains:
        return chains[(f.table, rule.action.target)]
    if rule.action.kind == "return":
        return chains.get((f.table, f.name))
    return None
