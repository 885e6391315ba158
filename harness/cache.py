"""The response cache: SQLite in WAL mode, one row per answered request, written as it arrives.

The key hashes everything that determines an answer: the backend's identity (kind, model,
revision, endpoint), the generation parameters and the full prompt; and, where decoding is not
deterministic (a temperature above 0, or several completions), the sample itself, so that two
samples with the same prompt each get an answer of their own rather than one shared draw.
Failed requests are never stored, so the next run asks them again.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import time
from collections.abc import Iterable
from dataclasses import asdict
from pathlib import Path
from typing import Any

from harness.errors import PolyevalError
from harness.records import Completion, Request, Response, Usage

_SCHEMA = """
CREATE TABLE IF NOT EXISTS responses (
    key TEXT PRIMARY KEY,
    response TEXT NOT NULL,
    created REAL NOT NULL
)
"""


def default_cache_path() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "polyeval" / "responses.sqlite"


def deterministic(generation: dict[str, Any]) -> bool:
    """Whether decoding gives one answer per prompt: greedy (temperature 0), one completion."""
    return generation.get("temperature") == 0 and generation.get("n") in (None, 1)


def cache_key(identity: dict[str, Any], request: Request, salt: str = "") -> str:
    payload: dict[str, Any] = {
        "backend": identity,
        "salt": salt,
        "generation": request.generation,
        "messages": [[m.role, m.content] for m in request.messages],
        "prompt": request.prompt,
    }
    if not deterministic(request.generation):  # a draw of its own for each sample
        payload["sample"] = list(request.key)
    blob = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


class ResponseCache:
    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute(_SCHEMA)
        except (OSError, sqlite3.Error) as exc:
            raise PolyevalError(f"cannot open the response cache: {exc}", where=str(path)) from None

    def get_many(self, keys: Iterable[str]) -> dict[str, Response]:
        found: dict[str, Response] = {}
        unique = list(dict.fromkeys(keys))
        for start in range(0, len(unique), 500):
            chunk = unique[start : start + 500]
            marks = ",".join("?" * len(chunk))
            query = f"SELECT key, response FROM responses WHERE key IN ({marks})"
            for key, blob in self._db.execute(query, chunk):
                found[key] = _decode(blob)
        return found

    def put(self, key: str, response: Response) -> None:
        if not response.ok:
            return
        blob = json.dumps(asdict(response), ensure_ascii=False)
        self._db.execute(
            "INSERT OR REPLACE INTO responses (key, response, created) VALUES (?, ?, ?)",
            (key, blob, time.time()),
        )

    def __len__(self) -> int:
        return int(self._db.execute("SELECT COUNT(*) FROM responses").fetchone()[0])

    def close(self) -> None:
        self._db.close()


def _decode(blob: str) -> Response:
    data = json.loads(blob)
    data["usage"] = Usage(**data.get("usage") or {})
    data["alternatives"] = tuple(_completion(c) for c in data.get("alternatives") or ())
    return Response(**data)


def _completion(stored: Any) -> Completion:
    """A further completion as stored: its fields, or (entries written before completions
    kept their reasoning and finish reason) its answer alone."""
    return Completion(**stored) if isinstance(stored, dict) else Completion(str(stored))
