// File descriptors each server registers for gRPC reflection.
export { file_hydra_v1_deployment } from "../../../gen/hydra/v1/deployment_pb";
export { file_hydra_v1_routing } from "../../../gen/hydra/v1/routing_pb";
export { file_ctrl_v1_project } from "../../../gen/ctrl/v1/project_pb";
export { file_ctrl_v1_deployment } from "../../../gen/ctrl/v1/deployment_pb";
export { file_grpc_health_v1_health } from "../../../gen/grpc/health/v1/health_pb";
export { file_grpc_reflection_v1_reflection } from "../../../gen/grpc/reflection/v1/reflection_pb";
export { file_grpc_reflection_v1alpha_reflection } from "../../../gen/grpc/reflection/v1alpha/reflection_pb";
