"""When to fine-tune: the chapter's decision ladder as a function you can run.

Describe a use case as a :class:`Situation` (the facts you know about it) and
:func:`recommend` says which rung of the ladder fits::

    prompt engineering  ->  RAG  ->  fine-tuning  ->  pre-training
    cheapest, try first                       most expensive, rarely right

with the reasons, each naming the rule in :data:`RULES` that produced it.
Rungs combine where the needs are independent: facts come from retrieval
(RAG), behaviour from training, so a use case can need "RAG + fine-tuning".

The rules follow the chapter's outline: prompt first; retrieve knowledge the
model lacks or that changes; fine-tune for consistent behaviour, domain
language, a prompt that has stopped improving, or a prompt too long for the
latency and cost budget, and only with 500+ good examples (under 50, prompt
instead); pre-train only for a language or domain no model knows, with the
corpus and compute it takes.  The thresholds are rules of thumb, named as
constants below so that a reader can see, and change, every one of them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields

PROMPTING = "prompt engineering"
RAG = "RAG"
FINE_TUNING = "fine-tuning"
PRE_TRAINING = "pre-training"
LADDER = (PROMPTING, RAG, FINE_TUNING, PRE_TRAINING)

# The outline's two data thresholds.  Under 50 examples, they are worth more
# as few-shot examples in the prompt than as training data; from 500 up,
# fine-tuning has enough to learn a behaviour rather than memorise examples.
TOO_FEW_EXAMPLES = 50
ENOUGH_EXAMPLES = 500

# This site's rule of thumb for volume: at 100 million prompt tokens a day,
# the prompt itself is the running cost, and a training run paid once to
# shorten it is cheap by comparison.
DAILY_PROMPT_TOKENS_WORTH_TRAINING = 100_000_000

# Pre-training from scratch, sized for the smallest model worth the effort,
# about 1 billion parameters.  It wants about 20 tokens of text per parameter
# (the "Chinchilla" ratio, Hoffmann et al. 2022) and about 6 floating-point
# operations per parameter per token.
PRE_TRAINING_PARAMETERS = 1_000_000_000
TOKENS_PER_PARAMETER = 20
PRE_TRAINING_MIN_TOKENS = TOKENS_PER_PARAMETER * PRE_TRAINING_PARAMETERS
# One H100 (989 TFLOP/s bf16 peak) kept 40% busy, a fair figure for a
# well-tuned training job: one such run takes about 3.5 GPU-days.
H100_PEAK_FLOPS = 989e12
UTILISATION = 0.4
ONE_RUN_GPU_DAYS = 6 * PRE_TRAINING_PARAMETERS * PRE_TRAINING_MIN_TOKENS / (H100_PEAK_FLOPS * UTILISATION) / 86_400
# Nobody gets it right in one run (data mixes, ablations, restarts), so the
# budget must cover ten.
PRE_TRAINING_RUNS = 10
PRE_TRAINING_MIN_GPU_DAYS = PRE_TRAINING_RUNS * ONE_RUN_GPU_DAYS

RULES = {
    # knowledge: RAG
    "current-facts": "answers depend on facts that change: retrieve them at question time",
    "private-facts": "answers depend on documents the model never saw: retrieve them",
    # behaviour: what points to fine-tuning
    "consistent-format": "the output must keep one format or style every time",
    "specialised-language": "the domain's language (legal, medical) is one the base model reads poorly",
    "prompting-plateaued": "the base model with its best prompt stays below the target accuracy",
    "prompt-over-budget": "the working prompt is longer than latency and cost per request allow",
    "high-volume": f"at {DAILY_PROMPT_TOKENS_WORTH_TRAINING:,}+ prompt tokens a day, the prompt is the bill",
    "enough-examples": f"{ENOUGH_EXAMPLES}+ good examples: enough to fine-tune",
    # what stops fine-tuning even when something points to it
    "not-measured": "no measured baseline: prompt first, and measure it on held-out examples",
    "base-works-well": "the prompted base model already meets the target",
    "too-few-examples": f"under {TOO_FEW_EXAMPLES} examples: use them in the prompt instead",
    "collect-more-examples": f"{TOO_FEW_EXAMPLES} to {ENOUGH_EXAMPLES - 1} examples: collect more before fine-tuning",
    "general-purpose": "a general-purpose task: the base model was trained for exactly that",
    # pre-training
    "pre-train": "no model knows the language or domain, and corpus and compute suffice",
    "pre-training-out-of-reach": "no model knows the language or domain, but corpus or compute fall short",
    # the default
    "start-with-prompting": "nothing calls for a higher rung: a good prompt is the answer",
}


@dataclass(frozen=True, kw_only=True)
class Situation:
    """The facts of one use case that decide the rung.  Every field is checked."""

    labelled_examples: int = field(metadata={"help": "good, checked input/answer pairs you have"})
    prompted_accuracy: float | None = field(
        default=None,
        metadata={"help": "base model + best prompt (+ retrieval if needed), on held-out data; None: not measured"},
    )
    target_accuracy: float = field(default=0.9, metadata={"help": "the accuracy the use case needs"})
    needs_current_facts: bool = field(default=False, metadata={"help": "answers depend on facts that change"})
    needs_private_facts: bool = field(
        default=False, metadata={"help": "answers depend on documents the model never saw"}
    )
    needs_consistent_format: bool = field(
        default=False, metadata={"help": "the output must keep one exact format or style"}
    )
    specialised_language: bool = field(
        default=False, metadata={"help": "legal, medical or similar language the base model reads poorly"}
    )
    general_purpose: bool = field(default=False, metadata={"help": "open-ended work rather than one narrow task"})
    prompt_tokens: int = field(
        default=0, metadata={"help": "tokens per request of the prompt that works (instructions, examples, retrieved text, input)"}
    )
    max_prompt_tokens: int | None = field(
        default=None, metadata={"help": "the most prompt tokens the latency target and cost per request allow"}
    )
    requests_per_day: int = field(default=0, metadata={"help": "expected volume"})
    new_language_or_domain: bool = field(
        default=False, metadata={"help": "no existing model has seen the language or domain"}
    )
    corpus_tokens: int = field(default=0, metadata={"help": "raw text available for pre-training"})
    gpu_days: float = field(default=0.0, metadata={"help": "compute budget, in H100-days"})

    def __post_init__(self):
        for name in ("labelled_examples", "prompt_tokens", "requests_per_day", "corpus_tokens"):
            _check_count(name, getattr(self, name))
        for name in ("needs_current_facts", "needs_private_facts", "needs_consistent_format",
                     "specialised_language", "general_purpose", "new_language_or_domain"):
            _check_flag(name, getattr(self, name))
        if self.prompted_accuracy is not None:
            _check_share("prompted_accuracy", self.prompted_accuracy, "or None if not measured")
        _check_share("target_accuracy", self.target_accuracy)
        if self.target_accuracy == 0:
            _fail("target_accuracy", "must be above 0 (a target of 0 is met by any answer)", self.target_accuracy)
        if self.max_prompt_tokens is not None:
            _check_count("max_prompt_tokens", self.max_prompt_tokens, minimum=1, none_allowed=True)
        _check_amount("gpu_days", self.gpu_days)


def _fail(name: str, rule: str, value, hint: str = "") -> None:
    raise ValueError(f"Situation.{name} {rule}, got {value!r}{hint}")


def _is_number(value) -> bool:
    # bool is a subclass of int, but True examples or True GPU-days is a typo
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _check_count(name: str, value, minimum: int = 0, none_allowed: bool = False) -> None:
    also = " (or None)" if none_allowed else ""
    if not isinstance(value, int) or isinstance(value, bool):
        _fail(name, f"must be a whole number{also}", value)
    if value < minimum:
        _fail(name, f"must be {minimum} or more{also}", value)


def _check_flag(name: str, value) -> None:
    if not isinstance(value, bool):
        _fail(name, "must be True or False", value)


def _check_share(name: str, value, also: str = "") -> None:
    also = f" ({also})" if also else ""
    if not _is_number(value):
        _fail(name, f"must be a number between 0 and 1{also}", value)
    if not 0 <= value <= 1:
        # 85 for 85% is the likely slip; say how to write it
        hint = f": write {value / 100:g} for {value:g}%" if 1 < value <= 100 else ""
        _fail(name, f"must be between 0 and 1{also}", value, hint)


def _check_amount(name: str, value) -> None:
    if not _is_number(value) or not math.isfinite(value) or value < 0:
        _fail(name, "must be a finite number, 0 or more", value)


@dataclass(frozen=True)
class Reason:
    """One rule that fired, and what it says about this situation."""

    rule: str
    says: str

    def __str__(self) -> str:
        return f"{self.rule}: {self.says}"


@dataclass(frozen=True)
class Recommendation:
    rung: str
    reasons: tuple[Reason, ...]

    @property
    def rules(self) -> tuple[str, ...]:
        return tuple(reason.rule for reason in self.reasons)

    def __str__(self) -> str:
        return "\n".join([self.rung] + [f"  - {reason}" for reason in self.reasons])


def _share(value: float) -> str:
    return f"{value * 100:.3g}%"


def field_help() -> dict[str, str]:
    """Each Situation field and what it means, for a reader filling one in."""
    return {f.name: f.metadata["help"] for f in fields(Situation)}


def knowledge_reasons(s: Situation) -> list[Reason]:
    """Facts the weights cannot hold reliably: they come from retrieval."""
    reasons = []
    if s.needs_current_facts:
        reasons.append(Reason("current-facts", "weights are frozen at training time; a retriever reads today's version"))
    if s.needs_private_facts:
        reasons.append(Reason("private-facts", "retrieval puts the right passage in front of the model, where it can cite it"))
    return reasons


def prompt_is_costly(s: Situation) -> list[Reason]:
    """Latency and cost: reasons to move the prompt's instructions into the weights."""
    reasons = []
    if s.max_prompt_tokens is not None and s.prompt_tokens > s.max_prompt_tokens:
        reasons.append(Reason(
            "prompt-over-budget",
            f"the working prompt needs {s.prompt_tokens:,} tokens, the budget allows {s.max_prompt_tokens:,}; "
            "fine-tuning moves the instructions and examples into the weights",
        ))
    daily = s.prompt_tokens * s.requests_per_day
    if daily >= DAILY_PROMPT_TOKENS_WORTH_TRAINING:
        reasons.append(Reason(
            "high-volume",
            f"{s.requests_per_day:,} requests x {s.prompt_tokens:,} tokens = {daily:,} prompt tokens a day; "
            "training is paid once, the prompt on every request",
        ))
    return reasons


