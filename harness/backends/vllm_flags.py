"""The `-M KEY=VALUE` options of the vLLM backends, from one table: vllm_flags.tsv.

Each row is a `vllm serve` flag: its -M key (the flag with underscores for dashes,
`tensor_parallel_size` for `--tensor-parallel-size`), its type, whether it may change the
answers (then it is part of the cache identity), whether `vllm:` takes it too (as a `vllm.LLM`
keyword argument), its other keys (vLLM's short flags: `tp` for `-tp`) and what it does.

`vllm-server:` turns each -M option into flags:
- a key of the table: its value checked against the row's type, then `--key VALUE`; a bool is
  `--key` or `--no-key`, a switch `--key` or nothing, a list one value per space-separated word,
  a JSON value is checked (and passed as JSON);
- any other key passes through as it is: `--key-with-dashes VALUE`, `--key` for true (or an
  empty value), `--no-key` for false (as `llama-server:` does); a key a letter or two away from
  one of the table's is taken for a typing mistake (a one-line error with the key it resembles);
- `-M extra_args="--flag value ..."` appends flags verbatim (split like a shell would).
Keys of type `own` are the backend's (the model, --seed, the address, the API key): giving one
is an error that says what to do instead.

`vllm:` takes the table's offline keys only, converted to their types (a JSON value parsed).
"""

from __future__ import annotations

import csv
import difflib
import json
import re
import shlex
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.backends.managed_server import flag_args
from harness.errors import PolyevalError

TABLE_PATH = Path(__file__).with_name("vllm_flags.tsv")
TYPES = ("int", "float", "str", "bool", "switch", "list", "json", "own")
KEY = re.compile(r"[A-Za-z][A-Za-z0-9_-]*")
NEAR_MISS = 0.88  # difflib's ratio from which an unknown key is taken for a known one mistyped
_TRUE, _FALSE = {"1", "true", "yes", "on"}, {"0", "false", "no", "off"}
_KIND_WORDS = {
    "int": "a whole number",
    "float": "a number",
    "bool": "true or false",
    "switch": "true or false",
    "json": "a JSON value",
    "list": "one or more space-separated values",
}


@dataclass(frozen=True, slots=True)
class Flag:
    key: str
    type: str
    answers: bool  # may change the answers: part of the cache identity
    offline: bool  # `vllm:` takes it too
    aliases: tuple[str, ...]
    what: str

    @property
    def flag(self) -> str:
        return "--" + self.key.replace("_", "-")

    def convert(self, value: str, given: str = "") -> object:
        """The -M value as this flag's type; a one-line error naming the key as `given`."""
        kind, key = self.type, given or self.key
        if kind == "own":
            raise PolyevalError(f"-M {key}: the backend sets it itself ({self.what})")
        if kind in {"bool", "switch"}:
            if value.strip().lower() in _TRUE | _FALSE:
                return value.strip().lower() in _TRUE
        elif kind == "int":
            try:
                return int(value)
            except ValueError:
                pass
        elif kind == "float":
            try:
                return float(value)
            except ValueError:
                pass
        elif kind == "json":
            try:
                return json.loads(value)
            except ValueError:
                pass
        elif kind == "list":
            try:
                words = shlex.split(value)
            except ValueError:
                words = []
            if words:
                return words
        else:
            return value
        raise PolyevalError(f"-M {key} takes {_KIND_WORDS[kind]}, not {value!r}")

    def argv(self, value: object) -> list[str]:
        """The command-line flags for a value `convert` returned."""
        if self.type == "bool":
            return [self.flag if value else f"--no-{self.flag[2:]}"]
        if self.type == "switch":
            return [self.flag] if value else []
        if self.type == "list":
            assert isinstance(value, list)
            return [self.flag, *map(str, value)]
        if self.type == "json":
            return [self.flag, json.dumps(value, ensure_ascii=False)]
        return [self.flag, str(value)]


def load_table(path: Path = TABLE_PATH) -> dict[str, Flag]:
    """The table's rows by key, in its order; a malformed row is an error naming its line."""
    flags: dict[str, Flag] = {}
    with path.open(encoding="utf-8", newline="") as file:
        lines = [
            (number, line)
            for number, line in enumerate(file, 1)
            if line.strip() and not line.startswith("#")
        ]
    rows = csv.reader([line for _, line in lines], delimiter="\t", quoting=csv.QUOTE_NONE)
    header = next(rows)
    if header != ["key", "type", "answers", "offline", "aliases", "what"]:
        raise ValueError(f"{path.name}: unexpected header {header}")
    for (number, _), row in zip(lines[1:], rows, strict=True):
        if len(row) != 6 or row[1] not in TYPES or not KEY.fullmatch(row[0]) or row[0] in flags:
            raise ValueError(f"{path.name}:{number}: malformed row {row}")
        key, kind, answers, offline, aliases, what = row
        names = tuple(a for a in aliases.split(",") if a)
        flags[key] = Flag(key, kind, answers == "yes", offline == "yes", names, what)
    return flags


