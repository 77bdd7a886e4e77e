"""Reported-vs-reproduced tables, generated from run records (never typed by hand)."""

from __future__ import annotations

import pandas as pd
from hydra.experimental.callback import Callback

EER_KEYS = {"eer_mean", "eer_sd", "zero_miss_far_mean"}


def reproduction_table(recs, dataset: str, protocol: str) -> pd.DataFrame:
    """One row per baseline: the paper's value beside ours, from the newest record of each.

    ``recs`` is an iterable of record dicts (see :mod:`incumbent.running.records`). When the papers
    report per-subject EER (and zero-miss FAR), the table has Killourhy & Maxion's layout;
    otherwise one reported/reproduced column pair per reported metric (e.g. ``auc``,
    ``auc_5``).
    """
    newest: dict[str, dict] = {}
    for r in recs:
        if r["dataset"]["name"] != dataset or r["protocol"]["name"] != protocol:
            continue
        if r["baseline"] not in newest or r["run_id"] > newest[r["baseline"]]["run_id"]:
            newest[r["baseline"]] = r
    reported_keys = [k for r in newest.values() for k in (r.get("reported") or {})]
    if set(reported_keys) <= EER_KEYS:
        return _eer_table(newest)
    return _generic_table(
        newest, list(dict.fromkeys(k for k in reported_keys if not k.endswith("_sd")))
    )


def _tolerance(r) -> dict:
    return (r.get("config", {}).get("baseline", {}) or {}).get("tolerance") or {}


def _within(r, keys) -> str:
    rep, tol, m = r.get("reported") or {}, _tolerance(r), r["metrics"]
    checked = [k for k in keys if k in rep and k in tol and k in m]
    if not checked:
        return "n/a"
    ok = all(abs(m[k] - rep[k]) <= tol[k] + 1e-12 for k in checked)
    return "yes" if ok else "NO"


def _eer_table(newest: dict[str, dict]) -> pd.DataFrame:
    rows = []
    for name, r in newest.items():
        m, rep = r["metrics"], r.get("reported") or {}
        delta = m["eer_mean"] - rep["eer_mean"] if "eer_mean" in rep else None
        rows.append(
            {
                "detector": name,
                "reported EER (sd)": _msd(rep.get("eer_mean"), rep.get("eer_sd")),
                "reproduced EER (sd)": _msd(m["eer_mean"], m["eer_sd"]),
                "Δ": None if delta is None else f"{round(delta, 4) + 0.0:+.4f}",  # no "-0.0000"
                "within tolerance": _within(r, ["eer_mean"]),
                "reported zero-miss FAR": _fmt(rep.get("zero_miss_far_mean"), 3),
                "reproduced zero-miss FAR": _fmt(m.get("zero_miss_far_mean"), 3),
                "_eer": m["eer_mean"],
            }
        )
    df = pd.DataFrame(rows)
    if df.empty:
        return df
    return df.sort_values("_eer").drop(columns="_eer").reset_index(drop=True)


def _generic_table(newest: dict[str, dict], keys: list[str]) -> pd.DataFrame:
    rows = []
    for name, r in sorted(newest.items()):
        m, rep = r["metrics"], r.get("reported") or {}
        row = {"baseline": name}
        for k in keys:
            row[f"reported {k}"] = _fmt(rep.get(k))
            row[f"reproduced {k}"] = _fmt(m.get(k))
        row["within tolerance"] = _within(r, keys)
        rows.append(row)
    return pd.DataFrame(rows)


def _fmt(x, digits=4):
    return "—" if x is None else f"{x:.{digits}f}"


def _msd(mean, sd):
    if mean is None:
        return "—"
    return f"{mean:.4f} ({sd:.4f})" if sd is not None else f"{mean:.4f}"


def to_markdown(df: pd.DataFrame) -> str:
    if df.empty:
        return "_no records_"
    return df.to_markdown(index=False, disable_numparse=True)


def sweep_records(sweep_dir) -> tuple[list[dict], list[dict]]:
    """(records, job rows) of one Hydra multirun, from its jobs' ``job_status.json``.

    A job skipped by the resume rule points at the earlier identical record it reused.
    """
    from incumbent.running.records import read
    from incumbent.running.sweep import summarize

    rows = summarize(sweep_dir)
    return [read(r["record"]) for r in rows if r.get("record")], rows


class SweepReport(Callback):
    """Hydra callback: after a multirun, print and write the reproduction table built
    from the records of that sweep only (its jobs' status files name them).

    Written to ``<hydra.sweep.dir>/reproduction.md``. ``expect``: how many records the
    sweep should yield; a shortfall is flagged in the output.
    """

    def __init__(self, dataset: str, protocol: str, expect: int | None = None):
        self.dataset = dataset
        self.protocol = protocol
        self.expect = expect

    def on_multirun_end(self, config, **kwargs) -> None:
        from pathlib import Path

        sweep_dir = Path(config.hydra.sweep.dir)
        recs, rows = sweep_records(sweep_dir)
        table = to_markdown(reproduction_table(recs, self.dataset, self.protocol))
        reused = [r["record"] for r in rows if r["status"] == "skipped"]
        lines = [
            f"# {self.dataset} / {self.protocol}: reported vs reproduced",
            "",
            f"Sweep `{sweep_dir}`: {len(recs)} records "
            f"({len(reused)} reused by the resume rule; `force=true` reruns them).",
        ]
        if self.expect is not None and len(recs) != self.expect:
            lines.append(f"\n**ERROR: expected {self.expect} records, found {len(recs)}**")
        text = "\n".join([*lines, "", table, ""])
        out = sweep_dir / "reproduction.md"
        out.write_text(text)
        print(f"\n{text}\nwritten: {out}")
