// The built addon (native/crc32c/crc32c.c); throws when it was not built (no compiler, other platform).
module.exports = require('./build/Release/crc32c.node');
