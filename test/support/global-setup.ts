import { prepareTestTemplate, TEST_SERVER_URL } from "@hydra/db/testing";

// Runs once before all test files: a fresh, migrated template every test database clones.
export default async function globalSetup(): Promise<void> {
  try {
    await prepareTestTemplate();
  } catch (error) {
    throw new Error(
      `cannot prepare the test database template on ${TEST_SERVER_URL}: ${(error as Error).message}. ` +
        "Start PostgreSQL with: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start",
    );
  }
}
