"""What every aitrail brownie script shares: an SDK session on brownie's active network.

The account is $AITRAIL_ACCOUNT (a keystore name, unlocked with its password from the environment or a
prompt; or anvil0..anvil9 on a development chain), else brownie's `accounts[0]`. State (address book,
store, keystores) lives in $AITRAIL_HOME (default ~/.aitrail), the same as the CLI's.

Without a usable account the script stops with one `error: ...` line and exit status 1, as the CLI does:
`brownie run` prints a traceback for any Exception but lets SystemExit through.
"""

import os
import sys

from brownie import accounts, network, web3

from aitrail.config import Settings, default_home
from aitrail.errors import AitrailError
from aitrail.flows import Session, account_from_brownie


def session(account=None):
    url = web3.provider.endpoint_uri
    settings = Settings(home=default_home(), rpc_url=url, network=network.show_active())
    chosen = account or os.environ.get("AITRAIL_ACCOUNT")
    if chosen is None:
        if len(accounts) == 0:
            fail(
                f"no account to send with: the node at {url} holds none for brownie's accounts[0]; set "
                "AITRAIL_ACCOUNT to a keystore name (`aitrail account list`), or anvil0..anvil9 on a "
                "development chain"
            )
        chosen = account_from_brownie(accounts[0])
    elif not isinstance(chosen, str):
        chosen = account_from_brownie(chosen)
    try:
        return Session.open(settings, chosen)
    except AitrailError as exc:
        fail(str(exc))


def fail(message):
    sys.exit(f"error: {message}")
