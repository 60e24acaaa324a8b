import type { MockApiRecorder } from '../../connectors/types.ts';

/**
 * What delivery asks of the rest of the hub, declared here where it is used and wired once in
 * app.ts (Deps.delivery). The services that hold, replay and test deliveries import delivery, so
 * delivery imports none of them (.dependency-cruiser.cjs, delivery-uses-ports).
 */
export type DeliveryPorts = {
  /** The workspace's signing secret, made with its other project secrets the first time one is needed. */
  signingSecret(workspaceId: string): Promise<string>;
  /**
   * Where a MOCK_API destination records what it receives. One per process, shared by the workers'
   * deliveries and the API's test deliveries: it counts recordings to trim a busy mock.
   */
  mockApi: MockApiRecorder;
  /** Deletes a destination whose receiver unsubscribed (410 Gone), cancelling its waiting events; false when it was already gone. */
  removeDestination(destinationId: string): Promise<boolean>;
};
