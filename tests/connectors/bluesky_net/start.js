// A real Bluesky network for Parvis's integration tests: PLC directory, PDS, AppView (and the
// ozone moderation service the AppView expects), all on 127.0.0.1.
//
//   DB_POSTGRES_URL=postgres://... DB_POSTGRES_SCHEMA=bsky_net_1 REDIS_HOST=127.0.0.1:6379 \
//   TMPDIR=/some/folder/the/caller/removes node start.js
//
// When every service answers, prints ONE line of JSON on stdout (the URLs and service DIDs)
// and then nothing more on stdout; logs go to stderr. Stops cleanly on SIGTERM or SIGINT, and
// when stdin closes (the test process that started it is gone).
'use strict'
require('./loopback') // first: every server created after this binds 127.0.0.1 only
const { TestNetwork } = require('@atproto/dev-env')
require('./search') // a post search like Bluesky's, instead of dev-env's stand-in

function required(name) {
  const value = process.env[name]
  if (!value) {
    console.error(`start.js: ${name} is not set`)
    process.exit(2)
  }
  return value
}

// dev-env prefixes the schema (appview_<schema>, ozone_<schema>); the AppView accepts only
// letters and underscores there.
function schemaName() {
  const schema = required('DB_POSTGRES_SCHEMA')
  if (!/^[a-z_]+$/.test(schema)) {
    console.error('start.js: DB_POSTGRES_SCHEMA must be lower-case letters and underscores')
    process.exit(2)
  }
  return schema
}

// The services advertise http://localhost:PORT; the shim binds them to 127.0.0.1 only, so the
// URLs handed to the tests name that address and never depend on how localhost resolves.
function loopback(url) {
  const parsed = new URL(url)
  parsed.hostname = '127.0.0.1'
  return parsed.toString().replace(/\/$/, '')
}

async function main() {
  const network = await TestNetwork.create({
    dbPostgresUrl: required('DB_POSTGRES_URL'),
    dbPostgresSchema: schemaName(),
  })
  required('REDIS_HOST') // read by TestNetwork.create itself; checked here for a clear message

  let closing = null
  const stop = (why) => {
    if (closing) return closing
    console.error(`start.js: stopping (${why})`)
    closing = network
      .close()
      .catch((err) => console.error('start.js: error while stopping', err))
      .finally(() => process.exit(0))
    // A service that never finishes closing must not keep the tests waiting.
    setTimeout(() => process.exit(1), 10000).unref()
    return closing
  }
  process.on('SIGTERM', () => stop('SIGTERM'))
  process.on('SIGINT', () => stop('SIGINT'))
  process.stdin.on('end', () => stop('stdin closed'))
  process.stdin.on('error', () => stop('stdin error'))
  process.stdin.resume()

  const pds = loopback(network.pds.url)
  const info = {
    pds,
    appview: loopback(network.bsky.url),
    plc: loopback(network.plc.url),
    ozone: loopback(network.ozone.url),
    // The PDS serves com.atproto.sync.subscribeRepos itself: no relay in this network.
    firehose: pds.replace(/^http/, 'ws'),
    pds_did: network.pds.ctx.cfg.service.did,
    // For atproto-proxy headers: "<did>#bsky_appview", "<did>#atproto_labeler".
    appview_did: network.bsky.ctx.cfg.serverDid,
    ozone_did: network.ozone.ctx.cfg.service.did,
    handle_domain: '.test',
    pid: process.pid,
  }
  process.stdout.write(JSON.stringify(info) + '\n')
}

main().catch((err) => {
  console.error('start.js: the network did not start:', err)
  process.exit(1)
})