def behaviour_reasons(s: Situation) -> list[Reason]:
    """What the prompt cannot make reliable: reasons that point to fine-tuning."""
    reasons = []
    if s.needs_consistent_format:
        reasons.append(Reason("consistent-format", "instructions ask for a format; training on examples makes it a habit"))
    if s.specialised_language:
        reasons.append(Reason("specialised-language", "examples teach the domain's vocabulary and usage"))
    if s.prompted_accuracy is not None and s.prompted_accuracy < s.target_accuracy:
        reasons.append(Reason(
            "prompting-plateaued",
            f"the best prompt reaches {_share(s.prompted_accuracy)}, short of the {_share(s.target_accuracy)} target",
        ))
    return reasons


def fine_tuning_blockers(s: Situation, cost_reasons: list[Reason]) -> list[Reason]:
    """Why not fine-tune now, even though something points to it."""
    blockers = []
    if s.prompted_accuracy is None:
        blockers.append(Reason("not-measured", "without a baseline nobody can tell whether fine-tuning helped"))
    elif s.prompted_accuracy >= s.target_accuracy and not cost_reasons:
        # Accuracy counts only answers in the required format, so meeting the
        # target means format and language are handled too; cost is another matter.
        blockers.append(Reason(
            "base-works-well",
            f"the prompted base model reaches {_share(s.prompted_accuracy)}, "
            f"meeting the {_share(s.target_accuracy)} target",
        ))
    blockers += data_blockers(s)
    if s.general_purpose:
        blockers.append(Reason("general-purpose", "fine-tuning narrows a model; open-ended work needs its breadth"))
    return blockers


