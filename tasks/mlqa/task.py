"""Extractive-QA hooks: a hub row (`answers` is ``{"text": [...], "answer_start": [...]}``) or
a question of a SQuAD JSON file becomes a record whose `answers` lists the acceptable texts;
unanswerable questions are skipped and counted."""

from harness.data.squad import answerable_record as process_record

__all__ = ["process_record"]
