"""User text (design and node names, upload names, messages that quote them) shown as text, never as markup.

Streamlit renders Markdown in st.markdown/caption/error/warning/info/success and in widget labels: a design
named ``![x](http://host/x)`` would make every browser that opens it fetch that address. Every string that
holds user text goes through :func:`md` before it reaches one of those calls (st.text, st.code, st.dataframe
and selectbox options show plain text already).
"""

from __future__ import annotations

import re

# CommonMark's backslash escapes cover ASCII punctuation; Streamlit adds :emoji:, :color[...] and $math$
_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:=^&\"'])")


_AUTOLINK = re.compile(r"(?i)(://|www\.|@)")  # GitHub-flavoured Markdown links bare URLs and e-mail addresses


def md(text: object) -> str:
    """``text`` escaped for Markdown, on one line: it renders as exactly these characters (a bare URL gets a
    zero-width space after its scheme, so it is not turned into a link)."""
    text = _AUTOLINK.sub(lambda m: m.group(1)[:1] + "\u200b" + m.group(1)[1:], str(text))
    return _SPECIAL.sub(r"\\\1", text).replace("\r", " ").replace("\n", " ")


def plain(escaped: str) -> str:
    """The text :func:`md` escaped (what a reader sees); for tests that read messages back."""
    return re.sub(r"\\(.)", r"\1", escaped).replace("\u200b", "")


def code(text: object) -> str:
    """``text`` as an inline code span (shown literally, in the code font), fenced by more backticks than it
    holds, on one line."""
    text = str(text).replace("\r", " ").replace("\n", " ")
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    return f"{fence} {text} {fence}" if longest or text.startswith(" ") or text.endswith(" ") else f"`{text}`"
