"""A data owner grants 30-day access (or DAYS) to ACCOUNT, delivering the data key wrapped for them.

    brownie run scripts/grant_access.py main DATASET ACCOUNT [DAYS] --network NAME
"""

from aitrail.flows import grant_access
from aitrail.flows._common import when
from scripts.sdk_session import session


def main(dataset_id, account, days="30"):
    g = grant_access(session(), int(dataset_id), account, int(days))
    print(f"{g.grantee} may access dataset {dataset_id} until {when(g.expires_at)} (tx {g.tx_hash})")
    return g.expires_at
