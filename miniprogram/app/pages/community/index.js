// My community: join one (staff confirm residency), its notices with the pinned ones first, its events, my
// reports and the way to report a problem. Without a community (or signed out): communities near me.
const { createPage } = require('../../lib/page')
const client = require('../../api/client')
const session = require('../../lib/session')
const ui = require('../../lib/ui')
const format = require('../../lib/format')

/** @returns {Promise<{ latitude: number, longitude: number } | null>} */
function location() {
  return new Promise((resolve) => wx.getLocation({ type: 'gcj02', success: resolve, fail: () => resolve(null) }))
}

createPage({
  titleKey: 'community.title',
  data: {
    communityId: '',
    community: /** @type {any} */ (null),
    membership: /** @type {any} */ (null),
    nearby: /** @type {any[]} */ ([]),
    notices: /** @type {any[]} */ ([]),
    events: /** @type {any[]} */ ([]),
    reports: /** @type {any[]} */ ([]),
  },
  /** @param {Record<string, string | undefined>} query */
  onLoad(query) {
    this.setData({ communityId: query.id || '' })
  },
  onShow() {
    this.load()
  },
  async load() {
    try {
      let id = this.data.communityId
      if (session.tokens()) {
        const membership = await client.get('/api/v1/me/community', { quiet: true }).catch(() => null)
        this.setData({ membership })
        if (!id && membership && membership.community_id) id = String(membership.community_id)
      }
      if (!id) {
        const here = await location()
        const list = await client.get('/api/v1/communities', { query: /** @type {any} */ ({ near: here ? `${here.latitude},${here.longitude}` : undefined, limit: 20 }) })
        this.setData({ nearby: (list.items || []).map((/** @type {any} */ c) => ({ ...c, distance: format.distance(c.distance_m) })) })
        return
      }
      const [community, notices, events] = await Promise.all([
        client.get('/api/v1/communities/{community_id}', { params: { community_id: id } }),
        client.get('/api/v1/communities/{community_id}/notices', { params: { community_id: id } }),
        client.get('/api/v1/communities/{community_id}/events', { params: { community_id: id } }),
      ])
      // the API answers pinned first; keep its order
      this.setData({
        communityId: id,
        community,
        notices: (notices.items || []).map((/** @type {any} */ n) => ({ ...n, when: format.shortTime(n.publish_at) })),
        events: (events.items || []).map((/** @type {any} */ e) => ({ ...e, when: format.shortTime(e.starts_at) })),
      })
      if (session.tokens()) {
        const reports = await client.get('/api/v1/community/reports', { quiet: true }).catch(() => ({ items: [] }))
        this.setData({ reports: reports.items || [] })
      }
    } catch (err) {
      ui.showError(err)
    }
  },
  /** @param {WechatMiniprogram.TouchEvent} e */
  async join(e) {
    const communityId = e.currentTarget.dataset.id || this.data.communityId
    try {
      const membership = await client.post('/api/v1/me/community', { body: { community_id: communityId } })
      ui.toast('community.joined')
      this.setData({ membership, communityId })
      await this.load()
    } catch (err) {
      ui.showError(err)
    }
  },
  /** @param {WechatMiniprogram.TouchEvent} e */
  open(e) {
    wx.navigateTo({ url: e.currentTarget.dataset.url })
  },
})
