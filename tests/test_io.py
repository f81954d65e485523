"""save/load: JSON round trips, and every kind of bad file is refused before anything changes."""

import json
import math
import os
import stat

import pytest

from micrograd_plus.io import load, save
from micrograd_plus.nn import MLP, BatchNorm1d, Linear, Sequential


@pytest.fixture
def saved(tmp_path):
    """A model saved to a file, and the path."""
    model = MLP(3, [4, 2], seed=1)
    path = tmp_path / "model.json"
    save(model, path)
    return model, path


def test_round_trip_restores_every_value(saved):
    model, path = saved
    other = MLP(3, [4, 2], seed=2)
    assert load(other, path) is other
    assert other.state_dict() == model.state_dict()
    x = [0.1, -0.2, 0.3]
    assert [v.data for v in other(x)] == [v.data for v in model(x)]


def test_file_is_plain_json_with_format_and_version(saved):
    model, path = saved
    payload = json.loads(path.read_text(encoding="utf-8"))
    assert payload["format"] == "micrograd_plus" and payload["version"] == 1
    assert payload["state_dict"] == model.state_dict()
    assert [p.name for p in path.parent.iterdir()] == ["model.json"]  # no temp file left over


def test_batchnorm_running_stats_are_saved(tmp_path):
    model = Sequential(Linear(2, 2, seed=0), BatchNorm1d(2))
    model.forward_batch([[1.0, 2.0], [3.0, -1.0], [0.0, 0.5]])
    save(model, tmp_path / "bn.json")
    other = load(Sequential(Linear(2, 2, seed=5), BatchNorm1d(2)), tmp_path / "bn.json")
    assert other[1].running_mean == model[1].running_mean
    assert other[1].running_var == model[1].running_var


