"""Score-file challengers: a protocol's trial list out, scores computed anywhere back in.

``incumbent trials export --dataset D --protocol P [k=v ...] OUT`` runs the protocol with a
recording stand-in for the baseline, so the trials are exactly the ones the protocol gives
an in-kit baseline (no second copy of any split logic). It writes to ``OUT/``:

* ``samples.csv``: ``sample_id`` and the sample's values ``v0..`` (flattened; the shape is
  in the manifest), exactly the arrays an in-kit baseline receives. Ids are content hashes,
  so they say nothing about subjects, sessions or order.
* ``enrolment.csv``: ``subject``, ``sample_id`` in the order the protocol fits on them,
  and ``y`` (1 the subject, 0 other users) for two-class protocols.
* ``training.csv`` (population-trained protocols only): ``sample_id``, ``subject``.
* ``trials.csv``: ``subject``, ``probe_id``: every probe each enrolled subject must score,
  sorted by id. **No labels**: which probes are genuine stays with the kit.
* ``manifest.json``: dataset (name, sha256), protocol (name, version, params), the
  overrides to rebuild it, counts and the sha256 of every file.

``incumbent trials import SCORES --name N --version V`` reads a CSV with columns
``subject``, ``probe_id``, ``score`` (higher = more genuine), refuses it unless every trial
is scored exactly once with a finite number and no row names an unknown trial (each error
names its line), and then replays the protocol with those scores in place of a baseline's:
the pipeline writes a normal record (metrics, scores, resume rule) whose ``provenance``
holds the file's sha256, name and version. ``compare``, ``leaderboard`` and ``cite`` treat
it like any other record.

Protocols whose run combines several probe scores into one row (Balabit's per-session
mean) have no per-probe trial list: export their per-probe variant (``unit=action``).
"""

from __future__ import annotations

import hashlib
import json
import secrets
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from hydra.utils import instantiate
from omegaconf import OmegaConf, open_dict
from sklearn.base import BaseEstimator

FORMAT = "incumbent-trials/1"
MAX_ERRORS = 20
_RECORDERS: dict[str, _Recorder] = {}


class TrialsError(ValueError):
    """A trial export or a scores file that the kit cannot use (the message says where)."""


class _Recorder:
    """What one protocol run shows its baseline: samples, fits, and the probes scored.

    ``replay`` (import): a mapping ``(subject, probe_id) -> score`` returned instead of
    the running trial numbers that an export pass returns.
    """

    def __init__(self, model_subjects: list[str] | None = None, replay=None):
        self.samples: dict[str, np.ndarray] = {}
        self.shape: tuple[int, ...] | None = None
        self.positions: list[str] = []  # embed() output row -> sample id
        self.embedded = False
        self.models: list[dict[str, Any]] = []
        self.trials: list[tuple[int, str]] = []  # trial number -> (model, probe id)
        self.training: list[tuple[str, Any]] = []
        self.model_subjects = model_subjects
        self.replay = replay

    def raw_ids(self, X) -> list[str]:
        try:
            arr = np.asarray(X, dtype=np.float64)
        except (TypeError, ValueError) as e:
            raise TrialsError("this protocol hands its baseline non-numeric samples "
                              "(e.g. key sequences): no trial export for it yet") from e  # fmt: skip
        self.shape = self.shape or tuple(arr.shape[1:])
        out = []
        for row in arr.reshape(len(arr), -1):
            sid = "x" + hashlib.sha256(row.tobytes()).hexdigest()[:15]
            self.samples.setdefault(sid, row)
            out.append(sid)
        return out

    def ids(self, X) -> list[str]:
        if self.embedded:  # after embed(): rows are positions into self.positions
            return [self.positions[int(i)] for i in np.asarray(X).ravel()]
        return self.raw_ids(X)

    def score(self, model: int, probe_ids: list[str]) -> np.ndarray:
        if self.replay is not None:
            subject = self.model_subjects[model]
            return np.array([self.replay[(subject, p)] for p in probe_ids], dtype=np.float64)
        start = len(self.trials)
        self.trials += [(model, p) for p in probe_ids]
        return np.arange(start, len(self.trials), dtype=np.float64)


