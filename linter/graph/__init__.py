"""How filters attach to hooks and call each other, and what they do to packets.

Layer: rule graph. Reads only the normalized model and the packet-space engine.

Two evaluators that must agree (a property test holds them to it):

- `trace` (`tracing`, over `concrete`): one concrete packet through a filter, rule by rule,
  following jumps, gotos and returns, with three-valued matching: a condition the model
  holds as opaque is *unknown*, and both outcomes are explored. The answer is exact when
  every explored outcome gives the same verdict.
- `Analysis` (`analysis`, with `outcome` and `facts`): the same semantics over sets of
  packets (BDDs): for each filter, the partition of all packets into accepted, dropped,
  rejected, returned; for each rule, the packets that reach it, that it decides, and what
  the rest of its filter would do to them.

First-match filters (iptables chains, Cisco ACLs) end at the first deciding rule; last-match
filters (pf) are decided by the last matching rule unless a `quick` rule ends them.

The names other modules use are imported from here (`from .graph import trace`).
"""

from __future__ import annotations

from .analysis import Analysis
from .concrete import FATES, VERDICTS, Step, cond_matches, exact_run, match_packet
from .facts import LocalFacts, RuleFacts, last_match_sets
from .outcome import Outcome
from .tracing import Trace, TraceError, deciding, hook_filters, trace
from .witness import WITNESS_BY_RUNS

# a first-match filter with at least this many jumps/gotos is computed locally
# (`Analysis.is_local`; read here, where the tests set it)
LOCAL_CALLS = 0

__all__ = ["FATES", "LOCAL_CALLS", "VERDICTS", "WITNESS_BY_RUNS", "Analysis", "LocalFacts", "Outcome", "RuleFacts",
           "Step", "Trace", "TraceError", "cond_matches", "deciding", "exact_run", "hook_filters", "last_match_sets",
           "match_packet", "trace"]
