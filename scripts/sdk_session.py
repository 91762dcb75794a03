"""What every aitrail brownie script shares: an SDK session on brownie's active network.

The account is $AITRAIL_ACCOUNT (a keystore name, unlocked with its password from the environment or a
prompt; or anvil0..anvil9 on a development chain), else brownie's `accounts[0]`. State (address book,
store, keystores) lives in $AITRAIL_HOME (default ~/.aitrail), the same as the CLI's.
"""

import os

from brownie import accounts, network, web3

from aitrail.config import Settings, default_home
from aitrail.flows import Session, account_from_brownie


def session(account=None):
    url = web3.provider.endpoint_uri
    settings = Settings(home=default_home(), rpc_url=url, network=network.show_active())
    chosen = account or os.environ.get("AITRAIL_ACCOUNT")
    if chosen is None:
        chosen = account_from_brownie(accounts[0])
    elif not isinstance(chosen, str):
        chosen = account_from_brownie(chosen)
    return Session.open(settings, chosen)
