"""Translation pair keys: a pair's key, `npi_Deva-eng_Latn`, is the `language` of every record
written for it (samples, scores, tables); a round trip's key names all three legs,
`npi_Deva-eng_Latn-npi_Deva`. The typed Pair and its key are the in-memory records'
(harness.records); this module reads the language a written key is scored in. Standard
library only: analysis reads keys without loading the data sources."""

from __future__ import annotations

from harness.records import SEPARATOR, Pair, pair_of

__all__ = ["SEPARATOR", "Pair", "pair_of", "scored_language"]


def scored_language(key: str) -> str:
    """The language a run key's answers are written in: the language itself, a pair's
    target, or after a round trip the source again."""
    pair = pair_of(key)
    return pair.reference_language if pair is not None else key
