"""Build-time layout of the wheel (the metadata is in pyproject.toml).

The repository keeps the kit's folders at the top level (``baselines/``, ``conf/``,
``datasets/``, ``incumbents/``); the wheel installs them inside the ``incumbent`` package,
so every import name it installs is under ``incumbent`` (``incumbent.baselines.distance``)
and the configs, dataset cards and committed incumbents travel as package data, found
with ``importlib.resources`` (``incumbent.resource``).
"""

from setuptools import find_packages, setup

MAPPED = {  # package in the wheel -> folder in the repository
    "incumbent.baselines": "baselines",
    "incumbent.conf": "conf",
    "incumbent.datasets": "datasets",
    "incumbent.incumbents": "incumbents",
}
DATA = {  # everything in the mapped folders travels (a new record or card needs no edit here)
    "incumbent.conf": ["**/*"],
    "incumbent.datasets": ["**/*"],
    "incumbent.incumbents": ["**/*"],
}

packages = find_packages(include=["incumbent", "incumbent.*"])
packages += [f"incumbent.{p}" for p in find_packages(include=["baselines", "baselines.*"])]
packages += ["incumbent.conf", "incumbent.datasets", "incumbent.incumbents"]

setup(packages=packages, package_dir=MAPPED, package_data=DATA, include_package_data=False)
