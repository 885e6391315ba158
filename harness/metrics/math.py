"""Mathematical equivalence of final answers (MATH-500 style).

Both sides are first canonicalised as text (`canonical_math`: ASCII digits, no dollar signs,
``\\left``/``\\right``, LaTeX spacing, ``\\dfrac``, degrees, percent or words in another script);
equal strings match. Otherwise Hugging Face's math-verify parses both to sympy and compares them
(fractions against decimals, ``\\sqrt{8}`` against ``2\\sqrt{2}``, ``x = 5`` against ``5``,
intervals, sets, matrices, ...). Its signal-based timeouts are off, so it may run in any thread;
what could run for long instead never reaches sympy: answers over `MAX_CHARS`, nested deeper
than `MAX_DEPTH` or with exponent towers; expressions over `MAX_NODES`, with large powers or
factorials, or unevaluated sums, integrals and limits. Those are compared as text only. Bad
LaTeX and any failure score 0.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Callable, Sequence
from functools import cache
from typing import Any

from harness.errors import PolyevalError
from harness.parsers._text import fold
from harness.parsers.math import ascii_digits, closing_brace

MAX_CHARS = 400  # longer answers are compared as text only
MAX_DEPTH = 16  # more deeply nested brackets are compared as text only (the parser recurses)
MAX_NODES = 200  # larger expressions are compared as text only
MAX_SCALE = 10_000  # bound on exponents of numbers (nested ones multiplied), factorial arguments
MAX_DEGREE = 24  # the same bound for powers of anything but rationals (simplify expands them)
MAX_LOG_NUMBER = 1000.0  # bound on every number where either side has a logarithm
MAX_SYMBOLIC_NUMBER = 1e12  # bound on every number where either side has variables

_SYMBOLS = {
    "π": r"\pi ",
    "∞": r"\infty ",
    "√": r"\sqrt",
    "°": r"^\circ",
    "×": r"\times ",
    "÷": r"\div ",
    "·": r"\cdot ",
    "−": "-",
    "–": "-",
    "≤": r"\le ",
    "≥": r"\ge ",
    "≠": r"\ne ",
    "∪": r"\cup ",
    "∩": r"\cap ",
}
_SUPERSCRIPT = re.compile("[⁰¹²³⁴⁵⁶⁷⁸⁹⁻]+")
_SUPERSCRIPT_DIGITS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻", "0123456789-")
_SPACING = re.compile(r"(?<!\\)\\[,!;:> ]|\\q?quad\b|\\displaystyle\b|\\left\b\.?|\\right\b\.?")
_FRAC = re.compile(r"\\[dt]frac\b")
_DEGREES = re.compile(r"\^\s*\{\s*\\circ\s*\}|\^\s*\\circ\b|\\circ\b|\\degree\b")
_PERCENT = re.compile(r"\\?%")
_MATH_DELIMS = (("$$", "$$"), ("$", "$"), ("\\(", "\\)"), ("\\[", "\\]"))
_BOXED = re.compile(r"\\(?:boxed|fbox)\s*\{(.*)\}", re.S)
# What is left of a text-only answer once its words are gone.
_TEXT_ONLY = re.compile(r"\\(?:text(?:bf|rm)?|mathrm|mbox)\b|[\s{}()\[\].,;:!?'\"-]")
# LaTeX the parser evaluates while parsing; binomials are rewritten as factorials instead.
_EAGER = re.compile(
    r"\\(?:Gamma|gamma|det|choose|gcd|lcm)\b"
    r"|\\(?:operatorname|mathrm|text)\s*\{\s*(?:gcd|lcm)\s*\}"
)
_FACTORIAL_OF_FACTORIAL = re.compile(r"!\s*[)}\]]*\s*!")
_BINOMIAL = re.compile(r"\\[dt]?binom\s*\{")
_WORD_BREAK = re.compile(r"\s+")


def math_equivalent(parsed: str | None, answers: Sequence[str], language: str) -> float:
    """1.0 if `parsed` is mathematically equivalent to any of `answers`, else 0.0."""
    if parsed is None:
        return 0.0
    pred = canonical_math(parsed)
    if not pred:
        return 0.0
    golds = [gold for gold in map(canonical_math, answers) if gold]
    if pred in golds:
        return 1.0
    return float(any(_equivalent(gold, pred) for gold in golds))


def canonical_math(text: str) -> str:
    """`text` as a canonical LaTeX string: ASCII digits, no math delimiters or ``\\boxed``, no
    ``\\left``/``\\right`` or LaTeX spacing, ``\\frac`` for ``\\dfrac``/``\\tfrac``, no degree or
    percent signs, Unicode math symbols and superscripts as LaTeX, words in other scripts
    dropped when math remains ("۵ سینٹی میٹر" -> "5"); also used to show gold answers."""
    text = ascii_digits(fold(text)).replace("{,}", ",")
    text = "".join(_SYMBOLS.get(char) or _greek(char) or char for char in text)
    text = _SUPERSCRIPT.sub(lambda m: "^{" + m.group().translate(_SUPERSCRIPT_DIGITS) + "}", text)
    text = _unwrap(text.strip())
    text = _SPACING.sub("", text)
    text = _FRAC.sub(r"\\frac", text)
    text = _PERCENT.sub("", _DEGREES.sub("", text))
    text = _drop_foreign(text)
    text = _WORD_BREAK.sub(" ", text).strip().rstrip(".").strip()
    return _unwrap(text)


def _greek(char: str) -> str | None:
    """A Greek letter's LaTeX name ("α" -> "\\alpha ")."""
    if char.isascii():
        return None
    name = unicodedata.name(char, "")
    if not name.startswith("GREEK ") or " LETTER " not in name:
        return None
    letter = name.rsplit(" ", 1)[-1].lower()
    return f"\\{letter.capitalize() if 'CAPITAL' in name else letter} "


