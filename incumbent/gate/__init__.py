"""The gate: challenger vs incumbent comparison, leaderboards and promotion."""
