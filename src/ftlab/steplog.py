"""A Trainer callback that times each step and reports progress to the process that started training."""

import time

from transformers import TrainerCallback

from ftlab.runs import report_progress


class StepLog(TrainerCallback):
    """Each optimizer step's seconds and the real tokens seen by its end; a progress line per step.

    The first step also builds the optimizer's state, so speed figures made
    from ``steps`` usually leave it out.
    """

    def __init__(self):
        self.steps: list[dict] = []
        self._started = 0.0

    def on_step_begin(self, args, state, control, **kwargs):
        self._started = time.perf_counter()

    def on_step_end(self, args, state, control, **kwargs):
        seconds = time.perf_counter() - self._started
        self.steps.append({"step": state.global_step, "seconds": round(seconds, 3),
                           "tokens_seen": int(state.num_input_tokens_seen)})
        if state.is_world_process_zero:
            report_progress(state.global_step, state.max_steps)
