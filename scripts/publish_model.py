"""An ML engineer publishes a model version citing its datasets.

    brownie run scripts/publish_model.py main NAME PATH DATASET[,DATASET...] --network NAME
"""

from pathlib import Path

from aitrail.flows import publish_model
from scripts.sdk_session import session


def main(name, path, datasets=""):
    ids = [int(d) for d in str(datasets).split(",") if d]
    r = publish_model(session(), name, Path(path), ids)
    print(f"model {name!r} version {r['number']} (id {r['versionId']}), tx {r['tx']}")
    return r["versionId"]
