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

# the pieces live by role: recorder.py (the stand-in baseline and the recording run),
# exporting.py, importing.py, command.py (the CLI). The names other code calls are here
# (``incumbent.gate.trials.replayer`` stays the Hydra target written into imported
# records); constants and helpers are read and patched in their own module.
from incumbent.gate.trials.command import add_parser
from incumbent.gate.trials.exporting import export
from incumbent.gate.trials.importing import import_scores, read_scores
from incumbent.gate.trials.recorder import TrialsError, TrialSpy, record_trials, replayer

__all__ = ["TrialSpy", "TrialsError", "add_parser", "export", "import_scores", "read_scores",
           "record_trials", "replayer"]  # fmt: skip
