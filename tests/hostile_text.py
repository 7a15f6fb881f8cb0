"""Text from outside that must show as written, never as markup: the strings the text tests
feed through the app, and (run with `streamlit run`) a page that shows each of them through
app.widgets.markdown_text in every kind of element that renders markdown.

`image(url)` is a name that, rendered as markdown anywhere, makes the browser fetch `url`.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

# One line each (widget labels are one line); every markup Streamlit's markdown knows.
SAMPLES = (
    "![p](http://127.0.0.1:9/pixel.png) **BOLD** _it_ ~~del~~ `code`",
    '<img src="http://127.0.0.1:9/x.png"> <b>b</b> &amp; &lt;i&gt; <a href="http://x.example">a</a>',
    "[link](javascript:alert(1)) <http://a.example/x> https://a.example/x",
    "www.example.org me@example.org ftp://a.example mailto:me@example.org",
    "$x^2$ and $$y$$, costs $5 and $6; \\(z\\) \\[w\\]",
    ":smile: :streamlit: :material/home: :red[red] :small[s] :help[h] :rainbow-background[r]",
    "a -> b <- c <-> d -- e >= f <= g ~= h",
    "back\\slash \\*not em\\* *em* | a | b | [^1] <!-- c -->",
    "# heading #",
    "1. one",
    "> quote",
    "- item",
    "---",
)
# Lines that start blocks only after a line break.
MULTILINE = "name\n===\n# h\n- item\n1) one\n> quote\n\n    code\n---"


def image(url: str) -> str:
    """A name (at most 80 characters, like a project's) that, as markdown, loads `url`."""
    return f"![p]({url}) **BOLD** :red[x] <b>b</b>"


def plain(shown: str) -> str:
    """Rendered text as a person reads it: invisible joiners out, whitespace collapsed."""
    return " ".join(shown.replace("\u2060", "").split())


def _page() -> None:  # pragma: no cover - run by streamlit in the browser test
    import streamlit as st

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from app.text import markdown_text

    samples = [*SAMPLES, MULTILINE]
    extra = os.environ.get("OSSAI_TEST_TEXT")
    if extra:
        samples.append(extra)
    for index, sample in enumerate(samples):
        text = markdown_text(sample)
        with st.container(key=f"sample_{index}"):
            st.markdown(text)
            st.caption(text)
            st.error(text)
            st.info(text)
            st.toast(text)
            if "\n" not in sample:
                st.expander(text, expanded=False)
                st.radio("r", [text], key=f"radio_{index}", label_visibility="collapsed")
                st.button(text, key=f"button_{index}")
                st.checkbox(text, key=f"check_{index}")
                st.metric(text, 1)


if __name__ == "__main__":
    _page()
