// Apply online: a draft case is opened with the first upload (materials belong to a case), each material is
// uploaded from the camera/album or a chat file, then the case is submitted. Under a proxy everything is done
// for the family member. The draft's Idempotency-Key is kept for this page, so a retry cannot open two cases.
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
    caseId: '',
    uploaded: /** @type {Record<string, string>} */ ({}),
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
  /** The draft case this page fills in (opened once). */
  async draft() {
    if (this.data.caseId) return this.data.caseId
    const draft = await client.post('/api/v1/gov/applications', {
      body: { item_code: this.data.itemCode, form: { reason: this.data.reason }, submit: false },
      idempotencyKey: this.data.idempotencyKey,
    })
    this.setData({ caseId: String(draft.id) })
    return String(draft.id)
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
      const caseId = await this.draft()
      const material = await client.upload('/api/v1/gov/applications/{case_id}/materials', {
        params: { case_id: caseId },
        filePath: paths[0],
        formData: { material_code: code },
      })
      this.setData({ [`uploaded.${code}`]: String(material.filename || '') })
    } catch (err) {
      ui.showError(err)
    }
  },
  async submit() {
    if (this.data.busy) return
    this.setData({ busy: true })
    try {
      const caseId = await this.draft()
      await client.post('/api/v1/gov/applications/{case_id}/submit', { params: { case_id: caseId } })
      ui.toast('gov.submitted')
      await ui.askSubscribe(config.SUBSCRIBE_TEMPLATES.case)
      wx.redirectTo({ url: `/pages/gov/case?id=${caseId}` })
    } catch (err) {
      ui.showError(err)
    } finally {
      this.setData({ busy: false })
    }
  },
})
