// Scenic areas, nearest first when the user lets us read the location; without it, the city's order and a
// note with a way to allow it later (no dead end).
const { createPage } = require('../../lib/page')
const client = require('../../api/client')
const i18n = require('../../lib/i18n')
const ui = require('../../lib/ui')
const format = require('../../lib/format')

/** @returns {Promise<{ latitude: number, longitude: number } | null>} */
function location() {
  return new Promise((resolve) => {
    wx.getLocation({ type: 'gcj02', success: (res) => resolve(res), fail: () => resolve(null) })
  })
}

createPage({
  titleKey: 'tourism.title',
  data: { areas: /** @type {any[]} */ ([]), located: false, refused: false, loading: true },
  onLoad() {
    this.load()
  },
  async load() {
    const here = await location()
    try {
      const list = await client.get('/api/v1/tourism/scenic-areas', {
        query: /** @type {any} */ ({ near: here ? `${here.latitude},${here.longitude}` : undefined, lang: i18n.locale() }),
      })
      const areas = (list.items || []).map((a) => ({ ...a, distance: format.distance(a.distance_m) }))
      this.setData({ areas, located: !!here, refused: !here, loading: false })
    } catch (err) {
      this.setData({ loading: false })
      ui.showError(err)
    }
  },
  allowLocation() {
    wx.openSetting({ success: () => this.load() })
  },
  /** @param {WechatMiniprogram.TouchEvent} e */
  open(e) {
    wx.navigateTo({ url: `/pages/tourism/detail?id=${e.currentTarget.dataset.id}` })
  },
})