def _unwrap(text: str) -> str:
    """`text` without the math delimiters or box around the whole of it."""
    changed = True
    while changed:
        changed = False
        for opener, closer in _MATH_DELIMS:
            inner = text[len(opener) : -len(closer)]
            wrapped = text.startswith(opener) and text.endswith(closer)
            if wrapped and len(text) > len(opener) + len(closer) and closer not in inner:
                text, changed = inner.strip(), True
        boxed = _BOXED.fullmatch(text)
        if boxed and _balanced(boxed.group(1)):
            text, changed = boxed.group(1).strip(), True
    return text


def _balanced(text: str) -> bool:
    """Whether the braces in `text` pair up."""
    depth = 0
    for i, char in enumerate(text):
        if char in "{}" and (i == 0 or text[i - 1] != "\\"):
            depth += 1 if char == "{" else -1
            if depth < 0:
                return False
    return depth == 0


def _drop_foreign(text: str) -> str:
    """Without non-ASCII characters (words and punctuation of other scripts), unless no math
    is left without them: then the answer is a word and stays."""
    ascii_only = "".join(char if char.isascii() else " " for char in text)
    return ascii_only if _TEXT_ONLY.sub("", ascii_only) else text


def _equivalent(gold: str, pred: str) -> bool:
    """Whether math-verify finds the two canonical answers equivalent; False on any failure."""
    if any(_too_large(text) for text in (gold, pred)):
        return False
    gold_latex, pred_latex = _lazy_binomials(gold), _lazy_binomials(pred)
    if gold_latex is None or pred_latex is None:
        return False
    parse, verify = _math_verify()
    try:
        gold_parsed, pred_parsed = _safe_together(
            _tame(parse(f"${gold_latex}$", parsing_timeout=None)),
            _tame(parse(f"${pred_latex}$", parsing_timeout=None)),
        )
        if not gold_parsed or not pred_parsed:
            return False
        return bool(
            verify(gold_parsed, pred_parsed, allow_set_relation_comp=True, timeout_seconds=None)
        )
    except Exception:  # bad LaTeX or a sympy failure: not equivalent
        return False