FLAGS: dict[str, Flag] = load_table()
ALIASES: dict[str, str] = {alias: f.key for f in FLAGS.values() for alias in f.aliases}


def lookup(key: str) -> Flag | None:
    """The table's row for a -M key (a key, its dashed form or an alias), or None."""
    name = key.replace("-", "_")
    return FLAGS.get(ALIASES.get(name, name))


def near_miss(key: str, offline: bool = False) -> str | None:
    """What an unknown -M key seems meant for: "did you mean KEY?" for a table key a letter or
    two away, "write -M KEY=false" for the negative form of a bool; else None."""
    name = key.replace("-", "_")
    negated = lookup(name[3:]) if name.startswith("no_") else None
    if negated is not None and negated.type == "bool" and (negated.offline or not offline):
        return f"write -M {negated.key}=false"
    keys = [f.key for f in FLAGS.values() if f.type != "own" and (f.offline or not offline)]
    close = difflib.get_close_matches(name, keys, n=1, cutoff=NEAR_MISS)
    return f"did you mean {close[0]}?" if close else None


@dataclass(frozen=True, slots=True)
class ServeOptions:
    """The `vllm serve` options of a run: the table's (converted, by key, in the table's
    order), the ones passed through as written, and the verbatim extra flags."""

    known: dict[str, object]
    passed: dict[str, str]
    extra: tuple[str, ...] = ()

    def argv(self) -> list[str]:
        flags = [a for key, value in self.known.items() for a in FLAGS[key].argv(value)]
        flags += [a for key, value in self.passed.items() for a in flag_args(key, value)]
        return [*flags, *self.extra]

    def get(self, key: str, default: object = None) -> object:
        return self.known.get(key, default)

    def answering(self, leave_out: tuple[str, ...] = ()) -> dict[str, Any]:
        """What may change the answers, for the cache identity: the table's flags marked so,
        every flag passed through and the extra flags (what they do is unknown)."""
        chosen: dict[str, Any] = {
            k: v for k, v in self.known.items() if FLAGS[k].answers and k not in leave_out
        }
        chosen.update(self.passed)
        if self.extra:
            chosen["extra_args"] = list(self.extra)
        return chosen

    def recorded(self) -> dict[str, Any]:
        """Every option given, for the manifest."""
        options: dict[str, Any] = {**self.known, **self.passed}
        if self.extra:
            options["extra_args"] = list(self.extra)
        return options


def server_options(args: dict[str, str], extra_args: str = "") -> ServeOptions:
    """-M options (the backend's own taken out) as `vllm serve` flags, checked."""
    known: dict[str, object] = {}
    passed: dict[str, str] = {}
    for key, value in args.items():
        flag = lookup(key)
        if flag is None:
            if not KEY.fullmatch(key):
                raise PolyevalError(f"-M {key!r} is not a vllm serve flag name")
            close = near_miss(key)
            if close is not None:
                verbatim = shlex.join(flag_args(key, value))
                raise PolyevalError(
                    f"-M {key} is not a vllm serve flag this backend knows; {close}"
                    f" (to pass it as it is: -M extra_args={verbatim!r})"
                )
            passed[key] = value
            continue
        if flag.key in known:
            raise PolyevalError(f"-M {key}: {flag.key} is given twice")
        known[flag.key] = flag.convert(value, key)
    try:
        extra = tuple(shlex.split(extra_args))
    except ValueError as exc:
        raise PolyevalError(f"-M extra_args is not a valid command line: {exc}") from None
    ordered = {key: known[key] for key in FLAGS if key in known}
    return ServeOptions(ordered, dict(sorted(passed.items())), extra)


def engine_options(args: dict[str, str], backend: str = "vllm") -> dict[str, object]:
    """-M options as `vllm.LLM` keyword arguments: the table's offline keys only."""
    converted: dict[str, object] = {}
    for key, value in args.items():
        flag = lookup(key)
        if flag is not None and not (flag.offline or flag.type == "own"):
            raise PolyevalError(
                f"{backend} takes no -M {key}: a vllm serve flag (vllm-server: takes it)"
            )
        if flag is None:
            close = near_miss(key, offline=True)
            if close is not None:
                raise PolyevalError(f"{backend} takes no -M {key}; {close}")
            known = ", ".join(f.key for f in FLAGS.values() if f.offline and f.type != "own")
            raise PolyevalError(f"{backend} takes no -M {key} (it takes: {known})")
        if flag.key in converted:
            raise PolyevalError(f"-M {key}: {flag.key} is given twice")
        converted[flag.key] = flag.convert(value, key)
    return converted


def parallel_sizes(options: Mapping[str, object]) -> dict[str, int]:
    """The tensor, pipeline and data parallel sizes the options ask for (1 where not given)."""
    keys = {
        "tp": "tensor_parallel_size",
        "pp": "pipeline_parallel_size",
        "dp": "data_parallel_size",
    }
    sizes: dict[str, int] = {}
    for short, key in keys.items():
        value = options.get(key)
        sizes[short] = value if isinstance(value, int) and not isinstance(value, bool) else 1
    return sizes
