"""``Embedding``: a table of learned vectors looked up by an integer id (a token).

``emb(i)`` returns row ``i`` of ``emb.weight`` as a list of Values, like
``torch.nn.Embedding``.  Each entry of the row is a ``take`` (a gather) over
one column, so under ``compile`` the token id is read at every call: one trace
serves every token sequence of a given length.
"""

from __future__ import annotations

import numbers
from typing import Any

from .engine import Value, take
from .init import Seed, make_rng
from .module import Module


class Embedding(Module):
    """``num_embeddings`` rows of ``embedding_dim`` Values, drawn from N(0, 1) as in PyTorch.

    Parameters are named ``weight[i,j]`` (row i, column j).
    """

    #: ``[num_embeddings][embedding_dim]``: row i is token i's vector.
    weight: list[list[Value]]

    def __init__(self, num_embeddings: int, embedding_dim: int, seed: Seed = None) -> None:
        for name, n in (("num_embeddings", num_embeddings), ("embedding_dim", embedding_dim)):
            if isinstance(n, bool) or not isinstance(n, int) or n < 1:
                raise ValueError(f"Embedding: {name} must be a positive int, got {n!r}")
        rng = make_rng(seed)
        self.weight = [
            [Value(rng.gauss(0.0, 1.0)) for _ in range(embedding_dim)]
            for _ in range(num_embeddings)
        ]

    @property
    def num_embeddings(self) -> int:
        """Rows in the table: the number of distinct token ids."""
        return len(self.weight)

    @property
    def embedding_dim(self) -> int:
        """The length of each row (the size of a token's vector)."""
        return len(self.weight[0])

    def _own_parameters(self) -> list[tuple[str, Value]]:
        return [
            (f"weight[{i},{j}]", v) for i, row in enumerate(self.weight) for j, v in enumerate(row)
        ]

    def forward(self, index: Any) -> list[Value]:
        """The embedding row of token ``index`` (an int, or a traced int under compile)."""
        if isinstance(index, bool) or not isinstance(index, numbers.Integral):
            raise TypeError(
                f"Embedding expects an int index (a token id), got {type(index).__name__} {index!r}"
            )
        n = self.num_embeddings
        if not (index >= 0 and index < n):  # type: ignore[operator]  # a guard under compile
            raise IndexError(f"Embedding: index {int(index)} is out of range (valid: 0..{n - 1})")
        if index.__class__ is int:  # type: ignore[comparison-overlap]
            return list(self.weight[index])
        columns = zip(*self.weight)
        return [take(column, index) for column in columns]  # type: ignore[arg-type]

    def extra_repr(self) -> str:
        """The constructor arguments, shown by ``repr``."""
        return f"{self.num_embeddings}, {self.embedding_dim}"
