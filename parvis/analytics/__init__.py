"""Measuring: the accounts' counts as time series, and the strategy's objectives against their
targets (docs/analytics.md)."""
