"""Raw mouse events -> mouse actions (MM, PC, DD), vectorised.

The rules are those of Antal & Egyed-Zsigmond (IET Biometrics 2019; papers.md
``antal2019``) as implemented in their code (``margitantal68/mouse2``,
``rawdata2actions.processSession1`` and ``actions.process*Actions``), restated here:

1. Consecutive identical rows (all six fields) are dropped.
2. A scroll event takes the coordinates of the row before it; scroll events are
   never actions of their own (they only split or sit inside a chunk).
3. Rows whose x **and** y are both >= 4000 (remote-desktop window left) are
   dropped, except a left-button release.
4. Each left-button release closes a *chunk* (the events since the previous one).
   A chunk of <= 2 events is dropped. If the row before the release was a ``Drag``
   the chunk is ``{MM}* DD``; if it was a ``Pressed`` it is ``{MM}* PC``; otherwise it
   is dropped. Whatever follows the last release is treated as ``{MM}* PC``.
5. ``{MM}* PC`` chunks: a gap of more than 10 s to the previous event (0 for the first
   event of a chunk) closes the running mouse move (kept as MM if it has >= 5 events)
   and the gap event itself is dropped. The first ``Pressed`` event closes the chunk:
   the running move plus that event is a PC if the move had >= 5 events. Events after
   it, and a trailing move without a press, are dropped.
6. ``{MM}* DD`` chunks: only moves, drags, left press and left release count (other
   events still set the time of the previous event). A move after a > 10 s gap and the
   left press each close the running move (kept as MM if >= 5 events) and start a new
   one; the release closes the DD.
7. Actions with fewer than 4 events, or with any x equal to 0, are dropped. Inside an
   action, a point with x > 4000 or y > 4000 takes the previous point's coordinates.

Parity with the authors' code (per-session counts of each action type on the 65
training sessions) is tested in ``tests/test_balabit.py``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

DELTA_T = 10.0  # s: a longer pause starts a new action
MIN_MOVE = 5  # a move needs more than GLOBAL_MIN_ACTION_LENGTH = 4 events
MIN_ACTION = 4
LIMIT = 4000  # coordinates beyond this are remote-desktop artefacts
CODES = {"MM": 1, "PC": 3, "DD": 4}  # the authors' type_of_action codes
TYPES = np.array(["", "MM", "", "PC", "DD"], dtype=object)
BUTTONS = ("NoButton", "Left", "Scroll", "Right", "Middle", "XButton")
STATES = ("Move", "Pressed", "Released", "Drag", "Down", "Up")
EVENT_COLUMNS = ("session", "rtime", "time", "button", "state", "x", "y")


@dataclass
class Actions:
    """Segmented actions: one row per action in ``table``, points concatenated.

    ``table`` columns: ``session`` (the events' session code), ``order`` (0-based
    index of the action in its session, in time order), ``type`` (MM/PC/DD),
    ``type_code`` (1/3/4), ``start``/``stop`` (slice into the point arrays),
    ``n_points``, ``t_start``/``t_end`` (client time, s), ``first_event``/
    ``last_event`` (row positions in the events frame given to :func:`segment`).
    Points ``x``, ``y`` (after the > 4000 fix) and ``t`` are float64 arrays.
    """

    table: pd.DataFrame
    x: np.ndarray
    y: np.ndarray
    t: np.ndarray


def _codes(col, names: tuple[str, ...]) -> np.ndarray:
    """Codes = index in ``names`` (-1 = other); integer columns are codes already."""
    if pd.api.types.is_integer_dtype(col.dtype):
        return col.to_numpy(np.int8)
    cat = pd.Categorical(col, categories=list(names))
    return np.asarray(cat.codes, dtype=np.int8)


def _group_cumsum(flags: np.ndarray, group_start: np.ndarray) -> np.ndarray:
    """Inclusive running count of ``flags`` restarting where ``group_start`` is True."""
    c = np.cumsum(flags, dtype=np.int64)
    base = np.maximum.accumulate(np.where(group_start, c - flags, 0))
    return c - base


def segment(events: pd.DataFrame) -> Actions:
    """Split an event frame into actions.

    ``events`` has columns ``session`` (integer code; each session's rows contiguous
    and in recorded order), ``rtime`` (record timestamp), ``time`` (client
    timestamp, s), ``button``, ``state`` (Balabit strings, or their index in
    ``BUTTONS``/``STATES``), ``x``, ``y``.
    """
    missing = [c for c in EVENT_COLUMNS if c not in events.columns]
    if missing:
        raise ValueError(f"events frame lacks columns {missing}; expected {EVENT_COLUMNS}")
    sess = events["session"].to_numpy(np.int64)
    rt = events["rtime"].to_numpy(np.float64)
    t = events["time"].to_numpy(np.float64)
    btn = _codes(events["button"], BUTTONS)
    st = _codes(events["state"], STATES)
    x = events["x"].to_numpy(np.int32)
    y = events["y"].to_numpy(np.int32)
    rows = np.arange(len(events), dtype=np.int64)
    if len(rows) and (np.diff(sess) < 0).any():
        raise ValueError("events must be grouped by session (session codes non-decreasing)")

    # 1. drop repeats of the previous row
    n = len(rows)
    new_sess = np.r_[True, sess[1:] != sess[:-1]] if n else np.zeros(0, bool)
    same = np.zeros(n, bool)
    if n > 1:
        same[1:] = (rt[1:] == rt[:-1]) & (t[1:] == t[:-1]) & (x[1:] == x[:-1])
        same[1:] &= (y[1:] == y[:-1]) & (btn[1:] == btn[:-1]) & (st[1:] == st[:-1])
    dup = same & ~new_sess
    if dup.any():
        keep = np.flatnonzero(~dup)
        sess, t, btn, st, x, y, rows = (a[keep] for a in (sess, t, btn, st, x, y, rows))
        new_sess = new_sess[keep]
        n = len(rows)

    # 2. scroll events take the previous row's coordinates
    scroll = np.flatnonzero((btn == 2) & ~new_sess)
    x, y = x.copy(), y.copy()
    x[scroll], y[scroll] = x[scroll - 1], y[scroll - 1]
    prev_state = np.empty_like(st)
    prev_state[1:] = st[:-1]
    prev_state[new_sess] = -1

    # 3.-4. chunks closed by left releases; which rows enter a chunk
    release = (btn == 1) & (st == 2)
    chunk_start = new_sess | np.r_[False, release[:-1]] & ~new_sess
    chunk = np.cumsum(chunk_start) - 1
    inside = release | (x < LIMIT) | (y < LIMIT)
    n_chunks = int(chunk[-1]) + 1 if n else 0
    length = np.bincount(chunk[inside], minlength=n_chunks)
    kind = np.zeros(n_chunks, np.int8)  # 0 drop, 1 {MM}*PC, 2 {MM}*DD
    ends = np.flatnonzero(release)
    closed = np.zeros(n_chunks, bool)
    closed[chunk[ends]] = True
    kind[~closed] = 1
    ok = length[chunk[ends]] > 2
    kind[chunk[ends[ok & (prev_state[ends] == 1)]]] = 1  # Pressed
    kind[chunk[ends[ok & (prev_state[ends] == 3)]]] = 2  # Drag

    sel = np.flatnonzero(inside & (kind[chunk] > 0))
    chunk, t, btn, st, x, y, rows = (a[sel] for a in (chunk, t, btn, st, x, y, rows))
    first = np.r_[True, chunk[1:] != chunk[:-1]] if len(chunk) else np.zeros(0, bool)
    gap = t - np.where(first, 0.0, np.r_[0.0, t[:-1]]) > DELTA_T
    is_dd = kind[chunk] == 2

    # 5. {MM}*PC: moves split by gaps, closed by the first press
    pressed = st == 1
    n_press = _group_cumsum(pressed, first)
    the_press = pressed & (n_press == 1)
    pc_gap = gap & (n_press == 0)
    pc_member = (n_press == 0) & ~pc_gap | the_press
    pc_reset = first | pc_gap

    # 6. {MM}*DD: moves, drags, left press/release; new move at a gap or the press
    move = (btn == 0) & (st == 0)
    dd_member = move | ((btn == 0) & (st == 3)) | ((btn == 1) & ((st == 1) | (st == 2)))
    dd_reset = first | (move & gap) | ((btn == 1) & (st == 1))

    member = np.where(is_dd, dd_member, pc_member)
    reset = np.where(is_dd, dd_reset, pc_reset)
    seg = np.cumsum(reset) - 1
    n_seg = int(seg[-1]) + 1 if len(seg) else 0
    size = np.bincount(seg[member], minlength=n_seg)
    # a segment is "closed by a reset" when the next segment starts inside its chunk
    closed_by_reset = np.zeros(n_seg, bool)
    closed_by_reset[seg[reset & ~first] - 1] = True
    seg_dd = np.zeros(n_seg, bool)
    seg_dd[seg] = is_dd
    has_press = np.zeros(n_seg, bool)
    has_press[seg[the_press & ~is_dd]] = True
    has_release = np.zeros(n_seg, bool)
    has_release[seg[(btn == 1) & (st == 2) & is_dd]] = True

    code = np.zeros(n_seg, np.int8)
    code[closed_by_reset & (size >= MIN_MOVE)] = CODES["MM"]
    code[~seg_dd & has_press & (size - 1 >= MIN_MOVE)] = CODES["PC"]
    code[~seg_dd & has_press & (size - 1 < MIN_MOVE)] = 0
    code[seg_dd & has_release] = CODES["DD"]

    # 7. keep members of emitted segments; drop short actions and any with x == 0
    size = np.bincount(seg[member], minlength=n_seg)
    zero_x = np.bincount(seg[member & (x == 0)], minlength=n_seg) > 0
    emit = (code > 0) & (size >= MIN_ACTION) & ~zero_x
    pts = np.flatnonzero(member & emit[seg])
    seg, t, x, y, rows = seg[pts], t[pts], x[pts], y[pts], rows[pts]

    start_flag = np.r_[True, seg[1:] != seg[:-1]] if len(seg) else np.zeros(0, bool)
    start = np.flatnonzero(start_flag)
    ids = seg[start]
    n_points = np.diff(np.r_[start, len(seg)])
    bad = ((x > LIMIT) | (y > LIMIT)) & ~start_flag
    if bad.any():
        src = np.maximum.accumulate(np.where(bad, 0, np.arange(len(seg))))
        x, y = x[src], y[src]

    stop = start + n_points
    act_sess = events["session"].to_numpy(np.int64)[rows[start]] if len(start) else start
    codes = code[ids]
    table = pd.DataFrame(
        {
            "session": act_sess,
            "order": _group_cumsum(np.ones(len(ids), np.int64), _starts(act_sess)) - 1,
            "type": TYPES[codes],
            "type_code": codes.astype(np.int8),
            "start": start,
            "stop": stop,
            "n_points": n_points,
            "t_start": t[start] if len(start) else np.zeros(0),
            "t_end": t[stop - 1] if len(start) else np.zeros(0),
            "first_event": rows[start] if len(start) else start,
            "last_event": rows[stop - 1] if len(start) else start,
        }
    )
    return Actions(table, x.astype(np.float64), y.astype(np.float64), t)


def _starts(keys: np.ndarray) -> np.ndarray:
    return np.r_[True, keys[1:] != keys[:-1]] if len(keys) else np.zeros(0, bool)
