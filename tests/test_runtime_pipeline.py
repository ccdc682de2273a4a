"""Streaming pipeline: sequence numbers, clocks, resampling, units, windows, smoothing, interpreters.

Blocks are generated here the way a board sends them (frames of a few samples with a 16-bit seq
and a microsecond stamp); the model is a real ONNX/TFLite file run by the real interpreters.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from runtime_models import CHANNELS, make_card, write_onnx, write_tflite

from edgehar.errors import EdgeharError
from edgehar.modelcard import read_card
from edgehar.runtime.clock import ClockMap, RateEstimator
from edgehar.runtime.interpreter import open_interpreter
from edgehar.runtime.pipeline import Pipeline, channel_map
from edgehar.runtime.resample import StreamResampler
from edgehar.runtime.smoothing import HysteresisSmoother, parse_smoothing
from edgehar.runtime.sources.base import Block, LinkEvent, StreamInfo
from edgehar.runtime.units import conversion_factors
from edgehar.runtime.window import WindowBuffer

G_UNITS = ("g", "g", "g", "deg/s", "deg/s", "deg/s")
SI_UNITS = ("m/s^2", "m/s^2", "m/s^2", "rad/s", "rad/s", "rad/s")


def signal(t: np.ndarray) -> np.ndarray:
    """Slow, smooth test signal in g / deg/s: which axis dominates changes every 4 s."""
    x = np.zeros((len(t), 6), np.float32)
    phase = (t // 4).astype(int) % 3
    for k in range(3):
        x[:, k] = np.where(phase == k, 1.0, 0.0) + 0.1 * np.sin(2 * np.pi * 0.7 * t + k)
    x[:, 3:] = 30.0 * np.sin(2 * np.pi * 0.5 * t)[:, None]
    return x


def frames(rate: float, seconds: float, per_frame: int = 5, seq0: int = 0, t0_us: int = 0, host0: float = 100.0):
    """Blocks as a board would send them; device clock and host clock agree."""
    n = int(seconds * rate) // per_frame * per_frame
    t = np.arange(n) / rate
    x = signal(t)
    return [
        Block(x[i : i + per_frame], (seq0 + i // per_frame) & 0xFFFF, t0_us + int(round(t[i] * 1e6)), host0 + t[i])
        for i in range(0, n, per_frame)
    ]


@pytest.fixture(scope="module")
def onnx_model(tmp_path_factory):
    return write_onnx(tmp_path_factory.mktemp("m") / "m.onnx", make_card())


def make_pipeline(model, smooth="none", rate=50.0, units=G_UNITS, **kw) -> Pipeline:
    card = read_card(model)
    p = Pipeline(card, open_interpreter(model, "auto", card.input, card.output), parse_smoothing(smooth), **kw)
    p.configure(StreamInfo(CHANNELS, units, rate))
    return p


def run(p: Pipeline, blocks) -> list:
    out = []
    for b in blocks:
        out.extend(p.push(b) if isinstance(b, Block) else (p.link_event(b) or []))
    results, _ = p.finish()
    return out + results


def preds(results) -> list[tuple[float, int]]:
    return [(round(r.device_time, 4), r.raw_label) for r in results]


# -- sequence numbers -----------------------------------------------------------------------------
def test_duplicates_are_dropped_and_windows_unchanged(onnx_model):
    blocks = frames(50, 12)
    clean = run(make_pipeline(onnx_model), blocks)
    doubled = [b for b in blocks for _ in (0, 1)]  # BlueZ after a reconnect: every frame twice
    p = make_pipeline(onnx_model)
    dup = run(p, doubled)
    assert preds(dup) == preds(clean)
    assert p.summary()["duplicates"] == len(blocks)
    assert p.summary()["samples"] == sum(len(b.samples) for b in blocks)
    assert np.allclose([r.probs for r in dup], [r.probs for r in clean])


def test_short_gap_is_counted_and_bridged(onnx_model):
    blocks = frames(50, 12)
    p = make_pipeline(onnx_model)
    results = run(p, blocks[:40] + blocks[41:])  # one frame (0.1 s) lost
    s = p.summary()
    assert (s["gaps"], s["lost_frames"], s["window_resets"]) == (1, 1, 0)
    assert preds(results) == preds(run(make_pipeline(onnx_model), blocks))


def test_long_gap_restarts_the_window(onnx_model):
    blocks = frames(50, 12)
    p = make_pipeline(onnx_model)
    results = run(p, blocks[:40] + blocks[60:])  # 2 s lost
    s = p.summary()
    assert (s["gaps"], s["lost_frames"], s["window_resets"]) == (1, 20, 1)
    ends = [r.device_time for r in results]
    # no window spans the hole: after it, the first window ends a full window after the restart
    restart = blocks[60].device_time_us * 1e-6
    assert all(e < 4.0 or e >= restart + 1.98 - 1e-9 for e in ends)
    assert min(e for e in ends if e > 4.0) == pytest.approx(restart + 1.98)


def test_sequence_wrap_is_not_a_gap(onnx_model):
    blocks = frames(50, 10, seq0=65536 - 30)
    assert blocks[29].seq == 65535 and blocks[30].seq == 0
    p = make_pipeline(onnx_model)
    run(p, blocks)
    s = p.summary()
    assert (s["gaps"], s["duplicates"], s["device_restarts"]) == (0, 0, 0)


def test_device_restart_starts_a_new_timeline(onnx_model):
    before = frames(50, 6, seq0=500, t0_us=50_000_000)
    after = frames(50, 6, seq0=0, t0_us=0, host0=120.0)
    p = make_pipeline(onnx_model)
    results = run(p, before + after)
    s = p.summary()
    assert s["device_restarts"] == 1
    assert s["stale"] == 3  # the protocol's rule: the fourth consecutive stale frame is the restart
    assert len(results) > 10


def test_device_clock_wrap_keeps_time_continuous(onnx_model):
    blocks = frames(50, 10, t0_us=(1 << 32) - 3_000_000)
    wrapped = [Block(b.samples, b.seq, b.device_time_us % (1 << 32), b.host_time) for b in blocks]
    assert preds(run(make_pipeline(onnx_model), wrapped)) == preds(run(make_pipeline(onnx_model), blocks))


# -- clock --------------------------------------------------------------------------------------
def test_clock_map_follows_drift_through_jitter():
    rng = np.random.default_rng(1)
    clock = ClockMap(tau_s=30.0)
    drift = 150e-6  # device crystal 150 ppm slow relative to the host
    errors = []
    for i in range(12_000):  # 20 frames/s for 10 minutes
        device = i * 0.05
        true_host = 1000.0 + device * (1 + drift)
        clock.update(device, true_host + 0.004 + rng.exponential(0.003))  # transport delay + jitter
        if i > 2000:
            errors.append(clock.to_host(device) - true_host)
    assert clock.rate_ratio - 1 == pytest.approx(drift, abs=20e-6)
    assert abs(np.mean(errors) - 0.007) < 0.001 and np.std(errors) < 0.001


def test_window_host_times_follow_a_drifting_device_clock(onnx_model):
    rng = np.random.default_rng(2)
    drift = -200e-6  # the board's crystal runs 200 ppm fast
    blocks = []
    for b in frames(50, 240):
        t_dev = b.device_time_us * 1e-6 + 4 / 50  # the frame leaves after its last sample
        arrival = 500.0 + t_dev * (1 + drift) + 0.01 + rng.exponential(0.004)
        blocks.append(Block(b.samples, b.seq, b.device_time_us, arrival))
    p = make_pipeline(onnx_model)
    results = run(p, blocks)
    late = [r for r in results if r.device_time > 60]
    errors = [r.host_time - (500.0 + r.device_time * (1 + drift)) for r in late]
    assert np.abs(np.array(errors) - 0.014).max() < 0.003  # mean transport delay kept, drift removed
    assert p.summary()["clock_drift_ppm"] == pytest.approx(-200, abs=30)


def test_rate_estimator_counts_samples_over_a_second():
    est = RateEstimator()
    rate = None
    for i in range(200):
        rate = est.observe(1, 10.0 + i / 119.0 + (0.002 if i % 3 else 0.0)) or rate
    assert rate == pytest.approx(119.0, rel=0.01)


def test_text_stream_without_rate_is_estimated(onnx_model):
    blocks = [Block(b.samples, None, None, b.host_time) for b in frames(99.84, 12, per_frame=1)]
    p = make_pipeline(onnx_model)
    p.configure(StreamInfo(CHANNELS, G_UNITS, None))
    results = run(p, blocks)
    assert p.device_rate_hz == pytest.approx(99.84, rel=0.005)
    assert len(results) == pytest.approx((12 - 2) / 0.5 + 1, abs=1)


# -- resampling -----------------------------------------------------------------------------------
@pytest.mark.parametrize("rate", [119.0, 99.84, 50.0, 25.0])
def test_board_rates_resample_onto_the_model_grid(rate):
    t = np.arange(int(20 * rate)) / rate
    x = np.stack([np.sin(2 * np.pi * 1.3 * t), np.cos(2 * np.pi * 0.4 * t)], 1)
    r = StreamResampler(50.0, 2, max_gap_s=0.25)
    parts = []
    for i in range(0, len(t), 7):  # arbitrary chunking must not matter
        parts += [v for restarted, v, _ in r.push(t[i : i + 7], x[i : i + 7]) if not restarted]
    y = np.concatenate(parts)
    grid = np.arange(len(y)) / 50.0
    assert len(y) == int(t[-1] * 50) + 1
    expected = np.stack([np.sin(2 * np.pi * 1.3 * grid), np.cos(2 * np.pi * 0.4 * grid)], 1)
    tol = 0.04 if rate < 50 else 0.01  # linear interpolation error ~ (w*dt)^2/8
    assert np.abs(y - expected).max() < tol


def test_119hz_board_gives_the_same_predictions_as_50hz(onnx_model):
    base = preds(run(make_pipeline(onnx_model), frames(50, 16)))
    for rate in (119.0, 99.84):
        p = make_pipeline(onnx_model, rate=rate)
        got = preds(run(p, frames(rate, 16)))
        assert len(base) - 1 <= len(got) <= len(base)  # the last sample falls a little earlier
        agree = np.mean([a[1] == b[1] for a, b in zip(got, base)])
        assert agree >= 0.95
        assert np.allclose([g[0] for g in got], [b[0] for b in base[: len(got)]], atol=0.011)


def test_numpy_fft_resampling_is_scipys():
    """The runtime resamples windows with numpy's FFT (scipy.signal is too slow to import): it must
    give scipy.signal.resample's numbers, which the reference code trained on."""
    from scipy.signal import resample as scipy_resample

    from edgehar.resampling import resample

    x = np.random.default_rng(0).normal(size=(163, 6))
    for steps in (50, 64, 200, 201):
        assert np.allclose(resample(x, steps, "fft", axis=0), scipy_resample(x, steps, axis=0), atol=1e-9)
    assert np.allclose(resample(x.T, 64, "fft", axis=1), scipy_resample(x.T, 64, axis=1), atol=1e-9)


