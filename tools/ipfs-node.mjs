#!/usr/bin/env node
// A real IPFS node (js-ipfs: ipfs-core 0.18.1 + ipfs-http-server 0.15.1) serving Kubo's /api/v0 RPC,
// for tests and the demo: no Kubo binary installs on these machines (see /work/shared/TOOLCHAIN.md).
//
//   node tools/ipfs-node.mjs [REPO_DIR]
//   node tools/ipfs-node.mjs --check     start, print the address, stop (what `make setup` checks)
//
// Throwaway repo (a fresh temporary folder unless REPO_DIR is given, removed on exit when temporary),
// offline, profile `test`, no bootstrap, no MDNS, no swarm listeners; the RPC API on 127.0.0.1 at a free
// port. Prints one line `api http://127.0.0.1:PORT` on stdout once it answers, then runs until SIGTERM or
// SIGINT (or until stdin closes, so a parent that dies without signalling does not leave it behind).
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

// ipfs-core 0.18's dependencies call Promise.withResolvers, which Node 20 lacks: define it before any
// of them is imported (hence the dynamic imports below).
if (typeof Promise.withResolvers !== 'function') {
  Promise.withResolvers = function withResolvers () {
    let resolve, reject
    const promise = new Promise((res, rej) => { resolve = res; reject = rej })
    return { promise, resolve, reject }
  }
}

const { create } = await import('ipfs-core')
const { HttpApi } = await import('ipfs-http-server')

const check = process.argv[2] === '--check'
const given = check ? undefined : process.argv[2]
const repo = given || mkdtempSync(join(tmpdir(), 'aitrail-ipfs-'))

const ipfs = await create({
  repo,
  offline: true,
  silent: true,
  start: true,
  init: { emptyRepo: true, profiles: ['test'] },
  config: {
    Bootstrap: [],
    Discovery: { MDNS: { Enabled: false }, webRTCStar: { Enabled: false } },
    Addresses: { Swarm: [], API: '/ip4/127.0.0.1/tcp/0', Gateway: '', RPC: '', Delegates: [] }
  },
  preload: { enabled: false }
})
const api = new HttpApi(ipfs)
await api.start()
const server = api._apiServers[0]
const { address, port } = server.info
process.stdout.write(`api http://${address}:${port}\n`)

let stopping = false
async function stop (code) {
  if (stopping) return
  stopping = true
  try {
    await api.stop()
    await ipfs.stop()
  } finally {
    if (!given) rmSync(repo, { recursive: true, force: true })
    process.exit(code)
  }
}
if (check) await stop(0)
process.on('SIGTERM', () => stop(0))
process.on('SIGINT', () => stop(0))
process.stdin.on('end', () => stop(0))
process.stdin.resume()
