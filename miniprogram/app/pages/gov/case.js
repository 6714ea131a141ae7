// A case: status, due date, its timeline; answer a 补正 (upload, then send), withdraw, rate once (好差评).
const { createPage } = require('../../lib/page')
const client = require('../../api/client')
const i18n = require('../../lib/i18n')
const ui = require('../../lib/ui')
const files = require('../../lib/files')
const format = require('../../lib/format')

const RATINGS = ['very_satisfied', 'satisfied', 'basically_satisfied', 'dissatisfied', 'very_dissatisfied']
const OPEN = ['draft', 'submitted', 'accepted', 'in_review', 'supplement_requested']
const FINISHED = ['approved', 'rejected', 'completed']

const DECIDED = ['approved', 'rejected']

/**
 * The timeline as the page shows it: an operator's reply set apart, a decision with its reason, the latest
 * 补正 request with the materials it names (the case's `supplement`: the status event itself carries none).
 * The backend's labels are already in the user's language.
 * @param {any} c the case
 */
function timelineEntries(c) {
  const events = /** @type {any[]} */ (c.timeline || [])
  let lastSupplement = -1
  events.forEach((e, i) => {
    if (e.kind === 'status' && e.status_to === 'supplement_requested') lastSupplement = i
  })
  const requested = /** @type {string[]} */ ((c.supplement && c.supplement.materials) || [])
  return events.map((e, i) => ({
    ...e,
    when: format.shortTime(e.at),
    reply: e.kind === 'reply',
    decision: e.kind === 'status' && DECIDED.includes(String(e.status_to)),
    materials: i === lastSupplement ? requested : [],
  }))
}

createPage({
  titleKey: 'gov.case_title',
  data: {
    id: '',
    c: /** @type {any} */ (null),
    timeline: /** @type {any[]} */ ([]),
    canWithdraw: false,
    canRate: false,
    rated: false,
    ratings: RATINGS.map((code) => ({ code })),
    rating: '',
    ratingText: '',
    supplementNote: '',
    supplementFiles: /** @type {string[]} */ ([]),
  },
  /** @param {Record<string, string | undefined>} query */
  onLoad(query) {
    this.setData({ id: query.id || '' })
  },
  onShow() {
    this.load()
  },
  async load() {
    try {
      const c = await client.get('/api/v1/gov/applications/{case_id}', { params: { case_id: this.data.id } })
      this.setData({
        c,
        timeline: timelineEntries(c),
        canWithdraw: OPEN.includes(String(c.status)),
        canRate: FINISHED.includes(String(c.status)) && !this.data.rated,
      })
    } catch (err) {
      ui.showError(err)
    }
  },
  /** @param {WechatMiniprogram.Input} e */
  onSupplementNote(e) {
    this.setData({ supplementNote: e.detail.value })
  },
  async supplementPhoto() {
    await this.uploadSupplement(await files.choosePhotos(1))
  },
  async supplementFile() {
    await this.uploadSupplement(await files.chooseDocuments(1))
  },
  /** @param {string[]} paths */
  async uploadSupplement(paths) {
    if (!paths.length) return
    const requested = (this.data.c.supplement && this.data.c.supplement.materials) || []
    const code = requested[0] || 'supplement'
    try {
      const m = await client.upload('/api/v1/gov/applications/{case_id}/materials', { params: { case_id: this.data.id }, filePath: paths[0], formData: { material_code: String(code) } })
      this.setData({ supplementFiles: [...this.data.supplementFiles, String(m.filename || '')] })
    } catch (err) {
      ui.showError(err)
    }
  },
  async sendSupplement() {
    try {
      await client.post('/api/v1/gov/applications/{case_id}/supplement', { params: { case_id: this.data.id }, body: { note: this.data.supplementNote } })
      ui.toast('gov.supplement_done')
      this.setData({ supplementNote: '', supplementFiles: [] })
      await this.load()
    } catch (err) {
      ui.showError(err)
    }
  },
  async withdraw() {
    const sure = await ui.modal({ content: i18n.t('gov.withdraw_confirm'), showCancel: true, confirmText: i18n.t('gov.withdraw'), cancelText: i18n.t('common.cancel') })
    if (!sure) return
    try {
      await client.post('/api/v1/gov/applications/{case_id}/withdraw', { params: { case_id: this.data.id }, body: {} })
      ui.toast('gov.withdrawn')
      await this.load()
    } catch (err) {
      ui.showError(err)
    }
  },
  /** @param {WechatMiniprogram.TouchEvent} e */
  pickRating(e) {
    this.setData({ rating: e.currentTarget.dataset.code })
  },
  /** @param {WechatMiniprogram.Input} e */
  onRatingText(e) {
    this.setData({ ratingText: e.detail.value })
  },
  async rate() {
    if (!this.data.rating) return
    try {
      await client.post('/api/v1/cases/{target_id}/rating', {
        params: { target_id: this.data.id },
        body: { level: /** @type {any} */ (this.data.rating), text: this.data.ratingText, tags: [] },
      })
      this.setData({ rated: true, canRate: false })
      ui.toast('gov.rated')
    } catch (err) {
      ui.showError(err)
    }
  },
})
