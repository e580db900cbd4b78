// Where an environment's Terraform state lives. One state per environment.
import { CloudBackend, LocalBackend, NamedCloudWorkspace, S3Backend, type TerraformStack } from "./engine";
import type { BackendConfig } from "./config";

export function configureBackend(stack: TerraformStack, environment: string, backend: BackendConfig): void {
  switch (backend.type) {
    case "local":
      // Without a path cdktf keeps terraform.<stack>.tfstate in the project root.
      if (backend.path) new LocalBackend(stack, { path: backend.path });
      return;
    case "s3":
      new S3Backend(stack, {
        bucket: backend.bucket,
        region: backend.region,
        key: backend.key ?? `auth0-account-linking/${environment}/terraform.tfstate`,
        encrypt: true,
        ...(backend.roleArn ? { assumeRole: { roleArn: backend.roleArn } } : {}),
      });
      // Terraform's native S3 locking (>= 1.10); cdktf 0.21 has no typed field for it.
      stack.addOverride("terraform.backend.s3.use_lockfile", true);
      return;
    case "cloud":
      new CloudBackend(stack, {
        organization: backend.organization,
        workspaces: new NamedCloudWorkspace(backend.workspace),
        ...(backend.hostname ? { hostname: backend.hostname } : {}),
      });
      return;
  }
}
