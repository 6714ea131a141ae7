// What family members did on my behalf (every request made under a proxy grant), newest first.
const { createPage } = require('../../lib/page')
const client = require('../../api/client')
const i18n = require('../../lib/i18n')
const ui = require('../../lib/ui')
const format = require('../../lib/format')

createPage({
  titleKey: 'proxy_log.title',
  data: { items: /** @type {any[]} */ ([]), cursor: '' },
  onLoad() {
    this.load()
  },
  async load() {
    try {
      const page = await client.get('/api/v1/me/proxy-log', { query: /** @type {any} */ ({ cursor: this.data.cursor || undefined }) })
      const items = (page.items || []).map((e) => ({
        ...e,
        when: format.shortTime(e.created_at),
        who: (e.proxy && /** @type {any} */ (e.proxy).name) || i18n.t('family.unnamed'),
      }))
      this.setData({ items: [...this.data.items, ...items], cursor: page.next_cursor || '' })
    } catch (err) {
      ui.showError(err)
    }
  },
})
