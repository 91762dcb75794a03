"""Chain clients: connection, accounts, transactions, typed contract clients."""
