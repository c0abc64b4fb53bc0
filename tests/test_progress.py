"""Tests for cvhelpers.progress: tqdm's text bar in scripts, a widget that becomes one text line in notebooks."""

import tqdm.auto
import tqdm.notebook
import tqdm.std

from cvhelpers import progress


def test_outside_a_notebook_it_is_tqdms_text_bar():
    bar = progress.progress_bar(range(3), desc="demo", disable=True)
    assert isinstance(bar, tqdm.std.tqdm) and not isinstance(bar, tqdm.notebook.tqdm)
    assert list(bar) == [0, 1, 2]


def test_in_a_notebook_the_closed_bar_is_replaced_by_its_final_line(monkeypatch):
    import IPython.display

    updates = []

    class Handle:
        def update(self, data, raw=False):
            updates.append((data, raw))

    monkeypatch.setattr(IPython.display, "display", lambda *args, **kwargs: Handle())
    monkeypatch.setattr(tqdm.auto, "tqdm", tqdm.notebook.tqdm)  # as tqdm.auto decides inside a kernel
    progress._notebook_bar_class.cache_clear()
    try:
        bar = progress.progress_bar(total=4, desc="steps")
        assert isinstance(bar, tqdm.notebook.tqdm)
        bar.update(4)
        bar.close()
        bar.close()  # a second close changes nothing
    finally:
        progress._notebook_bar_class.cache_clear()
    assert len(updates) == 1
    (data, raw), = updates
    assert raw and set(data) == {"text/plain"}
    assert data["text/plain"].startswith("steps: 100%") and "4/4" in data["text/plain"]
