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
  docker-compose         # validates the distributed compose files
  util-linux             # setpriv: the non-root test runs the services as uid 10001
  kcat
  chromium               # headless browser test of the web page
)

if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps.sh: run as root (sudo $0)" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update
apt-get install -y --no-install-recommends "${PACKAGES[@]}"

# The Kubernetes schema validator (k8s/validate): exact versions from package-lock.json. Node.js
# and npm come with this machine kind (Debian's npm would replace its Node.js), so they are only checked.
if command -v npm >/dev/null 2>&1; then
  (cd "$(dirname "$0")/../k8s/validate" && npm ci --no-audit --no-fund)
fi

missing=0
need() { if ! command -v "$1" >/dev/null 2>&1; then echo "MISSING TOOL: $1 ($2)" >&2; missing=1; fi; }
need java "Java 17"
need mvn "Maven"
need /usr/bin/python3 "Debian python3"
need promtool "package prometheus"
need docker-compose "package docker-compose"
need kcat "package kcat"
need chromium "package chromium"
need setpriv "package util-linux"
need node "Node.js (comes with the machine)"
need npm "npm (comes with Node.js)"
# kustomize renders k8s/overlays: kubectl's built-in kustomize (Debian's kubernetes-client is too
# old for kustomize v5; this machine kind ships kubectl with kustomize v5.5).
need kubectl "kubectl with built-in kustomize v5"
if command -v kubectl >/dev/null 2>&1 && ! kubectl kustomize --help >/dev/null 2>&1; then
  echo "MISSING TOOL: kubectl kustomize (kubectl without a built-in kustomize)" >&2
  missing=1
fi
if [ ! -f "$(dirname "$0")/../k8s/validate/node_modules/kubernetes-models/package.json" ]; then
  echo "MISSING NPM PACKAGE: kubernetes-models in k8s/validate (npm ci failed)" >&2
  missing=1
fi
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
