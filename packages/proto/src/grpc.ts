// The standard gRPC health and reflection protocols.
export * as healthV1 from "../../../gen/grpc/health/v1/health_pb";
export * as reflectionV1 from "../../../gen/grpc/reflection/v1/reflection_pb";
export * as reflectionV1alpha from "../../../gen/grpc/reflection/v1alpha/reflection_pb";
