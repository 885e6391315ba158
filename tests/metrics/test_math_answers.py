"""MATH-500 answers: the math parser finds the final answer in English and Urdu replies, and
math_equivalent decides whether it is the gold answer up to mathematical equivalence."""

from __future__ import annotations

import threading
import time

import pytest

from harness.literals import get_literals
from harness.metrics import BINARY, METRICS
from harness.metrics.math import canonical_math, math_equivalent
from harness.parsers import PARSERS
from harness.parsers.math import parse_math

EN, UR = "eng_Latn", "urd_Arab"

# (language, reply, complete, parsed answer, gold answer, score)
REPLY_CASES = [
    # English: \boxed{} in its many shapes
    (EN, r"So $x = 9$. The final answer is $\boxed{9}$.", True, "9", "9", 1.0),
    (
        EN,
        r"Thus the answer is $\boxed{\dfrac{14}{3}}$.",
        True,
        r"\dfrac{14}{3}",
        r"\frac{14}{3}",
        1.0,
    ),
    (EN, r"We get $\boxed{\frac12}$.", True, r"\frac12", r"\frac{1}{2}", 1.0),
    (EN, r"Therefore $\boxed{0.5}$.", True, "0.5", r"\frac{1}{2}", 1.0),
    (EN, r"$\boxed{\tfrac{3}{4}}$", True, r"\tfrac{3}{4}", "0.75", 1.0),
    (EN, r"The area is $\boxed{3\sqrt{13}}$.", True, r"3\sqrt{13}", r"\sqrt{117}", 1.0),
    (
        EN,
        r"In polar form: $\boxed{\left( 3, \frac{\pi}{2} \right)}$",
        True,
        r"\left( 3, \frac{\pi}{2} \right)",
        r"\left( 3, \frac{\pi}{2} \right)",
        1.0,
    ),
    (EN, r"The domain is $\boxed{[0, \infty)}$.", True, r"[0, \infty)", r"[0,\infty)", 1.0),
    (EN, r"So $\boxed{x = 5}$.", True, "x = 5", "5", 1.0),
    (EN, r"The angle is $\boxed{30^\circ}$.", True, r"30^\circ", "30", 1.0),
    (EN, r"He saves $\boxed{\$32,\!348}$.", True, r"\$32,\!348", "32348", 1.0),
    (EN, r"The total is \boxed{10{,}080}.", True, "10{,}080", "10080", 1.0),
    (EN, r"The probability is $\boxed{25\%}$.", True, r"25\%", "25", 1.0),
    (EN, r"It is $\boxed{5\text{ cm}}$ long.", True, r"5\text{ cm}", "5", 1.0),
    (EN, r"The winner is $\boxed{\text{Evelyn}}$.", True, r"\text{Evelyn}", r"\text{Evelyn}", 1.0),
    (EN, r"The answer is \boxed{\text{(C)}}", True, r"\text{(C)}", r"\text{(C)}", 1.0),
    (EN, r"So $\boxed{2\pi}$.", True, r"2\pi", r"2 \pi", 1.0),
    (EN, r"So the quotient is $\boxed{x^2+7x+10}$.", True, "x^2+7x+10", "(x+2)(x+5)", 1.0),
    (EN, r"The roots are $\boxed{1, -2}$.", True, "1, -2", "-2, 1", 1.0),
    (EN, r"The roots are $\boxed{1}$ and $\boxed{-2}$.", True, "1, -2", "1,-2", 1.0),
    (
        EN,
        r"The vector is $\boxed{\begin{pmatrix} 1 \\ -2 \end{pmatrix}}$.",
        True,
        r"\begin{pmatrix} 1 \\ -2 \end{pmatrix}",
        r"\begin{pmatrix}1\\-2\end{pmatrix}",
        1.0,
    ),
    (EN, r"\fbox{42}", True, "42", "42", 1.0),
    (EN, r"First guess $\boxed{12}$, but that fails; so $\boxed{15}$.", True, "15", "15", 1.0),
    (
        EN,
        r"The set is $\boxed{(0,9) \cup (9,36)}$.",
        True,
        r"(0,9) \cup (9,36)",
        r"(0,9) \cup (9,36)",
        1.0,
    ),
    (EN, r"The answer is $\boxed{-2 + 7i}$.", True, "-2 + 7i", "7i - 2", 1.0),
    # English: wrong final answers
    (EN, r"So the ratio is $\boxed{2}$.", True, "2", r"\frac{1}{2}", 0.0),
    (EN, r"The point is $\boxed{[1, 2]}$.", True, "[1, 2]", "(1, 2)", 0.0),
    (EN, r"Simplified: $\boxed{x^3}$.", True, "x^3", "x^2", 0.0),
    (EN, r"So there are $\boxed{30}$ ways.", True, "30", "3", 0.0),
    (EN, r"So $\boxed{-\frac{1}{3}}$.", True, r"-\frac{1}{3}", r"\frac{1}{3}", 0.0),
    (EN, r"The answer is $\boxed{\text{(D)}}$.", True, r"\text{(D)}", r"\text{(C)}", 0.0),
    (EN, r"The answer is $\boxed{2\sqrt{3}}$.", True, r"2\sqrt{3}", r"3\sqrt{2}", 0.0),
    # English: answer phrases without a box
    (
        EN,
        r"The answer is $\frac{\sqrt{3}}{3}$.",
        True,
        r"\frac{\sqrt{3}}{3}",
        r"\frac{1}{\sqrt{3}}",
        1.0,
    ),
    (EN, r"Thus the answer is \(\dfrac{3}{4}\).", True, r"\dfrac{3}{4}", r"\frac34", 1.0),
    (EN, "**Final Answer:** $y = 2x + 3$", True, "y = 2x + 3", "y=2x+3", 1.0),
    (EN, "### Final Answer\n\n$$\\frac{\\pi}{3}$$", True, r"\frac{\pi}{3}", r"\frac{\pi}{3}", 1.0),
    (EN, "The answer is (1, 2).", True, "(1, 2)", "(1,2)", 1.0),
    (EN, "Final answer: [-2, 7]", True, "[-2, 7]", "[-2,7]", 1.0),
    (EN, "The answer is 12 square units.", True, "12 square units", "12", 1.0),
    (EN, "The answer is 3.5, since half of 7 is 3.5.", True, "3.5", r"\frac{7}{2}", 1.0),
    (EN, "The answer is 1,000.", True, "1,000", "1000", 1.0),
    (EN, r"The answer is \text{Evelyn}.", True, r"\text{Evelyn}", r"\text{Evelyn}", 1.0),
    (EN, r"The answer is: $\sqrt{2}$. Check: $\sqrt{2}^2 = 2$.", True, r"\sqrt{2}", r"\sqrt2", 1.0),
    # English: no phrase and no box: the last number, for a complete reply only
    (EN, "Adding, 5 + 7 = 12, so Maria has 12 apples", True, "12", "12", 1.0),
    (EN, "So the probability is 3/8", True, "3/8", r"\frac{3}{8}", 1.0),
    (EN, r"Solving, we find $x = \frac{3}{4}$.", True, r"\frac{3}{4}", "0.75", 1.0),
    (EN, "I cannot determine this.", True, None, "7", 0.0),
    # reasoning blocks are not the answer
    (EN, r"<think>Maybe $\boxed{4}$? No.</think>The answer is $\boxed{5}$.", True, "5", "5", 1.0),
    (EN, r"<think>So it is \boxed{4}</think>Final answer: 6", True, "6", "4", 0.0),
    (EN, "<think>Let me try 2 + 2 = 4 and then", False, None, "4", 0.0),
    # cut replies: only a complete, explicitly stated answer counts
    (EN, r"We know $\boxed{12}$ works. Now check the other case, where", False, "12", "12", 1.0),
    (EN, "Let's compute 3 * 4 = 12 and then 12 + 5", False, None, "17", 0.0),
    (EN, r"The final answer is $\boxed{\frac{1}{", False, None, r"\frac{1}{2}", 0.0),
    (EN, r"The answer is $\frac{3}{", False, None, r"\frac{3}{4}", 0.0),
    (EN, "The answer is 12", False, None, "12", 0.0),
    (
        EN,
        r"The answer is $\frac{3}{4}$, and to double-check we",
        False,
        r"\frac{3}{4}",
        "0.75",
        1.0,
    ),
    (EN, "The answer is 7.\nTo verify, we", False, "7", "7", 1.0),
    # Urdu: the_answer_is "جواب ہے", answer words, Urdu and Arabic-Indic digits
    (UR, "لہذا، جواب ہے ۱۲۔", True, "12", "12", 1.0),
    (
        UR,
        r"مرحلہ وار حل: ... لہذا جواب ہے $\boxed{\frac{۱۴}{۳}}$۔",
        True,
        r"\frac{14}{3}",
        r"\frac{14}{3}",
        1.0,
    ),
    (UR, r"پس $\boxed{۳\sqrt{۱۳}}$ مربع اکائیاں", True, r"3\sqrt{13}", r"3\sqrt{13}", 1.0),
    (UR, r"حتمی جواب: $\frac{۱}{۲}$", True, r"\frac{1}{2}", "0.5", 1.0),
    (UR, r"حتمی جواب $\frac{۱}{۲}$ ہے۔", True, r"\frac{1}{2}", r"\frac12", 1.0),
    (UR, "جواب ہے ٤٢", True, "42", "42", 1.0),
    (UR, "جواب ہے ۳٫۵۔", True, "3.5", r"\frac{7}{2}", 1.0),
    (UR, "درست جواب: (۱، ۲)", True, "(1, 2)", "(1,2)", 1.0),
    (UR, "جواب ہے ۵ سینٹی میٹر۔", True, "5 سینٹی میٹر", "5", 1.0),
    (UR, r"زاویہ $\boxed{۹۰^\circ}$ ہے۔", True, r"90^\circ", "90", 1.0),
    (UR, "جواب ہے $x = ۵$ کیونکہ دونوں اطراف برابر ہیں۔", True, "x = 5", "5", 1.0),
    (UR, r"The answer is $\boxed{۱۰}$", True, "10", "10", 1.0),
    (UR, "جواب ہے ۳۰۔", True, "30", "3", 0.0),
    (UR, r"جواب ہے $\boxed{۲}$۔", True, "2", r"\frac{1}{2}", 0.0),
    (UR, "ہم ۵ اور ۷ جمع کرتے ہیں تو ۱۲ ملتا ہے", True, "12", "12", 1.0),
    (UR, "ہم ۵ اور ۷ جمع کرتے ہیں تو", False, None, "12", 0.0),
    (UR, r"جواب ہے $\frac{۳}{", False, None, r"\frac{3}{4}", 0.0),
]

