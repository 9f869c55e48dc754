"""Moved to `linter.platforms.common.decoding` (kept for the platform modules not yet
moved to packages)."""

from .common.decoding import BadByte, decode_utf8

__all__ = ["BadByte", "decode_utf8"]
