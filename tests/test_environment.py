"""environment.yml (conda) must list the same packages as pyproject.toml."""

import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


def _split(requirement: str):
    match = re.match(r"^\s*([A-Za-z0-9_.\-]+)\s*(.*)$", requirement)
    return match.group(1).lower().replace("_", "-"), match.group(2).replace(" ", "")


def _pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    requirements = project["dependencies"] + project["optional-dependencies"]["course"]
    return dict(_split(r) for r in requirements)


def _environment():
    environment = yaml.safe_load((ROOT / "environment.yml").read_text())
    entries = {}
    for item in environment["dependencies"]:
        for requirement in item["pip"] if isinstance(item, dict) else [item]:
            name, spec = _split(requirement)
            if name not in ("python", "pip"):
                entries[name] = spec
    return entries


def test_environment_yml_agrees_with_pyproject():
    assert _environment() == _pyproject()


def test_constraints_pin_every_dependency_exactly():
    pins = {}
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        if line and not line.startswith("#"):
            name, _, version = line.partition("==")
            pins[name.lower().replace("_", "-")] = version
    for name in _pyproject():
        assert name in pins, f"{name} is not pinned in constraints.txt"
    assert pins["tensorflow"].startswith("2.21.")
    assert tuple(int(p) for p in pins["keras"].split(".")[:2]) >= (3, 10)


def test_python_requirement_matches():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["requires-python"] == ">=3.11"
    environment = yaml.safe_load((ROOT / "environment.yml").read_text())
    assert "python>=3.11" in environment["dependencies"]
