"""Causal self-attention and the transformer block built from it (a GPT's layer).

``CausalSelfAttention(embed_dim, num_heads)`` maps a sequence of rows ``[T][E]``
to ``[T][E]``.  Position t attends only to positions s <= t: the scores of
later positions are never computed (the same result as PyTorch's ``-inf``
mask, with fewer nodes).  Weights follow ``torch.nn.MultiheadAttention``:
``in_proj_weight [3E][E]`` holds the query, key and value projections stacked
in that order, ``in_proj_bias [3E]``, then ``out_proj_weight [E][E]`` and
``out_proj_bias [E]`` (PyTorch's ``out_proj.weight`` / ``out_proj.bias``).

The attention weights of the last call are kept as floats in
``attention_weights[head][t][s]`` for plotting; ``forward_with_weights`` returns
them as Values (a compiled function can return them as its aux).
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Sequence
from typing import Any

from ._nested import (
    NestedParameters,
    affine,
    check_vector,
    constant_values,
    positive_int,
    torch_default_bound,
    uniform_values,
)
from .engine import Value, sum_values
from .init import Seed, make_rng
from .losses import softmax
from .module import Module
from .norm import LayerNorm, RMSNorm

__all__ = ["CausalSelfAttention", "FeedForward", "TransformerBlock"]


def _check_rows(x: Any, width: int, who: str) -> list[list[Any]]:
    if (
        isinstance(x, str)
        or not isinstance(x, Sequence)
        or not x
        or isinstance(x[0], Value | numbers.Real)
    ):
        raise TypeError(
            f"{who} expects a sequence of rows [T][{width}] (one row per position), got {x!r:.60}"
        )
    return [check_vector(row, width, who, "row") for row in x]


class CausalSelfAttention(NestedParameters, Module):
    """Multi-head self-attention where each position sees itself and the positions before it."""

    embed_dim: int
    num_heads: int
    head_dim: int
    #: ``[3E][E]``: the query, key and value projections stacked, as PyTorch stores them.
    in_proj_weight: list[list[Value]]
    in_proj_bias: list[Value] | None
    out_proj_weight: list[list[Value]]
    out_proj_bias: list[Value] | None
    #: The last call's attention weights as floats, ``[head][t][s]`` (0.0 where s > t).
    attention_weights: list[list[list[float]]]

    def __init__(
        self, embed_dim: int, num_heads: int, bias: bool = True, seed: Seed = None
    ) -> None:
        who = "CausalSelfAttention"
        self.embed_dim = positive_int("embed_dim", embed_dim, who)
        self.num_heads = positive_int("num_heads", num_heads, who)
        if embed_dim % num_heads:
            raise ValueError(
                f"{who}: embed_dim ({embed_dim}) must be divisible by num_heads ({num_heads})"
            )
        self.head_dim = embed_dim // num_heads
        rng = make_rng(seed)
        bound = torch_default_bound(embed_dim)
        self.in_proj_weight = uniform_values((3 * embed_dim, embed_dim), bound, rng)
        self.in_proj_bias = constant_values((3 * embed_dim,), 0.0) if bias else None
        self.out_proj_weight = uniform_values((embed_dim, embed_dim), bound, rng)
        self.out_proj_bias = constant_values((embed_dim,), 0.0) if bias else None
        self.attention_weights = []

    def forward(self, x: Sequence[Sequence[Value | float]]) -> list[list[Value]]:
        """The rows ``[T][E]`` after attention: row t mixes the values of positions 0..t."""
        out, _ = self.forward_with_weights(x)
        return out

    def forward_with_weights(
        self, x: Sequence[Sequence[Value | float]]
    ) -> tuple[list[list[Value]], list[list[list[Value | float]]]]:
        """``(rows out, weights[head][t][s])``; the masked weights (s > t) are the number 0.0."""
        x = _check_rows(x, self.embed_dim, "CausalSelfAttention")
        E, D = self.embed_dim, self.head_dim
        qkv = [affine(self.in_proj_weight, self.in_proj_bias, row) for row in x]
        scale = 1.0 / math.sqrt(D)
        T = len(x)
        weights: list[list[list[Value | float]]] = [
            [[0.0] * T for _ in range(T)] for _ in range(self.num_heads)
        ]
        out: list[list[Value]] = []
        for t in range(T):
            heads: list[Value] = []
            for h in range(self.num_heads):
                q = qkv[t][h * D : (h + 1) * D]
                keys = [qkv[s][E + h * D : E + (h + 1) * D] for s in range(t + 1)]
                scores = [sum_values([a * b for a, b in zip(q, k)]) * scale for k in keys]
                probs = softmax(scores)
                weights[h][t][: t + 1] = probs
                for d in range(D):
                    heads.append(
                        sum_values([p * qkv[s][2 * E + h * D + d] for s, p in enumerate(probs)])
                    )
            out.append(affine(self.out_proj_weight, self.out_proj_bias, heads))
        self.attention_weights = [[[float(p) for p in row] for row in head] for head in weights]
        return out, weights

    def extra_repr(self) -> str:
        """The constructor arguments, shown by ``repr``."""
        return f"embed_dim={self.embed_dim}, num_heads={self.num_heads}"


class FeedForward(NestedParameters, Module):
    """A transformer's position-wise MLP: ``fc`` (E -> hidden), ReLU, ``proj`` (hidden -> E)."""

    embed_dim: int
    hidden_dim: int
    fc_weight: list[list[Value]]
    fc_bias: list[Value] | None
    proj_weight: list[list[Value]]
    proj_bias: list[Value] | None

    def __init__(
        self, embed_dim: int, hidden_dim: int | None = None, bias: bool = True, seed: Seed = None
    ) -> None:
        who = "FeedForward"
        self.embed_dim = positive_int("embed_dim", embed_dim, who)
        self.hidden_dim = positive_int("hidden_dim", hidden_dim or 4 * embed_dim, who)
        rng = make_rng(seed)
        b_in, b_hidden = torch_default_bound(self.embed_dim), torch_default_bound(self.hidden_dim)
        self.fc_weight = uniform_values((self.hidden_dim, embed_dim), b_in, rng)
        self.fc_bias = uniform_values((self.hidden_dim,), b_in, rng) if bias else None
        self.proj_weight = uniform_values((embed_dim, self.hidden_dim), b_hidden, rng)
        self.proj_bias = uniform_values((embed_dim,), b_hidden, rng) if bias else None

    def forward(self, x: Any) -> Any:
        """One row ``[E]`` to ``[E]``, or each row of ``[T][E]`` (the same MLP at each position)."""
        if x and isinstance(x[0], Value | numbers.Real):
            hidden = [
                v.relu()
                for v in affine(
                    self.fc_weight, self.fc_bias, check_vector(x, self.embed_dim, "FeedForward")
                )
            ]
            return affine(self.proj_weight, self.proj_bias, hidden)
        return [self.forward(row) for row in x]

    def extra_repr(self) -> str:
        """The constructor arguments, shown by ``repr``."""
        return f"{self.embed_dim}, {self.hidden_dim}"


