// The messenger's public entry: the message envelope and registry, the typed message classes (importing
// this module registers them all), the messenger API and its msgr2 implementation over TCP.
export * from './message.js';
export * from './types.js';
export * from './messages/index.js';
export { createMessenger, type MessengerExtras } from './messenger.js';
export type { Transport, TransportSocket, TransportListener, SocketHandlers } from './transport.js';
export { TcpTransport } from './tcp.js';
export { AuthNoneClient, AuthNoneServer, type AuthClient, type AuthServer } from './core/protocol.js';
