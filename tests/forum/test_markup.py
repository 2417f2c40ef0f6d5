"""The one sanitiser: Markdown features survive, everything dangerous does not."""
import pytest

from forum.markup import USER_LINK_REL, as_markup, clean, plain_text, render


def test_fenced_code_keeps_language_class_and_escapes_content():
    html = render("```python\nprint('<b>')\n```")
    assert '<pre><code class="language-python">' in html
    assert "&lt;b&gt;" in html


def test_tables_render():
    html = render("| a | b |\n|---|---|\n| 1 | 2 |")
    assert "<table>" in html and "<th>a</th>" in html and "<td>2</td>" in html


def test_user_links_get_nofollow_ugc_noopener():
    html = render("[docs](https://example.com/docs) and https://example.org")
    assert html.count(f'rel="{USER_LINK_REL}"') == 2


@pytest.mark.parametrize("source", [
    "[x](javascript:alert(1))",
    "[x](JaVaScRiPt:alert(1))",
    "[x](&#106;avascript:alert(1))",
    "<a href='javascript:alert(1)'>x</a>",
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "![i](javascript:alert(1))",
    "<img src=x onerror=alert(1)>",
    "<svg onload=alert(1)>",
    "<details open ontoggle=alert(1)>",
    "<iframe src='https://evil.example'></iframe>",
    "<a href='https://ok.example' onclick='alert(1)'>x</a>",
    "<p style='background:url(javascript:alert(1))'>x</p>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
])
def test_dangerous_markup_is_neutralised(source):
    html = render(source).lower()
    assert "javascript:" not in html
    assert "onerror" not in html and "onload" not in html and "ontoggle" not in html and "onclick" not in html
    assert "<iframe" not in html and "<svg" not in html and "style=" not in html
    assert "data:text" not in html


def test_script_and_style_are_dropped_with_their_content():
    html = render("<script>alert('x')</script>\n\nhello <style>body{}</style>")
    assert "alert" not in html and "body{}" not in html
    assert "hello" in html


def test_unknown_code_classes_are_removed():
    assert "class" not in clean('<code class="evil x">y</code>')


def test_clean_is_idempotent():
    sources = ["**a** <i>b</i> [c](https://x.example)", "<a href='https://a.example'>a</a> & <b>", "| a |\n|---|\n| 1 |"]
    for source in sources:
        once = render(source)
        assert clean(once) == once


def test_plain_text_strips_markup_and_unescapes():
    assert plain_text("**bold** & <b>tag</b>\n\n- item") == "bold & tag item"


def test_as_markup_marks_stored_html_safe():
    assert as_markup("<p>x</p>").__html__() == "<p>x</p>"


def test_code_is_escaped_exactly_once():
    html = render("Use `a<b && c` or\n\n```\nif (x < 1 && y) {}\n```")
    assert "a&lt;b &amp;&amp; c" in html
    assert "x &lt; 1 &amp;&amp; y" in html
    assert "&amp;lt;" not in html and "&amp;amp;" not in html


def test_urls_inside_code_are_not_linkified():
    html = render("```\ncurl https://api.example.com\n```")
    assert "<a" not in html
