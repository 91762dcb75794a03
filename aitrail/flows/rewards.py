"""Reward flows: what an account holds and may claim, claiming, and sending tokens."""

from __future__ import annotations

from aitrail.chain.accounts import checked_address
from aitrail.flows.session import Session
from aitrail.results import Balance, Claimed


def balance(session: Session, account: str | None = None) -> Balance:
    who = checked_address(account or session.address)
    suite = session.suite
    credited, claimed = suite.rewards.account(who)
    return Balance(
        account=who,
        balance=suite.token.balance(who),
        claimable=suite.rewards.claimable(who),
        credited=credited,
        claimed=claimed,
    )


def claim(session: Session) -> Claimed:
    amount, receipt = session.suite.rewards.claim()
    return Claimed(account=session.address, claimed=amount, tx=receipt["transactionHash"].to_0x_hex())


def send_tokens(session: Session, to: str, amount: int) -> str:
    receipt = session.suite.token.transfer(to, amount)
    return str(receipt["transactionHash"].to_0x_hex())
