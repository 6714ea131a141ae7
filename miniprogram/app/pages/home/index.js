// Home: the five domains, one search box, the urgent notices of my community and my next booking.
// Elder mode shows a simplified home with the few most-used services in large type.
const { createPage } = require('../../lib/page')
const client = require('../../api/client')
const session = require('../../lib/session')
const format = require('../../lib/format')

const DOMAINS = [
  { key: 'gov', url: '/pages/gov/items' },
  { key: 'education', url: '/pages/education/index' },
  { key: 'care', url: '/pages/care/index' },
  { key: 'tourism', url: '/pages/tourism/list' },
  { key: 'community', url: '/pages/community/index' },
]
const ELDER_SERVICES = [
  { key: 'care', url: '/pages/care/index' },
  { key: 'timeline', url: '/pages/timeline/index', tab: true },
  { key: 'community', url: '/pages/community/index' },
  { key: 'report', url: '/pages/community/report' },
  { key: 'family', url: '/pages/me/family' },
]

createPage({
  titleKey: 'home.title',
  data: {
    domains: DOMAINS,
    elderServices: ELDER_SERVICES,
    q: '',
    urgent: /** @type {any[]} */ ([]),
    nextBooking: /** @type {any} */ (null),
    signedIn: false,
  },
  onShow() {
    this.setData({ signedIn: !!session.tokens() })
    if (session.tokens()) this.loadMine()
  },
  async loadMine() {
    try {
      const [bookings, membership] = await Promise.all([
        client.get('/api/v1/me/bookings', { quiet: true }),
        client.get('/api/v1/me/community', { quiet: true }).catch(() => null),
      ])
      const now = Date.now()
      const next = (bookings.items || [])
        .filter((b) => (b.status === 'confirmed' || b.status === 'held') && b.slot && Date.parse(String(b.slot.start)) > now)
        .sort((a, b) => Date.parse(String(a.slot && a.slot.start)) - Date.parse(String(b.slot && b.slot.start)))[0]
      this.setData({
        nextBooking: next ? { id: next.id, name: next.resource ? next.resource.name : '', start: format.shortTime(next.slot && next.slot.start) } : null,
      })
      if (membership && membership.community_id) {
        const notices = await client.get('/api/v1/communities/{community_id}/notices', {
          params: { community_id: membership.community_id },
          quiet: true,
        })
        this.setData({ urgent: (notices.items || []).filter((n) => /** @type {any} */ (n).urgent) })
      }
    } catch (err) {
      // the home page still shows the domains; the timeline page reports errors
    }
  },
  /** @param {WechatMiniprogram.Input} e */
  onQuery(e) {
    this.setData({ q: e.detail.value })
  },
  search() {
    if (this.data.q.trim()) wx.navigateTo({ url: `/pages/search/index?q=${encodeURIComponent(this.data.q.trim())}` })
  },
  /** @param {WechatMiniprogram.TouchEvent} e */
  open(e) {
    const { url, tab } = e.currentTarget.dataset
    if (tab) wx.switchTab({ url })
    else wx.navigateTo({ url })
  },
})
