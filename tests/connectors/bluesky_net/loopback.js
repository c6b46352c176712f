// Required first by start.js (or preloaded with `node -r ./loopback.js`). The PLC, PDS and
// AppView servers call listen(port) without a host, which binds every interface. Tests must
// never expose them beyond this machine, so a listen() given no host binds 127.0.0.1 instead.
'use strict'
const net = require('net')

const LOOPBACK = '127.0.0.1'
const listen = net.Server.prototype.listen

if (!listen.parvisLoopback) net.Server.prototype.listen = loopbackListen
loopbackListen.parvisLoopback = true

function loopbackListen(...args) {
  const first = args[0]
  if (first !== null && typeof first === 'object' && !Array.isArray(first)) {
    // listen({port, host?, ...}[, callback]); a Unix socket path or handle is left alone.
    if (first.path === undefined && first.handle === undefined && first._handle === undefined &&
        first.fd === undefined && first.host === undefined) {
      args[0] = { ...first, host: LOOPBACK }
    }
  } else if (typeof first === 'number' || (typeof first === 'string' && /^\d+$/.test(first))) {
    // listen(port[, host][, backlog][, callback]): no host when the next argument is absent,
    // a callback, or a backlog number.
    const second = args[1]
    if (second === undefined || typeof second === 'function' || typeof second === 'number') {
      args.splice(1, 0, LOOPBACK)
    }
  } else if (first === undefined || typeof first === 'function') {
    // listen() or listen(callback): a random port on every interface otherwise.
    args.splice(0, 0, 0, LOOPBACK)
  }
  return listen.apply(this, args)
}