# (parsed answer, gold answer, equivalent)
EQUIVALENCE_CASES = [
    (r"\frac{1}{2}", "0.5", True),
    (r"\dfrac{1}{2}", r"\frac12", True),
    ("1/2", r"\frac{1}{2}", True),
    (r"\frac{-1}{2}", r"-\frac12", True),
    (r"\frac{2}{4}", r"\frac{1}{2}", True),
    (r"3\frac{1}{2}", "3.5", True),
    (r"\frac{243}{625}", "0.3888", True),
    (r"\sqrt{8}", r"2\sqrt{2}", True),
    (r"11\sqrt2", r"11\sqrt{2}", True),
    (r"\frac{\sqrt{6}+\sqrt{2}}{2}", r"\sqrt{2+\sqrt{3}}", True),
    (r"\sqrt{2}", "1.41421356", True),
    ("2^4", "16", True),
    ("2^{100}", "1267650600228229401496703205376", True),
    ("10!", "3628800", True),
    (r"\binom{10}{2}", "45", True),
    (r"\dbinom{n}{2}", r"\frac{n(n-1)}{2}", True),
    (r"1 - \sqrt{3}", r"-\sqrt3 + 1", True),
    ("p - q", "-q + p", True),
    (r"\sin^2 x + \cos^2 x", "1", True),
    ("x = 5", "5", True),
    ("5", "k = 5", True),
    (r"x \in [1,2]", "[1,2]", True),
    (r"-2 \le x \le 7", "[-2,7]", True),
    (r"\left(1,2\right)", "(1,2)", True),
    (r"(-\infty,0)\cup(0,\infty)", r"(-\infty, 0) \cup (0, \infty)", True),
    (r"\{3,2,1\}", r"\{1,2,3\}", True),
    ("10,000", "10000", True),
    (r"1\,000", "1000", True),
    (r"\$18.90", "18.90", True),
    ("90°", r"90^\circ", True),
    (r"50\%", "50", True),
    (r"5.4 \text{ cents}", "5.4", True),
    (r"12\text{ cm}^2", "12", True),
    (r"\textbf{Evelyn}", r"\text{Evelyn}", True),
    ("(C)", r"\text{(C)}", True),
    ("π/2", r"\frac{\pi}{2}", True),
    ("√3", r"\sqrt{3}", True),
    ("x² + 2x¹⁰", "x^2+2x^{10}", True),
    (r"$\frac{1}{2}$", r"\frac{1}{2}", True),
    (r"\boxed{7}", "7", True),
    ("۷", "7", True),
    (r"٣\sqrt{٢}", r"3\sqrt{2}", True),
    (r"\text{ایولین}", r"\text{ایولین}", True),
    # not equivalent
    (r"\frac{1}{2}", "2", False),
    ("(1,2)", "[1,2]", False),
    ("(3, -2)", "(-2, 3)", False),
    ("x^2", "x^3", False),
    ("3", "30", False),
    ("0.05", "0.5", False),
    ("0.33", r"\frac{1}{3}", False),
    ("2.01", "2", False),
    ("-4", "4", False),
    ("q - p", "p - q", False),
    (r"2\pi", r"\pi", False),
    (r"\pi", "3.14", False),
    ("2", "2, 3", False),
    (r"\{1,2\}", r"\{1,2,3\}", False),
    ("(-2,7)", "[-2,7]", False),
    (r"(-\infty,0]\cup(0,\infty)", r"(-\infty, 0) \cup (0, \infty)", False),
    (r"-\infty", r"\infty", False),
    ("y = 2x + 4", "y = 2x + 3", False),
    (r"\begin{pmatrix}1\\3\end{pmatrix}", r"\begin{pmatrix}1\\2\end{pmatrix}", False),
    (r"\text{odd}", r"\text{even}", False),
    (r"\text{(D)}", r"\text{(C)}", False),
    (r"\text{بوب}", r"\text{ایولین}", False),
    ("five", "5", False),
    (r"\frac{1}{2", r"\frac{1}{2}", False),  # bad LaTeX
]

