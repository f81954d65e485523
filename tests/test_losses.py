"""Losses: values and gradients against PyTorch (float64), stability, and input errors."""

import math
import random

import pytest

from micrograd_plus.engine import Value
from micrograd_plus.losses import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    hinge_loss,
    l2_penalty,
    log_softmax,
    mse_loss,
    softmax,
)
from micrograd_plus.nn import MLP

TOL = 1e-9


def leaves(numbers):
    return [Value(x) for x in numbers]


def loss_and_grads(loss_fn, inputs, *args):
    """Our loss value and d loss / d input for each input."""
    xs = leaves(inputs)
    loss = loss_fn(xs, *args)
    loss.backward()
    return loss.data, [x.grad for x in xs]


def torch_loss_and_grads(torch, loss_fn, inputs, *args):
    x = torch.tensor(inputs, dtype=torch.float64, requires_grad=True)
    loss = loss_fn(x, *args)
    loss.backward()
    return loss.item(), x.grad.tolist()


def assert_close(ours, theirs):
    value, grads = ours
    t_value, t_grads = theirs
    assert value == pytest.approx(t_value, abs=TOL, rel=TOL)
    assert grads == pytest.approx(t_grads, abs=TOL, rel=TOL)


def random_floats(n, seed, scale=3.0):
    rng = random.Random(seed)
    return [rng.uniform(-scale, scale) for _ in range(n)]


# --- against PyTorch -------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(3))
def test_mse_matches_torch(seed):
    torch = pytest.importorskip("torch")
    preds, targets = random_floats(7, seed), random_floats(7, seed + 100)
    ours = loss_and_grads(mse_loss, preds, targets)
    theirs = torch_loss_and_grads(
        torch,
        lambda x: torch.nn.functional.mse_loss(x, torch.tensor(targets, dtype=x.dtype)),
        preds,
    )
    assert_close(ours, theirs)


@pytest.mark.parametrize("seed", range(3))
def test_binary_cross_entropy_matches_torch(seed):
    torch = pytest.importorskip("torch")
    rng = random.Random(seed)
    probs = [rng.uniform(0.01, 0.99) for _ in range(6)]
    targets = [rng.choice([0.0, 1.0, 0.3]) for _ in range(6)]
    ours = loss_and_grads(binary_cross_entropy, probs, targets)
    F = torch.nn.functional
    theirs = torch_loss_and_grads(
        torch, lambda x: F.binary_cross_entropy(x, torch.tensor(targets, dtype=x.dtype)), probs
    )
    assert_close(ours, theirs)


def test_binary_cross_entropy_clamps_log_like_torch():
    torch = pytest.importorskip("torch")
    probs, targets = [0.0, 1.0, 0.5], [1.0, 0.0, 1.0]
    ours = binary_cross_entropy(leaves(probs), targets)
    theirs = torch.nn.functional.binary_cross_entropy(
        torch.tensor(probs, dtype=torch.float64), torch.tensor(targets, dtype=torch.float64)
    )
    assert ours.data == pytest.approx(theirs.item(), abs=TOL)


@pytest.mark.parametrize("seed", range(3))
def test_bce_with_logits_matches_torch(seed):
    torch = pytest.importorskip("torch")
    rng = random.Random(seed)
    logits = random_floats(8, seed, scale=10.0) + [0.0, -0.0, 40.0, -40.0]
    targets = [rng.choice([0.0, 1.0, 0.25]) for _ in logits]
    ours = loss_and_grads(binary_cross_entropy_with_logits, logits, targets)
    F = torch.nn.functional
    theirs = torch_loss_and_grads(
        torch,
        lambda x: F.binary_cross_entropy_with_logits(x, torch.tensor(targets, dtype=x.dtype)),
        logits,
    )
    assert_close(ours, theirs)


@pytest.mark.parametrize("seed", range(3))
def test_hinge_matches_torch_formula(seed):
    torch = pytest.importorskip("torch")
    rng = random.Random(seed)
    scores = random_floats(9, seed, scale=2.0)
    targets = [rng.choice([-1, 1]) for _ in scores]
    ours = loss_and_grads(hinge_loss, scores, targets)
    y = torch.tensor(targets, dtype=torch.float64)
    theirs = torch_loss_and_grads(torch, lambda x: torch.relu(1 - y * x).mean(), scores)
    assert_close(ours, theirs)


@pytest.mark.parametrize("seed", range(3))
def test_cross_entropy_matches_torch(seed):
    torch = pytest.importorskip("torch")
    rng = random.Random(seed)
    rows = [random_floats(4, seed * 10 + i, scale=5.0) for i in range(5)]
    classes = [rng.randrange(4) for _ in rows]
    values = [leaves(r) for r in rows]
    loss = cross_entropy(values, classes)
    loss.backward()
    x = torch.tensor(rows, dtype=torch.float64, requires_grad=True)
    t_loss = torch.nn.functional.cross_entropy(x, torch.tensor(classes))
    t_loss.backward()
    assert loss.data == pytest.approx(t_loss.item(), abs=TOL)
    grads = [v.grad for r in values for v in r]
    assert grads == pytest.approx(x.grad.flatten().tolist(), abs=TOL)


