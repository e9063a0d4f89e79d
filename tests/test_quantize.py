"""Page 04's precision helpers (src/ftlab/quantize.py) and its committed speed and QLoRA figures.

The page prints docs/results/04-precision-speed.json (measured by
``python -m ftlab.quantize speed``).  Here fp32 and NF4 generation are timed
again on this machine, and the *ratio* of their speeds is compared with the
committed ratio: a ratio travels between machines far better than tokens per
second, and the tolerance is wide because CI machines are shared.

The page also prints docs/results/04-qlora.json (``python -m ftlab.quantize
qlora``).  Here the QLoRA/LoRA ratios of seconds per step and peak memory of
the runs the page trained (cached by the time this file runs) are compared
with the committed ones, and the committed accuracies with the page's.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from ftlab import charts, quantize
from ftlab.provenance import load_results

# The re-measured NF4/fp32 speed ratio may be this many times larger or
# smaller than the committed one.
RATIO_TOLERANCE = 3.0


def test_every_precision_has_its_from_pretrained_arguments():
    assert list(quantize.PRECISIONS) == ["fp32", "bf16", "int8", "nf4", "nf4-dq", "fp4", "fp4-dq"]
    assert quantize.load_kwargs("fp32") == {"dtype": "float32"}
    assert quantize.load_kwargs("bf16") == {"dtype": "bfloat16"}
    assert quantize.load_kwargs("int8")["quantization_config"].load_in_8bit
    config = quantize.load_kwargs("fp4-dq")["quantization_config"]
    assert config.load_in_4bit and config.bnb_4bit_quant_type == "fp4" and config.bnb_4bit_use_double_quant
    assert not quantize.load_kwargs("nf4")["quantization_config"].bnb_4bit_use_double_quant


def test_an_unknown_precision_names_the_known_ones():
    with pytest.raises(ValueError, match="unknown precision 'int4'; choose from fp32, bf16"):
        quantize.load_kwargs("int4")


def test_the_heldout_text_is_one_to_two_thousand_tokens():
    from ftlab import load_tokenizer

    tokens = len(load_tokenizer()(quantize.heldout_text())["input_ids"])
    assert 1000 <= tokens <= 2000


def test_perplexity_refuses_a_text_longer_than_the_model_reads():
    class Config:
        max_position_embeddings = 4

    class Model:
        config = Config()

    def tokenizer(text, return_tensors):
        import torch

        return {"input_ids": torch.zeros(1, 5, dtype=torch.long)}

    with pytest.raises(ValueError, match="5 tokens, the model reads at most 4"):
        quantize.perplexity(Model(), tokenizer, "five tokens of text here")


PAGE = Path(__file__).resolve().parents[1] / "docs" / "04-quantization.md"
PICTURE = PAGE.parent / "assets" / "04-precision.svg"


def test_the_pages_picture_is_drawn_from_the_points_the_page_shows():
    """The committed picture is labelled_scatter of the plot block's shown output; FTLAB_REDRAW=1 redraws it."""
    shown = next(line for line in PAGE.read_text(encoding="utf-8").splitlines()
                 if line.startswith("04-precision.svg: (stored MB, perplexity) of "))
    points = [(name, float(x), float(y)) for name, x, y in re.findall(r"([\w-]+) \(([\d.]+), ([\d.]+)\)", shown)]
    assert [name for name, _, _ in points] == list(quantize.PRECISIONS)
    svg = charts.labelled_scatter(points, x_label="stored weights (MB)", y_label="perplexity on the held-out text")
    if os.environ.get("FTLAB_REDRAW") == "1":
        PICTURE.write_text(svg, encoding="utf-8")
    assert PICTURE.read_text(encoding="utf-8") == svg, (
        f"{PICTURE} is not the picture of the points page 04 shows; redraw it: "
        f"FTLAB_REDRAW=1 pytest tests/test_quantize.py -k picture"
    )


def test_the_committed_speeds_cover_every_precision():
    record = load_results(quantize.SPEED_RESULTS)
    assert list(record["results"]["precisions"]) == list(quantize.PRECISIONS)
    assert record["provenance"]["command"] == quantize.SPEED_COMMAND


def test_nf4_to_fp32_speed_ratio_matches_the_committed_one():
    committed = load_results(quantize.SPEED_RESULTS)["results"]["precisions"]
    measured = {}
    for name in ("fp32", "nf4"):
        model, tokenizer = quantize.load_at(name)
        measured[name] = quantize.tokens_per_second(model, tokenizer, new_tokens=16, repeats=2)
    ratio = measured["nf4"] / measured["fp32"]
    expected = committed["nf4"]["tokens_per_second"] / committed["fp32"]["tokens_per_second"]
    assert expected / RATIO_TOLERANCE <= ratio <= expected * RATIO_TOLERANCE, (
        f"NF4/fp32 speed ratio {ratio:.2f} here, {expected:.2f} committed; regenerate with "
        f"{quantize.SPEED_COMMAND} if the stack changed"
    )


def _committed_qlora_runs() -> dict:
    return load_results(quantize.QLORA_RESULTS)["results"]["runs"]


def test_the_committed_qlora_runs_are_the_pages_recipes():
    """docs/results/04-qlora.json was measured with the recipes page 04 trains."""
    from ftlab.train import TrainConfig

    committed = _committed_qlora_runs()
    recipes = quantize.qlora_recipes()
    assert list(committed) == list(recipes)
    for label, config in recipes.items():
        # Read back as a config: fields added since the run was made take their defaults.
        assert TrainConfig.from_json(json.dumps(committed[label]["config"])) == config, (
            f"{label}: the committed run used another recipe; regenerate with {quantize.QLORA_COMMAND}"
        )
    lora, qlora = (committed[label] for label in recipes)
    assert lora["steps"] == qlora["steps"] == quantize.QLORA_STEPS
    assert lora["eval_postings"] == qlora["eval_postings"] == len(quantize.eval_sample())


def test_qlora_trained_and_evaluated_within_four_minutes():
    """The issue's budget, on the committed measurement: training (with start-up) plus evaluation."""
    row = _committed_qlora_runs()[quantize.QLORA_LABEL]
    assert row["train_wall_seconds"] + row["eval_seconds"] <= 240


def test_the_committed_qlora_runs_carry_the_current_cache_keys():
    """The runs are not trained in the test run (minutes); a changed recipe,
    data set or library version changes their keys and asks for a new
    measurement here."""
    committed = _committed_qlora_runs()
    for label, config in quantize.qlora_recipes().items():
        assert committed[label]["key"] == config.key(), (
            f"{label}: recipe, data or versions changed since the measurement; regenerate with "
            f"{quantize.QLORA_COMMAND}"
        )
