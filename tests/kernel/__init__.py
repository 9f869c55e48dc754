"""Differential testing of fwlint against the Linux kernel's netfilter (see docs/kernel-differential.md).

`netns` is the harness (namespaces, veth pairs, loading a ruleset, sending probes, reading the
kernel's fate of each), `probes` chooses the packets, `rulesets` gathers and generates the
rulesets. Nothing here imports fwlint except the packet model; the test compares.
"""