class TransformerBlock(Module):
    """A pre-norm transformer layer: x + attn(norm(x)), then x + mlp(norm(x)), on rows ``[T][E]``.

    ``norm="rms"`` (RMSNorm without weights, as microgpt) or ``"layer"`` (LayerNorm, as GPT-2).
    """

    def __init__(
        self,
        embed_dim: int,
        num_heads: int,
        hidden_dim: int | None = None,
        norm: str = "layer",
        bias: bool = True,
        seed: Seed = None,
    ) -> None:
        if norm not in ("layer", "rms"):
            raise ValueError(f"TransformerBlock: norm must be 'layer' or 'rms', got {norm!r}")
        rng = make_rng(seed)
        make_norm: Callable[[], LayerNorm | RMSNorm] = (
            (lambda: LayerNorm(embed_dim))
            if norm == "layer"
            else (lambda: RMSNorm(embed_dim, eps=1e-5, elementwise_affine=False))
        )
        self.norm1: LayerNorm | RMSNorm = make_norm()
        self.attn: CausalSelfAttention = CausalSelfAttention(
            embed_dim, num_heads, bias=bias, seed=rng
        )
        self.norm2: LayerNorm | RMSNorm = make_norm()
        self.mlp: FeedForward = FeedForward(embed_dim, hidden_dim, bias=bias, seed=rng)

    def forward(self, x: Sequence[Sequence[Value | float]]) -> list[list[Value]]:
        """The rows ``[T][E]`` after attention and the MLP, each added to its input (residual)."""
        x = [[a + b for a, b in zip(row, upd)] for row, upd in zip(x, self.attn(self.norm1(x)))]
        return [[a + b for a, b in zip(row, upd)] for row, upd in zip(x, self.mlp(self.norm2(x)))]
