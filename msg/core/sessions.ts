// The accepting side's rules for which session an incoming socket belongs to (Ceph's ProtocolV2
// handle_client_ident / handle_existing_connection / handle_reconnect), as pure verdicts over a view of
// the existing connection to that peer. The messenger carries out the verdict (creates, resets or
// takes over a connection); the protocol test drives the same rules.

import type { ClientIdent, Reconnect } from './frames.js';
import type { Session } from './protocol.js';

/** What the messenger knows about its existing connection to the peer that just identified itself. */
export interface ExistingView {
  session: Session;
  /** The existing connection's policy. */
  lossy: boolean;
  server: boolean;
  resetcheck: boolean;
  /** Its socket is in the READY state. */
  ready: boolean;
  /** It is dialling the peer right now (our own connect attempt, handshake not finished). */
  connecting: boolean;
}

export type IdentVerdict =
  | 'new' // no session with this peer: open one
  | 'replace-lossy' // a lossy session exists: drop it (handleReset) and open a new one
  | 'peer-restarted' // a different client cookie: the peer restarted; reset ours (if resetcheck) and take over
  | 'take-over' // same peer incarnation, or our session is idle: this socket replaces the old one
  | 'race-won' // both sides dialled; the incoming socket wins
  | 'race-lost' // both sides dialled; answer WAIT, our own dial goes on
  | 'stale'; // a late, older attempt of a peer we already talk to: stop it

/**
 * CLIENT_IDENT from a peer. `peerIsLower`: the peer's msgr2 address sorts before ours (in a connection
 * race the lower address's incoming connection wins).
 */
export function judgeClientIdent(existing: ExistingView | undefined, ci: ClientIdent, incomingLossy: boolean, peerIsLower: boolean): IdentVerdict {
  if (!existing) return 'new';
  const s = existing.session;
  if (existing.lossy || incomingLossy) return 'replace-lossy';
  // A working session whose peer already identified with a newer global_seq: this is an older attempt
  // arriving late, e.g. the losing dial of a connection race (its cookie differs, but the peer did not
  // restart). A restarted peer is seen once its old socket has failed, when the session is not READY.
  if (existing.ready && s.peerGlobalSeq > ci.globalSeq) return 'stale';
  if (s.serverCookie !== 0n && s.clientCookie !== 0n && s.clientCookie !== ci.cookie) return 'peer-restarted';
  if (s.clientCookie === ci.cookie || !existing.connecting) return 'take-over';
  return peerIsLower || existing.server ? 'race-won' : 'race-lost';
}

export type ReconnectVerdict =
  | { action: 'reconnect' }
  | { action: 'reset'; full: boolean }
  | { action: 'retry'; connectSeq: number }
  | { action: 'retryGlobal'; globalSeq: number }
  | { action: 'wait' };

/** SESSION_RECONNECT from a peer. `peerIsHigher`: the peer's msgr2 address sorts after ours. */
export function judgeReconnect(existing: ExistingView | undefined, r: Reconnect, peerIsHigher: boolean): ReconnectVerdict {
  if (!existing) return { action: 'reset', full: true };
  const s = existing.session;
  // A different client cookie: we reset since (or never had this session).
  if (s.clientCookie !== r.clientCookie) return { action: 'reset', full: existing.resetcheck };
  // We dialled, the peer accepted, and we never saw its SERVER_IDENT: start the session over.
  if (s.serverCookie === 0n) return { action: 'reset', full: false };
  if (s.peerGlobalSeq > r.globalSeq) return { action: 'retryGlobal', globalSeq: s.peerGlobalSeq };
  if (s.connectSeq > r.connectSeq) return { action: 'retry', connectSeq: s.connectSeq };
  // Both sides reconnecting at once: the higher address's attempt waits.
  if (s.connectSeq === r.connectSeq && existing.connecting && peerIsHigher && !existing.server) return { action: 'wait' };
  return { action: 'reconnect' };
}