@pytest.mark.parametrize("seed", range(3))
def test_cross_entropy_with_probability_targets_matches_torch(seed):
    torch = pytest.importorskip("torch")
    rows = [random_floats(3, seed * 10 + i, scale=3.0) for i in range(4)]
    probs = [[abs(v) for v in random_floats(3, 100 + seed * 10 + i)] for i in range(4)]
    probs = [[p / sum(row) for p in row] for row in probs]
    values = [leaves(r) for r in rows]
    loss = cross_entropy(values, probs)
    loss.backward()
    x = torch.tensor(rows, dtype=torch.float64, requires_grad=True)
    t_loss = torch.nn.functional.cross_entropy(x, torch.tensor(probs, dtype=torch.float64))
    t_loss.backward()
    assert loss.data == pytest.approx(t_loss.item(), abs=TOL)
    grads = [v.grad for r in values for v in r]
    assert grads == pytest.approx(x.grad.flatten().tolist(), abs=TOL)


def test_cross_entropy_one_hot_equals_class_indices():
    rows = [[0.5, -1.0, 2.0], [3.0, 0.1, -0.2]]
    by_index = cross_entropy(rows, [2, 0]).data
    by_one_hot = cross_entropy(rows, [[0, 0, 1], [1, 0, 0]]).data
    assert by_one_hot == pytest.approx(by_index, rel=1e-15)
    with pytest.raises(ValueError, match="3 logits"):
        cross_entropy(rows, [[0, 1], [1, 0]])


def test_cross_entropy_is_finite_for_huge_logits():
    torch = pytest.importorskip("torch")
    rows = [[800.0, 0.0, -800.0], [1.0, 799.0, 800.0]]
    values = [leaves(r) for r in rows]
    loss = cross_entropy(values, [2, 0])
    loss.backward()
    grads = [v.grad for r in values for v in r]
    assert math.isfinite(loss.data) and all(math.isfinite(g) for g in grads)
    x = torch.tensor(rows, dtype=torch.float64, requires_grad=True)
    t_loss = torch.nn.functional.cross_entropy(x, torch.tensor([2, 0]))
    t_loss.backward()
    assert loss.data == pytest.approx(t_loss.item(), rel=TOL)
    assert grads == pytest.approx(x.grad.flatten().tolist(), abs=TOL)


@pytest.mark.parametrize("fn_name", ["softmax", "log_softmax"])
def test_softmax_and_log_softmax_match_torch(fn_name):
    torch = pytest.importorskip("torch")
    ours_fn = {"softmax": softmax, "log_softmax": log_softmax}[fn_name]
    logits = [0.5, -1.0, 3.0, 800.0]
    weights = [0.3, -1.2, 0.7, 2.0]  # a weighted sum gives every output a gradient
    xs = leaves(logits)
    out = ours_fn(xs)
    sum(w * o for w, o in zip(weights, out)).backward()
    x = torch.tensor(logits, dtype=torch.float64, requires_grad=True)
    t_out = getattr(torch, fn_name)(x, dim=0)
    (torch.tensor(weights, dtype=torch.float64) * t_out).sum().backward()
    assert [o.data for o in out] == pytest.approx(t_out.tolist(), abs=TOL)
    assert [v.grad for v in xs] == pytest.approx(x.grad.tolist(), abs=TOL)


# --- behaviour without PyTorch ------------------------------------------------------------


def test_softmax_sums_to_one_and_keeps_order():
    probs = softmax([1.0, 2.0, 3.0])
    assert sum(p.data for p in probs) == pytest.approx(1.0)
    assert probs[0].data < probs[1].data < probs[2].data


def test_hinge_loss_is_zero_beyond_the_margin_and_linear_inside():
    assert hinge_loss([2.0, -3.0], [1, -1]).data == 0.0
    assert hinge_loss([0.0], [1]).data == 1.0
    assert hinge_loss([0.5, -0.5], [1, -1]).data == pytest.approx(0.5)


def test_losses_accept_a_list_of_model_outputs():
    model = MLP(2, [3, 1], seed=0)
    X, y = [[0.1, 0.2], [0.3, -1.0]], [1.0, -1.0]
    preds = [model(x) for x in X]
    loss = mse_loss(preds, y)
    loss.backward()
    expected = sum((p.data - t) ** 2 for p, t in zip(preds, y)) / 2
    assert loss.data == pytest.approx(expected)
    assert any(p.grad != 0.0 for p in model.parameters())


def test_mse_flattens_multi_output_samples():
    loss = mse_loss([[1.0, 2.0], [3.0, 4.0]], [[1.0, 0.0], [3.0, 0.0]])
    assert loss.data == pytest.approx((4 + 16) / 4)


def test_l2_penalty_is_the_plain_sum_of_squares():
    params = leaves([1.0, -2.0, 3.0])
    penalty = l2_penalty(params)
    penalty.backward()
    assert penalty.data == 14.0
    assert [p.grad for p in params] == [2.0, -4.0, 6.0]


