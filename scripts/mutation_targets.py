"""Where mutation testing mutates (scripts/mutation.py): the targets, the tests that judge
each, and the mutants in scope (mutmut's operators; message-text-only mutants left out)."""

from __future__ import annotations

import ast
import random
from dataclasses import dataclass
from pathlib import Path

from mutmut import Context, list_mutations, mutate

ROOT = Path(__file__).resolve().parent.parent
STATE = ROOT / ".cache" / "mutation"
REPORT = ROOT / "docs" / "mutation.md"
NOTES = ROOT / "scripts" / "mutation_notes.json"


@dataclass(frozen=True)
class Target:
    name: str
    path: str
    tests: tuple[str, ...]
    functions: tuple[str, ...] = ()  # empty: the whole module


GATE_TESTS = ("tests/test_compare.py", "tests/test_gate_decisions.py")
RECORD_TESTS = ("tests/test_records_and_resume.py", "tests/test_pipeline_and_records.py")
SPLIT_TESTS = ("tests/test_split_counts.py",)

# Ordered by what is most at stake; formatting and rendering functions are left out.
TARGETS = [
    Target("compare", "incumbent/gate/compare.py", GATE_TESTS, (
        "check_comparable", "_subjects", "per_subject_values", "delta", "worse_by",
        "regresses", "better", "significant", "outcome", "regressions", "wins", "exit_code",
        "compare")),
    Target("leaderboard", "incumbent/gate/leaderboard.py", GATE_TESTS, (
        "higher_is_better", "metric_value", "primary_metric", "guard_metrics", "cell",
        "board_key", "rank_key", "load", "incumbent", "boards", "incumbent_for",
        "_source_name")),
    Target("records", "incumbent/running/records.py", RECORD_TESTS, (
        "config_hash", "record_dir", "atomic_write_bytes", "write", "read", "read_scores",
        "iter_records", "find")),
    Target("resume", "incumbent/running/resume.py", ("tests/test_records_and_resume.py",), (
        "record_code_version", "scores_intact", "find_done")),
    Target("cards.verify", "incumbent/data/cards.py", ("tests/test_checksums.py",),
           ("verify", "file_digest")),
    Target("protocols.fixed_text", "incumbent/protocols/fixed_text.py",
           ("tests/test_fixed_text_protocol.py", *SPLIT_TESTS), ("splits",)),
    Target("protocols.killourhy2009", "incumbent/protocols/killourhy2009.py",
           ("tests/test_killourhy2009_protocol.py", *SPLIT_TESTS), ("splits",)),
    Target("protocols.balabit_antal2019", "incumbent/protocols/balabit_antal2019.py", (
        "tests/test_balabit.py::test_training_set_is_balanced_first_actions",
        "tests/test_balabit.py::test_protocol_scores_sessions_and_exposes_action_streams"),
        ("dataset_actions", "training_set")),
    Target("protocols.sapimouse2021", "incumbent/protocols/sapimouse2021.py", (
        "tests/test_sapimouse.py::test_authors_code_evaluation_known_answer",
        "tests/test_sapimouse.py::test_authors_code_windows_known_answer",
        "tests/test_sapimouse.py::test_authors_code_equal_first_scores_give_one_half",
        "tests/test_sapimouse.py::test_blocks_known_values",
        "tests/test_sapimouse.py::test_block_average_within_streams",  # not the FCN smoke
        "tests/test_sapimouse.py::test_blocks_carry_integer_user_ids_and_missing_users_fail",
        "tests/test_split_counts.py::test_sapimouse_user_range"),
        ("user_range", "blocks", "authors_code_scores")),
    Target("protocols.typenet_open_set", "incumbent/protocols/typenet_open_set.py",
           ("tests/test_open_set_protocol.py",), ("split_subjects", "_sequences")),
    Target("stats", "incumbent/evaluation/stats.py", ("tests/test_stats.py",)),
    Target("metrics", "incumbent/evaluation/metrics.py", ("tests/test_metrics.py",)),
]  # fmt: skip

CANDIDATES: dict[str, list] = {}  # target -> mutation ids, listed once per process

MESSAGE_CALLS = {"print", "warn", "debug", "info", "warning", "error", "exception", "write"}


def selected_lines(source: str, functions: tuple[str, ...]) -> set[int] | None:
    """1-based line numbers of the named functions (methods included); None: every line."""
    if not functions:
        return None
    lines: set[int] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name in functions:
            lines.update(range(node.lineno, node.end_lineno + 1))
    return lines


def message_lines(source: str) -> set[int]:
    """Lines inside a ``raise`` or a print/log/warn call: their strings are messages."""
    lines: set[int] = set()
    for node in ast.walk(ast.parse(source)):
        is_message = isinstance(node, ast.Raise)
        if isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            is_message = name in MESSAGE_CALLS
        if is_message:
            lines.update(range(node.lineno, node.end_lineno + 1))
    return lines


def only_string_text_changed(before: str, after: str) -> bool:
    """True when the mutant only rewrote string literals (mutmut's 'XX...XX' mutation)."""
    return before != after and after.replace("XX", "") == before.replace("XX", "")


def candidates(target: Target, root: Path = ROOT) -> list:
    """mutmut's mutation ids in the target's scope, in a fixed shuffled order (one parse)."""
    path = root / target.path
    source = path.read_text()
    keep = selected_lines(source, target.functions)
    ids = [
        mid
        for mid in list_mutations(Context(source=source, filename=str(path)))
        if keep is None or mid.line_number + 1 in keep
    ]
    random.Random(0).shuffle(ids)
    return ids


def materialise(target: Target, source: str, mid) -> dict | None:
    """The mutant's source and lines; None for a mutant of message text only."""
    mutated, _ = mutate(Context(source=source, mutation_id=mid, filename=target.path))
    mutated_lines = mutated.split("\n")
    new_line = mutated_lines[mid.line_number] if mid.line_number < len(mutated_lines) else ""
    line_no = mid.line_number + 1
    if line_no in message_lines(source) and only_string_text_changed(mid.line, new_line):
        return None
    return {"line": line_no, "index": mid.index, "before": mid.line.strip(),
            "after": new_line.strip(), "source": mutated}  # fmt: skip


def mutants(target: Target, root: Path = ROOT) -> list[dict]:
    source = (root / target.path).read_text()
    found = (materialise(target, source, mid) for mid in candidates(target, root))
    return [m for m in found if m is not None]
