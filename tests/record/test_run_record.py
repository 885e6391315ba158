"""The run folder as a contract (harness.record): written whole or not at all, claimed by one
writer, read only when its manifest is whole, and scored again from itself alone."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result

from harness.record import FILES, find_runs, open_run
from tests.conftest import REPO, assert_one_line_error, read_run, scores_of

RUN = "run --tasks mgsm --source sample --languages en,fr --limit 3"


def snapshot(folder: Path) -> dict[str, bytes]:
    return {name: (folder / name).read_bytes() for name in FILES if (folder / name).is_file()}


# ---- written whole: kill -9 at each step


KILLER = textwrap.dedent(
    """
    import os, signal, sys
    from pathlib import Path
    from harness.record import RunContents, folder, open_run, write_run

    source, target = Path(sys.argv[1]), Path(sys.argv[2])
    step, exchange = int(sys.argv[3]), sys.argv[4]
    run = open_run(source)
    samples = list(run.samples())
    contents = RunContents(run.manifest, samples, run.scores(), run.gaps(), run.summary())
    if exchange == "no":
        folder._renameat2 = lambda: None  # the two-step replacement of other platforms
    seen = [0]

    def counted(function):
        def call(*args, **kwargs):
            seen[0] += 1
            if seen[0] == step:
                os.kill(os.getpid(), signal.SIGKILL)
            return function(*args, **kwargs)
        return call

    for name in ("_write", "_fsync_dir", "_exchange", "_put_in_place"):
        setattr(folder, name, counted(getattr(folder, name)))
    folder.os.replace = counted(os.replace)
    folder.shutil.rmtree = counted(folder.shutil.rmtree)
    write_run(target, contents, overwrite=True)
    """
)


def _write_killed(source: Path, target: Path, step: int, exchange: bool) -> int:
    argv = [sys.executable, "-c", KILLER, str(source), str(target), str(step)]
    env = {"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"}
    done = subprocess.run([*argv, "yes" if exchange else "no"], env=env, timeout=120)
    return done.returncode


@pytest.fixture
def two_runs(evaluate: Callable[..., Result], tmp_path: Path) -> tuple[Path, Path]:
    old, new = tmp_path / "old", tmp_path / "new"
    assert evaluate(f"{RUN} --model baseline:random", output=old).exit_code == 0
    assert evaluate(f"{RUN} --model baseline:majority", output=new).exit_code == 0
    return old, new


@pytest.mark.parametrize("exchange", [True, False], ids=["exchange", "two-step"])
def test_a_kill_at_any_step_leaves_the_old_run_or_the_new_one(
    two_runs: tuple[Path, Path], tmp_path: Path, exchange: bool
) -> None:
    old, new = two_runs
    before, after = snapshot(old), snapshot(new)
    kinds = set()
    for step in range(1, 40):
        target = tmp_path / "results" / "target"
        shutil.rmtree(target.parent, ignore_errors=True)
        shutil.copytree(old, target)
        code = _write_killed(new, target, step, exchange)
        if code == 0:
            assert snapshot(target) == after
            break
        assert code == -signal.SIGKILL
        if not target.exists() and not exchange:
            # the two-step replacement was cut between its renames: the next claim of the
            # folder puts the old run back
            kinds.add("restored")
            from harness.record import claim

            with claim(target, overwrite=True):
                pass
        found = snapshot(target)
        assert found in (before, after), f"step {step}: a mix of two runs"
        kinds.add("old" if found == before else "new")
        assert [r.path for r in find_runs(target.parent).runs] == [target]
        # the next write cleans up what the killed one left beside the folder
        shutil.copytree(old, tmp_path / "again")
        leftovers = [p.name for p in target.parent.iterdir() if p.name != "target"]
        _write_killed(new, target, 10_000, exchange)
        assert snapshot(target) == after
        assert sorted(p.name for p in target.parent.iterdir()) == ["target"], leftovers
        shutil.rmtree(tmp_path / "again")
    else:
        pytest.fail("the write never finished")
    assert {"old", "new"} <= kinds


def test_a_kill_while_writing_a_new_folder_leaves_nothing_or_the_whole_run(
    two_runs: tuple[Path, Path], tmp_path: Path
) -> None:
    _, new = two_runs
    target = tmp_path / "fresh" / "run"
    for step in range(1, 40):
        shutil.rmtree(target.parent, ignore_errors=True)
        code = _write_killed(new, target, step, True)
        if code == 0:
            break
        assert not target.exists() or snapshot(target) == snapshot(new)
        assert find_runs(target.parent).runs == [] or snapshot(target) == snapshot(new)


# ---- claimed by one writer


def test_two_runs_racing_for_one_output_end_with_one_run_and_one_error(tmp_path: Path) -> None:
    out = tmp_path / "run"
    command = f"{RUN} --model baseline:random -M latency=0.05 --output {out}"
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "harness.cli", *command.split(), "--cache", str(tmp_path / n)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=tmp_path,
            env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
        )
        for n in ("a.sqlite", "b.sqlite")
    ]
    results = [(p.wait(timeout=120), p.stderr.read() if p.stderr else "") for p in processes]
    codes = sorted(code for code, _ in results)
    assert codes == [0, 2], results
    error = next(err for code, err in results if code == 2)
    errors = [line for line in error.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and str(out) in errors[0], error
    assert "Traceback" not in error
    assert ("another run is writing" in errors[0]) or ("already holds a run" in errors[0])
    run = open_run(out)  # one whole run
    assert run.manifest.status == "complete"
    assert len(list(run.samples())) == run.manifest.counts.requests == 6


def test_output_refuses_a_folder_that_is_not_a_run(
    evaluate: Callable[..., Result], tmp_path: Path
) -> None:
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "manifest.json").write_text("{}")
    (folder / "notes.txt").write_text("my notes")
    result = evaluate(f"{RUN} --model baseline:random", output=folder)
    assert_one_line_error(result, str(folder), "not a polyeval run", "notes.txt")
    assert (folder / "manifest.json").read_text() == "{}"  # nothing overwritten
    assert sorted(p.name for p in folder.iterdir()) == ["manifest.json", "notes.txt"]


def test_output_replaces_a_run_only_when_told(
    evaluate: Callable[..., Result], tmp_path: Path
) -> None:
    out = tmp_path / "run"
    assert evaluate(f"{RUN} --model baseline:random", output=out).exit_code == 0
    first = snapshot(out)
    result = evaluate(f"{RUN} --model baseline:majority", output=out)
    assert_one_line_error(result, str(out), "already holds a run", "--overwrite")
    assert snapshot(out) == first
    result = evaluate(f"{RUN} --model baseline:majority --overwrite", output=out)
    assert result.exit_code == 0, result.output
    assert read_run(out)["manifest"]["model"]["name"] == "baseline:majority"
    assert sorted(p.name for p in out.parent.iterdir()) == ["cache.sqlite", "run"]
    empty = tmp_path / "empty"
    empty.mkdir()
    assert evaluate(f"{RUN} --model baseline:random", output=empty).exit_code == 0


# ---- read only when whole


def test_readers_skip_and_name_folders_without_a_whole_manifest(
    evaluate: Callable[..., Result], tmp_path: Path
) -> None:
    results = tmp_path / "results"
    whole = results / "whole"
    assert evaluate(f"{RUN} --model baseline:random", output=whole).exit_code == 0
    no_manifest, cut = results / "no-manifest", results / "cut"
    shutil.copytree(whole, no_manifest)
    (no_manifest / "manifest.json").unlink()
    shutil.copytree(whole, cut)
    text = (cut / "manifest.json").read_text()
    (cut / "manifest.json").write_text(text[: len(text) // 2])
    found = find_runs(results)
    assert [r.path.name for r in found.runs] == ["whole"]
    assert sorted(path.name for path, _ in found.skipped) == ["cut", "no-manifest"]
    site = tmp_path / "site"
    result = evaluate("leaderboard", results=results, out=site)
    assert result.exit_code == 0, result.output
    assert f"set aside {no_manifest}: not a finished run" in result.output
    assert f"set aside {cut}: manifest.json: not JSON" in result.output
    assert "1 run(s)" in result.output
    assert_one_line_error(evaluate("show", str(no_manifest)), "not a finished run")
    assert_one_line_error(evaluate("export", str(cut), out=tmp_path / "x"), "not JSON")
    assert_one_line_error(evaluate("score", str(no_manifest)), "not a finished run")


def test_a_run_with_failed_requests_says_so(
    evaluate: Callable[..., Result], tmp_path: Path
) -> None:
    reference = tmp_path / "reference"
    assert evaluate(f"{RUN} --model baseline:reference", output=reference).exit_code == 0
    rows = [
        {"sample_id": s["sample_id"], "language": s["language"], "output": s["output"]}
        for s in read_run(reference)["samples"]
    ]
    rows[1]["output"] = None
    path = tmp_path / "answers.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    out = tmp_path / "run"
    result = evaluate(f"{RUN} --predictions {path}", output=out)
    assert result.exit_code == 3, result.output
    manifest = open_run(out).manifest
    assert (manifest.status, manifest.counts.failed, manifest.counts.requests) == (
        "incomplete",
        1,
        6,
    )
    assert "incomplete run: 1 of 6 requests failed" in evaluate("show", str(out)).output


# ---- scored again from the folder alone


def test_score_keeps_the_record_of_the_generation_and_needs_no_data(
    evaluate: Callable[..., Result], tmp_path: Path
) -> None:
    from tests.fake_server import FakeServer

    data = tmp_path / "data"
    shutil.copytree(REPO / "tasks" / "mgsm" / "sample", data / "mgsm")
    server = FakeServer(latency_s=0.01, responder=lambda body: "The answer is 18.")
    server.start_in_thread()
    try:
        out = tmp_path / "run"
        result = evaluate(
            "run --model openai:fake --tasks mgsm --languages en,de --limit 4 --source local",
            data_dir=data,
            base_url=server.base_url,
            output=out,
        )
    finally:
        server.stop_thread()
    assert result.exit_code == 0, result.output
    shutil.rmtree(data)  # neither the data nor the task folder is read again
    before = read_run(out)
    copy = tmp_path / "copy"
    shutil.copytree(out, copy)
    result = evaluate("score", str(copy), langid="lid176")
    assert result.exit_code == 0, result.output
    after = read_run(copy)
    kept = ("command", "started", "finished", "counts", "model", "tasks", "replay")
    for key in kept:
        assert after["manifest"][key] == before["manifest"][key], key
    assert (
        after["manifest"]["timings_s"]["generate_s"]
        == before["manifest"]["timings_s"]["generate_s"]
    )
    [scoring] = after["manifest"]["scorings"]
    assert scoring["langid"] == "lid176" and scoring["scored_from"] == str(copy)
    assert after["manifest"]["langid"]["detector"] == "lid176"
    generation = ("output", "usage", "latency_s", "prompt", "finish_reason", "cached", "gold")
    for mine, theirs in zip(after["samples"], before["samples"], strict=True):
        assert {k: mine[k] for k in generation} == {k: theirs[k] for k in generation}
        assert mine["latency_s"] > 0 and mine["usage"]["prompt_tokens"] == 11
    assert scores_of(copy) == scores_of(out)  # the same answers, the same accuracy
    # into a new folder: the original is left as it was
    again = tmp_path / "again"
    assert evaluate("score", str(out), output=again).exit_code == 0
    assert read_run(out) == before
    assert read_run(again)["manifest"]["scorings"][0]["scored_from"] == str(out)


def test_score_scores_changed_answers_with_the_recorded_items(
    evaluate: Callable[..., Result], tmp_path: Path
) -> None:
    """The sample's record holds its item (choices, accepted answers, breakdowns): a changed
    answer is scored against it, with no data source."""
    out = tmp_path / "run"
    command = "run --model baseline:reference --tasks belebele,dzen --source sample --limit 4"
    assert evaluate(command, output=out).exit_code == 0
    lines = (out / "samples.jsonl").read_text().splitlines()
    records = [json.loads(line) for line in lines]
    assert all(r["choices"] and r["gold"] for r in records)
    assert any(r["breakdowns"] for r in records if r["task"] == "dzen")
    records[0]["output"] = "Answer: " + ("A" if records[0]["gold"] != "A" else "B")
    (out / "samples.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    assert evaluate("score", str(out)).exit_code == 0
    cell = (records[0]["task"], records[0]["variant"], records[0]["language"])
    assert scores_of(out)[cell]["value"] == pytest.approx(3 / 4)
    assert read_run(out)["samples"][0]["parsed"] != records[0]["gold"]


def test_a_run_of_the_first_format_is_read_but_not_scored_again(
    evaluate: Callable[..., Result], tmp_path: Path
) -> None:
    out = tmp_path / "results" / "old"
    assert evaluate(f"{RUN} --model baseline:random", output=out).exit_code == 0
    manifest = json.loads((out / "manifest.json").read_text())
    del manifest["format"]
    for task in manifest["tasks"].values():
        del task["parser"]
    (out / "manifest.json").write_text(json.dumps(manifest))
    assert evaluate("show", str(out)).exit_code == 0
    assert evaluate("leaderboard", results=out.parent, out=tmp_path / "site").exit_code == 0
    assert_one_line_error(evaluate("score", str(out)), "run format 1", "run it again")


# ---- the import boundary


BOUNDARY = textwrap.dedent(
    """
    import sys
    import harness.record, harness.analysis.summary, harness.analysis.compare
    import harness.analysis.export, harness.analysis.report
    import harness.leaderboard, harness.scorer
    from harness.cli import main
    main(["show", sys.argv[1]], standalone_mode=False)
    forbidden = ("harness.planner", "harness.generation", "harness.backends", "harness.prompting")
    print(sorted(m for m in sys.modules if m.startswith(forbidden)))
    """
)


def test_analysis_and_the_record_never_load_planning_prompting_or_backends(
    evaluate: Callable[..., Result], tmp_path: Path
) -> None:
    out = tmp_path / "run"
    assert evaluate(f"{RUN} --model baseline:random", output=out).exit_code == 0
    env = {"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-c", BOUNDARY, str(out)], capture_output=True, text=True, env=env
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "[]"
    # the record package itself: the in-memory records, errors and the standard library
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "import json, sys, harness.record; print(json.dumps(sorted(m for m in "
            "sys.modules if m.startswith('harness'))))",
        ],
        capture_output=True,
        text=True,
        env=env,
    )
    assert done.returncode == 0, done.stderr
    loaded = set(json.loads(done.stdout))
    allowed = {"harness", "harness.errors", "harness.records"}
    assert {m for m in loaded if not m.startswith("harness.record.")} - {
        "harness.record"
    } <= allowed
