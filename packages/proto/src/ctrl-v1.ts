// Package ctrl.v1: the management API served by deploy-svc.
export * from "../../../gen/ctrl/v1/project_pb";
export * from "../../../gen/ctrl/v1/deployment_pb";
