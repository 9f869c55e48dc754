"""Names vulture takes for dead code that are used (vulture parses this file; nothing runs it).

Each line names the use vulture does not see.
"""

Decision  # noqa: F821 - linter/api.py: imported for type checking only, used in string annotations
