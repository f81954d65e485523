"""Seeded toy datasets, splitting, standardizing and mini-batches, on plain lists.

Every generator takes ``n_samples``, ``noise`` and ``seed``, in that order
(any further option is keyword-only, so ``make_spirals(200, 0.1, 0)`` means
the same as ``make_moons(200, 0.1, 0)``), and returns
``(X, y)``: ``X`` a list of rows (lists of floats), ``y`` a list of class
labels ``0..k-1`` (ints, as scikit-learn) or, for regression, floats.
Randomness comes from a private ``random.Random(seed)``, so the same seed
gives the same data and the global ``random`` state is never touched.
No scikit-learn or NumPy needed.
"""

from __future__ import annotations

import math
import numbers
import random
from collections.abc import Hashable, Iterable, Iterator, Sequence
from typing import Any, Literal, TypeAlias, TypeVar, overload

#: One sample of the generated data sets: its features as floats.
Row: TypeAlias = list[float]
_X = TypeVar("_X")
_Y = TypeVar("_Y")

__all__ = [
    "Standardizer",
    "batches",
    "make_blobs",
    "make_circles",
    "make_moons",
    "make_regression",
    "make_spirals",
    "make_xor",
    "train_test_split",
]


# --- argument checks ------------------------------------------------------------------


