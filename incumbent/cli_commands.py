"""What each ``incumbent`` subcommand does once its arguments are parsed (:mod:`incumbent.cli`
defines the arguments and the exit codes): find the records, then rank, compare, cite,
plot, regenerate papers.md, promote or list. Each ``do_*`` returns the exit code."""

from __future__ import annotations

import sys
from pathlib import Path

from incumbent import cli_args
from incumbent.gate import compare as cmp
from incumbent.gate import eligibility
from incumbent.gate import leaderboard as lb
from incumbent.running import records


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
    return records.lookup(ref, lambda: recs, f"(searched {len(recs)} records)")


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

    recs = lb.load([args.committed])
    if not recs:  # never regenerate papers.md from nothing
        print(f"incumbent papers: no valid records in {args.committed}; nothing written",
              file=sys.stderr)  # fmt: skip
        return cmp.EXIT_INCOMPARABLE

    diff = papers.refresh(Path(args.file), Path(args.committed), check=args.check, recs=recs)
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

    recs, local = [], None
    for ref in args.refs:
        p = Path(ref)
        if p.is_dir():
            recs += list(records.iter_records(p))
        elif p.exists():
            recs.append(resolve(ref, []))
        else:  # a run id: the local records, loaded once for every ref
            local = lb.load([lb.results_dir()]) if local is None else local
            recs.append(resolve(ref, local))
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
