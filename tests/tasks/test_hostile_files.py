"""Hostile or broken task files: YAML alias bombs, templates that raise or blow up, values of the
wrong shape. Each is one line naming the file (and line) at fault, never a hang or a traceback."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result

from harness.errors import PolyevalError
from harness.yamlfile import MAX_ALIAS_NODES, MAX_DEPTH, load_yaml
from tests.conftest import REPO, assert_one_line_error

Evaluate = Callable[..., Result]

# nine nested aliases of nine: 9**9 (387 million) strings once expanded
BOMB = "".join(
    "  l{0}: &l{0} [{1}]\n".format(i, ", ".join([f"*l{i - 1}" if i else "lol"] * 9))
    for i in range(9)
)


def _task(tmp_path: Path, name: str = "mgsm") -> Path:
    folder = tmp_path / "tasks" / name
    shutil.copytree(REPO / "tasks" / name, folder)
    return folder


def _edit(path: Path, old: str, new: str) -> int:
    """Replace `old` (once in the file) by `new`; the 1-based line where `new` starts."""
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    edited = text.replace(old, new)
    path.write_text(edited, encoding="utf-8")
    return edited[: edited.index(new)].count("\n") + 1


def _run_mgsm(evaluate: Evaluate, tmp_path: Path) -> Result:
    return evaluate(
        "run --model baseline:random --tasks mgsm --languages en --variants direct",
        tasks_dir=tmp_path / "tasks",
    )


# --- YAML with bounded aliases ---------------------------------------------------------------


def test_an_alias_bomb_in_a_task_yaml_is_refused(evaluate: Evaluate, tmp_path: Path) -> None:
    """Before: the settings were accepted and expanded when the requests were built (>120 s,
    gigabytes). Now the file is refused before any node is built."""
    folder = _task(tmp_path)
    old = "generation: {temperature: 0.0, max_tokens: 512}"
    line = _edit(folder / "task.yaml", old, f"generation:\n  max_tokens: 512\n  bomb:\n{BOMB}")
    assert_one_line_error(
        _run_mgsm(evaluate, tmp_path),
        f"{folder / 'task.yaml'}:",
        f"aliases expand to more than {MAX_ALIAS_NODES:,} nodes",
    )
    assert line > 0


def test_an_alias_bomb_in_a_literals_yaml_is_refused(evaluate: Evaluate, tmp_path: Path) -> None:
    folder = _task(tmp_path, "xcopa")
    literals = folder / "literals.yaml"
    literals.write_text(
        literals.read_text(encoding="utf-8") + f"bombs:\n{BOMB}\n", encoding="utf-8"
    )
    result = evaluate(
        "run --model baseline:random --tasks xcopa --languages ita_Latn",
        tasks_dir=tmp_path / "tasks",
    )
    assert_one_line_error(result, f"{literals}:", "aliases expand to more than")


def test_yaml_bounds(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    path.write_text("shared: &s {temperature: 0}\na: *s\nb: [*s, *s]\nname: &n x\nc: *n\n")
    assert load_yaml(path)[0]["b"] == [{"temperature": 0}] * 2  # ordinary aliases still work

    path.write_text("a: &x [1, *x]\n")  # a node that holds itself: endless once walked
    with pytest.raises(PolyevalError, match=r"t\.yaml:1: invalid YAML: alias \*x stands for"):
        load_yaml(path)

    path.write_text("a: " + "[" * 100_000 + "]" * 100_000 + "\n")  # libyaml's composer segfaults
    with pytest.raises(PolyevalError, match=f"nested more than {MAX_DEPTH} levels"):
        load_yaml(path)

    path.write_text(f"x:\n{BOMB}")
    with pytest.raises(PolyevalError, match=r"t\.yaml:\d+: invalid YAML: aliases expand"):
        load_yaml(path)


# --- templates: any rendering error is one line naming the template and line -----------------


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("{% for i in range(1000000) %}x{% endfor %}", "OverflowError: Range too big"),
        ("{{ 1 / 0 }}", "ZeroDivisionError"),
        ("{{ 1 + question }}", "TypeError"),
        ("{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}", "recursion too deep"),
        ('{{ "x" * 10000000000 }}', "makes more than 10,000,000 items"),
        ("{{ 2 ** 10000000 }}", "too large"),
        ("{{ ''.__class__ }}", "unsafe"),
    ],
)
def test_a_template_that_fails_is_named_with_its_line(
    evaluate: Evaluate, tmp_path: Path, body: str, expected: str
) -> None:
    folder = _task(tmp_path)
    template = folder / "mgsm.j2"
    shutil.copy(REPO / "prompts" / "mgsm.j2", template)  # a task's own template wins
    line = _edit(template, "{{ lit.question }}{{ lit.colon }}{{ question }}", body)
    assert_one_line_error(
        _run_mgsm(evaluate, tmp_path), f"{template}:{line}: template error", expected
    )


def test_a_template_that_renders_too_much_is_named(evaluate: Evaluate, tmp_path: Path) -> None:
    folder = _task(tmp_path)
    template = folder / "mgsm.j2"
    shutil.copy(REPO / "prompts" / "mgsm.j2", template)
    body = '{% for i in range(99999) %}{{ "x" * 999 }}{% endfor %}'
    _edit(template, "{{ lit.question }}{{ lit.colon }}{{ question }}", body)
    block_line = _edit(template, "{% block user %}", "{% block user %}")
    assert_one_line_error(
        _run_mgsm(evaluate, tmp_path),
        f"{template}:{block_line}: template error: block 'user' renders more than",
    )


# --- schema errors for values of the wrong shape ---------------------------------------------

_MGSM = (REPO / "tasks" / "mgsm" / "task.yaml").read_text(encoding="utf-8")
LANGUAGES = _MGSM[_MGSM.index("languages:") : _MGSM.index("data:")]  # the whole mapping


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (LANGUAGES, "languages:\n  - [eng_Latn]\n", "field 'languages': item 0 is a list"),
        (LANGUAGES, "languages: [eng_Latn, {a: b}]\n", "item 1 is a mapping, not a language"),
        ('id: "{row}"', 'id: "{row[0]}"', "field 'id': {row[0]} in '{row[0]}': a pattern's"),
        ('id: "{row}"', 'id: "{row"', "field 'id': expected '}' before end of string"),
        ('parallel_id: "mgsm-{row}"', 'parallel_id: "{row:>999999999}"', "plain column names"),
        (
            "generation: {temperature: 0.0, max_tokens: 512}",
            "generation: {temperature: 0.0, max_tokens: many}",
            "field 'generation': max_tokens should be a whole number of at least 1, not 'many'",
        ),
        (
            "generation: {temperature: 0.0, max_tokens: 512}",
            "generation: {temperature: [0], max_tokens: 512}",
            "temperature should be a number, not a list",
        ),
        (
            "generation: {temperature: 0.0, max_tokens: 512}",
            "generation: {temperature: 0.0, max_tokens: 512, stop: {a: 1}}",
            "stop should be a text or a list of texts, not a mapping",
        ),
    ],
)
def test_a_value_of_the_wrong_shape_is_a_schema_error(
    evaluate: Evaluate, tmp_path: Path, old: str, new: str, expected: str
) -> None:
    folder = _task(tmp_path)
    line = _edit(folder / "task.yaml", old, new)
    if new.startswith("languages:\n"):
        line += 1  # the item at fault, on the line after the key
    assert_one_line_error(
        _run_mgsm(evaluate, tmp_path), f"{folder / 'task.yaml'}:{line}:", expected
    )
