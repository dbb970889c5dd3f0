"""Tests of the study companion, over a small own course (``tests/fixtures/study``)."""
