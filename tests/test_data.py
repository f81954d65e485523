"""Datasets are seeded, shaped and labelled as documented; split, Standardizer and batches."""

import inspect
import math
import random
from collections import Counter

import pytest

from micrograd_plus.data import (
    Standardizer,
    batches,
    make_blobs,
    make_circles,
    make_moons,
    make_regression,
    make_spirals,
    make_xor,
    train_test_split,
)

CLASSIFIERS = {
    "moons": (lambda **kw: make_moons(**kw), 2),
    "circles": (lambda **kw: make_circles(**kw), 2),
    "spirals3": (lambda **kw: make_spirals(n_classes=3, **kw), 3),
    "spirals5": (lambda **kw: make_spirals(n_classes=5, **kw), 5),
    "blobs": (lambda **kw: make_blobs(centers=4, **kw), 4),
    "xor": (lambda **kw: make_xor(**kw), 2),
}


@pytest.mark.parametrize("name", CLASSIFIERS)
def test_classification_sets_are_shaped_and_labelled(name):
    make, n_classes = CLASSIFIERS[name]
    X, y = make(n_samples=101, noise=0.1, seed=3)
    assert isinstance(X, list) and isinstance(y, list)
    assert len(X) == len(y) == 101
    assert all(isinstance(row, list) and len(row) == 2 for row in X)
    assert all(type(v) is float for row in X for v in row)
    assert all(type(label) is int for label in y)
    assert set(y) == set(range(n_classes))


@pytest.mark.parametrize("name", ["moons", "circles", "spirals3", "spirals5", "blobs"])
def test_classes_are_balanced_like_scikit_learn(name):
    make, n_classes = CLASSIFIERS[name]
    _, y = make(n_samples=103, noise=0.0, seed=0)
    counts = sorted(Counter(y).values())
    assert counts[-1] - counts[0] <= 1
    assert sum(counts) == 103


@pytest.mark.parametrize("name", CLASSIFIERS)
def test_same_seed_same_data_other_seed_other_data(name):
    make, _ = CLASSIFIERS[name]
    assert make(n_samples=50, noise=0.2, seed=7) == make(n_samples=50, noise=0.2, seed=7)
    assert make(n_samples=50, noise=0.2, seed=7) != make(n_samples=50, noise=0.2, seed=8)


def test_generators_leave_the_global_random_state_alone():
    random.seed(123)
    expected = random.random()
    random.seed(123)
    make_moons(50, noise=0.3, seed=1)
    make_regression(50, noise=0.3, seed=1)
    assert random.random() == expected


def test_moons_without_noise_lie_on_their_half_circles():
    X, y = make_moons(40, seed=0)
    for (a, b), label in zip(X, y):
        if label == 0:  # upper moon: unit circle around (0, 0), upper half
            assert math.hypot(a, b) == pytest.approx(1.0) and b >= -1e-12
        else:  # lower moon: unit circle around (1, 0.5), lower half
            assert math.hypot(a - 1.0, b - 0.5) == pytest.approx(1.0) and b <= 0.5 + 1e-12


def test_circles_without_noise_have_the_two_radii():
    X, y = make_circles(60, seed=0, factor=0.4)
    for row, label in zip(X, y):
        assert math.hypot(*row) == pytest.approx(1.0 if label == 0 else 0.4)


def test_spiral_radius_grows_from_the_origin_to_one():
    X, y = make_spirals(30, n_classes=3, seed=0)
    radii = sorted(math.hypot(*row) for row, label in zip(X, y) if label == 1)
    assert radii[0] == pytest.approx(0.0) and radii[-1] == pytest.approx(1.0)


def test_noise_has_the_requested_standard_deviation():
    X, y = make_circles(2000, noise=0.1, seed=5)
    radial_errors = [math.hypot(*row) - (1.0 if label == 0 else 0.8) for row, label in zip(X, y)]
    rms = math.sqrt(sum(e * e for e in radial_errors) / len(radial_errors))
    assert 0.09 < rms < 0.11  # Gaussian noise of std 0.1 per coordinate, seen along the radius


def test_xor_labels_say_whether_the_signs_differ():
    X, y = make_xor(200, noise=0.0, seed=2)
    for (a, b), label in zip(X, y):
        assert label == (1 if a * b < 0 else 0)


