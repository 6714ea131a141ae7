// Family members: invite (the invitation code, also as a QR code), accept a code, see grants with scopes and
// expiry, revoke, and switch whom I act for (X-Acting-For on the operations that allow a proxy).
const { createPage } = require('../../lib/page')
const client = require('../../api/client')
const session = require('../../lib/session')
const i18n = require('../../lib/i18n')
const ui = require('../../lib/ui')

const SCOPES = ['bookings', 'cases', 'care']
const RELATIONS = ['parent', 'child', 'spouse', 'sibling', 'grandparent', 'other']

createPage({
  titleKey: 'family.title',
  data: {
    grants: /** @type {any[]} */ ([]),
    scopes: SCOPES.map((code) => ({ code, on: code !== 'care' })),
    relations: RELATIONS.map((code) => ({ code })),
    relation: 'parent',
    validDays: '365',
    invitation: /** @type {any} */ (null),
    acceptCode: '',
    actingId: '',
  },
  /** @param {Record<string, string | undefined>} query */
  onLoad(query) {
    // Opened from a scanned invitation QR code: prefill the code
    if (query.code) this.setData({ acceptCode: query.code })
  },
  onShow() {
    this.load()
  },
  async load() {
    try {
      const list = await client.get('/api/v1/me/family')
      const acting = session.actingFor()
      const grants = (list.items || []).map((g) => ({
        ...g,
        expires: String(g.expires_at || '').slice(0, 10),
        otherName: (g.other && /** @type {any} */ (g.other).name) || i18n.t('family.unnamed'),
      }))
      this.setData({ grants, actingId: acting ? acting.id : '' })
    } catch (err) {
      ui.showError(err)
    }
  },
  /** @param {WechatMiniprogram.TouchEvent} e */
  toggleScope(e) {
    const code = e.currentTarget.dataset.code
    this.setData({ scopes: this.data.scopes.map((/** @type {any} */ s) => (s.code === code ? { ...s, on: !s.on } : s)) })
  },
  /** @param {WechatMiniprogram.TouchEvent} e */
  pickRelation(e) {
    this.setData({ relation: e.currentTarget.dataset.code })
  },
  /** @param {WechatMiniprogram.Input} e */
  onDays(e) {
    this.setData({ validDays: e.detail.value })
  },
  async invite() {
    try {
      const invitation = await client.post('/api/v1/me/family', {
        body: {
          scopes: /** @type {any} */ (this.data.scopes.filter((/** @type {any} */ s) => s.on).map((/** @type {any} */ s) => s.code)),
          relation: /** @type {any} */ (this.data.relation),
          valid_days: Number(this.data.validDays) || 365,
        },
      })
      this.setData({ invitation })
      await this.load()
    } catch (err) {
      ui.showError(err)
    }
  },
  /** @param {WechatMiniprogram.Input} e */
  onAcceptCode(e) {
    this.setData({ acceptCode: e.detail.value.trim() })
  },
  async accept() {
    try {
      await client.post('/api/v1/family-invitations/{code}/accept', { params: { code: this.data.acceptCode } })
      this.setData({ acceptCode: '' })
      ui.toast('family.accepted')
      await this.load()
    } catch (err) {
      ui.showError(err)
    }
  },
  /** @param {WechatMiniprogram.TouchEvent} e */
  async revoke(e) {
    const sure = await ui.modal({ content: i18n.t('family.revoke_confirm'), showCancel: true, confirmText: i18n.t('family.revoke'), cancelText: i18n.t('common.cancel') })
    if (!sure) return
    const id = e.currentTarget.dataset.id
    try {
      await client.del('/api/v1/me/family/{grant_id}', { params: { grant_id: id } })
      const grant = this.data.grants.find((/** @type {any} */ g) => g.id === id)
      const acting = session.actingFor()
      if (grant && grant.other && acting && acting.id === grant.other.id) session.setActingFor(null)
      ui.toast('family.revoked')
      this.refreshCommon()
      await this.load()
    } catch (err) {
      ui.showError(err)
    }
  },
  /** @param {WechatMiniprogram.TouchEvent} e */
  actFor(e) {
    const grant = this.data.grants.find((/** @type {any} */ g) => g.id === e.currentTarget.dataset.id)
    if (!grant || !grant.other) return
    session.setActingFor({ id: grant.other.id, name: grant.otherName })
    this.setData({ actingId: grant.other.id })
    this.refreshCommon()
  },
  actForSelf() {
    session.setActingFor(null)
    this.setData({ actingId: '' })
    this.refreshCommon()
  },
})
