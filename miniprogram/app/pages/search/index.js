// One search over service items, scenic areas, halls, communities and public notices: Chinese, pinyin or
// initials (wws finds 王屋山). Each hit opens its page.
const { createPage } = require('../../lib/page')
const client = require('../../api/client')
const ui = require('../../lib/ui')

/** @param {string} kind @param {string} id */
function pageFor(kind, id) {
  return (
    {
      service_item: `/pages/gov/item?code=${id}`,
      scenic_area: `/pages/tourism/detail?id=${id}`,
      notice: `/pages/community/notice?id=${id}`,
      community: `/pages/community/index?id=${id}`,
      hall: `/pages/gov/items`,
    }[kind] || ''
  )
}

createPage({
  titleKey: 'search.title',
  data: { q: '', results: /** @type {any[]} */ ([]), searched: false },
  /** @param {Record<string, string | undefined>} query */
  onLoad(query) {
    if (query.q) {
      this.setData({ q: query.q })
      this.search()
    }
  },
  /** @param {WechatMiniprogram.Input} e */
  onQuery(e) {
    this.setData({ q: e.detail.value })
  },
  async search() {
    const q = this.data.q.trim()
    if (!q) return
    try {
      const found = await client.get('/api/v1/search', { query: /** @type {any} */ ({ q }) })
      const results = (found.items || []).map((r) => ({ ...r, url: pageFor(String(r.kind), String(r.id)) }))
      this.setData({ results, searched: true })
    } catch (err) {
      ui.showError(err)
    }
  },
  /** @param {WechatMiniprogram.TouchEvent} e */
  open(e) {
    if (e.currentTarget.dataset.url) wx.navigateTo({ url: e.currentTarget.dataset.url })
  },
})
