// Which environments deploy.yml deploys, read from the parsed workflow. Two shapes are sound:
// - a chain: one job per environment (job id = environment name), each needing the one before,
//   the first needing `test`; it covers exactly the names it lists, so a team that adds, renames
//   or removes an environment must change the chain with it;
// - a matrix: one job over `npm run environments -- --github-matrix` (every configured
//   environment, in order), one at a time, stopping at the first failure; it covers whatever
//   stacks/environments.ts configures.
// Anything else is a list of problems.

export interface DeployJob {
  uses?: string;
  with?: Record<string, unknown>;
  needs?: string | string[];
  concurrency?: unknown;
  strategy?: { matrix?: Record<string, unknown>; "max-parallel"?: number; "fail-fast"?: boolean };
  outputs?: Record<string, string>;
  steps?: Array<{ id?: string; run?: string }>;
}

export type DeployedEnvironments = { kind: "chain"; names: string[] } | { kind: "matrix"; job: string } | { kind: "invalid"; problems: string[] };

const CALLED = "./.github/workflows/deploy-environment.yml";
const MATRIX_STEP = 'echo "matrix=$(npm run --silent environments -- --github-matrix)" >> "$GITHUB_OUTPUT"';
const NEVER_CANCEL = (group: string) => ({ group, "cancel-in-progress": false });
const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

export function deployedEnvironments(jobs: Record<string, DeployJob>): DeployedEnvironments {
  const problems: string[] = [];
  const deploying = Object.entries(jobs).filter(([id]) => id !== "test");
  if (!jobs.test) problems.push("no `test` job");
  if (deploying.length === 0) problems.push("no deploy job");
  for (const [id, job] of deploying) {
    if (job.uses !== CALLED) problems.push(`${id}: does not call ${CALLED}`);
    if (job.with?.["allow-unbind"] !== "${{ inputs.allow-unbind == true }}") problems.push(`${id}: allow-unbind is not passed from the run's input`);
  }

  const matrixJobs = deploying.filter(([, job]) => job.strategy?.matrix);
  if (matrixJobs.length > 0) {
    const [id, job] = matrixJobs[0];
    if (deploying.length !== 1) problems.push("a matrix deploy is the only deploy job");
    const step = jobs.test?.steps?.find((s) => s.run === MATRIX_STEP);
    if (!step?.id || jobs.test?.outputs?.environments !== `\${{ steps.${step.id}.outputs.matrix }}`) problems.push("test: does not output every configured environment (npm run environments -- --github-matrix) as `environments`");
    if (job.needs !== "test") problems.push(`${id}: does not need test`);
    if (!same(job.strategy!.matrix, { environment: "${{ fromJSON(needs.test.outputs.environments) }}" })) problems.push(`${id}: the matrix is not needs.test.outputs.environments`);
    if (job.strategy!["max-parallel"] !== 1) problems.push(`${id}: environments deploy in parallel (max-parallel must be 1)`);
    if (job.strategy!["fail-fast"] === false) problems.push(`${id}: a failed environment does not stop the next (fail-fast is off)`);
    if (job.with?.environment !== "${{ matrix.environment.name }}") problems.push(`${id}: environment is not matrix.environment.name`);
    if (!same(job.concurrency, NEVER_CANCEL("deploy-${{ matrix.environment.stack }}"))) problems.push(`${id}: not one never-cancelled concurrency group per tenant`);
    return problems.length > 0 ? { kind: "invalid", problems } : { kind: "matrix", job: id };
  }

  const names: string[] = [];
  for (let previous = "test"; ; ) {
    const next = deploying.filter(([, job]) => job.needs === previous).map(([id]) => id);
    if (next.length > 1) problems.push(`${next.join(", ")} all need ${previous}: environments would deploy in parallel`);
    if (next.length === 0 || names.includes(next[0])) break;
    names.push(next[0]);
    previous = next[0];
  }
  for (const [id] of deploying.filter(([id]) => !names.includes(id))) problems.push(`${id}: not in the chain from test`);
  for (const name of names) {
    const job = jobs[name];
    if (job.with?.environment !== name) problems.push(`${name}: deploys environment ${JSON.stringify(job.with?.environment)}, not its own name`);
    if (!same(job.concurrency, NEVER_CANCEL(`deploy-auth0-${name}`))) problems.push(`${name}: not its tenant's never-cancelled concurrency group`);
  }
  return problems.length > 0 ? { kind: "invalid", problems } : { kind: "chain", names };
}
