"""The experiment's variants: the paper's (a)-(d), the MLE reference, ours and its ablation (chapter 9).

Each :class:`Variant` maps a run length to a :class:`~gumbel_tutorial.gan.GANConfig` (or, for the
REINFORCE GAN of chapter 10, a :class:`~gumbel_tutorial.policy_gradient.PolicyGradientConfig`);
``python -m gumbel_tutorial reproduce --variants`` takes their names.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from typing import Any

from .gan import GANConfig
from .policy_gradient import PolicyGradientConfig
from .sequence_rebar import REBAR_TEMPERATURE

MLE_STEPS = 5_000


@dataclasses.dataclass(frozen=True)
class Variant:
    """One column of the experiment: what it is and how to configure it for a run length."""

    description: str
    config: Callable[[int], GANConfig | PolicyGradientConfig]
    adversarial: bool = True


VARIANTS: dict[str, Variant] = {
    "mle": Variant(
        "maximum-likelihood LSTM with teacher forcing (the paper's reference column)",
        lambda n: GANConfig(iterations=min(n, MLE_STEPS)),
        adversarial=False,
    ),
    "a": Variant("(a) the paper's default: temperature annealed 5 -> 1 over the first half",
                 lambda n: GANConfig(iterations=n)),
    "b": Variant("(b) as (a) with 1,000 generated samples per update",
                 lambda n: GANConfig(iterations=n, generator_batch_size=1_000)),
    "c": Variant("(c) generator temperature fixed at 1; only the real inputs' temperature annealed",
                 lambda n: GANConfig(iterations=n, generator_temperature=1.0)),
    "d": Variant("(d) noise only in the initial hidden state; the initial cell state is learned",
                 lambda n: GANConfig(iterations=n, noise="hidden_only")),
    # Beyond the paper (chapter 9): what we tried, in the order we tried it.
    "hard": Variant("(a) with hard feedback: the generator reads its own one-hot token (RelGAN)",
                    lambda n: GANConfig(iterations=n, feedback="hard")),
    "hard_cold": Variant("hard feedback, temperature annealed 5 -> 0.25",
                         lambda n: GANConfig(iterations=n, feedback="hard", tau_end=0.25)),
    "st": Variant("straight-through one-hot outputs and one-hot real inputs, hard feedback, -log D loss",
                  lambda n: GANConfig(iterations=n, feedback="hard", straight_through=True,
                                      real_inputs="one_hot", generator_loss="nonsaturating")),
    "st_mb": Variant("as st, with minibatch-spread features in the discriminator",
                     lambda n: GANConfig(iterations=n, feedback="hard", straight_through=True,
                                         real_inputs="one_hot", generator_loss="nonsaturating",
                                         minibatch_features=True)),
    "sharp_cold": Variant("hard feedback, real inputs smoothed to 0.999, temperature annealed 5 -> 0.1",
                          lambda n: GANConfig(iterations=n, feedback="hard", real_confidence=0.999, tau_end=0.1)),
    "hard_mb_cold": Variant("hard feedback, real inputs smoothed to 0.99, minibatch features, tau 5 -> 0.5",
                            lambda n: GANConfig(iterations=n, feedback="hard", real_confidence=0.99,
                                                tau_end=0.5, minibatch_features=True)),
}
OURS_CHANGES: dict[str, dict[str, Any]] = {
    "hard": {"feedback": "hard"},
    "smooth99": {"real_confidence": 0.99},
    "minibatch": {"minibatch_features": True},
    "lr5e-4": {"learning_rate": 5e-4},
}
"""The four settings in which ``ours`` differs from variant (a)."""


def _settings(keys: Sequence[str]) -> dict[str, Any]:
    return {name: value for key in keys for name, value in OURS_CHANGES[key].items()}


def _with_changes(keys: Sequence[str]) -> Callable[[int], GANConfig]:
    settings = _settings(keys)
    return lambda n: GANConfig(iterations=n, **settings)


VARIANTS["ours"] = Variant("hard feedback, real inputs smoothed to 0.99, minibatch features, learning rate 5e-4",
                           _with_changes(list(OURS_CHANGES)))
for _key in OURS_CHANGES:
    VARIANTS[f"a+{_key}"] = Variant(f"(a) with only the change {_key} of ours", _with_changes([_key]))
    VARIANTS[f"ours-{_key}"] = Variant(f"ours without its change {_key}",
                                       _with_changes([k for k in OURS_CHANGES if k != _key]))
OURS_ONE_HOT = {**_settings(list(OURS_CHANGES)), "straight_through": True, "real_inputs": "one_hot"}
"""``ours`` with one-hot outputs and one-hot real inputs: the forward pass of the token
estimators of chapter 12, which differ only in their backward pass (section 12.9)."""
TOKEN_VARIANTS = {"ours_st": "straight_through", "ours_gumbel_rao": "gumbel_rao", "ours_reinmax": "reinmax"}
for _name, _gradient in TOKEN_VARIANTS.items():
    VARIANTS[_name] = Variant(
        f"ours with one-hot outputs and real inputs, the outputs' gradient by {_gradient}",
        lambda n, g=_gradient: GANConfig(iterations=n, token_gradient=g, **OURS_ONE_HOT),
    )
VARIANTS["ours_rebar"] = Variant(
    "ours with one-hot outputs and real inputs, the generator's gradient by REBAR (a leave-one-out"
    f" baseline, the relaxation at temperature {REBAR_TEMPERATURE})",
    lambda n: GANConfig(iterations=n, token_gradient="rebar", generator_temperature=REBAR_TEMPERATURE,
                        **OURS_ONE_HOT),
)
VARIANTS["ours_reinforce_loo"] = Variant(
    "as ours_rebar at eta = 0: ours with one-hot outputs and real inputs, the generator's gradient"
    " by leave-one-out REINFORCE",
    lambda n: GANConfig(iterations=n, token_gradient="reinforce_loo", generator_temperature=REBAR_TEMPERATURE,
                        **OURS_ONE_HOT),
)
PRETRAIN_STEPS = 2_000
"""Maximum-likelihood steps before a pre-trained REINFORCE GAN's adversarial iterations; at a
learning rate of 3e-3, chapter 7's model is within 0.01 nats of the data's entropy after 600."""
VARIANTS["pg"] = Variant("REINFORCE GAN: hard tokens, score-function gradient, moving-average baseline",
                         lambda n: PolicyGradientConfig(iterations=n))
VARIANTS["pg_pretrained"] = Variant(
    "REINFORCE GAN after 2,000 steps of maximum-likelihood pre-training (SeqGAN)",
    lambda n: PolicyGradientConfig(iterations=n, pretrain_steps=PRETRAIN_STEPS),
)
PG_SETTINGS: dict[str, dict[str, Any]] = {
    "pg-loo": {"baseline": "leave_one_out"},
    "pg-ent03": {"entropy_bonus": 0.03},
    "pg-loo-ent01": {"baseline": "leave_one_out", "entropy_bonus": 0.01},
    "pg-loo-ent03": {"baseline": "leave_one_out", "entropy_bonus": 0.03},
    "pg-loo-ent1": {"baseline": "leave_one_out", "entropy_bonus": 0.1},
    "pg-loo-lr5e-4": {"baseline": "leave_one_out", "learning_rate": 5e-4},
    "pg-loo-ent03-lr5e-4": {"baseline": "leave_one_out", "entropy_bonus": 0.03, "learning_rate": 5e-4},
    "pg-loo-ent3": {"baseline": "leave_one_out", "entropy_bonus": 0.3},
    "pg-loo-ent10": {"baseline": "leave_one_out", "entropy_bonus": 1.0},
}
"""REINFORCE settings explored at 5,000 iterations beside ``pg`` (chapter 10): the leave-one-out
baseline, entropy bonuses from 0.01 to 1 (``ent01`` is 0.01, ``ent1`` 0.1, ``ent10`` 1.0), and a
smaller learning rate."""


def _policy_gradient(settings: dict[str, Any], pretrain_steps: int = 0) -> Callable[[int], PolicyGradientConfig]:
    return lambda n: PolicyGradientConfig(iterations=n, pretrain_steps=pretrain_steps, **settings)


for _name, _settings in PG_SETTINGS.items():
    _text = ", ".join(f"{key} {value}" for key, value in _settings.items())
    VARIANTS[_name] = Variant(f"REINFORCE GAN with {_text}", _policy_gradient(_settings))
    VARIANTS[f"{_name}_pretrained"] = Variant(
        f"REINFORCE GAN with {_text}, after 2,000 steps of maximum-likelihood pre-training",
        _policy_gradient(_settings, PRETRAIN_STEPS),
    )
PAPER_VARIANTS = ("mle", "a", "b", "c", "d")
POLICY_GRADIENT_VARIANTS = ("pg", "pg_pretrained")
PG_EXPLORED_VARIANTS = ("pg", *PG_SETTINGS)
EXPLORED_VARIANTS = ("hard", "hard_cold", "st", "st_mb", "sharp_cold", "hard_mb_cold", "ours")
ABLATION_VARIANTS = tuple(f"{sign}{key}" for sign in ("a+", "ours-") for key in OURS_CHANGES)


def parse_variants(text: str) -> list[str]:
    """Split ``"mle,a,b"`` into known variant names, raising ``ValueError`` for an unknown one."""
    names = [name.strip() for name in text.split(",") if name.strip()]
    unknown = [name for name in names if name not in VARIANTS]
    if not names or unknown:
        raise ValueError(f"unknown variant(s) {unknown or text!r}; choose from {', '.join(VARIANTS)}")
    return names


def parse_seeds(text: str) -> list[int]:
    """Split ``"0,1,2"`` into distinct non-negative seeds, raising ``ValueError`` otherwise."""
    parts = [part.strip() for part in text.split(",") if part.strip()]
    if not parts or not all(part.isdigit() for part in parts) or len(set(map(int, parts))) < len(parts):
        raise ValueError(f"seeds must be distinct non-negative integers such as 0,1,2, got {text!r}")
    return [int(part) for part in parts]
