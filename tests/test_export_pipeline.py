"""The whole export chain on a small synthetic run: train -> distil -> int8 files -> report -> eval.

The run is real (``train_run`` on a generated synthetic dataset with enough subjects and trials
for 200+ calibration windows), so export reads exactly what `edgehar train` writes.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from edgehar.cli.main import main
from edgehar.errors import EdgeharError
from edgehar.modelcard import read_card

pytest.importorskip("litert_torch", reason="needs the export toolchain (pip install edgehar[export])")


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory) -> Path:
    """A trained multimodal run on 15 synthetic activities x 8 subjects x 5 trials (225 train windows)."""
    import torch

    from edgehar.data.synth import write_synthetic_dataset
    from edgehar.train.pipeline import train_run
    from edgehar.train.recipe import validate

    torch.set_num_threads(1)
    root = tmp_path_factory.mktemp("export-run")
    data = write_synthetic_dataset(root / "synth", seed=0, subjects=8, trials=5)
    recipe = validate({
        "name": "tiny",
        "seeds": [0],
        "data": {"dir": str(data)},
        "framework": {"name": "supervised", "modality": "multimodal"},
        "model": {"imu": {"channels": [8, 8], "ff_dim": 16, "layers": 1, "heads": 1}, "fusion_hidden": 16},
        "pretrain": {"epochs": 1},
        "finetune": {"epochs": 2},
        "trainer": {"progress_bar": False, "num_threads": 1},
    })
    return train_run(recipe, root / "run")


def test_export_int8_chain_writes_files_report_and_matching_eval(tiny_run: Path, tmp_path: Path, capsys):
    out = tmp_path / "export"
    main(["export", str(tiny_run), "--int8", "--format", "tflite,onnx,c", "--out", str(out),
          "--set", "distill.epochs=4", "--set", "latency_runs=10"])
    printed = capsys.readouterr().out
    assert "| student_int8.tflite |" in printed

    report = json.loads((out / "export_report.json").read_text())
    assert (out / "export_report.md").read_text().startswith("# Export report")
    assert report["calibration_windows"] == 225 and report["n_test"] == 300
    rows = {row["name"]: row for row in report["rows"]}
    assert set(rows) == {"teacher (multimodal, float)", "student (float, torch)", "student_int8.tflite",
                         "student_int8.onnx", "student_int8.c"}
    for name in ("student_int8.tflite", "student_int8.onnx", "student_int8.c"):
        row = rows[name]
        assert 0.0 <= row["accuracy"] <= 1.0 and row["p50_ms"] <= row["p99_ms"]
        assert row["agreement"] >= 0.9, (name, row["agreement"])  # int8 follows the float student
        assert abs(row["accuracy"] - rows["student (float, torch)"]["accuracy"]) <= 0.05
    assert rows["student_int8.c"]["arena_bytes"] == rows["student_int8.tflite"]["arena_bytes"] > 0
    assert (out / "student_int8.h").read_text().count("STUDENT_INT8_ARENA_SIZE") == 1
    assert all(check["ok"] for check in report["limits"])

    tflite = next(f for f in report["files"] if f["path"].endswith(".tflite"))
    assert tflite["input"]["dtype"] == "int8" and tflite["output"]["dtype"] == "int8"
    assert tflite["ops"]["float_ops"] == [] and "CONV_2D" in tflite["ops"]["ops"]

    meta = json.loads((tiny_run / "run.json").read_text())
    card = read_card(out / "student_int8.tflite")
    assert list(card.label_names) == meta["dataset"]["label_names"]
    np.testing.assert_allclose(card.norm_mean, meta["normalization"]["imu_mean"], rtol=1e-6)
    assert card.run_id == tiny_run.name and card.window_steps == meta["dataset"]["window_steps"]
    assert card.input.dtype == "int8" and card.input.scale > 0

    # `edgehar eval` on the file alone reproduces the report's numbers.
    main(["eval", str(out / "student_int8.tflite"), "--data-dir", meta["dataset"]["data_dir"],
          "--json", str(tmp_path / "eval.json")])
    scored = json.loads((tmp_path / "eval.json").read_text())
    assert scored["accuracy"] == pytest.approx(rows["student_int8.tflite"]["accuracy"])
    assert scored["macro_f1"] == pytest.approx(rows["student_int8.tflite"]["macro_f1"])

    # The saved student converts again without distilling (export --student).
    main(["export", str(tiny_run), "--float32", "--format", "tflite", "--student", str(out / "student"),
          "--out", str(tmp_path / "again"), "--set", "latency_runs=10"])
    again = json.loads((tmp_path / "again" / "export_report.json").read_text())
    float_row = next(r for r in again["rows"] if r["name"] == "student_float32.tflite")
    assert float_row["agreement"] == 1.0
    assert float_row["accuracy"] == pytest.approx(rows["student (float, torch)"]["accuracy"])


def test_export_refuses_when_the_dataset_is_gone(tiny_run: Path, tmp_path: Path, capsys):
    moved = tmp_path / "run"
    shutil.copytree(tiny_run, moved, ignore=shutil.ignore_patterns("checkpoints", "logs"))
    meta = json.loads((moved / "run.json").read_text())
    meta["dataset"]["data_dir"] = str(tmp_path / "nowhere")
    (moved / "run.json").write_text(json.dumps(meta))
    with pytest.raises(SystemExit) as done:
        main(["export", str(moved), "--int8", "--out", str(tmp_path / "x")])
    assert done.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("error: cannot load the run's dataset, needed for int8 calibration") and "nowhere" in err
    assert err.count("\n") == 1


def test_calibration_refuses_fewer_than_200_training_windows(tiny_run: Path):
    from edgehar.export.pipeline import calibration_windows
    from edgehar.train.run_dir import RunDir

    data = RunDir.open(tiny_run).load_data()
    assert calibration_windows(data, 256, seed=0).shape == (225, *data.prepared.imu.shape[1:])
    few = replace(data, splits={**data.splits, "train": data.splits["train"][:150]})
    with pytest.raises(EdgeharError, match="at least 200 real training windows.*has 150"):
        calibration_windows(few, 256, seed=0)


def test_profile_errors_are_one_line():
    from edgehar.export.profile import load_profile

    with pytest.raises(EdgeharError, match="calibration_windows"):
        load_profile("mcu-256k", ["calibration_windows=50"])
    with pytest.raises(EdgeharError, match="known profiles: .*mcu-256k"):
        load_profile("no-such-profile")
    assert load_profile("raspberry-pi").formats == ["tflite", "onnx"]
