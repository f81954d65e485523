"""Regenerate the README's pictures: python docs/make_images.py (needs Graphviz's dot)."""

from pathlib import Path

from micrograd_plus.demo import lecture_neuron
from micrograd_plus.viz import draw_dot, render

IMAGES = Path(__file__).parent / "images"


def main() -> None:
    IMAGES.mkdir(exist_ok=True)
    for fmt in ("svg", "png"):
        print(render(draw_dot(lecture_neuron()), str(IMAGES / "neuron"), format=fmt))


if __name__ == "__main__":
    main()