# Answers that must be scored quickly (0.0, never a hang or an exception).
HOSTILE = [
    "2^{10^{9}}",
    "(10^{8})!",
    "9!!",
    r"\binom{1000 \cdot 1000}{500 \cdot 1000}",
    "(x+1)^{1000}",
    r"\sin(x)^{1000}",
    "e^{e^{1000}}",
    r"(1000)! \log(\pi)",
    r"\sum_{k=1}^{10^{9}} k",
    r"\int_0^{10^9} x^{10^9} dx",
    "(" * 150 + "1" + ")" * 150,
    "x" * 5000,
    r"}}}{{{\frac{",
    r"\begin{pmatrix}",
    "$$$",
    "",
]


@pytest.mark.parametrize(("language", "reply", "complete", "parsed", "gold", "score"), REPLY_CASES)
def test_reply(
    language: str, reply: str, complete: bool, parsed: str | None, gold: str, score: float
) -> None:
    found = parse_math(reply, get_literals(language), complete=complete)
    assert found == parsed
    assert math_equivalent(found, [gold], language) == score


@pytest.mark.parametrize(("parsed", "gold", "equivalent"), EQUIVALENCE_CASES)
def test_equivalence(parsed: str, gold: str, equivalent: bool) -> None:
    assert math_equivalent(parsed, [gold], EN) == float(equivalent)


