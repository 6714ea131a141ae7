// Apply for a child in an enrollment round: the child's data needs the guardian's separate consent; the draft
// takes the required documents, then it is submitted.
const { createPage } = require('../../lib/page')
const client = require('../../api/client')
const ui = require('../../lib/ui')
const files = require('../../lib/files')

const RELATIONS = ['father', 'mother', 'guardian']
const CATEGORIES = ['hukou_and_property', 'hukou_only', 'property_only', 'migrant']

createPage({
  titleKey: 'education.apply',
  data: {
    roundId: '',
    schoolId: '',
    childName: '',
    childId: '',
    address: '',
    relations: RELATIONS.map((code) => ({ code })),
    relation: 'father',
    categories: CATEGORIES.map((code) => ({ code })),
    category: 'hukou_and_property',
    consent: false,
    application: /** @type {any} */ (null),
    materials: /** @type {{ code: string }[]} */ ([]),
    uploaded: /** @type {Record<string, boolean>} */ ({}),
  },
  /** @param {Record<string, string | undefined>} query */
  onLoad(query) {
    this.setData({ roundId: query.round || '', schoolId: query.school || '', address: query.address || '' })
  },
  /** @param {WechatMiniprogram.Input} e */
  onField(e) {
    this.setData({ [String(e.currentTarget.dataset.field)]: e.detail.value })
  },
  /** @param {WechatMiniprogram.TouchEvent} e */
  pick(e) {
    this.setData({ [String(e.currentTarget.dataset.field)]: e.currentTarget.dataset.code })
  },
  /** @param {WechatMiniprogram.SwitchChange} e */
  onConsent(e) {
    this.setData({ consent: !!e.detail.value })
  },
  async create() {
    try {
      const application = await client.post('/api/v1/education/enrollments', {
        body: {
          round_id: this.data.roundId,
          school_id: this.data.schoolId,
          child_name: this.data.childName,
          child_id_number: this.data.childId,
          relation: /** @type {any} */ (this.data.relation),
          category: /** @type {any} */ (this.data.category),
          address: this.data.address,
          consent: this.data.consent,
        },
      })
      this.setData({ application, materials: (application.required_materials || []).map((code) => ({ code })) })
    } catch (err) {
      ui.showError(err)
    }
  },
  /** @param {WechatMiniprogram.TouchEvent} e */
  async upload(e) {
    const code = String(e.currentTarget.dataset.code)
    const paths = await files.choosePhotos(1)
    if (!paths.length) return
    try {
      await client.upload('/api/v1/education/enrollments/{application_id}/materials', { params: { application_id: this.data.application.id }, filePath: paths[0], formData: { material_code: code } })
      this.setData({ [`uploaded.${code}`]: true })
    } catch (err) {
      ui.showError(err)
    }
  },
  async submit() {
    try {
      const application = await client.post('/api/v1/education/enrollments/{application_id}/submit', { params: { application_id: this.data.application.id } })
      wx.redirectTo({ url: `/pages/education/application?id=${application.id}` })
    } catch (err) {
      ui.showError(err)
    }
  },
})
