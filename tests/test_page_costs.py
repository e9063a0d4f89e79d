"""Each page's "What running this page costs" box says what the committed measurement found."""

from __future__ import annotations

from pathlib import Path

from ftlab import pagecosts
from ftlab.provenance import load_results

DOCS = Path(__file__).resolve().parents[1] / "docs"
BOX = '!!! info "What running this page costs"'


def test_the_measurement_covers_every_page_in_order_and_each_ran_cleanly():
    rows = load_results(pagecosts.RESULTS)["results"]["pages"]
    assert [row["page"] for row in rows] == list(pagecosts.PAGES)
    assert sorted(pagecosts.PAGES) == sorted(p.name for p in DOCS.glob("*.md"))
    assert [row["page"] for row in rows if row["exit_status"] != 0] == []


def test_every_page_quotes_its_own_row():
    for page, sentence in pagecosts.committed_sentences().items():
        text = (DOCS / page).read_text(encoding="utf-8")
        assert BOX in text, f"docs/{page}: no cost box ({BOX})"
        box = text[text.index(BOX):].split("\n\n", 1)[0]
        assert sentence in " ".join(box.split()), (
            f"docs/{page}: the cost box must say, from docs/results/{pagecosts.RESULTS}.json: {sentence}"
        )


def test_the_sentence_rounds_minutes_and_says_so_under_one():
    row = {"seconds": 29.0, "peak_rss_mb": 2140}
    assert pagecosts.cost_sentence(row, "M") == (
        "Under a minute on M, after the pages before it, from an empty cache; peak memory 2.1 GB")
    assert pagecosts.cost_sentence({**row, "seconds": 400.0}, "M").startswith("About 7 min on M")
