import { type DeploymentView, rolloutOf } from "./rollout";

function deployment(generation: number, status: DeploymentView["status"]): DeploymentView {
  return { metadata: { name: "dep-1", generation }, spec: { replicas: 2 }, status };
}

describe("rolloutOf", () => {
  it.each([
    ["a fresh Deployment the controller has not seen", deployment(1, undefined), 2, "progressing"],
    [
      "a new generation not yet observed (the old pods are all ready)",
      deployment(2, { observedGeneration: 1, replicas: 2, updatedReplicas: 2, availableReplicas: 2 }),
      2,
      "progressing",
    ],
    [
      "the new template's pods not yet created",
      deployment(2, { observedGeneration: 2, replicas: 2, updatedReplicas: 0, availableReplicas: 2 }),
      2,
      "progressing",
    ],
    [
      "a surge pod of the new template, the old ones still ready",
      deployment(2, { observedGeneration: 2, replicas: 3, updatedReplicas: 1, availableReplicas: 2 }),
      1,
      "progressing",
    ],
    [
      "all updated but an old pod still counted",
      deployment(2, { observedGeneration: 2, replicas: 3, updatedReplicas: 2, availableReplicas: 3 }),
      2,
      "progressing",
    ],
    [
      "all updated, one not yet available",
      deployment(2, { observedGeneration: 2, replicas: 2, updatedReplicas: 2, availableReplicas: 1 }),
      2,
      "progressing",
    ],
    [
      "scaled to 0, the status still counting the old pod",
      {
        metadata: { name: "dep-1", generation: 2 },
        spec: { replicas: 0 },
        status: { observedGeneration: 2, replicas: 1, updatedReplicas: 1, availableReplicas: 1 },
      },
      1,
      "progressing",
    ],
    [
      "complete",
      deployment(2, { observedGeneration: 2, replicas: 2, updatedReplicas: 2, readyReplicas: 2, availableReplicas: 2 }),
      2,
      "complete",
    ],
    [
      "complete for fewer than all replicas",
      deployment(1, { observedGeneration: 1, replicas: 2, updatedReplicas: 2, availableReplicas: 1 }),
      1,
      "complete",
    ],
    [
      "pods refused by admission",
      deployment(1, {
        observedGeneration: 1,
        conditions: [
          {
            type: "ReplicaFailure",
            status: "True",
            reason: "FailedCreate",
            message: 'pods "dep-1-x" is forbidden: violates PodSecurity "restricted:latest"',
          },
        ],
      }),
      2,
      "refused",
    ],
    [
      "a ReplicaFailure condition that cleared",
      deployment(1, {
        observedGeneration: 1,
        replicas: 2,
        updatedReplicas: 2,
        availableReplicas: 2,
        conditions: [{ type: "ReplicaFailure", status: "False" }],
      }),
      2,
      "complete",
    ],
  ] as const)("%s → %s", (_what, d, minReady, state) => {
    expect(rolloutOf(d, minReady).state).toBe(state);
  });

  it("names the refusing policy and says what a progressing rollout waits for", () => {
    const refused = rolloutOf(
      deployment(1, {
        conditions: [
          {
            type: "ReplicaFailure",
            status: "True",
            reason: "FailedCreate",
            message: "exceeded quota: tight, requested: cpu=250m",
          },
        ],
      }),
      1,
    );
    expect(refused).toEqual({
      state: "refused",
      reason: "FailedCreate",
      message: "exceeded quota: tight, requested: cpu=250m",
    });
    expect(
      rolloutOf(deployment(2, { observedGeneration: 2, replicas: 3, updatedReplicas: 2, availableReplicas: 3 }), 2),
    ).toEqual({
      state: "progressing",
      waitingFor: "1 replicas of an older template still running",
    });
  });
});
