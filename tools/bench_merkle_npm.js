#!/usr/bin/env node
// The npm side of `python -m bench.merkle`: @openzeppelin/merkle-tree on the same records.
// usage: bench_merkle_npm.js VALUES.bin OUT.json MODE [INDEX,...]
//   VALUES.bin: records as abi.encode(bytes32,bytes32,uint8), 96 bytes each (written by the bench)
//   MODE: all     -> getProof for every value; SHA-256 of all proofs in leaf order (descending
//                    treeIndex: the order aitrail yields them in)
//         sample  -> getProof for the listed indices only
//         none    -> build only
//   INDEX,...: values whose proofs are written out for a direct comparison (any mode but none)
// Times only StandardMerkleTree.of and getProof; reading input and hashing proofs for the
// comparison digest are outside the timed spans.
'use strict';
const fs = require('fs');
const crypto = require('crypto');
const { StandardMerkleTree } = require('@openzeppelin/merkle-tree');

const [input, output, mode, list] = process.argv.slice(2);
const buf = fs.readFileSync(input);
const n = buf.length / 96;
const values = new Array(n);
for (let i = 0; i < n; i++) {
  const o = i * 96;
  values[i] = ['0x' + buf.toString('hex', o, o + 32), '0x' + buf.toString('hex', o + 32, o + 64), String(buf[o + 95])];
}

const seconds = (ns) => Number(ns) / 1e9;
let t0 = process.hrtime.bigint();
const tree = StandardMerkleTree.of(values, ['bytes32', 'bytes32', 'uint8']);
const buildS = seconds(process.hrtime.bigint() - t0);

const result = { root: tree.root, count: n, build_s: buildS, proofs_s: 0, proofs: 0, digest: null, sample: {} };
const wanted = new Set((list || '').split(',').filter(Boolean).map(Number));
if (mode === 'all') {
  const digest = crypto.createHash('sha256');
  const leafOrder = tree.values.map((v, i) => [v.treeIndex, i]).sort((a, b) => b[0] - a[0]).map(p => p[1]);
  let spent = 0n;
  for (const i of leafOrder) {
    t0 = process.hrtime.bigint();
    const proof = tree.getProof(i);
    spent += process.hrtime.bigint() - t0;
    for (const h of proof) digest.update(Buffer.from(h.slice(2), 'hex'));
    if (wanted.has(i)) result.sample[i] = proof;
  }
  result.proofs_s = seconds(spent);
  result.proofs = n;
  result.digest = digest.digest('hex');
} else if (mode === 'sample') {
  const indices = [...wanted];
  let spent = 0n;
  for (const i of indices) {
    t0 = process.hrtime.bigint();
    result.sample[i] = tree.getProof(i);
    spent += process.hrtime.bigint() - t0;
  }
  result.proofs_s = seconds(spent);
  result.proofs = indices.length;
} else if (mode !== 'none') {
  throw new Error(`unknown mode ${mode}`);
}
fs.writeFileSync(output, JSON.stringify(result));
