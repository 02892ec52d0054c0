// librados' object listing: the page size it asks for, and the PGNLS layout it uses from
// msg/messages/pgnls.ts (re-exported under the names librados and its tests have used).

export {
  ALL_NSPACES, LIST_REPLY_ENTRIES_MAX, decodePgNlsResponse as decodePgNlsReply, listStartCursor, opPgNls, type ListEntry,
} from '../msg/messages/pgnls.js';

/** Entries a listing asks a PG for per round trip (Ceph's default is 1024). */
export const LIST_PAGE_ENTRIES = 1024;
