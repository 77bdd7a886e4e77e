"""The ``incumbent`` command's argument contract: a bad argument is exit 2 with one line.

``argparse`` already exits 2 on a parse error; :class:`OneLineParser` makes its message a
single line (no usage block, no traceback), and the ``type=`` validators below check
ranges while parsing, so nothing out of range reaches the statistics.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

EXIT_USAGE = 2


class OneLineParser(argparse.ArgumentParser):
    def error(self, message: str):
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def usage_error(command: str, message: str):
    """Exit 2 with one line, for checks that need the records (after parsing)."""
    print(f"incumbent {command}: error: {message}", file=sys.stderr)
    raise SystemExit(EXIT_USAGE)


def _number(text: str, kind):
    try:
        return kind(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a{'n integer' if kind is int else ' number'}"
        ) from None


def alpha(text: str) -> float:
    v = _number(text, float)
    if not 0 < v < 1:
        raise argparse.ArgumentTypeError(f"{text}: a significance level lies in (0, 1)")
    return v


def resamples(text: str) -> int:
    v = _number(text, int)
    if v < 1000:
        raise argparse.ArgumentTypeError(f"{text}: use at least 1000 bootstrap resamples")
    return v


def seed(text: str) -> int:
    v = _number(text, int)
    if v < 0:
        raise argparse.ArgumentTypeError(f"{text}: a seed is an integer >= 0")
    return v


def tolerance_value(text: str) -> float:
    v = _number(text, float)
    if not 0 <= v < 1:  # absolute, on rates and AUCs in [0, 1]
        raise argparse.ArgumentTypeError(f"{text}: a tolerance lies in [0, 1)")
    return v


def tolerance_pair(text: str) -> tuple[str, float]:
    name, sep, value = text.partition("=")
    if not sep or not name:
        raise argparse.ArgumentTypeError(f"{text!r}: expected METRIC=NUMBER")
    return name, tolerance_value(value)


def tolerances(pairs, challenger: dict, command: str) -> dict[str, float]:
    """``--tolerance`` pairs; a metric that is not one of the challenger's guards is an error
    (a typo would otherwise leave the default tolerance in force, silently)."""
    from incumbent.gate.leaderboard import guard_metrics

    guards = guard_metrics(challenger)
    out = dict(pairs or [])
    unknown = sorted(set(out) - set(guards))
    if unknown:
        usage_error(command, f"--tolerance {', '.join(unknown)}: not a guard metric of this "
                    f"protocol (guards: {', '.join(guards) or 'none'})")  # fmt: skip
    return out


def filtered_or_refused(recs: list[dict], dataset: str | None, protocol: str | None):
    """``leaderboard``'s records after ``--dataset`` / ``--protocol``; never an empty list (an
    empty board would overwrite the last one): a filter matching nothing is exit 2, no
    records at all exit 4."""
    out = [r for r in recs if (not dataset or r["dataset"]["name"] == dataset)
           and (not protocol or r["protocol"]["name"] == protocol)]  # fmt: skip
    if out:
        return out
    if dataset or protocol:
        known = sorted({f"{r['dataset']['name']}/{r['protocol']['name']}" for r in recs})
        asked = " ".join(f"--{k} {v}" for k, v in (("dataset", dataset), ("protocol", protocol))
                         if v)  # fmt: skip
        usage_error("leaderboard", f"no records match {asked} (recorded: {', '.join(known)})")
    print("incumbent leaderboard: no records found; nothing written", file=sys.stderr)
    raise SystemExit(4)


def existing_path(text: str) -> Path:
    p = Path(text)
    if not p.exists():
        raise argparse.ArgumentTypeError(f"{text}: no such file or folder")
    return p


def existing_dir(text: str) -> Path:
    p = existing_path(text)
    if not p.is_dir():
        raise argparse.ArgumentTypeError(f"{text}: not a folder")
    return p
