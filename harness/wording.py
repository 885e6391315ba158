"""Counts in words for what the command line prints: "1 language", "2 languages"."""

from __future__ import annotations


def counted(n: int, noun: str, plural: str | None = None) -> str:
    """`n` and the noun, singular for one: counted(1, "request") is "1 request"."""
    return f"{n} {noun if n == 1 else plural or noun + 's'}"
