import type { StickyLevel } from "../sticky";

/** A gateway config as stored (proto JSON of hydra.v1.GatewayConfig). */
export type GatewayConfigJson = Record<string, unknown>;

/** The project's row as the routing transaction locks it, with the live deployment's creation sequence. */
export interface LockedProjectRow {
  id: string;
  workspace_id: string;
  live_deployment_id: string | null;
  live_sequence: bigint | null;
  is_rolled_back: boolean;
  routing_generation: bigint;
}

export interface DeploymentRow {
  id: string;
  workspace_id: string;
  project_id: string;
  environment_id: string;
  sequence: bigint;
  gateway_config: GatewayConfigJson | null;
}

/** A domain with the creation sequence of the deployment it points at. */
export interface DomainRow {
  id: string;
  name: string;
  workspace_id: string;
  project_id: string;
  environment_id: string | null;
  deployment_id: string;
  sticky: StickyLevel;
  deployment_sequence: bigint;
}

export const DOMAIN_COLUMNS = `d.id, d.name, d.workspace_id, d.project_id, d.environment_id, d.deployment_id,
  d.sticky::text AS sticky, dep.sequence AS deployment_sequence`;

export interface RoutingOperationRow {
  id: string;
  project_id: string;
  routing_generation: bigint;
  kind: string;
  request_hash: string;
  response: unknown;
}

/** A route as the outbox stores it: a hostname upserted into gateway_configs, with its config. */
export interface StoredRoute {
  hostname: string;
  deploymentId: string;
  config: GatewayConfigJson;
}

/** A hostname whose gateway config was deleted (or renamed away). */
export interface StoredRouteRemoval {
  hostname: string;
  removed: true;
}

/** One entry of a route change in the outbox. */
export type StoredRouteChange = StoredRoute | StoredRouteRemoval;

export interface RouteChangeRow {
  position: bigint;
  project_id: string;
  routing_generation: bigint;
  routes: StoredRouteChange[];
  committed_at: Date;
}

export interface GatewayConfigRow {
  hostname: string;
  deployment_id: string;
  config: GatewayConfigJson;
}

/** Every hostname stored with one deployment and config (a snapshot's unit). */
export interface RouteSnapshotGroupRow {
  deployment_id: string;
  config: GatewayConfigJson;
  hostnames: string[];
}

/**
 * Route changes are announced on this channel, at commit: a routing transaction's change
 * (payload ROUTE_CHANGE_COMMITTED: something to sequence), and the sequencer's new positions
 * (payload ROUTE_STREAM_SEQUENCED_PREFIX + the head position: something to read).
 */
export const ROUTE_CHANGES_CHANNEL = "hydra_route_changes";
export const ROUTE_CHANGE_COMMITTED = "committed";
export const ROUTE_STREAM_SEQUENCED_PREFIX = "sequenced:";
