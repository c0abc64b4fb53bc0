"""The README stays short, its results come from the records, and every command it names exists."""

import importlib.util
import re
from pathlib import Path

from cvhelpers.course import results_page

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
RECORDS = ROOT / "docs" / "records"
MAX_LINES = 210


def _block(text):
    start, end = text.index(results_page.BEGIN), text.index(results_page.END)
    return text[start + len(results_page.BEGIN):end].strip("\n")


def _prose(text):
    """The README without its generated block, code, HTML comments and link addresses."""
    start, end = text.index(results_page.BEGIN), text.index(results_page.END)
    text = text[:start] + text[end:]
    text = re.sub(r"```.*?```", " ", text, flags=re.S)
    text = re.sub(r"`[^`]*`", " ", text)
    text = re.sub(r"<!--.*?-->", " ", text, flags=re.S)
    text = re.sub(r"et al\.,? \d{4}", " ", text)  # citations: a year is not a result
    return re.sub(r"\[([^\]]*)\]\((https?://[^)]*)\)", " ", text)


def test_results_block_is_what_make_results_writes():
    expected = results_page.readme_block(RECORDS / "results", RECORDS / "run_times.json", RECORDS / "bench")
    assert _block(README) == expected.strip("\n"), "the README's results block is stale: run `make results`"


def test_readme_is_short():
    assert len(README.splitlines()) <= MAX_LINES


def test_placeholders_are_there():
    for marker in ("<!-- colab -->", "<!-- own-images -->"):
        assert marker in README


def test_no_development_history():
    words = re.findall(r"[a-z]+", _prose(README).lower())
    for word in ("issue", "issues", "session", "sessions", "trial", "trials", "target", "targets"):
        assert word not in words, word


def _make_targets():
    makefile = (ROOT / "Makefile").read_text()
    return set(re.findall(r"^([A-Za-z][\w-]*)\s*:(?!=)", makefile, re.M))


def test_every_make_command_exists():
    named = set(re.findall(r"\bmake ([a-z][\w-]*)", README))
    assert named and named <= _make_targets(), named - _make_targets()


def test_every_python_module_command_exists():
    for module in set(re.findall(r"python -m ([\w.]+)", README)):
        spec = importlib.util.find_spec(module)
        assert spec is not None, module
        if spec.submodule_search_locations is not None:  # a package runs its __main__
            assert importlib.util.find_spec(f"{module}.__main__") is not None, module


def test_every_file_and_folder_named_exists():
    for path in set(re.findall(r"`((?:benchmarks|experiments|tests|cvhelpers|docs|notebooks)/[\w./-]*)`", README)):
        assert (ROOT / path.split(" ")[0]).exists(), path
    for path in set(re.findall(r"\]\(((?!https?:)[^)#]+)\)", README)):
        assert (ROOT / path).exists(), path


def _numbers(text):
    return {token.replace(",", "") for token in re.findall(r"\d[\d,]*(?:\.\d+)?", text)}


def test_every_number_in_the_prose_comes_from_the_records_or_the_pins():
    """A number outside the block is in docs/results.md (so in a record) or a version in the pins."""
    sources = _numbers((ROOT / "docs" / "results.md").read_text(encoding="utf-8")) | _numbers(_block(README))
    pins = (ROOT / "constraints.txt").read_text() + (ROOT / "pyproject.toml").read_text()
    unsourced = sorted(number for number in _numbers(_prose(README))
                       if number not in sources and not re.search(rf"[=>< ]{re.escape(number)}\b", pins))
    assert not unsourced, f"numbers in the README from neither docs/results.md nor the pins: {unsourced}"
