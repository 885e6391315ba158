"""User tasks: the generic `mcq` and `short_answer` tasks on any CSV, TSV, JSONL or JSON file,
and round trips on any monolingual text.

A user task is a built-in generic task folder (tasks/mcq, tasks/short_answer: its prompt
variants, parser, metrics and generation settings) on the user's own file, with the column
mapping given in a small YAML file (`--tasks path/to/syndarin.yaml`):

    task: mcq                 # or short_answer
    name: syndarin            # optional; default: the YAML file's stem
    file: syndarin_hy.csv     # relative to the YAML file
    language: hye_Armn        # or `languages: {hye_Armn: hy.csv, eng_Latn: en.csv}`
    columns: {question: Question, passage: Paragraph, choices: [A, B, C, D], answer: Answer}
    answer: letter            # letter | index1 | index0 | text (mcq); text | number (short_answer)

or on the command line (`--tasks mcq --data-file FILE -T question=Question -T choices=A,B,C,D
-T answer=Answer -T form=letter -T language=hye_Armn`); `-T` options also override a YAML's.
The built-in `round_trip` task runs on any monolingual text the same way (`--tasks round_trip
--data-file text.txt -T language=npi_Deva`: one sentence per line, or `-T text=COLUMN` of a
CSV, TSV, JSONL or JSON file): each sentence to the pivot language and back.

The whole file is checked before anything runs: every mistake is one line naming the YAML
file:line, the `-T` option or the data file:line at fault. Rows are then read through the
task's `process_record` hook, which puts each row's values under fixed internal columns
(`_question`, `_passage`, `_choice_1`.., `_gold`, `_id`), so that the spec never depends on
how the user's columns are spelled; an option's text as the answer becomes its letter.
"""

from harness.usertasks.names import GENERIC_TASKS, USER_TASKS, is_task_file
from harness.usertasks.resolve import resolve_tasks, user_task

# the builders (harness.usertasks.build: UserTask) and the settings' schema are imported by
# `user_task`, for the runs that have a user task
__all__ = ["GENERIC_TASKS", "USER_TASKS", "is_task_file", "resolve_tasks", "user_task"]
