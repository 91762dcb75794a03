"""Deploy the aitrail suite (idempotent: a second run finds it and deploys nothing).

    brownie run scripts/deploy.py [main [TREASURY_TRAIL]] --network NAME
"""

from aitrail.flows import DeployParams, deploy_suite
from scripts.sdk_session import session


def main(treasury="0"):
    s = session()
    result = deploy_suite(s, DeployParams(treasury=int(treasury) * 10**18), log=print)
    print(f"chain id {result.chain_id}; address book {s.book.path(result.chain_id)}")
    return result.addresses
