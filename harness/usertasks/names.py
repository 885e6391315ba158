"""The names that make a --tasks entry a user task: the generic tasks and a task YAML file's
suffixes. Apart from the settings' schema, so that a run of built-in tasks tells them apart
without importing it."""

from __future__ import annotations

GENERIC_TASKS = ("mcq", "short_answer")
SQUAD_TASK = "extractive_qa"  # any SQuAD-format file: its columns are fixed, only the language
ROUND_TRIP_TASK = "round_trip"  # any monolingual text: each sentence to the pivot and back
USER_TASKS = (*GENERIC_TASKS, SQUAD_TASK, ROUND_TRIP_TASK)
TASK_FILE_SUFFIXES = (".yaml", ".yml")


def is_task_file(name: str) -> bool:
    """A --tasks entry that names a user task's YAML file (task names have no dots)."""
    return name.lower().endswith(TASK_FILE_SUFFIXES)
