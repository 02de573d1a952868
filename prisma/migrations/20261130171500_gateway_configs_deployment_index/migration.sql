-- A route snapshot reads gateway_configs grouped by deployment (and config) through a cursor:
-- in deployment order, groups stream from the first FETCH instead of after sorting the table.
CREATE INDEX "gateway_configs_deployment_id_idx" ON "gateway_configs"("deployment_id");