def corrupt(text: str) -> dict:
    """Ways to damage a saved file, each with the words its error must contain."""
    payload = json.loads(text)
    state = payload["state_dict"]
    first = next(iter(state))

    def edited(**changes):
        return json.dumps({**payload, **changes})

    return {
        "truncated": (text[: len(text) // 2], "not a valid JSON file"),
        "empty": ("", "not a valid JSON file"),
        "not json": ("hello", "not a valid JSON file"),
        "binary": (b"\x80\x81\xff", "not a valid JSON file"),
        "a list": ("[1, 2]", "not a micrograd_plus model file"),
        "other format": (edited(format="torch"), "not a micrograd_plus model file"),
        "newer version": (edited(version=2), "version 2 is not supported"),
        "no version": (json.dumps({"format": "micrograd_plus", "state_dict": state}), "version"),
        "state not a dict": (edited(state_dict=[1, 2]), "must be a JSON object"),
        "string value": (edited(state_dict={**state, first: "0.5"}), "expected a number"),
        "null value": (edited(state_dict={**state, first: None}), "expected a number"),
        "bool value": (edited(state_dict={**state, first: True}), "expected a number"),
        "NaN value": (text.replace(str(state[first]), "NaN", 1), "finite"),
        "missing name": (
            edited(state_dict={k: v for k, v in state.items() if k != first}),
            "missing 1",
        ),
        "extra name": (edited(state_dict={**state, "layers.7.b[0]": 1.0}), "unexpected 1"),
    }


@pytest.mark.parametrize(
    "case",
    [
        "truncated", "empty", "not json", "binary", "a list", "other format", "newer version",
        "no version", "state not a dict", "string value", "null value", "bool value",
        "NaN value", "missing name", "extra name",
    ],
)  # fmt: skip
def test_bad_files_raise_a_clear_error_and_leave_the_model_unchanged(saved, tmp_path, case):
    model, path = saved
    content, message = corrupt(path.read_text(encoding="utf-8"))[case]
    bad = tmp_path / "bad.json"
    if isinstance(content, bytes):
        bad.write_bytes(content)
    else:
        bad.write_text(content, encoding="utf-8")
    target = MLP(3, [4, 2], seed=7)
    before = target.state_dict()
    with pytest.raises(ValueError, match=message) as info:
        load(target, bad)
    assert "bad.json" in str(info.value)
    assert target.state_dict() == before


def test_a_model_of_another_shape_is_refused(saved):
    _, path = saved
    wider = MLP(3, [5, 2], seed=0)
    before = wider.state_dict()
    with pytest.raises(ValueError, match="model has 32 entries, the state dict 26"):
        load(wider, path)
    assert wider.state_dict() == before


def test_missing_file_is_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        load(MLP(1, [1]), tmp_path / "nope.json")


def test_non_finite_parameters_are_not_saved(tmp_path):
    model = MLP(2, [1], seed=0)
    model.layers[0].neurons[0].b.data = math.nan
    with pytest.raises(ValueError, match=r"layers.0.b\[0\].*finite"):
        save(model, tmp_path / "nan.json")
    assert not (tmp_path / "nan.json").exists()


@pytest.mark.skipif(os.name == "nt", reason="POSIX permission bits")
def test_saved_file_gets_the_permissions_of_an_ordinary_file(saved, tmp_path):
    _, path = saved
    ordinary = tmp_path / "ordinary.json"
    ordinary.write_text("{}", encoding="utf-8")
    assert stat.S_IMODE(path.stat().st_mode) == stat.S_IMODE(ordinary.stat().st_mode)


def test_save_and_load_round_trip_parameters_in_nested_containers(tmp_path):
    from micrograd_plus.engine import Value
    from micrograd_plus.nn import Module

    class Grid(Module):
        def __init__(self, start):
            self.kernel = [[Value(start + i + 0.25 * j) for j in range(3)] for i in range(2)]
            self.heads = {"a": (Value(start),), "b": [Linear(1, 1, seed=int(start))]}

    source, target = Grid(1.0), Grid(-7.0)
    path = tmp_path / "grid.json"
    save(source, path)
    stored = json.loads(path.read_text())["state_dict"]
    assert "kernel[1,2]" in stored and "heads[a,0]" in stored and "heads.b.0.w[0,0]" in stored
    assert len(stored) == 6 + 1 + 2
    load(target, path)
    assert target.state_dict() == source.state_dict()
    assert target.kernel[1][2].data == 1.0 + 1 + 0.5


# --- writing in place of what the user pointed at, atomically (issue 13) --------------------------


@pytest.mark.skipif(os.name == "nt", reason="POSIX symlinks and permission bits")
def test_save_through_a_symlink_updates_its_target_and_keeps_the_link(tmp_path):
    real = tmp_path / "weights" / "real.json"
    real.parent.mkdir()
    save(MLP(2, [1], seed=0), real)
    link = tmp_path / "latest.json"
    link.symlink_to(real)
    model = MLP(2, [1], seed=3)
    save(model, link)
    assert link.is_symlink() and os.readlink(link) == str(real)
    assert json.loads(real.read_text())["state_dict"] == model.state_dict()
    assert sorted(p.name for p in real.parent.iterdir()) == ["real.json"]  # temp file beside target


@pytest.mark.skipif(os.name == "nt", reason="POSIX permission bits")
def test_save_keeps_the_permission_bits_of_an_existing_file(saved):
    model, path = saved
    os.chmod(path, 0o600)
    save(model, path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_a_failed_write_leaves_the_old_file_and_no_temp_file(saved, monkeypatch):
    import micrograd_plus.files as files

    model, path = saved
    before = path.read_bytes()

    def disk_full(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(files.os, "fsync", disk_full)
    with pytest.raises(OSError, match="No space left"):
        save(MLP(3, [4, 2], seed=9), path)
    assert path.read_bytes() == before
    assert [p.name for p in path.parent.iterdir()] == ["model.json"]


def test_save_refuses_a_directory_without_touching_it(tmp_path):
    with pytest.raises(IsADirectoryError, match="is a directory"):
        save(MLP(1, [1], seed=0), tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_strict_json_writes_no_nan_tokens_and_reads_them_back():
    from micrograd_plus.files import to_strict_json

    text = to_strict_json({"a": [1.0, math.nan, math.inf, -math.inf], "b": {"c": math.nan}})
    assert "NaN," not in text and "Infinity," not in text  # never a bare token
    back = json.loads(text, parse_constant=lambda name: pytest.fail(f"bare {name} token"))
    values = [float(v) for v in back["a"]]
    assert values[0] == 1.0 and math.isnan(values[1]) and values[2:] == [math.inf, -math.inf]


# --- reading within bounds (issue 13) -------------------------------------------------------------


def _write_state(path, state_text: str, extra: str = "") -> None:
    path.write_text(
        '{"format": "micrograd_plus", "version": 1, ' + extra + '"state_dict": ' + state_text + "}",
        encoding="utf-8",
    )


@pytest.mark.parametrize(
    ("number", "message"),
    [
        ("1" * 400, "expected a finite number"),  # was a bare OverflowError
        (
            "1" * 5000,
            "expected a finite number",
        ),  # was Python's int-digits ValueError, no file name
        ("-" + "9" * 400, "expected a finite number"),
        ("1e400", "expected a finite number"),
    ],
)
def test_number_problems_are_value_errors_naming_file_and_key(tmp_path, number, message):
    model = MLP(1, [1], seed=0)
    before = model.state_dict()
    path = tmp_path / "big.json"
    _write_state(path, '{"layers.0.w[0,0]": ' + number + ', "layers.0.b[0]": 0.5}')
    with pytest.raises(ValueError, match=message) as info:
        load(model, path)
    assert "big.json" in str(info.value) and "'layers.0.w[0,0]'" in str(info.value)
    assert model.state_dict() == before


def test_deep_nesting_is_a_value_error_not_a_recursion_error(tmp_path):
    path = tmp_path / "deep.json"
    _write_state(path, "[" * 100_000 + "]" * 100_000)
    with pytest.raises(ValueError, match="nested too deeply") as info:
        load(MLP(1, [1], seed=0), path)
    assert "deep.json" in str(info.value)


def test_files_over_the_size_limit_are_refused_before_reading(saved, tmp_path):
    model, path = saved
    size = path.stat().st_size
    with pytest.raises(ValueError, match=r"max_bytes=100") as info:
        load(MLP(3, [4, 2], seed=4), path, max_bytes=100)
    assert f"{size:,} bytes" in str(info.value)
    other = load(MLP(3, [4, 2], seed=4), path, max_bytes=size)  # the limit is inclusive
    assert other.state_dict() == model.state_dict()


def test_the_default_size_limit_refuses_a_huge_file_quickly(tmp_path):
    from micrograd_plus.files import DEFAULT_MAX_BYTES

    path = tmp_path / "huge.json"
    with open(path, "wb") as f:  # a sparse file: no disk space, no time
        f.truncate(DEFAULT_MAX_BYTES + 1)
    with pytest.raises(ValueError, match="more than max_bytes"):
        load(MLP(1, [1], seed=0), path)


def test_unknown_top_level_keys_are_reported(tmp_path):
    path = tmp_path / "extra.json"
    _write_state(path, '{"layers.0.w[0,0]": 1.0, "layers.0.b[0]": 0.5}', extra='"optimizer": {}, ')
    with pytest.raises(ValueError, match=r"unknown top-level keys \['optimizer'\]"):
        load(MLP(1, [1], seed=0), path)
