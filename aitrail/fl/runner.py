"""Drive Flower's clients and strategy round by round in one process.

Flower's simulation engine needs Ray (the `flwr[simulation]` extra, heavy on a small machine), and its
deployment engine (SuperLink + SuperNodes, aitrail.fl.deployment) runs each party as separate processes,
about thirty times slower per round here. This loop calls the same
objects the engines call — each client's `fit` with the round's config, then the strategy's
`aggregate_fit` on Flower `FitRes` results — so the wrappers are exercised exactly as a Flower server would
exercise them, one process, no network. The same loop runs plain Flower (no recording) for the overhead
comparison.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flwr.common import Code, FitRes, Status, ndarrays_to_parameters, parameters_to_ndarrays


def run_rounds(
    strategy: Any,
    clients: list[Any],
    initial: list[Any],
    rounds: int,
    config: Callable[[int], dict[str, Any]],
    on_round: Callable[[int, list[Any]], None] = lambda _r, _p: None,
) -> list[Any]:
    parameters = initial
    for round_ in range(1, rounds + 1):
        results = []
        for client in clients:
            arrays, n, metrics = client.fit(parameters, config(round_))
            results.append((None, FitRes(Status(Code.OK, ""), ndarrays_to_parameters(arrays), n, metrics)))
        aggregated, _ = strategy.aggregate_fit(round_, results, [])
        parameters = parameters_to_ndarrays(aggregated)
        on_round(round_, parameters)
    return list(parameters)
