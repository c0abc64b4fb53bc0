"""Bad input across the public API: a clear error naming the argument, or a correct result.

The rows live in ``tests/bad_input_rows_*.py`` (see ``tests/bad_input_table.py``).
Every public callable, found from every module's ``__all__``, has at least one
row or a written exemption; a new public function without either fails here.
"""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path

import pytest

import cvhelpers
from bad_input_table import Correct, Refused

TESTS = Path(__file__).parent


def _row_modules():
    return [importlib.import_module(path.stem) for path in sorted(TESTS.glob("bad_input_rows_*.py"))]


def _rows():
    return [row for module in _row_modules() for row in module.ROWS]


def _exempt():
    exempt = {}
    for module in _row_modules():
        for name, reason in module.EXEMPT.items():
            assert name not in exempt, f"{name} is exempted twice"
            exempt[name] = reason
    return exempt


def public_callables() -> dict[str, object]:
    """Every callable named in an ``__all__`` of cvhelpers, by its full name."""
    found = {}
    for info in pkgutil.walk_packages(cvhelpers.__path__, "cvhelpers."):
        if info.name.endswith("__main__"):
            continue
        module = importlib.import_module(info.name)
        for name in getattr(module, "__all__", ()):
            obj = getattr(module, name)
            if callable(obj) and getattr(obj, "__module__", "").startswith("cvhelpers"):
                found[f"{obj.__module__}.{obj.__qualname__}"] = obj
    return found


def _resolve(target: str):
    module_name, _, attribute = target.rpartition(".")
    return getattr(importlib.import_module(module_name), attribute)


def test_every_public_callable_has_a_row_or_an_exemption():
    covered = {row.target for row in _rows()}
    exempt = _exempt()
    missing = sorted(set(public_callables()) - covered - set(exempt))
    assert not missing, f"public callables with no bad-input row and no exemption: {missing}"
    assert all(reason.strip() for reason in exempt.values())


def test_rows_and_exemptions_name_real_public_callables():
    public = public_callables()
    unknown = sorted(({row.target for row in _rows()} | set(_exempt())) - set(public))
    assert not unknown, f"rows or exemptions for names that are not public callables: {unknown}"
    both = sorted({row.target for row in _rows()} & set(_exempt()))
    assert not both, f"both a row and an exemption: {both}"


ROWS = _rows()


@pytest.mark.parametrize("row", ROWS, ids=[f"{row.target.removeprefix('cvhelpers.')}: {row.case}" for row in ROWS])
def test_bad_input(row):
    function = _resolve(row.target)
    if isinstance(row, Refused):
        with pytest.raises(row.error) as info:
            row.call(function)
        assert row.names in str(info.value), f"the message does not name {row.names!r}: {info.value}"
    else:
        assert isinstance(row, Correct)
        assert row.check(row.call(function)), f"wrong result for {row.case}"
