"""CMC curves (closed-set identification) of run records that hold an ``identification``
block (``protocol.identification=true``). Drawn from the record itself: the curve is
stored there, so no scores are needed."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402


def has_cmc(record: dict) -> bool:
    return bool((record.get("identification") or {}).get("cmc"))


def draw_cmc(recs: list[dict], path: Path, max_rank: int | None = None) -> Path:
    """One CMC line per record (rank on x, identification rate on y); returns ``path``."""
    recs = [r for r in recs if has_cmc(r)]
    if not recs:
        raise ValueError("no record holds a CMC: run with protocol.identification=true")
    fig, ax = plt.subplots(figsize=(5.5, 4.5))
    for k, r in enumerate(recs):
        curve = np.asarray(r["identification"]["cmc"])
        n = len(curve) if max_rank is None else min(max_rank, len(curve))
        ax.step(np.arange(1, n + 1), curve[:n], where="post", color=f"C{k % 10}",
                label=f"{r['baseline']} (rank-1 {curve[0]:.3f})")  # fmt: skip
    first = recs[0]
    p = first["protocol"]
    ident = first["identification"]
    ax.set(xlabel="rank", ylabel="identification rate", ylim=(0, 1.01),
           title=f"CMC: {first['dataset']['name']} / {p['name']} v{p['version']}\n"
                 f"{ident['models']} models, {ident['probes']} probes, ties pessimistic")  # fmt: skip
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="lower right")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
