"""The ``incumbent`` command: run, list, leaderboard, compare, cite, plot, papers, promote,
trials.

Records are addressed by path (``.../<run_id>.json``) or by run id (or a unique
prefix of one), looked up in the committed incumbents (``incumbents/``) and the local
results folder (``$INCUMBENT_RESULTS`` or ``results/``), or in ``--records`` folders.

Exit codes: 0 success (for ``compare``: the challenger wins significantly and no guard
regresses); 1 ``compare``: no significant win / ``papers --check``: papers.md is stale;
2 bad command line; 3 ``compare``: lateral move (significant win, a guard regresses);
4 a record was not found, fails its integrity checks (docs/integrity.md), is unsafe to
rebuild, or two records are not comparable; ``leaderboard`` / ``papers`` found no records.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from incumbent import cli_args
from incumbent.gate import compare as cmp
from incumbent.gate import eligibility
from incumbent.gate import leaderboard as lb
from incumbent.reports.safe_config import UnsafeConfig
from incumbent.running import records
from incumbent.running.integrity import IntegrityError


def sources(args) -> list[Path]:
    if args.records:
        return [Path(p) for p in args.records]
    out = []
    if not args.local_only:
        out.append(lb.COMMITTED)
    if not args.committed_only:
        out.append(lb.results_dir())
    return out


def resolve(ref: str, recs: list[dict]) -> dict:
    """A record by path, or by run id / unique run-id prefix among ``recs``."""
    p = Path(ref)
    if p.suffix == ".json" and p.exists():
        return records.read(p)
    hits = [r for r in recs if r["run_id"].startswith(ref)]
    if len(hits) == 1:
        return hits[0]
    if not hits:
        raise LookupError(f"no record with run id or path {ref!r} (searched {len(recs)} records)")
    ids = ", ".join(sorted(r["run_id"] for r in hits)[:5])
    raise LookupError(f"{ref!r} matches {len(hits)} records ({ids}...): give a longer prefix")


def resolve_against(args, challenger: dict, recs: list[dict], refs) -> list[dict]:
    """Named records, or else the incumbent of the challenger's cell (or every baseline's best)."""
    if refs:
        return [resolve(r, recs) for r in refs]
    if getattr(args, "all_baselines", False):
        board = lb.boards(recs).get(lb.board_key(challenger))
        others = [r for r in (board.entries if board else [])
                  if r["run_id"] != challenger["run_id"] and eligibility.eligible(r)
                  and r.get("config_hash") != challenger.get("config_hash")]  # fmt: skip
        if others:
            return others
    else:
        inc = lb.incumbent_for(challenger, recs)
        if inc is not None:
            return [inc]
    raise LookupError(
        f"no incumbent recorded for {lb.cell_label(lb.board_key(challenger))} in "
        f"{', '.join(str(s) for s in sources(args))}"
    )


def do_leaderboard(args) -> int:
    every = lb.load(sources(args))
    recs = cli_args.filtered_or_refused(every, args.dataset, args.protocol)  # never empty
    boards = lb.boards(recs)
    print(lb.render(boards, fmt="simple"))
    out = Path(args.out) if args.out else lb.results_dir() / "leaderboard.md"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("# Leaderboard\n\n" + lb.render(boards, fmt="github"))
    print(f"written: {out}")
    return 0


def run_comparison(args, challenger_ref: str, refs) -> tuple[cmp.Comparison, list[dict]]:
    recs = lb.load(sources(args))
    challenger = resolve(challenger_ref, recs)
    against = resolve_against(args, challenger, recs, refs)
    c = cmp.compare(
        challenger, against, tolerances=cli_args.tolerances(args.tolerance, challenger, args.command),
        default_tolerance=args.default_tolerance, alpha=args.alpha,
        n_resamples=args.resamples, seed=args.seed,
    )  # fmt: skip
    return c, against


def do_compare(args) -> int:
    c, against = run_comparison(args, args.challenger, args.incumbents)
    print(cmp.render(c))
    if args.plot:
        from incumbent.reports.plots import plot_records

        out = plot_records([c.challenger, *against])
        print(f"plots: {out.det} {out.roc}")
    return c.exit_code


def do_cite(args) -> int:
    from incumbent.reports.cite import cite

    if args.vs is None:
        record = resolve(args.record, lb.load(sources(args)))
        print(cite(record, n_resamples=args.resamples, seed=args.seed), end="")
        return 0
    c, _ = run_comparison(args, args.record, args.vs)
    print(cite(c.challenger, c, n_resamples=args.resamples, seed=args.seed), end="")
    return 0


def do_plot(args) -> int:
    from incumbent.reports.plots import plot_records

    recs = lb.load(sources(args))
    record = resolve(args.record, recs)
    others = [] if args.vs is None else resolve_against(args, record, recs, args.vs)
    for r in others:
        cmp.check_comparable(record, r)
    out = plot_records([record, *others], regenerate=not args.no_regenerate, out_dir=args.out,
                       data_dir=args.data_dir)  # fmt: skip
    for label, (x, y) in out.eer_points.items():
        print(f"{label}: pooled EER point at FMR {x:.4f}, FNMR {y:.4f}")
    print(f"written: {out.det}\nwritten: {out.roc}")
    from incumbent.reports.cmc_plot import draw_cmc, has_cmc

    if has_cmc(record):  # identification runs: the CMC too, from the records themselves
        cmc = draw_cmc([record, *others], Path(str(out.det).removesuffix(".det.png") + ".cmc.png"))
        print(f"written: {cmc}")
    return 0


def do_papers(args) -> int:
    from incumbent.reports import papers

    if not lb.load([args.committed]):  # never regenerate papers.md from nothing
        print(f"incumbent papers: no valid records in {args.committed}; nothing written",
              file=sys.stderr)  # fmt: skip
        return cmp.EXIT_INCOMPARABLE

    diff = papers.refresh(Path(args.file), Path(args.committed), check=args.check)
    if diff is None:
        print(f"{args.file} is up to date with {args.committed}")
        return 0
    if args.check:
        print(diff)
        print(f"{args.file} is stale: run `incumbent papers` to regenerate it", file=sys.stderr)
        return 1
    print(f"regenerated {args.file}")
    return 0


def do_promote(args) -> int:
    from incumbent.gate.promote import promote

    recs = []
    for ref in args.refs:
        p = Path(ref)
        if p.is_dir():
            recs += list(records.iter_records(p))
        else:
            recs.append(resolve(ref, lb.load([lb.results_dir()]) if not p.exists() else []))
    for line in promote(
        recs, root=Path(args.to), force=args.force, reported_only=args.reported_only
    ):
        print(line)
    return 0


def do_list(args) -> int:
    from incumbent.reports import catalog

    if args.update_readme:
        stale = catalog.refresh_readme()
        print("README.md: catalog table " + ("regenerated" if stale else "already up to date"))
        return 0
    print(catalog.render("github" if args.markdown else "simple"), end="")
    return 0


def parser() -> argparse.ArgumentParser:
    ap = cli_args.OneLineParser(
        prog="incumbent", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = ap.add_subparsers(dest="command", required=True)

    src = cli_args.OneLineParser(add_help=False)
    g = src.add_argument_group("where records are looked up")
    g.add_argument(
        "--records",
        action="append",
        metavar="DIR",
        type=cli_args.existing_path,
        help="record folder or file (repeatable); replaces the defaults below",
    )
    g.add_argument("--committed-only", action="store_true", help="only incumbents/")
    g.add_argument("--local-only", action="store_true", help="only the local results folder")  # fmt: skip

    stat = cli_args.OneLineParser(add_help=False)
    s = stat.add_argument_group("statistics")
    s.add_argument(
        "--alpha", type=cli_args.alpha, default=cmp.ALPHA, help="significance level (0.05)"
    )
    s.add_argument(
        "--resamples",
        type=cli_args.resamples,
        default=cmp.N_RESAMPLES,
        help="subject bootstrap resamples (2000, at least 1000)",
    )
    s.add_argument("--seed", type=cli_args.seed, default=0, help="bootstrap seed (0)")
    s.add_argument(
        "--tolerance",
        action="append",
        metavar="METRIC=VALUE",
        type=cli_args.tolerance_pair,
        help="guard tolerance for one metric (repeatable)",
    )
    s.add_argument(
        "--default-tolerance",
        type=cli_args.tolerance_value,
        default=cmp.DEFAULT_TOLERANCE,
        help="guard tolerance for metrics not named by --tolerance (0.01, absolute)",
    )
    s.add_argument("--all-baselines", action="store_true",
                   help="without named incumbents: compare with every other baseline's best run "
                        "in the cell (Holm-corrected), not only the incumbent")  # fmt: skip

    p = sub.add_parser("leaderboard", parents=[src], help="rank baselines per dataset/protocol")
    p.add_argument("--dataset")
    p.add_argument("--protocol")
    p.add_argument("--out", help="Markdown file (default: <results>/leaderboard.md)")
    p.set_defaults(func=do_leaderboard)

    p = sub.add_parser("compare", parents=[src, stat], help="challenger vs incumbent(s): the gate")
    p.add_argument("challenger", help="run id (or prefix) or record path")
    p.add_argument("incumbents", nargs="*", help="records to beat (default: the cell's incumbent)")
    p.add_argument("--plot", action="store_true", help="also write the DET/ROC overlay")
    p.set_defaults(func=do_compare)

    p = sub.add_parser("cite", parents=[src, stat], help="Markdown block for a research ticket")
    p.add_argument("record")
    p.add_argument(
        "--vs",
        nargs="*",
        metavar="REF",
        help="cite a comparison: with no REF, against the cell's incumbent",
    )
    p.set_defaults(func=do_cite)

    p = sub.add_parser("plot", parents=[src], help="DET and ROC PNGs (overlay with --vs)")
    p.add_argument("record")
    p.add_argument("--vs", nargs="*", metavar="REF", help="overlay; with no REF, the incumbent")
    p.add_argument("--out", help="folder (default: beside the record, or its local mirror)")
    p.add_argument(
        "--no-regenerate",
        action="store_true",
        help="fail instead of rerunning a record whose scores are missing",
    )
    p.add_argument(
        "--data-dir",
        type=cli_args.existing_dir,
        help="data folder for such reruns (default: $INCUMBENT_DATA)",
    )
    p.set_defaults(func=do_plot)

    p = sub.add_parser(
        "list",
        aliases=["ls"],
        help="datasets -> default protocol -> baselines -> experiments (from conf/)",
    )
    p.add_argument("--markdown", action="store_true", help="GitHub Markdown table")
    p.add_argument("--update-readme", action="store_true", help="rewrite README.md's table")
    p.set_defaults(func=do_list)

    p = sub.add_parser("papers", help="regenerate papers.md's generated blocks")
    p.add_argument("--check", action="store_true", help="exit 1 (and show a diff) when stale")
    p.add_argument("--file", type=cli_args.existing_path, default=str(lb.ROOT / "papers.md"))
    p.add_argument("--committed", type=cli_args.existing_dir, default=str(lb.COMMITTED))
    p.set_defaults(func=do_papers)

    p = sub.add_parser("promote", help="copy records into incumbents/ (newest per baseline)")
    p.add_argument("refs", nargs="+", help="record paths, folders or run ids")
    p.add_argument("--to", default=str(lb.COMMITTED))
    p.add_argument("--force", action="store_true", help="replace even a newer committed record")
    p.add_argument(
        "--reported-only",
        action="store_true",
        help="skip records without a paper's reported value (in-house runs)",
    )
    p.set_defaults(func=do_promote)

    p = sub.add_parser(
        "run",
        add_help=False,
        help="python run.py anywhere: `incumbent run [--config-dir DIR] OVERRIDES`",
    )
    p.set_defaults(func=None)  # handled before parsing: every argument goes to Hydra
    from incumbent.gate import trials

    trials.add_parser(sub)
    return ap


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["run"]:  # Hydra parses its own arguments (-m, --config-dir, overrides)
        from incumbent.running import app

        return app.main(argv[1:])
    args = parser().parse_args(argv)
    try:
        return args.func(args)
    except (LookupError, cmp.Incomparable, IntegrityError, UnsafeConfig) as e:
        print(f"incumbent {args.command}: {e}", file=sys.stderr)
        return cmp.EXIT_INCOMPARABLE


if __name__ == "__main__":
    sys.exit(main())
