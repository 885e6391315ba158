"""Helpers that task hooks share, importable by any task (built-in or a plugin):

- `harness.tasklib.tempreason`: TempReason's records (levels, answers, facts) and few-shot pools,
  read by the tempreason and mtempreason tasks;
- `harness.tasklib.urdubench`: UrduBench's bilingual columns and options, read by the four
  UrduBench tasks.

A task's own `task.py` holds what only that task needs (harness.hooks says which functions a
task.py may define).
"""
