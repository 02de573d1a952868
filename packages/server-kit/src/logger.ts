import pino from "pino";

export type Logger = pino.Logger;

/** One JSON line an event, on stdout. Fields such as deployment_id/project_id/step go on child loggers. */
export function createLogger(service: string, level: string = process.env.LOG_LEVEL ?? "info"): Logger {
  return pino({
    level,
    base: { service, pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
  });
}