class TrialSpy(BaseEstimator):
    """Stands in for a baseline: records (export) or replays (import) what it is asked."""

    def __init__(self, key: str = ""):
        self.key = key

    def fit(self, X, y=None):
        rec = _RECORDERS[self.key]
        self.model_ = len(rec.models)
        rec.models.append({"enrol": rec.ids(X), "y": None if y is None else np.asarray(y)})
        return self

    def score_samples(self, X):
        rec = _RECORDERS[self.key]
        return rec.score(self.model_, rec.ids(X))

    def fit_population(self, X, y=None):
        rec = _RECORDERS[self.key]
        rec.training = list(zip(rec.raw_ids(X), [None] * len(X) if y is None else y,
                                strict=True))  # fmt: skip
        return self

    def embed(self, X):
        rec = _RECORDERS[self.key]
        start = len(rec.positions)
        rec.positions += rec.raw_ids(X)
        rec.embedded = True
        return np.arange(start, len(rec.positions), dtype=np.float64)[:, None]


def replayer(key: str, **_description) -> TrialSpy:
    """Hydra target of an imported scores file (the other keys describe it for the hash)."""
    return TrialSpy(key)


def compose_cfg(overrides: list[str]):
    from incumbent.api import compose

    return compose(overrides)


def protocol_overrides(dataset: str, protocol: str, params: list[str]) -> list[str]:
    """``k=v`` sets a protocol parameter; dotted keys (``paths.data_dir=...``) pass as is."""
    out = [f"dataset={dataset}", f"protocol={protocol}"]
    for p in params:
        key = p.split("=", 1)[0]
        out.append(p if "." in key or key.startswith(("+", "~")) else f"protocol.{p}")
    return out


def record_trials(cfg, recorder: _Recorder | None = None):
    """Run the protocol of ``cfg`` on its dataset with a recording baseline.

    Returns (dataset, protocol, recorder, table): ``table`` is the protocol's scores table
    with ``model`` and ``probe_id`` per row instead of a score."""
    dataset = instantiate(cfg.dataset.loader)
    protocol = instantiate(cfg.protocol)
    key = secrets.token_hex(8)
    rec = _RECORDERS[key] = recorder or _Recorder()
    try:
        table = protocol.run(dataset, lambda: TrialSpy(key), progress=False)
    finally:
        del _RECORDERS[key]
    n = len(rec.trials)
    order = table["score"].to_numpy()
    if len(order) != n or not np.array_equal(np.sort(order), np.arange(n)):
        raise TrialsError(f"protocol {protocol.name} combines probe scores into its rows; "
                          "export its per-probe variant (e.g. unit=action)")  # fmt: skip
    rows = [rec.trials[int(i)] for i in order]
    table = table.drop(columns="score").assign(model=[m for m, _ in rows],
                                               probe_id=[p for _, p in rows])  # fmt: skip
    table["subject"] = table["subject"].astype(str)
    per_model = table.groupby("model")["subject"].nunique()
    per_subject = table.groupby("subject")["model"].nunique()
    if (per_model > 1).any() or (per_subject > 1).any():
        raise TrialsError(f"protocol {protocol.name} does not fit one model per subject")
    subjects = table.drop_duplicates("model").set_index("model")["subject"]
    rec.model_subjects = [subjects.get(m, f"unscored-{m}") for m in range(len(rec.models))]
    return dataset, protocol, rec, table


def _write_csv(path: Path, frame: pd.DataFrame) -> str:
    frame.to_csv(path, index=False)  # floats as repr: they read back bit for bit
    return hashlib.sha256(path.read_bytes()).hexdigest()


