"""A data owner revokes ACCOUNT's access now.

    brownie run scripts/revoke_access.py main DATASET ACCOUNT --network NAME
"""

from aitrail.flows import revoke_access
from scripts.sdk_session import session


def main(dataset_id, account):
    tx = revoke_access(session(), int(dataset_id), account)
    print(f"access of {account} to dataset {dataset_id} revoked in {tx}")
    return tx