# -- units and channels ------------------------------------------------------------------------------
def test_si_units_convert_to_the_cards_units(onnx_model):
    blocks = frames(50, 12)
    factors = np.array([9.80665] * 3 + [math.pi / 180] * 3, np.float32)
    si = [Block(b.samples * factors, b.seq, b.device_time_us, b.host_time) for b in blocks]
    a = run(make_pipeline(onnx_model), blocks)
    b = run(make_pipeline(onnx_model, units=SI_UNITS), si)
    assert np.allclose([r.probs for r in a], [r.probs for r in b], atol=1e-5)
    assert conversion_factors(("mg", "dps"), ("m/s2", "rad/s")) == pytest.approx([0.00980665, math.pi / 180])
    with pytest.raises(EdgeharError, match="cannot feed"):
        conversion_factors(("g",), ("deg/s",))
    with pytest.raises(EdgeharError, match="unknown unit"):
        conversion_factors(("furlong",), ("g",))


def test_channels_are_matched_by_name_then_position():
    model = ("acc_x", "acc_y", "acc_z", "gyro_x", "gyro_y", "gyro_z")
    assert list(channel_map(("gx", "gy", "gz", "ax", "ay", "az"), model)) == [3, 4, 5, 0, 1, 2]
    assert list(channel_map(("AccelX", "AccelY", "AccelZ", "GyroX", "GyroY", "GyroZ", "mx"), model)) == list(range(6))
    assert list(channel_map(tuple("abcdef"), model)) == list(range(6))
    with pytest.raises(EdgeharError, match="do not provide"):
        channel_map(("ax", "ay", "az"), model)


