"""Parameter checks of protocols whose modules others edit often (kept apart to merge cleanly).

Each raises :class:`~incumbent.running.preflight.ParameterError` from ``__init__``, before
any data is read.
"""

from __future__ import annotations

from incumbent.running.preflight import ParameterError, non_negative_int, one_of, positive_int

SAPIMOUSE_SESSIONS = ("1min", "3min")
IMPOSTOR_ORDERS = ("authors", "user_id")  # SapiMouse 2021 ``impostor_order``


def check_params(p) -> None:
    """SapiMouse 2021 (:class:`incumbent.protocols.sapimouse2021.SapiMouse2021`)."""
    positive_int(p.name, block_size=p.block_size, max_blocks=p.max_blocks)
    non_negative_int(p.name, seed=p.seed)
    one_of(p.name, "layout", p.layout, ("authors", "channels"))
    one_of(p.name, "score_norm", p.score_norm, ("authors_code", "mean2sd", "none"))
    one_of(p.name, "enrol_session", p.enrol_session, SAPIMOUSE_SESSIONS)
    one_of(p.name, "test_session", p.test_session, SAPIMOUSE_SESSIONS)
    one_of(p.name, "impostor_order", p.impostor_order, IMPOSTOR_ORDERS)
    if set(p.train_users) & set(p.eval_users):
        raise ParameterError(f"{p.name}: train_users and eval_users overlap")