def test_blobs_at_given_centers():
    centers = [[-5.0, 0.0, 1.0], [5.0, 5.0, -1.0]]
    X, y = make_blobs(400, centers=centers, noise=0.5, seed=0)
    assert all(len(row) == 3 for row in X)
    for label, center in enumerate(centers):
        rows = [row for row, t in zip(X, y) if t == label]
        for j in range(3):
            mean = sum(r[j] for r in rows) / len(rows)
            assert mean == pytest.approx(center[j], abs=0.15)


def test_regression_is_linear_plus_noise():
    X, y, w = make_regression(200, n_features=3, noise=0.0, seed=4, bias=2.0, coef=True)
    assert len(X) == len(y) == 200 and all(len(row) == 3 for row in X)
    assert all(type(t) is float for t in y)
    for row, target in zip(X, y):
        assert target == pytest.approx(2.0 + sum(a * b for a, b in zip(w, row)))
    _, noisy = make_regression(200, n_features=3, noise=0.5, seed=4, bias=2.0)
    residuals = [a - b for a, b in zip(noisy, y)]
    std = math.sqrt(sum(r * r for r in residuals) / len(residuals))
    assert 0.4 < std < 0.6


@pytest.mark.parametrize(
    "call, error",
    [
        (lambda: make_moons(0), ValueError),
        (lambda: make_moons(10, noise=-0.1), ValueError),
        (lambda: make_moons(10.5), TypeError),
        (lambda: make_spirals(10, n_classes=1), ValueError),
        (lambda: make_spirals(2, n_classes=3), ValueError),
        (lambda: make_circles(10, factor=1.5), ValueError),
        (lambda: make_blobs(10, centers=[]), ValueError),
        (lambda: make_blobs(10, centers=[[0.0], [1.0, 2.0]]), ValueError),
        (lambda: make_regression(10, n_features=0), ValueError),
    ],
)
def test_bad_generator_arguments_raise(call, error):
    with pytest.raises(error):
        call()


GENERATORS = [make_moons, make_circles, make_spirals, make_blobs, make_xor, make_regression]


@pytest.mark.parametrize("make", GENERATORS, ids=lambda f: f.__name__)
def test_every_generator_takes_n_samples_noise_seed_in_that_order(make):
    names = list(inspect.signature(make).parameters)
    assert names[:3] == ["n_samples", "noise", "seed"]
    kinds = [p.kind for p in inspect.signature(make).parameters.values()]
    assert all(k is inspect.Parameter.KEYWORD_ONLY for k in kinds[4:])  # no 5th positional
    assert make(30, 0.2, 5) == make(n_samples=30, noise=0.2, seed=5)


def test_blobs_with_centers_of_the_wrong_type_say_what_is_expected():
    with pytest.raises(TypeError, match="centers must be a number of centers"):
        make_blobs(10, centers=2.5)


# --- train_test_split -----------------------------------------------------------------


def test_split_is_a_partition_in_scikit_learn_order():
    X = [[float(i), float(-i)] for i in range(40)]
    y = list(range(40))
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, seed=0)
    assert len(X_test) == len(y_test) == 10 and len(X_train) == len(y_train) == 30
    assert sorted(y_train + y_test) == y
    assert set(y_train).isdisjoint(y_test)
    for row, label in zip(X_train + X_test, y_train + y_test):
        assert row == [float(label), float(-label)]  # rows stay with their targets


def test_split_rounds_the_test_size_up_and_is_seeded():
    X, y = make_moons(11, seed=0)
    first = train_test_split(X, y, test_size=0.3, seed=1)
    assert len(first[1]) == math.ceil(0.3 * 11)
    assert first == train_test_split(X, y, test_size=0.3, seed=1)
    assert first != train_test_split(X, y, test_size=0.3, seed=2)


def test_split_does_not_alias_the_callers_rows():
    X = [[1.0], [2.0], [3.0], [4.0]]
    X_train, _, _, _ = train_test_split(X, [0, 1, 0, 1], test_size=0.5, seed=0)
    X_train[0][0] = 99.0
    assert 99.0 not in [row[0] for row in X]


