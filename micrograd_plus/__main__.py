"""Command line: ``python -m micrograd_plus demo`` (also installed as ``micrograd-plus``)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

DESCRIPTION = "micrograd_plus: a scalar autograd engine and a small neural-network library."

DEMO_HELP = """\
Train a small MLP (ReLU hidden layers, Adam, the fit() training loop) on a toy
2-D dataset, print the final train and validation accuracy, and write into --out:

  decision_boundary.png  the regions the model assigns to each class, data on top
  history.png            loss and accuracy per epoch, train vs validation
  graph.svg              micrograd's lecture neuron tanh(x1*w1 + x2*w2 + b) after
                         backward(), drawn by draw_dot (data and grad of every node)

The PNGs need matplotlib (pip install 'micrograd_plus[plot]'). Without Graphviz's
`dot` program the graph is written as graph.dot, with instructions to render it.
Training runs through micrograd_plus.compile (--no-compile to run eagerly, about
20x slower). The default run takes a few seconds.
"""


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {value}")
    return value


def build_parser() -> argparse.ArgumentParser:
    from ._version import version
    from .demo import RECIPES

    parser = argparse.ArgumentParser(prog="micrograd-plus", description=DESCRIPTION)
    parser.add_argument("--version", action="version", version=f"%(prog)s {version()}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    demo = commands.add_parser(
        "demo",
        help="train an MLP on a toy dataset and save plots and a graph",
        description=DEMO_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    defaults = ", ".join(f"{name} {recipe.epochs}" for name, recipe in RECIPES.items())
    demo.add_argument(
        "--dataset",
        choices=sorted(RECIPES),
        default="moons",
        help="the toy dataset to learn (default: moons)",
    )
    demo.add_argument(
        "--epochs",
        type=_positive_int,
        default=None,
        help=f"training epochs, full batch (default per dataset: {defaults})",
    )
    demo.add_argument(
        "--seed", type=int, default=0, help="seed for the data, the weights and the split"
    )
    demo.add_argument(
        "--out",
        default="micrograd_plus_demo",
        metavar="DIR",
        help="directory for the output files, created if needed (default: ./micrograd_plus_demo)",
    )
    demo.add_argument(
        "--quiet", action="store_true", help="no progress bar (the summary is still printed)"
    )
    demo.add_argument(
        "--no-compile",
        dest="use_compile",
        action="store_false",
        help="train eagerly instead of through micrograd_plus.compile",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(None if argv is None else [str(a) for a in argv])
    if args.command is None:
        parser.print_help()
        return 2
    from .demo import run_demo

    try:
        run_demo(
            dataset=args.dataset,
            epochs=args.epochs,
            seed=args.seed,
            out=args.out,
            quiet=args.quiet,
            use_compile=args.use_compile,
        )
    except ValueError as error:
        parser.exit(2, f"micrograd-plus demo: error: {error}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
