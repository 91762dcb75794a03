"""MLCommons Croissant 1.1 (with the RAI vocabulary) for aitrail datasets: export and import.

The export is a pure function of what any party can read: the on-chain record (owner, content hash, CID,
registration time, predecessor) and the public metadata document on IPFS. It names the dataset by its
chain coordinates (`identifier`: CAIP-2 chain, registry, id), the owner by CAIP-10 account id, and the
one file with its plaintext `sha256` (what `dataset fetch` checks). The file's `contentUrl` is the
IPFS CID of the *encrypted* object unless a local decrypted copy is named (then a path relative to the
document, which is how mlcroissant loads records from it and checks the sha256).

ERC-7517 consent terms are written in CAWG's training-and-data-mining vocabulary (the same four purposes,
the same `allowed` / `notAllowed` / `constrained` values) as one JSON literal, `aitrail:trainingMining`:
Croissant itself has no consent property, and a JSON literal keeps the entries exactly as written.

What an import keeps: name, description, license, consent, the RAI properties (`rai:*`), `keywords`,
`citeAs` and the record sets (re-exported as given). What it drops: everything else (other
distributions, `url`, `creator`, dates and version, which the chain decides for the new registration).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from aitrail.errors import CroissantError
from aitrail.records import CONSENT_PURPOSES, consent_terms

CROISSANT_1_1 = "http://mlcommons.org/croissant/1.1"
RAI_1_0 = "http://mlcommons.org/croissant/RAI/1.0"
# Not a registered namespace: a URN that keeps aitrail's own terms apart from schema.org's vocabulary.
AITRAIL_NS = "urn:aitrail:"
RECORD_SET = "records"

# ERC-7517 purpose -> CAWG `cawg.training-mining` entry key (same four purposes, same three values).
CAWG_ENTRIES = {
    "aiTraining": "cawg.ai_training",
    "aiGenerativeTraining": "cawg.ai_generative_training",
    "aiInference": "cawg.ai_inference",
    "dataMining": "cawg.data_mining",
}
assert set(CAWG_ENTRIES) == set(CONSENT_PURPOSES)

# Croissant 1.1's own context (as mlcroissant writes it), plus aitrail's consent term as a JSON literal.
CONTEXT: dict[str, Any] = {
    "@language": "en",
    "@vocab": "https://schema.org/",
    "aitrail": AITRAIL_NS,
    "arrayShape": "cr:arrayShape",
    "citeAs": "cr:citeAs",
    "column": "cr:column",
    "conformsTo": "dct:conformsTo",
    "containedIn": "cr:containedIn",
    "cr": "http://mlcommons.org/croissant/",
    "data": {"@id": "cr:data", "@type": "@json"},
    "dataType": {"@id": "cr:dataType", "@type": "@vocab"},
    "dct": "http://purl.org/dc/terms/",
    "examples": {"@id": "cr:examples", "@type": "@json"},
    "extract": "cr:extract",
    "field": "cr:field",
    "fileObject": "cr:fileObject",
    "fileProperty": "cr:fileProperty",
    "fileSet": "cr:fileSet",
    "format": "cr:format",
    "includes": "cr:includes",
    "isArray": "cr:isArray",
    "isLiveDataset": "cr:isLiveDataset",
    "jsonPath": "cr:jsonPath",
    "key": "cr:key",
    "md5": "cr:md5",
    "parentField": "cr:parentField",
    "path": "cr:path",
    "rai": "http://mlcommons.org/croissant/RAI/",
    "recordSet": "cr:recordSet",
    "references": "cr:references",
    "regex": "cr:regex",
    "repeated": "cr:repeated",
    "replace": "cr:replace",
    "samplingRate": "cr:samplingRate",
    "sc": "https://schema.org/",
    "separator": "cr:separator",
    "source": "cr:source",
    "subField": "cr:subField",
    "trainingMining": {"@id": "aitrail:trainingMining", "@type": "@json"},
    "transform": "cr:transform",
}
# Kept by an import and stored in the metadata document under these names, re-exported as they were.
CARRIED = ("keywords", "citeAs", "recordSet")


@dataclass(frozen=True)
class OnChain:
    """The facts of a registered dataset that the export takes from the chain, not from the document."""

    chain_id: int
    registry: str
    dataset_id: int
    owner: str
    content_hash: bytes
    cid: str
    metadata_cid: str
    registered_on: str  # YYYY-MM-DD of the registration block
    version: int  # 1 + the number of predecessors


def to_croissant(
    chain: OnChain,
    metadata: Mapping[str, Any],
    *,
    content_url: str | None = None,
    header: list[str] | None = None,
) -> dict[str, Any]:
    """The Croissant document of one registered dataset. `content_url` replaces the IPFS URL of the
    encrypted object (a decrypted copy); `header` (a CSV's column names) adds a record set when the
    metadata carries none."""
    dist = metadata.get("distribution") or {}
    file_name = str(dist.get("name") or f"dataset-{chain.dataset_id}")
    encoding = str(dist.get("encodingFormat") or "application/octet-stream")
    owner_id = f"eip155:{chain.chain_id}:{chain.owner}"
    consent = (metadata.get("dataMiningPreference") or {}) if isinstance(metadata, Mapping) else {}
    name = str(metadata.get("name") or f"dataset {chain.dataset_id}")
    doc: dict[str, Any] = {
        "@context": CONTEXT,
        "@type": "sc:Dataset",
        "conformsTo": [CROISSANT_1_1, RAI_1_0],
        "name": name,
        "description": str(metadata.get("description") or name),
        "license": str(metadata.get("license") or "unknown"),
        "creator": {"@type": "sc:Person", "name": chain.owner, "identifier": owner_id},
        "datePublished": chain.registered_on,
        "version": f"{chain.version}.0.0",
        "url": f"ipfs://{chain.metadata_cid}",
        "identifier": f"eip155:{chain.chain_id}:{chain.registry}/{chain.dataset_id}",
        "citeAs": f"{name}, dataset {chain.dataset_id} of {chain.registry} on chain {chain.chain_id}",
        "usageInfo": (
            f"Encrypted on IPFS ({chain.cid}); access is granted on-chain for a limited time by the owner "
            f"{chain.owner} through the aitrail DatasetRegistry {chain.registry} (`aitrail access request "
            f"{chain.dataset_id}`); every fetch through aitrail is logged on-chain."
        ),
        "distribution": [
            {
                "@type": "cr:FileObject",
                "@id": file_name,
                "name": file_name,
                "contentUrl": content_url or f"ipfs://{chain.cid}",
                "encodingFormat": encoding,
                "sha256": chain.content_hash.hex(),
                **({"contentSize": f"{dist['contentSize']} B"} if "contentSize" in dist else {}),
            }
        ],
    }
    if consent:
        doc["trainingMining"] = {
            CAWG_ENTRIES[purpose]: {"use": value}
            for purpose, value in consent.items()
            if purpose in CAWG_ENTRIES
        }
    for key, value in (metadata.get("rai") or {}).items():
        doc[f"rai:{key}"] = value
    for key in CARRIED:
        if key in metadata:
            doc[key] = metadata[key]
    if "recordSet" not in doc and header:
        doc["recordSet"] = [csv_record_set(file_name, header)]
    return doc


def csv_record_set(file_name: str, header: list[str]) -> dict[str, Any]:
    """One record set over a CSV's columns, each a text field (types are the data's, not known here)."""
    return {
        "@type": "cr:RecordSet",
        "@id": RECORD_SET,
        "name": RECORD_SET,
        "field": [
            {
                "@type": "cr:Field",
                "@id": f"{RECORD_SET}/{column}",
                "name": column,
                "dataType": "sc:Text",
                "source": {"fileObject": {"@id": file_name}, "extract": {"column": column}},
            }
            for column in header
        ],
    }


def csv_header(first_line: bytes) -> list[str]:
    """The column names of a CSV from its first line."""
    text = first_line.decode("utf-8-sig", errors="replace")
    return next(csv.reader(io.StringIO(text)), [])


@dataclass(frozen=True)
class Imported:
    """What a Croissant document contributes to a registration."""

    name: str | None
    description: str
    license: str | None
    consent: dict[str, str]
    extra_metadata: dict[str, Any] = field(default_factory=dict)
    sha256: str | None = None  # of the one file it describes, if it says


def from_croissant(doc: Any, source: str) -> Imported:
    """Read a Croissant document (parsed JSON); `source` names it in errors."""
    if not isinstance(doc, dict):
        raise CroissantError(source, "not a JSON object")
    types = doc.get("@type")
    if not any(str(t).rsplit(":", 1)[-1].rsplit("/", 1)[-1] == "Dataset" for t in _as_list(types)):
        raise CroissantError(source, f"@type is {types!r}, not sc:Dataset")
    conforms = [str(c) for c in _as_list(doc.get("conformsTo") or doc.get("dct:conformsTo"))]
    if not any(c.startswith("http://mlcommons.org/croissant/") and "/RAI/" not in c for c in conforms):
        raise CroissantError(source, "conformsTo names no Croissant version (e.g. " + CROISSANT_1_1 + ")")
    files = [d for d in _as_list(doc.get("distribution")) if isinstance(d, dict) and "sha256" in d]
    if len(files) > 1:
        raise CroissantError(source, f"describes {len(files)} files with a sha256; aitrail registers one")
    consent = _consent(doc.get("trainingMining") or doc.get("aitrail:trainingMining") or {}, source)
    consent_terms(**consent)  # unknown values rejected here, before anything is read or uploaded
    rai = {key.removeprefix("rai:"): value for key, value in doc.items() if key.startswith("rai:")}
    extra: dict[str, Any] = {key: doc[key] for key in CARRIED if key in doc}
    if rai:
        extra["rai"] = rai
    return Imported(
        name=_text(doc.get("name")),
        description=_text(doc.get("description")) or "",
        license=_text(doc.get("license")),
        consent=consent,
        extra_metadata=extra,
        sha256=str(files[0]["sha256"]).lower().removeprefix("0x") if files else None,
    )


def _consent(entries: Any, source: str) -> dict[str, str]:
    if not isinstance(entries, dict):
        raise CroissantError(source, "trainingMining must be an object of CAWG entries")
    by_entry = {entry: purpose for purpose, entry in CAWG_ENTRIES.items()}
    consent = {}
    for entry, value in entries.items():
        if entry not in by_entry:
            raise CroissantError(
                source, f"unknown training-mining entry {entry!r}; expected one of " + ", ".join(by_entry)
            )
        use = value.get("use") if isinstance(value, dict) else None
        if not isinstance(use, str):
            raise CroissantError(source, f"training-mining entry {entry!r} has no `use` value")
        consent[by_entry[entry]] = use
    return consent


def _text(value: Any) -> str | None:
    """A schema.org text: a string, a language map ({"en": ...}, Croissant 1.1) or a list of either."""
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, dict):
        value = value.get("en", next(iter(value.values()), None))
    return None if value is None else str(value)


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]
