"""A researcher requests access to a dataset, publishing their encryption public key.

    AITRAIL_ACCOUNT=researcher \
        brownie run scripts/request_access.py main DATASET "PURPOSE" [DAYS] --network NAME
"""

from aitrail.flows import request_access
from scripts.sdk_session import session


def main(dataset_id, purpose, days="30"):
    tx = request_access(session(), int(dataset_id), purpose, int(days))
    print(f"access to dataset {dataset_id} requested for {days} days in {tx}")
    return tx