def test_l2_penalty_takes_a_module():
    model = MLP(2, [2], seed=0)
    expected = sum(p.data**2 for p in model.parameters())
    assert l2_penalty(model).data == pytest.approx(expected)


# --- errors -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "loss_fn", [mse_loss, binary_cross_entropy, binary_cross_entropy_with_logits, hinge_loss]
)
def test_mismatched_lengths_name_both_sizes(loss_fn):
    with pytest.raises(ValueError, match="3 .* but 2 targets"):
        loss_fn([0.5, 0.5, 0.5], [1, 1])


@pytest.mark.parametrize(
    "loss_fn", [mse_loss, binary_cross_entropy, binary_cross_entropy_with_logits, hinge_loss]
)
def test_empty_batch_is_an_error(loss_fn):
    with pytest.raises(ValueError, match="empty"):
        loss_fn([], [])


def test_cross_entropy_errors():
    with pytest.raises(ValueError, match="class index 1 is 3.*3 logits"):
        cross_entropy([[1.0, 2.0, 3.0], [1.0, 2.0, 3.0]], [0, 3])
    with pytest.raises(ValueError, match="must be an int"):
        cross_entropy([[1.0, 2.0]], [0.5])
    with pytest.raises(ValueError, match="1 rows of logits but 2 targets"):
        cross_entropy([[1.0, 2.0]], [0, 1])
    with pytest.raises(ValueError, match="empty"):
        cross_entropy([], [])


def test_range_checks():
    with pytest.raises(ValueError, match="probabilities must be in"):
        binary_cross_entropy([1.5], [1.0])
    with pytest.raises(ValueError, match="targets must be in"):
        binary_cross_entropy([0.5], [2.0])
    with pytest.raises(ValueError, match="-1 or \\+1"):
        hinge_loss([0.5], [0])


def test_non_numbers_are_type_errors():
    with pytest.raises(TypeError, match="numbers or Values"):
        mse_loss(["a"], [1.0])
    with pytest.raises(ValueError, match="got no parameters"):
        l2_penalty([])


# --- shapes checked sample by sample, labels named by index (issue 13) ---------------------------


def test_mse_loss_refuses_a_3x2_against_2x3_mix_up():
    preds = [[Value(1.0), Value(2.0)], [Value(3.0), Value(4.0)], [Value(5.0), Value(6.0)]]
    targets = [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]
    with pytest.raises(ValueError, match=r"shape \(3, 2\) but targets have shape \(2, 3\)"):
        mse_loss(preds, targets)  # 6 = 6 numbers: the old total-count check let it through


@pytest.mark.parametrize(
    "loss_fn", [mse_loss, binary_cross_entropy, binary_cross_entropy_with_logits, hinge_loss]
)
def test_every_loss_checks_per_sample_shapes(loss_fn):
    with pytest.raises(ValueError, match=r"shape \(2, 2\) but targets have shape \(4,\)"):
        loss_fn([[0.5, 0.5], [0.5, 0.5]], [1, 1, 1, 1])
    with pytest.raises(ValueError, match=r"ragged: item 1 has shape \(1,\)"):
        loss_fn([[0.5, 0.5], [0.5]], [[1, 1], [1]])


def test_one_unit_outputs_in_lists_of_one_still_match_flat_targets():
    wrapped = [[Value(0.5)], [Value(-1.0)]]  # what Layer.outputs gives for one neuron
    assert mse_loss(wrapped, [1.0, 0.0]).data == pytest.approx((0.25 + 1.0) / 2)


def test_numpy_targets_have_a_shape_too():
    np = pytest.importorskip("numpy")
    assert mse_loss([Value(1.0), Value(2.0)], np.array([1.0, 0.0])).data == pytest.approx(2.0)
    with pytest.raises(ValueError, match="shape"):
        mse_loss([[1.0, 2.0], [3.0, 4.0]], np.zeros((4, 1)))


def test_a_bad_target_is_named_by_its_index():
    with pytest.raises(
        TypeError, match=r"targets must be numbers or Values, got 'x' \(item \[1\]\)"
    ):
        mse_loss([1.0, 2.0], [1.0, "x"])


def test_cross_entropy_refuses_ragged_rows():
    with pytest.raises(ValueError, match="row 1 has 2 and row 0 has 3"):
        cross_entropy([[1.0, 2.0, 3.0], [1.0, 2.0]], [0, 1])


def test_cross_entropy_with_a_nan_logit_is_nan_like_pytorch():
    loss = cross_entropy([[Value(math.nan), Value(1.0)], [Value(0.0), Value(1.0)]], [0, 1])
    assert math.isnan(loss.data)  # was "log is only defined for positive numbers, got nan"
    torch = pytest.importorskip("torch")
    expected = torch.nn.functional.cross_entropy(
        torch.tensor([[math.nan, 1.0], [0.0, 1.0]], dtype=torch.float64), torch.tensor([0, 1])
    )
    assert math.isnan(expected.item())
