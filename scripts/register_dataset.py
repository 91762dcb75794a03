"""A data owner registers a file: hash, encrypt, store, register.

    brownie run scripts/register_dataset.py main PATH NAME LICENSE --network NAME
"""

from pathlib import Path

from aitrail.flows import register_dataset
from scripts.sdk_session import session


def main(path, name, license):
    r = register_dataset(session(), Path(path), name=name, license=license)
    print(f"dataset {r.dataset_id}: cid {r.cid}, tx {r.tx_hash}")
    return r.dataset_id
