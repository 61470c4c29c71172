/**
 * The engine: the I/O around the pure session layer.
 *
 * - {@linkcode Acceptor}: one port, many sessions found by CompIDs and
 *   BeginString; connection and buffer limits; the HA hooks `canAcceptLogon`
 *   and `awaitRelease`.
 * - {@linkcode Initiator}: connects (TCP or TLS) to an ordered list of
 *   addresses, logs on, reconnects; the next address comes from a
 *   `ConnectionStrategy` driven by the `Connector` of lib/transport.
 * - {@linkcode SessionHost} / {@linkcode ConnectionRunner}: a session wired to
 *   its store, application and connection; every outbound message is stored
 *   before any byte reaches the socket, and socket writes are coalesced to one
 *   per event-loop turn.
 * - {@linkcode SessionStore} with {@linkcode MemorySessionStore} and
 *   {@linkcode JournalSessionStore}.
 * - The application API ({@linkcode Application}, {@linkcode SessionHandle})
 *   and two built-in applications: {@linkcode echoApplication} (the QuickFIX
 *   acceptance-test behaviour) and {@linkcode executorApplication}.
 *
 * @example
 * ```ts
 * import { Acceptor, echoApplication } from "./mod.ts";
 *
 * await using acceptor = new Acceptor({
 *   port: 0,
 *   sessions: [{ beginString: "FIX.4.4", senderCompId: "ISLD", targetCompId: "TW" }],
 *   application: echoApplication(),
 * }).listen();
 * console.log(`listening on ${acceptor.port}`);
 * ```
 *
 * @module
 */

export {
  Acceptor,
  type AcceptorOptions,
  type AcceptorSessionConfig,
  DEFAULT_MAX_CONNECTIONS,
} from "./acceptor.ts";
export {
  DEFAULT_MAX_PENDING_CONNECTIONS,
  DEFAULT_MAX_PENDING_PER_ADDRESS,
  DEFAULT_REFUSAL_LOG_INTERVAL_MS,
  REFUSAL_REASONS,
  type RefusalReason,
} from "./admission.ts";
export {
  type Application,
  consoleLogger,
  type Logger,
  MessageContext,
  possiblyExecutedElsewhere,
  type SessionHandle,
  silentLogger,
} from "./application.ts";
export { echoApplication, echoFields } from "./echo_application.ts";
export {
  hashLogonPassword,
  INVALID_CREDENTIALS_TEXT,
  logonChecker,
  type LogonPolicy,
  PasswordHashError,
} from "./logon_policy.ts";
export {
  type AcceptorSessionTemplate,
  DEFAULT_MAX_TEMPLATE_SESSIONS,
  globMatch,
  isTemplateCompId,
} from "./session_template.ts";
export { executionReports, executorApplication } from "./executor_application.ts";
export {
  type Address,
  classifyEnd,
  DEFAULT_INITIATOR_CLOSE_TIMEOUT_MS,
  DEFAULT_RECONNECT_DELAY_MS,
  Initiator,
  type InitiatorOptions,
} from "./initiator.ts";
export { JournalSessionStore } from "./journal_store.ts";
export {
  type BindResult,
  ConnectionRunner,
  type ConnectionRunnerOptions,
  DEFAULT_MAX_INBOUND_MESSAGE_BYTES,
  DEFAULT_MAX_OUTBOUND_BUFFERED_BYTES,
  DEFAULT_UNBOUND_LOGON_TIMEOUT_MS,
} from "./runner.ts";
export {
  type AwaitRelease,
  type HostConnection,
  type HostSessionConfig,
  SessionHost,
  type SessionHostOptions,
} from "./session_host.ts";
export {
  DEFAULT_MEMORY_STORE_MAX_MESSAGES,
  MemorySessionStore,
  type MemorySessionStoreOptions,
  type SequenceNumbers,
  type SessionStore,
} from "./store.ts";
export { dictionaryValidator, type DictionaryValidatorOptions } from "./validation.ts";
