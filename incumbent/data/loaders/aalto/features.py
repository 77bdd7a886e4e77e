"""One participant's keystrokes as per-sentence sequences, and TypeNet's per-keystroke
features of a sequence (both described in the package docstring)."""

from __future__ import annotations

import numpy as np
import pandas as pd


def sequences(keystrokes: pd.DataFrame) -> list[dict]:
    """One dict per sentence, chronological; keys sorted by press time (package docstring)."""
    df = keystrokes.sort_values(["PRESS_TIME", "KEYSTROKE_ID"], kind="stable")
    out = []
    for session, g in df.groupby("TEST_SECTION_ID", sort=False):
        out.append(
            {
                "session": int(session),
                "sentence": str(g["SENTENCE"].iloc[0]),
                "user_input": str(g["USER_INPUT"].iloc[0]),
                "press": g["PRESS_TIME"].to_numpy(np.int64),
                "release": g["RELEASE_TIME"].to_numpy(np.int64),
                "keycode": g["KEYCODE"].to_numpy(np.int16),
            }
        )
    out.sort(key=lambda s: (int(s["press"][0]), s["session"]))
    return out


def typenet_features(press, release, keycode, length: int | None = None) -> np.ndarray:
    """TypeNet's 5 per-keystroke features in seconds (package docstring)."""
    p = np.asarray(press, dtype=np.float64) / 1000.0
    r = np.asarray(release, dtype=np.float64) / 1000.0
    n = p.size
    x = np.zeros((n, 5), dtype=np.float32)
    x[:, 0] = r - p
    if n > 1:
        x[:-1, 1] = p[1:] - r[:-1]
        x[:-1, 2] = p[1:] - p[:-1]
        x[:-1, 3] = r[1:] - r[:-1]
    x[:, 4] = np.asarray(keycode, dtype=np.float64) / 255.0
    if length is None:
        return x
    out = np.zeros((length, 5), dtype=np.float32)
    out[: min(n, length)] = x[:length]
    return out
