"""Telegram HTML rendering, checked with the same strict parser the Bot API stand-in uses."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.render.telegram import (
    MAX_CHARS,
    answer_keyboard,
    markdown_to_html,
    render_answer,
    render_debug,
    render_markdown,
    utf16_len,
)
from tests.e2e.telegram_standin import TelegramHTMLError, parse_telegram_html
from tests.fakes import make_answer

pytestmark = pytest.mark.unit

HOSTILE = (
    "Compare a < b & c > d, 5*3*2 and snake_case_name with `x<y` inline.\n\n"
    "```python\nif a < b && c > d:\n    print('<ok> & \"done\"')\n```\n\n"
    "Math: $$\\frac{a}{b}$$ and **bold <tag>** then _under_ *star*.\n\n"
    "中文标点：「引号」，逗号。感叹！问号？"
)


def _visible(parts) -> str:
    return "\n".join(parse_telegram_html(p.html) for p in parts)


@pytest.mark.parametrize(
    "bad",
    ["<foo>x</foo>", "<b>open", "a < b", "fish & chips", "<b><i>x</b></i>", "<pre><b>x</b></pre>",
     "<b><code>x</code></b>", '<span class="x">s</span>', "<a>no href</a>", "</b>"],
)
def test_the_validator_rejects_what_telegram_rejects(bad):
    with pytest.raises(TelegramHTMLError):
        parse_telegram_html(bad)


def test_the_validator_accepts_telegram_tags_and_entities():
    ok = ('<b>b</b><i>i</i><u>u</u><s>s</s><span class="tg-spoiler">x</span><a href="https://t.me">t</a>'
          '<pre><code class="language-python">x &lt; y &amp;&amp; z</code></pre><blockquote>q</blockquote>&#x27;')
    assert parse_telegram_html(ok) == "biusxtx < y && zq'"


def test_hostile_text_renders_as_valid_html_with_its_content_intact():
    visible = _visible(render_markdown(HOSTILE))
    for piece in ("a < b & c > d", "5*3*2", "snake_case_name", "x<y", "if a < b && c > d:",
                  "print('<ok> & \"done\"')", "$$\\frac{a}{b}$$", "bold <tag>", "_under_ *star*",
                  "「引号」，逗号。感叹！问号？"):
        assert piece in visible


def test_markdown_constructs_become_telegram_tags():
    html = markdown_to_html("# Title\n**bold** `code` [docs](https://x.org/a?b=1&c=2)\n```py\nx = 1\n```")
    assert "<b>Title</b>" in html
    assert "<b>bold</b>" in html and "<code>code</code>" in html
    assert '<a href="https://x.org/a?b=1&amp;c=2">docs</a>' in html
    assert '<pre><code class="language-py">x = 1</code></pre>' in html


def test_code_inside_bold_stays_plain_because_telegram_cannot_nest_it():
    html = markdown_to_html("**use `pip` here**")
    assert html == "<b>use `pip` here</b>"
    parse_telegram_html(html)


def test_sources_link_the_section_and_the_twin_in_the_other_language():
    answer = make_answer("q")
    html = render_answer(answer)[-1].html
    c = answer.citations[0]
    assert f'[1] <a href="{c.url}">{c.heading}</a> · <a href="{c.twin_url}">中文版</a>' in html
    zh = answer.model_copy(update={"lang": "zh", "citations": [c.model_copy(update={"lang": "zh"})]})
    assert ">English</a>" in render_answer(zh)[-1].html and "<b>来源</b>" in render_answer(zh)[-1].html


@pytest.mark.parametrize("text", ["&" * 9000, "😀" * 9000, "<>" * 5000, "x" * 20000])
def test_escaping_and_wide_characters_never_push_a_message_past_the_limit(text):
    parts = render_markdown(text)
    assert all(utf16_len(p.html) <= MAX_CHARS and utf16_len(p.plain) <= MAX_CHARS for p in parts)
    assert "".join(parse_telegram_html(p.html) for p in parts).replace("\n", "").replace(" ", "") == text


def test_a_long_answer_splits_outside_code_blocks():
    code = "```python\n" + "\n".join(f"value_{i} = {i} < {i + 1}" for i in range(40)) + "\n```"
    paragraphs = [f"Paragraph {i}. " + "Retrieval finds text & the model cites it. " * 20 for i in range(10)]
    text = "\n\n".join(paragraphs[:5] + [code] + paragraphs[5:])
    parts = render_answer(make_answer("q", text))
    assert len(parts) >= 3
    for p in parts:
        assert utf16_len(p.html) <= MAX_CHARS
        assert p.html.count("<pre>") == p.html.count("</pre>")
    with_code = [p for p in parts if "<pre>" in p.html]
    assert len(with_code) == 1 and "value_39 = 39 &lt; 40" in with_code[0].html
    visible = _visible(parts)
    positions = [visible.index(f"Paragraph {i}.") for i in range(10)]
    assert positions == sorted(positions)


def test_debug_view_escapes_the_question_and_keeps_candidates_and_diagnostics():
    trace = make_answer("is <script> & co safe?").trace
    parts = render_debug(trace)
    visible = _visible(parts)
    assert "is <script> & co safe?" in visible
    assert "#1 ✅ 05_rag_principles" in visible and "FP2_RANK_DISAGREEMENT" in visible
    assert parts[0].html.startswith("<b>🔍 Debug</b>\n<pre>")


def test_keyboard_callback_data_fits_telegram_64_bytes():
    buttons = answer_keyboard("0123456789ab").inline_keyboard[0]
    assert [b.callback_data for b in buttons] == ["d:0123456789ab", "u:0123456789ab", "n:0123456789ab"]
    assert all(len(b.callback_data.encode()) <= 64 for b in buttons)


_MARKDOWNISH = st.sampled_from(
    ["```", "```python\n", "\n```\n", "~~~\n", "`", "**", "*", "_", "<", ">", "&", "&amp;", "\n", "\n\n", "# ",
     "[a](https://x.y/?a=1&b=2)", "[", "](", "$$\\frac{a}{b}$$", "中文。", "「」，！？", "word ", "😀", " ",
     "Sentence ends here. " * 30, "&<>" * 300, "x" * 1500]
)
_TEXTS = st.lists(st.one_of(_MARKDOWNISH, st.text(max_size=40)), max_size=60).map("".join)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_TEXTS)
def test_any_text_renders_to_parts_telegram_accepts(text):
    for part in render_markdown(text):
        assert utf16_len(part.html) <= MAX_CHARS and utf16_len(part.plain) <= MAX_CHARS
        assert parse_telegram_html(part.html).strip()
