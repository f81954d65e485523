"""Weight initialisers and random-number sources for the modules in ``nn.py`` and ``layers.py``.

Three ways to draw a neuron's starting weights (biases always start at 0):

* ``"uniform"``: uniform on [-1, 1], exactly as micrograd does;
* ``"xavier"`` / ``"glorot"``: uniform on [-a, a] with a = sqrt(6 / (fan_in + fan_out)),
  which keeps the variance of activations steady through tanh / sigmoid layers;
* ``"he"`` / ``"kaiming"``: uniform on [-a, a] with a = sqrt(6 / fan_in), which
  does the same for ReLU layers (half the units are off, so twice the variance).

These are PyTorch's ``xavier_uniform_`` (gain 1) and ``kaiming_uniform_``
(``nonlinearity="relu"``).
"""

from __future__ import annotations

import math
import random
from typing import Any

INITS = ("uniform", "xavier", "glorot", "he", "kaiming")

RandomSource = random.Random  # anything with .uniform(a, b) and .random()
#: What a ``seed=`` argument takes: None (the global ``random``), an int, or a ``random.Random``.
Seed = int | random.Random | None


def make_rng(seed: Seed) -> Any:
    """The random source to draw from.

    ``None`` uses Python's global ``random`` module, so ``random.seed(1337)``
    reproduces micrograd's weights; an int gives a private ``random.Random(seed)``
    that leaves the global state alone; a ``random.Random`` is used as is (to
    share one stream between several modules). The result has ``uniform`` and
    ``random`` (the ``random`` module or a ``random.Random``).
    """
    if seed is None or seed is random:  # type: ignore[comparison-overlap]
        return random
    if isinstance(seed, random.Random):
        return seed
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise TypeError(
            f"seed must be an int, a random.Random or None, got {type(seed).__name__} {seed!r}"
        )
    return random.Random(seed)


def check_init(init: str) -> str:
    """``init`` itself if it names a known initialiser (see ``INITS``), else a ValueError."""
    if init not in INITS:
        raise ValueError(f"init must be one of {', '.join(map(repr, INITS))}; got {init!r}")
    return init


def init_bound(init: str, fan_in: int, fan_out: int) -> float:
    """Half-width of the uniform distribution the weights are drawn from."""
    check_init(init)
    if init == "uniform":
        return 1.0
    if init in ("xavier", "glorot"):
        return math.sqrt(6.0 / (fan_in + fan_out))
    return math.sqrt(6.0 / fan_in)


def init_weights(init: str, fan_in: int, fan_out: int, rng: Any) -> list[float]:
    """``fan_in`` weights for one neuron, drawn in order from ``rng``."""
    bound = init_bound(init, fan_in, fan_out)
    return [rng.uniform(-bound, bound) for _ in range(fan_in)]
