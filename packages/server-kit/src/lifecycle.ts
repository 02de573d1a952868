import type { Logger } from "./logger";

/**
 * Runs `stop` once on SIGTERM or SIGINT, then exits: 0 when it finished in time, 1 when it
 * failed or overran `deadlineMs` (a hung shutdown must not keep a pod Terminating forever).
 */
export function exitOnSignals(logger: Logger, stop: () => Promise<void>, deadlineMs = 20_000): void {
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, "shutting down");
    const timer = setTimeout(() => {
      logger.error({ deadlineMs }, "shutdown overran its deadline; exiting");
      process.exit(1);
    }, deadlineMs);
    timer.unref();
    stop().then(
      () => {
        logger.info("stopped");
        process.exit(0);
      },
      (error: unknown) => {
        logger.error({ err: error }, "shutdown failed");
        process.exit(1);
      },
    );
  };
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);
}

/**
 * The catch-all for start-up: configuration and preflight problems print their message
 * alone (they say what to do); anything else prints its stack. Exit code 2 either way.
 */
export function failStartup(service: string): (error: unknown) => never {
  return (error) => {
    const known = error instanceof Error && (error.name === "ConfigError" || error.name === "PreflightError");
    const text = known
      ? (error as Error).message
      : error instanceof Error
        ? (error.stack ?? error.message)
        : String(error);
    process.stderr.write(`${service}: cannot start: ${text}\n`);
    process.exit(2);
  };
}