def export(overrides: list[str], out: str | Path) -> dict[str, Any]:
    """Write the trial list of the composed (dataset, protocol) to ``out``; return the manifest."""
    cfg = compose_cfg(overrides)
    dataset, protocol, rec, table = record_trials(cfg)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    files = {}
    ids = sorted(rec.samples)
    values = np.stack([rec.samples[i] for i in ids])
    samples = pd.DataFrame(values, columns=[f"v{k}" for k in range(values.shape[1])])
    samples.insert(0, "sample_id", ids)
    files["samples.csv"] = _write_csv(out / "samples.csv", samples)
    enrol = []
    for m, model in enumerate(rec.models):
        if not rec.model_subjects[m].startswith("unscored-"):
            for k, sid in enumerate(model["enrol"]):
                row = {"subject": rec.model_subjects[m], "sample_id": sid}
                if model["y"] is not None:
                    row["y"] = int(model["y"][k])
                enrol.append(row)
    files["enrolment.csv"] = _write_csv(out / "enrolment.csv", pd.DataFrame(enrol))
    if rec.training:
        train = pd.DataFrame(rec.training, columns=["sample_id", "subject"])
        files["training.csv"] = _write_csv(out / "training.csv", train)
    trials = table[["subject", "probe_id"]].drop_duplicates().sort_values(["subject", "probe_id"])
    files["trials.csv"] = _write_csv(out / "trials.csv", trials)
    manifest = {
        "format": FORMAT,
        "dataset": {"name": dataset.name, "checksum": dataset.checksum,
                    "subjects": len(dataset.subjects)},
        "protocol": protocol.describe(),
        "overrides": list(overrides),
        "sample_shape": list(rec.shape or ()),
        "counts": {"samples": len(ids), "enrolment": len(enrol), "training": len(rec.training),
                   "trials": len(trials), "subjects": int(trials["subject"].nunique())},
        "scores_file": "CSV with columns subject, probe_id, score (higher = more genuine), "
                       "one row per row of trials.csv",
        "files": files,
    }  # fmt: skip
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2, default=str) + "\n")
    return manifest


def read_scores(path: Path, trials: pd.DataFrame) -> dict[tuple[str, str], float]:
    """``(subject, probe_id) -> score``; :class:`TrialsError` listing every bad line."""
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (OSError, pd.errors.ParserError, pd.errors.EmptyDataError) as e:
        raise TrialsError(f"{path}: not a readable CSV ({e})") from e
    missing_cols = {"subject", "probe_id", "score"} - set(raw.columns)
    if missing_cols:
        raise TrialsError(f"{path}: line 1: missing column(s) {sorted(missing_cols)} "
                          "(need subject, probe_id, score)")  # fmt: skip
    wanted = {(s, p): k + 2 for k, (s, p) in enumerate(trials.itertuples(index=False))}
    subjects = set(trials["subject"])
    probes = set(trials["probe_id"])
    errors, seen, out = [], {}, {}
    for k, (s, p, v) in enumerate(zip(raw["subject"], raw["probe_id"], raw["score"],
                                      strict=True)):  # fmt: skip
        line = k + 2  # line 1 is the header
        where = f"line {line} (subject {s!r}, probe_id {p!r})"
        try:
            score = float(v)
        except ValueError:
            score = None
        if (s, p) not in wanted:
            what = ("unknown subject" if s not in subjects else "unknown probe_id"
                    if p not in probes else "not a trial of this subject")  # fmt: skip
            errors.append(f"{where}: {what}")
        elif (s, p) in seen:
            errors.append(f"{where}: scored twice (first on line {seen[(s, p)]})")
        elif score is None or not np.isfinite(score):
            errors.append(f"{where}: score {v!r} is not a finite number")
        else:
            out[(s, p)] = score
        seen.setdefault((s, p), line)
    absent = [key for key in wanted if key not in seen]
    for s, p in absent[:5]:
        errors.append(f"missing trial: subject {s!r}, probe_id {p!r} "
                      f"(trials.csv line {wanted[(s, p)]})")  # fmt: skip
    if len(absent) > 5:
        errors.append(f"... {len(absent) - 5} more trials of trials.csv are not scored")
    if errors:
        shown = errors[:MAX_ERRORS] + ([f"... and {len(errors) - MAX_ERRORS} more"]
                                       if len(errors) > MAX_ERRORS else [])  # fmt: skip
        raise TrialsError(f"{path}: refused, {len(errors)} problem(s):\n  " + "\n  ".join(shown))
    return out


