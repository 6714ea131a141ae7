// Which page opens an item of the timeline or a link in an inbox message.

/** Where an inbox link or an item opens in the mini-program. */
function pageFor(kind, id) {
  if (kind === 'booking') return `/pages/bookings/detail?id=${id}`
  if (kind === 'case') return `/pages/gov/case?id=${id}`
  if (kind === 'report') return `/pages/community/report-detail?id=${id}`
  return ''
}

/** Inbox links are mini-program pages ("/pages/gov/case?id=…") or API paths ("/api/v1/bookings/<id>"). */
function pageForLink(link) {
  if (String(link || '').startsWith('/pages/')) return String(link)
  const m = /\/(bookings|gov\/applications|community\/reports)\/([^/?]+)/.exec(String(link || ''))
  if (!m) return ''
  return pageFor({ bookings: 'booking', 'gov/applications': 'case', 'community/reports': 'report' }[m[1]] || '', m[2])
}

module.exports = { pageFor, pageForLink }
