"""FW008 bad suppression: an inline `fwlint: disable=...` directive that is malformed, names an
unknown id, or suppresses nothing.

## What it does
Reads every inline suppression directive (`# fwlint: disable=FW001 -- reason` in iptables-save
and pf.conf, `-m comment --comment "fwlint: disable=..."` on an iptables rule, `! fwlint:
disable=...` and ACL `remark fwlint: disable=...` lines on Cisco IOS and ASA) and reports one
that fwlint cannot read (no `--`, an empty reason, no ids, another keyword than `disable` or
`disable-file`), one that names an id that is neither a check (FW...) nor a requirement of the
policy packs, and one that suppresses nothing: no finding of the id it names stands on the line
it covers (or, for `disable-file`, in the file). An unused directive is reported only for
checks that ran (not for ids that `--select`/`--ignore` left out, nor for a requirement whose
pack was not evaluated on the file).

## Why is this bad?
A suppression is a reviewed exception: it says which finding is accepted and why. A directive
fwlint cannot read hides nothing and misleads the reader; a mistyped id hides nothing either;
and one left behind after the rule it excused was fixed or moved will silently hide the next
real finding on that line. Each must say why, so that the next reviewer can judge it.

## Example
```
# fwlint: disable=FW001
-A INPUT -p tcp --dport 22 -s 192.0.2.0/24 -j ACCEPT
# fwlint: disable=FW01 -- typo
-A INPUT -p tcp --dport 80 -j ACCEPT
```

## Use instead
```
# fwlint: disable=FW001 -- kept until the change of ticket 4711 is rolled out
-A INPUT -p tcp --dport 22 -s 192.0.2.0/24 -j ACCEPT
-A INPUT -p tcp --dport 80 -j ACCEPT
```
FW008 itself can be switched off only for a whole file (`disable-file=FW008 -- reason`),
never for one line.

## References
- SARIF 2.1.0, section 3.34 (suppression objects, `kind: inSource`, `justification`).
- fwlint README, "Suppressions".
"""

from __future__ import annotations

from typing import Iterator

from ..findings import Result
from ..model import Origin

ID = "FW008"
NAME = "bad-suppression"
SEVERITY = "warning"
SUMMARY = "Inline suppression that is malformed, names an unknown id, or suppresses nothing"
TAGS = ("maintainability",)


def check(ctx) -> Iterator[Result]:
    """Nothing per device: FW008 is reported by the suppression pass (linter/suppress.py),
    which reads the directives of each file once every other finding is known."""
    return iter(())


def malformed(origin: Origin, why: str) -> Result:
    return Result(origin, f"malformed suppression: {why} (expected `fwlint: disable[-file]=ID[,ID...] -- reason`)",
                  context="malformed")


def unknown(origin: Origin, rid: str) -> Result:
    hint = ": name the ids to suppress" if rid == "ALL" else \
        " (neither an fwlint check nor a requirement of the policy packs; `fwlint rules` lists them)"
    return Result(origin, f"suppression names unknown id {rid}{hint}", context=f"unknown {rid}")


def unused(origin: Origin, rid: str, scope: str) -> Result:
    return Result(origin, f"suppression of {rid} suppresses nothing: no {rid} finding {scope}",
                  context=f"unused {rid}")


def line_level_fw008(origin: Origin) -> Result:
    return Result(origin, "FW008 cannot be suppressed for one line: use `fwlint: disable-file=FW008 -- reason`",
                  context="fw008 line")
