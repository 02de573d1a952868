-- CreateEnum
CREATE TYPE "deployment_status" AS ENUM ('pending', 'building', 'deploying', 'network', 'ready', 'failed', 'cancelled', 'superseded');

-- CreateEnum
CREATE TYPE "desired_state" AS ENUM ('running', 'standby', 'archived');

-- CreateEnum
CREATE TYPE "domain_sticky" AS ENUM ('unspecified', 'branch', 'environment', 'live');

-- CreateEnum
CREATE TYPE "workflow_run_status" AS ENUM ('pending', 'running', 'sleeping', 'paused', 'completed', 'failed', 'cancelled');

-- CreateEnum
CREATE TYPE "workflow_step_status" AS ENUM ('running', 'completed', 'failed');

-- CreateTable
CREATE TABLE "workspaces" (
    "id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "slug" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "workspaces_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "projects" (
    "id" TEXT NOT NULL,
    "workspace_id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "slug" TEXT NOT NULL,
    "default_branch" TEXT NOT NULL DEFAULT 'main',
    "live_deployment_id" TEXT,
    "is_rolled_back" BOOLEAN NOT NULL DEFAULT false,
    "routing_generation" BIGINT NOT NULL DEFAULT 0,
    "deployment_sequence" BIGINT NOT NULL DEFAULT 0,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "projects_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "environments" (
    "id" TEXT NOT NULL,
    "workspace_id" TEXT NOT NULL,
    "project_id" TEXT NOT NULL,
    "slug" TEXT NOT NULL,
    "production" BOOLEAN NOT NULL DEFAULT false,
    "regions" JSONB NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "environments_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "deployments" (
    "id" TEXT NOT NULL,
    "workspace_id" TEXT NOT NULL,
    "project_id" TEXT NOT NULL,
    "environment_id" TEXT NOT NULL,
    "sequence" BIGINT NOT NULL,
    "branch" TEXT NOT NULL DEFAULT '',
    "commit_sha" TEXT NOT NULL DEFAULT '',
    "commit_message" TEXT NOT NULL DEFAULT '',
    "author_handle" TEXT NOT NULL DEFAULT '',
    "commit_at" TIMESTAMPTZ(3),
    "source" JSONB NOT NULL,
    "command" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "image" TEXT,
    "status" "deployment_status" NOT NULL DEFAULT 'pending',
    "desired_state" "desired_state" NOT NULL DEFAULT 'running',
    "failure_reason" TEXT,
    "failed_step" TEXT,
    "gateway_config" JSONB,
    "workflow_id" TEXT,
    "idempotency_key" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "deployments_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "deployment_topologies" (
    "deployment_id" TEXT NOT NULL,
    "region" TEXT NOT NULL,
    "desired_replicas" INTEGER NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'pending',
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "deployment_topologies_pkey" PRIMARY KEY ("deployment_id","region")
);

-- CreateTable
CREATE TABLE "instances" (
    "id" TEXT NOT NULL,
    "deployment_id" TEXT NOT NULL,
    "region" TEXT NOT NULL,
    "address" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "instances_pkey" PRIMARY KEY ("deployment_id","id")
);

-- CreateTable
CREATE TABLE "sentinels" (
    "id" TEXT NOT NULL,
    "workspace_id" TEXT NOT NULL,
    "project_id" TEXT NOT NULL,
    "environment_id" TEXT NOT NULL,
    "region" TEXT NOT NULL,
    "namespace" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "sentinels_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "domains" (
    "id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "workspace_id" TEXT NOT NULL,
    "project_id" TEXT NOT NULL,
    "environment_id" TEXT,
    "deployment_id" TEXT NOT NULL,
    "sticky" "domain_sticky" NOT NULL DEFAULT 'unspecified',
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "domains_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "gateway_configs" (
    "hostname" TEXT NOT NULL,
    "workspace_id" TEXT NOT NULL,
    "project_id" TEXT NOT NULL,
    "environment_id" TEXT,
    "deployment_id" TEXT NOT NULL,
    "config" JSONB NOT NULL,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "gateway_configs_pkey" PRIMARY KEY ("hostname")
);

-- CreateTable
CREATE TABLE "routing_operations" (
    "id" TEXT NOT NULL,
    "project_id" TEXT NOT NULL,
    "routing_generation" BIGINT NOT NULL,
    "kind" TEXT NOT NULL,
    "idempotency_key" TEXT,
    "request_hash" TEXT NOT NULL,
    "response" JSONB NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "routing_operations_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "deployment_events" (
    "id" BIGSERIAL NOT NULL,
    "deployment_id" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "payload" JSONB NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "deployment_events_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "workflow_runs" (
    "id" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "key" TEXT NOT NULL,
    "input" JSONB NOT NULL,
    "input_hash" TEXT NOT NULL,
    "status" "workflow_run_status" NOT NULL DEFAULT 'pending',
    "output" JSONB,
    "error" TEXT,
    "owner" TEXT,
    "epoch" BIGINT NOT NULL DEFAULT 0,
    "lease_expires_at" TIMESTAMPTZ(3),
    "wake_at" TIMESTAMPTZ(3),
    "deadline_at" TIMESTAMPTZ(3),
    "cancel_requested_at" TIMESTAMPTZ(3),
    "cancel_reason" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "ended_at" TIMESTAMPTZ(3),

    CONSTRAINT "workflow_runs_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "workflow_steps" (
    "run_id" TEXT NOT NULL,
    "sequence" INTEGER NOT NULL,
    "name" TEXT NOT NULL,
    "status" "workflow_step_status" NOT NULL DEFAULT 'running',
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "output" JSONB,
    "error" TEXT,
    "started_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "ended_at" TIMESTAMPTZ(3),

    CONSTRAINT "workflow_steps_pkey" PRIMARY KEY ("run_id","sequence")
);

-- CreateIndex
CREATE UNIQUE INDEX "workspaces_slug_key" ON "workspaces"("slug");

-- CreateIndex
CREATE UNIQUE INDEX "projects_workspace_id_slug_key" ON "projects"("workspace_id", "slug");

-- CreateIndex
CREATE UNIQUE INDEX "environments_project_id_slug_key" ON "environments"("project_id", "slug");

-- CreateIndex
CREATE INDEX "deployments_environment_id_branch_sequence_idx" ON "deployments"("environment_id", "branch", "sequence");

-- CreateIndex
CREATE UNIQUE INDEX "deployments_project_id_sequence_key" ON "deployments"("project_id", "sequence");

-- CreateIndex
CREATE UNIQUE INDEX "deployments_project_id_idempotency_key_key" ON "deployments"("project_id", "idempotency_key");

-- CreateIndex
CREATE UNIQUE INDEX "sentinels_environment_id_region_key" ON "sentinels"("environment_id", "region");

-- CreateIndex
CREATE UNIQUE INDEX "domains_name_key" ON "domains"("name");

-- CreateIndex
CREATE INDEX "domains_project_id_sticky_idx" ON "domains"("project_id", "sticky");

-- CreateIndex
CREATE INDEX "domains_deployment_id_idx" ON "domains"("deployment_id");

-- CreateIndex
CREATE INDEX "gateway_configs_project_id_idx" ON "gateway_configs"("project_id");

-- CreateIndex
CREATE UNIQUE INDEX "routing_operations_idempotency_key_key" ON "routing_operations"("idempotency_key");

-- CreateIndex
CREATE UNIQUE INDEX "routing_operations_project_id_routing_generation_key" ON "routing_operations"("project_id", "routing_generation");

-- CreateIndex
CREATE INDEX "deployment_events_deployment_id_id_idx" ON "deployment_events"("deployment_id", "id");

-- CreateIndex
CREATE INDEX "workflow_runs_status_lease_expires_at_idx" ON "workflow_runs"("status", "lease_expires_at");

-- CreateIndex
CREATE INDEX "workflow_runs_status_wake_at_idx" ON "workflow_runs"("status", "wake_at");

-- CreateIndex
CREATE INDEX "workflow_runs_kind_key_idx" ON "workflow_runs"("kind", "key");

-- AddForeignKey
ALTER TABLE "projects" ADD CONSTRAINT "projects_workspace_id_fkey" FOREIGN KEY ("workspace_id") REFERENCES "workspaces"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "projects" ADD CONSTRAINT "projects_live_deployment_id_fkey" FOREIGN KEY ("live_deployment_id") REFERENCES "deployments"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "environments" ADD CONSTRAINT "environments_project_id_fkey" FOREIGN KEY ("project_id") REFERENCES "projects"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "deployments" ADD CONSTRAINT "deployments_project_id_fkey" FOREIGN KEY ("project_id") REFERENCES "projects"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "deployments" ADD CONSTRAINT "deployments_environment_id_fkey" FOREIGN KEY ("environment_id") REFERENCES "environments"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "deployment_topologies" ADD CONSTRAINT "deployment_topologies_deployment_id_fkey" FOREIGN KEY ("deployment_id") REFERENCES "deployments"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "instances" ADD CONSTRAINT "instances_deployment_id_fkey" FOREIGN KEY ("deployment_id") REFERENCES "deployments"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "sentinels" ADD CONSTRAINT "sentinels_environment_id_fkey" FOREIGN KEY ("environment_id") REFERENCES "environments"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "domains" ADD CONSTRAINT "domains_project_id_fkey" FOREIGN KEY ("project_id") REFERENCES "projects"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "domains" ADD CONSTRAINT "domains_deployment_id_fkey" FOREIGN KEY ("deployment_id") REFERENCES "deployments"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "deployment_events" ADD CONSTRAINT "deployment_events_deployment_id_fkey" FOREIGN KEY ("deployment_id") REFERENCES "deployments"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "workflow_steps" ADD CONSTRAINT "workflow_steps_run_id_fkey" FOREIGN KEY ("run_id") REFERENCES "workflow_runs"("id") ON DELETE CASCADE ON UPDATE CASCADE;
