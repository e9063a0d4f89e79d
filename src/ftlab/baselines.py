"""The baselines a sceptic asks for before a generative fine-tune: does the task need an LLM?

Three classifiers, trained on the same train split as page 03's adapter and
scored on the same 160 test postings:

* TF-IDF features of words and word pairs, and a logistic regression (scikit-learn);
* the MiniLM sentence embeddings page 06 retrieves with, and a logistic regression;
* SmolLM2 with a classification head (``AutoModelForSequenceClassification``)
  and LoRA on the same layers as page 03, trained for page 03's budget
  (24 steps of 8 postings) with transformers' ``Trainer``: the standard way to
  fine-tune a decoder for a fixed label set, against generating the label.

``python -m ftlab.baselines measure`` fits and times all three and writes
``docs/results/06-baselines.json`` (every prediction, every logged loss); the
test run refits the two linear models and re-trains the head's first steps.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from ftlab import jobs
from ftlab.jobs import ROLES

RESULTS = "06-baselines"
HEAD = "SmolLM2 + classification head (LoRA)"
COMMAND = "python -m ftlab.baselines measure"
# The head's learning rate is chosen on the validation split (a new, random
# head may want another rate than page 03's adapter); the test split is
# scored once, with the chosen one.  The linear models are not tuned.
HEAD_LEARNING_RATES = (5e-4, 2e-3, 5e-3, 1e-2)


# --8<-- [start:linear]
def tfidf_classifier():
    """Words and word pairs, weighted by TF-IDF, into a multinomial logistic regression."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    return make_pipeline(
        TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=2),
        LogisticRegression(C=10.0, max_iter=2000),
    )


def embedding_classifier():
    """A logistic regression on 384-number sentence embeddings (unit length)."""
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=10.0, max_iter=2000)
# --8<-- [end:linear]


def fit_linear(train: list[dict], test: list[dict], retriever) -> dict[str, dict]:
    """Both linear baselines: predictions on ``test``, training and per-posting prediction seconds."""
    texts, labels = [r["text"] for r in train], [r["role"] for r in train]
    test_texts = [r["text"] for r in test]
    runs = {}
    started = time.perf_counter()
    tfidf = tfidf_classifier().fit(texts, labels)
    runs["TF-IDF + logistic regression"] = _timed_predictions(tfidf, test_texts, time.perf_counter() - started)
    # The training embeddings are the retriever's (cached); the test ones are computed here.
    started = time.perf_counter()
    embedder = embedding_classifier().fit(retriever.vectors.numpy(), labels)
    runs["MiniLM embeddings + logistic regression"] = _timed_predictions(
        embedder, test_texts, time.perf_counter() - started, transform=lambda t: retriever.embed(t).numpy()
    )
    return runs


def _timed_predictions(classifier, texts: list[str], train_seconds: float, transform=lambda t: t) -> dict:
    started = time.perf_counter()
    predictions = [str(p) for p in classifier.predict(transform(texts))]
    return {"predictions": predictions, "train_seconds": train_seconds,
            "seconds_per_posting": (time.perf_counter() - started) / len(texts)}


# --8<-- [start:head]
HEAD_STEPS, HEAD_BATCH, HEAD_MAX_LENGTH, SEED = 24, 8, 192, 0  # page 03's budget and length


def head_trainer(output_dir: Path, learning_rate: float, steps: int = HEAD_STEPS):
    """SmolLM2 with an 8-way classification head, LoRA on page 03's layers, trained by transformers' Trainer."""
    from datasets import Dataset
    from peft import get_peft_model
    from transformers import (AutoModelForSequenceClassification, DataCollatorWithPadding, Trainer,
                              TrainingArguments, set_seed)

    from ftlab import jobs
    from ftlab.jobs import ROLES
    from ftlab.model import load_tokenizer, resolve
    from ftlab.recipe import lora_config

    tokenizer = load_tokenizer()
    set_seed(SEED)  # the head starts random: seeded, every run starts alike
    model = AutoModelForSequenceClassification.from_pretrained(resolve(), num_labels=len(ROLES), dtype="float32")
    model.config.pad_token_id = tokenizer.pad_token_id  # the head reads the last non-padding token
    # SEQ_CLS: peft trains the new head ("score") in full, and LoRA on the rest.
    model = get_peft_model(model, lora_config(16, task_type="SEQ_CLS"))
    records = jobs.load_split("train")
    data = Dataset.from_list([{"text": r["text"], "label": ROLES.index(r["role"])} for r in records])
    data = data.map(lambda batch: tokenizer(batch["text"], truncation=True, max_length=HEAD_MAX_LENGTH),
                    batched=True, remove_columns=["text"])
    args = TrainingArguments(
        output_dir=str(output_dir), max_steps=steps, per_device_train_batch_size=HEAD_BATCH,
        learning_rate=learning_rate, lr_scheduler_type="linear", warmup_steps=2, logging_steps=1,
        save_strategy="no", report_to="none", seed=SEED, data_seed=SEED, use_cpu=True,
        dataloader_num_workers=0, disable_tqdm=True,
    )
    return Trainer(model=model, args=args, train_dataset=data, processing_class=tokenizer,
                   data_collator=DataCollatorWithPadding(tokenizer))
