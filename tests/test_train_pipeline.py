"""The training pipeline end to end on the synthetic dataset with tiny models: run directory,
RunDir round trip, determinism, resume, feature caching, frozen encoders, CMKM's frozen encoders,
and DDP with two CPU processes (about 16 s, so it stays in the default suite)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
import yaml

from edgehar.cli.main import main
from edgehar.errors import EdgeharError

torch.set_num_threads(1)

TINY = {
    "name": "tiny",
    "data": {"dir": None},
    "model": {
        "imu": {"channels": [8, 16], "ff_dim": 32, "layers": 1},
        "skeleton": {"channels": [8, 32, 8, 8, 16, 16]},
        "projection_hidden": 32,
        "projection_out": 16,
        "fusion_hidden": 16,
    },
    "framework": {"name": "cmc_hnl", "modality": "multimodal"},
    "loss": {"temperature": 0.1, "tau_plus": 0.05, "beta": 1.0},
    "pretrain": {"epochs": 2, "batch_size": 32},
    "finetune": {"epochs": 4, "batch_size": 32},
    "seeds": [0],
    "trainer": {"progress_bar": False, "num_threads": 1},
}


def write_recipe(folder: Path, **changes: dict) -> Path:
    raw = json.loads(json.dumps(TINY))
    for key, value in changes.items():
        raw[key] = {**raw.get(key, {}), **value} if isinstance(value, dict) else value
    path = folder / "tiny.yaml"
    path.write_text(yaml.safe_dump(raw))
    return path


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("tiny")
    out = folder / "run"
    main(["train", "--recipe", str(write_recipe(folder)), "--out", str(out)])
    return out


def test_run_directory_layout(tiny_run: Path) -> None:
    for name in ("config.yaml", "run.json", "metrics.json", "plots/training_curves.png",
                 "plots/confusion_matrix.png", "plots/embedding_test.png"):
        assert (tiny_run / name).is_file(), name
    seed = tiny_run / "seed_0"
    for name in ("imu_encoder", "skeleton_encoder", "imu_projection", "skeleton_projection", "fusion_head",
                 "imu_head", "skeleton_head"):
        assert (seed / f"{name}.pt").is_file(), name
    assert (seed / "checkpoints" / "pretrain" / "last.ckpt").is_file()
    assert list((seed / "logs" / "pretrain").glob("version_0/metrics.csv"))
    assert list((seed / "logs" / "pretrain").glob("version_0/events.out.tfevents.*"))
    meta = json.loads((tiny_run / "run.json").read_text())
    ds = meta["dataset"]
    assert ds["protocol"] == "cross_subject" and len(ds["label_names"]) >= 12
    assert ds["imu_units"][:3] == ["g", "g", "g"] and ds["imu_rate_hz"] == 50.0
    assert ds["window_steps"] == 50 and 1.0 < ds["window_seconds"] < 10.0
    assert len(meta["normalization"]["imu_mean"]) == len(ds["imu_channels"]) == 6
    assert meta["framework"] == "cmc_hnl" and meta["seeds"] == [0]
    assert yaml.safe_load((tiny_run / "config.yaml").read_text())["pretrain"]["epochs"] == 2


def test_metrics_cover_every_head_and_split(tiny_run: Path) -> None:
    m = json.loads((tiny_run / "metrics.json").read_text())
    assert m["main"] == "multimodal" and m["seeds"] == [0]
    assert set(m["evaluations"]) == {"multimodal", "imu", "skeleton"}
    for ev in m["evaluations"].values():
        assert set(ev["per_seed"]["0"]) == {"train", "val", "test"}
        test = ev["per_seed"]["0"]["test"]
        assert 0.0 <= test["accuracy"] <= 1.0 and len(test["per_class"]) == len(test["confusion"])
        assert ev["summary"]["test"]["accuracy"]["mean"] == test["accuracy"]


def test_run_dir_rebuilds_the_trained_modules(tiny_run: Path) -> None:
    from edgehar.train.run_dir import RunDir

    run = RunDir.open(tiny_run)
    data = run.load_data()
    metrics = run.metrics
    test = data.splits["test"]
    y = data.prepared.labels[test]
    with torch.no_grad():
        imu_pred = run.imu_classifier(0)(data.imu(test)).argmax(1).numpy()
        mm_pred = run.multimodal_classifier(0)(data.imu(test), data.skeleton(test)).argmax(1).numpy()
        sk_pred = run.skeleton_classifier(0)(data.skeleton(test)).argmax(1).numpy()
    ev = metrics["evaluations"]
    assert np.mean(imu_pred == y) == pytest.approx(ev["imu"]["per_seed"]["0"]["test"]["accuracy"])
    assert np.mean(mm_pred == y) == pytest.approx(ev["multimodal"]["per_seed"]["0"]["test"]["accuracy"])
    assert np.mean(sk_pred == y) == pytest.approx(ev["skeleton"]["per_seed"]["0"]["test"]["accuracy"])
    assert run.imu_encoder(0).training is False
    assert run.seeds == [0] and run.label_names == list(data.prepared.label_names)
    np.testing.assert_allclose(run.standardizer.mean, data.standardizer.mean)
    with pytest.raises(EdgeharError, match="not in this run"):
        run.imu_classifier(7)


def test_existing_run_is_not_overwritten(tiny_run: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["train", "--recipe", str(tiny_run.parent / "tiny.yaml"), "--out", str(tiny_run)])
    assert "already holds a run" in capsys.readouterr().err


def test_same_seed_same_result_on_cpu(tiny_run: Path, tmp_path: Path) -> None:
    out = tmp_path / "again"
    main(["train", "--recipe", str(tiny_run.parent / "tiny.yaml"), "--out", str(out)])
    first = json.loads((tiny_run / "seed_0" / "scores.json").read_text())
    second = json.loads((out / "seed_0" / "scores.json").read_text())
    assert first == second
    a = torch.load(tiny_run / "seed_0" / "imu_encoder.pt", weights_only=True)
    b = torch.load(out / "seed_0" / "imu_encoder.pt", weights_only=True)
    assert all(torch.equal(a[k], b[k]) for k in a)


def test_resume_continues_an_interrupted_pretraining(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import lightning as L

    from edgehar.train import engine
    from edgehar.train.pipeline import train_run
    from edgehar.train.recipe import load_recipe

    class Crash(L.Callback):
        def on_train_epoch_end(self, trainer, module) -> None:  # noqa: ANN001
            if trainer.current_epoch == 1:
                raise RuntimeError("power cut")

    real = engine.build_trainer

    def crashing(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        trainer = real(*args, **kwargs)
        trainer.callbacks.append(Crash())
        return trainer

    recipe = load_recipe(write_recipe(tmp_path, pretrain={"epochs": 4, "batch_size": 32}))
    out = tmp_path / "run"
    monkeypatch.setattr(engine, "build_trainer", crashing)
    with pytest.raises(RuntimeError, match="power cut"):
        train_run(recipe, out, log=lambda _m: None)
    assert not (out / "seed_0" / "imu_encoder.pt").exists()
    saved = torch.load(out / "seed_0" / "checkpoints" / "pretrain" / "last.ckpt", weights_only=True)
    assert saved["epoch"] == 0  # the crash hit at the end of epoch 1, before its checkpoint
    monkeypatch.setattr(engine, "build_trainer", real)
    train_run(recipe, out, resume=True, log=lambda _m: None)
    logs = out / "seed_0" / "logs" / "pretrain"
    before = np.genfromtxt(logs / "version_0" / "metrics.csv", delimiter=",", names=True)
    after = np.genfromtxt(logs / "version_1" / "metrics.csv", delimiter=",", names=True)
    assert set(before["epoch"].astype(int)) == {0, 1}
    assert set(after["epoch"].astype(int)) == {1, 2, 3}  # resumed after the checkpointed epoch, not from 0
    assert (out / "metrics.json").is_file() and (out / "seed_0" / "imu_encoder.pt").is_file()
    with pytest.raises(EdgeharError, match="--resume needs the recipe"):
        train_run(load_recipe(write_recipe(tmp_path, loss={"beta": 0.5})), out, resume=True)


def test_features_are_computed_once_and_encoders_stay_frozen(tiny_run: Path, tmp_path: Path) -> None:
    from edgehar.train import pipeline
    from edgehar.train.run_dir import RunDir

    run = RunDir.open(tiny_run)
    data = run.load_data()
    encoders = {"imu": run.imu_encoder(0), "skeleton": run.skeleton_encoder(0)}
    encoders["imu"].train()  # even a module left in training mode must be used frozen
    before = {m: {k: v.clone() for k, v in e.state_dict().items()} for m, e in encoders.items()}
    calls = {"imu": 0, "skeleton": 0}
    for m, enc in encoders.items():
        enc.register_forward_hook(lambda mod, inp, out, m=m: calls.__setitem__(m, calls[m] + 1))
    feats = pipeline._features(encoders, data)
    assert calls == {"imu": 3, "skeleton": 3}  # one batch per split
    recipe = run.config.model_copy(update={"finetune": run.config.finetune.model_copy(update={"epochs": 6})})
    pipeline._fit_heads(recipe, data, feats, 0, tmp_path, 100.0, "", ("multimodal", "imu"))
    assert calls == {"imu": 3, "skeleton": 3}  # six epochs of two heads, no encoder call
    assert encoders["imu"].training is True and encoders["skeleton"].training is False
    for m, enc in encoders.items():
        assert all(torch.equal(before[m][k], v) for k, v in enc.state_dict().items())
    again = pipeline._features(encoders, data)
    assert torch.equal(feats["imu"]["test"], again["imu"]["test"])  # no dropout, no BN updates


def test_cmkm_similarity_encoders_stay_frozen(tmp_path: Path) -> None:
    from functools import partial

    from edgehar.losses import cmkm, cross_modal_infonce, feature_similarity
    from edgehar.models import ProjectionHead, build_imu_encoder, build_skeleton_encoder
    from edgehar.train.batches import batch_loader
    from edgehar.train.contrastive import ContrastiveModule
    from edgehar.train.engine import build_trainer
    from edgehar.train.recipe import StageSection, TrainerSection

    torch.manual_seed(0)
    small = {"channels": [8, 16], "ff_dim": 16, "layers": 1}
    skel = {"channels": [8, 32, 8, 8, 16, 16]}
    enc = {"imu": build_imu_encoder(small, in_channels=6, length=50),
           "skeleton": build_skeleton_encoder(skel, in_channels=3, length=50, joints=20)}
    sim = {"imu": build_imu_encoder(small, in_channels=6, length=50),
           "skeleton": build_skeleton_encoder(skel, in_channels=3, length=50, joints=20)}
    frozen = {m: {k: v.clone() for k, v in s.state_dict().items()} for m, s in sim.items()}

    def loss(z_i, z_s, f_i, f_s):  # noqa: ANN001, ANN202
        return cmkm(z_i, z_s, sim_imu=feature_similarity(f_i), sim_skel=feature_similarity(f_s), temperature=0.1)

    module = ContrastiveModule(
        modalities=("imu", "skeleton"), encoders=enc,
        projections={m: ProjectionHead(e.out_dim, 16, 8) for m, e in enc.items()},
        augments={"imu": lambda x: x, "skeleton": lambda x: x}, loss=loss,
        val_loss=partial(cross_modal_infonce, temperature=0.1), optim=StageSection(epochs=1, batch_size=8),
        similarity_encoders=sim,
    )
    data = (torch.randn(32, 6, 50), torch.randn(32, 3, 50, 20), torch.zeros(32, dtype=torch.long))
    trainer = build_trainer(TrainerSection(progress_bar=False), max_epochs=1, log_dir=tmp_path, stage="t",
                            has_val=False, steps_per_epoch=4)
    trainer.fit(module, batch_loader(data, batch_size=8, shuffle=True, drop_last=True))
    assert not any(k.startswith("_similarity") for k in module.state_dict())
    for m, s in sim.items():
        assert s.training is False
        assert all(torch.equal(frozen[m][k], v) for k, v in s.state_dict().items())
    assert any(not torch.equal(a, b) for a, b in zip(enc["imu"].state_dict().values(),
                                                       sim["imu"].state_dict().values()))


def test_ddp_two_cpu_processes(tmp_path: Path) -> None:
    """torchrun starts two gloo processes; each sees half of every epoch; rank 0 writes the run."""
    recipe = write_recipe(tmp_path, trainer={"strategy": "ddp", "accelerator": "cpu"},
                          pretrain={"epochs": 2, "batch_size": 16})
    out = tmp_path / "run"
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    torchrun = Path(sys.executable).with_name("torchrun")
    proc = subprocess.run(
        [str(torchrun), "--standalone", "--nproc_per_node", "2", "-m", "edgehar.cli.main", "train",
         "--recipe", str(recipe), "--out", str(out)],
        capture_output=True, text=True, env=env, timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["evaluations"]["multimodal"]["per_seed"]["0"]["test"]["n"] > 0
    log = np.genfromtxt(out / "seed_0" / "logs" / "pretrain" / "version_0" / "metrics.csv", delimiter=",", names=True)
    n_train = json.loads((out / "run.json").read_text())["dataset"]["split_sizes"]["train"]
    per_rank_steps = ((n_train + 1) // 2) // 16  # DistributedSampler halves the data; full batches only
    last_step = int(np.nanmax(log["step"]))
    assert last_step + 1 == 2 * per_rank_steps
    assert not list(out.glob("seed_0/logs/pretrain/version_1"))  # only rank 0 logged


def test_report_table_and_figures(tiny_run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import shutil

    runs = []
    for beta, acc in ((0.5, 0.6), (2.0, 0.7)):
        run = tmp_path / f"beta_{beta}"
        shutil.copytree(tiny_run, run)
        cfg = yaml.safe_load((run / "config.yaml").read_text())
        cfg["loss"]["beta"], cfg["name"] = beta, f"beta_{beta}"
        (run / "config.yaml").write_text(yaml.safe_dump(cfg))
        metrics = json.loads((run / "metrics.json").read_text())
        ev = metrics["evaluations"]["multimodal"]
        ev["summary"]["test"]["accuracy"] = {"mean": acc, "ci95": 0.02, "std": 0.01, "n": 3, "values": []}
        metrics["evaluations"]["multimodal@10pct"] = {**ev, "label_percent": 10.0}
        (run / "metrics.json").write_text(json.dumps(metrics))
        runs.append(str(run))
    out = tmp_path / "report"
    main(["report", *runs, "--out", str(out)])
    printed = capsys.readouterr().out
    assert "| beta_0.5 | synthetic" in printed or "| beta_0.5 |" in printed
    assert "60.00 ± 2.00" in printed and "70.00 ± 2.00" in printed
    assert (out / "beta_curve.png").is_file() and (out / "label_fraction.png").is_file()
    assert "beta_curve.png" in (out / "report.md").read_text()
    with pytest.raises(SystemExit):
        main(["report", str(tmp_path / "nothing")])
    assert "not a run directory" in capsys.readouterr().err


@pytest.mark.parametrize(
    "framework, modality, evaluations, files",
    [
        ("cmc_cmkm", "multimodal", {"multimodal", "imu", "skeleton"},
         {"similarity_imu_encoder", "similarity_skeleton_encoder", "fusion_head", "imu_head"}),
        ("simclr_hnl", "skeleton", {"skeleton"}, {"skeleton_encoder", "skeleton_head"}),
        ("supervised", "imu", {"imu", "imu@50pct"}, {"imu_encoder", "imu_head", "imu_head@50pct"}),
    ],
)
def test_every_framework_family_trains(tmp_path: Path, framework: str, modality: str, evaluations: set,
                                       files: set) -> None:
    from edgehar.train.pipeline import train_run
    from edgehar.train.recipe import load_recipe

    recipe = load_recipe(write_recipe(tmp_path), [
        f"framework.name={framework}", f"framework.modality={modality}", "pretrain.epochs=1", "finetune.epochs=2",
        "cmkm.imu_encoder.epochs=1", "cmkm.skeleton_encoder.epochs=1", "cmkm.skeleton_encoder.batch_size=16",
        "cmkm.imu_encoder.batch_size=16", "data.label_percents=[100, 50]",
    ])
    out = train_run(recipe, tmp_path / "run", log=lambda _m: None)
    metrics = json.loads((out / "metrics.json").read_text())
    assert evaluations <= set(metrics["evaluations"]) and metrics["main"] == modality
    assert files <= {p.stem for p in (out / "seed_0").glob("*.pt")}
