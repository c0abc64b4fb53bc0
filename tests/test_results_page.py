"""docs/results.md is generated from the committed records, byte for byte; the generator on small fixtures."""

import json
import re
from pathlib import Path

import pytest

from cvhelpers.course import results_page

ROOT = Path(__file__).resolve().parents[1]
RECORDS = ROOT / "docs" / "records"
SECTIONS = ["The data", "Every method side by side", "One-shot learning", "Course run times",
            "Augmentation throughput", "Long-tail methods over three seeds", "Your own images"]


def _provenance(dataset="fashion-mnist-lt", seed=0, commit="a" * 40):
    return {"commit": commit, "dirty": False, "cpu": "Test CPU", "cores": 2, "gpus": [], "date": "2026-01-02T03:04:05",
            "profile": "course", "seed": seed, "dataset": {"name": dataset, "manifest_sha256": "cd" * 32}}


def _write(folder, name, payload):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.json").write_text(json.dumps(payload))


def _methods(*names, accuracy=0.8):
    return {name: {"balanced_accuracy": accuracy - index / 100, "worst_recall": 0.3, "worst_class": "Shirt",
                   "tail_recall": 0.7, "gap_closed": 0.5, "train_seconds": 12.0} for index, name in enumerate(names)}


def _section(page, title):
    start = page.index(f"## {title}\n")
    following = page.find("\n## ", start + 1)
    return page[start:following if following > 0 else len(page)]


def test_committed_page_is_what_make_results_writes():
    page = results_page.render_page(RECORDS / "results", RECORDS / "run_times.json", RECORDS / "bench")
    assert page == (ROOT / "docs" / "results.md").read_text(encoding="utf-8"), "stale: run `make results`"


def test_committed_page_has_every_section_with_its_provenance():
    page = (ROOT / "docs" / "results.md").read_text(encoding="utf-8")
    assert re.findall(r"^## (.+)$", page, re.M) == SECTIONS
    for title in [s for s in SECTIONS if not s.startswith("Long-tail")]:  # the study takes hours on a CPU
        assert re.search(r"^\*commit [0-9a-f]{7}.* · .*cores", _section(page, title), re.M), title
    assert "Not recorded here yet." in _section(page, "Long-tail methods over three seeds")


def test_missing_inputs_say_so_with_the_command_that_records_them(tmp_path):
    page = results_page.render_page(tmp_path / "none", tmp_path / "run_times.json", tmp_path / "bench")
    assert re.findall(r"^## (.+)$", page, re.M) == SECTIONS
    commands = {"The data": 'make run NOTEBOOKS="00 01"', "Every method side by side": "make run",
                "One-shot learning": "make run NOTEBOOKS=07", "Course run times": "make run",
                "Augmentation throughput": "make bench",
                "Long-tail methods over three seeds": 'make experiment EXPERIMENT_ARGS="--core"'}
    for title, command in commands.items():
        section = _section(page, title)
        assert "Not recorded here yet." in section and f"`{command}`" in section, title
        assert "|" not in section and not re.search(r"\d\.\d", section), title  # no table, no number


def test_records_of_two_datasets_never_share_a_table(tmp_path):
    folder = tmp_path / "results"
    _write(folder, "03_resampling", {"methods": _methods("cross-entropy", "oversampling"),
                                     "_provenance": _provenance("fashion-mnist-lt")})
    _write(folder, "04_class_weights_vs_focal_loss", {"methods": _methods("cross-entropy", "class weights"),
                                                      "_provenance": _provenance("my-photos")})
    section = _section(results_page.render_page(folder), "Every method side by side")
    groups = section.split("\n### ")[1:]
    titles = [group.splitlines()[0] for group in groups]
    assert titles == ["fashion-mnist-lt (manifest cdcdcdcd), course profile, seed 0",
                      "my-photos (manifest cdcdcdcd), course profile, seed 0"]
    assert "| oversampling |" in groups[0] and "| class weights |" not in groups[0]
    assert "| class weights |" in groups[1] and "| oversampling |" not in groups[1]
    assert "data: my-photos" in groups[1] and "data: my-photos" not in groups[0]
    assert "Notebooks 02, 05, 06" in section  # the notebooks not recorded are named


