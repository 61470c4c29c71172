/**
 * Coordination of a cluster's members: who leads, at which epoch, and which
 * members hold everything released (the in-sync set). The decisions are pure
 * (`policy.ts`, driven by values and a clock); the coordination service sits
 * behind the small {@linkcode Coordinator} interface, with a static
 * implementation (the configured pair) and an etcd one.
 *
 * @module
 */

export * from "./policy.ts";
export * from "./first_election.ts";
export * from "./coordinator.ts";
export {
  DEFAULT_ETCD_CALL_TIMEOUT_MS,
  EtcdCoordinator,
  type EtcdCoordinatorOptions,
} from "./etcd.ts";
