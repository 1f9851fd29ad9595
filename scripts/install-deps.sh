#!/usr/bin/env bash
# Installs the Debian packages Souper's tests and demo need, then checks that every
# tool is really there: a missing tool must fail here, loudly, never skip a test.
set -euo pipefail

PACKAGES=(
  python3-torch          # reference PyTorch for cross-checks and the model script
  python3-numpy
  python3-confluent-kafka python3-avro   # interop with a real Confluent client
  dataset-fashion-mnist  # the demo's and tests' real data
  prometheus             # promtool checks the alert rules
  docker-compose         # validates the distributed compose file
  kcat
)

if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps.sh: run as root (sudo $0)" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update
apt-get install -y --no-install-recommends "${PACKAGES[@]}"

missing=0
need() { if ! command -v "$1" >/dev/null 2>&1; then echo "MISSING TOOL: $1 ($2)" >&2; missing=1; fi; }
need java "Java 17"
need mvn "Maven"
need /usr/bin/python3 "Debian python3"
need promtool "package prometheus"
need docker-compose "package docker-compose"
need kcat "package kcat"
if ! /usr/bin/python3 -c 'import torch, numpy, confluent_kafka, avro' 2>/dev/null; then
  echo "MISSING PYTHON MODULES: /usr/bin/python3 cannot import torch, numpy, confluent_kafka and avro" >&2
  missing=1
fi
if [ ! -f /usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz ]; then
  echo "MISSING DATA: /usr/share/datasets/fashion-mnist (package dataset-fashion-mnist)" >&2
  missing=1
fi
if [ "$missing" -ne 0 ]; then
  echo "install-deps.sh: required tools are missing; refusing to run tests without them" >&2
  exit 1
fi
echo "install-deps.sh: all tools present"
