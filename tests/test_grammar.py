"""Chapter 6's grammar: vocabulary, derivation sampler, recognizer, encode/decode and bad input."""

import itertools
from collections import Counter

import numpy as np
import pytest

import gumbel_tutorial as gt
from gumbel_tutorial import grammar
from gumbel_tutorial.grammar import (
    MAX_LEN,
    OPERATORS,
    PAD,
    PAD_INDEX,
    VOCAB,
    VOCAB_SIZE,
    count_valid,
    decode,
    encode,
    is_valid,
    pad,
    sample_dataset,
    sample_tree,
    tree_to_string,
)


@pytest.fixture(scope="module")
def dataset():
    return sample_dataset(5_000, 12, seed=0)


def sentences_up_to(max_len):
    """All sentences of S -> x | S op S with at most max_len symbols, by closing the productions."""
    language = {"x"}
    while True:
        grown = language | {
            a + op + b
            for a in language
            for b in language
            for op in OPERATORS
            if len(a) + len(b) + 1 <= max_len
        }
        if grown == language:
            return language
        language = grown


def test_vocabulary():
    assert VOCAB == (" ", "x", "+", "-", "*", "/")
    assert VOCAB_SIZE == len(VOCAB) == 6
    assert PAD == " " and VOCAB[PAD_INDEX] == PAD
    assert all(isinstance(s, str) and len(s) == 1 for s in VOCAB)
    assert MAX_LEN == 12


def test_dataset_shape_and_validity(dataset):
    assert len(dataset) == 5_000
    assert all(isinstance(s, str) and len(s) == 12 for s in dataset)
    assert all(is_valid(s) for s in dataset)
    assert set("".join(dataset)) == set(VOCAB)


def test_dataset_is_not_degenerate(dataset):
    lengths = Counter(len(s.rstrip(" ")) for s in dataset)
    assert set(lengths) == {1, 3, 5, 7, 9, 11}
    assert max(lengths.values()) / len(dataset) <= 0.40
    # Default k is uniform on 0..5: each length holds 1/6 of the strings (5 sigma ~ 0.026).
    for count in lengths.values():
        assert abs(count / len(dataset) - 1 / 6) < 0.03


def test_same_seed_same_data():
    assert sample_dataset(50, 12, seed=3) == sample_dataset(50, 12, seed=3)
    assert sample_dataset(50, 12, seed=3) != sample_dataset(50, 12, seed=4)


def test_operator_probs_choose_lengths():
    data = sample_dataset(200, 12, seed=1, operator_probs=[0, 0, 0, 0, 0, 1])
    assert {len(s.rstrip()) for s in data} == {11}
    data = sample_dataset(200, 7, seed=1, operator_probs=[0.5, 0.5, 0.0, 0.0])
    assert {len(s.rstrip()) for s in data} == {1, 3}
    assert all(len(s) == 7 for s in data)


@pytest.mark.parametrize("max_len, expected", [(1, {"x"}), (2, {"x "})])
def test_tiny_max_len(max_len, expected):
    assert set(sample_dataset(20, max_len, seed=0)) == expected


def test_tree_shapes_are_uniform():
    rng = np.random.default_rng(0)

    def shape(tree):
        return "x" if isinstance(tree, str) else (shape(tree[1]), shape(tree[2]))

    # Catalan(3) = 5 shapes with 3 operators; each should be drawn with probability 1/5.
    counts = Counter(shape(sample_tree(3, rng)) for _ in range(5_000))
    assert len(counts) == 5
    result = gt.chi_square_test(list(counts.values()), [0.2] * 5)
    assert result.p_value > 1e-3


def test_tree_to_string():
    tree = ("*", ("+", "x", "x"), "x")
    assert tree_to_string(tree) == "x+x*x"
    for k in range(6):
        s = tree_to_string(sample_tree(k, np.random.default_rng(k)))
        assert len(s) == 2 * k + 1 and is_valid(s)
    with pytest.raises(ValueError, match="leaves"):
        tree_to_string(("+", "y", "x"))
    with pytest.raises(ValueError, match="operators"):
        tree_to_string(("^", "x", "x"))


