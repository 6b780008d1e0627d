"""Structural unit factors shared by the layers (not figures from the report)."""

TOKENS_PER_MILLION = 1_000_000  # tokens in a million tokens (prices are per million)
RMB_PER_MILLION = 1_000_000  # yuan in one RMB_mn
QUARTERS_PER_YEAR = 4
MONTHS_PER_QUARTER = 3
