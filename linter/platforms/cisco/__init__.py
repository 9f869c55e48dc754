"""Cisco platforms: ios/ and asa/, and what they share (common.py)."""
