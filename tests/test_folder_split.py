"""Tests for cvhelpers.data.folder_split: a stratified, seeded, reusable split of a user's folder."""

import json

import numpy as np
import pytest
from PIL import Image

from cvhelpers.data import folder_split, load_image_folder


def _folder(root, sizes):
    """Class subfolders of small PNGs: ``sizes`` maps class name to images."""
    for c, (name, n) in enumerate(sizes.items()):
        (root / name).mkdir()
        for i in range(n):
            Image.new("RGB", (12 + i % 3, 10), (20 * c, 7 * i % 256, 100)).save(root / name / f"{i:03d}.png")
    return root


def test_split_is_stratified_with_every_class_in_every_split(tmp_path):
    root = _folder(tmp_path, {"a": 40, "b": 10, "c": 3})
    split = folder_split.split_folder(load_image_folder(root, progress=False), root, seed=0)
    counts = split.counts()
    assert split.class_names == ["a", "b", "c"] and split.refused == {}
    assert counts["test"] == {"a": 6, "b": 2, "c": 1} and counts["val"] == {"a": 6, "b": 2, "c": 1}
    assert counts["train"] == {"a": 28, "b": 6, "c": 1}
    assert len({row["path"] for row in split.files}) == 53
    assert all(not row["path"].startswith("/") for row in split.files)


def test_small_classes_are_refused_with_a_warning_and_labels_reindexed(tmp_path):
    root = _folder(tmp_path, {"a": 2, "b": 8, "c": 1, "d": 6})
    with pytest.warns(UserWarning, match=r"'a' \(2\).*'c' \(1\)"):
        data = folder_split.folder_arrays(root, 16, seed=0, progress=False)
    assert data["split"].class_names == ["b", "d"] and data["split"].refused == {"a": 2, "c": 1}
    assert data["x_train"].shape[1:] == (16, 16, 3) and data["x_train"].dtype == np.uint8
    assert set(np.concatenate([data["y_train"], data["y_val"], data["y_test"]])) == {0, 1}
    assert sum(len(data[f"y_{s}"]) for s in folder_split.SPLITS) == 14
    manifest = data["manifest"]
    assert manifest.loc[manifest["class_name"] == "a", "split"].isna().all()


def test_fewer_than_two_classes_left_is_refused_naming_the_folder(tmp_path):
    root = _folder(tmp_path, {"a": 2, "b": 5})
    with pytest.warns(UserWarning), pytest.raises(ValueError, match=r"at least 2 classes.*'a': 2, 'b': 5"):
        folder_split.split_folder(load_image_folder(root, progress=False), root)


def test_a_rerun_reuses_the_manifest_and_a_changed_folder_is_told(tmp_path):
    (tmp_path / "data").mkdir()
    root = _folder(tmp_path / "data", {"a": 12, "b": 9})
    first = folder_split.split_folder(load_image_folder(root, progress=False), root, seed=0)
    manifest = tmp_path / "split_manifest.json"
    manifest.write_text(first.to_json())
    other_seed = folder_split.split_folder(load_image_folder(root, progress=False), root, seed=5)
    assert other_seed.files != first.files
    again = folder_split.split_folder(load_image_folder(root, progress=False), root, seed=5, manifest=manifest)
    assert again.to_json() == first.to_json() and again.sha256 == first.sha256
    assert folder_split.load_split(first.to_json()).files == first.files
    assert json.loads(manifest.read_text())["class_names"] == ["a", "b"]
    Image.new("RGB", (5, 5)).save(root / "a" / "new.png")
    with pytest.raises(ValueError, match="folder changed"):
        folder_split.split_folder(load_image_folder(root, progress=False), root, manifest=manifest)


def test_bad_arguments_are_named(tmp_path):
    root = _folder(tmp_path, {"a": 4, "b": 4})
    folder = load_image_folder(root, progress=False)
    with pytest.raises(ValueError, match="val_fraction"):
        folder_split.split_folder(folder, root, val_fraction=1.5)
    with pytest.raises(ValueError, match="val_fraction \\+ test_fraction"):
        folder_split.split_folder(folder, root, val_fraction=0.5, test_fraction=0.5)
    with pytest.raises(TypeError, match="folder"):
        folder_split.split_folder("not loaded", root)
    with pytest.raises(ValueError, match="manifest"):
        folder_split.load_split('{"files": 3}')
    with pytest.raises(ValueError, match="mode"):
        folder_split.folder_arrays(root, 16, mode="RGBA", progress=False)
