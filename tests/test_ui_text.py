"""ui.text: user text reaches Markdown-rendering Streamlit calls as text."""

import pytest
from markdown_it import MarkdownIt

from ui.text import code, md, plain

HOSTILE = ["![m](http://127.0.0.1:9/x)", "<img src=x onerror=alert(1)>", "[a](javascript:alert(1))", "**b** _i_",
           ":red[x] :material/home: $x^2$", "# heading\n- item", "http://example.com www.example.com a@b.co",
           "back\\slash `tick` ``two``", "| a | b |\n|---|---|"]  # fmt: skip


@pytest.mark.parametrize("text", HOSTILE)
def test_escaped_text_renders_as_exactly_its_characters(text):
    html = MarkdownIt("gfm-like").render(md(text))  # CommonMark + GFM autolinks/tables, as Streamlit's renderer
    assert "<img" not in html and "<a " not in html and "<strong" not in html and "<h1" not in html
    assert "<table" not in html and "<li" not in html
    assert plain(md(text)) == text.replace("\n", " ")


@pytest.mark.parametrize("text", HOSTILE)
def test_code_spans_hold_any_text(text):
    html = MarkdownIt("gfm-like").render(code(text))
    assert html.startswith("<p><code>") and html.rstrip().endswith("</code></p>") and "<img" not in html
