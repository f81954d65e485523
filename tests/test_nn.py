"""nn: micrograd compatibility, names, modes, state dicts, errors; Dropout/BatchNorm vs PyTorch."""

import math
import random

import pytest

from micrograd_plus.engine import Value
from micrograd_plus.losses import mse_loss
from micrograd_plus.nn import (
    MLP,
    BatchNorm1d,
    Dropout,
    Identity,
    Layer,
    LeakyReLU,
    Linear,
    Module,
    Neuron,
    ReLU,
    Sequential,
    Sigmoid,
    Tanh,
)

TOL = 1e-9


def data_of(out):
    return [v.data for v in out] if isinstance(out, list) else out.data


# --- micrograd compatibility ----------------------------------------------------------------


def test_same_global_seed_gives_micrographs_weights():
    micrograd_nn = pytest.importorskip("micrograd.nn")
    random.seed(1337)
    theirs = micrograd_nn.MLP(2, [16, 16, 1])
    random.seed(1337)
    ours = MLP(2, [16, 16, 1])
    assert [p.data for p in ours.parameters()] == [p.data for p in theirs.parameters()]


def test_copied_weights_give_micrograds_outputs_and_gradients():
    micrograd_nn = pytest.importorskip("micrograd.nn")
    theirs = micrograd_nn.MLP(3, [4, 4, 1])
    ours = MLP(3, [4, 4, 1], seed=0)
    assert len(ours.parameters()) == len(theirs.parameters())
    for mine, other in zip(ours.parameters(), theirs.parameters()):
        mine.data = other.data
    X = [[2.0, 3.0, -1.0], [3.0, -1.0, 0.5], [0.5, 1.0, 1.0], [1.0, 1.0, -1.0]]
    ys = [1.0, -1.0, -1.0, 1.0]
    for model in (ours, theirs):
        preds = [model(x) for x in X]
        loss = sum((p - y) ** 2 for p, y in zip(preds, ys))  # micrograd-style code
        loss.backward()
        model.loss = loss.data
    assert ours.loss == pytest.approx(theirs.loss, abs=TOL)
    assert [p.grad for p in ours.parameters()] == pytest.approx(
        [p.grad for p in theirs.parameters()], abs=TOL
    )


def test_micrograd_attribute_names_and_training_loop_work():
    model = MLP(2, [4, 1], seed=1)
    neuron = model.layers[0].neurons[0]
    assert len(neuron.w) == 2 and isinstance(neuron.b, Value) and neuron.nonlin
    assert not model.layers[-1].neurons[0].nonlin
    X, ys = [[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]], [1.0, -1.0, 0.5]
    losses = []
    for _ in range(30):
        loss = sum((model(x) - y) ** 2 for x, y in zip(X, ys))
        model.zero_grad()
        loss.backward()
        for p in model.parameters():
            p.data -= 0.02 * p.grad
        losses.append(loss.data)
    assert losses[-1] < losses[0]


def test_one_unit_layers_in_the_middle_work_unlike_micrograd():
    x = [0.5, -0.5]
    model = MLP(2, [16, 1, 1], seed=0)
    out = model(x)
    assert isinstance(out, Value)
    hidden = model.layers[0](x)
    by_hand = model.layers[2]([model.layers[1](hidden)])
    assert out.data == by_hand.data
    micrograd_nn = pytest.importorskip("micrograd.nn")
    with pytest.raises(TypeError):
        micrograd_nn.MLP(2, [16, 1, 1])(x)


def test_outputs_are_a_value_for_one_unit_and_a_list_otherwise():
    assert isinstance(MLP(2, [3, 1], seed=0)([1, 2]), Value)
    out = MLP(2, [3, 2], seed=0)([1, 2])
    assert isinstance(out, list) and len(out) == 2


