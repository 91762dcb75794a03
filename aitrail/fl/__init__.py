"""Federated training on the trail: Flower runs the rounds, aitrail records and verifies them.

- `encoding`: the one byte layout of an update or an aggregate (what digests cover).
- `rules`: an aggregation rule string ("MultiKrum f=1 keep=4") → Flower's own strategy, and which updates
  a strategy's output is made of.
- `recording`: the Flower client wrapper that commits its update before sending it, and the strategy
  wrapper that checks every update against its commit and records each round's aggregate.
- `party`: who signs for a party (its key in this process); `agent`: the signing agent that keeps the key
  out of the processes Flower starts.
- `runner`: the in-process engine; `flower_app` + `deployment`: the same wrappers as a Flower App on
  Flower's deployment engine (SuperLink, SuperNodes, `flwr run`).
- `audit`: `show` and `verify` from the chain and IPFS alone.
- `demo`: five hospitals, one Byzantine, FedAvg against a robust rule.

Importing this package imports nothing heavy; flwr and numpy load in the modules that need them.
"""
