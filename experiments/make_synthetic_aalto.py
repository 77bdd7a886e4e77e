"""Write a synthetic archive in the official Aalto ``Keystrokes.zip`` layout, of any size.

    python experiments/make_synthetic_aalto.py /tmp/aalto_synth_20000.zip --participants 20000

Layout and row format as the official release (``Keystrokes/readme.txt`` and
``Keystrokes/files/<ID>_keystrokes.txt``, tab-separated, the 9 official columns, epoch
milliseconds): 15 sentences per participant, about 50 keystrokes each, so about 750 rows
and 105 KB per participant as in the real files; 20,000 participants are about 2.1 GB
unpacked. To write gigabytes quickly, ``--templates`` distinct random participants are
generated and each file is one of them with its own PARTICIPANT_ID (and shifted
KEYSTROKE_IDs) substituted in; timings are random per template (press intervals and hold
times log-normal). Never write this into the repository: use /tmp or similar.
"""

from __future__ import annotations

import argparse
import time
import zipfile
from pathlib import Path

import numpy as np
from tqdm import tqdm

HEADER = ("PARTICIPANT_ID\tTEST_SECTION_ID\tSENTENCE\tUSER_INPUT\tKEYSTROKE_ID\t"
          "PRESS_TIME\tRELEASE_TIME\tLETTER\tKEYCODE\n")  # fmt: skip
WORDS = ("the quick brown fox jumps over lazy dog president defended military crackdown "
         "on protesters typing keyboard observations million keystrokes study participants "
         "sentence memorise transcribe fast accurate error rate words minute").split()  # fmt: skip
PID, KID = "@PID@", "@KID@"  # placeholders substituted per participant


def template(rng: np.random.Generator, sentences: int = 15) -> str:
    """One participant's file with placeholder ids."""
    lines = [HEADER]
    t = 1_471_946_134_000 + int(rng.integers(0, 10**9))
    k = 0
    for s in range(sentences):
        sentence = " ".join(rng.choice(WORDS, size=int(rng.integers(5, 8))))
        sentence = sentence[0].upper() + sentence[1:] + "."
        section = 1000 + s
        for ch in sentence:
            t += int(rng.lognormal(np.log(180), 0.4))
            hold = int(rng.lognormal(np.log(95), 0.25))
            code = ord(ch.upper()) if ch.isalnum() or ch == " " else 190
            lines.append(f"{PID}\t{section}\t{sentence}\t{sentence}\t{KID}{k:04d}\t{t}\t"
                         f"{t + hold}\t{ch}\t{code}\n")  # fmt: skip
            k += 1
        t += int(rng.integers(2_000, 20_000))  # pause between sentences
    return "".join(lines)


def write_archive(path: Path, participants: int, templates: int = 64, seed: int = 0,
                  level: int = 1, progress: bool = True) -> dict:  # fmt: skip
    rng = np.random.default_rng(seed)
    pool = [template(rng) for _ in range(templates)]
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".part")
    unpacked = rows = 0
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as zf:
        zf.writestr("Keystrokes/readme.txt", "Synthetic data in the Aalto 136M layout.\n")
        for n in tqdm(range(participants), desc=path.name, disable=not progress):
            pid = str(100_000 + n)
            text = pool[n % templates].replace(PID, pid).replace(KID, str(1000 + n))
            data = text.encode()
            zf.writestr(f"Keystrokes/files/{pid}_keystrokes.txt", data)
            unpacked += len(data)
            rows += text.count("\n") - 1
    tmp.replace(path)
    return {"participants": participants, "keystrokes": rows, "unpacked_bytes": unpacked,
            "zip_bytes": path.stat().st_size}  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("out", type=Path, help="the .zip to write (outside the repository)")
    ap.add_argument("--participants", type=int, default=20_000)
    ap.add_argument("--templates", type=int, default=64)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--level", type=int, default=1, help="deflate level (1 = fast)")
    args = ap.parse_args()
    repo = Path(__file__).resolve().parent.parent
    if repo in args.out.resolve().parents:
        ap.error(f"{args.out} is inside the repository; write it under /tmp")
    t0 = time.perf_counter()
    info = write_archive(args.out, args.participants, args.templates, args.seed, args.level)
    print(f"{args.out}: {info['participants']} participants, {info['keystrokes']:,} keystrokes, "
          f"{info['unpacked_bytes'] / 1e9:.2f} GB unpacked, {info['zip_bytes'] / 1e6:.0f} MB "
          f"zipped, {time.perf_counter() - t0:.0f} s")  # fmt: skip


if __name__ == "__main__":
    main()
