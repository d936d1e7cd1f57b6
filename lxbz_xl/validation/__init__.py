"""Validation of submitted workbooks, starting with the hostile-input guard (:mod:`.guard`)."""
