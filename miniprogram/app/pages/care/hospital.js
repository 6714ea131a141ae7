// A hospital's clinics (科室) and, for the chosen one, its doctors with titles and registration fees.
const { createPage } = require('../../lib/page')
const client = require('../../api/client')
const ui = require('../../lib/ui')
const format = require('../../lib/format')

createPage({
  titleKey: 'care.departments',
  data: { id: '', departments: /** @type {any[]} */ ([]), department: '', doctors: /** @type {any[]} */ ([]) },
  /** @param {Record<string, string | undefined>} query */
  onLoad(query) {
    this.setData({ id: query.id || '' })
    this.load()
    // A search result or a message may name the clinic: open its doctors at once.
    if (query.department) this.showDepartment(String(query.department))
  },
  async load() {
    try {
      const list = await client.get('/api/v1/care/hospitals/{hospital_id}/departments', { params: { hospital_id: this.data.id } })
      this.setData({ departments: list.items || [] })
    } catch (err) {
      ui.showError(err)
    }
  },
  /** @param {WechatMiniprogram.TouchEvent} e */
  pickDepartment(e) {
    return this.showDepartment(String(e.currentTarget.dataset.id))
  },
  /** @param {string} id */
  async showDepartment(id) {
    try {
      const list = await client.get('/api/v1/care/departments/{department_id}/doctors', { params: { department_id: id } })
      this.setData({ department: id, doctors: (list.items || []).map((d) => ({ ...d, fee: format.yuan(d.fee_fen) })) })
    } catch (err) {
      ui.showError(err)
    }
  },
  /** @param {WechatMiniprogram.TouchEvent} e */
  openDoctor(e) {
    const doctor = this.data.doctors.find((/** @type {any} */ d) => d.id === e.currentTarget.dataset.id)
    if (doctor) wx.navigateTo({ url: `/pages/care/doctor?id=${doctor.id}&name=${encodeURIComponent(`${doctor.name} ${doctor.title}`)}` })
  },
})
