"""The step-speed benchmark: its arithmetic, and that its committed file still describes the recipe."""

from __future__ import annotations

import pytest

from ftlab import stepspeed


def test_speed_leaves_out_the_first_step():
    log = {
        "config": {"method": "lora"}, "total_parameters": 100, "train_seconds": 9.0, "key": "k",
        "load_average_before": 0.1, "load_average_after": 0.2,
        "step_times": [{"step": 1, "seconds": 5.0, "tokens_seen": 1000},
                       {"step": 2, "seconds": 2.0, "tokens_seen": 1500},
                       {"step": 3, "seconds": 2.0, "tokens_seen": 2000}],
        "loss_history": [{"step": s, "loss": 1.0} for s in (1, 2, 3)],
    }
    figures = stepspeed.step_figures(log, peak_flops=1e5)
    assert figures["tokens_per_second"] == 250.0  # 1,000 tokens in 4 s; step 1's 5 s left out
    assert figures["median_step_seconds"] == 2.0
    assert figures["mfu"] == pytest.approx(250 * 4 * 100 / 1e5)


@pytest.mark.parametrize("flags, expected", [
    ({"avx2", "avx512f"}, False), ({"avx512_bf16"}, True), ({"amx_bf16", "amx_tile"}, True),
])
def test_bf16_runs_only_where_the_cpu_has_bf16_arithmetic(flags, expected):
    assert stepspeed.has_bf16_arithmetic(flags, environ={}) is expected


def test_bf16_is_left_out_when_the_dispatch_is_capped_below_it():
    from ftlab.cpu import CAPPED_TO_AVX2

    assert stepspeed.has_bf16_arithmetic({"amx_bf16", "avx512_bf16"}, environ=CAPPED_TO_AVX2) is False


def test_the_committed_benchmark_describes_the_recipe_as_it_is():
    results = stepspeed.committed()["results"]
    for name, row in results["variants"].items():
        assert row["run_key"] == stepspeed.variant_config(stepspeed.VARIANTS[name]).key(), (
            f"{name}: the recipe changed since it was timed; rerun python -m ftlab measure step-speed"
        )
    assert set(results["variants"]) | set(results["skipped"]) == set(stepspeed.VARIANTS)
    assert results["variants"]["TRL's step"]["speedup"] == 1.0
