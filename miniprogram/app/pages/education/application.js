// One application for a child: status, the result (school, lottery rank, reporting day) and the timeline.
const { createPage } = require('../../lib/page')
const client = require('../../api/client')
const ui = require('../../lib/ui')
const format = require('../../lib/format')

createPage({
  titleKey: 'education.application',
  data: { id: '', a: /** @type {any} */ (null), timeline: /** @type {any[]} */ ([]) },
  /** @param {Record<string, string | undefined>} query */
  onLoad(query) {
    this.setData({ id: query.id || '' })
    this.load()
  },
  async load() {
    try {
      const a = await client.get('/api/v1/education/enrollments/{application_id}', { params: { application_id: this.data.id } })
      this.setData({ a, timeline: (a.timeline || []).map((/** @type {any} */ e) => ({ ...e, when: format.shortTime(e.created_at) })) })
    } catch (err) {
      ui.showError(err)
    }
  },
})
