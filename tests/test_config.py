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


def test_notebook_params_fill_in_only_what_is_none(monkeypatch):
    import keras

    seeds = []
    monkeypatch.setattr(keras.utils, "set_random_seed", seeds.append)
    params = config.notebook_params("07_siamese_one_shot", "course", 3, STEPS=None, EPISODES=50)
    assert params == {"STEPS": 1200, "DEMO_STEPS": 150, "EPISODES": 50, "FILTERS": (32, 64, 64, 64)}
    assert config.notebook_params("07_siamese_one_shot", "full", 0)["STEPS"] == 4000
    assert config.notebook_params("03_resampling", "full", 0) == {}  # its settings are the protocol's
    assert seeds == [3, 0, 0]


def test_notebook_params_refuse_what_the_table_does_not_list():
    with pytest.raises(ValueError, match="PROFILE"):
        config.notebook_params("07_siamese_one_shot", "huge", 0)
    with pytest.raises(ValueError, match=r"'07_siamese_one_shot' has no profile default for \['STEP'\]"):
        config.notebook_params("07_siamese_one_shot", "course", 0, STEP=10)


def test_the_profile_table_agrees_with_the_protocol_settings():
    from cvhelpers.experiment import PROFILE_SETTINGS

    augmentation = config.PROFILE_DEFAULTS["02_augmentation"]
    assert augmentation["EPOCHS"]["full"] == PROFILE_SETTINGS["full"].epochs
    assert augmentation["WIDTH"]["full"] == PROFILE_SETTINGS["full"].width
    for notebook, table in config.PROFILE_DEFAULTS.items():
        for name, by_profile in table.items():
            assert set(by_profile) == set(config.PROFILES), (notebook, name)


def test_experiment_from_params_builds_the_protocol_of_the_profile():
    protocol, params = config.experiment_from_params("05_two_stage_and_self_supervised", "full", 2, SSL_EPOCHS=None)
    assert params == {"SSL_EPOCHS": 30, "SSL_IMAGES": 60_000, "RECIPE_CMO": True}
    assert protocol.settings.epochs == 15 and protocol.settings.seed == 2
    assert protocol.description == "fashion-mnist-lt r=100 order=label"
    protocol, _ = config.experiment_from_params("03_resampling", "course", 0, class_order="hard", epochs=2)
    assert protocol.settings.epochs == 2 and "order=hard" in protocol.description
    with pytest.raises(ValueError, match="epochs"):
        config.experiment_from_params("03_resampling", "course", 0, epochs=0)


def test_experiment_from_params_builds_the_protocol_on_a_folder(tmp_path, capsys):
    from PIL import Image

    for c, (name, n) in enumerate({"cats": 9, "dogs": 4}.items()):
        (tmp_path / "pets" / name).mkdir(parents=True)
        for i in range(n):
            Image.new("RGB", (12, 8), (100 * c, 20 * i, 0)).save(tmp_path / "pets" / name / f"{i}.png")
    protocol, _ = config.experiment_from_params("03_resampling", "course", 1, epochs=2, data_dir=str(tmp_path / "pets"),
                                                image_size=16)
    assert protocol.class_names == ["cats", "dogs"] and protocol.input_shape == (16, 16, 3)
    assert not protocol.has_oracle and protocol.dataset["name"] == "pets"
    assert protocol.settings.epochs == 2 and protocol.settings.seed == 1
    said = capsys.readouterr().out
    assert "the folder 'pets'" in said and "Note: batch_size lowered from 128 to 8" in said
    fashion, _ = config.experiment_from_params("03_resampling", "course", 0, data_dir="")
    assert fashion.has_oracle and fashion.description.startswith("fashion-mnist-lt")
