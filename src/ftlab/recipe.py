"""What every training run here shares: the LoRA adapter it adds and TRL's settings for a CPU.

Page 03's SFT runs, page 05's DPO, reward-model and GRPO runs, page 06's
classification head and page 04's memory measurements all build their adapter
with :func:`lora_config` and their trainer settings with
:func:`cpu_trainer_args`, so a change here reaches every one of them (and
their cache keys, which hash the configs that use these).
"""

from __future__ import annotations

from pathlib import Path

# --8<-- [start:lora-config]
# Every linear layer of a Llama-style block: attention and MLP.
LORA_TARGETS = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")


def lora_config(rank: int = 16, alpha: int | None = None, targets=LORA_TARGETS, task_type: str = "CAUSAL_LM"):
    """peft's ``LoraConfig``: rank ``rank`` on ``targets``, scale alpha/rank (alpha = 2 x rank unless given), no dropout.

    ``task_type="SEQ_CLS"`` also trains and saves a classification model's new head.
    """
    from peft import LoraConfig

    return LoraConfig(
        r=rank,
        lora_alpha=2 * rank if alpha is None else alpha,
        lora_dropout=0.0,
        target_modules=list(targets),
        task_type=task_type,
    )
# --8<-- [end:lora-config]


# --8<-- [start:trainer-args]
def cpu_trainer_args(
    output_dir: Path, *, steps: int, batch_size: int, learning_rate: float, seed: int, bf16: bool = False
) -> dict:
    """Arguments every TRL config here starts from: its GPU-minded defaults undone for a CPU.

    TRL's configs default to bf16 and gradient checkpointing; on a CPU
    without bf16 arithmetic the first is emulated slowly (``bf16=True`` asks
    for autocast, worth it with AMX or AVX-512 BF16), and the second
    trades time for a memory saving a 135M model does not need.  Every step's
    loss is logged (short re-runs are checked against committed runs step by
    step); nothing is saved unless a caller asks; no progress bar or tracker.
    """
    return dict(
        output_dir=str(output_dir),
        max_steps=steps,
        per_device_train_batch_size=batch_size,
        learning_rate=learning_rate,
        logging_steps=1,
        save_strategy="no",
        report_to="none",
        seed=seed,
        data_seed=seed,
        bf16=bf16,
        gradient_checkpointing=False,
        use_cpu=True,
        dataloader_num_workers=0,
        disable_tqdm=True,
    )
# --8<-- [end:trainer-args]
