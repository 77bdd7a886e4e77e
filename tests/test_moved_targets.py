"""Older records name module paths that have moved; rebuilding them maps those paths to
where the same code lives now, and the allow-list still applies afterwards."""

import pytest

from incumbent.reports import safe_config


def test_moved_targets_are_renamed_and_then_allowed():
    old = {
        "dataset": {"loader": {"_target_": "incumbent.loaders.cmu_dsl.load"}},
        "baseline": {"estimator": {"_target_": "baselines.distance.ScaledManhattan"}},
        "protocol": {"_target_": "incumbent.protocols.killourhy2009.Killourhy2009"},
    }
    new = safe_config.current_targets(old)
    assert new["dataset"]["loader"]["_target_"] == "incumbent.data.loaders.cmu_dsl.load"
    assert (
        new["baseline"]["estimator"]["_target_"] == "incumbent.baselines.distance.ScaledManhattan"
    )
    assert new["protocol"] == old["protocol"]  # not moved: unchanged
    assert old["dataset"]["loader"]["_target_"] == "incumbent.loaders.cmu_dsl.load"  # a copy
    safe_config.check(new)


def test_a_renamed_target_outside_the_kit_is_still_refused():
    config = {"dataset": {"loader": {"_target_": "incumbent.loaders.os.system"}}}
    with pytest.raises(safe_config.UnsafeConfig):
        safe_config.check(safe_config.current_targets(config))
