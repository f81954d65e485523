"""``History``: the record fit() returns, one entry per epoch, and its JSON round trip.

A History is plain data (lists and dicts of floats) that outlives training:
it is plotted, saved and read back, and compared across runs. It lives apart
from ``train.py`` because nothing in it knows how training works. Import it
from ``micrograd_plus.train`` (or ``micrograd_plus``) as usual.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from typing import Any

from .files import read_json, to_strict_json, write_json


class History:
    """What happened during fit(), one entry per epoch; plain lists and dicts, JSON-ready.

    ``epochs``: epoch numbers, counted from 1.  ``train`` / ``val``: ``"loss"``
    and each metric name -> list of per-epoch values (``val`` is empty without
    validation data).  ``lr``: the learning rate used during each epoch.
    ``grad_norms``: layer name -> L2 norm of that layer's gradient, averaged
    over the epoch's steps (measured before clipping).  ``time``: wall seconds
    per epoch.  ``stopped_early``: a callback stopped training.  ``interrupted``:
    Ctrl-C ended training (only finished epochs are kept).  ``skipped_batches``:
    ``[epoch, batch]`` of each batch not applied because its loss, gradient or
    step was not finite (``fit(on_nonfinite="skip")``).
    ``best_epoch``: the epoch with the best monitored value (EarlyStopping's
    monitor, else the lowest validation loss, else the lowest training loss).
    """

    FORMAT_VERSION: int = 1

    def __init__(self, metric_names: Sequence[str] = (), has_val: bool = False) -> None:
        keys = ["loss", *metric_names]
        self.epochs: list[int] = []
        self.train: dict[str, list[float]] = {k: [] for k in keys}
        self.val: dict[str, list[float]] = {k: [] for k in keys} if has_val else {}
        self.lr: list[float] = []
        self.grad_norms: dict[str, list[float]] = {}
        self.time: list[float] = []
        self.stopped_early: bool = False
        self.best_epoch: int | None = None
        self.interrupted: bool = False
        self.skipped_batches: list[list[int]] = []

    def __repr__(self) -> str:
        last = {k: v[-1] for k, v in self.train.items() if v}
        return f"History(epochs={len(self.epochs)}, last={last}, best_epoch={self.best_epoch})"

    def get(self, key: str) -> list[float]:
        """A series by its logged name: ``"loss"``, ``"accuracy"``, ``"val_loss"``, ..."""
        if key.startswith("val_"):
            series = self.val.get(key[4:])
        else:
            series = self.train.get(key)
        if series is None:
            known = list(self.train) + [f"val_{k}" for k in self.val]
            raise KeyError(f"History has no series {key!r}; it has {known}")
        return series

    def to_dict(self) -> dict[str, Any]:
        """The history as plain dicts and lists (copies), the shape ``to_json`` writes."""
        return {
            "format_version": self.FORMAT_VERSION,
            "epochs": list(self.epochs),
            "train": {k: list(v) for k, v in self.train.items()},
            "val": {k: list(v) for k, v in self.val.items()},
            "lr": list(self.lr),
            "grad_norms": {k: list(v) for k, v in self.grad_norms.items()},
            "time": list(self.time),
            "stopped_early": self.stopped_early,
            "best_epoch": self.best_epoch,
            "interrupted": self.interrupted,
            "skipped_batches": [list(b) for b in self.skipped_batches],
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> History:
        """A History from ``to_dict``'s output; a ValueError names what is missing or wrong."""
        history = cls()
        try:
            history.epochs = [int(e) for e in d["epochs"]]
            history.train = {k: [float(x) for x in v] for k, v in d["train"].items()}
            history.val = {k: [float(x) for x in v] for k, v in d.get("val", {}).items()}
            history.lr = [float(x) for x in d.get("lr", [])]
            history.grad_norms = {
                k: [float(x) for x in v] for k, v in d.get("grad_norms", {}).items()
            }
            history.time = [float(x) for x in d.get("time", [])]
        except (KeyError, AttributeError, TypeError, ValueError) as error:
            raise ValueError(
                f"not a History dict (expected 'epochs' and 'train'): {error}"
            ) from None
        history.stopped_early = bool(d.get("stopped_early", False))
        history.interrupted = bool(d.get("interrupted", False))
        try:
            history.skipped_batches = [[int(e), int(b)] for e, b in d.get("skipped_batches", [])]
        except (TypeError, ValueError) as error:
            raise ValueError(f"not a History dict: bad 'skipped_batches': {error}") from None
        best = d.get("best_epoch")
        history.best_epoch = None if best is None else int(best)
        return history

    def to_json(self, path: str | os.PathLike[str] | None = None) -> str:
        """The history as strict JSON text; also written to ``path`` (atomically) when given.

        NaN and infinite values (a diverged loss) are written as the strings
        ``"NaN"``, ``"Infinity"``, ``"-Infinity"`` so that strict parsers accept
        the file; ``from_json`` reads them back as floats.
        """
        if path is None:
            return to_strict_json(self.to_dict())
        return write_json(path, self.to_dict())

    @classmethod
    def from_json(cls, source: str | os.PathLike[str]) -> History:
        """Read a history from JSON text (a string starting with '{') or from a file path."""
        if isinstance(source, str) and source.lstrip().startswith("{"):
            try:
                return cls.from_dict(json.loads(source))
            except json.JSONDecodeError as err:
                raise ValueError(f"not valid History JSON: {err}") from None
        return cls.from_dict(read_json(source, what="History JSON file"))
