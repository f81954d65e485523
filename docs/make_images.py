"""Regenerate the README's pictures: python docs/make_images.py (needs Graphviz's dot)."""

from pathlib import Path

from micrograd_plus.engine import Value
from micrograd_plus.viz import draw_dot, render

IMAGES = Path(__file__).parent / "images"


def lecture_neuron() -> Value:
    """The neuron of micrograd's lecture: o = tanh(x1*w1 + x2*w2 + b), after backward."""
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")
    x1w1 = x1 * w1
    x1w1.label = "x1*w1"
    x2w2 = x2 * w2
    x2w2.label = "x2*w2"
    x1w1x2w2 = x1w1 + x2w2
    x1w1x2w2.label = "x1*w1 + x2*w2"
    n = x1w1x2w2 + b
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    o.backward()
    return o


def main() -> None:
    IMAGES.mkdir(exist_ok=True)
    for fmt in ("svg", "png"):
        print(render(draw_dot(lecture_neuron()), str(IMAGES / "neuron"), format=fmt))


if __name__ == "__main__":
    main()