def _lazy_binomials(text: str) -> str | None:
    """`text` with binomials written as factorials, which the LaTeX parser leaves unevaluated
    for `_tame` to judge; None when it holds other functions the parser evaluates at once
    (Gamma, determinants, gcd and lcm)."""
    if _EAGER.search(text):
        return None
    while (match := _BINOMIAL.search(text)) is not None:
        top_end = closing_brace(text, match.end())
        if top_end is None or not text.startswith("{", top_end + 1):
            return None
        bottom_end = closing_brace(text, top_end + 2)
        if bottom_end is None:
            return None
        top, bottom = text[match.end() : top_end], text[top_end + 2 : bottom_end]
        factorials = f"\\frac{{({top})!}}{{({bottom})!(({top})-({bottom}))!}}"
        text = text[: match.start()] + factorials + text[bottom_end + 1 :]
        if len(text) > 2 * MAX_CHARS:  # nested binomials double in size
            return None
    return text


def _too_large(text: str) -> bool:
    """Whether `text` is too long or nests too deep for the LaTeX parser: brackets past
    MAX_DEPTH, or numbers too large to evaluate, which it does when it orders the ends of an
    interval: exponent towers ("e^{e^{9}}"), factorials in exponents or of factorials."""
    if len(text) > MAX_CHARS or _FACTORIAL_OF_FACTORIAL.search(text):
        return True
    depth = deepest = 0
    raised: list[int] = []  # bracket depths at which a superscript group opened
    for i, char in enumerate(text):
        if char in "([{":
            depth += 1
            deepest = max(deepest, depth)
            if char == "{" and text[:i].rstrip().endswith("^"):
                raised.append(depth)
                if len(raised) > 1:
                    return True
        elif char == "!" and raised:
            return True
        elif char in ")]}":
            if raised and raised[-1] == depth:
                raised.pop()
            depth -= 1
    return deepest > MAX_DEPTH


def _tame(parsed: list[Any]) -> list[Any]:
    """The parse results that are cheap to compare: strings, and sympy objects with neither
    many nodes nor large numeric powers, factorials or unevaluated calculus."""
    return [item for item in parsed if isinstance(item, str) or _cheap(item)]


def _cheap(expr: Any) -> bool:
    """Whether one parsed expression (or matrix) is cheap to compare."""
    sympy = _sympy()
    if isinstance(expr, sympy.MatrixBase):
        return expr.rows * expr.cols <= MAX_NODES and all(_cheap(e) for e in expr)
    if not isinstance(expr, sympy.Basic):
        return False
    for count, _ in enumerate(sympy.preorder_traversal(expr), 1):
        if count > MAX_NODES:
            return False
    return _cheap_node(expr, 1)


def _cheap_node(node: Any, scale: float) -> bool:
    """Whether `node` evaluates cheaply when every numeric exponent and factorial argument
    above it multiplies its own numeric exponents by `scale`."""
    sympy = _sympy()
    if isinstance(node, _unevaluated_types()):
        return False
    if isinstance(node, (sympy.Pow, sympy.exp)) and node.exp.is_number:  # exp: a power of e
        size = _size(node.exp)
        limit = MAX_SCALE if _rational_number(node.base) else MAX_DEGREE
        return (
            size is not None
            and scale * size <= limit
            and _cheap_node(node.base, scale * max(size, 1.0))
        )
    if isinstance(node, _factorial_types()):
        sizes = [_size(arg) if arg.is_number else _largest_number(arg) for arg in node.args]
        rational = all(map(_rational_number, node.args))
        if not rational and any(arg.has(*_factorial_types()) for arg in node.args):
            return False  # nested factorials of variables or irrationals
        limit = MAX_SCALE if rational else MAX_DEGREE
        if not all(size is not None and scale * size <= limit for size in sizes):
            return False
    return all(_cheap_node(arg, scale) for arg in node.args if isinstance(arg, sympy.Basic))


