"""Datasets: cards, checksums, loaders, bad-input checks and mouse feature extraction."""
