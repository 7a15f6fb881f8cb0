"""Text from outside shown on a page: the one door for every name, description, note, error
or server message that goes into an element Streamlit renders as markdown.

Streamlit renders markdown (links, images, emphasis, HTML-like tags, LaTeX, emoji shortcodes,
`:red[...]` directives) in st.markdown, st.caption, st.error/warning/info/success, st.toast,
st.write of a string, headings, and in the labels of widgets, tabs, expanders and metrics.
A project name such as `![p](http://host/pixel.png)` shown raw there makes the browser load
the picture. st.text, st.code, table cells and selectbox/multiselect options show plain text
and need no escaping.
"""

from __future__ import annotations

import re

# Every ASCII punctuation character: CommonMark lets each be escaped with a backslash, and
# each escaped one shows as itself (markdown, HTML, LaTeX `$`, `:red[...]` directives).
_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")
# Streamlit's markdown rewrites some plain text after parsing, where escapes no longer count:
# bare URLs, www. and e-mail addresses become links, `:name:` an emoji or the Streamlit
# logo, and ` -> `, ` -- `, ` <= ` ... arrows and dashes. An invisible WORD JOINER (U+2060)
# inside each such pattern keeps the text as written.
_JOIN = "\u2060"
_REWRITTEN = (
    (re.compile(r":(?=//|[\w+-]+:)"), ":" + _JOIN),  # http://, :smile:, :streamlit:
    (re.compile(r"(www)(?=\.)", re.IGNORECASE), r"\1" + _JOIN),
    (re.compile(r"@"), _JOIN + "@"),
    (re.compile(r"(?<!\S)([<~>-])(?=[->=])"), r"\1" + _JOIN),  # <->, ->, <-, --, >=, <=, ~=
    # a line indented by spaces would be a code block: no-break spaces indent it the same
    (re.compile(r"^[ \t]+", re.MULTILINE), lambda m: "\u00a0" * len(m[0].expandtabs(4))),
)


def markdown_text(text: object) -> str:
    """Outside text (from a file, a user or a server) made safe for every Streamlit element
    that renders markdown: st.markdown, st.caption, the alerts, st.toast, and widget, tab,
    expander and metric labels. Shown there exactly as written, never as markup: no link,
    image, emphasis, HTML, formula, emoji or colour. Text for st.text, st.code, table cells
    and selectbox options needs no escaping (they show plain text)."""
    shown = str(text)
    for pattern, replacement in _REWRITTEN:
        shown = pattern.sub(replacement, shown)
    return _PUNCTUATION.sub(r"\\\1", shown)
