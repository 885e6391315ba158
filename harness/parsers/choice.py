"""Multiple-choice answers: the letter (A, B, ...) of the option the reply picks, or None.

Tried in order, the first that decides wins:
1. a stated answer: the option named right after the last answer phrase that names one:
   `the_answer_is`, an answer word with a colon, dash or copula ("Antwort: C", "the correct
   option is D", "Die Antwort lautet B", "the answer should be B", "正解はD", "정답은 B"), a hedge
   ("probably B", "wahrscheinlich C"), one chained to it ("es la opción C", "est l'option B",
   "คือ ข้อ ค"), or an answer word whose label the copula closes ("सही उत्तर (ख) है।");
2. the reply's opening: a first line that is only a label ("B", "**B.**", "(B)", "(খ)"), a label
   with its own option's text ("C. contradiction"), a label with an option word ("A şıkkı",
   "Option B:"), an ordinal form ("La seconda alternativa", "the second option"), one
   option's text ("contradiction", "Paris. It is the capital"), or a label set off by a full
   stop or bracket before a text that is no other option's ("C. Elles pouvant abrir ...");
3. a line that is only a label, or a label and its own option's text, where all such lines
   name one option ("...\\n\\nD. Weniger Fingerbewegungen");
4. the label right after the last other answer phrase ("Option B: Paris");
5. a reply that is exactly one option's text;
6. the label mentioned most often, with the options' texts blanked out first (so "B) Vitamin C"
   is B); a tie between different labels decides nothing;
7. the one option whose text the reply contains.
Tiers 6 and 7 read the reply without its lists of the options.
A reply cut by the token limit (`complete=False`) is read with tiers 1 to 3 only: what it
mentions while reasoning is no answer.

An option is named by its label, by its text, or by an ordinal form: an ordinal of the
language's `ordinals` next to one of its `option_words`, in either order ("the second option",
"chaguo la pili"). A reply that lists the options ("A. x\\nB. y", "B. x C. y D. z": labels each
followed by their own option's text, or lines that are each an option's text) states none of
them by that list.

Labels are the language's `choice_labels`, the Latin letters and its `native_labels` (ক খ গ ঘ,
أ ب ج د), all mapped back by position. A label must stand alone (not inside a word, next to a
digit). Outside an answer phrase only a Latin label's exact case counts, and one opening a
sentence and followed by a lowercase word ("A robe takes ...", "E poi ...") is read as a word; a
native label counts there only when set off as a label ("(খ)", "খ)", "খ.").

In the completion format the reply continues the prompt: where the prompt ends with an answer
phrase ("Answer:"), the reply is read as that phrase's value ("Answer:" + " C").
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from harness.literals import REFERENCE_LANGUAGE, Literals, get_literals
from harness.parsers._text import (
    Phrase,
    Prompt,
    bounded,
    closed_by_copula,
    copula_words,
    ends_word,
    find_phrases,
    fold,
    skip_connector,
    starts_word,
    strip_reasoning,
    with_cue,
)

LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_MARKS_BEFORE = ("(", "[", "*")
_MARKS_AFTER = ("", ".", ")", "]", ":", ",", ";", "*", "\n")
_ELISION = re.compile(r"'[^\W\d_]")
_NEXT_WORD = re.compile(r"\s+([^\W\d_]+)[\s,]*")
_SENTENCE_END = (".", "!", "?", ":", "\n", "。", "।", "۔", "։")
# A short lowercase word between a stated answer and its label: an article ("la C", "l'option").
_ARTICLE = re.compile(r"([^\W\d_]{1,2})(?:\s+|'\s*)")
# An article opening a line before an ordinal form: "La seconda alternativa", "The second".
_LEADING_ARTICLE = re.compile(r"[^\W\d_]{1,3}(?:\s+|')")
# How a native label is set off outside an answer phrase: "(খ)", "[খ]", "**খ**", "খ)", and
# "খ. " or "খ: " after a space (not the end of a dotted abbreviation: "ก.ค. ").
_NATIVE_CLOSED = re.compile(r"[)\]]|\*\*")
_NATIVE_STOPPED = re.compile(r"[.:](?:\s|$)")
# Markdown, bullets and quotes around a line's start or end.
_LINE_EDGE = "*_#>`\"'“”«» \t"
# What sets a label off before its option's text: "C. x", "C) x", "(C) x", "C: x", "C - x".
_LABEL_MARK = re.compile(r"\)?\s*[.):\-–—]?\s*")
# What may end an opening answer: the line's end, closing markdown ("**B. x** because"), or
# punctuation, and whatever follows.
_OPENING_END = re.compile(r"\s*(?:\*\*|__)|[\s*_]*(?:$|\n|[.,;:!?…)\]\-–—。，、।۔։])")
# The full stop that ends an option's text, which a reply may leave out ("Era piccolo.").
_OPTION_END = ".。।۔։!?！？"
# What sets off a label that opens a reply: "C.", "C)", "(C)" (not "A:", which may be "Answer:").
_SET_OFF_MARK = re.compile(r"[.)\]](?:\s|$)")
# What sets off a label opening a line of a list: "A.", "A)", "(A)", "A:".
_LINE_LABEL_END = re.compile(r"[.):\]](?:\s|$)")
# Between the items of a list: spaces, line breaks, bullets, the full stops and commas that
# end an item, markdown.
_ITEM_GAP = re.compile(r"[\s,;*_\-•.。，；、]*")


@dataclass(frozen=True)
class _Labels:
    pairs: tuple[tuple[str, int], ...]  # (label, option index), longest label first
    native: frozenset[str]  # the labels from native_labels
    pattern: re.Pattern[str]  # any label, exact case

    def index(self, label: str) -> int | None:
        for text, index in self.pairs:
            if label == text or label.casefold() == text.casefold():
                return index
        return None


@dataclass(frozen=True)
class _Words:
    """The language's (and English's) ordinals and option words, as patterns."""

    ordinal: re.Pattern[str]  # any ordinal word
    positions: dict[str, int]  # case-folded ordinal -> option index
    option_word: re.Pattern[str]  # any option word


@dataclass(frozen=True)
class _Reply:
    text: str
    literals: Literals
    labels: _Labels
    words: _Words
    choices: tuple[str, ...]
    phrases: tuple[Phrase, ...]
    listed: frozenset[int]  # where the labels of a list of the options stand
    cut: bool = False  # the token limit cut the reply (its last line is unfinished)


def parse_choice(
    text: str,
    literals: Literals,
    choices: Sequence[str] | None = None,
    *,
    complete: bool = True,
    prompt: Prompt = None,
    form: str | None = None,
) -> str | None:
    """The picked option's Latin letter ("A" for the first), or None when undecided.
    `choices` are the option texts, used to recognise a restated option. When `complete` is
    False only a stated answer counts (see the module docstring). `prompt` is the request's
    prompt (its answer cue is read with the reply); `form` is not used."""
    body = fold(with_cue(strip_reasoning(text), prompt, literals))
    if not body:
        return None
    count = min(len(choices) if choices else len(literals.choice_labels), len(LETTERS))
    folded = tuple(fold(choice).strip().rstrip(_OPTION_END).rstrip() for choice in choices or ())
    labels = _labels(literals, count)
    reply = _Reply(
        body,
        literals,
        labels,
        _words(literals, count),
        folded,
        tuple(find_phrases(body, literals, hedged=True)),
        _listed(body, labels, folded),
        cut=not complete,
    )
    for tier in _TIERS if complete else _STATED_TIERS:
        index = tier(reply)
        if index is not None:
            return LETTERS[index]
    return None


def _stated(reply: _Reply) -> int | None:
    """The answer after the last phrase that states one (tier 1 of the module docstring)."""
    chained = _chained(reply)
    for phrase, linked in reversed(list(zip(reply.phrases, chained, strict=True))):
        found = _answer_at(reply, phrase.value_at)
        if found is None:
            continue
        index, end = found
        if phrase.introduced or linked or closed_by_copula(reply.text, end, reply.literals):
            return index
    return None


def _chained(reply: _Reply) -> list[bool]:
    """Per phrase: whether it follows a stated phrase, at most an article between
    ("is option C", "es la opción C", "est l'option B", "คือ ข้อ ค")."""
    chained = [False] * len(reply.phrases)
    for i in range(1, len(reply.phrases)):
        before, phrase = reply.phrases[i - 1], reply.phrases[i]
        gap_end = _skip_article(reply.text, before.value_at)
        linked = phrase.start in (before.value_at, gap_end)
        chained[i] = linked and (before.introduced or chained[i - 1])
    return chained


def _opening(reply: _Reply) -> int | None:
    """The answer the reply opens with (tier 2 of the module docstring)."""
    text = reply.text
    start = len(text) - len(text.lstrip())
    line_end = text.find("\n", start)
    line = text[start : line_end if line_end >= 0 else len(text)]
    pos = start
    while pos < len(text) and text[pos] in _LINE_EDGE:
        pos += 1
    bare = reply.labels.index(line.strip().strip("*_()[]{}.:#> \t"))
    if bare is not None:
        return bare if pos not in reply.listed else None
    readers = (_labelled_option, _label_with_word, _ordinal_at, _option_opening, _marked_label)
    for read in readers:
        found = read(reply, pos)
        if found is not None and _OPENING_END.match(text, found[1]):
            return found[0]
    return None


def _answer_line(reply: _Reply) -> int | None:
    """The option of the reply's lines that are only a label, or a label and its own option's
    text ("D. Weniger Fingerbewegungen"), where all such lines name that one option. A lone
    label where the token limit cut the reply is no line of its own: the cut fell in it
    (a list of the options cut after its last label, "A. x\nB. y\nC")."""
    named = set()
    for match in re.finditer(r"[^\n]+", reply.text):
        line = match.group().strip(_LINE_EDGE)
        if not line:
            continue
        start = match.start() + match.group().index(line)
        bare = reply.labels.index(line.strip("()[]{}.:"))
        found = _labelled_option(reply, start)
        unfinished = reply.cut and match.end() == len(reply.text)
        if bare is not None and start not in reply.listed and not unfinished:
            named.add(bare)
        elif found is not None and not reply.text[found[1] : match.end()].strip(_LINE_EDGE + ".:"):
            named.add(found[0])
    return named.pop() if len(named) == 1 else None


def _after_phrase(reply: _Reply) -> int | None:
    for phrase in reversed(reply.phrases):
        found = _label_at(reply.text, phrase.value_at, reply.labels)
        if found is not None:
            return found[0]
    return None


def _exact_option(reply: _Reply) -> int | None:
    said = _normal(reply.text)
    matches = [i for i, choice in enumerate(reply.choices) if _normal(choice) == said]
    return matches[0] if len(matches) == 1 else None


def _most_mentioned(reply: _Reply) -> int | None:
    text = _mask_options(_unlisted(reply), reply.choices)
    counts: Counter[int] = Counter()
    for match in reply.labels.pattern.finditer(text):
        start, end = match.span()
        index = reply.labels.index(match.group())
        if index is None or not bounded(text, start, end, label=True):
            continue
        if _counts_as_label(text, start, end, reply):
            counts[index] += 1
    ranked = counts.most_common(2)
    if not ranked or (len(ranked) == 2 and ranked[0][1] == ranked[1][1]):
        return None
    return ranked[0][0]


def _contained_option(reply: _Reply) -> int | None:
    said = _normal(_unlisted(reply))
    found = {i: _normal(c) for i, c in enumerate(reply.choices) if _contains(said, _normal(c))}
    kept = [i for i, t in found.items() if not any(t != u and t in u for u in found.values())]
    return kept[0] if len(kept) == 1 else None


def _unlisted(reply: _Reply) -> str:
    """The reply without its lists of the options (each item from its label to its line's
    end): a list mentions every option and picks none."""
    text = reply.text
    for start in sorted(reply.listed, reverse=True):
        end = text.find("\n", start)
        text = text[:start] + text[end if end >= 0 else len(text) :]
    return text


_STATED_TIERS: tuple[Callable[[_Reply], int | None], ...] = (_stated, _opening, _answer_line)
_TIERS: tuple[Callable[[_Reply], int | None], ...] = (
    *_STATED_TIERS,
    _after_phrase,
    _exact_option,
    _most_mentioned,
    _contained_option,
)


def _answer_at(reply: _Reply, pos: int) -> tuple[int, int] | None:
    """(option index, end) of the option named at `pos` (its label, an ordinal form or its
    text), or after an article there. A label that is an item of a list of the options names
    none of them."""
    for start in dict.fromkeys((pos, _skip_article(reply.text, pos))):
        if start in reply.listed:
            return None
        label = _label_at(reply.text, start, reply.labels)
        found = label or _ordinal_at(reply, start) or _option_at(reply, start)
        if found is not None:
            return found
    return None


def _skip_article(text: str, pos: int) -> int:
    """`pos` moved past a short lowercase word ("la", "l'") and what follows it."""
    article = _ARTICLE.match(text, pos)
    if article is None or any(c.isupper() for c in article.group(1)):
        return pos
    return skip_connector(text, article.end())


def _label_at(text: str, pos: int, labels: _Labels) -> tuple[int, int] | None:
    """(option index, end) of the label at `pos` (a lowercase letter only when set off: "(b)",
    "b." or "b" at the end). What precedes `pos` is an answer phrase, so only the label's end
    must be a word boundary ("คือข้อข" is ข)."""
    for label, index in labels.pairs:
        end = pos + len(label)
        found = text[pos:end]
        exact = found == label
        if not exact and not (found.casefold() == label.casefold() and _set_off(text, pos, end)):
            continue
        if ends_word(text, end, label=True):
            return index, end
    return None


def _option_at(reply: _Reply, pos: int) -> tuple[int, int] | None:
    """(option index, end) of the longest option text at `pos` ("Die Antwort ist Paris")."""
    said = reply.text[pos:].casefold()
    options = [(choice.casefold(), i) for i, choice in enumerate(reply.choices) if choice]
    found = [
        (len(option), i)
        for option, i in options
        if said.startswith(option) and ends_word(said, len(option))
    ]
    if not found:
        return None
    length, index = max(found)
    return index, pos + length


def _ordinal_at(reply: _Reply, pos: int) -> tuple[int, int] | None:
    """(option index, end) of an ordinal form at `pos`, an article before it allowed: an ordinal
    and an option word, in either order ("the second option", "chaguo la pili")."""
    text, words = reply.text, reply.words
    article = _LEADING_ARTICLE.match(text, pos)
    for start in dict.fromkeys((pos, article.end() if article else pos)):
        first = _word_at(words.ordinal, text, start)
        if first is not None:
            second = _word_at(words.option_word, text, _gap(text, first.end()))
        else:
            first = _word_at(words.option_word, text, start)
            second = _word_at(words.ordinal, text, _gap(text, first.end())) if first else None
        if first is None or second is None:
            continue
        ordinal = first if first.re is words.ordinal else second
        return words.positions[_key(ordinal.group())], second.end()
    return None


def _label_with_word(reply: _Reply, pos: int) -> tuple[int, int] | None:
    """(option index, end) of a label named with an option word at `pos`: "A şıkkı",
    "Option B", "Seçenek C"."""
    text = reply.text
    label = _label_at(text, pos, reply.labels)
    if label is not None:
        word = _word_at(reply.words.option_word, text, _gap(text, label[1]))
        return (label[0], word.end()) if word is not None else None
    word = _word_at(reply.words.option_word, text, pos)
    if word is None:
        return None
    start = skip_connector(text, word.end())
    return None if start in reply.listed else _label_at(text, start, reply.labels)


def _marked_label(reply: _Reply, pos: int) -> tuple[int, int] | None:
    """(option index, end) of a label set off by a full stop or bracket at `pos` ("C. ...",
    "(C) ...", not "A: ..."), unless it is an item of a list or another option's text follows
    it ("C. neutral" where C is contradiction)."""
    text = reply.text
    at = pos + 1 if text[pos : pos + 1] in "([" else pos
    label = _label_at(text, at, reply.labels)
    if label is None or pos in reply.listed or not _SET_OFF_MARK.match(text, label[1]):
        return None
    line_end = text.find("\n", label[1])
    rest = _normal(text[label[1] : line_end if line_end >= 0 else len(text)])
    others = [_normal(c) for i, c in enumerate(reply.choices) if i != label[0] and c]
    if any(rest == other or rest.startswith(other + " ") for other in others):
        return None
    return label


def _labelled_option(reply: _Reply, pos: int) -> tuple[int, int] | None:
    """(option index, end) of a label at `pos` followed by its own option's text, where the
    reply does not list the options: "C. contradiction", "(B) Paris"."""
    if pos in reply.listed:
        return None
    return _labelled_at(reply.text, pos, reply.labels, reply.choices)


def _option_opening(reply: _Reply, pos: int) -> tuple[int, int] | None:
    """(option index, end) of an option's text opening the reply, unless its line names
    another option too ("Entailment, neutral or contradiction?") or the reply's lines are
    several options' texts (a list)."""
    found = _option_at(reply, pos)
    if found is None:
        return None
    line_end = reply.text.find("\n", found[1])
    line = _normal(reply.text[pos : line_end if line_end >= 0 else len(reply.text)])
    named = [i for i, choice in enumerate(reply.choices) if _contains(line, _normal(choice))]
    lines = {_normal(line) for line in reply.text.splitlines()}
    listed = [i for i, choice in enumerate(reply.choices) if _normal(choice) in lines]
    return found if len(named) < 2 and len(listed) < 2 else None


