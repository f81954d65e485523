"""The saved player, quiz and training replay, opened in headless Chromium and clicked through.

What is asserted is what a learner sees: the step counter, the chain-rule line,
the highlighted SVG elements, the numbers in the graph and the quiz score.
"""

from __future__ import annotations

import shutil

import pytest

from micrograd_plus.viz import explain_backward

from .browser import lecture_neuron, start_chromium

pytestmark = pytest.mark.filterwarnings("ignore::ResourceWarning")


@pytest.fixture(scope="module")
def chromium():
    driver, profile = start_chromium()
    yield driver
    driver.quit()
    shutil.rmtree(profile, ignore_errors=True)


def by_css(driver, selector):
    return driver.find_element("css selector", selector)


def text(driver, selector):
    return by_css(driver, selector).text


def node_texts(driver, svg_id):
    """The texts of one value node of the graph, as drawn: [label, 'data ...', 'grad ...']."""
    group = by_css(driver, f'[id="{svg_id}"]')
    return [t.get_attribute("textContent") for t in group.find_elements("css selector", "text")]


def classes(driver, svg_id):
    return (by_css(driver, f'[id="{svg_id}"]').get_attribute("class") or "").split()


def open_page(driver, path):
    driver.get(path.as_uri())
    assert by_css(driver, ".mgp-player").get_attribute("data-ready") == "1"


def key(driver, name):
    from selenium.webdriver.common.keys import Keys

    by_css(driver, ".mgp-player").send_keys(getattr(Keys, name))


@pytest.fixture
def neuron_page(tmp_path, chromium):
    ex = explain_backward(lecture_neuron())
    player = ex.player()
    path = tmp_path / "backprop.html"
    player.save(path)
    open_page(chromium, path)
    return chromium, ex, player


def test_save_html_writes_the_player_page(tmp_path):
    ex = explain_backward(lecture_neuron())
    path = ex.save_html(tmp_path / "backprop.html")
    page = (tmp_path / "backprop.html").read_text(encoding="utf-8")
    assert path.endswith("backprop.html") and page.startswith("<!DOCTYPE html>")
    assert "mgpPlayer(" in page and "<svg" in page and "quiz me" in page


def test_forward_pass_fills_in_values_in_topological_order(neuron_page):
    driver, ex, player = neuron_page
    ids = {v.label: player._node_id(v) for v in ex.nodes}
    assert text(driver, ".mgp-counter") == "start"
    assert node_texts(driver, ids["x1w1"])[1] == "data ?"
    assert node_texts(driver, ids["x1"])[1] == "data 2.0000"
    by_css(driver, ".mgp-step").click()
    assert text(driver, ".mgp-counter") == "forward 1 of 5"
    assert text(driver, ".mgp-line") == "x1w1 = x1 · w1 = 2.0 · (-3.0) = -6.0"
    assert node_texts(driver, ids["x1w1"])[1] == "data -6.0000"
    assert "mgp-current" in classes(driver, ids["x1w1"])
    assert node_texts(driver, ids["o"])[1] == "data ?"
    for _ in range(4):
        by_css(driver, ".mgp-step").click()
    assert text(driver, ".mgp-counter") == "forward 5 of 5"
    assert text(driver, ".mgp-line") == "o = tanh(n) = tanh(0.8814) = 0.7071"
    assert node_texts(driver, ids["o"])[1:] == ["data 0.7071", "grad —"]


def test_every_backward_step_shows_its_rule_edge_and_gradient(neuron_page):
    driver, ex, player = neuron_page
    by_css(driver, ".mgp-player").click()
    key(driver, "END")
    last = int(by_css(driver, ".mgp-player").get_attribute("data-frame"))
    seed = last - len(ex)  # the frame before backward step 1
    driver.execute_script(
        "const s=arguments[0]; s.value=arguments[1]; s.dispatchEvent(new Event('input'))",
        by_css(driver, ".mgp-slider"),
        seed,
    )
    assert text(driver, ".mgp-counter").startswith("backward: seed")
    assert node_texts(driver, player._node_id(ex.root))[2] == "grad 1.0000"
    for step in ex:
        by_css(driver, ".mgp-step").click()
        assert text(driver, ".mgp-counter") == f"backward step {step.number} of {len(ex)}"
        assert text(driver, ".mgp-line") == step.line()
        assert "mgp-active" in classes(driver, player._edge_id(step.node, step.parent_index))
        parent = player._node_id(step.parent)
        assert "mgp-target" in classes(driver, parent)
        assert node_texts(driver, parent)[2] == f"grad {step.parent_grad:.4f}"
        assert ("mgp-done" in classes(driver, parent)) == step.parent_done
    assert by_css(driver, ".mgp-step").get_attribute("disabled") == "true"
    assert len(driver.find_elements("css selector", ".mgp-active")) == 1


def test_the_tanh_step_reads_like_the_blackboard(neuron_page):
    driver, ex, _ = neuron_page
    tanh_step = ex.step(1)
    driver.execute_script(
        "const s=arguments[0]; s.value=arguments[1]; s.dispatchEvent(new Event('input'))",
        by_css(driver, ".mgp-slider"),
        7,  # start, 5 forward frames, seed, backward step 1
    )
    assert text(driver, ".mgp-counter") == "backward step 1 of 9"
    assert text(driver, ".mgp-line") == tanh_step.line()
    assert tanh_step.line() == "∂o/∂n += ∂o/∂o · (1 − o²) = 1.0 · (1 − 0.7071²) = 0.5"


