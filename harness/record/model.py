"""The typed records of a run folder: what each file holds, validated when read.

- `Manifest` (manifest.json): what was run, how, on what, with which outcome (`status`);
- `SampleRecord` (samples.jsonl, one a line): the whole sample, the request, every completion,
  usage, latency and error, and what scoring made of them; enough to score it again;
- `ScoreRecord` (scores.json): a task x variant x language x metric cell, or one breakdown group;
- `GapRecord` (gaps.json): a paired gap to English or to another variant;
- `SummaryRecord` (summary.json): macro averages, worst languages, gaps, LCB rates.

Records are frozen; unknown keys in a file are ignored (a newer harness may add some), and a
missing or mistyped required key is an error naming the file and line.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    computed_field,
    field_validator,
    model_serializer,
)

from harness.records import Pair, pair_of

FORMAT = 2
"""The run folder's format. 1: before samples were recorded whole (no `format` key): such runs
are read for display, but cannot be scored again."""

Status = Literal["complete", "incomplete"]


class Record(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    def as_json(self) -> dict[str, Any]:
        """The record as JSON values (a Trimmed record's OPTIONAL keys left out where None)."""
        data: dict[str, Any] = self.model_dump(mode="json")
        return data


class Trimmed(Record):
    """A record with keys left out of the file where they are None (OPTIONAL). Only these pay
    for the serializer that drops them: a sample's many chat turns are plain Records."""

    OPTIONAL: ClassVar[frozenset[str]] = frozenset()

    @model_serializer(mode="wrap")
    def _without_unset(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        data: dict[str, Any] = handler(self)
        for name in self.OPTIONAL:
            if data.get(name) is None:
                data.pop(name, None)
        return data


# ---- samples.jsonl


class ChatTurn(Record):
    role: str
    content: str


class Usage(Record):
    prompt_tokens: int = 0
    completion_tokens: int = 0


class Completion(Record):
    """A further completion of a sample asked for several (`--n`), and its scoring."""

    output: str
    reasoning: str | None = None
    finish_reason: str | None = None
    parsed: str | None = None
    scores: dict[str, float] = Field(default_factory=dict)


class Likelihood(Trimmed):
    """How likely the model finds one continuation of a log-likelihood request."""

    OPTIONAL = frozenset({"unconditional"})

    logprob: float  # the sum of its tokens' log-probabilities (natural log)
    tokens: int  # how many tokens it took
    greedy: bool  # each of its tokens was the model's most likely next token
    unconditional: float | None = None  # its log-probability after the answer cue alone


class SampleRecord(Trimmed):
    """One sample: the item, the request, the answer(s) and their scoring."""

    OPTIONAL = frozenset(
        {
            "continuations",
            "likelihoods",
            "pivot",
            "pivot_output",
            "langid",
            "langid_reasoning",
            "lcb",
            "pivot_langid",
            "stripped",
            "round_trip",
        }
    )

    task: str
    variant: str
    language: str  # a language code, or a translation pair's key (npi_Deva-eng_Latn)
    sample_id: str
    parallel_id: str
    # the item, whole
    gold: str
    answers: list[str] = Field(default_factory=list)  # every acceptable answer; []: just gold
    choices: list[str] = Field(default_factory=list)
    breakdowns: dict[str, str] = Field(default_factory=dict)  # subject, grade, level, source
    fields: dict[str, Any] = Field(default_factory=dict)  # the template variables
    # the request
    prompt: str | list[ChatTurn]
    generation: dict[str, Any] = Field(default_factory=dict)
    template_hash: str = ""
    exemplars: list[str] = Field(default_factory=list)  # "language/id", in prompt order
    # a log-likelihood request: what it scored after the prompt, and each one's score (its
    # `output` is then the continuation scored highest)
    continuations: list[str] | None = None
    likelihoods: list[Likelihood] | None = None
    # the answer: the first completion, then the others (n > 1)
    output: str | None = None  # None: the request failed
    reasoning: str | None = None
    finish_reason: str | None = None
    completions: list[Completion] = Field(default_factory=list)
    usage: Usage | None = None
    latency_s: float | None = None
    error: str | None = None
    cached: bool = False
    # a round trip's first leg (source -> pivot), whose output this sample translated back
    pivot: str | None = None
    pivot_output: str | None = None
    # scoring
    parsed: str | None = None
    scores: dict[str, float] = Field(default_factory=dict)
    langid: dict[str, Any] | None = None  # the language verdict on the reply
    langid_reasoning: dict[str, Any] | None = None  # ... on its reasoning
    lcb: dict[str, Any] | None = None  # what failed the LCB line or word level
    pivot_langid: dict[str, Any] | None = None  # a round trip: the verdict on the pivot
    stripped: list[str] | None = None  # a translation: what its cleaning removed
    round_trip: bool | None = None

    @property
    def ok(self) -> bool:
        return self.output is not None

    @computed_field  # type: ignore[prop-decorator]
    @property
    def truncated(self) -> bool:
        """Cut by the token limit: the answer may be missing or unfinished."""
        return self.finish_reason == "length"

    @property
    def key(self) -> tuple[str, str, str, str]:
        return (self.task, self.variant, self.language, self.sample_id)

    @property
    def pair(self) -> Pair | None:
        """A translation's pair, read from the key its record has for `language`."""
        return pair_of(self.language)

    @property
    def scored_language(self) -> str:
        """The language its answer should be in: its own, a pair's target, or after a round
        trip the source again."""
        pair = self.pair
        return pair.reference_language if pair is not None else self.language

    @property
    def accepted(self) -> tuple[str, ...]:
        """Every acceptable answer, gold first."""
        return tuple(self.answers) or (self.gold,)

    @property
    def outputs(self) -> list[str]:
        """Every completion's answer, the first first ([] when the request failed)."""
        if self.output is None:
            return []
        return [self.output, *(c.output for c in self.completions)]


# ---- scores.json, gaps.json, summary.json


class ScoreRecord(Trimmed):
    OPTIONAL = frozenset({"errors", "und", "signature"})
    task: str
    variant: str
    language: str
    metric: str
    by: str | None = None  # a breakdown's name (subject), None for the whole cell
    group: str | None = None  # the breakdown's value (Biology)
    value: float
    n: int
    ci_low: float | None = None
    ci_high: float | None = None
    errors: int | None = None  # failed requests of the cell (whole cells only)
    und: int | None = None  # consistency: answers too short or mixed to judge
    signature: str | None = None  # a corpus metric's sacrebleu signature


class GapRecord(Trimmed):
    OPTIONAL = frozenset({"p_value", "method"})
    task: str
    variant: str
    language: str
    metric: str
    versus: str  # "language:eng_Latn" or "variant:NAME"
    value: float
    base: float
    gap: float
    relative_gap: float | None = None
    n: int
    ci_low: float | None = None
    ci_high: float | None = None
    p_value: float | None = None
    method: str | None = None


class SummaryRecord(Trimmed):
    OPTIONAL = frozenset({"share_worst", "score", "english", "source", "language"})
    task: str
    variant: str
    metric: str
    kind: str
    group: str | None = None
    value: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    n: int = 0
    items: int | None = None
    languages: int = 0
    method: str | None = None
    share_worst: float | None = None
    score: float | None = None  # a gap's own score and English's, over the shared items
    english: float | None = None
    source: str | None = None  # LCB records
    language: str | None = None


# ---- manifest.json


class HarnessInfo(Record):
    version: str
    git: str | None = None


class SourceInfo(Record):
    kind: str  # sample, local, hub, user, predictions
    location: str = ""


class VariantInfo(Trimmed):
    OPTIONAL = frozenset({"loglikelihood", "metrics"})

    template: str = ""
    template_hash: str = ""
    reply_language: str | None = None  # replies should be in this language (default: the item's)
    compare_to: str | None = None  # the variant its paired gap is computed against
    loglikelihood: str | None = None  # its formulation, where it scores continuations
    metrics: list[str] | None = None  # where they are not the task's (log-likelihood)


class TaskInfo(Trimmed):
    """A task as it was run: enough, with the samples, to score it again."""

    OPTIONAL = frozenset({"user_task", "family"})

    version: str
    kind: str
    family: str | None = None  # None: a run written before families were recorded
    metrics: list[str] = Field(default_factory=list)
    parser: str | None = None  # None: a run written before parsers were recorded
    gold_form: str | None = None
    source: SourceInfo
    notes: list[str] = Field(default_factory=list)
    languages: list[str] = Field(default_factory=list)
    variants: dict[str, VariantInfo] = Field(default_factory=dict)
    rows: dict[str, int] = Field(default_factory=dict)
    samples: dict[str, int] = Field(default_factory=dict)
    skipped: dict[str, dict[str, int]] = Field(default_factory=dict)
    alt_data: dict[str, str] = Field(default_factory=dict)
    literals: dict[str, str] = Field(default_factory=dict)
    literals_english_fallback: list[str] = Field(default_factory=list)
    user_task: dict[str, Any] | None = None

    def metrics_of(self, variant: str) -> list[str]:
        """A variant's metrics, its primary first: its own (a log-likelihood variant's) or
        the task's."""
        info = self.variants.get(variant)
        return info.metrics if info is not None and info.metrics else self.metrics


class LangidInfo(Record):
    detector: str = "default"
    model: str = ""
    english_words: str = ""


class Counts(Trimmed):
    OPTIONAL = frozenset({"cache_unreadable"})

    requests: int = 0
    sent: int = 0
    from_cache: int = 0
    failed: int = 0
    truncated: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    # rows of the response cache that could not be read (damaged, or of another version),
    # asked again; left out of the file where there were none
    cache_unreadable: int | None = None

    @field_validator("cache_unreadable")
    @classmethod
    def _none_for_zero(cls, value: int | None) -> int | None:
        return value or None


class Environment(Record):
    python: str = ""
    platform: str = ""
    libraries: dict[str, str] = Field(default_factory=dict)


class Scoring(Record):
    """A scoring of recorded answers after the run (`evaluate score`)."""

    command: list[str]
    scored: str  # ISO date-time
    harness: HarnessInfo
    langid: str  # the language identifier of this scoring
    scored_from: str  # the run folder whose answers were scored


class Manifest(Record):
    format: int = 1
    run_id: str
    status: Status
    harness: HarnessInfo
    command: list[str] = Field(default_factory=list)
    started: str  # ISO date-time
    finished: str = ""
    model: dict[str, Any]
    seed: int = 1234
    similarity: str = "tfidf"
    langid: LangidInfo = Field(default_factory=LangidInfo)
    prompt_format: str = "chat"
    limit: int | None = None
    tasks: dict[str, TaskInfo]
    counts: Counts
    timings_s: dict[str, float] = Field(default_factory=dict)
    environment: Environment = Field(default_factory=Environment)
    replay: dict[str, Any] = Field(default_factory=dict)  # the run's options, as given
    scorings: list[Scoring] = Field(default_factory=list)  # later scorings, oldest first

    @property
    def model_name(self) -> str:
        return str(self.model.get("name", ""))

    def primary_metrics(self) -> list[str]:
        """Each primary metric of the run's task variants, once, in task order."""
        found = (
            metrics[0]
            for task in self.tasks.values()
            for variant in task.variants
            if (metrics := task.metrics_of(variant))
        )
        return list(dict.fromkeys(found))

    @property
    def failed(self) -> int:
        """Requests that got no answer (0 for a complete run)."""
        return self.counts.failed
