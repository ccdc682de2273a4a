"""Training recipes: one typed, validated description of a whole run.

A recipe is plain YAML in the top-level ``train/`` folder. Every section is a pydantic model
with ``extra="forbid"``, so a misspelt key or a wrong type is rejected before any work starts,
with the key's dotted path in a one-line error. ``--set a.b=value`` overrides are parsed as
YAML scalars (so ``0.5``, ``true``, ``[1, 2]`` and ``null`` get their natural types) and
applied to the raw mapping before validation, so they go through the very same checks.
This module imports no torch: validating a recipe is cheap.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal, Optional

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator, model_validator

from edgehar.data.preprocess import PreprocessConfig
from edgehar.errors import EdgeharError

FRAMEWORKS = ("simclr", "simclr_hnl", "cmc", "cmc_hnl", "cmc_debiased", "cmc_cmkm", "supervised")
MULTIMODAL_SSL = ("cmc", "cmc_hnl", "cmc_debiased", "cmc_cmkm")
UNIMODAL_SSL = ("simclr", "simclr_hnl")


class Section(BaseModel):
    """Base of every recipe section: unknown keys are errors, assignments are re-validated."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class DataSection(Section):
    """Which data, which protocol, how it is preprocessed and how many labels fine-tuning sees."""

    dir: Optional[str] = None  # None: the embedded synthetic dataset
    protocol: Optional[str] = None  # None: the dataset family's default (UTD-MHAD: cross_subject)
    preprocess: PreprocessConfig = Field(default_factory=PreprocessConfig)
    standardize_imu: bool = True  # per-channel statistics of the training split, kept for export
    label_percents: list[float] = Field(default_factory=lambda: [100.0])  # fine-tuning label budgets
    label_method: Literal["stratified", "stride"] = "stratified"

    @model_validator(mode="after")
    def _percents_in_range(self) -> "DataSection":
        if not self.label_percents:
            raise ValueError("label_percents must list at least one percentage")
        for p in self.label_percents:
            if not 0.0 < p <= 100.0:
                raise ValueError(f"label percent {p} is outside (0, 100]")
        if len(set(self.label_percents)) != len(self.label_percents):
            raise ValueError(f"label_percents must be distinct, got {self.label_percents}")
        return self


class ImuEncoderSection(Section):
    """CSSHAR encoder sizes (reference: 32/64/128 channels, kernel 5, padding 1, 2 heads, 2 layers)."""

    channels: list[int] = Field(default_factory=lambda: [32, 64, 128])
    kernel_size: int = Field(5, ge=1)
    padding: int = Field(1, ge=0)
    heads: int = Field(2, ge=1)
    layers: int = Field(2, ge=0)
    ff_dim: int = Field(2048, ge=1)
    dropout: float = Field(0.1, ge=0.0, lt=1.0)


class SkeletonEncoderSection(Section):
    """HCN variant sizes (reference: 64/32/32/64/128/256 channels, kernels and pools per layer)."""

    channels: list[int] = Field(default_factory=lambda: [64, 32, 32, 64, 128, 256])
    kernels: list[list[int]] = Field(default_factory=lambda: [[1, 1], [3, 1], [3, 3], [3, 3], [3, 3], [3, 3]])
    pools: list[Optional[int]] = Field(default_factory=lambda: [None, None, 2, 2, 2, 2])


class ModelSection(Section):
    """Sizes of encoders and heads."""

    imu: ImuEncoderSection = Field(default_factory=ImuEncoderSection)
    skeleton: SkeletonEncoderSection = Field(default_factory=SkeletonEncoderSection)
    projection_hidden: int = Field(256, ge=1)
    projection_out: int = Field(128, ge=1)
    fusion_hidden: int = Field(256, ge=1)


class FrameworkSection(Section):
    """The learning method and the modality it is applied to."""

    name: Literal["simclr", "simclr_hnl", "cmc", "cmc_hnl", "cmc_debiased", "cmc_cmkm", "supervised"] = "cmc_hnl"
    modality: Literal["imu", "skeleton", "multimodal"] = "multimodal"

    @model_validator(mode="after")
    def _modality_fits(self) -> "FrameworkSection":
        if self.name in MULTIMODAL_SSL and self.modality != "multimodal":
            raise ValueError(f"framework {self.name} needs modality 'multimodal', got '{self.modality}'")
        if self.name in UNIMODAL_SSL and self.modality == "multimodal":
            raise ValueError(f"framework {self.name} needs modality 'imu' or 'skeleton'")
        return self


class LossSection(Section):
    """Contrastive loss parameters (Table 1 of the paper)."""

    temperature: float = Field(0.1, gt=0.0)
    beta: float = Field(1.0, ge=0.0)
    tau_plus: float = Field(0.1, ge=0.0, lt=1.0)
    reference_compat: bool = False  # reproduce the published code's broadcast and N = 2B-2


