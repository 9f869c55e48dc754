"""`python -m linter` runs the fwlint command line."""

from .cli import main

main(prog_name="fwlint")