def test_any_gold_answer_counts() -> None:
    assert math_equivalent(r"\frac{1}{2}", ["2", "0.5"], EN) == 1.0
    assert math_equivalent("3", ["2", "0.5"], EN) == 0.0
    assert math_equivalent(None, ["2"], EN) == 0.0
    assert math_equivalent("  ", ["2"], EN) == 0.0


@pytest.mark.parametrize("answer", HOSTILE)
def test_hostile_answers_are_scored_quickly(answer: str) -> None:
    started = time.monotonic()
    assert math_equivalent(answer, ["3"], EN) == 0.0
    assert math_equivalent("3", [answer], EN) == 0.0
    assert time.monotonic() - started < 10


def test_runs_outside_the_main_thread() -> None:
    results: list[float] = []
    worker = threading.Thread(target=lambda: results.append(math_equivalent("1/2", ["0.5"], EN)))
    worker.start()
    worker.join()
    assert results == [1.0]


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        (r"$\boxed{\dfrac{1}{2}}$", r"\frac{1}{2}"),
        (r"\left( 3, \frac{\pi}{2} \right)", r"( 3, \frac{\pi}{2} )"),
        (r"\$32,\!348", r"\$32,348"),
        (r"90^\circ", "90"),
        ("۱۲ سینٹی میٹر۔", "12"),
        (r"\text{ایولین}", r"\text{ایولین}"),
        ("π", r"\pi"),
    ],
)
def test_canonical_math(text: str, canonical: str) -> None:
    assert canonical_math(text) == canonical


def test_registered() -> None:
    assert PARSERS["math"] is parse_math
    assert METRICS["math_equivalent"] is math_equivalent
    assert "math_equivalent" in BINARY
