"""The pinned environment: requirements.lock, environment.yml and pyproject.toml agree."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def _lock() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "requirements.lock").read_text().splitlines():
        if "==" in line and not line.startswith("#"):
            name, version = line.split("==")
            pins[re.sub(r"[-_.]+", "-", name).lower()] = version.strip()
    return pins


def _conda() -> dict[str, str]:
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pins = {}
    for dep in env["dependencies"]:
        if isinstance(dep, str) and "=" in dep and not dep.startswith("python="):
            name, version = dep.split("=", 1)
            pins[re.sub(r"[-_.]+", "-", name).lower()] = version
    return pins


def test_environment_yml_pins_match_the_lock():
    lock, conda = _lock(), _conda()
    assert len(conda) >= 15
    mismatched = {n: (v, lock.get(n)) for n, v in conda.items() if lock.get(n) != v}
    assert not mismatched, mismatched


def test_every_direct_dependency_is_pinned_in_both():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    direct = project["dependencies"] + project["optional-dependencies"]["dev"]
    names = {re.sub(r"[-_.]+", "-", re.split(r"[<>=\[ ]", d)[0]).lower() for d in direct}
    lock, conda = _lock(), _conda()
    assert not names - set(lock), names - set(lock)
    assert not names - set(conda), names - set(conda)


def test_core_packages_of_the_brief_are_dependencies():
    lock = _lock()
    for pkg in ["jupyterlab", "pandas", "scipy", "statsmodels", "seaborn", "papermill", "nbval", "nbconvert",
                "pyarrow", "openpyxl", "pandera"]:
        assert pkg in lock, pkg
