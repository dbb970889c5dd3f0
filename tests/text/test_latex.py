"""A doc's LaTeX reads as text in a chat that cannot render it."""

from __future__ import annotations

import pytest

from bot.text.latex import latex_to_text

pytestmark = pytest.mark.unit


@pytest.mark.parametrize("source, reads", [
    (r"M^* = \arg\max_{M} R(M)", "arg max_M"),  # the argument that maximises, not the maximum
    (r"\log p(x)", "log p(x)"),  # not "logp(x)"
    (r"70 \times \frac{4}{8}", "70 × 4/8"),
])
def test_named_operators_and_fractions_read_as_written(source, reads):
    assert reads in latex_to_text(source)
