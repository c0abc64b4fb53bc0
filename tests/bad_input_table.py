"""The row types of the bad-input table (``tests/test_bad_input.py``).

Each group of modules keeps its rows in a ``tests/bad_input_rows_<group>.py``
module with two names:

``ROWS``
    A list of :class:`Refused` and :class:`Correct` rows.
``EXEMPT``
    A dict from a public callable's full name to the written reason it has no
    row (for example: it takes no argument a user passes).

A public callable's full name is ``obj.__module__ + "." + obj.__qualname__``,
for example ``"cvhelpers.data.sampling.class_counts"`` or
``"cvhelpers.augment.layers.SaltAndPepper"``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Refused:
    """A bad call that must raise ``error`` with ``names`` in its message.

    ``call`` receives the public callable and makes the bad call with it.
    """

    target: str
    case: str
    call: Callable[[Callable], Any]
    error: type | tuple[type, ...]
    names: str


@dataclass(frozen=True)
class Correct:
    """An odd but valid call whose result ``check`` must accept (return True)."""

    target: str
    case: str
    call: Callable[[Callable], Any]
    check: Callable[[Any], bool]
