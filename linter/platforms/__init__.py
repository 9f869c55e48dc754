"""Platform parsers: one module (or package) per input language; each offers detect and parse.

Layer: platforms (left of the normalized model). Nothing here is imported by the engine,
graph, checks, policies or reporters.
"""

# platform name -> module with detect(text) -> bool and parse(path, data, ...) -> Device,
# imported only when a file of that platform is read (the command line's choices need the
# names alone)
PLATFORMS: dict[str, str] = {
    "iptables": "linter.platforms.iptables",
    "pf": "linter.platforms.pf",
    "cisco-ios": "linter.platforms.cisco.ios",
    "cisco-asa": "linter.platforms.cisco_asa",
}