class SchedulerSection(Section):
    """ReduceLROnPlateau on a logged quantity."""

    factor: float = Field(0.5, gt=0.0, lt=1.0)
    patience: int = Field(20, ge=0)


class StageSection(Section):
    """Optimisation of one training stage (Adam + ReduceLROnPlateau)."""

    epochs: int = Field(150, ge=1)
    batch_size: int = Field(64, ge=2)
    lr: float = Field(1e-3, gt=0.0)
    weight_decay: float = Field(1e-5, ge=0.0)
    scheduler: SchedulerSection = Field(default_factory=SchedulerSection)


class FinetuneSection(Section):
    """Head training on frozen-encoder features (reference: 100 epochs, plateau on val accuracy, patience 5)."""

    epochs: int = Field(100, ge=1)
    batch_size: int = Field(64, ge=1)
    lr: float = Field(1e-3, gt=0.0)
    weight_decay: float = Field(0.0, ge=0.0)
    scheduler: SchedulerSection = Field(default_factory=lambda: SchedulerSection(patience=5))
    early_stop_patience: int = Field(50, ge=1)


class SimclrEncoderSection(Section):
    """One frozen similarity encoder for CMKM, pretrained with SimCLR (reference §7.6)."""

    temperature: float = Field(0.1, gt=0.0)
    batch_size: int = Field(64, ge=2)
    lr: float = Field(1e-3, gt=0.0)
    epochs: int = Field(300, ge=1)


class CmkmSection(Section):
    """Cross-modal knowledge mining: the SimCLR encoders it needs and its mining parameters."""

    imu_encoder: SimclrEncoderSection = Field(
        default_factory=lambda: SimclrEncoderSection(temperature=0.05, batch_size=128)
    )
    skeleton_encoder: SimclrEncoderSection = Field(
        default_factory=lambda: SimclrEncoderSection(temperature=0.5, batch_size=32)
    )
    k: int = Field(1, ge=1)
    intra_weight: float = Field(1.0, ge=0.0)


class AugmentSection(Section):
    """Batched augmentations of edgehar.transforms: a preset name ("utd", "mmact"), a mapping
    ``{name: {p: .., **params}}`` in application order, or null for none."""

    reference_compat: bool = False  # the reference code's per-element / swapped-axis behaviour
    supervised: bool = False  # also augment supervised baselines (the reference does not)
    imu: Any = "utd"
    skeleton: Any = "utd"

    @field_validator("imu", "skeleton")
    @classmethod
    def _buildable(cls, value: Any, info: ValidationInfo) -> Any:
        from edgehar.transforms import build_imu_augment, build_skeleton_augment  # torch, only when validating

        if value is not None and not isinstance(value, (str, dict)):
            raise ValueError(f"expected a preset name, a mapping or null, got {value!r}")
        build = build_imu_augment if info.field_name == "imu" else build_skeleton_augment
        try:
            build(value, reference_compat=bool(info.data.get("reference_compat", False)))
        except EdgeharError as exc:
            raise ValueError(str(exc).replace(f"{info.field_name}_augment.", "", 1)) from None
        return value

    def build(self) -> dict[str, Any]:
        """The two augmentation pipelines, ready to call on batches."""
        from edgehar.transforms import build_imu_augment, build_skeleton_augment

        return {
            "imu": build_imu_augment(self.imu, reference_compat=self.reference_compat),
            "skeleton": build_skeleton_augment(self.skeleton, reference_compat=self.reference_compat),
        }


class TrainerSection(Section):
    """Where and how Lightning runs: devices, distribution, precision."""

    accelerator: str = "auto"
    devices: Any = "auto"  # int, "auto" or a list of device ids, as Lightning takes them
    num_nodes: int = Field(1, ge=1)
    strategy: str = "auto"
    precision: Optional[str] = None  # None: bf16-mixed on a GPU that has it, else 16-mixed; 32 on CPU
    deterministic: Optional[bool] = None  # None: deterministic on CPU
    num_threads: Optional[int] = Field(None, ge=1)
    progress_bar: bool = True
    log_every_n_steps: int = Field(10, ge=1)

    @field_validator("devices")
    @classmethod
    def _devices_form(cls, v: Any) -> Any:
        ok = (
            (isinstance(v, int) and not isinstance(v, bool) and v >= 1)
            or v in ("auto", -1)
            or (isinstance(v, list) and v and all(isinstance(i, int) and not isinstance(i, bool) for i in v))
        )
        if not ok:
            raise ValueError(f"devices must be a positive int, 'auto' or a list of device ids, got {v!r}")
        return v


