"""Operating points on any protocol's scores table: a-priori thresholds, identification,
fairness. A post-processing step the pipeline calls; no per-protocol code.

Protocol options (keys of ``conf/protocol/*.yaml``; all off by default, and when off they
leave a record exactly as without them):

* ``operating_split: subjects`` splits the enrolled subjects, with a seeded permutation
  (``operating_seed``), into a development part (``dev_fraction``) and an evaluation part.
  Rows whose model *and* probe subject are both development subjects are the
  development scores; both evaluation subjects, the evaluation scores (rows that mix
  the two parts are unused, so no evaluation subject's typing reaches a threshold).
  A table without ``probe_subject`` splits on the model's subject only.

  - **global**: one threshold per target (:data:`~incumbent.evaluation.thresholds.TARGETS`)
    chosen on all development scores; FMR, FNMR, HTER of the pooled evaluation scores:
    ``{fmr,fnmr,hter}_eval_<target>_global``.
  - **subject** (user-specific): for each evaluation subject, a threshold chosen on its
    own first ``floor(n/2)`` genuine probes (protocol order: the earlier sessions) and the
    development subjects' impostor attempts against it; rates on its later genuine
    probes and the evaluation subjects' attempts; mean over evaluation subjects:
    ``{fmr,fnmr,hter}_eval_<target>_subject``. It needs two or more genuine probes per
    subject and a ``probe_subject`` column (killourhy2009, fixed_text, and any protocol
    whose table has them). It uses held-out genuine *probes*, not enrolment samples:
    a threshold from enrolment samples alone would need a refit per subject (the
    enrolment samples are in-sample for the model), which no protocol here does.

* ``identification: true`` (protocols using the shared per-subject loop of
  :class:`~incumbent.protocols.base.Protocol`: killourhy2009, fixed_text): every genuine
  probe is scored by every enrolled model (an extra scoring pass);
  ``rank1``, ``rank5`` and the CMC (:mod:`incumbent.evaluation.identification`).

* fairness, automatic with ``operating_split`` when the dataset carries
  ``extra["demographics"]`` (GREYC-NISLAB): per-group table and ``disparity_<attribute>``
  at the global EER-target threshold (:mod:`incumbent.evaluation.fairness`).

Intervals: 95 % percentile bootstrap over evaluation subjects (probe subjects for
identification), 2000 resamples, seed 0; the threshold is held fixed (it came from
other subjects), so the interval is that of the evaluation error at that threshold.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from incumbent.evaluation import fairness, identification, stats, thresholds

DEFAULTS = {"operating_split": None, "dev_fraction": 0.5, "operating_seed": 0,
            "identification": False}  # fmt: skip
SPLITS = (None, "subjects")
RANKS = (1, 5)
N_RESAMPLES = 2000
GUARDS = ("hter_eval_eer_global", "fnmr_eval_fmr1_global", "rank1")
"""Guard metrics a record gains when it holds them (plus every ``disparity_*``)."""


def options(given: dict) -> dict:
    """The options with defaults filled in, checked (``given``: a protocol's
    ``operating_options``, see :data:`incumbent.protocols.base.OPERATING_OPTIONS`)."""
    return pop_options(given)[1]


def pop_options(protocol_cfg: dict) -> tuple[dict, dict]:
    """(protocol config without the options, the options with defaults filled in)."""
    cfg = dict(protocol_cfg)
    opts = {k: cfg.pop(k, v) for k, v in DEFAULTS.items()}
    if opts["operating_split"] not in SPLITS:
        raise ValueError(f"protocol.operating_split must be null or 'subjects', "
                         f"got {opts['operating_split']!r}")  # fmt: skip
    f = opts["dev_fraction"]
    if not isinstance(f, int | float) or not 0 < f < 1:
        raise ValueError(f"protocol.dev_fraction must lie strictly between 0 and 1, got {f!r}")
    if not isinstance(opts["operating_seed"], int):
        raise ValueError(
            f"protocol.operating_seed must be an integer, got {opts['operating_seed']!r}"
        )
    if not isinstance(opts["identification"], bool):
        raise ValueError("protocol.identification must be true or false")
    return cfg, opts


def enabled(opts: dict) -> dict:
    """The options that change the record (empty when all are off): these join the
    protocol's params, so such runs are keyed, resumed and compared apart."""
    out = {}
    if opts["operating_split"]:
        out.update({k: opts[k] for k in ("operating_split", "dev_fraction", "operating_seed")})
    if opts["identification"]:
        out["identification"] = True
    return out


def strip_disabled(config: dict) -> dict:
    """``config`` without option keys that are off, so a default run's config (and its
    ``config_hash``) is the same as before the options existed."""
    protocol = dict(config.get("protocol") or {})
    _, opts = pop_options(protocol)
    on = enabled(opts)
    for k in DEFAULTS:
        if k not in on:
            protocol.pop(k, None)
    return {**config, "protocol": protocol}