def test_seeds_are_kept_apart_and_repeated_baselines_shown_once(tmp_path):
    folder = tmp_path / "results"
    _write(folder, "03_resampling", {"methods": _methods("cross-entropy", "oversampling"),
                                     "_provenance": _provenance()})
    _write(folder, "04_class_weights_vs_focal_loss",
           {"methods": {**_methods("cross-entropy"), **_methods("class weights", accuracy=0.9)},
            "_provenance": _provenance()})
    _write(folder, "05_two_stage_and_self_supervised", {"methods": _methods("cRT"), "_provenance": _provenance(seed=1)})
    section = _section(results_page.render_page(folder), "Every method side by side")
    seed0, seed1 = section.split("\n### ")[1:]
    assert seed0.count("| cross-entropy |") == 1 and "| cross-entropy | 03 |" in seed0
    rows = re.findall(r"^\| ([^|]+) \| 0\d \| ([\d.]+) \|", seed0, re.M)
    assert [name for name, _ in rows] == ["class weights", "cross-entropy", "oversampling"]  # best first
    assert "| cRT |" in seed1 and "seed 1" in seed1.splitlines()[0]


def test_benchmark_and_study_reports_become_tables(tmp_path):
    bench = tmp_path / "bench"
    part = {"images": 100, "batch_size": 32, "rounds": 3,
            "images_per_second": {"keras_fused_xla_batched": 1024.4, "albumentations_loop": 1420.0},
            "cpu_ms_per_image": {"keras_fused_xla_batched": 1.6, "albumentations_loop": 0.7},
            "ratio_vs_albumentations": {"keras_fused_xla_batched": 0.72},
            "cpu_ratio_vs_albumentations": {"keras_fused_xla_batched": 0.43}}
    _write(bench, "augment_throughput", {"224x224_rgb": part, "_provenance": {**_provenance(), "profile": None,
                                                                               "seed": None}})
    row = {"balanced_accuracy_mean": 0.885, "balanced_accuracy_std": 0.004, "gap_closed_per_seed": [0.89, 0.76, 1.0],
           "gap_closed_mean": 0.883, "gap_closed_vs_continued_mean": 0.76, "tail_recall_mean": 0.93,
           "worst_recall_mean": 0.6}
    _write(bench, "lt_methods_core", {"profile": "full", "seeds": [0, 1, 2], "epochs": 15, "methods": {"CMO": row},
                                      "best": "CMO", "bar_met": True,
                                      "_provenance": {**_provenance(), "profile": None, "seed": None}})
    page = results_page.render_page(tmp_path / "none", None, bench)
    throughput = _section(page, "Augmentation throughput")
    assert "| keras_fused_xla_batched | 1,024 | 1.600 | 0.72× | 0.43× |" in throughput
    assert "Test CPU, 2 cores, no GPU" in throughput and "profile" not in throughput.splitlines()[-1]
    study = _section(page, "Long-tail methods over three seeds")
    assert "| CMO | 0.885 ± 0.004 | 88 % (89 %, 76 %, 100 %) | 76 % | 0.930 | 0.600 |" in study
    assert "Best: CMO." in study and ": met." in study and "full profile, seeds 0, 1, 2" in study


