// The service guide: search by Chinese, pinyin or initials (hkqr finds 户口迁入), open an item.
const { createPage } = require('../../lib/page')
const client = require('../../api/client')
const i18n = require('../../lib/i18n')
const ui = require('../../lib/ui')

createPage({
  titleKey: 'gov.title',
  data: { q: '', items: /** @type {any[]} */ ([]), cursor: '' },
  onLoad() {
    this.load(true)
  },
  /** @param {WechatMiniprogram.Input} e */
  onQuery(e) {
    this.setData({ q: e.detail.value })
  },
  search() {
    this.load(true)
  },
  /** @param {boolean} fresh */
  async load(fresh) {
    try {
      const page = await client.get('/api/v1/gov/items', {
        query: /** @type {any} */ ({ q: this.data.q.trim() || undefined, lang: i18n.locale(), cursor: fresh ? undefined : this.data.cursor || undefined }),
      })
      const items = /** @type {any[]} */ (page.items || [])
      this.setData({ items: fresh ? items : [...this.data.items, ...items], cursor: page.next_cursor || '' })
    } catch (err) {
      ui.showError(err)
    }
  },
  more() {
    this.load(false)
  },
  /** @param {WechatMiniprogram.TouchEvent} e */
  open(e) {
    wx.navigateTo({ url: `/pages/gov/item?code=${e.currentTarget.dataset.code}` })
  },
})
