// Report a problem (随手拍): kind, description, photos, the place picked on the map. When similar reports
// are nearby the API answers 409 with them: the resident says "me too" to one, or submits theirs anyway.
const { createPage } = require('../../lib/page')
const client = require('../../api/client')
const i18n = require('../../lib/i18n')
const ui = require('../../lib/ui')
const files = require('../../lib/files')
const config = require('../../config')
const format = require('../../lib/format')

const CATEGORIES = ['road_damage', 'streetlight', 'garbage', 'water_leak', 'illegal_parking', 'greenery', 'noise', 'other']

createPage({
  titleKey: 'community.report_title',
  data: {
    communityId: '',
    categories: CATEGORIES.map((code) => ({ code })),
    category: 'road_damage',
    description: '',
    photos: /** @type {{ id: string, path: string }[]} */ ([]),
    place: /** @type {any} */ (null),
    similar: /** @type {any[]} */ ([]),
    idempotencyKey: '',
    busy: false,
  },
  /** @param {Record<string, string | undefined>} query */
  onLoad(query) {
    this.setData({ communityId: query.community || '', idempotencyKey: client.newIdempotencyKey() })
  },
  /** @param {WechatMiniprogram.TouchEvent} e */
  pickCategory(e) {
    this.setData({ category: e.currentTarget.dataset.code, similar: [] })
  },
  /** @param {WechatMiniprogram.Input} e */
  onDescription(e) {
    this.setData({ description: e.detail.value })
  },
  async addPhoto() {
    const paths = await files.choosePhotos(3 - this.data.photos.length)
    for (const path of paths) {
      try {
        const stored = await client.upload('/api/v1/community/uploads', { filePath: path, query: { kind: 'photo' } })
        this.setData({ photos: [...this.data.photos, { id: String(stored.id), path }] })
      } catch (err) {
        await ui.showError(err)
      }
    }
  },
  chooseLocation() {
    wx.chooseLocation({
      success: (res) => this.setData({ place: { lat: res.latitude, lng: res.longitude, name: res.name, address: res.address }, similar: [] }),
      fail: () => {},
    })
  },
  /** @param {boolean} confirmNew */
  async send(confirmNew) {
    if (this.data.busy) return
    this.setData({ busy: true })
    const place = this.data.place
    try {
      const report = await client.post('/api/v1/community/reports', {
        body: {
          category: /** @type {any} */ (this.data.category),
          description: this.data.description,
          photos: this.data.photos.map((/** @type {any} */ p) => p.id),
          lat: place ? place.lat : null,
          lng: place ? place.lng : null,
          address: place ? [place.name, place.address].filter(Boolean).join(' ') : null,
          community_id: this.data.communityId || null,
          confirm_new: confirmNew,
        },
        idempotencyKey: this.data.idempotencyKey,
      })
      ui.toast('community.submitted')
      await ui.askSubscribe(config.SUBSCRIBE_TEMPLATES.report)
      wx.redirectTo({ url: `/pages/community/report-detail?id=${report.id}` })
    } catch (err) {
      if (!(err instanceof client.NetworkError)) this.setData({ idempotencyKey: client.newIdempotencyKey() })
      if (err instanceof client.ApiError && err.code === 'community.report_possible_duplicate') {
        const similar = (err.details.candidates || []).map((/** @type {any} */ c) => ({
          ...c,
          distance: format.distance(c.distance_m),
          when: format.shortTime(c.created_at),
          label: i18n.t(`community.category.${c.category}`),
        }))
        this.setData({ similar })
      } else {
        ui.showError(err)
      }
    } finally {
      this.setData({ busy: false })
    }
  },
  submit() {
    return this.send(false)
  },
  submitNew() {
    return this.send(true)
  },
  /** @param {WechatMiniprogram.TouchEvent} e */
  async meToo(e) {
    const id = e.currentTarget.dataset.id
    try {
      await client.post('/api/v1/community/reports/{report_id}/me-too', { params: { report_id: id } })
      ui.toast('community.me_too_done')
      wx.redirectTo({ url: `/pages/community/report-detail?id=${id}` })
    } catch (err) {
      ui.showError(err)
    }
  },
})
