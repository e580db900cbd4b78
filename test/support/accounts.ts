// Plain Auth0 users for the pure decision tests: one identity on `connection`, Ada's verified
// address, created at a fixed time (so primary choice does not depend on the clock).
import type { Account } from "../../action-src/decide";

export const account = (user_id: string, connection: string, extra: Partial<Account> = {}): Account => {
  const bar = user_id.indexOf("|");
  return {
    user_id,
    email: "ada@example.com",
    email_verified: true,
    created_at: "2024-01-01T00:00:00.000Z",
    identities: [{ connection, provider: user_id.slice(0, bar), user_id: user_id.slice(bar + 1) }],
    ...extra,
  };
};
