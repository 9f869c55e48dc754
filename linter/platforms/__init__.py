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
    "cisco-asa": "linter.platforms.cisco.asa",
}


def declare_traits() -> None:
    """Tell the model what each platform's devices are like (platforms/traits.py): a device
    gets its platform's traits when it is made, so the code right of the model reads them
    instead of comparing platform names. Through `linter.traits` alone, not the model: the
    command line imports this package for the platforms' names, and `--version` or `--help`
    should not pay for the model."""
    from ..traits import declare_traits as declare
    from .traits import TRAITS

    for name, traits in TRAITS.items():
        declare(name, traits)


declare_traits()
