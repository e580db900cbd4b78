#!/usr/bin/env bash
# Records .terraform.lock.hcl for the providers this project pins (schema/*.json), with the hashes
# of every platform CI and the team use. Run it where the Terraform registry is reachable, after a
# provider upgrade (docs/operations.md, "Upgrading the provider"), and review the diff: CI installs
# only what this file lists (terraform init -lockfile=readonly).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
pin() { node -e 'const s=require(process.argv[1]);console.log(s.provider_versions[process.argv[2]])' "$root/schema/$1" "$2"; }
auth0="$(pin auth0.json registry.terraform.io/auth0/auth0)"
random="$(pin random.json registry.terraform.io/hashicorp/random)"
cat > "$work/providers.tf.json" <<JSON
{"terraform":{"required_providers":{"auth0":{"source":"auth0/auth0","version":"$auth0"},"random":{"source":"hashicorp/random","version":"$random"}}}}
JSON
cd "$work"
CHECKPOINT_DISABLE=1 terraform providers lock -platform=linux_amd64 -platform=linux_arm64 -platform=darwin_amd64 -platform=darwin_arm64 -platform=windows_amd64
cp .terraform.lock.hcl "$root/.terraform.lock.hcl"
echo "wrote $root/.terraform.lock.hcl (auth0/auth0 $auth0, hashicorp/random $random)"
