// Display helpers: times in the city's zone (Asia/Shanghai, +08:00), as the API sends them.

/** '2026-12-02T09:00:00+08:00' -> '12-02 09:00' (the API already answers in +08:00). */
function shortTime(iso) {
  if (!iso) return ''
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})/.exec(String(iso))
  return m ? `${m[2]}-${m[3]} ${m[4]}:${m[5]}` : String(iso)
}

/** The calendar date in Shanghai, `days` from today, as YYYY-MM-DD. */
function shanghaiDate(days = 0) {
  const d = new Date(Date.now() + 8 * 3600 * 1000 + days * 86400 * 1000)
  return d.toISOString().slice(0, 10)
}

/** @param {number | null | undefined} meters */
function distance(meters) {
  if (meters === null || meters === undefined) return ''
  return meters < 1000 ? `${Math.round(meters)} m` : `${(meters / 1000).toFixed(1)} km`
}

/** @param {number | null | undefined} fen */
function yuan(fen) {
  return fen === null || fen === undefined ? '' : `¥${(fen / 100).toFixed(fen % 100 ? 2 : 0)}`
}

module.exports = { shortTime, shanghaiDate, distance, yuan }
