"""The one evaluation path: every rubric is scored by these primitives, driven by its definition."""
