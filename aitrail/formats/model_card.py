"""A Hugging Face model card (README.md with YAML front matter) for one published model version.

The YAML keys Hugging Face reads are filled from the chain: `datasets` are the cited datasets and
`base_model` the parent versions, both as chain identifiers (`eip155:<chain>:<registry>/<id>`, the
same form as a Croissant export's `identifier`), `license` from the cited datasets' licenses (one shared
license, lowercased as the Hub spells SPDX ids; `other` when they differ or none is given). The `aitrail`
key carries what anyone needs to check the card against the chain: chain id, registry address, version
id, the weights digest (OpenSSF model signing's root digest) and the artifact's CID. The final model of a
federated task says so (`federated_task`, `federated_rounds`, `federated_training`): its datasets are the
included participants', cited on-chain by FederatedTraining, not by the publisher's own access.

The YAML is written as JSON scalars (every JSON string is a YAML string), so no YAML library is needed.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class CitedDataset:
    dataset_id: int
    identifier: str
    name: str | None
    license: str | None


@dataclass(frozen=True)
class ParentVersion:
    version_id: int
    identifier: str
    model: str
    number: int


@dataclass(frozen=True)
class FederatedFacts:
    task_id: int
    rounds: int
    contract: str  # the FederatedTraining the registry trusts


@dataclass(frozen=True)
class CardFacts:
    model: str
    model_id: int
    owner: str
    version_id: int
    number: int
    publisher: str
    weights_digest: str
    artifact: str
    metadata_cid: str
    chain_id: int
    registry: str
    published_on: str
    deprecated: bool
    datasets: Sequence[CitedDataset]
    parents: Sequence[ParentVersion]
    metrics: dict[str, Any]
    parameters: dict[str, Any]
    federated: FederatedFacts | None = None


def card_license(datasets: Sequence[CitedDataset]) -> str:
    licenses = {d.license.strip().lower() for d in datasets if d.license}
    return licenses.pop() if len(licenses) == 1 else "other"


def model_card(facts: CardFacts) -> str:
    front: dict[str, Any] = {
        "license": card_license(facts.datasets),
        "datasets": [d.identifier for d in facts.datasets],
        "base_model": [p.identifier for p in facts.parents],
        "tags": ["aitrail"],
        "aitrail": {
            "chain_id": facts.chain_id,
            "model_registry": facts.registry,
            "model": facts.model,
            "model_id": facts.model_id,
            "version": facts.number,
            "version_id": facts.version_id,
            "publisher": facts.publisher,
            "weights_digest": facts.weights_digest,
            "artifact": f"ipfs://{facts.artifact}",
            "metadata": f"ipfs://{facts.metadata_cid}",
        },
    }
    if facts.federated is not None:
        front["aitrail"].update(
            {
                "federated_task": facts.federated.task_id,
                "federated_rounds": facts.federated.rounds,
                "federated_training": facts.federated.contract,
            }
        )
    if not front["base_model"]:
        del front["base_model"]
    if not front["datasets"]:
        del front["datasets"]
    lines = ["---", *_yaml(front), "---", ""]
    lines += [f"# {facts.model} (version {facts.number})", ""]
    if facts.deprecated:
        lines += ["**Deprecated by its owner on-chain.**", ""]
    lines += [
        f"Published on {facts.published_on} by `{facts.publisher}` as version id {facts.version_id} of model "
        f"{facts.model_id} in the aitrail ModelRegistry `{facts.registry}` on chain {facts.chain_id}.",
        "",
        "## Verify these weights",
        "",
        f"Weights digest `{facts.weights_digest}`: the OpenSSF model-signing root digest (file "
        "serialization, SHA-256). With the weights in `model/`:",
        "",
        "```sh",
        "aitrail model verify model/",
        "```",
        "",
        "## Training data",
        "",
    ]
    if facts.datasets:
        lines += ["| dataset | name | license |", "|---|---|---|"]
        lines += [f"| {d.dataset_id} | {d.name or '?'} | {d.license or '?'} |" for d in facts.datasets]
    else:
        lines.append("No dataset cited on-chain.")
    if facts.federated is not None:
        lines += [
            "",
            f"Trained federatedly: the final aggregate of task {facts.federated.task_id} "
            f"({facts.federated.rounds} rounds) of FederatedTraining `{facts.federated.contract}`. "
            "The datasets above are those of the participants whose updates were included in at "
            "least one round; they never left their owners, and FederatedTraining, which checked "
            "each participant's access at every update it committed, cited them on-chain. "
            f"`aitrail fl verify {facts.federated.task_id}` recomputes every round.",
        ]
    lines += ["", "## Lineage", ""]
    if facts.parents:
        lines += [
            f"- derived from {p.model} version {p.number} (version id {p.version_id})" for p in facts.parents
        ]
    else:
        lines.append("No parent version.")
    if facts.metrics:
        lines += ["", "## Metrics (as published)", "", "| metric | value |", "|---|---|"]
        lines += [f"| {key} | {value} |" for key, value in sorted(facts.metrics.items())]
    return "\n".join(lines) + "\n"


def _yaml(value: dict[str, Any], indent: str = "") -> list[str]:
    out = []
    for key, item in value.items():
        if isinstance(item, dict):
            out.append(f"{indent}{key}:")
            out += _yaml(item, indent + "  ")
        elif isinstance(item, list):
            out.append(f"{indent}{key}:")
            out += [f"{indent}- {json.dumps(element)}" for element in item]
        else:
            out.append(f"{indent}{key}: {json.dumps(item)}")
    return out
