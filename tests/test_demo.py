"""The command-line demo: files written and valid, fallbacks, help and errors."""

import math
import os

import pytest

from micrograd_plus import demo
from micrograd_plus.__main__ import main

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def no_plots(monkeypatch):
    """Skip the PNGs (the slow part) in tests about something else."""
    monkeypatch.setattr(demo, "matplotlib_available", lambda: False)


def run(tmp_path, *extra):
    return main(["demo", "--epochs", "3", "--quiet", "--out", str(tmp_path), *extra])


def test_demo_writes_valid_png_and_svg_files(tmp_path, capsys):
    assert run(tmp_path) == 0
    for name in ("decision_boundary.png", "history.png"):
        assert (tmp_path / name).read_bytes().startswith(PNG_MAGIC), name
    svg = (tmp_path / "graph.svg").read_text(encoding="utf-8")
    assert "<svg" in svg and "tanh" in svg
    assert not (tmp_path / "graph.dot").exists()
    out = capsys.readouterr().out
    assert "Final accuracy: train" in out and "validation" in out
    assert str(tmp_path / "graph.svg") in out


def test_demo_creates_missing_nested_output_dir(tmp_path, no_plots):
    target = tmp_path / "a" / "b"
    assert run(target) == 0
    assert (target / "graph.svg").exists()


def test_without_dot_the_graph_is_saved_as_dot_source_with_instructions(
    tmp_path, capsys, monkeypatch, no_plots
):
    monkeypatch.setattr(demo, "find_dot", lambda: None)
    assert run(tmp_path) == 0
    source = (tmp_path / "graph.dot").read_text(encoding="utf-8")
    assert source.lstrip().startswith("digraph") and "tanh" in source
    assert not (tmp_path / "graph.svg").exists()
    out = capsys.readouterr().out
    assert "dot -Tsvg" in out and "install graphviz" in out.lower()


