"""Translation pair keys: a pair's key, `npi_Deva-eng_Latn`, takes the place of a language
everywhere a run is keyed by language (requests, scores, tables); a round trip's key names all
three legs, `npi_Deva-eng_Latn-npi_Deva`. Standard library only: analysis reads keys without
loading the data sources."""

from __future__ import annotations

from dataclasses import dataclass

SEPARATOR = "-"


@dataclass(frozen=True, slots=True)
class Pair:
    source: str
    target: str
    round_trip: bool = False  # source -> target -> source

    @property
    def key(self) -> str:
        legs = [self.source, self.target] + ([self.source] if self.round_trip else [])
        return SEPARATOR.join(legs)

    @property
    def reference_language(self) -> str:
        """The language of what is scored: the target, or the source after a round trip."""
        return self.source if self.round_trip else self.target

    @property
    def scored_leg(self) -> tuple[str, str]:
        """The language the scored output translates from, and the one it is written in
        (a round trip's scored leg goes back from the pivot to the source)."""
        return (self.target, self.source) if self.round_trip else (self.source, self.target)

    def reversed(self) -> Pair:
        return Pair(self.target, self.source)


def pair_of(key: str) -> Pair | None:
    """The pair a run key stands for, or None for a plain language code."""
    if SEPARATOR not in key:
        return None
    legs = key.split(SEPARATOR)
    return Pair(legs[0], legs[1], round_trip=len(legs) == 3)


def scored_language(key: str) -> str:
    """The language a run key's answers are written in: the language itself, a pair's
    target, or after a round trip the source again."""
    pair = pair_of(key)
    return pair.reference_language if pair is not None else key


def translation_languages(key: str) -> tuple[str, str]:
    """The language a scored output translates from, and the one it is written in."""
    pair = pair_of(key)
    return pair.scored_leg if pair is not None else (key, key)
