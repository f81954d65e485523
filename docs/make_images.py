"""Regenerate the README's pictures: python docs/make_images.py (needs Graphviz's dot;
the player's screenshots also need Chromium, chromedriver and selenium)."""

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from micrograd_plus.demo import lecture_neuron  # noqa: E402
from micrograd_plus.viz import draw_dot, explain_backward, render  # noqa: E402

IMAGES = Path(__file__).parent / "images"

# (file name, frame to show, quiz mode, guess to type): forward, backward, quiz.
PLAYER_SHOTS = (
    ("player_forward.png", "forward 3 of 5", False, None),
    ("player_backward_tanh.png", "backward step 1 of 9", False, None),
    ("player_backward_x1.png", "backward step 8 of 9", False, None),
    ("player_quiz.png", "backward step 1 of 9", True, "0.5"),
)


def lecture_player() -> None:
    """docs/backprop.html: the player and quiz for the lecture neuron, to open without Python."""
    from tests.browser import lecture_neuron as labelled_neuron

    ex = explain_backward(labelled_neuron())
    title = "Backpropagation through micrograd's lecture neuron o = tanh(x1·w1 + x2·w2 + b)"
    print(ex.save_html(Path(__file__).parent / "backprop.html", title=title))


def player_screenshots() -> None:
    from tests.browser import lecture_neuron as labelled_neuron
    from tests.browser import start_chromium

    driver, _ = start_chromium()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            for name, title, quiz, guess in PLAYER_SHOTS:
                path = Path(tmp) / "backprop.html"
                explain_backward(labelled_neuron()).player(quiz=quiz).save(path)
                driver.get(path.as_uri())
                player = driver.find_element("css selector", ".mgp-player")
                step = driver.find_element("css selector", ".mgp-step")
                counter = driver.find_element("css selector", ".mgp-counter")
                while counter.text != title:
                    step.click()
                if guess is not None:
                    driver.find_element("css selector", ".mgp-guess").send_keys(guess + "\n")
                (IMAGES / name).write_bytes(player.screenshot_as_png)
                print(IMAGES / name)
    finally:
        driver.quit()


def training_screenshot() -> None:
    """The training replay of a small MLP on two moons, at epoch 10."""
    from micrograd_plus import fit, losses, nn, optim
    from micrograd_plus.data import make_moons
    from micrograd_plus.viz import Snapshots, save_training_html
    from tests.browser import start_chromium

    X, y = make_moons(n_samples=80, noise=0.1, seed=0)
    model = nn.MLP(2, [16, 16, 1])
    snaps = Snapshots(X, y, every=5, resolution=30)
    opt = optim.Adam(model.parameters(), lr=0.05)
    loss_fn = losses.binary_cross_entropy_with_logits
    fit(model, loss_fn, opt, X, y, epochs=60, callbacks=[snaps], progress=False, seed=0)
    driver, _ = start_chromium()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "training.html"
            save_training_html(snaps, path, title="Two moons, a 2-16-16-1 MLP")
            driver.set_window_size(1000, 700)
            driver.get(path.as_uri())
            driver.execute_script(
                "const s=document.getElementById('slider'); s.value=1;"
                "s.dispatchEvent(new Event('input'))"
            )
            (IMAGES / "training_replay.png").write_bytes(driver.get_screenshot_as_png())
            print(IMAGES / "training_replay.png")
    finally:
        driver.quit()


def main() -> None:
    IMAGES.mkdir(exist_ok=True)
    for fmt in ("svg", "png"):
        print(render(draw_dot(lecture_neuron()), str(IMAGES / "neuron"), format=fmt))
    lecture_player()
    player_screenshots()
    training_screenshot()


if __name__ == "__main__":
    main()
