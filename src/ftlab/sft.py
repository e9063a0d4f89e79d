"""TRL's ``SFTTrainer`` with the vocabulary scored only where the loss is: the answer's tokens.

Page 03 shows this module whole.  It needs only the public packages, so it
can be copied into a project of one's own.
"""

import torch
import torch.nn.functional as F
from trl import SFTTrainer


class AnswerOnlySFTTrainer(SFTTrainer):
    """``SFTTrainer`` whose loss projects only the answer positions through the LM head.

    TRL 1.16's own step, on any device without Triton (a CPU), sends every
    position of every posting through the 49,152-word LM head and computes
    each position's entropy and top-1 hit for its logs.  The loss reads the
    few answer tokens only.  Transformers' ``logits_to_keep`` takes a
    boolean mask of the positions to project, so the model skips the rest.
    The loss is TRL's: the answer tokens' mean negative log-likelihood.
    It covers TRL's plain loss on padded batches, what this site trains
    with; other losses and packed batches are refused, not silently changed.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        unsupported = {
            "loss_type other than 'nll'": self.args.loss_type != "nll",
            "label smoothing": self.label_smoother is not None,
            "compute_loss_func": self.compute_loss_func is not None,
            "packing or padding_free": self.args.packing or self.args.padding_free,
        }
        if any(unsupported.values()):
            found = [name for name, present in unsupported.items() if present]
            raise ValueError(f"AnswerOnlySFTTrainer computes TRL's plain loss only; remove: {', '.join(found)}")

    def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
        next_tokens = inputs["labels"][:, 1:]  # position t is scored on token t + 1
        scored = torch.zeros_like(inputs["labels"], dtype=torch.bool)
        scored[:, :-1] = next_tokens != -100  # -100: prompt or padding, no loss there
        outputs = model(
            input_ids=inputs["input_ids"],
            attention_mask=inputs["attention_mask"],
            logits_to_keep=scored,  # logits of shape (answer tokens in the batch, vocabulary)
            use_cache=False,
        )
        targets = next_tokens[next_tokens != -100]
        loss = F.cross_entropy(outputs.logits.float(), targets, reduction="sum")
        # Trainer counts the answer tokens of the whole batch, across processes
        # and accumulation steps; DDP then averages the processes' gradients.
        count = len(targets) if num_items_in_batch is None else num_items_in_batch
        loss = loss / torch.as_tensor(count).clamp(min=1)  # a batch without answer tokens: 0, not 0 / 0
        if self.args.average_tokens_across_devices and num_items_in_batch is not None:
            loss = loss * self.accelerator.num_processes
        return (loss, outputs) if return_outputs else loss
