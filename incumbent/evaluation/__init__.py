"""Pure evaluation functions: verification metrics, statistics, continuous authentication."""
