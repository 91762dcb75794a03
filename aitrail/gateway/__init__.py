"""The access gateway: an HTTP server that delivers datasets without handing out their keys, checks the
chain at every data request and records every attempt on-chain itself (`server`), the Sign-In with
Ethereum messages it authenticates researchers with (`siwe`), and the researcher's resumable client
(`client`). The owner's side (handing a dataset to a gateway) is `aitrail.flows.gateway`."""
