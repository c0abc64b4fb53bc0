import pytest

from cvhelpers.course import config


def test_env_param_reads_and_converts(monkeypatch):
    assert config.env_param("SEED", 3) == 3
    monkeypatch.setenv("CVLAB_SEED", "7")
    monkeypatch.setenv("CVLAB_RATE", "0.5")
    monkeypatch.setenv("CVLAB_FAST", "false")
    monkeypatch.setenv("CVLAB_SIZE", "(32, 32)")
    monkeypatch.setenv("CVLAB_PROFILE", "full")
    assert config.env_param("SEED", 0) == 7
    assert config.env_param("rate", 1.0) == 0.5
    assert config.env_param("FAST", True) is False
    assert config.env_param("SIZE", (28, 28)) == (32, 32)
    assert config.env_param("PROFILE", "course") == "full"


def test_env_param_rejects_unreadable_values(monkeypatch):
    monkeypatch.setenv("CVLAB_SEED", "seven")
    with pytest.raises(ValueError, match="CVLAB_SEED"):
        config.env_param("SEED", 0)
    monkeypatch.setenv("CVLAB_FAST", "maybe")
    with pytest.raises(ValueError, match="CVLAB_FAST"):
        config.env_param("FAST", True)


def test_check_profile():
    assert config.check_profile("full") == "full"
    with pytest.raises(ValueError, match="PROFILE"):
        config.check_profile("huge")


def test_environment_report_lists_versions_and_devices():
    report = config.environment_report()
    assert report["tensorflow"].startswith("2.21")
    assert config._version_tuple(report["keras"]) >= (3, 10, 0)
    assert any(device.startswith("CPU") for device in report["devices"])
