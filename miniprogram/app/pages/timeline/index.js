// One timeline across every domain: my bookings, my cases and my inbox; each item opens its detail.
const { createPage } = require('../../lib/page')
const client = require('../../api/client')
const ui = require('../../lib/ui')
const format = require('../../lib/format')
const { pageFor, pageForLink } = require('../../lib/links')

createPage({
  titleKey: 'timeline.title',
  data: { tab: 'bookings', bookings: /** @type {any[]} */ ([]), cases: /** @type {any[]} */ ([]), inbox: /** @type {any[]} */ ([]), unread: 0 },
  onShow() {
    this.load()
  },
  async load() {
    try {
      const [bookings, cases, inbox] = await Promise.all([
        client.get('/api/v1/me/bookings'),
        client.get('/api/v1/me/cases'),
        client.get('/api/v1/me/inbox'),
      ])
      this.setData({
        bookings: (bookings.items || []).map((b) => ({
          id: b.id,
          name: b.resource ? b.resource.name : '',
          domain: b.resource ? b.resource.owner_domain : '',
          status: b.status,
          when: format.shortTime(b.slot && b.slot.start),
          url: pageFor('booking', b.id),
        })),
        cases: (cases.items || []).map((/** @type {any} */ c) => ({ ...c, when: format.shortTime(c.updated_at), url: pageFor('case', c.id) })),
        inbox: (inbox.items || []).map((m) => ({ ...m, when: format.shortTime(m.created_at), url: pageForLink(m.link) })),
        unread: inbox.unread || 0,
      })
    } catch (err) {
      ui.showError(err)
    }
  },
  /** @param {WechatMiniprogram.TouchEvent} e */
  pickTab(e) {
    this.setData({ tab: e.currentTarget.dataset.tab })
  },
  /** @param {WechatMiniprogram.TouchEvent} e */
  open(e) {
    const { url, message } = e.currentTarget.dataset
    if (message) client.post('/api/v1/me/inbox/{message_id}/read', { params: { message_id: message }, quiet: true }).catch(() => {})
    if (url) wx.navigateTo({ url })
  },
})