def _word_at(pattern: re.Pattern[str], text: str, pos: int) -> re.Match[str] | None:
    match = pattern.match(text, pos)
    if match is None or not bounded(text, match.start(), match.end()):
        return None
    return match


def _gap(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in " \t\u00a0":
        pos += 1
    return pos


def _labelled_at(
    text: str, pos: int, labels: _Labels, choices: tuple[str, ...]
) -> tuple[int, int] | None:
    """(option index, end) of a label at `pos`, set off, then its own option's text."""
    start = pos + 1 if text[pos : pos + 1] in "([" else pos
    label = _label_at(text, start, labels)
    if label is None or label[0] >= len(choices) or not choices[label[0]]:
        return None
    index, end = label
    mark = _LABEL_MARK.match(text, end)
    after = mark.end() if mark else end
    option = choices[index].casefold()
    if after == end or not text[after:].casefold().startswith(option):
        return None
    stop = after + len(option)
    return (index, stop) if ends_word(text, stop) else None


def _listed(text: str, labels: _Labels, choices: tuple[str, ...]) -> frozenset[int]:
    """Where the labels stand of a list of the options in `text`: labels set off at the start
    of lines ("A. x\\nB. y", whatever follows them), or labels followed by their own option's
    text with nothing but spaces, line breaks, bullets and commas between them ("B. x C. y D.
    z", "Answer: A. x\\nB. y"); either naming at least two options."""
    listed = _naming_several(_line_labels(text, labels))
    run: list[tuple[int, int, int]] = []
    for item in _labelled_items(text, labels, choices) if choices else []:
        if run and _ITEM_GAP.fullmatch(text, run[-1][1], item[0]) is None:
            listed |= _naming_several(run)
            run = []
        run.append(item)
    return frozenset(listed | _naming_several(run))


def _line_labels(text: str, labels: _Labels) -> list[tuple[int, int, int]]:
    """(start, end, option index) of each label set off at a line's start: "A.", "(B)", "C)"."""
    found = []
    for match in re.finditer(r"^[^\S\n]*[-•*_#>]*[^\S\n]*(?=\S)", text, re.M):
        start = match.end()
        at = start + 1 if text[start : start + 1] in "([" else start
        label = _label_at(text, at, labels)
        if label is not None and _LINE_LABEL_END.match(text, label[1]):
            found.append((start, label[1], label[0]))
    return found


def _labelled_items(
    text: str, labels: _Labels, choices: tuple[str, ...]
) -> list[tuple[int, int, int]]:
    """(start, end, option index) of every label followed by its own option's text."""
    items = []
    for match in labels.pattern.finditer(text):
        start = match.start()
        if not starts_word(text, start, label=True):
            continue
        if start > 0 and text[start - 1] in "([":
            start -= 1
        found = _labelled_at(text, start, labels, choices)
        if found is not None:
            items.append((start, found[1], found[0]))
    return items


def _naming_several(items: list[tuple[int, int, int]]) -> set[int]:
    """The items' starts, where they name at least two options."""
    return {start for start, _, _ in items} if len({i for _, _, i in items}) >= 2 else set()


def _set_off(text: str, start: int, end: int) -> bool:
    before = text[start - 1] if start > 0 else ""
    after = text[end] if end < len(text) else ""
    return before in _MARKS_BEFORE or after in _MARKS_AFTER


def _counts_as_label(text: str, start: int, end: int, reply: _Reply) -> bool:
    """Whether a label found outside an answer phrase is meant as one."""
    if text[start:end] in reply.labels.native:
        before = text[start - 1] if start > 0 else " "
        if before in "([" or _NATIVE_CLOSED.match(text, end):
            return True
        return before.isspace() and _NATIVE_STOPPED.match(text, end) is not None
    return not _reads_as_word(text, start, end, reply)


def _reads_as_word(text: str, start: int, end: int, reply: _Reply) -> bool:
    """Whether the label is a word: elided ("C'est", "D'après"), or opening a sentence and
    followed by a lowercase word ("A robe takes ...", "E poi ...") that is neither a copula
    ("B is right") nor a link to another label ("A or B")."""
    if _ELISION.match(text, end):
        return True
    if _set_off(text, start, end):
        return False
    word = _NEXT_WORD.match(text, end)
    if word is None or not word.group(1)[0].islower():
        return False
    if word.group(1).casefold() in copula_words(reply.literals):
        return False
    other = reply.labels.pattern.match(text, word.end())
    if other is not None and bounded(text, *other.span(), label=True):
        return False
    before = text[:start].rstrip(" \t*_")
    return not before or before.endswith(_SENTENCE_END)


def _mask_options(text: str, choices: tuple[str, ...]) -> str:
    for choice in sorted(choices, key=len, reverse=True):
        words = choice.split()
        if len("".join(words)) >= 2:
            text = re.sub(r"\s+".join(map(re.escape, words)), " ", text, flags=re.I)
    return text


def _normal(text: str) -> str:
    """Case-folded, punctuation and symbols (markdown) dropped, spaces collapsed."""
    kept = "".join(" " if unicodedata.category(c)[0] in "PS" else c for c in fold(text))
    return " ".join(kept.casefold().split())


def _contains(text: str, part: str) -> bool:
    start = text.find(part) if part else -1
    while start >= 0:
        if bounded(text, start, start + len(part)):
            return True
        start = text.find(part, start + 1)
    return False


@lru_cache(maxsize=256)
def _labels(literals: Literals, count: int) -> _Labels:
    localized = [(fold(label), i) for i, label in enumerate(literals.choice_labels[:count])]
    latin = [(LETTERS[i], i) for i in range(count)]
    native = [(fold(label), i) for i, label in enumerate(literals.native_labels[:count])]
    pairs = tuple(sorted(dict.fromkeys(localized + latin + native), key=lambda p: -len(p[0])))
    pattern = "|".join(re.escape(label) for label, _ in pairs)
    return _Labels(pairs, frozenset(label for label, _ in native), re.compile(pattern))


@lru_cache(maxsize=256)
def _words(literals: Literals, count: int) -> _Words:
    rows = (literals, get_literals(REFERENCE_LANGUAGE))
    positions: dict[str, int] = {}
    for row in rows:
        for index, forms in enumerate(row.ordinals[:count]):
            for form in forms:
                positions.setdefault(_key(form), index)
    option_words = {fold(word) for row in rows for word in row.option_words}
    return _Words(_any_of(positions), positions, _any_of(option_words))


def _key(word: str) -> str:
    return " ".join(fold(word).casefold().split())


def _any_of(words: Iterable[str]) -> re.Pattern[str]:
    """Any of `words`, longest first, case-insensitive; spaces inside match any spaces."""
    unique = sorted(set(words), key=len, reverse=True)
    if not unique:
        return re.compile("(?!)")
    return re.compile("|".join(r"\s+".join(map(re.escape, w.split())) for w in unique), re.I)
