// Apply online in one step: each material is uploaded first (camera/album or a file from a chat), then one
// POST makes the case with its materials. Under a proxy everything is done for the family member. The
// page keeps one Idempotency-Key per attempt, so a retry after a lost answer cannot open two cases.
const { createPage } = require('../../lib/page')
const client = require('../../api/client')
const i18n = require('../../lib/i18n')
const ui = require('../../lib/ui')
const files = require('../../lib/files')
const config = require('../../config')

createPage({
  titleKey: 'gov.apply_title',
  data: {
    itemCode: '',
    item: /** @type {any} */ (null),
    reason: '',
    uploaded: /** @type {Record<string, { upload_id: string, name: string }>} */ ({}),
    idempotencyKey: '',
    busy: false,
  },
  /** @param {Record<string, string | undefined>} query */
  onLoad(query) {
    this.setData({ itemCode: query.item || '', idempotencyKey: client.newIdempotencyKey() })
    this.load()
  },
  async load() {
    try {
      const item = await client.get('/api/v1/gov/items/{code}', { params: { code: this.data.itemCode }, query: /** @type {any} */ ({ lang: i18n.locale() }) })
      this.setData({ item })
    } catch (err) {
      ui.showError(err)
    }
  },
  /** @param {WechatMiniprogram.Input} e */
  onReason(e) {
    this.setData({ reason: e.detail.value })
  },
  /** @param {WechatMiniprogram.TouchEvent} e */
  async uploadPhoto(e) {
    await this.upload(e.currentTarget.dataset.code, await files.choosePhotos(1))
  },
  /** @param {WechatMiniprogram.TouchEvent} e */
  async uploadFile(e) {
    await this.upload(e.currentTarget.dataset.code, await files.chooseDocuments(1))
  },
  /** @param {string} code @param {string[]} paths */
  async upload(code, paths) {
    if (!paths.length) return
    try {
      const stored = await client.upload('/api/v1/gov/uploads', { filePath: paths[0] })
      this.setData({ [`uploaded.${code}`]: { upload_id: String(stored.id), name: String(/** @type {any} */ (stored).filename || paths[0].split('/').pop()) } })
    } catch (err) {
      ui.showError(err)
    }
  },
  async submit() {
    if (this.data.busy) return
    this.setData({ busy: true })
    try {
      const materials = Object.entries(this.data.uploaded).map(([material_code, u]) => ({ material_code, upload_id: u.upload_id }))
      const created = await client.post('/api/v1/gov/applications', {
        body: { item_code: this.data.itemCode, form: { reason: this.data.reason }, materials },
        idempotencyKey: this.data.idempotencyKey,
      })
      ui.toast('gov.submitted')
      await ui.askSubscribe(config.SUBSCRIBE_TEMPLATES.case)
      wx.redirectTo({ url: `/pages/gov/case?id=${created.id}` })
    } catch (err) {
      if (!(err instanceof client.NetworkError)) this.setData({ idempotencyKey: client.newIdempotencyKey() })
      ui.showError(err)
    } finally {
      this.setData({ busy: false })
    }
  },
})
