"""Speed and size of `evaluate leaderboard` at scale: synthetic results for 30 models x 40 tasks
x 50 languages, built into a static site.

Each model gets one run folder with a manifest.json, scores.json (primary metric, consistency,
language-normalised score and parse rate per task and language, with intervals), summary.json
(macro averages overall, per tier and per script, worst language, gaps to English and
agreement, as harness.analysis.summary writes them) and a modest samples.jsonl (--samples per
task and language).
Eight of the tasks are translation tasks scored by chrF++ over language pairs. The numbers are
random but seeded. Prints the build time (target: under 10 s) and the size of index.html (target:
under 2 MB), and the site's file count and size.

Usage: python benchmarks/leaderboard_build.py [--models 30] [--tasks 40] [--languages 50]
       [--samples 1] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import math
import random
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from harness.languages import all_languages
from harness.leaderboard import build_site

ENGLISH = "eng_Latn"
Z = 1.959963984540054


def pick_languages(count: int) -> list[str]:
    """English and count - 1 other languages, spread over the language table."""
    others = [lang.code for lang in all_languages() if lang.code != ENGLISH]
    step = max(1, len(others) // (count - 1))
    return [ENGLISH, *others[::step][: count - 1]]


def interval(p: float, n: int) -> tuple[float, float]:
    half = Z * math.sqrt(max(p * (1 - p), 1e-4) / n)
    return max(0.0, p - half), min(1.0, p + half)


def task_plan(tasks: int, languages: list[str]) -> list[dict[str, Any]]:
    plan = []
    pairs = [f"{ENGLISH}-{lang}" for lang in languages[1:]] + [f"{languages[1]}-{ENGLISH}"]
    for t in range(tasks):
        translation = t % 5 == 4  # 8 of 40
        kind = "translation" if translation else ("multiple_choice", "short_answer")[t % 2]
        plan.append(
            {
                "name": f"synth_{t:02d}",
                "kind": kind,
                "metric": "chrf" if translation else "accuracy",
                "keys": pairs if translation else languages,
                "variant": "zero_shot" if t % 3 else "few_shot",
            }
        )
    return plan


def write_run(
    root: Path, m: int, plan: list[dict[str, Any]], tiers: dict[str, tuple[str, str]], samples: int
) -> None:
    rng = random.Random(1000 + m)
    model = f"synthetic/model-{m:02d}"
    run_id = f"20260101T{m:02d}0000Z_synthetic-model-{m:02d}"
    folder = root / run_id
    folder.mkdir(parents=True)
    skill = rng.uniform(0.2, 0.9)
    scores: list[dict[str, Any]] = []
    summary: list[dict[str, Any]] = []
    lines: list[str] = []
    n = 200
    for task in plan:
        values: dict[str, dict[str, float]] = {}
        for key in task["keys"]:
            target = key.split("-")[-1]
            penalty = 0.0 if target == ENGLISH else rng.uniform(0.0, 0.3)
            p = min(max(skill - penalty + rng.gauss(0, 0.05), 0.0), 1.0)
            values[key] = {
                task["metric"]: p,
                "consistency": min(1.0, rng.uniform(0.8, 1.0)),
                "parse_rate": rng.uniform(0.9, 1.0),
            }
            if task["kind"] != "translation":
                values[key]["language_normalised"] = p * values[key]["consistency"]
            for metric, value in values[key].items():
                low, high = interval(value, n)
                scores.append(
                    {
                        "task": task["name"],
                        "variant": task["variant"],
                        "language": key,
                        "metric": metric,
                        "by": None,
                        "group": None,
                        "value": value,
                        "n": n,
                        "ci_low": low,
                        "ci_high": high,
                        "errors": 0,
                    }
                )
            for i in range(samples):
                lines.append(
                    json.dumps(
                        {
                            "task": task["name"],
                            "variant": task["variant"],
                            "language": key,
                            "sample_id": str(i),
                            "parallel_id": f"{task['name']}-{i}",
                            "prompt": [
                                {"role": "system", "content": "Answer the question."},
                                {"role": "user", "content": f"Question {i} in {key}: " + "x" * 200},
                            ],
                            "output": f"The answer is {i}.",
                            "parsed": str(i),
                            "gold": str(i),
                            "scores": {"accuracy": 1.0},
                            "error": None,
                            "langid": {"expected": key, "consistent": "yes", "method": "script"},
                        },
                        ensure_ascii=False,
                    )
                )
        summary += summary_records(task, values, tiers)
    (folder / "scores.json").write_text(json.dumps(scores), encoding="utf-8")
    (folder / "summary.json").write_text(json.dumps(summary), encoding="utf-8")
    (folder / "samples.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    manifest = {
        "run_id": run_id,
        "status": "complete",
        "harness": {"version": "0.1.0", "git": "0" * 40},
        "command": ["evaluate", "run", "--model", model],
        "started": f"2026-01-01T{m:02d}:00:00+00:00",
        "finished": f"2026-01-01T{m:02d}:30:00+00:00",
        "model": {"name": model, "kind": "synthetic"},
        "tasks": {
            t["name"]: {
                "version": "1.0",
                "kind": t["kind"],
                "metrics": [t["metric"]],
                "source": {"kind": "synthetic", "location": "benchmarks/leaderboard_build.py"},
                "variants": {t["variant"]: {"template": "x.j2", "template_hash": "0123abcd"}},
            }
            for t in plan
        },
        "counts": {"requests": len(lines), "sent": len(lines), "failed": 0},
    }
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")


def summary_records(
    task: dict[str, Any], values: dict[str, dict[str, float]], tiers: dict[str, tuple[str, str]]
) -> list[dict[str, Any]]:
    records = []
    metrics = sorted({metric for found in values.values() for metric in found})
    for metric in metrics:
        by_key = {k: v[metric] for k, v in values.items() if metric in v}
        groups: list[tuple[str, str | None, list[str]]] = [("macro", None, list(by_key))]
        for position, kind in ((0, "macro_by_tier"), (1, "macro_by_script")):
            names = sorted({tiers[k.split("-")[-1]][position] for k in by_key})
            for name in names:
                chosen = [k for k in by_key if tiers[k.split("-")[-1]][position] == name]
                groups.append((kind, name, chosen))
        for kind, group, chosen in groups:
            mean = sum(by_key[k] for k in chosen) / len(chosen)
            low, high = interval(mean, 200 * len(chosen))
            records.append(_record(task, metric, kind, group, mean, low, high))
        worst = min(by_key, key=lambda k: by_key[k])
        records.append(_record(task, metric, "worst_language", worst, by_key[worst], None, None))
        if task["kind"] != "translation":
            for key in by_key:
                if key != ENGLISH:
                    gap = by_key[key] - by_key[ENGLISH]
                    for kind in ("gap_to_english", "relative_gap_to_english"):
                        value = (
                            gap if kind == "gap_to_english" else gap / max(by_key[ENGLISH], 1e-3)
                        )
                        records.append(
                            _record(task, metric, kind, key, value, value - 0.08, value + 0.08)
                        )
                    records.append(
                        _record(task, metric, "agreement_with_english", key, 0.8, 0.75, 0.85)
                    )
    return records


def _record(
    task: dict[str, Any],
    metric: str,
    kind: str,
    group: str | None,
    value: float,
    low: float | None,
    high: float | None,
) -> dict[str, Any]:
    return {
        "task": task["name"],
        "variant": task["variant"],
        "metric": metric,
        "kind": kind,
        "group": group,
        "value": value,
        "ci_low": low,
        "ci_high": high,
        "n": 200,
        "items": 200,
        "languages": 1,
        "method": "clustered_bootstrap",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", type=int, default=30)
    parser.add_argument("--tasks", type=int, default=40)
    parser.add_argument("--languages", type=int, default=50)
    parser.add_argument("--samples", type=int, default=1, help="samples per task and language")
    parser.add_argument("--keep", type=Path, help="build the site here and keep it")
    args = parser.parse_args()
    languages = pick_languages(args.languages)
    tiers = {lang.code: (lang.tier, lang.script) for lang in all_languages()}
    plan = task_plan(args.tasks, languages)
    with tempfile.TemporaryDirectory(prefix="polyeval-lb-bench-") as tmp:
        results, site = Path(tmp) / "results", args.keep or Path(tmp) / "site"
        started = time.perf_counter()
        for m in range(args.models):
            write_run(results, m, plan, tiers, args.samples)
        made = time.perf_counter() - started
        if site.exists():
            shutil.rmtree(site)
        started = time.perf_counter()
        built = build_site(results, site)
        seconds = time.perf_counter() - started
        files = [p for p in site.rglob("*") if p.is_file()]
        total = sum(p.stat().st_size for p in files)
        index = (site / "index.html").stat().st_size
        scripts = len({lang.split("_")[1] for lang in languages})
        print(
            f"synthetic results: {args.models} models x {args.tasks} tasks x "
            f"{len(languages)} languages ({scripts} scripts), {args.samples} sample(s) per cell; "
            f"written in {made:.1f} s"
        )
        print(f"build: {seconds:.2f} s (target < 10 s)")
        print(f"index.html: {index / 1e6:.2f} MB (target < 2 MB)")
        print(
            f"site: {len(files)} files, {total / 1e6:.1f} MB; {built.pages} pages, "
            f"{built.sample_files} sample files"
        )


if __name__ == "__main__":
    main()
