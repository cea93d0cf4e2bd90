"""Experiments: stable assignment and (later) the Bayesian statistics engine."""
