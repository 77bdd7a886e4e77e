"""The README fits on a few screens, its generated table is fresh, and every command in
its code blocks names something real: each ``python run.py ...`` composes with Hydra,
each ``incumbent <sub> ...`` parses, each ``make``/``pytest``/script target exists."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
from hydra import compose, initialize_config_dir

from incumbent.cli import parser
from incumbent.reports import catalog

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
# the README and the reference pages split from it (other docs pages have their own tests)
MOVED = ("datasets", "protocols", "benchmarks", "sweeps-and-clusters", "records")
PAGES = [README, *(ROOT / "docs" / f"{name}.md" for name in MOVED)]


def commands(path: Path) -> list[str]:
    """Shell commands of a Markdown file: ```bash blocks, and ``$ `` lines elsewhere."""
    out = []
    for lang, body in re.findall(r"^```(\w*)\n(.*?)^```", path.read_text(), re.S | re.M):
        text = body.replace("\\\n", " ")
        for line in text.splitlines():
            line = line.strip()
            if lang in ("bash", "sh") or line.startswith("$ "):
                line = line.removeprefix("$ ")
                line = re.sub(r"\s+#.*$", "", line).strip()
                if line and not line.startswith("#"):
                    out += [c.strip() for c in line.split("&&")]
    return out


def all_commands():
    return [pytest.param(p, c, id=f"{p.name}:{c[:60]}") for p in PAGES for c in commands(p)]


def overrides_compose(args: list[str]) -> None:
    multirun = "-m" in args or "--multirun" in args
    overrides = [a for a in args if not a.startswith("-")]
    plain, swept = [], []
    for o in overrides:
        (swept if multirun and ("," in o or "glob(" in o) else plain).append(o)
    with initialize_config_dir(str(ROOT / "conf"), version_base="1.3"):
        compose("config", overrides=plain, return_hydra_config=True)
    for o in swept:  # a sweep: every listed config of the group exists
        key, _, values = o.partition("=")
        if "glob(" in values or "." in key:
            continue
        for v in values.split(","):
            assert (ROOT / "conf" / key / f"{v}.yaml").exists(), f"{o}: no conf/{key}/{v}.yaml"


@pytest.mark.parametrize(("page", "command"), all_commands())
def test_every_command_names_something_real(page, command):
    words = shlex.split(command)
    env = [w for w in words if re.match(r"^[A-Z_]+=", w)]
    words = words[len(env) :] if words[: len(env)] == env else words
    head = words[0]
    if head == "make":
        targets = re.findall(r"^([\w-]+):", (ROOT / "Makefile").read_text(), re.M)
        assert all(t in targets for t in words[1:]), command
    elif head == "incumbent":
        sub = parser()._subparsers._group_actions[0].choices  # noqa: SLF001
        assert words[1] in sub, f"no subcommand {words[1]!r}"
        parser().parse_args(words[1:])  # exits (fails the test) on a bad option
    elif words[:2] == ["python", "run.py"]:
        overrides_compose(words[2:])
    elif words[:3] == ["python", "-m", "pytest"]:
        for w in words[3:]:
            if w.startswith("tests/"):
                assert (ROOT / w.split("::")[0]).exists(), w
    elif words[:2] == ["python", "-m"]:
        import importlib.util

        assert importlib.util.find_spec(words[2]) is not None, words[2]
    elif head == "python":
        assert (ROOT / words[1]).exists(), words[1]
    elif head not in ("git", "export", "pip"):
        pytest.fail(f"{page.name}: unknown command {command!r}")


def test_readme_fits_on_a_few_screens():
    assert len(README.read_text().splitlines()) <= 200


def test_readme_catalog_table_is_fresh():
    assert not catalog.refresh_readme(check=True), "run `incumbent list --update-readme`"


def test_readme_links_resolve():
    for page in PAGES:
        for target in re.findall(r"\]\(([^)#]+)(?:#[^)]*)?\)", page.read_text()):
            if target.startswith("http"):
                continue
            slots = ("integrity.md", "challengers.md")  # pages other branches bring in
            if target.endswith(slots):
                continue
            assert (page.parent / target).exists(), f"{page.name}: broken link {target}"
