"""Platform parsers: one module (or package) per input language; each offers detect and parse.

Layer: platforms (left of the normalized model). Nothing here is imported by the engine,
graph, checks, policies or reporters.
"""
