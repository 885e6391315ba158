"""File names in the built site: a model, run, task, variant or language as a safe path part.

Names are kept when they are made of letters, digits, `.`, `_` and `-` only; any other name is
replaced by its safe characters and a short hash of the name, so that two names never share a
file and the same name always gets the same one.
"""

from __future__ import annotations

import hashlib
import re

from harness.leaderboard.selection import REAL

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
_SAFE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]{0,79}")
PART = r"[A-Za-z0-9_][A-Za-z0-9._-]*"  # what every slug matches: never `..`, never empty
# a drill-down key (`drill_key`), as the site's script checks a link's or a hash's before it
# loads a file (leaderboard/static/site.js holds this very pattern, between slashes)
DRILL_KEY = "^" + r"\/".join([PART] * 3) + "$"


def slug(name: str) -> str:
    """A path part for a name: the name itself where it is safe, else a cleaned and hashed
    form (`<script>x` -> `script-x-3f2a9c1d`)."""
    if _SAFE.fullmatch(name) and name not in (".", ".."):
        return name
    cleaned = _UNSAFE.sub("-", name).strip("-.")[:48] or "x"
    digest = hashlib.sha256(name.encode("utf-8")).hexdigest()[:8]
    return f"{cleaned}-{digest}"


def model_page(model: str) -> str:
    return f"models/{slug(model)}.html"


def task_page(task: str) -> str:
    return f"tasks/{slug(task)}.html"


def variant_anchor(variant: str) -> str:
    return f"v-{slug(variant)}"


def column_anchor(variant: str, data: str) -> str:
    """A column's section on its task page: `v-<variant>` on real data, `<tier>-v-<variant>`
    on another data tier (`sample-v-native_cot`)."""
    anchor = variant_anchor(variant)
    return anchor if data == REAL else f"{slug(data)}-{anchor}"


def samples_dir(run_key: str, task: str, variant: str) -> str:
    """The folder (relative to the site's root) of one run's samples of a task and variant."""
    return f"data/samples/{slug(run_key)}/{slug(task)}/{slug(variant)}"


def drill_key(run_key: str, task: str, variant: str) -> str:
    """What a drill-down link names: the run, task and variant folders under data/samples/."""
    return f"{slug(run_key)}/{slug(task)}/{slug(variant)}"
