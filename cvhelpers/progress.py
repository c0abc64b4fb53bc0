"""Progress bars that read well live and in a saved notebook.

:func:`progress_bar` is ``tqdm.auto.tqdm`` with one change. In a notebook,
tqdm draws an ipywidgets bar, and a saved notebook keeps the text it was
first displayed with: "0%", whatever the bar reached. Here the widget is
shown while the work runs, and when the bar closes its output is replaced by
one plain text line with the final count and time, which every viewer shows
(JupyterLab, the executed copy, its HTML, GitHub). In a terminal or a script
it is tqdm's usual text bar.

Used by :func:`cvhelpers.training.trainer.fit`, the image-folder loader and the EDA
statistics.
"""

from __future__ import annotations

import functools

__all__ = ["progress_bar"]


def progress_bar(iterable=None, **kwargs):
    """A tqdm bar: a widget while it runs in a notebook, one text line once done.

    Parameters
    ----------
    iterable : iterable, optional
        What to iterate over, as in ``tqdm``; omit it and call ``update`` by hand.
    **kwargs
        Passed to ``tqdm`` (``total``, ``desc``, ``unit``, ``disable``, …).

    Returns
    -------
    tqdm.tqdm
        Use it as tqdm: iterate, or ``update``/``set_postfix`` then ``close``.

    Examples
    --------
    >>> for _ in progress_bar(range(3), desc="demo", disable=True):
    ...     pass
    """
    from collections.abc import Iterable

    from tqdm.auto import tqdm
    from tqdm.notebook import tqdm as notebook_tqdm

    if iterable is not None and not isinstance(iterable, Iterable):
        raise TypeError(f"iterable must be iterable or None, got {type(iterable).__name__}")

    if issubclass(tqdm, notebook_tqdm) and not kwargs.get("disable", False):  # tqdm.auto chose the widget
        return _notebook_bar_class()(iterable, **kwargs)
    return tqdm(iterable, **kwargs)


@functools.lru_cache(maxsize=1)
def _notebook_bar_class():
    from IPython.display import display
    from tqdm.notebook import tqdm as notebook_tqdm

    class NotebookBar(notebook_tqdm):
        """tqdm's widget bar, replaced by its final text line when it closes."""

        def __init__(self, *args, **kwargs):
            self._handle = None
            super().__init__(*args, display=False, **kwargs)
            self._handle = display(self.container, display_id=True)

        def close(self):
            if self.disable:
                return
            super().close()
            if self._handle is not None:
                line = self.format_meter(**self.format_dict)
                self._handle.update({"text/plain": line}, raw=True)
                self._handle = None
                self.container.close()

    return NotebookBar

