"""Aggregation rules: a rule string ↔ Flower's own strategy, and which updates its output includes.

Rules (the string is what the task records on-chain):

    FedAvg                    flwr FedAvg: weighted mean of every update
    FedMedian                 flwr FedMedian: coordinate-wise median
    FedTrimmedAvg beta=0.2    flwr FedTrimmedAvg: coordinate-wise mean without the beta tails
    Krum f=1                  flwr Krum: the one update closest to its n-f-2 neighbours
    MultiKrum f=1 keep=4      flwr Krum with num_clients_to_keep: the mean of the `keep` best
    Bulyan f=1                flwr Bulyan (needs n >= 4f+3)

Krum, MultiKrum and Bulyan drop whole updates: Bulyan's first step picks θ = n - 2f updates by repeated
Krum and its coordinate-wise trimmed mean uses only those, so they are its included set. The
coordinate-wise rules (median, trimmed mean) use a part of every update, so for them every valid update
counts as included. Updates that fail their checks (digest, binding, decryption) are excluded before the
rule runs, whatever the rule.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aitrail.errors import AitrailError

if TYPE_CHECKING:
    from numpy.typing import NDArray

# Above this many candidate subsets MultiKrum's included set is not searched (C(n, keep) grows fast).
MAX_SUBSETS = 5_000


class RuleError(AitrailError):
    """An aggregation rule string aitrail does not know."""


@dataclass(frozen=True)
class Rule:
    name: str
    params: dict[str, float] = field(default_factory=dict)

    def __str__(self) -> str:
        parts = [self.name] + [f"{k}={_fmt(v)}" for k, v in sorted(self.params.items())]
        return " ".join(parts)

    @property
    def drops_whole_updates(self) -> bool:
        return self.name in ("Krum", "MultiKrum", "Bulyan")

    def strategy(self) -> Any:
        """A fresh instance of Flower's own strategy for this rule."""
        from flwr.server import strategy as s

        f = int(self.params.get("f", 0))
        # Metrics are not part of the record; an explicit no-op keeps Flower from warning every round.
        common: dict[str, Any] = {"fit_metrics_aggregation_fn": _no_metrics}
        if self.name == "FedAvg":
            return s.FedAvg(**common)
        if self.name == "FedMedian":
            return s.FedMedian(**common)
        if self.name == "FedTrimmedAvg":
            return s.FedTrimmedAvg(beta=float(self.params.get("beta", 0.2)), **common)
        if self.name == "Krum":
            return s.Krum(num_malicious_clients=f, num_clients_to_keep=0, **common)
        if self.name == "MultiKrum":
            return s.Krum(num_malicious_clients=f, num_clients_to_keep=int(self.params["keep"]), **common)
        # Bulyan's first step is Krum, which needs its `to_keep` (0: the one best update); Flower's
        # Bulyan passes none by default and fails on its first round without it.
        return s.Bulyan(num_malicious_clients=f, to_keep=0, **common)


def _no_metrics(_metrics: list[tuple[int, dict[str, Any]]]) -> dict[str, Any]:
    return {}


_PARAMS = {
    "FedAvg": set(),
    "FedMedian": set(),
    "FedTrimmedAvg": {"beta"},
    "Krum": {"f"},
    "MultiKrum": {"f", "keep"},
    "Bulyan": {"f"},
}


def _fmt(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def parse(text: str) -> Rule:
    """`parse("MultiKrum f=1 keep=4")` → Rule("MultiKrum", {"f": 1.0, "keep": 4.0})."""
    words = text.split()
    if not words or words[0] not in _PARAMS:
        raise RuleError(f"unknown aggregation rule {text!r}: use one of {', '.join(_PARAMS)}")
    name, params = words[0], {}
    for word in words[1:]:
        key, sep, value = word.partition("=")
        if not sep or key not in _PARAMS[name]:
            raise RuleError(
                f"rule {name} takes {', '.join(sorted(_PARAMS[name])) or 'no parameters'}, not {word!r}"
            )
        try:
            params[key] = float(value)
        except ValueError:
            raise RuleError(f"rule parameter {word!r} is not a number") from None
    if name == "MultiKrum" and "keep" not in params:
        raise RuleError("MultiKrum needs keep=K (the number of updates it averages)")
    return Rule(name, params)


def aggregate(rule: Rule, round_: int, updates: list[tuple[list[NDArray[Any]], int]]) -> list[NDArray[Any]]:
    """Run Flower's strategy on `updates` (arrays, examples), in the given order, and return its output."""
    from flwr.common import Code, FitRes, Status, ndarrays_to_parameters, parameters_to_ndarrays

    results = [
        (None, FitRes(Status(Code.OK, ""), ndarrays_to_parameters(arrays), n, {})) for arrays, n in updates
    ]
    parameters, _ = rule.strategy().aggregate_fit(round_, results, [])
    if parameters is None:
        raise AitrailError(f"{rule} aggregated nothing in round {round_}")
    return list(parameters_to_ndarrays(parameters))


def included_positions(
    rule: Rule, updates: list[tuple[list[NDArray[Any]], int]], output: list[NDArray[Any]]
) -> list[int]:
    """Positions (into `updates`) of the updates Flower's output is made of.

    Bulyan: the θ updates its Krum step selects (`_bulyan_selection`). Krum returns one update
    unchanged: the first equal to the output. MultiKrum returns Flower's weighted
    mean of its `keep` best: the subset whose mean (Flower's `aggregate`) matches the output (to 1e-9
    relative: Flower sums them in score order, not in position order). The other rules: all of them.
    """
    import numpy as np

    n = len(updates)
    if not rule.drops_whole_updates:
        return list(range(n))
    if rule.name == "Bulyan":
        return _bulyan_selection(rule, updates)
    if rule.name == "Krum":
        for i, (arrays, _) in enumerate(updates):
            if all(np.array_equal(a, b) for a, b in zip(arrays, output, strict=True)):
                return [i]
        raise AitrailError("Krum's output is none of the updates")
    from flwr.server.strategy.aggregate import aggregate as weighted_mean

    keep = int(rule.params["keep"])
    subsets = list(itertools.islice(itertools.combinations(range(n), keep), MAX_SUBSETS + 1))
    if len(subsets) > MAX_SUBSETS:
        raise AitrailError(f"MultiKrum keep={keep} of {n}: too many subsets to identify the included ones")
    for subset in subsets:
        mean = weighted_mean([updates[i] for i in subset])
        if all(np.allclose(a, b, rtol=1e-9, atol=1e-12) for a, b in zip(mean, output, strict=True)):
            return list(subset)
    raise AitrailError(f"MultiKrum's output is the mean of no {keep} of the {n} updates")


def _bulyan_selection(rule: Rule, updates: list[tuple[list[NDArray[Any]], int]]) -> list[int]:
    """Bulyan's selection step, with Flower's own functions in Flower's order (flwr's `aggregate_bulyan`):
    θ = n - 2f times, Krum picks the best of the remaining updates, which leaves the pool."""
    from flwr.server.strategy.aggregate import _find_reference_weights, aggregate_krum

    f = int(rule.params.get("f", 0))
    if len(updates) < 4 * f + 3:
        raise AitrailError(f"Bulyan f={f} needs at least {4 * f + 3} updates, got {len(updates)}")
    remaining, pool, selected = list(range(len(updates))), list(updates), []
    for _ in range(len(updates) - 2 * f):
        best = aggregate_krum(results=pool, num_malicious=f, to_keep=0)
        at = _find_reference_weights(best, [arrays for arrays, _ in pool])
        selected.append(remaining.pop(at))
        pool.pop(at)
    return sorted(selected)
