"""Convolution and pooling on one image ``[C][H][W]`` of Values (PyTorch's Conv2d, pools).

Every output pixel of a convolution is one ``sum_values`` node over the products
of a ``k x k`` patch with the kernel, plus the bias: ``draw_dot`` of one output
shows exactly its receptive field.  Weights are nested lists in PyTorch's layout,
``weight[out][in][kh][kw]`` and ``bias[out]``, so they copy across to and from
``torch.nn.Conv2d`` element by element.

Max pooling uses the ``max_values`` primitive: one node per window, with the
gradient going to the first arg-max, as in PyTorch.  It never compares ``.data``
in Python, so ``compile`` replays it correctly whatever the input.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from functools import lru_cache
from typing import Any, TypeAlias

from . import engine
from ._nested import NestedParameters, pair, positive_int, torch_default_bound, uniform_values
from .engine import Value, sum_values
from .init import Seed, make_rng
from .module import Module

__all__ = ["AvgPool2d", "Conv2d", "Flatten", "MaxPool2d", "check_image"]

#: One image ``[C][H][W]`` (channels, rows, columns) of Values, as the layers here return it.
Image: TypeAlias = "list[list[list[Value]]]"


def check_image(x: Any, who: str, channels: int | None = None) -> Sequence[Any]:
    """``x`` as a ``[C][H][W]`` list, with a clear error for any other shape."""
    if isinstance(x, Value | numbers.Real | str) or not isinstance(x, Sequence) or not x:
        raise TypeError(f"{who} expects one image as nested lists [C][H][W], got {x!r:.60}")
    if not all(isinstance(p, Sequence) and p and isinstance(p[0], Sequence) for p in x):
        raise ValueError(
            f"{who} expects one image as nested lists [C][H][W] (channels, rows, columns); "
            "got a list that is not 3 levels deep (a flat row of pixels? reshape it first, "
            "e.g. with data.to_images)"
        )
    if channels is not None and len(x) != channels:
        raise ValueError(f"{who} expects {channels} input channels, got {len(x)}")
    height, width = len(x[0]), len(x[0][0])
    for c, plane in enumerate(x):
        if len(plane) != height or any(len(row) != width for row in plane):
            raise ValueError(f"{who}: channel {c} is not {height} x {width} like channel 0")
    return x


def _out_size(size: int, kernel: int, stride: int, padding: int, who: str) -> int:
    out = (size + 2 * padding - kernel) // stride + 1
    if out < 1:
        raise ValueError(
            f"{who}: the input ({size} pixels, padding {padding}) is smaller "
            f"than the kernel ({kernel})"
        )
    return out


@lru_cache(maxsize=64)
def _windows(
    height: int,
    width: int,
    kernel: tuple[int, int],
    stride: tuple[int, int],
    padding: tuple[int, int],
) -> tuple[tuple[tuple[tuple[int, int, int, int], ...], ...], ...]:
    """Per output pixel, its (kernel row, kernel col, input row, input col) taps in the image.

    Taps falling on the zero padding are left out: they would add 0.
    """
    (kh, kw), (sh, sw), (ph, pw) = kernel, stride, padding
    oh = (height + 2 * ph - kh) // sh + 1
    ow = (width + 2 * pw - kw) // sw + 1
    grid = []
    for i in range(oh):
        row = []
        for j in range(ow):
            taps: list[tuple[int, int, int, int]] = []
            for a in range(kh):
                r = i * sh + a - ph
                if not 0 <= r < height:
                    continue
                for b in range(kw):
                    q = j * sw + b - pw
                    if 0 <= q < width:
                        taps.append((a, b, r, q))
            row.append(tuple(taps))
        grid.append(tuple(row))
    return tuple(grid)


class Conv2d(NestedParameters, Module):
    """2-D convolution (cross-correlation, as PyTorch) of one image ``[C][H][W]``.

    Returns ``[out_channels][H'][W']`` with H' = (H + 2 padding - k) // stride + 1.
    Weights start as PyTorch's: U(-1/sqrt(fan_in), 1/sqrt(fan_in)), fan_in = C k k.
    """

    in_channels: int
    out_channels: int
    kernel_size: tuple[int, int]
    stride: tuple[int, int]
    padding: tuple[int, int]
    #: ``[out][in][kh][kw]``, PyTorch's layout.
    weight: list[list[list[list[Value]]]]
    bias: list[Value] | None

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int | tuple[int, int],
        stride: int | tuple[int, int] = 1,
        padding: int | tuple[int, int] = 0,
        bias: bool = True,
        seed: Seed = None,
    ) -> None:
        who = "Conv2d"
        self.in_channels = positive_int("in_channels", in_channels, who)
        self.out_channels = positive_int("out_channels", out_channels, who)
        self.kernel_size = pair("kernel_size", kernel_size, who)
        self.stride = pair("stride", stride, who)
        self.padding = pair("padding", padding, who, minimum=0)
        rng = make_rng(seed)
        kh, kw = self.kernel_size
        bound = torch_default_bound(in_channels * kh * kw)
        self.weight = uniform_values((out_channels, in_channels, kh, kw), bound, rng)
        self.bias = uniform_values((out_channels,), bound, rng) if bias else None

    def forward(self, x: Any) -> Image:
        """The ``[out_channels][H'][W']`` feature maps of one image ``x`` ``[C][H][W]``."""
        x = check_image(x, "Conv2d", self.in_channels)
        height, width = len(x[0]), len(x[0][0])
        for size, k, p in zip((height, width), self.kernel_size, self.padding):
            _out_size(size, k, 1, p, "Conv2d")
        grid = _windows(height, width, self.kernel_size, self.stride, self.padding)
        channels = range(self.in_channels)
        out: Image = []
        for o, kernel in enumerate(self.weight):
            tail = [self.bias[o]] if self.bias is not None else []
            out.append(
                [
                    [
                        sum_values(
                            [kernel[c][a][b] * x[c][r][q] for c in channels for a, b, r, q in taps]
                            + tail
                        )
                        for taps in row
                    ]
                    for row in grid
                ]
            )
        return out

    def extra_repr(self) -> str:
        """The constructor arguments, shown by ``repr``."""
        k = self.kernel_size
        text = f"{self.in_channels}, {self.out_channels}, kernel_size={k}, stride={self.stride}"
        if self.padding != (0, 0):
            text += f", padding={self.padding}"
        return text + ("" if self.bias is not None else ", bias=False")


class _Pool2d(Module):
    """Shared by the pools: the windows of each channel, reduced by ``_reduce``."""

    kernel_size: tuple[int, int]
    stride: tuple[int, int]

    def __init__(
        self, kernel_size: int | tuple[int, int], stride: int | tuple[int, int] | None = None
    ) -> None:
        who = type(self).__name__
        self.kernel_size = pair("kernel_size", kernel_size, who)
        self.stride = self.kernel_size if stride is None else pair("stride", stride, who)

    def forward(self, x: Any) -> Image:
        """Each channel of one image ``[C][H][W]`` pooled window by window."""
        who = type(self).__name__
        x = check_image(x, who)
        height, width = len(x[0]), len(x[0][0])
        for size, k, s in zip((height, width), self.kernel_size, self.stride):
            _out_size(size, k, s, 0, who)
        grid = _windows(height, width, self.kernel_size, self.stride, (0, 0))
        return [
            [[self._reduce([plane[r][q] for _, _, r, q in taps]) for taps in row] for row in grid]
            for plane in x
        ]

    def _reduce(self, window: list[Any]) -> Value:
        raise NotImplementedError

    def extra_repr(self) -> str:
        """The constructor arguments, shown by ``repr``."""
        return f"kernel_size={self.kernel_size}, stride={self.stride}"


class MaxPool2d(_Pool2d):
    """The largest value of each window (stride defaults to kernel_size, as PyTorch)."""

    def _reduce(self, window: list[Any]) -> Value:
        return engine.max_values(window)


class AvgPool2d(_Pool2d):
    """The mean of each window (stride defaults to kernel_size, as PyTorch)."""

    def _reduce(self, window: list[Any]) -> Value:
        return sum_values(window) * (1.0 / len(window))


class Flatten(Module):
    """Nested lists (such as ``[C][H][W]``) to one flat list, in row-major order (as PyTorch)."""

    def forward(self, x: Any) -> list[Value | float]:
        """Every number or Value of the nested lists ``x``, in row-major order."""
        flat: list[Value | float] = []
        _flatten_into(x, flat)
        return flat


def _flatten_into(x: Any, flat: list[Any]) -> None:
    if isinstance(x, Value | numbers.Real):
        flat.append(x)
    elif isinstance(x, Sequence) and not isinstance(x, str):
        for item in x:
            _flatten_into(item, flat)
    else:
        raise TypeError(f"Flatten expects nested lists of numbers or Values, got {x!r:.60}")
