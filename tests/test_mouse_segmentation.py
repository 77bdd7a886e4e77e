"""Segmentation into MM/PC/DD actions and action features on hand-built event streams."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from incumbent.data.mouse.features import FEATURES, action_features
from incumbent.data.mouse.segmentation import segment


def moves(n, t0=0.0, x0=100, dx=10, y=200, dt=0.1):
    return [(t0 + k * dt, "NoButton", "Move", x0 + k * dx, y) for k in range(n)]


def frame(events, session=0):
    df = pd.DataFrame(events, columns=["time", "button", "state", "x", "y"])
    df.insert(0, "rtime", df["time"])
    df.insert(0, "session", session)
    return df


def kinds(events):
    tab = segment(frame(events)).table
    return list(zip(tab["type"], tab["n_points"], strict=True))


def click(t, x, y=200):
    return [(t, "Left", "Pressed", x, y), (t + 0.05, "Left", "Released", x, y)]


def test_point_click_is_the_moves_plus_the_press():
    ev = moves(6) + click(0.6, 150)
    assert kinds(ev) == [("PC", 7)]


def test_drag_and_drop_follows_a_mouse_move():
    ev = moves(5)
    ev += [(0.5, "Left", "Pressed", 150, 200)]
    ev += [(0.6 + 0.1 * k, "NoButton", "Drag", 160 + 10 * k, 200) for k in range(4)]
    ev += [(1.0, "Left", "Released", 200, 200)]
    assert kinds(ev) == [("MM", 5), ("DD", 6)]


def test_a_pause_over_10_s_splits_the_moves():
    ev = moves(6) + moves(6, t0=12.6, x0=300)  # 12 s gap before the 7th event
    ev += click(13.2, 360)
    # the event after the gap is dropped (authors' rule): 6 moves, then 5 moves + press
    assert kinds(ev) == [("MM", 6), ("PC", 6)]


def test_too_short_actions_are_dropped():
    short_click = moves(3) + click(0.3, 130)
    assert kinds(short_click) == []
    short_drag = moves(6) + [
        (0.6, "Left", "Pressed", 160, 200),
        (0.7, "NoButton", "Drag", 170, 200),
        (0.8, "Left", "Released", 180, 200),
    ]
    assert kinds(short_drag) == [("MM", 6)]  # the DD has 3 points < 4


def test_scroll_is_never_an_action_and_trailing_moves_are_dropped():
    ev = moves(6) + [(0.6 + 0.1 * k, "Scroll", "Down", 150, 200) for k in range(6)]
    ev += click(1.3, 150)
    got = segment(frame(ev))
    # scrolls take the previous coordinates and sit inside the PC; no action of their own
    assert list(got.table["type"]) == ["PC"]
    assert (got.x != 0).all()
    assert kinds(moves(30)) == []  # moves never closed by a click


def test_remote_desktop_coordinates_take_the_previous_point():
    ev = moves(6)
    ev[3] = (0.3, "NoButton", "Move", 65535, 200)  # x beyond 4000
    ev += click(0.6, 160)
    got = segment(frame(ev))
    assert list(got.table["type"]) == ["PC"]
    assert got.x[3] == got.x[2] == 120


def test_sessions_do_not_share_actions_and_order_counts_within_a_session():
    a = frame(moves(6) + click(0.6, 150) + moves(6, t0=1) + click(1.6, 150), session=0)
    b = frame(moves(6) + click(0.6, 150), session=1)
    tab = segment(pd.concat([a, b], ignore_index=True)).table
    assert list(tab["session"]) == [0, 0, 1]
    assert list(tab["order"]) == [0, 1, 0]


def test_features_of_a_straight_constant_speed_move():
    ev = moves(6, dx=10) + click(0.6, 160)  # 7 points on a line, 10 px per 0.1 s
    f = action_features(segment(frame(ev)))
    assert list(f.columns) == FEATURES and len(FEATURES) == 39
    row = f.iloc[0]
    assert row["type_of_action"] == 3
    assert row["num_points"] == 7
    assert row["traveled_distance_pixel"] == pytest.approx(60)
    assert row["dist_end_to_end_line"] == pytest.approx(60)
    assert row["straightness"] == pytest.approx(1)
    assert row["elapsed_time"] == pytest.approx(0.6)
    assert row["direction_of_movement"] == 0  # rightwards
    # the authors' line coefficients multiply x by (x_end - x_0): not the geometric
    # distance (0 here) but |x_i - 200| at most, which we keep for parity
    assert row["largest_deviation"] == pytest.approx(90)
    # v = 100 px/s after the leading 0 of the authors' signals
    assert row["max_v"] == pytest.approx(100)
    assert row["mean_v"] == pytest.approx(100 * 6 / 7)
    assert np.isfinite(f.to_numpy()).all()


def test_rejects_events_not_grouped_by_session():
    df = pd.concat([frame(moves(3), 1), frame(moves(3), 0)], ignore_index=True)
    with pytest.raises(ValueError, match="grouped by session"):
        segment(df)
