"""The repository's ``datasets/`` folder (cards) must not shadow Hugging Face ``datasets``."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_no_init_in_datasets_folder():
    assert not (ROOT / "datasets" / "__init__.py").exists()


def test_hf_datasets_imports_from_repo_root():
    code = (
        "import datasets, sys; print(datasets.__file__); print(hasattr(datasets, 'load_dataset'))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    assert "site-packages" in out[0] and out[1] == "True", out
