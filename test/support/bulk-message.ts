// A test message carrying a number in its front segment and any data Buffers in its data segment:
// the messenger tests send it to watch ordering, coalescing and buffer lifetimes. Each test file asks
// for its own type number so two files can never decode each other's messages.

import { Message, isRegisteredMessage, registerMessage, type RawMessage } from '../../msg/message.js';

export class BulkMsg extends Message {
  constructor(type: number, public n: number, public bulk: Buffer[] = []) {
    super(type, 1, 1);
  }
  encodePayload(): void {
    const f = Buffer.alloc(4);
    f.writeUInt32LE(this.n, 0);
    this.front = [f];
    this.data = this.bulk;
  }
  typeName(): string {
    return `bulk-${this.type.toString(16)}`;
  }
}

/** Register message type `type` as a BulkMsg (once) and return a constructor for it. */
export function bulkMessageType(type: number): (n: number, bulk?: Buffer[]) => BulkMsg {
  if (!isRegisteredMessage(type)) {
    registerMessage(type, `bulk-${type.toString(16)}`, (raw: RawMessage) => new BulkMsg(type, Buffer.concat(raw.front).readUInt32LE(0), raw.data));
  }
  return (n, bulk) => new BulkMsg(type, n, bulk);
}
