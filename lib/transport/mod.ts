/**
 * Transport: listening and connecting over TCP and TLS, and the initiator's
 * connection strategies.
 *
 * The strategies ({@linkcode createStrategy}) and the {@linkcode Connector}
 * that drives them are pure: events in with the time as a value, actions out.
 * The I/O shell (the engine's initiator) performs the actions with
 * {@linkcode connect} and arms one timer for `Connector.wakeAtMs`.
 *
 * ```ts
 * import { Connector, createStrategy, parseHostPort } from "./mod.ts";
 *
 * const addresses = ["127.0.0.1:9876", "127.0.0.1:9877"].map(parseHostPort);
 * const connector = new Connector({
 *   addresses,
 *   strategy: createStrategy("priority", { addressCount: addresses.length }),
 *   connectTimeoutMs: 2000,
 *   logonTimeoutMs: 5000,
 * });
 * const actions = connector.handle({ type: "start" }, 0);
 * // actions: a "waiting" and a "connecting" event, then
 * // { type: "connect", attempt: 1, addressIndex: 0, address: { host: "127.0.0.1", port: 9876 }, timeoutMs: 2000 }
 * console.log(actions.at(-1), connector.wakeAtMs); // wake at 2000 to time the connect out
 * ```
 *
 * @module
 */

export {
  AddressFilter,
  CidrSyntaxError,
  MAX_ALLOWED_ADDRESSES,
  parseIpAddress,
} from "./address_filter.ts";
export {
  formatHostPort,
  type HostPort,
  HostPortSyntaxError,
  MAX_HOST_LENGTH,
  parseHostPort,
} from "./address.ts";
export {
  alwaysStartOnPrimary,
  type ConnectionStrategy,
  createStrategy,
  DEFAULT_ATTEMPTS_PER_ADDRESS,
  DEFAULT_BACKOFF_MS,
  DEFAULT_RECONNECT_INTERVAL_MS,
  DEFAULT_START_OVER_INTERVAL_MS,
  FAILURE_KINDS,
  type FailureKind,
  fatalFailure,
  MAX_ADDRESSES,
  MAX_ATTEMPTS_PER_ADDRESS,
  MAX_BACKOFF_STEPS,
  MAX_INTERVAL_MS,
  type NextAttempt,
  priority,
  type ProbePlan,
  resolveStrategyOptions,
  roundRobin,
  STRATEGY_KINDS,
  type StrategyKind,
  type StrategyOptions,
} from "./strategy.ts";
export {
  type ConnectFailureKind,
  Connector,
  type ConnectorAction,
  type ConnectorEvent,
  type ConnectorInput,
  type ConnectorOptions,
  type ConnectorState,
  type ConnectorTransition,
  DEFAULT_CONNECT_TIMEOUT_MS,
  DEFAULT_LOGON_TIMEOUT_MS,
  MAX_TIMEOUT_MS,
  MAX_TRANSITION_HISTORY,
} from "./connector.ts";
export {
  connect,
  ConnectError,
  type ConnectErrorKind,
  type ConnectOptions,
  DEFAULT_HANDSHAKE_TIMEOUT_MS,
  DEFAULT_MAX_PENDING_CONNECTIONS,
  listen,
  type ListenOptions,
  MAX_NET_TIMEOUT_MS,
  MAX_PEM_BYTES,
  type NetConn,
  type PeerCertificate,
  peerCertificate,
  type PemSource,
  probe,
  type RejectedConnection,
  type Server,
  ServerClosedError,
  type TlsClientOptions,
  TlsMaterialError,
  type TlsServerOptions,
} from "./net.ts";
