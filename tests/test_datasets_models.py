"""The model notebooks' datasets: digits, images, time series, windows, sentiment, names."""

import math

import pytest

from micrograd_plus import data


def test_load_digits_matches_scikit_learn():
    X, y = data.load_digits()
    assert len(X) == len(y) == 1797 and all(len(row) == 64 for row in X)
    assert set(y) == set(range(10)) and all(isinstance(label, int) for label in y)
    assert min(map(min, X)) == 0.0 and max(map(max, X)) == 1.0
    datasets = pytest.importorskip("sklearn.datasets")
    ref = datasets.load_digits()
    assert y == ref.target.tolist()
    assert X == (ref.data / 16.0).tolist()


def test_to_images_reshapes_rows_row_by_row():
    X, _ = data.load_digits()
    images = data.to_images(X[:3])
    assert len(images) == 3 and len(images[0]) == 1 and len(images[0][0]) == 8
    assert images[1][0][2][5] == X[1][2 * 8 + 5]
    with pytest.raises(ValueError, match="row 0 has 3 pixels, expected 8 x 8 = 64"):
        data.to_images([[0.0, 1.0, 2.0]])


def test_time_series_are_seeded_and_shaped():
    a = data.make_time_series(200, noise=0.1, seed=3)
    assert a == data.make_time_series(200, noise=0.1, seed=3)
    assert a != data.make_time_series(200, noise=0.1, seed=4)
    clean = data.make_time_series(200, noise=0.0, seed=0, trend=0.0, period=40)
    # one period later only the slower harmonic (period 2.7 x 40 = 108) has moved
    assert abs(clean[40] - clean[0] - 0.3 * math.sin(2 * math.pi * 40 / 108)) < 1e-9
    price = data.make_time_series(300, noise=0.2, seed=0, kind="price")
    assert price[0] == 100.0 and min(price) > 0
    with pytest.raises(ValueError, match="kind must be 'sine' or 'price'"):
        data.make_time_series(10, kind="stocks")


def test_sliding_windows():
    X, y = data.sliding_windows([0.0, 1.0, 2.0, 3.0, 4.0], window=3)
    assert X == [[0.0, 1.0, 2.0], [1.0, 2.0, 3.0]] and y == [3.0, 4.0]
    X, y = data.sliding_windows([0.0, 1.0, 2.0, 3.0, 4.0], window=2, horizon=3)
    assert X == [[0.0, 1.0]] and y == [4.0]
    with pytest.raises(ValueError, match="too short"):
        data.sliding_windows([1.0, 2.0], window=2)


def test_sentiment_labels_follow_negation_and_split_is_clean():
    X_train, X_test, y_train, y_test = data.load_sentiment()
    assert (len(X_train), len(X_test)) == (600, 200)
    assert not {tuple(s) for s in X_train} & {tuple(s) for s in X_test}
    assert 0.4 < sum(y_train) / len(y_train) < 0.6
    for words, label in zip(X_train + X_test, y_train + y_test):
        polar = [w for w in words if w in data.SENTIMENT_WORDS]
        assert len(polar) == 1
        negated = any(w in data.NEGATIONS for w in words)
        assert label == int((data.SENTIMENT_WORDS[polar[0]] > 0) != negated)
    # negation matters: "not <good word>" sentences exist with label 0
    assert any("not" in s and "good" in s and lab == 0 for s, lab in zip(X_train, y_train))
    assert data.load_sentiment() == (X_train, X_test, y_train, y_test)  # fixed split
    vocab = data.vocabulary(X_train + X_test)
    assert vocab[0] == "<pad>" and len(vocab) == len(set(vocab))


def test_load_names():
    names = data.load_names()
    assert len(names) == 32033 and names[:3] == ["emma", "olivia", "ava"]
    assert all(name.isalpha() and name.islower() for name in names)
