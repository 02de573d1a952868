// Package hydra.v1: DeployService (deploy-svc) and RoutingService (routing-svc).
export * from "../../../gen/hydra/v1/deployment_pb";
export * from "../../../gen/hydra/v1/routing_pb";