# -- windows ---------------------------------------------------------------------------------------
def test_windows_and_hop_are_exact_slices():
    buf = WindowBuffer(size=100, hop=30, channels=1, rate_hz=50.0)
    data = np.arange(1000, dtype=np.float32)[:, None]
    got = []
    for i in range(0, 1000, 37):
        got += [(w.index, w.samples[:, 0].copy(), w.end_time) for w in buf.push(data[i : i + 37], i / 50.0)]
    assert len(got) == (1000 - 100) // 30 + 1
    for k, (index, samples, end) in enumerate(got):
        assert index == k
        assert np.array_equal(samples, np.arange(30 * k, 30 * k + 100))
        assert end == pytest.approx((30 * k + 99) / 50.0)


def test_hop_option_sets_the_window_count(onnx_model):
    for hop, expected in (("0.5", 21), ("1", 11), ("0.2", 51)):
        p = make_pipeline(onnx_model, hop_s=float(hop))
        assert len(run(p, frames(50, 12))) == expected


# -- smoothing -------------------------------------------------------------------------------------
def probs(label: int, p: float = 0.8) -> np.ndarray:
    out = np.full(3, (1 - p) / 2)
    out[label] = p
    return out


def test_ema_and_vote_smooth_single_flips():
    seq = [0, 0, 0, 1, 0, 0, 2, 2, 2, 2]
    for spec in ("ema:0.3", "vote:3"):
        s = parse_smoothing(spec)
        labels = [s.update(probs(k), i * 0.5).label for i, k in enumerate(seq)]
        assert labels[3] == 0 and labels[-1] == 2, spec
    s = parse_smoothing("none")
    assert [s.update(probs(k), 0).label for k in seq] == seq
    for bad in ("ema:0", "ema:1.5", "vote:0", "median:3", "hysteresis:enter=0.3,exit=0.5"):
        with pytest.raises(EdgeharError):
            parse_smoothing(bad)


