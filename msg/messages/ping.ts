// MPing (CEPH_MSG_PING): an empty message, used to check a connection end to end.

import { Message, type RawMessage } from '../message.js';
import { MsgType } from './common.js';

export class MPing extends Message {
  static readonly TYPE = MsgType.CEPH_MSG_PING;
  static readonly HEAD_VERSION = 1;
  static readonly COMPAT_VERSION = 0;

  constructor() {
    super(MPing.TYPE, MPing.HEAD_VERSION, MPing.COMPAT_VERSION);
  }

  typeName(): string {
    return 'ping';
  }

  encodePayload(_features: bigint): void {
    // no payload
  }

  static decode(_raw: RawMessage, _features: bigint): MPing {
    return new MPing();
  }
}
