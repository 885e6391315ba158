"""Keeping a model's reasoning apart from its answer: <think>…</think> blocks (and <thinking>,
<reasoning>) in the text. Only the answer is parsed and scored."""

from __future__ import annotations

import re

_TAGS = r"think|thinking|reasoning"
_BLOCK = re.compile(rf"<({_TAGS})>(.*?)</\1\s*>", re.S | re.I)
_OPEN = re.compile(rf"<(?:{_TAGS})>", re.I)
_CLOSE = re.compile(rf"</(?:{_TAGS})\s*>", re.I)


def split_reasoning(text: str) -> tuple[str | None, str]:
    """(reasoning or None, answer).

    A closing tag with no opening one (the chat template opened the block) makes everything
    before it reasoning; an opening tag with no closing one (reasoning cut by the token limit)
    makes everything after it reasoning, so a reply that is all unfinished reasoning has no
    answer.
    """
    if "<" not in text:  # no tag of any kind: the whole text is the answer
        return None, text.strip()
    parts = [m.group(2).strip() for m in _BLOCK.finditer(text)]
    text = _BLOCK.sub(" ", text)
    closes = list(_CLOSE.finditer(text))
    if closes:
        parts.insert(0, text[: closes[-1].start()].strip())
        text = text[closes[-1].end() :]
    opened = _OPEN.search(text)
    if opened:
        parts.append(text[opened.end() :].strip())
        text = text[: opened.start()]
    reasoning = "\n\n".join(p for p in parts if p)
    return reasoning or None, text.strip()