def test_hysteresis_needs_dwell_and_emits_enter_exit():
    s = parse_smoothing("hysteresis:enter=0.7,exit=0.4,dwell=1s")
    assert isinstance(s, HysteresisSmoother)
    events = []
    timeline = [probs(0, 0.9)] * 4 + [probs(1, 0.9)] + [probs(0, 0.9)] * 2 + [probs(1, 0.9)] * 4 + [probs(2, 0.5)] * 4
    labels = []
    for i, p in enumerate(timeline):
        out = s.update(p, i * 0.5)
        labels.append(out.label)
        events += [(e.kind, e.label, e.time) for e in out.events]
    # enters 0 after holding 1 s (at t=1.0); the lone class-1 window at t=2.0 is ignored;
    # class 1 takes over at t=4.5 (held from 3.5); class 2 at 0.5 < enter never enters, and class 1 at
    # 0.25 < exit from t=5.5 ends it after 1 s (t=6.5), leaving nothing active.
    assert events == [("enter", 0, 1.0), ("exit", 0, 4.5), ("enter", 1, 4.5), ("exit", 1, 6.5)]
    assert labels[:2] == [None, None] and labels[4] == 0 and labels[-1] is None
    assert s.finish(8.0) == []


def test_pipeline_reports_transitions_and_closes_at_the_end(onnx_model):
    p = make_pipeline(onnx_model, smooth="vote:3")
    results = [r for b in frames(50, 16) for r in p.push(b)]
    events = [(e.kind, e.label) for r in results for e in r.events]
    assert events[:3] == [("enter", 0), ("exit", 0), ("enter", 1)]
    _, exits = p.finish()
    assert [(e.kind, e.label) for e in exits] == [("exit", events[-1][1])]


