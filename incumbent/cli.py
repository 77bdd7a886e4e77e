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

from incumbent import cli_args
from incumbent.cli_commands import (
    do_cite,
    do_compare,
    do_leaderboard,
    do_list,
    do_papers,
    do_plot,
    do_promote,
)
from incumbent.gate import compare as cmp
from incumbent.gate import leaderboard as lb
from incumbent.reports.safe_config import UnsafeConfig
from incumbent.running.integrity import IntegrityError


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
