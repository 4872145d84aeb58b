"""Sequences: forecasting windows (sine, sunspots, CO₂), the adding problem, wave classification, and the
copy/reverse token task whose ideal attention pattern is known (a diagonal, or an anti-diagonal)."""

import numpy as np

from .registry import DatasetSpec, register

WINDOW = 24


def _windows(series: np.ndarray, window: int) -> tuple[np.ndarray, np.ndarray]:
    """Sliding windows (n, window, 1) and the value right after each one."""
    idx = np.arange(window)[None, :] + np.arange(len(series) - window)[:, None]
    return series[idx][..., None].astype(np.float32), series[window:].astype(np.float32)


def _sine(seed, n=2000, noise=0.05):
    rng = np.random.default_rng(seed)
    t = np.arange(n + WINDOW) * 0.2
    return _windows(np.sin(t) + 0.5 * np.sin(0.31 * t) + rng.normal(0, noise, t.shape), WINDOW)


def _sunspots(seed):
    import statsmodels.api as sm

    return _windows(sm.datasets.sunspots.load_pandas().data["SUNACTIVITY"].to_numpy(), WINDOW)


def _co2(seed):
    import statsmodels.api as sm

    series = sm.datasets.co2.load_pandas().data["co2"].interpolate().bfill().to_numpy()
    return _windows(series, WINDOW)


def _adding(seed, n=4000, length=30):
    """Hochreiter & Schmidhuber's adding problem: feature 0 is noise in [0, 1], feature 1 marks two steps;
    the target is the sum of the two marked values. Needs memory across the whole sequence."""
    rng = np.random.default_rng(seed)
    values = rng.uniform(0, 1, (n, length))
    marks = np.zeros((n, length))
    first = rng.integers(0, length // 2, n)
    second = rng.integers(length // 2, length, n)
    marks[np.arange(n), first] = marks[np.arange(n), second] = 1
    return np.stack([values, marks], -1).astype(np.float32), (values * marks).sum(1)


def _waves(seed, n=3000, length=30, noise=0.2):
    """Sine (class 0) against square waves (class 1), with random frequency, phase and noise."""
    rng = np.random.default_rng(seed)
    t = np.arange(length)[None, :]
    freq = rng.uniform(0.1, 0.4, (n, 1))
    phase = rng.uniform(0, 2 * np.pi, (n, 1))
    y = np.arange(n) % 2
    s = np.sin(freq * t + phase)
    x = np.where(y[:, None] == 1, np.sign(s), s) + rng.normal(0, noise, (n, length))
    return x[..., None].astype(np.float32), y


def _tokens(seed, n=4000, length=10, vocab=10, mode="reverse"):
    """Random token sequences (ids 1..vocab-1; 0 is padding) and, per position, the token to output: the same
    sequence ("copy", attention should be a diagonal) or the reversed one ("reverse", an anti-diagonal)."""
    rng = np.random.default_rng(seed)
    x = rng.integers(1, vocab, (n, length))
    y = x[:, ::-1] if mode == "reverse" else x
    return x, np.ascontiguousarray(y), [str(i) for i in range(vocab)]


for key, fn, title, text in [
    ("sine", _sine, "Sine waves", "A sum of two sines with noise; predict the next value from the last 24."),
    ("sunspots", _sunspots, "Sunspots", "Yearly sunspot numbers 1700–2008 (statsmodels); predict next year's from "
     "the last 24."),
    ("co2", _co2, "CO₂ (Mauna Loa)", "Weekly atmospheric CO₂, 1958–2001 (statsmodels), gaps interpolated; predict "
     "next week's from the last 24."),
]:  # fmt: skip
    options = {"n": 2000, "noise": 0.05} if key == "sine" else {}
    register(DatasetSpec(key, title, text + " Split in time order: the test set is the future.", "forecasting",
                         (WINDOW, 1), "float32", fn, targets=("next value",), group="Sequences", chronological=True,
                         options=options))  # fmt: skip

register(DatasetSpec("adding", "Adding problem", "30 steps of (value, marker); the target is the sum of the two "
                     "marked values — a classic test of long-range memory (RNN vs LSTM).", "regression", (30, 2),
                     "float32", _adding, targets=("sum",), group="Sequences", normalize="none",
                     options={"n": 4000}))  # fmt: skip
register(DatasetSpec("seq_classes", "Waves: sine or square", "Noisy 30-step waves of random frequency and phase: "
                     "is it a sine or a square wave?", "classification", (30, 1), "float32", _waves,
                     classes=("sine", "square"), group="Sequences", normalize="none",
                     options={"n": 3000, "noise": 0.2}))  # fmt: skip
register(DatasetSpec("reverse", "Copy / reverse tokens", "10 random tokens; output, per position, the token at the "
                     "mirrored position (mode='reverse') or the same one (mode='copy'). Attention should learn an "
                     "anti-diagonal (or diagonal) pattern.", "sequence_labeling", (10,), "int64", _tokens,
                     classes=tuple(str(i) for i in range(10)), group="Sequences", normalize="none",
                     options={"n": 4000, "mode": "reverse"}, vocab_size=10))  # fmt: skip
