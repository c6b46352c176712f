// Post search for the test AppView, closer to Bluesky's real search service.
//
// In production, app.bsky.feed.searchPosts is answered by a separate search service; the AppView
// in @atproto/dev-env has only a stand-in (marked "@TODO" there) that looks for the WHOLE query
// string as one case-sensitive substring: `"maison lumiere"` (quotes included) or `lumiere`
// would never find "Maison Lumière". Real search takes space-separated words that must all
// appear, "quoted phrases", folds case and accents, and reads from:/author:/did: itself.
//
// Required before TestNetwork.create (start.js does it), this replaces the stand-in's
// searchPosts with that behaviour. What is still not emulated: relevance ranking (results stay
// newest first, as with sort=latest), stemming, and the lang:/since:/until:/mentions:/domain:
// filters, which are ignored, so results are a superset (callers re-check what they get).
'use strict'
const path = require('path')

const bskyDist = path.dirname(require.resolve('@atproto/bsky'))
const { sql } = require(require.resolve('kysely', { paths: [bskyDist] }))
const searchModule = require(path.join(bskyDist, 'data-plane/server/routes/search'))
const { TimeCidKeyset, paginate } = require(path.join(bskyDist, 'data-plane/server/db/pagination'))
const { parsePostSearchQuery } = require(path.join(bskyDist, 'data-plane/server/util'))

const IGNORED_FILTERS = new Set(['lang', 'since', 'until', 'mentions', 'domain', 'url', 'tag'])

function fold(text) {
  return text.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase()
}

// translate() pairs for Latin letters with diacritics (U+00C0-U+024F): PostgreSQL folds case
// with lower() but has no accent folding without the unaccent extension.
function foldTable() {
  let from = ''
  let to = ''
  for (let code = 0xc0; code <= 0x24f; code++) {
    const char = String.fromCodePoint(code)
    const base = char.normalize('NFD').replace(/\p{M}/gu, '')
    if (base.length === 1 && base !== char && /^[A-Za-z]$/.test(base)) {
      from += char
      to += base
    }
  }
  return { from, to }
}
const FOLD = foldTable()

// The words and "phrases" that must all appear, folded; filters such as lang:fr are dropped.
function terms(q) {
  const found = []
  const pattern = /"([^"]*)"|(\S+)/g
  let match
  while ((match = pattern.exec(q)) !== null) {
    const phrase = match[1]
    const word = match[2]
    if (word !== undefined) {
      const colon = word.indexOf(':')
      if (colon > 0 && IGNORED_FILTERS.has(word.slice(0, colon))) continue
    }
    const term = fold((phrase ?? word).trim())
    if (term) found.push(term)
  }
  return found
}

function likePattern(term) {
  return `%${term.replace(/[\\%_]/g, (c) => '\\' + c)}%`
}

const original = searchModule.default
searchModule.default = (db) => {
  const routes = original(db)
  return {
    ...routes,
    async searchPosts(req) {
      const { term, limit, cursor } = req
      const { q, author } = parsePostSearchQuery(term)
      const wanted = terms(q)
      const { ref } = db.db.dynamic
      let authorDid = author
      if (author && !author.startsWith('did:')) {
        const actor = await db.db
          .selectFrom('actor')
          .where('handle', '=', author.replace(/^@/, ''))
          .select('did')
          .executeTakeFirst()
        authorDid = actor?.did ?? 'did:invalid:unknown-author'
      }
      if (!wanted.length && !authorDid) return { uris: [], cursor: undefined }
      let builder = db.db.selectFrom('post').selectAll()
      const folded = sql`lower(translate(${ref('post.text')}, ${FOLD.from}, ${FOLD.to}))`
      for (const t of wanted) {
        builder = builder.where(folded, 'like', likePattern(t))
      }
      if (authorDid) builder = builder.where('post.creator', '=', authorDid)
      const keyset = new TimeCidKeyset(ref('post.sortAt'), ref('post.cid'))
      builder = paginate(builder, { limit, cursor, keyset, tryIndex: true })
      const rows = await builder.execute()
      return { uris: rows.map((row) => row.uri), cursor: keyset.packFromResult(rows) }
    },
  }
}

module.exports = { fold, terms }
