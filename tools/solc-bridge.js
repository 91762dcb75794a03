#!/usr/bin/env node
// A solc command-line front for py-solc-x and brownie, backed by solc-js from npm.
//
// Why: py-solc-x downloads native solc from the Solidity binaries site, which these machines cannot
// reach, and the `solcjs` CLI differs from native solc (no --allow-paths, banner on stdout).
// This bridge answers the two calls py-solc-x makes:
//   --version                                   -> "Version: X.Y.Z+commit.<hash>..."
//   --standard-json [--allow-paths a,b] [--base-path p]  (JSON on stdin) -> JSON only on stdout
'use strict';
const fs = require('fs');
const path = require('path');

const root = path.resolve(__dirname, '..');
const solc = require(path.join(root, 'node_modules', 'solc'));

function parseArgs(argv) {
  const opts = { allowPaths: [], basePath: null, standardJson: false, version: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const [flag, inline] = arg.includes('=') ? arg.split(/=(.*)/s) : [arg, undefined];
    const take = () => (inline !== undefined ? inline : argv[++i]);
    if (flag === '--version') opts.version = true;
    else if (flag === '--standard-json') opts.standardJson = true;
    else if (flag === '--allow-paths') opts.allowPaths.push(...take().split(',').filter(Boolean));
    else if (flag === '--base-path') opts.basePath = take();
    else if (flag === '--include-path') opts.allowPaths.push(take());
    else if (flag === '--help') opts.help = true;
    else {
      process.stderr.write(`solc-bridge: unsupported option ${arg}\n`);
      process.exit(2);
    }
  }
  return opts;
}

function makeImportResolver(searchRoots) {
  return function findImport(importPath) {
    const candidates = path.isAbsolute(importPath)
      ? [importPath]
      : searchRoots.map((dir) => path.resolve(dir, importPath));
    for (const candidate of candidates) {
      try {
        return { contents: fs.readFileSync(candidate, 'utf8') };
      } catch (_) {
        // try the next root
      }
    }
    return { error: `File not found: ${importPath} (searched ${searchRoots.join(', ')})` };
  };
}

function main() {
  const opts = parseArgs(process.argv.slice(2));
  if (opts.version || opts.help) {
    process.stdout.write(`solc, the solidity compiler commandline interface (solc-js bridge)\nVersion: ${solc.version()}\n`);
    return;
  }
  if (!opts.standardJson) {
    process.stderr.write('solc-bridge: only --version and --standard-json are supported\n');
    process.exit(2);
  }
  const input = fs.readFileSync(0, 'utf8');
  const roots = [opts.basePath, process.cwd(), ...opts.allowPaths].filter(Boolean);
  const output = solc.compile(input, { import: makeImportResolver(roots) });
  process.stdout.write(output);
}

main();
