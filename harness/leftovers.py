"""What killed writers leave beside their target, and its removal by the next writer.

A writer stages its output beside the target under a name that holds its process id
(`.NAME<kind><PID>`, `.NAME<kind><PID>.tmp`: an export's `.scores.csv.123.tmp`, a site's
`.site.building-123`), then renames it into place. A kill between the two leaves the staged
copy behind. The next writer of the same target removes such copies once the process that made
them is gone; those of a writer still running (another process writing the same target right
now) are left alone.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
from collections.abc import Iterable
from pathlib import Path


def staged(target: Path, kind: str, suffix: str = "") -> Path:
    """This process's staging name for `target` (`.NAME<kind><PID><suffix>`)."""
    return target.parent / f".{target.name}{kind}{os.getpid()}{suffix}"


def stale(target: Path, kinds: Iterable[str]) -> list[Path]:
    """The staged copies of `target` beside it whose writers are no longer running."""
    if not target.parent.is_dir():
        return []
    pattern = re.compile(
        rf"\.{re.escape(target.name)}(?:{'|'.join(map(re.escape, kinds))})(\d+)(?:\.tmp)?"
    )
    found = []
    for entry in sorted(target.parent.iterdir()):
        matched = pattern.fullmatch(entry.name)
        if matched and not _running(int(matched.group(1))):
            found.append(entry)
    return found


def remove(path: Path) -> None:
    """Remove a staged file or folder (gone already: nothing to do)."""
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


def _running(pid: int) -> bool:
    """Whether a process with this id runs (this one included; one of another user too)."""
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except (OverflowError, ValueError):  # not a process id at all
        return False
    return True
