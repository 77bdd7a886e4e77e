"""SapiMouse impostor order: the authors' block-file order, recorded in the card."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from incumbent.protocols.sapimouse2021 import (
    AUTHORS_1MIN_USER_ORDER,
    SapiMouse2021,
    authors_code_scores,
)

CARD = Path(__file__).resolve().parent.parent / "datasets" / "sapimouse.md"


def test_card_lists_the_same_order_as_the_protocol():
    section = CARD.read_text().split("## The authors' block order")[1].split("## ")[0]
    block = re.search(r"```\n(.*?)```", section, re.DOTALL).group(1)
    assert tuple(int(u) for u in block.split()) == AUTHORS_1MIN_USER_ORDER
    assert sorted(AUTHORS_1MIN_USER_ORDER) == list(range(1, 121))


def _scores():
    # user 73 claimed; impostors 74 (first by id) and 107 (first in the authors' file)
    rows = [("73", "73", 1, 5.0, 0), ("73", "73", 1, 6.0, 1),
            ("73", "74", 0, 1.0, 0), ("73", "74", 0, 1.5, 1),
            ("73", "107", 0, 4.0, 0), ("73", "107", 0, 4.5, 1)]  # fmt: skip
    return pd.DataFrame(rows, columns=["subject", "probe_subject", "label", "score", "order"])


def test_impostor_order_decides_the_first_impostor_and_the_straddling_windows():
    s = _scores()
    _, by_id = authors_code_scores(s, 2, impostor_order="user_id")
    _, authors = authors_code_scores(s, 2, impostor_order="authors")
    assert not np.allclose(np.sort(by_id), np.sort(authors))
    # impostor array, authors' order: 107's blocks then 74's; first window = (4 + 4.5) / 2
    # sets the range together with the first genuine window (5 + 6) / 2
    lo = (5.5 + 4.25) / 2 - 2 * abs(5.5 - 4.25) / np.sqrt(2)
    assert authors[0] == pytest.approx((4.25 - lo) / (4 * abs(5.5 - 4.25) / np.sqrt(2)))


def test_unknown_order_is_refused():
    with pytest.raises(ValueError, match="impostor_order"):
        SapiMouse2021(impostor_order="random")
    assert SapiMouse2021().params()["impostor_order"] == "authors"
