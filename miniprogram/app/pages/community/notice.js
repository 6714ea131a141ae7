// One notice (reading it as a member records the read receipt staff see).
const { createPage } = require('../../lib/page')
const client = require('../../api/client')
const ui = require('../../lib/ui')
const format = require('../../lib/format')

createPage({
  titleKey: 'community.notices',
  data: { id: '', notice: /** @type {any} */ (null), when: '' },
  /** @param {Record<string, string | undefined>} query */
  onLoad(query) {
    this.setData({ id: query.id || '' })
    this.load()
  },
  async load() {
    try {
      const notice = await client.get('/api/v1/notices/{notice_id}', { params: { notice_id: this.data.id } })
      this.setData({ notice, when: format.shortTime(notice.publish_at) })
    } catch (err) {
      ui.showError(err)
    }
  },
})
