"""The server-drawn charts: their structure (a bar per value, labels escaped, links on bars), numbers in the page's
language, and nothing the content security policy would block (no style or script inside)."""

import re
import xml.etree.ElementTree as ET

import pytest

from web.charts import bar_chart, line_chart, sparkline, waterfall_chart

SVG = "{http://www.w3.org/2000/svg}"


def _csp_safe(markup: str) -> None:
    assert not re.search(r"<style|<script|\sstyle=|\son[a-z]+=", markup), "inline style or script in a chart"


def test_a_bar_chart_draws_a_bar_per_value_with_escaped_labels_and_links() -> None:
    chart = str(bar_chart(["Новые <b>", "Lost"], [1_250_000, -300], title="Воронка", links=["/deals?a=1&b=2", None]))
    _csp_safe(chart)
    root = ET.fromstring(chart)  # well-formed XML: labels and links are escaped
    bars = root.findall(f".//{SVG}g[@class]")
    bars = [bar for bar in bars if bar.get("class", "").startswith("chart-bar")]
    assert [bar.get("data-label") for bar in bars] == ["Новые <b>", "Lost"]
    assert [bar.get("class") for bar in bars] == ["chart-bar positive", "chart-bar negative"]
    assert [a.get("href") for a in root.iter(f"{SVG}a")] == ["/deals?a=1&b=2"]
    assert root.find(f"{SVG}title").text == "Воронка"
    values = [text.text for text in root.iter(f"{SVG}text") if text.get("class") == "chart-value"]
    assert values == ["1.2M", "-300"]
    russian = ET.fromstring(str(bar_chart(["a"], [1_250_000], title="t", locale="ru")))
    value = next(t.text for t in russian.iter(f"{SVG}text") if t.get("class") == "chart-value")
    assert value == "1,2\xa0млн"


def test_a_waterfall_runs_from_start_to_end_and_a_line_chart_has_a_series_each() -> None:
    chart = str(waterfall_chart([("Up", 50), ("Down", -80)], title="W", start_label="A", end_label="B", start=100))
    _csp_safe(chart)
    root = ET.fromstring(chart)
    kinds = [g.get("class") for g in root.iter(f"{SVG}g") if g.get("class", "").startswith("chart-bar")]
    assert kinds == ["chart-bar total", "chart-bar up", "chart-bar down", "chart-bar total"]
    assert "B: 70" in root.find(f"{SVG}desc").text, "the end total is the start plus the steps"

    lines = ET.fromstring(str(line_chart(["d1", "d2", "d3"], {"Commit": [1, 2, 3], "Best": [3, 2, 1]}, title="L")))
    series = [g for g in lines.iter(f"{SVG}g") if g.get("class", "").startswith("chart-series")]
    assert [g.get("data-series") for g in series] == ["Commit", "Best"]
    assert [len(g.findall(f"{SVG}circle")) for g in series] == [3, 3]
    with pytest.raises(ValueError, match="series 'Best' has 2 points for 3 labels"):
        line_chart(["d1", "d2", "d3"], {"Best": [1, 2]}, title="L")
    with pytest.raises(ValueError, match="2 labels but 1 values"):
        bar_chart(["a", "b"], [1], title="B")


def test_a_sparkline_spans_its_values() -> None:
    line = str(sparkline([1, 3, 2], label="Win rate"))
    _csp_safe(line)
    root = ET.fromstring(line)
    assert root.find(f"{SVG}polyline").get("points") == "2.0,22.0 50.0,2.0 98.0,12.0"
    assert root.find(f"{SVG}title").text == "Win rate 1 → 2"
    assert str(sparkline([])) == ""
