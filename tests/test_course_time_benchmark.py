"""Fast tests for benchmarks/course_time.py: the comparison and the arguments, no course run."""

import pytest


@pytest.fixture(scope="module")
def course_time(load_script):
    return load_script("benchmarks/course_time.py")


def test_compare_gives_the_ratio_of_the_totals_on_the_common_notebooks(course_time):
    base = {"seconds": {"00_setup": 14.0, "03_resampling": 384.0, "09_only_base": 10.0}}
    head = {"seconds": {"00_setup": 7.0, "03_resampling": 192.0}}
    result = course_time.compare(base, head)
    assert list(result["notebooks"]) == ["00_setup", "03_resampling"]
    assert result["notebooks"]["03_resampling"] == {"base_s": 384.0, "head_s": 192.0, "ratio": 0.5}
    assert result["base_total_s"] == 398.0 and result["head_total_s"] == 199.0 and result["ratio"] == 0.5
    with pytest.raises(ValueError, match="no notebook in common"):
        course_time.compare(base, {"seconds": {}})


def test_an_unknown_revision_is_named(course_time):
    with pytest.raises(SystemExit, match="unknown revision 'no-such-revision'"):
        course_time.main(["--base", "no-such-revision"])
    with pytest.raises(SystemExit):
        course_time.main([])  # --base is required
