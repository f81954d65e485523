"""The datasets of the model notebooks: digits, time series, a sentiment task and names.

Re-exported from ``micrograd_plus.data``; import them from there.  All are on
plain lists, seeded, and need no network: the digits and the names ship inside
the package (sources and licences in ``datasets/README.md``).
"""

from __future__ import annotations

import gzip
import math
import numbers
import random
from collections.abc import Sequence
from importlib import resources

__all__ = [
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


def _read(name: str) -> bytes:
    return resources.files(__name__).joinpath(name).read_bytes()


# --- handwritten digits ------------------------------------------------------------------


def load_digits() -> tuple[list[list[float]], list[int]]:
    """The 1,797 8x8 handwritten digits (UCI, as in scikit-learn's ``load_digits``).

    Returns ``(X, y)``: X rows of 64 floats in [0, 1] (pixel / 16, row by row),
    y the digits 0-9 as ints, in scikit-learn's order.  ``to_images(X)`` gives
    ``[1][8][8]`` images for ``Conv2d``.
    """
    X, y = [], []
    for line in gzip.decompress(_read("digits.csv.gz")).decode("ascii").splitlines():
        label, *pixels = line.split(",")
        y.append(int(label))
        X.append([int(p) / 16.0 for p in pixels])
    return X, y


def to_images(
    X: Sequence[Sequence[float]], height: int = 8, width: int = 8
) -> list[list[list[list[float]]]]:
    """Rows of ``height * width`` pixels as one-channel images ``[1][height][width]``."""
    size = height * width
    images: list[list[list[list[float]]]] = []
    for i, row in enumerate(X):
        if len(row) != size:
            raise ValueError(
                f"to_images: row {i} has {len(row)} pixels, expected {height} x {width} = {size}"
            )
        images.append([[list(row[r * width : (r + 1) * width]) for r in range(height)]])
    return images


# --- time series ----------------------------------------------------------------------------


def make_time_series(
    n_samples: int = 400,
    noise: float = 0.1,
    seed: int | None = None,
    *,
    kind: str = "sine",
    period: float = 40.0,
    trend: float = 0.002,
) -> list[float]:
    """A seeded series of ``n_samples`` floats for forecasting.

    ``kind="sine"``: sin(2 pi t / period) plus a second, slower harmonic, a linear
    ``trend`` per step and Gaussian ``noise``.  ``kind="price"``: a geometric random
    walk starting at 100 (daily returns with drift ``trend`` and volatility
    ``noise / 10``), the shape of a stock price: no period, only momentum and noise.
    """
    if isinstance(n_samples, bool) or not isinstance(n_samples, numbers.Integral):
        raise TypeError(f"n_samples must be an int, got {n_samples!r}")
    if n_samples < 2:
        raise ValueError(f"n_samples must be at least 2, got {n_samples}")
    if not (isinstance(noise, numbers.Real) and noise >= 0):
        raise ValueError(f"noise must be a number >= 0, got {noise!r}")
    rng = random.Random(seed)
    if kind == "sine":
        return [
            math.sin(2 * math.pi * t / period)
            + 0.3 * math.sin(2 * math.pi * t / (2.7 * period))
            + trend * t
            + rng.gauss(0.0, noise)
            for t in range(n_samples)
        ]
    if kind == "price":
        price, series = 100.0, []
        for _ in range(n_samples):
            series.append(price)
            price *= math.exp(trend + rng.gauss(0.0, noise / 10))
        return series
    raise ValueError(f"make_time_series: kind must be 'sine' or 'price', got {kind!r}")


def sliding_windows(
    series: Sequence[float], window: int, horizon: int = 1
) -> tuple[list[list[float]], list[float]]:
    """``(X, y)``: every run of ``window`` values, and the value ``horizon`` steps after it."""
    if isinstance(window, bool) or not isinstance(window, int) or window < 1:
        raise ValueError(f"window must be a positive int, got {window!r}")
    if isinstance(horizon, bool) or not isinstance(horizon, int) or horizon < 1:
        raise ValueError(f"horizon must be a positive int, got {horizon!r}")
    n = len(series) - window - horizon + 1
    if n < 1:
        raise ValueError(
            f"a series of {len(series)} values is too short for window {window} + horizon {horizon}"
        )
    X = [list(series[i : i + window]) for i in range(n)]
    y = [float(series[i + window + horizon - 1]) for i in range(n)]
    return X, y


# --- a small sentiment task -----------------------------------------------------------------

#: Words that carry sentiment: +1 positive, -1 negative.  Everything else is neutral.
SENTIMENT_WORDS = {
    **dict.fromkeys(["good", "great", "excellent", "fun", "lovely", "wonderful", "enjoyable"], 1),
    **dict.fromkeys(["bad", "boring", "awful", "terrible", "dull", "poor", "horrible"], -1),
}
#: A negation flips the sentiment of the word it precedes ("not good" is negative).
NEGATIONS = ("not", "never")
INTENSIFIERS = ("very", "really", "so", "truly")
_SUBJECTS = ("movie", "film", "plot", "food", "service", "book", "show", "song", "story")
_THINGS = ("movie", "film", "book", "show", "song", "story")  # what "it was a ..." can be
_DETERMINERS = ("the", "this", "that")
_VERBS = ("was", "is", "seemed", "felt")
_TAILS = ((), ("today",), ("overall",), ("to", "me"), ("honestly",))


def _sentence(rng: random.Random) -> tuple[list[str], int]:
    word = rng.choice(sorted(SENTIMENT_WORDS))
    negated = rng.random() < 0.5
    negation = [rng.choice(NEGATIONS)] if negated else []
    intensify = rng.random() < 0.4
    if rng.random() < 0.6:  # "the food was not very good"
        intensifier = [rng.choice(INTENSIFIERS)] if intensify else []
        words = [rng.choice(_DETERMINERS), rng.choice(_SUBJECTS), rng.choice(_VERBS), *negation]
        words += [*intensifier, word]
    else:  # "it was not a really good film"
        intensifier = [rng.choice(("very", "really", "truly"))] if intensify else []
        subject = rng.choice(_THINGS)
        words = ["it", rng.choice(("was", "is")), *negation, "a", *intensifier, word, subject]
    words += rng.choice(_TAILS)
    positive = (SENTIMENT_WORDS[word] > 0) != negated
    return words, int(positive)


def load_sentiment(
    n_train: int = 600, n_test: int = 200, seed: int = 0
) -> tuple[list[list[str]], list[list[str]], list[int], list[int]]:
    """A generated sentiment task: ``(X_train, X_test, y_train, y_test)``, sentences as word lists.

    Each sentence has one sentiment word (``SENTIMENT_WORDS``), maybe a negation
    before it (``NEGATIONS``, which flips it) and an intensifier ("very", which does
    not), among neutral words, in two sentence patterns: "the film was not very
    good", "it was a really bad movie to me".  Label 1 = positive, 0 = negative.
    The sentences are distinct and no test sentence appears in training; the split
    is fixed by ``seed``.  A bag of words cannot solve it (the same words appear in
    "not good" and "good"): a model must relate the negation to the word after it.
    """
    rng = random.Random(seed)
    seen: dict[tuple[str, ...], int] = {}
    attempts = 0
    while len(seen) < n_train + n_test:
        words, label = _sentence(rng)
        seen.setdefault(tuple(words), label)
        attempts += 1
        if attempts > 100 * (n_train + n_test):
            raise ValueError(f"cannot generate {n_train + n_test} distinct sentences")
    items = list(seen.items())
    rng.shuffle(items)
    X = [list(words) for words, _ in items]
    y = [label for _, label in items]
    return X[:n_train], X[n_train:], y[:n_train], y[n_train:]


def vocabulary(sentences: Sequence[Sequence[str]], pad: str = "<pad>") -> list[str]:
    """Every word of ``sentences`` once, sorted, after ``pad`` (so the pad token is 0)."""
    return [pad] + sorted({w for s in sentences for w in s} - {pad})


# --- names ----------------------------------------------------------------------------------


def load_names() -> list[str]:
    """The 32,033 first names of Karpathy's makemore ``names.txt`` (MIT), in file order."""
    return _read("names.txt").decode("utf-8").split()
