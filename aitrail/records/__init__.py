"""Record datasets (CSV, JSON Lines) as OpenZeppelin standard Merkle trees: roots, proofs, withdrawal.

How a record becomes a leaf
---------------------------
Every record is one leaf with ABI types ``["bytes32", "bytes32", "uint8"]`` and values
``(recordKey, recordSha256, consent)``:

- Salt. A dataset registered by aitrail has a secret, ``secret = HMAC-SHA256(dataKey, "aitrail records
  secret v1")`` (``records_secret``), kept off-chain: whoever may decrypt the data can derive it, nobody
  else. Each record's salt is ``salt = HMAC-SHA256(secret, id)`` (``record_salt``); a proof file carries
  that one salt (``recordSalt``), so its data subject can check it while the public, seeing only keys,
  digests and ``RecordsWithdrawn`` leaves, cannot test guessed ids (``P-4711``) or low-entropy rows.
  Without a secret (``read_records(..., secret=None)``) the salt is empty: the unsalted rule below.
- ``recordKey`` = SHA-256 of the salt followed by the record's id, UTF-8. The id is the value of the id
  field (``id`` by default) when the file has one, else the record's 0-based position among the data
  records, in decimal (``"0"``, ``"1"``, ...). A JSON Lines id that is an integer is written in decimal.
  Ids must be unique and non-empty. The key, not the id, goes on-chain.
- ``recordSha256`` = SHA-256 of the salt followed by the record's canonical bytes:
  - CSV: the data row (all columns, file order, header excluded) as read by Python's ``csv`` module
    and written back by ``csv.writer`` with the default (excel) dialect and ``\\n`` line ending, UTF-8.
    So quoting and CRLF/LF differences in the file do not change a record's hash; cell text does.
  - JSON Lines: ``json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False)``,
    UTF-8, no trailing newline. Key order and whitespace do not matter; values do.
- ``consent`` = the record's consent flag from the optional consent field (``consent`` by default),
  in the ERC-7517 vocabulary: 0 = notAllowed, 1 = allowed, 2 = constrained. Accepted spellings:
  ``allowed``/``notAllowed``/``constrained`` (any case), ``true``/``false``, ``yes``/``no``,
  ``1``/``0``/``2``.
  Without the field every record gets the dataset's default (allowed unless told otherwise).

The dataset-level consent terms (per purpose: aiTraining, aiInference, dataMining,
aiGenerativeTraining) go in the dataset's metadata document under ``dataMiningPreference``
(``consent_terms()``); the per-record flag is what a proof shows for one data subject.

Leaves keep file order as input order; the tree itself sorts them by hash (OpenZeppelin's default),
so the root does not depend on record order.

The names of this package are loaded on first use (PEP 562): `records.consent_terms` reads no Merkle
tree, so a registration of a plain file does not import numpy with `aitrail.merkle`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from aitrail._lazy import lazy_exports

# name -> the module of aitrail.records that defines it
_EXPORTS = {
    "build_records_tree": "reading",
    "canonical_csv_row": "reading",
    "canonical_json_record": "reading",
    "Consent": "reading",
    "CONSENT_PURPOSES": "reading",
    "consent_terms": "reading",
    "dump_records_tree": "saved",
    "load_proof": "proofs",
    "load_records_tree": "saved",
    "open_records_tree": "saved",
    "PackedRecords": "reading",
    "parse_consent": "reading",
    "parse_proof": "proofs",
    "PROOF_FORMAT": "reading",
    "prove": "proofs",
    "read_records": "reading",
    "record_digest": "reading",
    "record_key": "reading",
    "RECORD_LEAF_ENCODING": "reading",
    "record_salt": "reading",
    "RecordProof": "proofs",
    "records_secret": "reading",
    "RecordsTree": "reading",
    "save_records_tree": "saved",
    "TREE_FILE_FORMAT": "saved",
    "verify_proof": "proofs",
    "withdraw": "withdrawal",
    "Withdrawal": "withdrawal",
    "write_proof": "proofs",
}

if TYPE_CHECKING:
    from aitrail.records.proofs import (
        RecordProof,
        load_proof,
        parse_proof,
        prove,
        verify_proof,
        write_proof,
    )
    from aitrail.records.reading import (
        CONSENT_PURPOSES,
        PROOF_FORMAT,
        RECORD_LEAF_ENCODING,
        Consent,
        PackedRecords,
        RecordsTree,
        build_records_tree,
        canonical_csv_row,
        canonical_json_record,
        consent_terms,
        parse_consent,
        read_records,
        record_digest,
        record_key,
        record_salt,
        records_secret,
    )
    from aitrail.records.saved import (
        TREE_FILE_FORMAT,
        dump_records_tree,
        load_records_tree,
        open_records_tree,
        save_records_tree,
    )
    from aitrail.records.withdrawal import (
        Withdrawal,
        withdraw,
    )


__getattr__ = lazy_exports(__name__, _EXPORTS)


__all__ = [
    "CONSENT_PURPOSES",
    "PROOF_FORMAT",
    "RECORD_LEAF_ENCODING",
    "TREE_FILE_FORMAT",
    "Consent",
    "PackedRecords",
    "RecordProof",
    "RecordsTree",
    "Withdrawal",
    "build_records_tree",
    "canonical_csv_row",
    "canonical_json_record",
    "consent_terms",
    "dump_records_tree",
    "load_proof",
    "load_records_tree",
    "open_records_tree",
    "parse_consent",
    "parse_proof",
    "prove",
    "read_records",
    "record_digest",
    "record_key",
    "record_salt",
    "records_secret",
    "save_records_tree",
    "verify_proof",
    "withdraw",
    "write_proof",
]
