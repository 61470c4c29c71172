/**
 * Tandem — a highly available FIX engine and gateway for Deno, as a library.
 *
 * The headline API is exported here by name; every part is also available
 * whole as a namespace (`fix`, `dictionary`, `journal`, `session`, `engine`,
 * `replication`, `transport`, `config`, `node`).
 *
 * - Codec: {@linkcode Framer}, {@linkcode decodeMessage}, {@linkcode FixMessage},
 *   {@linkcode MessageEncoder}.
 * - Dictionaries: {@linkcode builtinDictionary}, {@linkcode loadDictionary},
 *   {@linkcode validateMessage}.
 * - The FIX log: {@linkcode Journal}.
 * - The session protocol as a pure state machine: {@linkcode Session}.
 * - The engine: {@linkcode Acceptor}, {@linkcode Initiator}, an
 *   {@linkcode Application} with callbacks for logon, logout, messages in and
 *   out and admin messages, and the built-in {@linkcode echoApplication} and
 *   {@linkcode executorApplication}.
 * - High availability: {@linkcode ReplicationNode}, custom
 *   {@linkcode AckStrategy}s, custom {@linkcode ConnectionStrategy}s.
 * - A whole node from a YAML configuration: {@linkcode loadConfig},
 *   {@linkcode TandemNode}; your own `main.ts` with your applications in it:
 *   {@linkcode runNode}.
 *
 * @example An acceptor that answers orders, and an initiator that sends one
 * ```ts
 * import { Acceptor, executorApplication, Initiator } from "./mod.ts";
 *
 * await using acceptor = new Acceptor({
 *   port: 0,
 *   sessions: [{ beginString: "FIX.4.4", senderCompId: "VENUE", targetCompId: "CLIENT" }],
 *   application: executorApplication(),
 *   logger: () => {},
 * }).listen();
 *
 * const filled = Promise.withResolvers<string>();
 * await using initiator = new Initiator({
 *   session: {
 *     beginString: "FIX.4.4",
 *     senderCompId: "CLIENT",
 *     targetCompId: "VENUE",
 *     heartbeatIntervalS: 30,
 *   },
 *   addresses: [{ hostname: "127.0.0.1", port: acceptor.port }],
 *   logger: () => {},
 *   application: {
 *     onLogon(session) {
 *       session.send("D", [[11, "ORD-1"], [21, "1"], [55, "IBM"], [54, "1"],
 *         [60, "20260101-00:00:00"], [38, 100], [40, "1"]]);
 *     },
 *     onMessage(message) {
 *       if (message.msgType === "8" && message.get(39) === "2") filled.resolve(message.get(11)!);
 *     },
 *   },
 * }).start();
 * console.log(await filled.promise); // ORD-1
 * ```
 *
 * @module
 */

export * as fix from "./lib/fix/mod.ts";
export * as dictionary from "./lib/fix/dictionary/mod.ts";
export * as journal from "./lib/journal/mod.ts";
export * as session from "./lib/session/mod.ts";
export * as engine from "./lib/engine/mod.ts";
export * as replication from "./lib/replication/mod.ts";
export * as transport from "./lib/transport/mod.ts";
export * as config from "./lib/config/mod.ts";

export {
  decodeMessage,
  FixMessage,
  type Frame,
  Framer,
  type FramerOptions,
  MessageEncoder,
} from "./lib/fix/mod.ts";
export {
  builtinDictionary,
  type Dictionary,
  loadDictionary,
  validateMessage,
} from "./lib/fix/dictionary/mod.ts";
export { Journal, type JournalOptions, RecordKind } from "./lib/journal/mod.ts";
export { type Field, Session, type SessionAction, type SessionConfig } from "./lib/session/mod.ts";
export {
  Acceptor,
  type AcceptorOptions,
  type Application,
  echoApplication,
  executorApplication,
  hashLogonPassword,
  Initiator,
  type InitiatorOptions,
  JournalSessionStore,
  MessageContext,
  type SessionHandle,
} from "./lib/engine/mod.ts";
export { type AckStrategy, ReplicationNode } from "./lib/replication/mod.ts";
export { type ConnectionStrategy, createStrategy } from "./lib/transport/mod.ts";
export { loadConfig, readConfigFile, type TandemConfig } from "./lib/config/mod.ts";
export { TandemNode, type TandemNodeOptions } from "./lib/node/node.ts";
export { runNode, type RunNodeOptions } from "./lib/cli/run_main.ts";
