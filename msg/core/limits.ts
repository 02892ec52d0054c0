// The messenger's limits in one place (units last). Relations between them are asserted at load, so a
// bad edit fails the first import instead of a connection at run time.

import { assert } from '../../common/errors.js';

/** Largest segment a peer may announce in a preamble (Ceph's messages stay far below; 4 MiB data + slack). */
export const SEGMENT_BYTES_MAX = 64 * 1024 * 1024;
/** Largest whole frame on the wire (4 segments of at most SEGMENT_BYTES_MAX would be too much to buffer). */
export const FRAME_BYTES_MAX = 96 * 1024 * 1024;
/** Largest control frame payload (HELLO, AUTH_*, IDENT, ...): these are small structs. */
export const CONTROL_PAYLOAD_BYTES_MAX = 64 * 1024;
/** The banner's payload length field: Ceph sends 16 (two u64); anything past this is refused. */
export const BANNER_PAYLOAD_BYTES_MAX = 4096;

/** Per-messenger receive throttle defaults (Ceph's ms_dispatch_throttle_bytes is 100 MiB). */
export const RECEIVE_BYTES_MAX = 100 * 1024 * 1024;
export const RECEIVE_MESSAGES_MAX = 4096;
/** Per-connection queued-for-send bytes beyond which drained() waits. */
export const SEND_QUEUE_BYTES_MAX = 64 * 1024 * 1024;

/**
 * Messages received before an ACK frame is forced within one input batch. Below this, acks ride on the
 * ack_seq of the next message sent, or an ACK frame goes at the next tick (TICK_INTERVAL_MS).
 */
export const ACK_EVERY_MESSAGES = 64;
/**
 * Received payload bytes after which an ACK frame goes at once: the peer keeps what it sent until acked,
 * so a stream of large messages with no reply to carry the ack must not pile up a tick's worth there.
 */
export const ACK_EVERY_BYTES = 1024 * 1024;

/** Outgoing pieces up to this size are copied together into one buffer of a write batch; larger ones go as they are. */
export const WRITE_COALESCE_PIECE_BYTES = 1024;
/** The area such pieces are copied into (a fresh one when full). */
export const WRITE_COALESCE_AREA_BYTES = 64 * 1024;

/** Keepalive interval and the input silence after which a connection is faulted (ms_connection_idle_timeout 900 s; ours shorter). */
export const KEEPALIVE_INTERVAL_MS = 5_000;
export const CONNECTION_TIMEOUT_MS = 60_000;
/** Reconnect backoff (ms_initial_backoff 0.2 s, ms_max_backoff 15 s). */
export const BACKOFF_INITIAL_MS = 200;
export const BACKOFF_MAX_MS = 15_000;
/** A handshake that is not READY after this long is faulted. */
export const HANDSHAKE_TIMEOUT_MS = 30_000;

assert(SEGMENT_BYTES_MAX <= FRAME_BYTES_MAX, 'a segment fits in a frame');
assert(CONTROL_PAYLOAD_BYTES_MAX <= SEGMENT_BYTES_MAX, 'control payloads are segments');
assert(SEND_QUEUE_BYTES_MAX >= SEGMENT_BYTES_MAX / 2, 'one large message fits the send queue');
assert(RECEIVE_BYTES_MAX >= SEGMENT_BYTES_MAX, 'one largest message can always be received');
assert(KEEPALIVE_INTERVAL_MS * 2 <= CONNECTION_TIMEOUT_MS, 'keepalives arrive well before the timeout');
assert(BACKOFF_INITIAL_MS <= BACKOFF_MAX_MS, 'backoff grows');
assert(ACK_EVERY_MESSAGES > 0 && ACK_EVERY_MESSAGES <= RECEIVE_MESSAGES_MAX, 'acks come before the receive throttle fills');
assert(ACK_EVERY_BYTES > 0 && ACK_EVERY_BYTES <= RECEIVE_BYTES_MAX, 'acks come before the receive byte throttle fills');
assert(WRITE_COALESCE_PIECE_BYTES * 16 <= WRITE_COALESCE_AREA_BYTES, 'many small pieces share one area');