class Recipe(Section):
    """A whole run: data, model, method, optimisation, seeds and engine settings."""

    name: str = "run"
    data: DataSection = Field(default_factory=DataSection)
    model: ModelSection = Field(default_factory=ModelSection)
    framework: FrameworkSection = Field(default_factory=FrameworkSection)
    loss: LossSection = Field(default_factory=LossSection)
    pretrain: StageSection = Field(default_factory=StageSection)
    finetune: FinetuneSection = Field(default_factory=FinetuneSection)
    cmkm: CmkmSection = Field(default_factory=CmkmSection)
    augment: AugmentSection = Field(default_factory=AugmentSection)
    seeds: list[int] = Field(default_factory=lambda: [0, 1, 2])
    trainer: TrainerSection = Field(default_factory=TrainerSection)

    @model_validator(mode="after")
    def _seeds_unique(self) -> "Recipe":
        if not self.seeds:
            raise ValueError("seeds must list at least one seed")
        if len(set(self.seeds)) != len(self.seeds):
            raise ValueError(f"seeds must be distinct, got {self.seeds}")
        return self

    @property
    def is_multimodal(self) -> bool:
        return self.framework.modality == "multimodal"

    def to_dict(self) -> dict[str, Any]:
        """The resolved recipe as plain data (what config.yaml holds)."""
        return self.model_dump(mode="json")


def _describe(err: dict[str, Any]) -> str:
    loc = ".".join(str(p) for p in err["loc"])
    if err["type"] == "extra_forbidden":
        return f"{loc}: unknown key"
    msg = err["msg"]
    if err["type"] not in ("value_error", "assertion_error") and "input" in err:
        got = err["input"]
        msg = f"{msg} (got {got!r})" if not isinstance(got, dict) else msg
    elif msg.startswith("Value error, "):
        msg = msg[len("Value error, "):]
    return f"{loc}: {msg}" if loc else msg


def validate(raw: Any, source: str = "recipe") -> Recipe:
    """Validate a raw mapping; the first problem becomes a one-line EdgeharError naming its key."""
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise EdgeharError(f"{source}: a recipe must be a mapping of sections, got {type(raw).__name__}")
    try:
        return Recipe.model_validate(raw)
    except ValidationError as exc:
        errors = exc.errors()
        more = f" (and {len(errors) - 1} more problem(s))" if len(errors) > 1 else ""
        raise EdgeharError(f"{source}: {_describe(errors[0])}{more}") from None


def parse_override(text: str) -> tuple[list[str], Any]:
    """Split ``a.b.c=value`` into its key path and a YAML-typed value."""
    key, sep, value = text.partition("=")
    key = key.strip()
    if not sep or not key or any(not part for part in key.split(".")):
        raise EdgeharError(f"--set {text!r}: expected KEY.PATH=VALUE")
    try:
        parsed = yaml.safe_load(value) if value.strip() else None
    except yaml.YAMLError:
        parsed = value
    return key.split("."), parsed


def apply_overrides(raw: dict[str, Any], overrides: list[str]) -> dict[str, Any]:
    """Apply ``--set`` overrides to a raw recipe mapping (a copy); keys are checked at validation."""
    import copy

    out = copy.deepcopy(raw)
    for text in overrides:
        path, value = parse_override(text)
        node = out
        for i, part in enumerate(path[:-1]):
            child = node.get(part)
            if child is None:
                child = node[part] = {}
            if not isinstance(child, dict):
                where = ".".join(path[: i + 1])
                raise EdgeharError(f"--set {text!r}: {where} is a value, not a section")
            node = child
        node[path[-1]] = value
    return out


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    """``over`` on top of ``base``, section by section (lists and values are replaced whole)."""
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def read_yaml(path: Path, _seen: tuple[Path, ...] = ()) -> dict[str, Any]:
    """Read a recipe file as a raw mapping; ``extends: other.yaml`` (relative to the file) is merged under it."""
    path = Path(path)
    if not path.is_file():
        raise EdgeharError(f"recipe {path}: no such file")
    try:
        raw = yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark is not None else ""
        raise EdgeharError(f"recipe {path}:{where} is not valid YAML") from None
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise EdgeharError(f"recipe {path}: a recipe must be a mapping of sections")
    parent = raw.pop("extends", None)
    if parent is None:
        return raw
    if not isinstance(parent, str):
        raise EdgeharError(f"recipe {path}: extends: expected a file name, got {parent!r}")
    base_path = (path.parent / parent).resolve()
    if base_path in _seen:
        raise EdgeharError(f"recipe {path}: extends: {parent} is part of a cycle")
    return _merge(read_yaml(base_path, (*_seen, path.resolve())), raw)


def load_recipe(path: Optional[Path] = None, overrides: Optional[list[str]] = None) -> Recipe:
    """Load a recipe file (or the defaults), apply overrides, validate."""
    raw = read_yaml(path) if path is not None else {}
    if path is not None and "name" not in raw:
        raw["name"] = Path(path).stem
    raw = apply_overrides(raw, overrides or [])
    return validate(raw, source=f"recipe {path}" if path is not None else "recipe")
