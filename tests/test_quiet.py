"""Quiet by default: loader details at debug level with a one-line count, Lightning's
informational lines (devices, tips) off, no progress bars in a log file."""

from __future__ import annotations

import logging

from test_aalto_loader import archive, member, rows, write_zip  # noqa: F401  (fixture)

from incumbent.data.loaders import aalto
from incumbent.running import quiet


def test_aalto_row_issues_are_one_summary_line(archive, caplog, monkeypatch, tmp_path):  # noqa: F811
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    aalto._LOADED.clear()
    with caplog.at_level(logging.INFO, logger="incumbent"):
        aalto.load(path=archive, progress=False)
    lines = [r for r in caplog.records if r.name.startswith("incumbent.data.loaders.aalto")]
    assert len(lines) == 1, [r.getMessage() for r in lines]
    msg = lines[0].getMessage()
    assert "1 empty file" in msg and "2 repaired" in msg and "1 skipped" in msg
    assert "INCUMBENT_DEBUG=1" in msg
    caplog.clear()
    aalto._LOADED.clear()
    with caplog.at_level(logging.DEBUG, logger="incumbent"):
        aalto.load(path=archive, progress=False)
    details = [
        r for r in caplog.records if r.levelno == logging.DEBUG and "keystroke" in r.getMessage()
    ]
    assert len(details) == 4  # every issue, one line each, at debug level
    aalto._LOADED.clear()


def test_lightning_information_is_off_unless_debugging():
    quiet.configure(debug=False)
    for name in quiet.RANK_ZERO:
        assert not logging.getLogger(name).isEnabledFor(logging.INFO)
        assert logging.getLogger(name).isEnabledFor(logging.WARNING)
    quiet.configure(debug=True)
    assert all(logging.getLogger(n).isEnabledFor(logging.INFO) for n in quiet.RANK_ZERO)
    quiet.configure(debug=False)


def test_no_progress_bars_in_a_log_file(monkeypatch):
    class NotATerminal:
        def isatty(self):
            return False

    monkeypatch.setattr("sys.stderr", NotATerminal())
    assert quiet.progress_bars(True) is False
    assert quiet.progress_bars(False) is False
