"""Evaluation protocols. Each is versioned: a change that can move numbers bumps it."""