def _rational_number(expr: Any) -> bool:
    """Whether `expr` is a number built from rationals by arithmetic, integer powers and
    factorials; powers of anything else (pi, sqrt(2), variables) are expanded by simplify."""
    sympy = _sympy()
    for node in sympy.preorder_traversal(expr):
        if isinstance(node, sympy.Pow) and (node.base is sympy.E or not node.exp.is_Integer):
            return False
        arithmetic = (sympy.Rational, sympy.Add, sympy.Mul, sympy.Pow)
        if not isinstance(node, arithmetic + _factorial_types()):
            return False
    return True


def _size(number: Any) -> float | None:
    """|number| for a numeric expression of plain numbers (no powers or functions inside);
    None for anything else."""
    sympy = _sympy()
    plain = (sympy.Number, sympy.NumberSymbol, sympy.Add, sympy.Mul, type(sympy.I))
    if not all(isinstance(node, plain) for node in sympy.preorder_traversal(number)):
        return None
    try:
        return float(abs(complex(number.evalf(8))))
    except (TypeError, ValueError, OverflowError):
        return None


def _largest_number(expr: Any) -> float | None:
    """The largest |number| written in `expr` ("n + 1000" -> 1000.0); None if out of range."""
    try:
        return max((float(abs(n)) for n in expr.atoms(_sympy().Number)), default=0.0)
    except (TypeError, ValueError, OverflowError):
        return None


def _safe_together(*sides: list[Any]) -> list[list[Any]]:
    """The sides without the expressions whose numbers are too large for what simplify does
    with the other side: "c log b" becomes "log(b^c)" (numbers up to MAX_LOG_NUMBER), and
    polynomials and factorials of variables get factored (up to MAX_SYMBOLIC_NUMBER)."""
    sympy = _sympy()
    exprs = [item for side in sides for item in side if isinstance(item, sympy.Basic)]
    if any(expr.has(sympy.log) for expr in exprs):
        bound = MAX_LOG_NUMBER
    elif any(expr.free_symbols for expr in exprs):
        bound = MAX_SYMBOLIC_NUMBER
    else:
        return list(sides)
    return [
        [item for item in side if isinstance(item, str) or _small_numbers(item, bound)]
        for side in sides
    ]


def _small_numbers(expr: Any, bound: float) -> bool:
    """Whether every number in `expr`, written or computed, is at most `bound`."""
    sympy = _sympy()
    for node in sympy.preorder_traversal(expr):
        if node.is_number and not isinstance(node, (sympy.NumberSymbol, type(sympy.I))):
            try:
                if abs(complex(node.evalf(8))) > bound:
                    return False
            except (TypeError, ValueError, OverflowError):
                return False
    return True


@cache
def _unevaluated_types() -> tuple[type[Any], ...]:
    sympy = _sympy()
    return (sympy.Integral, sympy.Sum, sympy.Product, sympy.Limit, sympy.Derivative)


@cache
def _factorial_types() -> tuple[type[Any], ...]:
    sympy = _sympy()
    return (
        sympy.factorial,
        sympy.factorial2,
        sympy.subfactorial,
        sympy.binomial,
        sympy.gamma,
        sympy.RisingFactorial,
        sympy.FallingFactorial,
    )


@cache
def _sympy() -> Any:
    import sympy  # type: ignore[import-untyped,unused-ignore]

    return sympy


@cache
def _math_verify() -> tuple[Callable[..., list[Any]], Callable[..., bool]]:
    """math-verify's parse and verify, imported on first use; its warning that timeouts are
    off is silenced (we avoid long work ourselves)."""
    try:
        from math_verify import parse, verify  # type: ignore[import-untyped,import-not-found,unused-ignore]
    except ImportError as error:
        raise PolyevalError(
            "the math_equivalent metric needs the math-verify package: "
            "pip install 'math-verify[antlr4_13_2]'"
        ) from error
    logging.getLogger("math_verify").setLevel(logging.ERROR)
    return parse, verify
