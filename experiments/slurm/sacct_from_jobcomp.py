#!/usr/bin/env python3
"""A minimal ``sacct`` for the one-node test cluster, which has no accounting database.

submitit polls ``sacct -o JobID,State,NodeList --parsable2 -j <id> ...`` for job states.
Without slurmdbd (it needs MySQL) the real sacct only says accounting is disabled, so this
answers the same query from ``scontrol show job`` (pending, running and recently finished
jobs; array tasks as ``<job>_<task>``, pending ranges as ``<job>_[<a>-<b>]``, as sacct
writes them) and the job-completion log that ``JobCompType=jobcomp/filetxt`` writes
(finished, failed and cancelled jobs). Only ``-o``/``--format``, ``-j``/``--jobs`` and
``--parsable2`` are understood; a real cluster's sacct is used unchanged.
"""

import argparse
import os
import re
import subprocess
import sys
from pathlib import Path

FIELDS = ("JobID", "State", "NodeList")


def job_id(kv: dict) -> str:
    """sacct's JobID: ``<job>``, ``<array job>_<task>`` or ``<array job>_[<range>]``."""
    task = kv.get("ArrayTaskId", "")
    if not kv.get("ArrayJobId") or task in ("", "4294967294"):
        return kv["JobId"]
    task = task.split("%")[0]
    return f"{kv['ArrayJobId']}_{task}" if task.isdigit() else f"{kv['ArrayJobId']}_[{task}]"


def rows_from(lines: list[str], wanted: set[str]) -> dict[str, dict]:
    rows = {}
    for line in lines:
        kv = dict(re.findall(r"(\w+)=(\S*)", line))
        if "JobId" not in kv or not ({kv.get("ArrayJobId"), kv["JobId"]} & wanted):
            continue
        jid = job_id(kv)
        nodes = kv.get("NodeList", "")
        rows[jid] = {"JobID": jid, "State": kv.get("JobState", "UNKNOWN"),
                     "NodeList": "" if nodes == "(null)" else nodes}  # fmt: skip
    return rows


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("-o", "--format", default="JobID,State,NodeList")
    ap.add_argument("-j", "--jobs", action="append", default=[])
    ap.add_argument("--parsable2", "-P", action="store_true")
    args, _ = ap.parse_known_args()
    fields = args.format.split(",")
    unknown = [f for f in fields if f not in FIELDS]
    if unknown:
        print(f"sacct (test cluster): fields {unknown} not supported", file=sys.stderr)
        return 1
    wanted = {j.split("_")[0] for js in args.jobs for j in js.split(",")}
    log = Path(os.environ["SLURM_CONF"]).parent / "log" / "jobcomp.log"
    # finished jobs from the completion log; then the controller's view (pending, running,
    # and finished within MinJobAge, with array ranges) overrides it
    rows = rows_from(log.read_text().splitlines() if log.exists() else [], wanted)
    live = subprocess.run(["scontrol", "-o", "show", "job"], capture_output=True, text=True)
    rows.update(rows_from(live.stdout.splitlines(), wanted))
    print("|".join(fields))
    for r in rows.values():
        print("|".join(r[f] for f in fields))
    return 0


if __name__ == "__main__":
    sys.exit(main())
