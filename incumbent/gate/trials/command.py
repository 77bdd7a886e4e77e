"""The ``incumbent trials export|import`` subcommands (registered by :mod:`incumbent.cli`)."""

from __future__ import annotations

from incumbent.gate.trials.exporting import export
from incumbent.gate.trials.importing import import_scores
from incumbent.gate.trials.recorder import TrialsError, protocol_overrides


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
