"""A researcher fetches a dataset: logged on-chain, decrypted, verified, written atomically.

    AITRAIL_ACCOUNT=researcher brownie run scripts/fetch_dataset.py main DATASET OUT_DIR --network NAME
"""

from pathlib import Path

from aitrail.flows import fetch_dataset
from scripts.sdk_session import session


def main(dataset_id, out_dir="."):
    r = fetch_dataset(session(), int(dataset_id), Path(out_dir))
    print(f"dataset {dataset_id} → {r.path} ({r.size} bytes, sha256 verified)")
    return str(r.path)