def test_stratified_split_keeps_class_ratios():
    y = [0] * 60 + [1] * 30 + [2] * 10
    X = [[float(i)] for i in range(100)]
    _, _, y_train, y_test = train_test_split(X, y, test_size=0.2, seed=3, stratify=y)
    assert Counter(y_test) == {0: 12, 1: 6, 2: 2}
    assert Counter(y_train) == {0: 48, 1: 24, 2: 8}


def test_stratified_split_with_uneven_shares_still_has_the_right_size():
    y = [0] * 7 + [1] * 5 + [2] * 3
    X = [[float(i)] for i in range(15)]
    _, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, seed=0, stratify=y)
    assert len(y_test) == math.ceil(0.3 * 15)
    assert sorted(y_train + y_test) == sorted(y)
    for label, count in Counter(y).items():
        assert abs(Counter(y_test)[label] - 0.3 * count) < 1.0


@pytest.mark.parametrize(
    "X, y, kwargs",
    [
        ([], [], {}),
        ([[1.0], [2.0]], [0], {}),
        ([[1.0], [2.0]], [0, 1], {"test_size": 0.0}),
        ([[1.0], [2.0]], [0, 1], {"test_size": 1.0}),
        ([[1.0], [2.0]], [0, 1], {"test_size": 1.5}),
        ([[1.0], [2.0]], [0, 1], {"test_size": 0.9}),  # no training sample left
        ([[1.0], [2.0]], [0, 1], {"stratify": [0]}),
    ],
)
def test_bad_split_arguments_raise_value_error(X, y, kwargs):
    with pytest.raises(ValueError):
        train_test_split(X, y, **kwargs)


# --- Standardizer ---------------------------------------------------------------------------


def test_standardizer_gives_zero_mean_unit_variance_on_the_fitted_data():
    X, _ = make_blobs(200, centers=2, n_features=3, noise=2.0, seed=0)
    Z = Standardizer().fit_transform(X)
    for j in range(3):
        col = [row[j] for row in Z]
        mean = sum(col) / len(col)
        var = sum((v - mean) ** 2 for v in col) / len(col)
        assert mean == pytest.approx(0.0, abs=1e-12)
        assert var == pytest.approx(1.0)


def test_standardizer_matches_numpy_and_applies_training_statistics_to_new_data():
    np = pytest.importorskip("numpy")
    train = [[1.0, 10.0], [2.0, 30.0], [4.0, 20.0]]
    test = [[3.0, 0.0]]
    scaler = Standardizer().fit(train)
    arr = np.array(train)
    expected = (np.array(test) - arr.mean(axis=0)) / arr.std(axis=0)
    assert scaler.transform(test)[0] == pytest.approx(expected[0].tolist())
    assert scaler.inverse_transform(scaler.transform(test))[0] == pytest.approx(test[0])


def test_constant_feature_is_centred_not_divided_by_zero():
    scaler = Standardizer().fit([[5.0, 1.0], [5.0, 3.0]])
    assert scaler.transform([[5.0, 2.0], [6.0, 2.0]]) == [[0.0, 0.0], [1.0, 0.0]]


def test_standardizer_errors():
    with pytest.raises(RuntimeError, match="fit"):
        Standardizer().transform([[1.0]])
    with pytest.raises(ValueError):
        Standardizer().fit([])
    with pytest.raises(ValueError):
        Standardizer().fit([[1.0, 2.0], [1.0]])
    scaler = Standardizer().fit([[1.0, 2.0], [3.0, 4.0]])
    with pytest.raises(ValueError, match="2 features"):
        scaler.transform([[1.0]])


# --- batches -----------------------------------------------------------------------------


def test_batches_cover_every_sample_once_with_a_smaller_last_batch():
    X = [[float(i)] for i in range(10)]
    y = list(range(10))
    out = list(batches(X, y, batch_size=4, seed=0))
    assert [len(yb) for _, yb in out] == [4, 4, 2]
    assert sorted(t for _, yb in out for t in yb) == y
    for Xb, yb in out:
        assert [row[0] for row in Xb] == [float(t) for t in yb]


def test_batches_shuffle_is_seeded_and_can_be_turned_off():
    X = [[float(i)] for i in range(20)]
    y = list(range(20))
    in_order = [yb for _, yb in batches(X, y, 5, shuffle=False)]
    assert in_order == [y[0:5], y[5:10], y[10:15], y[15:20]]
    first = [yb for _, yb in batches(X, y, 5, seed=1)]
    assert first == [yb for _, yb in batches(X, y, 5, seed=1)]
    assert first != in_order


