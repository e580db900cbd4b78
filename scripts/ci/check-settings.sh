#!/usr/bin/env bash
# Checks, through the GitHub REST API, the repository settings the delivery model relies on
# (docs/delivery.md, "Repository settings the model relies on"), and prints one line per setting
# that differs; exit 1 if any does. Needs `gh` logged in with a token that can read the
# repository's administration settings. The cloud roles' trust policies are not visible here.
#   scripts/ci/check-settings.sh <owner>/<repo> [production-environment-name ...]
set -uo pipefail
repo="${1:?usage: check-settings.sh <owner>/<repo> [production environment ...]}"
shift
production=("$@")
problems=0
bad() { echo "setting: $*"; problems=$((problems + 1)); }

protection="$(gh api "repos/$repo/branches/main/protection" 2>/dev/null)" || protection=""
if [ -z "$protection" ]; then
  bad "main has no branch protection (pull requests, reviews, required checks)"
else
  jq -e '.required_pull_request_reviews.required_approving_review_count >= 1' <<<"$protection" >/dev/null || bad "main: no required approving review"
  jq -e '.required_pull_request_reviews.dismiss_stale_reviews == true' <<<"$protection" >/dev/null || bad "main: stale approvals are not dismissed on push"
  jq -e '.required_pull_request_reviews.require_code_owner_reviews == true' <<<"$protection" >/dev/null || bad "main: code owner review is not required"
  jq -e '.enforce_admins.enabled == true' <<<"$protection" >/dev/null || bad "main: administrators can bypass the protection"
  jq -e '.allow_force_pushes.enabled == false and .allow_deletions.enabled == false' <<<"$protection" >/dev/null || bad "main: force pushes or deletion allowed"
  jq -e '[.required_status_checks.contexts[]?] | index("Test and synth") != null' <<<"$protection" >/dev/null || bad "main: the \"Test and synth\" check is not required"
fi

codeowners=""
for path in .github/CODEOWNERS CODEOWNERS docs/CODEOWNERS; do
  codeowners="$(gh api "repos/$repo/contents/$path" --jq .content 2>/dev/null | base64 -d 2>/dev/null)" && [ -n "$codeowners" ] && break
done
if [ -z "$codeowners" ]; then
  bad "no CODEOWNERS file"
else
  for dir in stacks/ action-src/ .github/; do
    grep -Eq "^/?${dir//./\\.}[*]*[[:space:]]+@" <<<"$codeowners" || bad "CODEOWNERS names no owner for $dir"
  done
fi

environments="$(gh api "repos/$repo/environments" --paginate --jq '.environments[] | @base64' 2>/dev/null)" || environments=""
[ -n "$environments" ] || bad "no GitHub Environments (docs/delivery.md, the GitHub Environment table)"
for encoded in $environments; do
  env="$(base64 -d <<<"$encoded")"
  name="$(jq -r .name <<<"$env")"
  case "$name" in auth0-*) ;; *) continue ;; esac
  policy="$(jq -c '.deployment_branch_policy' <<<"$env")"
  is_plan=false; case "$name" in *-plan) is_plan=true ;; esac
  is_production=false
  for p in "${production[@]}"; do case "$name" in "auth0-$p"|"auth0-$p-"*) is_production=true ;; esac; done
  if [ "$policy" = "null" ] && { ! $is_plan || $is_production; }; then
    bad "$name: any branch may deploy to it (deployment branches: main only)"
  fi
  if $is_production && ! $is_plan; then
    case "$name" in *-sign|*-smoke|*-drift) continue ;; esac
    jq -e '[.protection_rules[]? | select(.type == "required_reviewers")] | length > 0' <<<"$env" >/dev/null || bad "$name: no required reviewers"
    jq -e '[.protection_rules[]? | select(.type == "required_reviewers" and .prevent_self_review == true)] | length > 0' <<<"$env" >/dev/null || bad "$name: \"prevent self-review\" is off"
    jq -e '.can_admins_bypass == false' <<<"$env" >/dev/null || bad "$name: administrators can bypass its protection rules"
  fi
done

sub="$(gh api "repos/$repo/actions/oidc/customization/sub" 2>/dev/null)" || sub=""
if ! jq -e '.use_default == false and ([.include_claim_keys[]?] as $k | ["repo", "context", "ref", "job_workflow_ref"] | all(. as $x | $k | index($x) != null))' <<<"${sub:-null}" >/dev/null 2>&1; then
  bad "the OIDC subject claim does not carry repo, context, ref and job_workflow_ref (the deploy role cannot require main and the deploy workflow)"
fi

if [ "$problems" -gt 0 ]; then
  echo "$problems setting(s) differ from docs/delivery.md"
  exit 1
fi
echo "repository settings: as docs/delivery.md says (the cloud roles are not checked here)"