def test_without_matplotlib_the_demo_says_how_to_install_it(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(demo, "matplotlib_available", lambda: False)
    assert run(tmp_path) == 0
    assert not list(tmp_path.glob("*.png"))
    assert (tmp_path / "graph.svg").exists()
    assert "pip install 'micrograd_plus[plot]'" in capsys.readouterr().out


def test_multiclass_spirals_trains_and_plots(tmp_path, capsys):
    assert (
        main(["demo", "--dataset", "spirals", "--epochs", "2", "--quiet", "--out", str(tmp_path)])
        == 0
    )
    assert (tmp_path / "decision_boundary.png").read_bytes().startswith(PNG_MAGIC)
    assert "MLP 2 -> 24 -> 24 -> 3 on spirals" in capsys.readouterr().out


def test_eager_and_compiled_runs_reach_the_same_accuracy(tmp_path, no_plots):
    common = dict(dataset="circles", epochs=4, seed=3, quiet=True, say=lambda text: None)
    eager = demo.run_demo(out=tmp_path / "eager", use_compile=False, **common)
    compiled = demo.run_demo(out=tmp_path / "compiled", use_compile=True, **common)
    assert eager.compiled is False
    assert compiled.compiled is True
    assert compiled.train_accuracy == pytest.approx(eager.train_accuracy)
    assert compiled.val_accuracy == pytest.approx(eager.val_accuracy)


def test_help_describes_the_options_and_the_files(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["demo", "--help"])
    assert exit_info.value.code == 0
    text = capsys.readouterr().out
    for word in ("--dataset", "moons", "circles", "spirals", "--epochs", "--seed", "--out",
                 "--quiet", "decision_boundary.png", "history.png", "graph.svg", "graph.dot",
                 "micrograd_plus[plot]"):  # fmt: skip
        assert word in text, word


def test_no_command_prints_help_and_fails(capsys):
    assert main([]) == 2
    assert "demo" in capsys.readouterr().out


@pytest.mark.parametrize("epochs", ["0", "-3", "many"])
def test_bad_epochs_are_rejected_naming_the_option(epochs, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["demo", "--epochs", epochs])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "--epochs" in err and "positive integer" in err


def test_unknown_dataset_is_rejected(capsys):
    with pytest.raises(SystemExit):
        main(["demo", "--dataset", "mnist"])
    assert "invalid choice" in capsys.readouterr().err


def test_out_pointing_at_a_file_is_an_error(tmp_path, capsys):
    blocker = tmp_path / "taken"
    blocker.write_text("not a directory")
    with pytest.raises(SystemExit) as exit_info:
        main(["demo", "--epochs", "1", "--out", str(blocker)])
    assert exit_info.value.code == 2
    assert "is a file" in capsys.readouterr().err
    assert blocker.read_text() == "not a directory"


def test_run_demo_rejects_bad_arguments(tmp_path):
    with pytest.raises(ValueError, match="dataset must be one of"):
        demo.run_demo(dataset="xor", out=tmp_path)
    with pytest.raises(ValueError, match="epochs must be a positive integer"):
        demo.run_demo(epochs=0, out=tmp_path)


def test_lecture_neuron_gradients_follow_the_chain_rule():
    o = demo.lecture_neuron()
    leaves = {}
    stack = [o]
    while stack:
        node = stack.pop()
        if node.label in ("x1", "x2", "w1", "w2", "b"):
            leaves[node.label] = node
        stack.extend(node._prev)
    dtanh = 1 - math.tanh(2.0 * -3.0 + 0.0 * 1.0 + 6.8813735870195432) ** 2
    assert o.data == pytest.approx(math.sqrt(0.5))
    assert leaves["x1"].grad == pytest.approx(dtanh * -3.0)
    assert leaves["w1"].grad == pytest.approx(dtanh * 2.0)
    assert leaves["x2"].grad == pytest.approx(dtanh * 1.0)
    assert leaves["w2"].grad == pytest.approx(0.0)
    assert leaves["b"].grad == pytest.approx(dtanh)


# --- --out is checked before training (issue 13) --------------------------------------------------


@pytest.fixture
def no_training(monkeypatch):
    """Fail the test if the demo starts training: every check here must come first."""

    def refuse(*args, **kwargs):
        raise AssertionError("training started before --out was checked")

    monkeypatch.setattr(demo, "fit", refuse)


def demo_error(capsys, *argv):
    with pytest.raises(SystemExit) as exit_info:
        main(["demo", "--epochs", "1", "--quiet", *argv])
    err = capsys.readouterr().err
    assert exit_info.value.code == 2
    assert err.count("\n") == 1 and "Traceback" not in err  # one clear line
    return err


def test_out_that_cannot_be_created_exits_2_in_one_line(tmp_path, capsys, no_training):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    err = demo_error(capsys, "--out", str(blocker / "sub" / "dir"))  # was a raw traceback
    assert "cannot be created" in err and "sub" in err


def test_read_only_output_files_are_found_before_training(tmp_path, capsys, no_training):
    (tmp_path / "history.png").write_bytes(b"old")
    os.chmod(tmp_path / "history.png", 0o444)
    err = demo_error(capsys, "--out", str(tmp_path))
    assert "history.png is read-only" in err
    assert (tmp_path / "history.png").read_bytes() == b"old"


def test_an_output_name_taken_by_a_directory_is_found_before_training(
    tmp_path, capsys, no_training
):
    (tmp_path / "graph.svg").mkdir()
    err = demo_error(capsys, "--out", str(tmp_path))
    assert "graph.svg is a directory" in err


@pytest.mark.skipif(os.name == "nt" or os.geteuid() == 0, reason="root may write anywhere")
def test_an_unwritable_out_directory_is_found_before_training(tmp_path, capsys, no_training):
    locked = tmp_path / "locked"
    locked.mkdir()
    os.chmod(locked, 0o555)
    try:
        assert "is not writable" in demo_error(capsys, "--out", str(locked))
    finally:
        os.chmod(locked, 0o755)


def test_demo_outputs_are_written_atomically_through_one_helper(tmp_path, no_plots, monkeypatch):
    written = []
    real = demo.write_atomic

    def recording(path, data):
        written.append(path.name)
        return real(path, data)

    monkeypatch.setattr(demo, "write_atomic", recording)
    assert run(tmp_path) == 0
    assert written and set(written) <= set(demo.OUTPUT_NAMES)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temp files left
