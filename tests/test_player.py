"""The player's page, checked without a browser: frames, ids, rules, self-containment."""

import json
import re

import pytest

from micrograd_plus import Value
from micrograd_plus.nn import MLP
from micrograd_plus.viz import Player, explain_backward
from micrograd_plus.viz.rules import forward_line

from .browser import lecture_neuron


def page_data(html: str) -> dict:
    match = re.search(
        r'<script type="application/json" class="mgp-data">(.*?)</script>', html, re.S
    )
    return json.loads(match.group(1).replace("<\\/", "</"))


def test_frames_are_start_forward_seed_then_every_backward_step():
    ex = explain_backward(lecture_neuron())
    frames = ex.player().frames()
    ops = [v for v in ex.nodes if v._prev]
    kinds = [f["kind"] for f in frames]
    assert kinds == ["start"] + ["forward"] * len(ops) + ["seed"] + ["backward"] * len(ex)
    assert [f["line"] for f in frames[1 : 1 + len(ops)]] == [
        forward_line(v, ex._names) for v in ops
    ]
    backward = frames[2 + len(ops) :]
    assert [f["line"] for f in backward] == [s.line() for s in ex]
    assert [f["title"] for f in backward] == [f"backward step {k} of 9" for k in range(1, 10)]
    assert [f["answer"] for f in backward] == [s.contribution for s in ex]
    assert ex.player(forward=False).frames()[0]["kind"] == "seed"


def test_every_element_a_frame_highlights_is_in_the_svg():
    player = explain_backward(lecture_neuron()).player(rankdir="TB")
    svg = player.svg()
    ids = set(re.findall(r'<g id="([^"]+)"', svg))
    for frame in player.frames():
        for element in frame.get("edges", []) + ([frame["op"]] if "op" in frame else []):
            assert element in ids, element
    assert {n["id"] for n in player.data()["nodes"]} <= ids


def test_the_page_is_self_contained_and_carries_the_quiz(tmp_path):
    player = explain_backward(lecture_neuron()).quiz(tolerance=0.05)
    page = player.to_html()
    assert not re.search(r"(src|href)=[\"']?(https?:)?//", page)  # nothing from the network
    assert "<svg" in page and "mgpPlayer(document.getElementById" in page
    data = page_data(page)
    assert data["quiz"] is True and data["tolerance"] == 0.05
    path = player.save(tmp_path / "quiz.html")
    assert (tmp_path / "quiz.html").read_text(encoding="utf-8") == page and path.endswith(".html")


def test_two_players_in_one_notebook_do_not_share_element_ids():
    ex = explain_backward(lecture_neuron())
    a, b = ex.player(), ex.player()
    ids_a = set(re.findall(r'id="([^"]+)"', a.svg() + a.fragment().split("<svg")[0]))
    ids_b = set(re.findall(r'id="([^"]+)"', b.svg() + b.fragment().split("<svg")[0]))
    assert len(ids_a) > 20 and not ids_a & ids_b


def test_a_model_graph_names_its_parameters_and_a_leaf_has_only_the_seed():
    model = MLP(2, [2, 1])
    out = model([1.0, -2.0])
    player = explain_backward(out, model=model).player()
    lines = " ".join(f["line"] for f in player.frames())
    assert "layers.1.w[0,1]" in lines and "layers.0.b[1]" in lines
    leaf = explain_backward(Value(3.0, label="x")).player()
    assert [f["kind"] for f in leaf.frames()] == ["start", "seed"]
    assert "<svg" in leaf.fragment()


def test_bad_arguments():
    with pytest.raises(TypeError, match="explainer"):
        Player(Value(1.0))
    with pytest.raises(ValueError, match="tolerance"):
        explain_backward(lecture_neuron()).quiz(tolerance=2)
