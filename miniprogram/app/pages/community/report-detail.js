// One report: its status and history; once the community says it is resolved, "is it fixed?" (no reopens it).
const { createPage } = require('../../lib/page')
const client = require('../../api/client')
const ui = require('../../lib/ui')
const format = require('../../lib/format')

createPage({
  titleKey: 'community.report_detail',
  data: { id: '', report: /** @type {any} */ (null), history: /** @type {any[]} */ ([]) },
  /** @param {Record<string, string | undefined>} query */
  onLoad(query) {
    this.setData({ id: query.id || '' })
  },
  onShow() {
    this.load()
  },
  async load() {
    try {
      const report = await client.get('/api/v1/community/reports/{report_id}', { params: { report_id: this.data.id } })
      this.setData({ report, history: (report.history || []).map((h) => ({ ...h, when: format.shortTime(h.at) })) })
    } catch (err) {
      ui.showError(err)
    }
  },
  /** @param {WechatMiniprogram.TouchEvent} e */
  async feedback(e) {
    const fixed = e.currentTarget.dataset.fixed === 'yes'
    try {
      const report = await client.post('/api/v1/community/reports/{report_id}/feedback', { params: { report_id: this.data.id }, body: { fixed } })
      ui.toast('community.thanks')
      this.setData({ report, history: (report.history || []).map((h) => ({ ...h, when: format.shortTime(h.at) })) })
    } catch (err) {
      ui.showError(err)
    }
  },
})