def data_blockers(s: Situation) -> list[Reason]:
    n = s.labelled_examples
    if n < TOO_FEW_EXAMPLES:
        return [Reason("too-few-examples", f"only {n}: put the best of them in the prompt as few-shot examples")]
    if n < ENOUGH_EXAMPLES:
        return [Reason("collect-more-examples", f"{n} so far: collect {ENOUGH_EXAMPLES - n} more before fine-tuning")]
    return []


def pre_training_reasons(s: Situation) -> tuple[bool, list[Reason]]:
    """(pre-train?, why): only for a language or domain no model knows, with the means to do it."""
    if not s.new_language_or_domain:
        return False, []
    have = f"{s.corpus_tokens:,} tokens and {s.gpu_days:g} GPU-days"
    need = f"{PRE_TRAINING_MIN_TOKENS:,} tokens and {PRE_TRAINING_MIN_GPU_DAYS:.0f} GPU-days"
    if s.corpus_tokens >= PRE_TRAINING_MIN_TOKENS and s.gpu_days >= PRE_TRAINING_MIN_GPU_DAYS:
        return True, [Reason("pre-train", f"{have} cover the {need} a small model from scratch takes")]
    return False, [Reason("pre-training-out-of-reach", f"{have}, short of {need}; adapt the closest existing model")]


def fine_tuning_decision(s: Situation) -> tuple[list[str], list[Reason]]:
    """([FINE_TUNING] or [], why): wanted for behaviour or cost, and nothing in the way."""
    cost = prompt_is_costly(s)
    wanted = behaviour_reasons(s) + cost
    if not wanted:
        return [], []
    blockers = fine_tuning_blockers(s, cost)
    if blockers:
        return [], wanted + blockers
    enough = Reason("enough-examples", f"{s.labelled_examples:,} good examples, at least the {ENOUGH_EXAMPLES} it takes")
    return [FINE_TUNING], wanted + [enough]


def recommend(situation: Situation) -> Recommendation:
    """The lowest rungs that meet the situation's needs, and the rules that put them there."""
    if not isinstance(situation, Situation):
        raise TypeError(f"recommend() takes a Situation, got {type(situation).__name__}")
    rungs, reasons = [], []
    knowledge = knowledge_reasons(situation)
    if knowledge:
        rungs.append(RAG)
        reasons += knowledge
    rungs_for_behaviour, behaviour = fine_tuning_decision(situation)
    rungs += rungs_for_behaviour
    reasons += behaviour
    pre_train, pre_training = pre_training_reasons(situation)
    if pre_train:
        rungs.append(PRE_TRAINING)
    reasons += pre_training
    if not rungs:
        reasons.append(Reason("start-with-prompting", "instructions, output format and a few examples in the prompt"))
    return Recommendation(" + ".join(rungs) or PROMPTING, tuple(reasons))
