#!/usr/bin/env bash
# Headless Chromium for the HTML report test (tests/index/test_audit_report.py): the Debian package,
# installed as root with apt-get. Tolerant by design: where it cannot be installed (not root, no apt,
# no network) it says so in one line and exits 1; the Makefile goes on (and tries again next time), and that
# one test skips, naming the reason.
# Measured on this kind of machine: apt-get update ~8 s, install ~137 s (about 100 packages).
set -u
command -v chromium >/dev/null 2>&1 && exit 0
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "chromium: not installed (needs root and apt-get); the browser test of the HTML report will skip"
  exit 1
fi
if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; } \
    >/tmp/aitrail-chromium-install.log 2>&1; then
  echo "chromium: apt-get install failed (see /tmp/aitrail-chromium-install.log); the browser test will skip"
  exit 1
fi
