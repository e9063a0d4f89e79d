"""The answer-only step computes TRL's loss: same batch, same model, same number (fp32)."""

from __future__ import annotations

import dataclasses

import pytest

torch = pytest.importorskip("torch")

from ftlab.train import NAMED_RUNS, sft_trainer  # noqa: E402


def first_batch_loss(config, tmp_path):
    trainer = sft_trainer(dataclasses.replace(config, steps=1), tmp_path)
    batch = trainer._prepare_inputs(next(iter(trainer.get_train_dataloader())))
    with torch.no_grad():
        return trainer.compute_loss(trainer.model, dict(batch)).item(), batch


def test_answer_only_logits_give_trls_loss(tmp_path):
    recipe = NAMED_RUNS["job-roles"]
    trl_loss, trl_batch = first_batch_loss(recipe, tmp_path / "trl")
    answer_loss, answer_batch = first_batch_loss(dataclasses.replace(recipe, logits="answer"), tmp_path / "answer")
    assert torch.equal(trl_batch["input_ids"], answer_batch["input_ids"]), "the two trainers saw different batches"
    assert answer_loss == pytest.approx(trl_loss, abs=1e-5)


def test_a_loss_it_does_not_compute_is_refused_not_changed(tmp_path):
    from trl import SFTConfig

    from ftlab.model import load_model
    from ftlab.sft import AnswerOnlySFTTrainer
    from ftlab.train import training_dataset

    model, tokenizer = load_model()
    args = SFTConfig(output_dir=str(tmp_path), loss_type="dft", max_steps=1, use_cpu=True, bf16=False, report_to="none")
    with pytest.raises(ValueError, match="remove: loss_type other than 'nll'"):
        AnswerOnlySFTTrainer(model=model, args=args, train_dataset=training_dataset(NAMED_RUNS["job-roles"]),
                             processing_class=tokenizer)