def test_link_loss_breaks_untimed_streams_only(onnx_model):
    untimed = [Block(b.samples, None, None, b.host_time) for b in frames(50, 12)]
    p = make_pipeline(onnx_model)
    run(p, untimed[:50] + [LinkEvent("lost"), LinkEvent("connected")] + untimed[60:])
    assert p.summary()["window_resets"] == 1 and p.summary()["link_losses"] == 1
    p = make_pipeline(onnx_model)
    blocks = frames(50, 12)
    run(p, blocks[:50] + [LinkEvent("lost"), LinkEvent("connected")] + blocks[50:])
    assert p.summary()["window_resets"] == 0


def test_corrupt_events_and_misshapen_blocks_are_counted(onnx_model):
    p = make_pipeline(onnx_model)
    p.link_event(LinkEvent("corrupt", "bad crc", count=3))
    assert p.push(Block(np.zeros((5, 4), np.float32), 0, 0, 0.0)) == []
    assert p.summary()["corrupt"] == 4 and p.summary()["samples"] == 0


# -- interpreters -----------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["tflite-f32", "tflite-int8", "tflite-nwc", "onnx-nwc"])
def test_backends_agree_with_the_float_reference(tmp_path, onnx_model, kind):
    fmt, variant = kind.split("-")
    card = make_card(int8=variant == "int8", layout="NWC" if variant == "nwc" else "NCW")
    model = (write_tflite if fmt == "tflite" else write_onnx)(tmp_path / f"m.{fmt}", card)
    blocks = frames(50, 16)
    ref = run(make_pipeline(onnx_model), blocks)
    got = run(make_pipeline(model), blocks)
    assert [r.raw_label for r in got] == [r.raw_label for r in ref]
    tol = 0.05 if variant == "int8" else 1e-5
    assert np.abs(np.array([r.probs for r in got]) - [r.probs for r in ref]).max() < tol


def test_int8_input_is_quantized_from_the_tensor_details(tmp_path):
    model = write_tflite(tmp_path / "q.tflite", make_card(int8=True))
    interp = open_interpreter(model, "litert")
    assert interp.input_spec.dtype == "int8" and interp.input_spec.zero_point == -3
    x = np.zeros((1, 6, 50), np.float32)
    x[0, 2] = 1.0
    assert interp.run(x)[0] == pytest.approx([0.0, 0.0, 1.0], abs=0.02)


def test_backend_choice_errors(tmp_path, onnx_model):
    with pytest.raises(EdgeharError, match="--backend onnx needs an .onnx"):
        open_interpreter(write_tflite(tmp_path / "m.tflite", make_card()), "onnx")
    with pytest.raises(EdgeharError, match="needs a .tflite"):
        open_interpreter(onnx_model, "litert")
    with pytest.raises(EdgeharError, match="must be one of"):
        open_interpreter(onnx_model, "torch")
    with pytest.raises(EdgeharError, match="not found"):
        open_interpreter(tmp_path / "missing.tflite")
    try:
        import tflite_runtime  # noqa: F401
    except ImportError:
        with pytest.raises(EdgeharError, match="tflite-runtime"):
            open_interpreter(tmp_path / "m.tflite", "tflite")
