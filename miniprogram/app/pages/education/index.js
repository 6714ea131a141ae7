// Education: which school district serves an address (and why), the enrollment rounds with their phases, my
// children's applications with their results.
const { createPage } = require('../../lib/page')
const client = require('../../api/client')
const session = require('../../lib/session')
const ui = require('../../lib/ui')

createPage({
  titleKey: 'education.title',
  data: { address: '', lookup: /** @type {any} */ (null), rounds: /** @type {any[]} */ ([]), applications: /** @type {any[]} */ ([]) },
  onShow() {
    this.load()
  },
  async load() {
    try {
      const rounds = await client.get('/api/v1/education/rounds')
      this.setData({ rounds: rounds.items || [] })
      if (session.tokens() && session.user() && /** @type {any} */ (session.user()).level === 'real_name') {
        const mine = await client.get('/api/v1/education/enrollments', { quiet: true })
        this.setData({ applications: mine.items || [] })
      }
    } catch (err) {
      ui.showError(err)
    }
  },
  /** @param {WechatMiniprogram.Input} e */
  onAddress(e) {
    this.setData({ address: e.detail.value })
  },
  async lookUp() {
    if (!this.data.address.trim()) return
    try {
      const lookup = await client.get('/api/v1/education/districts/lookup', { query: /** @type {any} */ ({ address: this.data.address.trim() }) })
      this.setData({ lookup })
    } catch (err) {
      ui.showError(err)
    }
  },
  /** @param {WechatMiniprogram.TouchEvent} e */
  apply(e) {
    const round = this.data.rounds.find((/** @type {any} */ r) => r.level === e.currentTarget.dataset.level) || this.data.rounds[0]
    wx.navigateTo({ url: `/pages/education/apply?school=${e.currentTarget.dataset.school}&round=${round ? round.id : ''}&address=${encodeURIComponent(this.data.address)}` })
  },
  /** @param {WechatMiniprogram.TouchEvent} e */
  open(e) {
    wx.navigateTo({ url: `/pages/education/application?id=${e.currentTarget.dataset.id}` })
  },
})
