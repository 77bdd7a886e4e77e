"""The written schema of a run record (JSON Schema, draft 2020-12).

What a record must hold for the gate, the leaderboard, ``cite`` and ``promote`` to read
it. It is deliberately open where other parts of the kit grow records: extra top-level
blocks (``run_info``, ``provenance``, ``trials``, ``split``, ...) and extra metric keys are
allowed, provided every metric is a number. Finiteness, the [0, 1] range of rates and
the agreement of the summary with the per-subject rows are checked by
:mod:`incumbent.running.integrity` (JSON Schema cannot say "finite" or "the mean of").
"""

from __future__ import annotations

NUMBER = {"type": "number"}
NAME = {"type": "string", "minLength": 1, "pattern": r"^[A-Za-z0-9_.+-]+$"}  # a path component

RECORD_SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "incumbent run record",
    "type": "object",
    "required": [
        "schema",
        "run_id",
        "baseline",
        "dataset",
        "protocol",
        "metrics",
        "per_subject",
        "seed",
        "git",
    ],  # fmt: skip
    "properties": {
        "schema": {"type": "integer", "minimum": 1},
        "run_id": NAME,
        "baseline": NAME,
        "paper": {"type": ["string", "null"]},
        "dataset": {
            "type": "object",
            "required": ["name"],
            "properties": {
                "name": NAME,
                "checksum": {"type": ["string", "null"]},
                "subjects": {"type": "integer", "minimum": 0},
            },
        },
        "protocol": {
            "type": "object",
            "required": ["name", "version", "primary_metric"],
            "properties": {
                "name": NAME,
                "version": {"type": "integer", "minimum": 0},
                "params": {"type": ["object", "null"]},
                "primary_metric": {"type": "string", "minLength": 1},
                "guard_metrics": {"type": "array", "items": {"type": "string"}},
            },
        },
        "seed": {"type": "integer"},
        "metrics": {"type": "object", "minProperties": 1, "additionalProperties": NUMBER},
        "reported": {"type": ["object", "null"], "additionalProperties": NUMBER},
        "per_subject": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["subject"],
                "properties": {"subject": {"type": ["string", "integer"]}},
                # numbers (metrics) or text (e.g. a demographic group for fairness reports)
                "additionalProperties": {"type": ["number", "string", "boolean", "null"]},
            },
        },
        "git": {
            "type": "object",
            "properties": {
                "sha": {"type": ["string", "null"]},
                "dirty": {"type": ["boolean", "null"]},
            },
        },
        "config": {"type": "object"},
        "config_hash": {"type": "string"},
        "code_version": {"type": ["string", "null"]},
        "overrides": {"type": "array", "items": {"type": "string"}},
        "command": {"type": "string"},
        "versions": {"type": "object"},
        "started": {"type": ["string", "null"]},
        "wall_time_s": {"type": ["number", "null"]},
        "sweep": {"type": ["object", "null"]},
        "scores": {
            "type": ["object", "null"],
            "required": ["file", "sha256"],
            "properties": {
                "file": {"type": "string", "pattern": r"^[A-Za-z0-9_.+-]+\.scores\.parquet$"},
                "sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
            },
        },
    },
}