def test_neuron_computes_activation_of_weighted_sum():
    for activation, fn in [
        ("relu", lambda z: max(z, 0.0)),
        ("tanh", math.tanh),
        ("sigmoid", lambda z: 1 / (1 + math.exp(-z))),
        ("leaky_relu", lambda z: z if z > 0 else 0.01 * z),
        ("linear", lambda z: z),
    ]:
        n = Neuron(3, activation=activation, seed=4)
        n.b.data = -0.3
        x = [0.5, -2.0, 1.5]
        z = sum(w.data * xi for w, xi in zip(n.w, x)) - 0.3
        assert n(x).data == pytest.approx(fn(z)), activation


def test_hidden_activation_choice_is_applied_and_last_layer_is_linear():
    model = MLP(2, [3, 1], activation="tanh", seed=2)
    assert [layer.activation for layer in model.layers] == ["tanh", "linear"]
    hidden = [
        math.tanh(sum(w.data * x for w, x in zip(n.w, [1.0, 2.0]))) for n in model.layers[0].neurons
    ]
    last = model.layers[1].neurons[0]
    expected = sum(w.data * h for w, h in zip(last.w, hidden))
    assert model([1.0, 2.0]).data == pytest.approx(expected)


# --- initialisation and seeds ------------------------------------------------------------------


def test_seed_is_reproducible_and_leaves_global_state_alone():
    random.seed(5)
    before = random.random()
    random.seed(5)
    a = MLP(3, [5, 2], seed=11)
    after = random.random()
    b = MLP(3, [5, 2], seed=11)
    c = MLP(3, [5, 2], seed=12)
    assert before == after
    assert a.state_dict() == b.state_dict() != c.state_dict()


@pytest.mark.parametrize(
    "init, bound",
    [
        ("uniform", 1.0),
        ("xavier", math.sqrt(6 / (50 + 40))),
        ("glorot", math.sqrt(6 / (50 + 40))),
        ("he", math.sqrt(6 / 50)),
        ("kaiming", math.sqrt(6 / 50)),
    ],
)
def test_init_draws_uniform_weights_with_the_right_bound(init, bound):
    layer = Layer(50, 40, init=init, seed=0)
    weights = [w.data for n in layer.neurons for w in n.w]
    assert max(abs(w) for w in weights) <= bound
    assert max(abs(w) for w in weights) > 0.95 * bound  # 2000 draws reach close to the edge
    assert all(n.b.data == 0.0 for n in layer.neurons)


def test_bad_constructor_arguments():
    with pytest.raises(ValueError, match="init must be one of"):
        MLP(2, [2], init="zeros")
    with pytest.raises(ValueError, match="activation must be one of"):
        MLP(2, [2], activation="gelu")
    with pytest.raises(ValueError, match="at least one layer"):
        MLP(2, [])
    with pytest.raises(ValueError, match="nin >= 1"):
        Neuron(0)
    with pytest.raises(TypeError, match="seed"):
        MLP(2, [2], seed="abc")


# --- wrong inputs ------------------------------------------------------------------------------


