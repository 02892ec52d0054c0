// The monitor client's public entry: MonClient (hunting, subscriptions, commands) for clients and daemons.
export { MonClient, errnoText, HUNT_INTERVAL_MS, HUNT_PARALLEL, SUBSCRIBE_ONETIME, type MonClientOptions, type MonCommandResult, type OsdMapHandler, type MonMapHandler, type ConfigHandler } from './monclient.js';