def test_batch_larger_than_the_data_gives_one_batch():
    assert list(batches([[1.0], [2.0]], [0, 1], 10, shuffle=False)) == [([[1.0], [2.0]], [0, 1])]


@pytest.mark.parametrize("size, error", [(0, ValueError), (-3, ValueError), (2.5, TypeError)])
def test_bad_batch_size_raises_at_the_call(size, error):
    with pytest.raises(error, match="batch_size"):
        batches([[1.0]], [0], size)


def test_batches_reject_empty_or_mismatched_data_at_the_call():
    with pytest.raises(ValueError, match="empty"):
        batches([], [], 2)
    with pytest.raises(ValueError, match="same length"):
        batches([[1.0], [2.0]], [0], 2)


# --- bad arguments are refused where they enter (issue 13) ----------------------------------------


@pytest.mark.parametrize(
    ("make", "kwargs", "error", "message"),
    [
        (make_moons, {"noise": math.inf}, ValueError, "noise must be a finite number, got inf"),
        (make_moons, {"noise": "0.1"}, TypeError, "noise must be a number, got str"),
        (make_spirals, {"turns": math.nan}, ValueError, "turns must be a finite number"),
        (make_spirals, {"turns": "1"}, TypeError, "turns must be a number, got str"),
        (make_circles, {"factor": "0.5"}, TypeError, "factor must be a number, got str"),
        (make_circles, {"factor": math.nan}, ValueError, "factor must be a finite number"),
        (make_blobs, {"centers": [[0.0, math.nan]]}, ValueError, r"centers\[0\]\[1\] must be"),
        (make_blobs, {"centers": [[0.0, "1"]]}, TypeError, r"centers\[0\]\[1\] must be a number"),
        (make_blobs, {"centers": "ab"}, TypeError, "centers must be a number of centers"),
        (make_blobs, {"center_box": (0.0, math.inf)}, ValueError, r"center_box\[1\] must be"),
        (make_blobs, {"center_box": (1.0, -1.0)}, ValueError, "low < high"),
        (make_blobs, {"center_box": "ab"}, TypeError, "center_box must be a pair"),
        (make_regression, {"bias": math.nan}, ValueError, "bias must be a finite number"),
        (make_regression, {"bias": "1"}, TypeError, "bias must be a number, got str"),
        (make_regression, {"noise": -math.inf}, ValueError, "noise must be a finite number"),
    ],
)
def test_dataset_helpers_refuse_non_finite_and_non_number_arguments(make, kwargs, error, message):
    with pytest.raises(error, match=message):
        make(20, seed=0, **kwargs)


def test_standardizer_refuses_a_nan_naming_row_and_feature():
    with pytest.raises(ValueError, match=r"row 1, feature 0 is nan"):
        Standardizer().fit([[1.0, 2.0], [math.nan, 3.0], [0.0, 1.0]])
    fitted = Standardizer().fit([[1.0], [3.0]])
    with pytest.raises(ValueError, match=r"transform: row 0, feature 0 is inf"):
        fitted.transform([[math.inf]])
    with pytest.raises(TypeError, match=r"row 0, feature 0 is 'a', expected a number"):
        Standardizer().fit([["a"]])


def test_standardizer_handles_values_near_the_float_limit():
    scaler = Standardizer().fit([[1e308], [-1e308]])  # was a raw OverflowError
    assert scaler.mean_ == [0.0] and scaler.scale_ == [pytest.approx(1e308)]
    assert scaler.transform([[1e308], [-1e308]]) == [[pytest.approx(1.0)], [pytest.approx(-1.0)]]
    with pytest.raises(ValueError, match="overflows"):
        Standardizer().fit([[1e-300], [-1e-300]]).transform([[1e300]])


def test_standardizer_keeps_tiny_but_real_spreads():
    scaler = Standardizer().fit([[1e-20], [3e-20]])
    assert scaler.scale_ == [pytest.approx(1e-20)]  # not mistaken for a constant feature
    assert Standardizer().fit([[1.0], [1.0 + 1e-15]]).scale_ == [1.0]  # constant to rounding
