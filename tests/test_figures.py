"""Every chart on the site is what its committed results draw, and drawing is repeatable."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import numpy as np
import pytest

from ftlab import charts, figures
from ftlab.provenance import assets_dir

SVG_TEXT = "{http://www.w3.org/2000/svg}text"


@pytest.mark.parametrize("chart", figures.CHARTS, ids=lambda chart: chart.name)
def test_the_committed_chart_is_what_its_results_draw(chart):
    path = assets_dir() / chart.name
    assert path.read_text(encoding="utf-8") == figures.drawn(chart), (
        f"docs/assets/{chart.name} is not what docs/results/{chart.results}.json draws: "
        f"run python -m ftlab figures"
    )


def test_every_chart_is_shown_on_its_page():
    for chart in figures.CHARTS:
        page = next((assets_dir().parent).glob(f"{chart.page}-*.md"))
        assert f"assets/{chart.name}" in page.read_text(encoding="utf-8"), f"{page.name} does not show {chart.name}"


def test_the_check_command_names_a_stale_chart(tmp_path, monkeypatch, capsys):
    site = tmp_path / "site"
    (site / "docs" / "assets").mkdir(parents=True)
    (site / "docs" / "results").symlink_to(assets_dir().parent / "results")
    (site / "mkdocs.yml").write_text("site_name: x\n")
    monkeypatch.setenv("FTLAB_SITE", str(site))
    figures.redraw()
    assert figures.stale() == []
    (site / "docs" / "assets" / "06-ladder.svg").write_text("<svg/>")
    assert figures.run(type("Args", (), {"check": True})()) == 1
    assert "06-ladder.svg" in capsys.readouterr().err


def test_a_chart_is_the_same_bytes_every_time_and_keeps_its_text():
    rows = [("a", 0.5, 0.4, 0.6), ("b", 0.9, 0.85, 0.95)]
    svg = charts.interval_chart(rows, x_label="accuracy")
    assert svg == charts.interval_chart(rows, x_label="accuracy")
    texts = [node.text for node in ET.fromstring(svg).iter(SVG_TEXT)]
    assert "a" in texts and "b" in texts and "accuracy" in texts  # text, not paths: searchable


def test_the_heatmap_writes_every_nonzero_count():
    counts = np.array([[1, 0], [2, 3]])
    svg = charts.heatmap(counts, rows=["r1", "r2"], columns=["c1", "c2"], title="t", x_label="x", y_label="y")
    texts = [node.text for node in ET.fromstring(svg).iter(SVG_TEXT)]
    assert [t for t in texts if t in {"0", "1", "2", "3"}] == ["1", "2", "3"]


@pytest.mark.parametrize("draw, empty", [
    (charts.line_chart, {}), (charts.interval_chart, []), (charts.labelled_scatter, []),
    (charts.stacked_bars, {}), (charts.line_panels, []),
])
def test_an_empty_chart_is_refused(draw, empty):
    with pytest.raises(ValueError, match="no "):
        draw(empty, x_label="x", **({"y_label": "y"} if draw in (charts.line_chart, charts.labelled_scatter) else {}))
