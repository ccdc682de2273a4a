"""Recipes: every shipped file validates; bad keys and types fail with their dotted path; overrides."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from edgehar.cli.main import main
from edgehar.errors import EdgeharError
from edgehar.train.recipe import apply_overrides, load_recipe, validate

REPO = Path(__file__).resolve().parents[1]
RECIPES = sorted((REPO / "train").rglob("*.yaml"))


def test_recipe_folder_is_populated() -> None:
    names = {p.relative_to(REPO / "train").as_posix() for p in RECIPES}
    for ds in ("utd_mhad", "mmact_cross_subject", "mmact_cross_session"):
        for r in ("cmc", "cmc_hnl", "cmc_debiased", "cmc_cmkm", "simclr_imu", "simclr_hnl_imu", "simclr_skeleton",
                  "simclr_hnl_skeleton", "supervised_multimodal", "supervised_imu"):
            assert f"{ds}/{r}.yaml" in names
        assert len([n for n in names if n.startswith(f"{ds}/beta/")]) == 8
    assert "default.yaml" in names


@pytest.mark.parametrize("path", RECIPES, ids=lambda p: p.relative_to(REPO / "train").as_posix())
def test_every_recipe_validates(path: Path) -> None:
    recipe = load_recipe(path)
    assert recipe.name
    if path.parent.name == "beta":
        assert recipe.framework.name == "cmc_hnl"
        assert recipe.loss.beta == float(path.stem.rsplit("_", 1)[1])


def test_table1_values_reach_the_recipes() -> None:
    r = load_recipe(REPO / "train/mmact_cross_subject/cmc_hnl.yaml")
    assert (r.pretrain.batch_size, r.pretrain.lr, r.loss.temperature, r.loss.tau_plus, r.loss.beta) == (
        128, 0.001, 0.5, 0.027, 1.5)
    s = load_recipe(REPO / "train/utd_mhad/simclr_hnl_skeleton.yaml")
    assert (s.pretrain.batch_size, s.pretrain.lr, s.loss.temperature, s.loss.beta, s.framework.modality) == (
        64, 0.005, 0.5, 0.25, "skeleton")
    assert (s.pretrain.epochs, s.finetune.epochs, s.seeds) == (150, 100, [0, 1, 2])


@pytest.mark.parametrize(
    "raw, message",
    [
        ({"pretrain": {"epoch": 3}}, "pretrain.epoch: unknown key"),
        ({"model": {"imu": {"kernel": 3}}}, "model.imu.kernel: unknown key"),
        ({"pretrain": {"epochs": "many"}}, "pretrain.epochs: Input should be a valid integer"),
        ({"loss": {"temperature": -0.1}}, "loss.temperature: Input should be greater than 0"),
        ({"data": {"preprocess": {"length": 2.5}}}, "data.preprocess.length: Input should be a valid integer"),
        ({"trainer": {"devices": []}}, "trainer.devices: devices must be"),
        ({"augment": {"imu": {"jiter": {}}}}, "augment.imu: jiter: unknown augmentation"),
        ({"framework": {"name": "cmc", "modality": "imu"}}, "framework: framework cmc needs modality 'multimodal'"),
        ({"framework": {"name": "byol"}}, "framework.name: Input should be"),
    ],
)
def test_bad_recipes_name_the_key(raw: dict, message: str) -> None:
    with pytest.raises(EdgeharError) as err:
        validate(raw, source="recipe x.yaml")
    text = str(err.value)
    assert text.startswith("recipe x.yaml: ") and message in text
    assert "\n" not in text


def test_overrides_are_typed_and_checked() -> None:
    raw = apply_overrides({}, ["pretrain.epochs=7", "loss.beta=0.5", "data.label_percents=[10, 100]",
                               "trainer.deterministic=false", "data.dir=null"])
    r = validate(raw)
    assert r.pretrain.epochs == 7 and r.loss.beta == 0.5 and r.data.label_percents == [10.0, 100.0]
    assert r.trainer.deterministic is False and r.data.dir is None
    with pytest.raises(EdgeharError, match="pretrain.epochs.x"):
        validate(apply_overrides({}, ["pretrain.epochs=3", "pretrain.epochs.x=1"]))
    with pytest.raises(EdgeharError, match="expected KEY.PATH=VALUE"):
        apply_overrides({}, ["pretrain.epochs"])
    with pytest.raises(EdgeharError, match="loss.tmp: unknown key"):
        validate(apply_overrides({}, ["loss.tmp=0.3"]))


def test_extends_merges_sections(tmp_path: Path) -> None:
    (tmp_path / "base.yaml").write_text(yaml.safe_dump({"pretrain": {"epochs": 9, "lr": 0.01}, "seeds": [4]}))
    (tmp_path / "child.yaml").write_text(yaml.safe_dump({"extends": "base.yaml", "pretrain": {"epochs": 3}}))
    r = load_recipe(tmp_path / "child.yaml")
    assert (r.pretrain.epochs, r.pretrain.lr, r.seeds, r.name) == (3, 0.01, [4], "child")
    (tmp_path / "loop.yaml").write_text("extends: loop.yaml\n")
    with pytest.raises(EdgeharError, match="cycle"):
        load_recipe(tmp_path / "loop.yaml")


def test_cli_reports_recipe_errors_in_one_line(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("pretrain: {epochs: 3, batchsize: 8}\n")
    with pytest.raises(SystemExit) as exit_:
        main(["train", "--recipe", str(bad)])
    assert exit_.value.code != 0
    err = capsys.readouterr().err.strip()
    assert err == f"error: recipe {bad}: pretrain.batchsize: unknown key"
    with pytest.raises(SystemExit):
        main(["train", "--recipe", str(tmp_path / "missing.yaml")])
    assert "no such file" in capsys.readouterr().err


def test_print_config_shows_the_resolved_recipe(capsys: pytest.CaptureFixture[str]) -> None:
    main(["train", "--print-config", "--set", "pretrain.epochs=2", "--seeds", "2"])
    cfg = yaml.safe_load(capsys.readouterr().out)
    assert cfg["pretrain"]["epochs"] == 2 and cfg["seeds"] == [0, 1] and cfg["name"] == "default"
