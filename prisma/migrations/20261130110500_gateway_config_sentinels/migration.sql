-- Gateway configs name stable targets: per region, the environment's sentinel Service (cluster
-- DNS name and port), and no longer the pod addresses captured at deploy time.
CREATE FUNCTION pg_temp.sentinel_targets(environment text) RETURNS jsonb LANGUAGE sql STABLE AS $$
  SELECT COALESCE(
    jsonb_agg(
      jsonb_build_object(
        'region', s.region,
        'serviceHost', s.name || '.' || s.namespace || '.svc.cluster.local',
        'servicePort', 80,
        'externalAddress', ''
      )
      ORDER BY s.region
    ),
    '[]'::jsonb
  )
  FROM sentinels s
  WHERE s.environment_id = environment
$$;

UPDATE deployments
SET gateway_config = (gateway_config - 'instances') || jsonb_build_object('sentinels', pg_temp.sentinel_targets(environment_id))
WHERE gateway_config IS NOT NULL;

UPDATE gateway_configs g
SET config = (g.config - 'instances') || jsonb_build_object('sentinels', pg_temp.sentinel_targets(d.environment_id))
FROM deployments d
WHERE d.id = g.deployment_id;