@pytest.mark.parametrize("s", ["x", "x+x-x*x/x", "x   ", "x+x", "x/x/x/x/x/x", "x+x-x*x/x+x "])
def test_is_valid_accepts(s):
    assert is_valid(s)


@pytest.mark.parametrize(
    "s", ["x+", "+x", "xx", "x x", "x+ x", "            ", "", "y", "x+1", " x", "x++x", "x+x+", "X"]
)
def test_is_valid_rejects_near_misses(s):
    assert not is_valid(s)


def test_is_valid_matches_the_grammar_exhaustively():
    # Every string over VOCAB of up to 6 symbols: valid iff it is a derived sentence plus spaces.
    language = sentences_up_to(6)
    checked = 0
    for n in range(7):
        for symbols in itertools.product(VOCAB, repeat=n):
            s = "".join(symbols)
            assert is_valid(s) == (s.rstrip(" ") in language), s
            checked += 1
    assert checked == sum(6**n for n in range(7))


def test_count_valid_matches_enumeration():
    assert count_valid(12) == 1 + 4 + 16 + 64 + 256 + 1024 == 1365
    for length in range(1, 7):
        brute = sum(is_valid("".join(p)) for p in itertools.product(VOCAB, repeat=length))
        assert count_valid(length) == brute


def test_is_valid_type():
    with pytest.raises(TypeError, match="s must be a str"):
        is_valid(["x"])


def test_encode_decode_round_trip(dataset):
    codes = encode(dataset)
    assert codes.shape == (5_000, 12) and codes.dtype == np.int32
    assert codes.min() >= 0 and codes.max() < VOCAB_SIZE
    assert decode(codes) == dataset
    np.testing.assert_array_equal(encode(["x+x         "])[0], [1, 2, 1] + [0] * 9)
    assert decode(np.array([[1, 3, 1, 0]], dtype=np.int64)) == ["x-x "]
    assert decode([[4, 5]]) == ["*/"]
    assert encode([], length=4).shape == (0, 4)


def test_encode_names_the_offending_string():
    with pytest.raises(ValueError, match=r"'x\+x'.*length=12"):
        encode(["x" + " " * 11, "x+x"])
    with pytest.raises(ValueError, match=r"'x\+1 '.*not in VOCAB"):
        encode(["x+1 "], length=4)
    with pytest.raises(ValueError, match="length"):
        encode(["x"], length=0)
    with pytest.raises(TypeError, match="single string"):
        encode("x   ", length=4)


@pytest.mark.parametrize(
    "indices, match",
    [
        ([[0, 6]], r"\[0, 6\)"),
        ([[-1, 0]], r"\[0, 6\)"),
        ([1, 2, 3], "shape"),
        ([[0.0, 1.0]], "integer"),
    ],
)
def test_decode_bad_input(indices, match):
    with pytest.raises(ValueError, match=match):
        decode(np.asarray(indices))


def test_pad():
    assert pad("x+x", 5) == "x+x  "
    with pytest.raises(ValueError, match="more than length"):
        pad("x+x", 2)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(n=0), "n must"),
        (dict(n=2.5), "n must"),
        (dict(max_len=0), "max_len"),
        (dict(seed=-1), "seed"),
        (dict(seed=1.5), "seed"),
        (dict(operator_probs=[0.5, 0.5]), "operator_probs"),
        (dict(operator_probs=[0.5, 0.5, 0.5, 0.5, 0.5, 0.5]), "operator_probs"),
        (dict(operator_probs=[-0.5, 1.5, 0, 0, 0, 0]), "operator_probs"),
    ],
)
def test_sample_dataset_bad_input(kwargs, match):
    args = dict(n=10, max_len=12, seed=0) | kwargs
    with pytest.raises(ValueError, match=match):
        sample_dataset(**args)


def test_sample_tree_bad_input():
    with pytest.raises(ValueError, match="num_operators"):
        sample_tree(-1, np.random.default_rng(0))


def test_module_exports():
    assert grammar.DATASET_SIZE == 5_000