def import_scores(scores: str | Path, name: str, version: str, trials_dir: str | Path | None = None,
                  force: bool = False) -> dict[str, Any]:  # fmt: skip
    """Check ``scores`` against the exported trials and write (return) its record."""
    from incumbent.running.pipeline import run

    scores = Path(scores)
    folder = Path(trials_dir) if trials_dir else scores.parent
    try:
        manifest = json.loads((folder / "manifest.json").read_text())
    except (OSError, json.JSONDecodeError) as e:
        raise TrialsError(f"{folder / 'manifest.json'}: no trial export there ({e}); "
                          "give --trials DIR (the folder `incumbent trials export` wrote)") from e  # fmt: skip
    if manifest.get("format") != FORMAT:
        raise TrialsError(f"{folder}: format {manifest.get('format')!r}, expected {FORMAT}")
    trials = pd.read_csv(folder / "trials.csv", dtype=str, keep_default_na=False)
    cfg = compose_cfg(manifest["overrides"])
    dataset, protocol, rec, _ = record_trials(cfg)
    if dataset.checksum != manifest["dataset"]["checksum"]:
        raise TrialsError(f"the data read now (sha256 {dataset.checksum}) is not the data the "
                          f"trials were exported from ({manifest['dataset']['checksum']})")  # fmt: skip
    lookup = read_scores(scores, trials)
    digest = hashlib.sha256(scores.read_bytes()).hexdigest()
    key = digest[:16]  # in the config: the same file gives the same config hash (resume)
    _RECORDERS[key] = _Recorder(rec.model_subjects, replay=lookup)
    with open_dict(cfg):
        cfg.baseline = OmegaConf.create({
            "name": name,
            "input": cfg.dataset.get("input", "fixed_text"),
            "estimator": {"_target_": "incumbent.gate.trials.replayer", "key": key,
                          "scores_sha256": digest},
            "provenance": {"kind": "score_file", "file": scores.name, "sha256": digest,
                           "name": name, "version": str(version),
                           "trials": {"overrides": manifest["overrides"],
                                      "manifest_sha256": hashlib.sha256(
                               (folder / "manifest.json").read_bytes()).hexdigest()}},
        })  # fmt: skip
        cfg.force, cfg.progress = force, False
    try:
        return run(cfg)
    finally:
        del _RECORDERS[key]


def add_parser(sub) -> None:
    """``incumbent trials export|import`` (registered by :mod:`incumbent.cli`)."""
    p = sub.add_parser("trials", help="score-file challengers: export trials, import scores")
    tsub = p.add_subparsers(dest="trials_command", required=True)
    e = tsub.add_parser("export", help="write a protocol's trial list (no labels)")
    e.add_argument("--dataset", required=True)
    e.add_argument("--protocol", required=True)
    e.add_argument(
        "params",
        nargs="*",
        metavar="KEY=VALUE",
        help="protocol parameters (n_train=100) or Hydra overrides (paths.data_dir=..)",
    )
    e.add_argument("out", help="folder to write")
    e.set_defaults(func=_do_export)
    i = tsub.add_parser("import", help="check a scores file and write its record")
    i.add_argument("scores", help="CSV: subject, probe_id, score")
    i.add_argument("--name", required=True, help="the challenger's name (the record's baseline)")
    i.add_argument("--version", required=True, help="the challenger's version")
    i.add_argument("--trials", help="the export folder (default: the scores file's folder)")
    i.add_argument("--force", action="store_true", help="rewrite even if recorded already")
    i.set_defaults(func=_do_import)


def _do_export(args) -> int:
    m = export(protocol_overrides(args.dataset, args.protocol, args.params), args.out)
    c = m["counts"]
    print(f"{c['trials']} trials for {c['subjects']} subjects, {c['samples']} samples: "
          f"{args.out} (score trials.csv into subject,probe_id,score; then `incumbent trials "
          f"import`)")  # fmt: skip
    return 0


def _do_import(args) -> int:
    import sys

    from incumbent.running.pipeline import summary_table

    try:
        record = import_scores(args.scores, args.name, args.version, args.trials, args.force)
    except TrialsError as e:
        print(f"incumbent trials import: {e}", file=sys.stderr)
        return 1
    print(summary_table(record))
    return 0