def test_keyboard_arrows_step_back_and_forth(neuron_page):
    driver, _, _ = neuron_page
    by_css(driver, ".mgp-player").click()
    key(driver, "ARROW_RIGHT")
    key(driver, "ARROW_RIGHT")
    assert text(driver, ".mgp-counter") == "forward 2 of 5"
    key(driver, "ARROW_LEFT")
    assert text(driver, ".mgp-counter") == "forward 1 of 5"
    key(driver, "HOME")
    assert text(driver, ".mgp-counter") == "start"
    assert by_css(driver, ".mgp-back").get_attribute("disabled") == "true"


def test_play_advances_until_paused(neuron_page):
    from selenium.webdriver.support.ui import WebDriverWait

    driver, _, _ = neuron_page
    by_css(driver, ".mgp-play").click()
    WebDriverWait(driver, 10).until(lambda d: text(d, ".mgp-counter") == "forward 2 of 5")
    assert text(driver, ".mgp-play") == "❚❚ pause"
    by_css(driver, ".mgp-play").click()
    stopped_at = text(driver, ".mgp-counter")
    driver.execute_script("return new Promise(r => setTimeout(r, 2000))")
    assert text(driver, ".mgp-counter") == stopped_at
    assert text(driver, ".mgp-play") == "▶ play"


def test_quiz_checks_each_guess_counts_the_score_and_reveals_the_rule(tmp_path, chromium):
    ex = explain_backward(lecture_neuron())
    path = tmp_path / "quiz.html"
    ex.quiz().save(path)
    open_page(chromium, path)
    driver = chromium
    assert text(driver, ".mgp-counter").startswith("backward: seed")
    assert by_css(driver, ".mgp-quiz").is_displayed()
    by_css(driver, ".mgp-step").click()
    assert text(driver, ".mgp-line") == "∂o/∂n += ?"
    assert by_css(driver, ".mgp-step").get_attribute("disabled") == "true"  # answer first
    assert "grad ?" in [t.strip() for t in driver.execute_script(
        "return Array.from(document.querySelectorAll('.mgp-target text')).map(t=>t.textContent)"
    )]  # fmt: skip
    guess = by_css(driver, ".mgp-guess")
    guess.send_keys("0.5\n")
    assert text(driver, ".mgp-feedback") == "right!"
    assert text(driver, ".mgp-score") == "score 1 / 1"
    assert text(driver, ".mgp-line") == ex.step(1).line()
    by_css(driver, ".mgp-step").click()
    by_css(driver, ".mgp-guess").send_keys("7")
    by_css(driver, ".mgp-check").click()
    assert text(driver, ".mgp-feedback") == "not quite: it is 0.5"
    assert text(driver, ".mgp-score") == "score 1 / 2"
    assert text(driver, ".mgp-line") == ex.step(2).line()
    by_css(driver, ".mgp-step").click()
    by_css(driver, ".mgp-guess").send_keys("half\n")
    assert text(driver, ".mgp-feedback") == "type a number, e.g. -1.5"
    assert text(driver, ".mgp-score") == "score 1 / 2"  # not counted
    by_css(driver, ".mgp-guess").clear()
    by_css(driver, ".mgp-guess").send_keys("0.5001\n")  # within the tolerance
    assert text(driver, ".mgp-score") == "score 2 / 3"


def test_the_player_file_also_has_the_quiz(neuron_page):
    driver, ex, _ = neuron_page
    assert not by_css(driver, ".mgp-quiz").is_displayed()
    by_css(driver, ".mgp-quiz-toggle").click()
    assert by_css(driver, ".mgp-quiz").is_displayed()
    by_css(driver, ".mgp-step").click()
    assert text(driver, ".mgp-line") == "∂o/∂n += ?"
    by_css(driver, ".mgp-guess").send_keys("0.5\n")
    assert text(driver, ".mgp-score") == "score 1 / 1"


def test_training_replay_slider_moves_through_epochs(tmp_path, chromium):
    pytest.importorskip("matplotlib")
    from micrograd_plus import fit, losses, nn, optim
    from micrograd_plus.data import make_moons
    from micrograd_plus.viz import Snapshots, save_training_html

    X, y = make_moons(n_samples=30, noise=0.1, seed=0)
    model = nn.MLP(2, [4, 1])
    snaps = Snapshots(X, y, every=2, resolution=8)
    fit(model, losses.binary_cross_entropy_with_logits, optim.Adam(model.parameters(), lr=0.05),
        X, y, epochs=6, callbacks=[snaps], progress=False)  # fmt: skip
    path = tmp_path / "training.html"
    save_training_html(snaps, path)
    chromium.get(path.as_uri())
    assert text(chromium, "#epoch") == "epoch 6"
    chromium.execute_script(
        "const s=document.getElementById('slider'); s.value=0; s.dispatchEvent(new Event('input'))"
    )
    assert text(chromium, "#epoch") == "epoch 2"
    loss = snaps.snapshots[0]["logs"]["loss"]
    assert text(chromium, "#status").startswith(f"epoch 2: loss {float(f'{loss:.4g}')}"[:16])
    painted = chromium.execute_script(
        "const c=document.getElementById('boundary').getContext('2d');"
        "return Array.from(c.getImageData(0,0,400,400).data).some((v,i)=>i%4==3&&v>0)"
    )
    assert painted
