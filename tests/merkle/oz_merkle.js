#!/usr/bin/env node
// Reference oracle for tests: builds each case with npm @openzeppelin/merkle-tree and prints,
// per case, the tree's dump(), every proof (by value index) and the root.
// stdin: JSON [{"leafEncoding": [...], "values": [[...], ...]}, ...]
'use strict';
const { StandardMerkleTree } = require('@openzeppelin/merkle-tree');

let input = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', chunk => { input += chunk; });
process.stdin.on('end', () => {
  const cases = JSON.parse(input);
  const out = cases.map(({ leafEncoding, values }) => {
    const tree = StandardMerkleTree.of(values, leafEncoding);
    const proofs = values.map((_, i) => tree.getProof(i));
    return { root: tree.root, dump: JSON.stringify(tree.dump()), proofs };
  });
  process.stdout.write(JSON.stringify(out));
});