def test_update_readme_rewrites_only_the_block(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text(f"# title\n\nbefore\n\n{results_page.BEGIN}\nold\n{results_page.END}\n\nafter\n")
    assert results_page.update_readme(readme, "new\nlines") is True
    assert readme.read_text() == f"# title\n\nbefore\n\n{results_page.BEGIN}\nnew\nlines\n{results_page.END}\n\nafter\n"
    assert results_page.update_readme(readme, "new\nlines") is False
    readme.write_text(f"{results_page.END}\n{results_page.BEGIN}\n")
    with pytest.raises(ValueError, match="readme"):
        results_page.update_readme(readme, "x")


def test_collect_then_main_publishes_a_run(tmp_path, capsys):
    build = tmp_path / "build"
    _write(build / "results", "07_siamese_one_shot", {
        "steps": 1200, "train_seconds": 104.6, "episodes": 400, "_provenance": _provenance(),
        "one_shot": {"20-way 1-shot": {"embedding": [0.916, 0.0064], "pixels": [0.212, 0.009], "chance": 0.05}}})
    (build / "results" / "07_siamese_one_shot").mkdir()
    (build / "results" / "07_siamese_one_shot" / "one_shot.png").write_bytes(b"png")
    (build / "run_times.json").write_text(json.dumps({"07_siamese_one_shot": {"seconds": 199.2, "profile": "course"}}))
    docs = tmp_path / "docs"
    readme = tmp_path / "README.md"
    readme.write_text(f"x\n{results_page.BEGIN}\n{results_page.END}\n")
    code = results_page.main(["--records", str(docs / "records" / "results"), "--run-times",
                              str(docs / "records" / "run_times.json"), "--bench", str(docs / "records" / "bench"),
                              "--out", str(docs / "results.md"), "--readme", str(readme), "--collect", str(build)])
    assert code == 0 and "copied 2 records" in capsys.readouterr().out
    assert sorted(path.name for path in (docs / "records").rglob("*") if path.is_file()) == [
        "07_siamese_one_shot.json", "run_times.json"]  # JSON only, never figures
    page = (docs / "results.md").read_text()
    assert "| 20-way 1-shot | 91.6 % ± 0.6 | 21.2 % ± 0.9 | 5 % |" in page
    assert "| 07_siamese_one_shot | 199 | 180 | 111 % | — |" in page and "Over budget: 07_siamese_one_shot." in page
    assert "20-way 1-shot 91.6 % ± 0.6 (raw pixels 21.2 % ± 0.9)" in readme.read_text()


def test_main_names_a_bad_input_and_fails(tmp_path, capsys):
    (tmp_path / "results").write_text("a file, not a folder")
    assert results_page.main(["--records", str(tmp_path / "results"), "--out", str(tmp_path / "out.md")]) == 1
    assert "records_dir" in capsys.readouterr().err and not (tmp_path / "out.md").exists()
    bad = tmp_path / "records"
    _write(bad, "03_resampling", {})
    (bad / "04_class_weights_vs_focal_loss.json").write_text("[1, 2]")
    with pytest.raises(ValueError, match=r"records_dir: .*04_class_weights_vs_focal_loss.json holds a JSON list"):
        results_page.render_page(bad)


def test_a_folder_run_gets_its_own_table_without_an_oracle(tmp_path):
    from cvhelpers.course import results_page

    bench = tmp_path / "bench"
    bench.mkdir()
    assert "python -m cvhelpers.fit_folder" in results_page.render_page(tmp_path / "none", bench_dir=bench)
    report = {
        "dataset": {"name": "my photos", "manifest_sha256": "c" * 64}, "class_names": ["cat", "dog"],
        "settings": {"epochs": 8, "image_size": 64, "seed": 0, "backbone": "small_cnn"},
        "split_counts": {"train": {"cat": 40, "dog": 4}, "val": {"cat": 8, "dog": 1}, "test": {"cat": 8, "dog": 1}},
        "refused_classes": {"bird": 2}, "files_skipped": 3, "best": "long-tail recipe",
        "methods": {name: {"test": {"balanced_accuracy": score, "worst_class": "dog", "worst_recall": 0.0},
                           "balanced_accuracy_change_vs_ce": score - 0.5, "validation_balanced_accuracy": score,
                           "seconds": 1.0}
                    for name, score in (("cross-entropy", 0.5), ("long-tail recipe", 0.75))},
        "_provenance": _provenance(dataset="my photos"),
    }
    (bench / "fit_folder_my_photos.json").write_text(json.dumps(report))
    page = results_page.render_page(tmp_path / "none", bench_dir=bench)
    section = page[page.index("## Your own images"):]
    assert "### `my photos`: 2 classes (44 train, 9 val, 9 test)" in section
    assert "| long-tail recipe | 0.750 | +25.0 points |" in section and "bird (2)" in section
    assert "1 of 2 classes have fewer than 5 test images" in section and "oracle" in section.lower()
