"""Validated: the form's rules, as Great Expectations suites, applied to parsed cells in batches."""
