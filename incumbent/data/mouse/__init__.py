"""Mouse event streams -> actions (:mod:`.segmentation`) -> per-action features (:mod:`.features`)."""
