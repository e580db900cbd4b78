// Some tests run the real Terraform (no provider, no network). Where no Terraform >= 1.11 is
// installed they are reported as skipped, with the reason, instead of failing the suite: the
// rest of the project needs no Terraform to be tested.
import { findTerraform, type Terraform } from "../../scripts/lib/terraform";

function probe(): Terraform | undefined {
  try {
    return findTerraform({ ...process.env, TERRAFORM_BINARY: process.env.TERRAFORM_BINARY_FOR_TESTS ?? "" }, { TF_CLI_CONFIG_FILE: "/dev/null" });
  } catch (err) {
    console.warn(`skipping the tests that run the real Terraform: ${(err as Error).message}`);
    return undefined;
  }
}

export const realTerraform = probe();
/** `test` when Terraform is installed, `test.skip` otherwise. */
export const withTerraform: jest.It = realTerraform ? test : test.skip;
