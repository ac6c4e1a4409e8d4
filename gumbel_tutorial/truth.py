"""The grammar's true distribution p over padded strings (chapter 9).

``grammar.sample_dataset`` draws the operator count k uniformly from 0..K and each of the k
operators uniformly from + - * /. Every tree shape with the same operators reads as the same
string, so a valid string with k operators has probability ``4**-k / (K + 1)``.
"""

from __future__ import annotations

import itertools

from .checks import check_positive_int
from .grammar import MAX_LEN, OPERATORS, PAD, default_operator_probs, is_valid, pad


def true_probability(s: str, length: int = MAX_LEN) -> float:
    """The probability that :func:`~gumbel_tutorial.grammar.sample_dataset` draws ``s`` (chapter 9).

    ``s`` must have exactly ``length`` symbols; an invalid string has probability 0.
    """
    length = check_positive_int(length, "length")
    if not isinstance(s, str) or len(s) != length:
        raise ValueError(f"s must be a str of {length} symbols, got {s!r}")
    if not is_valid(s):
        return 0.0
    operators = len(s.rstrip(PAD)) // 2
    return float(default_operator_probs(length)[operators] * len(OPERATORS) ** -operators)


def true_distribution(length: int = MAX_LEN) -> dict[str, float]:
    """Every valid padded string of ``length`` symbols with its true probability (chapter 9)."""
    length = check_positive_int(length, "length")
    probs = default_operator_probs(length)
    table = {}
    for k, p_k in enumerate(probs):
        for ops in itertools.product(OPERATORS, repeat=k):
            sentence = "x" + "".join(op + "x" for op in ops)
            table[pad(sentence, length)] = float(p_k) * len(OPERATORS) ** -k
    return table