def split_subjects(subjects, dev_fraction: float, seed: int) -> tuple[list[str], list[str]]:
    """(development, evaluation) subjects: a seeded permutation of the sorted subjects."""
    subs = sorted({str(s) for s in subjects})
    n_dev = int(round(dev_fraction * len(subs)))
    if n_dev < 2 or len(subs) - n_dev < 2:
        raise ValueError(f"dev_fraction={dev_fraction} leaves {n_dev} development and "
                         f"{len(subs) - n_dev} evaluation subjects; need 2 or more each")  # fmt: skip
    perm = np.random.default_rng(seed).permutation(len(subs))
    dev = sorted(subs[k] for k in perm[:n_dev])
    return dev, sorted(set(subs) - set(dev))


def _parts(scores: pd.DataFrame, dev: list[str], evl: list[str]):
    model = scores["subject"].astype(str)
    probe = scores["probe_subject"].astype(str) if "probe_subject" in scores else model
    is_dev = model.isin(dev) & probe.isin(dev)
    is_eval = model.isin(evl) & probe.isin(evl)
    return scores[is_dev.to_numpy()], scores[is_eval.to_numpy()]


def _gi(df: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    lab = df["label"].to_numpy()
    s = df["score"].to_numpy(np.float64)
    return s[lab == 1], s[lab == 0]


def global_thresholds(scores, dev, evl):
    """Per target: threshold from development scores; pooled evaluation rates at it."""
    d, e = _parts(scores, dev, evl)
    return thresholds.apriori(*_gi(d), *_gi(e)), e


def _pooled_ci(e: pd.DataFrame, t: float, seed: int = 0):
    """Bootstrap CIs of pooled FMR, FNMR, HTER at fixed ``t``, resampling eval subjects."""
    lab = e["label"].to_numpy() == 1
    acc = e["score"].to_numpy(np.float64) >= t
    per = pd.DataFrame({"s": e["subject"].astype(str).to_numpy(), "g": lab, "i": ~lab,
                        "ga": lab & acc, "ia": ~lab & acc}).groupby("s").sum()  # fmt: skip
    c = per.to_numpy(np.float64)  # columns g, i, ga, ia
    idx = np.random.default_rng(seed).integers(0, len(c), size=(N_RESAMPLES, len(c)))
    tot = c[idx].sum(axis=1)
    fmr = tot[:, 3] / np.maximum(tot[:, 1], 1)
    fnmr = 1 - tot[:, 2] / np.maximum(tot[:, 0], 1)
    q = lambda v: [float(x) for x in np.quantile(v, [0.025, 0.975])]  # noqa: E731
    return {"fmr": q(fmr), "fnmr": q(fnmr), "hter": q((fmr + fnmr) / 2)}


def subject_thresholds(scores, dev, evl) -> dict[str, list[dict]] | None:
    """Per target: one row per evaluation subject (its threshold and rates), or ``None``
    when the table cannot support user-specific thresholds (see the module doc)."""
    if "probe_subject" not in scores:
        return None
    out: dict[str, list[dict]] = {t: [] for t in thresholds.TARGETS}
    probe_all = scores["probe_subject"].astype(str)
    for s, grp in scores.groupby(scores["subject"].astype(str), sort=True):
        if s not in evl:
            continue
        probe = probe_all[grp.index]
        gen = grp["score"].to_numpy(np.float64)[grp["label"].to_numpy() == 1]
        if gen.size < 2:
            return None
        half = gen.size // 2
        imp = grp[grp["label"].to_numpy() == 0]
        dev_i = imp["score"][probe[imp.index].isin(dev)].to_numpy(np.float64)
        eval_i = imp["score"][probe[imp.index].isin(evl)].to_numpy(np.float64)
        if not dev_i.size or not eval_i.size:
            return None
        res = thresholds.apriori(gen[:half], dev_i, gen[half:], eval_i)
        for t, r in res.items():
            out[t].append({"subject": s, **r})
    return out


def evaluate(scores: pd.DataFrame, opts: dict, per_subject: pd.DataFrame,
             demographics: pd.DataFrame | None = None) -> tuple[dict, dict, dict]:  # fmt: skip
    """(metrics, split block, intervals) for the a-priori thresholds and fairness."""
    dev, evl = split_subjects(scores["subject"], opts["dev_fraction"], opts["operating_seed"])
    metrics: dict[str, float] = {}
    intervals: dict[str, list[float]] = {}
    glob, e = global_thresholds(scores, dev, evl)
    block: dict[str, Any] = {
        "kind": opts["operating_split"], "dev_fraction": opts["dev_fraction"],
        "seed": opts["operating_seed"], "development": dev, "evaluation": evl,
        "thresholds_global": {t: r["threshold"] for t, r in glob.items()},
        "tie_rule": "accept score >= threshold",
    }  # fmt: skip
    for t, r in glob.items():
        ci = _pooled_ci(e, r["threshold"])
        for rate in ("fmr", "fnmr", "hter"):
            metrics[f"{rate}_eval_{t}_global"] = r[rate]
            intervals[f"{rate}_eval_{t}_global"] = ci[rate]
    per = subject_thresholds(scores, dev, evl)
    if per is None:
        block["per_subject"] = "not available: needs probe_subject and >= 2 genuine probes"
    else:
        block["per_subject"] = "threshold from the subject's earlier genuine probes"
        block["thresholds_subject"] = {
            t: {r["subject"]: r["threshold"] for r in rows} for t, rows in per.items()
        }
        for t, rows in per.items():
            for rate in ("fmr", "fnmr", "hter"):
                v = [r[rate] for r in rows]
                metrics[f"{rate}_eval_{t}_subject"] = float(np.mean(v))
                intervals[f"{rate}_eval_{t}_subject"] = list(stats.bootstrap_ci(v))
    if demographics is not None:
        eer = per_subject.set_index(per_subject["subject"].astype(str))["eer"]
        block["fairness"] = {"threshold_target": "eer", "min_subjects": fairness.MIN_SUBJECTS,
                             "metric": "1 - FDR (de Freitas Pereira & Marcel 2022), alpha 0.5",
                             "groups": {}}  # fmt: skip
        for attr, groups in fairness.groups_of(demographics).items():
            table = fairness.group_table(e, eer, groups, glob["eer"]["threshold"])
            block["fairness"]["groups"][attr] = table.to_dict(orient="records")
            gap = fairness.disparity(table)
            if gap is not None:
                metrics[f"disparity_{attr}"] = gap
    return metrics, block, intervals


def identify(kept: list[tuple[str, Any, np.ndarray]]) -> tuple[dict, dict, dict]:
    """(metrics, identification block, intervals) from (subject, fitted model, genuine
    probes) triples: every probe scored by every model."""
    from incumbent.running.baseline import genuineness

    models = [str(s) for s, _, _ in kept]
    probes = np.concatenate([np.asarray(x) for _, _, x in kept])
    truth = np.concatenate([np.full(len(x), k) for k, (_, _, x) in enumerate(kept)])
    matrix = np.column_stack([genuineness(est, probes) for _, est, _ in kept])
    r = identification.ranks(matrix, truth)
    curve = identification.cmc_from_ranks(r, matrix.shape[1])
    metrics = {f"rank{k}": float(np.mean(r <= k)) for k in RANKS if k <= len(models)}
    per_subject = pd.DataFrame({"s": truth, **{f"rank{k}": r <= k for k in RANKS}})
    hits = per_subject.groupby("s").agg(["sum", "count"])
    intervals = {}
    rng = np.random.default_rng(0)
    idx = rng.integers(0, len(hits), size=(N_RESAMPLES, len(hits)))
    for m in metrics:
        h, n = hits[(m, "sum")].to_numpy(), hits[(m, "count")].to_numpy()
        boot = h[idx].sum(axis=1) / n[idx].sum(axis=1)
        intervals[m] = [float(x) for x in np.quantile(boot, [0.025, 0.975])]
    block = {"models": len(models), "probes": int(r.size), "cmc": [float(x) for x in curve],
             "tie_rule": "pessimistic: other models scoring >= the own model rank above it",
             "probes_are": "every enrolled subject's genuine test probes"}  # fmt: skip
    return metrics, block, intervals


def prepare(protocol, opts: dict) -> None:
    """Before the run: ask the protocol to keep its fitted models when identifying."""
    from incumbent.protocols.base import Protocol

    if not opts["identification"]:
        return
    if type(protocol).run is not Protocol.run:
        raise ValueError(f"protocol.identification=true needs a protocol that uses the shared "
                         f"per-subject loop (killourhy2009, fixed_text); {protocol.name} "
                         "trains its own way")  # fmt: skip
    protocol.keep_models = True


def apply(protocol, opts: dict, scores, per_subject, dataset) -> tuple[dict, dict]:
    """After the run: (extra metrics, extra record blocks) for the enabled options."""
    metrics: dict[str, float] = {}
    blocks: dict[str, Any] = {}
    intervals: dict[str, list[float]] = {}
    if opts["operating_split"]:
        demo = (getattr(dataset, "extra", None) or {}).get("demographics")
        m, blocks["split"], ci = evaluate(scores, opts, per_subject, demo)
        metrics.update(m)
        intervals.update(ci)
    if opts["identification"]:
        m, blocks["identification"], ci = identify(protocol.kept_)
        protocol.kept_ = []
        metrics.update(m)
        intervals.update(ci)
    if intervals:
        blocks["intervals"] = intervals
    return metrics, blocks


def guards(metrics: dict) -> list[str]:
    """The guard metrics these options add to a record that holds them."""
    return [g for g in GUARDS if g in metrics] + sorted(
        k for k in metrics if k.startswith("disparity_")
    )
