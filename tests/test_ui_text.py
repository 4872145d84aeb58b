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


def test_every_language_has_every_label_and_lesson_text():
    from builder.lessons import list_lessons
    from builder.lessons.texts import KEYS, en, zh
    from ui.i18n import en as ui_en
    from ui.i18n import zh as ui_zh

    assert set(ui_zh.STRINGS) == set(ui_en.STRINGS)
    assert set(zh.LESSONS) == set(en.LESSONS) == {x.name for x in list_lessons()}
    for name, texts in zh.LESSONS.items():
        assert set(texts) == set(KEYS) and all(texts[k].strip() for k in KEYS), name
    for key, text in ui_en.STRINGS.items():  # a translation fills the same fields
        assert sorted(__import__("re").findall(r"{(\w+)", text)) == sorted(
            __import__("re").findall(r"{(\w+)", ui_zh.STRINGS[key])
        ), key


def test_the_chinese_lessons_use_the_standard_terms():
    from builder.lessons.texts import zh

    text = " ".join(v for texts in zh.LESSONS.values() for v in texts.values())
    for term in ("感知机", "卷积", "池化", "残差连接", "注意力", "生成对抗网络", "变分自编码器", "梯度消失", "过拟合",
                 "正则化", "精确率", "召回率", "嵌入", "批归一化"):  # fmt: skip
        assert term in text, term
