"""A sample's record as a run makes it (harness.record.build.sample_record): every field given,
the same record model_construct would make, and a field left out is an error, not a None."""

from __future__ import annotations

from dataclasses import replace

import pytest
from pydantic_core import PydanticSerializationError

from harness.config import RunConfig
from harness.planner import build_plan
from harness.record import SampleRecord, sample_line
from harness.record import build as build_module
from harness.record.build import LEFT_OUT, sample_record
from harness.records import Completion, Response, Usage
from harness.registry import TaskRegistry


@pytest.fixture(scope="module")
def planned() -> tuple[object, ...]:
    selection = RunConfig(tasks=["mgsm", "belebele"], limit=2, source="sample")
    plan = build_plan(TaskRegistry(), selection)
    return plan.requests[0], plan.samples[plan.requests[0].key], plan.requests[-1]


ANSWERS = (
    Response(text="The answer is 18.", finish_reason="stop", usage=Usage(9, 5), latency_s=0.12),
    Response(text="", error="HTTP 500 (Internal Server Error)"),
    Response(text="B", alternatives=(Completion("C", None, "stop"),)),
    None,
)


@pytest.mark.parametrize("response", ANSWERS)
def test_every_field_is_given_and_equals_model_construct(
    planned: tuple[object, ...], response: Response | None
) -> None:
    request, sample, _ = planned
    record = sample_record(sample, request, response, cached=False)  # type: ignore[arg-type]
    assert all(value is not LEFT_OUT for value in record.__dict__.values())
    assert record.model_fields_set == set(SampleRecord.model_fields)
    made = SampleRecord.model_construct(**record.__dict__)
    assert record == made and sample_line(record) == sample_line(made)


def test_a_field_left_out_cannot_be_written(planned: tuple[object, ...]) -> None:
    request, sample, _ = planned
    record = sample_record(sample, request, ANSWERS[0], cached=False)  # type: ignore[arg-type]
    given = {name: value for name, value in record.__dict__.items() if name != "gold"}
    forgotten = build_module._BLANK.model_copy(update=given)
    assert forgotten.gold is LEFT_OUT
    with pytest.raises(PydanticSerializationError, match="Unable to serialize unknown type"):
        sample_line(forgotten)


def test_a_log_likelihood_request_keeps_its_continuations(planned: tuple[object, ...]) -> None:
    request, sample, _ = planned
    scored = replace(request, messages=(), prompt="Q? A:", continuations=(" 18", " 19"))  # type: ignore[type-var]
    record = sample_record(sample, scored, None, cached=True)  # type: ignore[arg-type]
    assert record.continuations == [" 18", " 19"] and record.cached is True
    assert record.error == "no response" and record.output is None
