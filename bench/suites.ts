// Every benchmark suite by name, loaded lazily. Each lives in its own file in this folder
// and exports `suite: BenchSuite`.
import type { BenchSuite } from "./report";

export const SUITES: Record<string, () => Promise<BenchSuite>> = {};
SUITES.routing = async () => (await import("./routing.js")).suite;
SUITES.workflow = async () => (await import("./workflow.js")).suite;
SUITES.deploy = async () => (await import("./deploy.js")).suite;
SUITES.peers = async () => (await import("./peers/src/suite.js")).suite;
SUITES.dataplane = async () => (await import("./dataplane.js")).suite;
