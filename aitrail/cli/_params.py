"""The CLI's numeric parameter types, in one place: every number is checked here, at the boundary,
before anything reaches web3 (which answers an out-of-range uint with a MismatchedABI traceback).

Day counts follow the registry's limits (AccessGrants.sol: MIN_GRANT_DURATION 1 hour,
MAX_GRANT_DURATION 365 days); 0 is refused rather than passed on, since the contract reads a zero
duration as "the default, 30 days".
"""

from __future__ import annotations

import click

UINT256_MAX = 2**256 - 1
MAX_GRANT_DAYS = 365


class Uint256(click.IntRange):
    """An on-chain uint256 id: from `low` up to 2**256 - 1, said as such in the error."""

    name = "uint256"

    def __init__(self, low: int) -> None:
        super().__init__(low, UINT256_MAX)

    def _describe_range(self) -> str:
        return f"{self.min}<=x<2**256"


#: a dataset id (ids start at 1)
DATASET_ID = Uint256(1)
#: a model version id (ids start at 1)
VERSION_ID = Uint256(1)
#: --predecessor: a dataset id, or 0 for none
PREDECESSOR = Uint256(0)
#: access duration in days, on requests, grants, signed grants and purchases
DAYS = click.IntRange(1, MAX_GRANT_DAYS)
#: how long a signed grant may be submitted, in days
VALID_DAYS = click.IntRange(1, 10 * MAX_GRANT_DAYS)
#: seconds to wait for a transaction
SECONDS = click.FloatRange(min=0, min_open=True)
