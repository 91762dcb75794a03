"""Deploy the aitrail suite with brownie and print the addresses.

    brownie run scripts/deploy.py [--network NAME]
"""

from brownie import RewardToken, accounts, network

REWARD_CAP = 100_000_000 * 10**18


def main():
    deployer = accounts[0]
    token = RewardToken.deploy(deployer, REWARD_CAP, {"from": deployer})
    print(f"network      {network.show_active()} (chain id {network.chain.id})")
    print(f"RewardToken  {token.address}")
    return {"RewardToken": token}