@pytest.mark.parametrize("model", [Neuron(2, seed=0), Layer(2, 3, seed=0), MLP(2, [3, 1], seed=0)])
def test_wrong_width_names_expected_and_given(model):
    with pytest.raises(ValueError, match="expects 2 inputs per sample, got 3"):
        model([1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="expects 2 inputs per sample, got 1"):
        model([1.0])


def test_a_sample_must_be_a_list():
    with pytest.raises(TypeError, match="list of numbers"):
        MLP(2, [1], seed=0)("ab")


# --- names, parameters, modes ---------------------------------------------------------------------


def test_named_parameters_of_an_mlp():
    model = MLP(2, [2, 1], seed=0)
    names = [name for name, _ in model.named_parameters()]
    assert names == [
        "layers.0.w[0,0]", "layers.0.w[0,1]", "layers.0.b[0]",
        "layers.0.w[1,0]", "layers.0.w[1,1]", "layers.0.b[1]",
        "layers.1.w[0,0]", "layers.1.w[0,1]", "layers.1.b[0]",
    ]  # fmt: skip
    named = dict(model.named_parameters())
    assert named["layers.0.w[1,0]"] is model.layers[0].neurons[1].w[0]
    assert named["layers.1.b[0]"] is model.layers[1].neurons[0].b
    assert [p for _, p in model.named_parameters()] == model.parameters()


def test_everything_before_the_last_dot_names_the_layer():
    model = Sequential(Layer(2, 3, seed=0), BatchNorm1d(3), ReLU(), Linear(3, 1, seed=1))
    groups = {name.rsplit(".", 1)[0] for name, _ in model.named_parameters()}
    assert groups == {"0", "1", "3"}
    mlp_groups = {name.rsplit(".", 1)[0] for name, _ in MLP(2, [4, 4, 1]).named_parameters()}
    assert mlp_groups == {"layers.0", "layers.1", "layers.2"}


def test_custom_modules_find_their_parts():
    class Net(Module):
        def __init__(self):
            self.body = MLP(2, [3], seed=0)
            self.scale = Value(2.0)
            self.heads = [Linear(3, 1, seed=1), Linear(3, 1, seed=2)]
            self._cache = Value(9.0)  # private: not a parameter

        def forward(self, x):
            h = self.body(x)
            return [head(h) * self.scale for head in self.heads]

    net = Net()
    names = [name for name, _ in net.named_parameters()]
    assert names[:2] == ["scale", "body.layers.0.w[0,0]"]
    assert "heads.1.b[0]" in names and not any("cache" in n for n in names)
    assert len(net.parameters()) == 1 + 9 + 4 + 4
    assert len(net([1.0, 2.0])) == 2


def test_shared_parameters_are_listed_once():
    layer = Linear(2, 2, seed=0)
    model = Sequential(layer, layer)
    assert len(model.parameters()) == 6


def test_zero_grad_clears_every_gradient():
    model = MLP(2, [3, 1], seed=0)
    model([1.0, -1.0]).backward()
    model.zero_grad()
    assert all(p.grad == 0.0 for p in model.parameters())


def test_train_and_eval_reach_nested_modules():
    inner = Sequential(Dropout(0.5), BatchNorm1d(2))
    model = Sequential(Linear(2, 2, seed=0), inner)
    assert model.eval() is model
    assert not inner[0].training and not inner[1].training
    model.train()
    assert inner[0].training and inner[1].training


def test_repr_lists_the_layers():
    text = repr(MLP(2, [16, 1]))
    assert text.startswith("MLP(")
    assert "(layers.0): Layer(nin=2, nout=16, activation='relu')" in text
    assert "(layers.1): Layer(nin=16, nout=1, activation='linear')" in text
    assert repr(Sequential(Linear(2, 1), Dropout(0.1))).count("\n") == 3


# --- state dicts -----------------------------------------------------------------------------


def test_state_dict_round_trip():
    a, b = MLP(3, [4, 2], seed=1), MLP(3, [4, 2], seed=2)
    assert b.load_state_dict(a.state_dict()) is b
    assert b.state_dict() == a.state_dict()
    assert data_of(b([1.0, 2.0, 3.0])) == data_of(a([1.0, 2.0, 3.0]))


def test_state_dict_holds_floats_and_batchnorm_buffers():
    model = Sequential(Linear(2, 2, seed=0), BatchNorm1d(2))
    state = model.state_dict()
    assert all(type(v) is float for v in state.values())
    assert state["1.running_mean[1]"] == 0.0 and state["1.running_var[0]"] == 1.0
    model.forward_batch([[1.0, 2.0], [3.0, 5.0]])
    changed = model.state_dict()
    assert changed["1.running_mean[0]"] != 0.0
    fresh = Sequential(Linear(2, 2, seed=9), BatchNorm1d(2)).load_state_dict(changed)
    assert fresh[1].running_mean == model[1].running_mean


@pytest.mark.parametrize(
    "edit, message",
    [
        (lambda s: s.pop("layers.1.b[0]"), "missing 1: 'layers.1.b\\[0\\]'"),
        (lambda s: s.update({"layers.9.w[0,0]": 1.0}), "unexpected 1: 'layers.9.w"),
        (lambda s: s.update({"layers.1.b[0]": "0.5"}), "'layers.1.b\\[0\\]' must be a number"),
        (lambda s: s.update({"layers.1.b[0]": None}), "must be a number"),
        (lambda s: s.update({"layers.1.b[0]": True}), "must be a number"),
    ],
)
def test_bad_state_dicts_raise_and_change_nothing(edit, message):
    model = MLP(2, [2, 1], seed=0)
    before = model.state_dict()
    bad = {name: value + 1.0 for name, value in before.items()}  # every value would change
    edit(bad)
    with pytest.raises(ValueError, match=message):
        model.load_state_dict(bad)
    assert model.state_dict() == before


def test_load_state_dict_needs_a_mapping():
    with pytest.raises(TypeError, match="mapping"):
        MLP(2, [1], seed=0).load_state_dict([1.0, 2.0, 3.0])


# --- batches and the activation modules ---------------------------------------------------------


def test_forward_batch_equals_one_sample_at_a_time():
    model = MLP(2, [3, 2], seed=0)
    X = [[1.0, 2.0], [0.5, -1.0], [0.0, 0.0]]
    assert [data_of(o) for o in model.forward_batch(X)] == [data_of(model(x)) for x in X]
    single = MLP(2, [3, 1], seed=0)
    assert all(isinstance(o, Value) for o in single.forward_batch(X))


def test_activation_modules_map_elementwise():
    xs = [Value(-2.0), Value(0.5)]
    assert data_of(ReLU()(xs)) == [0.0, 0.5]
    assert data_of(Tanh()(xs)) == pytest.approx([math.tanh(-2.0), math.tanh(0.5)])
    assert data_of(Sigmoid()(xs)) == pytest.approx(
        [1 / (1 + math.exp(2.0)), 1 / (1 + math.exp(-0.5))]
    )
    assert data_of(LeakyReLU(0.1)(xs)) == pytest.approx([-0.2, 0.5])
    assert data_of(Identity()(xs)) == [-2.0, 0.5]
    assert ReLU()(Value(-1.0)).data == 0.0


def test_sequential_matches_the_same_mlp():
    mlp = MLP(2, [3, 1], seed=0)
    seq = Sequential(Linear(2, 3, seed=5), ReLU(), Linear(3, 1, seed=6))
    seq.load_state_dict({k.replace("layers.0", "0").replace("layers.1", "2"): v
                         for k, v in mlp.state_dict().items()})  # fmt: skip
    assert seq([0.3, -0.7]).data == mlp([0.3, -0.7]).data
    assert len(seq) == 3 and isinstance(seq[1], ReLU)
    with pytest.raises(TypeError, match="argument 1"):
        Sequential(Linear(2, 1), "relu")


# --- Dropout ------------------------------------------------------------------------------------


def test_dropout_zeroes_or_scales_and_is_seeded():
    xs = [Value(float(i + 1)) for i in range(2000)]
    out = Dropout(0.25, seed=3)(xs)
    kept = [o.data / x.data for o, x in zip(out, xs) if o.data != 0.0]
    assert kept == pytest.approx([1 / 0.75] * len(kept))
    dropped = 1 - len(kept) / len(xs)
    assert 0.2 < dropped < 0.3
    again = Dropout(0.25, seed=3)(xs)
    assert data_of(again) == data_of(out)


def test_dropout_gradient_is_the_mask_times_the_scale():
    xs = [Value(1.0) for _ in range(50)]
    out = Dropout(0.5, seed=0)(xs)
    sum(out).backward()
    assert all(x.grad == (2.0 if o.data else 0.0) for x, o in zip(xs, out))


def test_dropout_in_eval_is_the_identity_and_p_is_checked():
    layer = Dropout(0.9, seed=0).eval()
    assert data_of(layer([1.0, 2.0, 3.0])) == [1.0, 2.0, 3.0]
    assert data_of(Dropout(1.0)([1.0, 2.0])) == [0.0, 0.0]
    for bad in (-0.1, 1.5, "0.5"):
        with pytest.raises(ValueError, match="between 0 and 1"):
            Dropout(bad)


def test_dropout_scaling_matches_torch():
    torch = pytest.importorskip("torch")
    x = torch.arange(1.0, 201.0, dtype=torch.float64)
    t_out = torch.nn.functional.dropout(x, p=0.3, training=True)
    ours = Dropout(0.3, seed=1)([Value(v) for v in x.tolist()])
    t_kept = {round(a / b, 12) for a, b in zip(t_out.tolist(), x.tolist()) if a != 0}
    our_kept = {round(o.data / v, 12) for o, v in zip(ours, x.tolist()) if o.data != 0}
    assert t_kept == our_kept == {round(1 / 0.7, 12)}


# --- BatchNorm1d ----------------------------------------------------------------------------------


def batch(seed, n=5, features=3):
    rng = random.Random(seed)
    return [[rng.uniform(-2, 2) * (j + 1) + j for j in range(features)] for _ in range(n)]


@pytest.mark.parametrize("affine", [True, False])
def test_batchnorm_training_matches_torch(affine):
    torch = pytest.importorskip("torch")
    X = batch(0)
    ours = BatchNorm1d(3, affine=affine)
    theirs = torch.nn.BatchNorm1d(3, affine=affine, dtype=torch.float64)
    if affine:
        for j, (w, b) in enumerate([(1.5, 0.2), (-0.7, 1.0), (0.3, -0.4)]):
            ours.weight[j].data, ours.bias[j].data = w, b
        with torch.no_grad():
            theirs.weight.copy_(torch.tensor([1.5, -0.7, 0.3], dtype=torch.float64))
            theirs.bias.copy_(torch.tensor([0.2, 1.0, -0.4], dtype=torch.float64))
    coef = [[0.3 * i - j for j in range(3)] for i in range(5)]  # gives every output a gradient
    xs = [[Value(v) for v in row] for row in X]
    out = ours.forward_batch(xs)
    sum(c * o for cs, os in zip(coef, out) for c, o in zip(cs, os)).backward()
    tx = torch.tensor(X, dtype=torch.float64, requires_grad=True)
    t_out = theirs(tx)
    (torch.tensor(coef, dtype=torch.float64) * t_out).sum().backward()
    assert [o.data for row in out for o in row] == pytest.approx(t_out.flatten().tolist(), abs=TOL)
    assert [v.grad for row in xs for v in row] == pytest.approx(tx.grad.flatten().tolist(), abs=TOL)
    if affine:
        assert [w.grad for w in ours.weight] == pytest.approx(theirs.weight.grad.tolist(), abs=TOL)
        assert [b.grad for b in ours.bias] == pytest.approx(theirs.bias.grad.tolist(), abs=TOL)
    assert ours.running_mean == pytest.approx(theirs.running_mean.tolist(), abs=TOL)
    assert ours.running_var == pytest.approx(theirs.running_var.tolist(), abs=TOL)


def test_batchnorm_running_stats_and_eval_match_torch():
    torch = pytest.importorskip("torch")
    ours = BatchNorm1d(3, momentum=0.2)
    theirs = torch.nn.BatchNorm1d(3, momentum=0.2, dtype=torch.float64)
    for seed in range(3):
        X = batch(seed, n=4)
        ours.forward_batch(X)
        theirs(torch.tensor(X, dtype=torch.float64))
    assert ours.running_var == pytest.approx(theirs.running_var.tolist(), abs=TOL)
    ours.eval()
    theirs.eval()
    X = batch(7, n=2)
    xs = [[Value(v) for v in row] for row in X]
    out = ours.forward_batch(xs)
    sum(o for row in out for o in row).backward()
    tx = torch.tensor(X, dtype=torch.float64, requires_grad=True)
    t_out = theirs(tx)
    t_out.sum().backward()
    assert [o.data for row in out for o in row] == pytest.approx(t_out.flatten().tolist(), abs=TOL)
    assert [v.grad for row in xs for v in row] == pytest.approx(tx.grad.flatten().tolist(), abs=TOL)
    assert data_of(ours(X[0])) == pytest.approx(t_out[0].tolist(), abs=TOL)


def test_sequential_with_batchnorm_matches_torch():
    torch = pytest.importorskip("torch")
    ours = Sequential(Linear(2, 4, seed=0), BatchNorm1d(4), ReLU(), Linear(4, 1, seed=1))
    nn = torch.nn
    theirs = nn.Sequential(nn.Linear(2, 4), nn.BatchNorm1d(4), nn.ReLU(), nn.Linear(4, 1)).double()
    with torch.no_grad():
        for index in (0, 3):
            neurons = ours[index].neurons
            weight = [[w.data for w in n.w] for n in neurons]
            theirs[index].weight.copy_(torch.tensor(weight, dtype=torch.float64))
            theirs[index].bias.copy_(torch.tensor([n.b.data for n in neurons], dtype=torch.float64))
    X, ys = batch(3, n=6, features=2), [0.5, -1.0, 2.0, 0.0, 1.0, -0.5]
    loss = mse_loss(ours.forward_batch(X), ys)
    loss.backward()
    t_loss = nn.functional.mse_loss(
        theirs(torch.tensor(X, dtype=torch.float64)).squeeze(1),
        torch.tensor(ys, dtype=torch.float64),
    )
    t_loss.backward()
    assert loss.data == pytest.approx(t_loss.item(), abs=TOL)
    t_grads = [g for p in theirs[0].parameters() for g in p.grad.flatten().tolist()]
    our_grads = [n.w[j].grad for n in ours[0].neurons for j in range(2)]
    our_grads += [n.b.grad for n in ours[0].neurons]
    assert our_grads == pytest.approx(t_grads, abs=TOL)


def test_batchnorm_errors():
    bn = BatchNorm1d(2)
    with pytest.raises(ValueError, match="needs a batch"):
        bn([1.0, 2.0])
    with pytest.raises(ValueError, match="at least 2 samples, got 1"):
        bn.forward_batch([[1.0, 2.0]])
    with pytest.raises(ValueError, match="expects 2 inputs per sample, got 3"):
        bn.forward_batch([[1.0, 2.0, 3.0], [1.0, 2.0, 3.0]])
    with pytest.raises(ValueError, match="num_features"):
        BatchNorm1d(0)
    assert bn.running_mean == [0.0, 0.0]


def test_parameters_is_named_parameters_without_names():
    from micrograd_plus import nn

    models = [
        nn.MLP(2, [4, 3, 1]),
        nn.Sequential(
            nn.Linear(2, 4), nn.BatchNorm1d(4), nn.ReLU(), nn.Dropout(0.2), nn.Linear(4, 3)
        ),
        nn.Neuron(3),
        nn.Layer(3, 2),
    ]
    for model in models:
        fast = model.parameters()
        named = [p for _, p in model.named_parameters()]
        assert len(fast) == len(named) > 0
        assert all(a is b for a, b in zip(fast, named))


def test_mlp_with_a_bare_int_for_nouts_says_a_list_is_expected():
    with pytest.raises(TypeError, match=r"nouts must be a list of layer sizes"):
        MLP(2, 3)


# --- parameters held in nested lists, tuples and dicts (issue 13) ---------------------------------


class _Conv(Module):
    """A weight matrix as a list of lists, a dict of gates and a tuple: 10 + 4 + 2 parameters."""

    def __init__(self, seed=0):
        rng = random.Random(seed)
        self.kernel = [[Value(rng.uniform(-1, 1)) for _ in range(5)] for _ in range(2)]
        self.gates = {
            "input": [Value(rng.uniform(-1, 1)), Value(0.0)],
            "forget": (Value(1.0), Value(2.0)),
        }
        self.pair = (Value(0.5), [Value(-0.5)])
        self.blocks = [[Linear(2, 1, seed=seed)], {"head": Linear(1, 1, seed=seed + 1)}]

    def forward(self, x):
        return sum((w * xi for row in self.kernel for w, xi in zip(row, x)), Value(0.0))


def test_values_in_nested_lists_tuples_and_dicts_are_parameters():
    model = _Conv()
    names = [name for name, _ in model.named_parameters()]
    assert names == [
        *(f"kernel[{i},{j}]" for i in range(2) for j in range(5)),
        "gates[input,0]", "gates[input,1]", "gates[forget,0]", "gates[forget,1]",
        "pair[0]", "pair[1,0]",
        "blocks.0.0.w[0,0]", "blocks.0.0.w[0,1]", "blocks.0.0.b[0]",
        "blocks.1.head.w[0,0]", "blocks.1.head.b[0]",
    ]  # fmt: skip
    named = dict(model.named_parameters())
    assert named["kernel[1,3]"] is model.kernel[1][3]
    assert named["gates[forget,1]"] is model.gates["forget"][1]
    assert named["pair[1,0]"] is model.pair[1][0]
    assert named["blocks.1.head.b[0]"] is model.blocks[1]["head"].neurons[0].b
    assert model.parameters() == [p for _, p in model.named_parameters()]
    assert [name for name, _ in model.children()] == ["blocks.0.0", "blocks.1.head"]
    # stable: the same names in the same order on every call and for every instance
    assert [n for n, _ in _Conv(seed=5).named_parameters()] == names


def test_nested_parameters_are_trained_and_zeroed():
    from micrograd_plus.optim import SGD

    model = _Conv()
    before = [p.data for p in model.parameters()]
    model([1.0, 2.0, 3.0, 4.0, 5.0]).backward()
    assert model.kernel[1][4].grad == 5.0
    SGD(model.parameters(), lr=0.1).step()
    assert model.kernel[1][4].data == pytest.approx(before[9] - 0.5)
    model.zero_grad()
    assert all(p.grad == 0.0 for p in model.parameters())


def test_nested_parameters_round_trip_through_state_dict():
    source, target = _Conv(seed=1), _Conv(seed=2)
    state = source.state_dict()
    assert len(state) == 16 + 5 and state["kernel[0,0]"] == source.kernel[0][0].data
    target.load_state_dict(state)
    assert [p.data for p in target.parameters()] == [p.data for p in source.parameters()]


def test_a_container_that_holds_itself_is_walked_once():
    class Loop(Module):
        def __init__(self):
            self.w = [Value(1.0)]
            self.w.append(self.w)
            self.me = [self]

    model = Loop()
    assert [n for n, _ in model.named_parameters()] == ["w[0]"]
    assert len(model.parameters()) == 1


def test_a_set_of_values_is_refused_not_skipped():
    class Bag(Module):
        def __init__(self):
            self.w = {Value(1.0), Value(2.0)}

    with pytest.raises(TypeError, match=r"Bag\.w is a set .* use a list"):
        Bag().parameters()
    with pytest.raises(TypeError, match="no stable order"):
        Bag().named_parameters()


def test_two_parameters_with_one_name_are_refused_by_state_dict():
    class Clash(Module):
        def __init__(self):
            self.w = {"0,1": Value(1.0), 0: {1: Value(2.0)}}

    with pytest.raises(ValueError, match=r"both named 'w\[0,1\]'"):
        Clash().state_dict()


# --- contradictory constructor arguments (issue 13) -----------------------------------------------


def test_nonlin_false_with_a_nonlinear_activation_is_refused():
    with pytest.raises(ValueError, match=r"nonlin=False contradicts activation='tanh'"):
        Layer(2, 3, nonlin=False, activation="tanh")  # was silently linear
    with pytest.raises(ValueError, match=r"nonlin=True contradicts activation='linear'"):
        Neuron(2, True, activation="linear")


def test_nonlin_and_activation_agree_or_stand_alone():
    assert Layer(2, 3, nonlin=False, seed=0).activation == "linear"  # micrograd's way
    assert Layer(2, 3, nonlin=False, activation="linear", seed=0).activation == "linear"
    assert Layer(2, 3, nonlin=True, activation="tanh", seed=0).activation == "tanh"
    assert Neuron(2, seed=0).activation == "relu" and Neuron(2, True).activation == "relu"
    assert Layer(2, 3, activation="sigmoid", seed=0).activation == "sigmoid"
    assert [layer.activation for layer in MLP(2, [3, 1], seed=0).layers] == ["relu", "linear"]
