"""The reputation chart is accessible, CSP-clean SVG."""
from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import date

from reputation.charts import describe, reputation_chart

SVG = "{http://www.w3.org/2000/svg}"
POINTS = [(date(2030, 5, 1), 1), (date(2030, 5, 3), 21), (date(2030, 6, 10), 46), (date(2030, 7, 2), 44)]


def _parse(markup) -> ET.Element:
    return ET.fromstring(str(markup))


def test_the_chart_is_valid_svg_with_a_title_and_a_description():
    root = _parse(reputation_chart(POINTS, ident="c1", label="Bob's reputation over time"))
    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == "c1-title c1-desc"
    assert root.find(f"{SVG}title").text == "Bob's reputation over time"
    assert root.find(f"{SVG}title").get("id") == "c1-title"
    assert root.find(f"{SVG}desc").text == (
        "Reputation went from 1 on May 1, 2030 to 44 on Jul 2, 2030, with a high of 46.")


def test_the_chart_has_no_style_attributes_for_the_csp():
    root = _parse(reputation_chart(POINTS))
    assert all("style" not in el.attrib for el in root.iter())
    assert root.find(f"{SVG}style") is None


def test_the_line_is_a_staircase_ending_on_the_last_total():
    root = _parse(reputation_chart(POINTS))
    [line] = [p for p in root.iter(f"{SVG}path") if p.get("class") == "rep-chart-line"]
    d = line.get("d")
    assert d.startswith("M") and d.count("H") == 3 and d.count("V") == 3
    dot = root.find(f"{SVG}circle")
    assert float(dot.get("cx")) == 640 - 16  # the right edge of the plot
    labels = [t.text for t in root.iter(f"{SVG}text")]
    assert "May 1" in labels and "Jul 2" in labels
    assert "40" in labels and "0" in labels  # round y-axis ticks around the values


def test_labels_are_escaped():
    root = _parse(reputation_chart(POINTS, label='<script>"x"</script> & co'))
    assert root.find(f"{SVG}title").text == '<script>"x"</script> & co'


def test_empty_and_single_day_histories_still_draw():
    assert describe([]) == "No reputation changes yet."
    for points in ([], [(date(2030, 1, 1), 1)]):
        root = _parse(reputation_chart(points))
        assert root.find(f"{SVG}circle") is not None


def test_years_show_when_the_history_spans_them():
    labels = [t.text for t in _parse(reputation_chart([(date(2029, 12, 1), 1), (date(2030, 2, 1), 5)]))
              .iter(f"{SVG}text")]
    assert "Dec 1, 2029" in labels and "Feb 1, 2030" in labels
