"""One module per dataset; each exposes ``load(data_dir=None) -> incumbent.data.cards.Dataset``."""