def _check_count(name: str, value: Any, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an int, got {type(value).__name__} {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be at least {minimum}, got {value}")
    return int(value)


def _check_real(name: str, value: Any) -> float:
    """A finite real number (an int or float, not a bool or a string), as a float."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number, got {type(value).__name__} {value!r}")
    if not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value}")
    return float(value)


def _check_noise(noise: Any, name: str = "noise") -> float:
    std = _check_real(name, noise)
    if std < 0.0:
        raise ValueError(f"{name} must be a standard deviation >= 0, got {std}")
    return std


def check_xy(X: Sequence[Any], y: Sequence[Any]) -> int:
    """The number of samples, after checking there is at least one and one target each.

    ``fit``, ``evaluate`` and ``batches`` call it so that a mismatch is a clear
    ValueError up front rather than a silently truncated ``zip``.
    """
    if len(X) == 0:
        raise ValueError("X is empty: expected at least one sample")
    if len(X) != len(y):
        raise ValueError(
            f"X and y must have the same length, got {len(X)} samples and {len(y)} targets"
        )
    return len(X)


def _split_evenly(n_samples: int, n_parts: int) -> list[int]:
    """Sizes of n_parts groups adding up to n_samples, the first ones larger (as scikit-learn)."""
    base, extra = divmod(n_samples, n_parts)
    return [base + (1 if part < extra else 0) for part in range(n_parts)]


def _linspace(start: float, stop: float, count: int) -> list[float]:
    if count == 1:
        return [start]
    step = (stop - start) / (count - 1)
    return [start + i * step for i in range(count)]


def _finish(
    rng: random.Random, X: list[Row], y: list[_Y], noise: float
) -> tuple[list[Row], list[_Y]]:
    """Add Gaussian noise to every coordinate, then shuffle samples and labels together."""
    if noise:
        X = [[x + rng.gauss(0.0, noise) for x in row] for row in X]
    order = list(range(len(X)))
    rng.shuffle(order)
    return [X[i] for i in order], [y[i] for i in order]


# --- generators -------------------------------------------------------------------------


def make_moons(
    n_samples: int = 100, noise: float = 0.0, seed: int | None = None
) -> tuple[list[Row], list[int]]:
    """Two interleaving half circles: the classic 2-D test for a nonlinear boundary.

    Class 0 is the upper moon, class 1 the lower one; ``noise`` is the standard
    deviation of the Gaussian noise added to each coordinate.
    """
    n_samples = _check_count("n_samples", n_samples, 2)
    noise = _check_noise(noise)
    rng = random.Random(seed)
    n_upper, n_lower = _split_evenly(n_samples, 2)
    X = [[math.cos(t), math.sin(t)] for t in _linspace(0.0, math.pi, n_upper)]
    X += [[1.0 - math.cos(t), 0.5 - math.sin(t)] for t in _linspace(0.0, math.pi, n_lower)]
    y = [0] * n_upper + [1] * n_lower
    return _finish(rng, X, y, noise)


def make_circles(
    n_samples: int = 100, noise: float = 0.0, seed: int | None = None, factor: float = 0.8
) -> tuple[list[Row], list[int]]:
    """A small circle (class 1, radius ``factor``) inside a unit circle (class 0)."""
    n_samples = _check_count("n_samples", n_samples, 2)
    noise = _check_noise(noise)
    factor = _check_real("factor", factor)
    if not 0.0 < factor < 1.0:
        raise ValueError(f"factor (inner radius / outer radius) must be in (0, 1), got {factor}")
    rng = random.Random(seed)
    n_outer, n_inner = _split_evenly(n_samples, 2)

    def circle(count: int, radius: float) -> list[Row]:
        angles = [2.0 * math.pi * i / count for i in range(count)]
        return [[radius * math.cos(t), radius * math.sin(t)] for t in angles]

    X = circle(n_outer, 1.0) + circle(n_inner, factor)
    y = [0] * n_outer + [1] * n_inner
    return _finish(rng, X, y, noise)


def make_spirals(
    n_samples: int = 100,
    noise: float = 0.0,
    seed: int | None = None,
    *,
    n_classes: int = 3,
    turns: float = 0.65,
) -> tuple[list[Row], list[int]]:
    """``n_classes`` spiral arms starting at the origin, one class per arm.

    Each arm winds ``turns`` full turns while its radius grows from 0 to 1;
    the arms are rotated by equal angles.  A single linear layer cannot
    separate them, a small MLP can.
    """
    n_samples = _check_count("n_samples", n_samples, 1)
    n_classes = _check_count("n_classes", n_classes, 2)
    if n_samples < n_classes:
        raise ValueError(f"n_samples ({n_samples}) must be at least n_classes ({n_classes})")
    noise = _check_noise(noise)
    turns = _check_real("turns", turns)
    rng = random.Random(seed)
    X: list[Row] = []
    y: list[int] = []
    for label, count in enumerate(_split_evenly(n_samples, n_classes)):
        offset = 2.0 * math.pi * label / n_classes
        for radius in _linspace(0.0, 1.0, count):
            angle = offset + 2.0 * math.pi * turns * radius
            X.append([radius * math.cos(angle), radius * math.sin(angle)])
            y.append(label)
    return _finish(rng, X, y, noise)


def make_blobs(
    n_samples: int = 100,
    noise: float = 1.0,
    seed: int | None = None,
    *,
    centers: int | Sequence[Sequence[float]] = 3,
    n_features: int = 2,
    center_box: tuple[float, float] = (-10.0, 10.0),
) -> tuple[list[Row], list[int]]:
    """Gaussian blobs, one class per center.

    ``centers`` is a number of centers (drawn uniformly in ``center_box``) or
    the list of center coordinates.  ``noise`` is the standard deviation of
    each blob (scikit-learn's ``cluster_std``).
    """
    n_samples = _check_count("n_samples", n_samples, 1)
    noise = _check_noise(noise)
    rng = random.Random(seed)
    if isinstance(centers, numbers.Integral) and not isinstance(centers, bool):
        n_centers = _check_count("centers", centers, 1)
        n_features = _check_count("n_features", n_features, 1)
        low, high = _check_box(center_box)
        points = [[rng.uniform(low, high) for _ in range(n_features)] for _ in range(n_centers)]
    else:
        points = _center_list(centers)
        if not points or len({len(p) for p in points}) != 1 or not points[0]:
            raise ValueError(
                "centers must be an int or a non-empty list of coordinate lists of one length"
            )
    if n_samples < len(points):
        raise ValueError(f"n_samples ({n_samples}) must be at least the number of centers")
    X: list[Row] = []
    y: list[int] = []
    for label, count in enumerate(_split_evenly(n_samples, len(points))):
        X += [list(points[label]) for _ in range(count)]
        y += [label] * count
    return _finish(rng, X, y, noise)


def _center_list(centers: Any) -> list[Row]:
    if isinstance(centers, str | bytes) or not isinstance(centers, Iterable):
        raise TypeError(
            "centers must be a number of centers (int) or a list of coordinate lists, "
            f"got {centers!r}"
        )
    points = []
    for i, center in enumerate(centers):
        if isinstance(center, str | bytes) or not isinstance(center, Iterable):
            raise TypeError(f"centers[{i}] must be a list of coordinates, got {center!r}")
        points.append([_check_real(f"centers[{i}][{j}]", c) for j, c in enumerate(center)])
    return points


def _check_box(center_box: Any) -> tuple[float, float]:
    if isinstance(center_box, str | bytes) or not isinstance(center_box, Sequence):
        raise TypeError(f"center_box must be a pair (low, high), got {center_box!r}")
    if len(center_box) != 2:
        raise ValueError(f"center_box must be a pair (low, high), got {center_box!r}")
    low, high = (_check_real(f"center_box[{i}]", v) for i, v in enumerate(center_box))
    if not low < high:
        raise ValueError(f"center_box must have low < high, got {center_box!r}")
    return low, high


def make_xor(
    n_samples: int = 100, noise: float = 0.0, seed: int | None = None
) -> tuple[list[Row], list[int]]:
    """Points uniform in the square [-1, 1]^2; class 1 where the two coordinates differ in sign.

    The label is decided before the noise is added, so noise blurs the axes.
    """
    n_samples = _check_count("n_samples", n_samples, 1)
    noise = _check_noise(noise)
    rng = random.Random(seed)
    X = [[rng.uniform(-1.0, 1.0), rng.uniform(-1.0, 1.0)] for _ in range(n_samples)]
    y = [int((a < 0.0) != (b < 0.0)) for a, b in X]
    return _finish(rng, X, y, noise)


@overload
def make_regression(
    n_samples: int = ...,
    noise: float = ...,
    seed: int | None = ...,
    *,
    n_features: int = ...,
    bias: float = ...,
    coef: Literal[False] = ...,
) -> tuple[list[Row], list[float]]: ...
@overload
def make_regression(
    n_samples: int = ...,
    noise: float = ...,
    seed: int | None = ...,
    *,
    n_features: int = ...,
    bias: float = ...,
    coef: Literal[True],
) -> tuple[list[Row], list[float], list[float]]: ...
def make_regression(
    n_samples: int = 100,
    noise: float = 0.0,
    seed: int | None = None,
    *,
    n_features: int = 1,
    bias: float = 0.0,
    coef: bool = False,
) -> tuple[list[Row], list[float]] | tuple[list[Row], list[float], list[float]]:
    """A linear target ``y = X @ w + bias + noise * N(0, 1)`` with standard-normal inputs.

    The weights ``w`` are drawn uniformly from [-2, 2].  Returns ``(X, y)``, or
    ``(X, y, w)`` when ``coef=True`` (as scikit-learn), so tests can check a fit.
    """
    n_samples = _check_count("n_samples", n_samples, 1)
    n_features = _check_count("n_features", n_features, 1)
    noise = _check_noise(noise)
    bias = _check_real("bias", bias)
    rng = random.Random(seed)
    weights = [rng.uniform(-2.0, 2.0) for _ in range(n_features)]
    X = [[rng.gauss(0.0, 1.0) for _ in range(n_features)] for _ in range(n_samples)]
    y = [
        bias + math.fsum(w * x for w, x in zip(weights, row)) + noise * rng.gauss(0.0, 1.0)
        for row in X
    ]
    return (X, y, weights) if coef else (X, y)


# --- splitting ---------------------------------------------------------------------------


def train_test_split(
    X: Sequence[Iterable[_X]],
    y: Sequence[_Y],
    test_size: float = 0.25,
    seed: int | None = None,
    stratify: Sequence[Hashable] | None = None,
) -> tuple[list[list[_X]], list[list[_X]], list[_Y], list[_Y]]:
    """Shuffle and split into ``X_train, X_test, y_train, y_test`` (scikit-learn's order).

    The test set has ``ceil(test_size * n)`` samples.  With ``stratify=labels``
    (usually ``stratify=y``) each class keeps its share in both parts.
    """
    n = check_xy(X, y)
    if isinstance(test_size, bool) or not isinstance(test_size, numbers.Real):
        raise TypeError(f"test_size must be a fraction in (0, 1), got {test_size!r}")
    if not 0.0 < test_size < 1.0:
        raise ValueError(f"test_size must be a fraction strictly between 0 and 1, got {test_size}")
    n_test = math.ceil(test_size * n)
    if n_test >= n:
        raise ValueError(
            f"test_size={test_size} leaves no training sample out of {n}; use a smaller test_size"
        )
    rng = random.Random(seed)
    if stratify is None:
        order = list(range(n))
        rng.shuffle(order)
        test_idx, train_idx = order[:n_test], order[n_test:]
    else:
        if len(stratify) != n:
            raise ValueError(f"stratify must have one label per sample ({n}), got {len(stratify)}")
        test_idx, train_idx = _stratified_indices(stratify, n_test, rng)
    return (
        [list(X[i]) for i in train_idx],
        [list(X[i]) for i in test_idx],
        [y[i] for i in train_idx],
        [y[i] for i in test_idx],
    )


def _stratified_indices(
    labels: Sequence[Hashable], n_test: int, rng: random.Random
) -> tuple[list[int], list[int]]:
    """Per class, a test share proportional to the class size (largest remainders get the rest)."""
    by_class: dict[Hashable, list[int]] = {}
    for i, label in enumerate(labels):
        by_class.setdefault(label, []).append(i)
    n = len(labels)
    classes = list(by_class)
    exact = {c: n_test * len(by_class[c]) / n for c in classes}
    share = {c: math.floor(exact[c]) for c in classes}
    leftover = n_test - sum(share.values())
    for c in sorted(classes, key=lambda c: exact[c] - share[c], reverse=True)[:leftover]:
        share[c] += 1
    test_idx: list[int] = []
    train_idx: list[int] = []
    for c in classes:
        members = by_class[c][:]
        rng.shuffle(members)
        test_idx += members[: share[c]]
        train_idx += members[share[c] :]
    rng.shuffle(test_idx)
    rng.shuffle(train_idx)
    return test_idx, train_idx


# --- standardizing -------------------------------------------------------------------------


class Standardizer:
    """Rescale each feature to mean 0 and standard deviation 1 (scikit-learn's StandardScaler).

    Fit on the training data only, then transform every split with the same
    numbers, so no information leaks from the test set.  A feature that is
    constant in the training data is only centred (its scale is taken as 1).
    """

    def __init__(self) -> None:
        self.mean_: list[float] | None = None
        self.scale_: list[float] | None = None

    def fit(self, X: Sequence[Sequence[float]]) -> Standardizer:
        """Learn each feature's mean and standard deviation; every value must be finite."""
        if len(X) == 0:
            raise ValueError("Standardizer.fit: X is empty, expected at least one sample")
        rows = _finite_rows(X, "fit")
        width = len(rows[0])
        if any(len(row) != width for row in rows):
            raise ValueError(
                "Standardizer.fit: every row of X must have the same number of features"
            )
        stats = [_mean_and_std(col) for col in zip(*rows)]
        self.mean_ = [m for m, _ in stats]
        # constant (to rounding) in the training data: only centre it
        self.scale_ = [
            s if s > 1e-12 * max(abs(m), max(abs(x) for x in col)) else 1.0
            for (m, s), col in zip(stats, zip(*rows))
        ]
        return self

    def transform(self, X: Sequence[Sequence[float]]) -> list[Row]:
        """Each feature rescaled with the mean and standard deviation learnt by ``fit``."""
        self._check_width(X, "transform")
        mean, scale = self.mean_ or [], self.scale_ or []  # set: _check_width raises if unfitted
        rows = _finite_rows(X, "transform")
        return self._checked(
            [[(x - m) / s for x, m, s in zip(row, mean, scale)] for row in rows],
            "transform",
        )

    def fit_transform(self, X: Sequence[Sequence[float]]) -> list[Row]:
        """``fit(X)`` then ``transform(X)``: for the training split only."""
        return self.fit(X).transform(X)

    def inverse_transform(self, X: Sequence[Sequence[float]]) -> list[Row]:
        """Undo transform: back to the original units."""
        self._check_width(X, "inverse_transform")
        mean, scale = self.mean_ or [], self.scale_ or []  # set: _check_width raises if unfitted
        rows = _finite_rows(X, "inverse_transform")
        return self._checked(
            [[x * s + m for x, m, s in zip(row, mean, scale)] for row in rows],
            "inverse_transform",
        )

    @staticmethod
    def _checked(rows: list[Row], method: str) -> list[Row]:
        for i, row in enumerate(rows):
            for j, x in enumerate(row):
                if not math.isfinite(x):
                    raise ValueError(
                        f"Standardizer.{method}: row {i}, feature {j} overflows to {x} "
                        "(the value is far outside the data the Standardizer was fit on)"
                    )
        return rows

    def _check_width(self, X: Sequence[Sequence[float]], method: str) -> None:
        if self.mean_ is None:
            raise RuntimeError(f"Standardizer.{method}: call fit(X_train) first")
        width = len(self.mean_)
        for row in X:
            if len(row) != width:
                raise ValueError(
                    f"Standardizer.{method}: expected rows of {width} features "
                    f"(as in fit), got a row of {len(row)}"
                )


def _finite_rows(X: Iterable[Any], method: str) -> list[Row]:
    """X as lists of floats; a non-number or a NaN/inf is a ValueError naming row and feature."""
    rows = []
    for i, row in enumerate(X):
        if isinstance(row, str | bytes) or not isinstance(row, Iterable):
            raise TypeError(
                f"Standardizer.{method}: row {i} must be a list of numbers, got {row!r}"
            )
        values = list(row)
        for j, x in enumerate(values):
            if isinstance(x, bool) or not isinstance(x, numbers.Real):
                raise TypeError(
                    f"Standardizer.{method}: row {i}, feature {j} is {x!r}, expected a number"
                )
            if not math.isfinite(x):
                raise ValueError(
                    f"Standardizer.{method}: row {i}, feature {j} is {x}; every value must be "
                    "finite (one NaN would make the whole feature NaN)"
                )
        rows.append([float(x) for x in values])
    return rows


def _mean_and_std(column: Sequence[float]) -> tuple[float, float]:
    """Mean and (biased) standard deviation without overflow, even for values near 1e308."""
    n = len(column)
    biggest = max(abs(x) for x in column)
    if biggest == 0.0:
        return 0.0, 0.0
    if 1e-150 < biggest < 1e150:  # the plain formula: squares neither overflow nor underflow
        mean = math.fsum(column) / n
        return mean, math.sqrt(math.fsum((x - mean) ** 2 for x in column) / n)
    scaled = [x / biggest for x in column]  # in [-1, 1]: no square overflows or vanishes
    mean = math.fsum(scaled) / n
    var = math.fsum((x - mean) ** 2 for x in scaled) / n
    return mean * biggest, math.sqrt(var) * biggest


# --- mini-batches ------------------------------------------------------------------------------


def batches(
    X: Sequence[_X],
    y: Sequence[_Y],
    batch_size: int,
    shuffle: bool = True,
    seed: int | None = None,
) -> Iterator[tuple[list[_X], list[_Y]]]:
    """Yield ``(X_batch, y_batch)`` pairs covering every sample once; the last may be smaller.

    Arguments are checked when called, not at the first ``next()``.
    """
    n = check_xy(X, y)
    batch_size = _check_count("batch_size", batch_size, 1)
    order = list(range(n))
    if shuffle:
        random.Random(seed).shuffle(order)
    return _iterate_batches(X, y, order, batch_size)


def _iterate_batches(
    X: Sequence[_X], y: Sequence[_Y], order: list[int], batch_size: int
) -> Iterator[tuple[list[_X], list[_Y]]]:
    for start in range(0, len(order), batch_size):
        chunk = order[start : start + batch_size]
        yield [X[i] for i in chunk], [y[i] for i in chunk]


# --- the model notebooks' datasets (digits, time series, sentiment, names) ---------------------
# They live in micrograd_plus/datasets/ beside the files they read; import them from here.
from .datasets import (  # noqa: E402
    NEGATIONS,
    SENTIMENT_WORDS,
    load_digits,
    load_names,
    load_sentiment,
    make_time_series,
    sliding_windows,
    to_images,
    vocabulary,
)

__all__ += [
    "NEGATIONS",
    "SENTIMENT_WORDS",
    "load_digits",
    "load_names",
    "load_sentiment",
    "make_time_series",
    "sliding_windows",
    "to_images",
    "vocabulary",
]
