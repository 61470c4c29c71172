/**
 * The operator's logout and logon of one session (admin `POST
 * /sessions/{id}/logout|logon`): an acceptor session logs out and waits for
 * the counterparty; an initiator session logs out and stays down until an
 * operator logs it on again.
 *
 * @module
 */

import { AdminError } from "../admin/server.ts";
import type { Initiator, SessionHost } from "../engine/mod.ts";

/**
 * Logs session `host` out (`initiator` when it is an initiator's).
 *
 * @throws {AdminError} 409 when it is not logged on (or already held down)
 */
export function logoutSession(
  host: SessionHost,
  initiator: Initiator | undefined,
  text: string | undefined,
): unknown {
  if (initiator !== undefined) {
    // An initiator stays down after an operator's logout, until POST /sessions/{id}/logon.
    if (initiator.isHeld) {
      throw new AdminError(409, `Cannot log out ${host.key}: already logged out`);
    }
    initiator.logout(text ?? "Logout requested by operator");
    return { session: host.key, loggingOut: true, staysDown: true };
  }
  if (!host.isLoggedOn) throw new AdminError(409, `Cannot log out ${host.key}: not logged on`);
  host.logout(text ?? "Logout requested by operator");
  return { session: host.key, loggingOut: true };
}

/**
 * Lets an initiator session logged out by an operator connect again.
 *
 * @throws {AdminError} 409 for an acceptor session or one not held down
 */
export function logonSession(host: SessionHost, initiator: Initiator | undefined): unknown {
  if (initiator === undefined) {
    throw new AdminError(
      409,
      `Cannot log on ${host.key}: an acceptor waits for the counterparty`,
    );
  }
  if (!initiator.isHeld) {
    throw new AdminError(409, `Cannot log on ${host.key}: it is not logged out`);
  }
  initiator.logon();
  return { session: host.key, connecting: true };
}