# --8<-- [end:head]


def head_predictions(model, tokenizer, texts: list[str], batch_size: int = 16) -> list[str]:
    """The head's role for each text: the largest of its 8 scores."""
    import torch

    tokenizer.padding_side = "right"
    predictions = []
    with torch.no_grad():
        for start in range(0, len(texts), batch_size):
            batch = tokenizer(texts[start:start + batch_size], truncation=True, max_length=HEAD_MAX_LENGTH,
                              padding=True, return_tensors="pt")
            predictions += [ROLES[i] for i in model(**batch).logits.argmax(-1).tolist()]
    return predictions


def first_head_losses(steps: int, output_dir: Path, learning_rate: float) -> list[float]:
    """The first ``steps`` losses of a fresh head run (they do not depend on the run's length)."""
    from transformers import PrinterCallback

    trainer = head_trainer(output_dir, learning_rate, steps=steps)
    trainer.remove_callback(PrinterCallback)  # the page prints its own comparison, not the log
    trainer.train()
    return _logged_losses(trainer)


def _logged_losses(trainer) -> list[float]:
    """Every step's training loss, as the Trainer logged it (logging_steps=1)."""
    return [entry["loss"] for entry in trainer.state.log_history if "loss" in entry]


def train_head(output_dir: Path, learning_rate: float, splits: dict[str, list[dict]]) -> dict:
    """One head run: its losses and seconds, and its predictions on each of ``splits``."""
    trainer = head_trainer(output_dir, learning_rate)
    started = time.perf_counter()
    trainer.train()
    run = {"learning_rate": learning_rate, "train_seconds": time.perf_counter() - started,
           "losses": _logged_losses(trainer)}
    trainer.model.eval()
    for split, records in splits.items():
        started = time.perf_counter()
        run[split] = head_predictions(trainer.model, trainer.processing_class, [r["text"] for r in records])
        run[f"{split}_seconds_per_posting"] = (time.perf_counter() - started) / len(records)
    return run


def choose_head(scratch: Path, validation: list[dict], test: list[dict]) -> tuple[dict, list[dict]]:
    """Train a head per learning rate; keep the best on validation, scored on test once."""
    golds = [r["role"] for r in validation]
    sweep, best = [], None
    for rate in HEAD_LEARNING_RATES:
        run = train_head(scratch / f"lr-{rate}", rate, {"validation": validation, "test": test})
        right = sum(p == g for p, g in zip(run["validation"], golds))
        sweep.append({"learning_rate": rate, "validation_accuracy": right / len(validation),
                      "train_seconds": run["train_seconds"], "losses": run["losses"]})
        if best is None or right > best[0]:
            best = (right, run)
    run = best[1]
    chosen = {"predictions": run["test"], "train_seconds": run["train_seconds"],
              "seconds_per_posting": run["test_seconds_per_posting"], "learning_rate": run["learning_rate"],
              "losses": run["losses"]}
    return chosen, sweep


def measure() -> Path:
    import tempfile

    from ftlab.ladder import Retriever
    from ftlab.provenance import save_results

    train, test = jobs.load_split("train"), jobs.load_split("test")
    runs = fit_linear(train, test, Retriever(train))
    with tempfile.TemporaryDirectory() as scratch:
        runs[HEAD], sweep = choose_head(Path(scratch), jobs.load_split("validation"), test)
    config = {"head_steps": HEAD_STEPS, "head_batch": HEAD_BATCH, "head_max_length": HEAD_MAX_LENGTH,
              "head_learning_rates": HEAD_LEARNING_RATES}
    return save_results(RESULTS, {"config": config, "runs": runs, "head_sweep": sweep}, seed=SEED,
                        command=COMMAND)


if __name__ == "__main__":
    if sys.argv[1:] != ["measure"]:
        sys.exit(f"usage: {COMMAND}")
    print(measure())
