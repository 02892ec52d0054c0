// MConfig (MSG_CONFIG): the monitor's configuration for this daemon or client, option name -> value.
// A Ceph 16 monitor sends it after a subscribe to "config" (and on every change); librados waits for
// the first one before it reports itself connected.

import { Encoder } from '../../common/encoding.js';
import { Message, type RawMessage } from '../message.js';
import { MsgType, decodeStringMap, encodeStringMap, frontDecoder, setFront } from './common.js';

export class MConfig extends Message {
  static readonly TYPE = MsgType.MSG_CONFIG;
  static readonly HEAD_VERSION = 1;
  static readonly COMPAT_VERSION = 1;

  config = new Map<string, string>();

  constructor(config?: Map<string, string>) {
    super(MConfig.TYPE, MConfig.HEAD_VERSION, MConfig.COMPAT_VERSION);
    if (config) this.config = config;
  }

  typeName(): string {
    return 'config';
  }

  encodePayload(_features: bigint): void {
    const e = new Encoder(64);
    encodeStringMap(e, this.config);
    setFront(this, e);
  }

  static decode(raw: RawMessage, _features: bigint): MConfig {
    const d = frontDecoder(raw, 'config');
    return new MConfig(decodeStringMap(d, 'config'));
  }
}
